/*
 * Revocation, through the real stubs: cap_revoke_delegate reaches every
 * dup/dup2 copy the receiver made and nothing else, works after the
 * receiver closed or dropped its copy or exited, and ends a pipe's last
 * writer; stale tokens after drop, revoke and exit; the delegation and
 * slot quotas; a sender's exit revoking what it delegated.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "ut_peer.h"

TEST(deleg_revoke_reaches_copies)
{
    ut_revoke_all();
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d, d2;
    CHECK_OK(fd_token(p[1], &t));
    int s = -1, s2 = -1;
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    int cd = (int)PC(&c, P_DUP, s, 0);
    CHECK(cd >= 0);
    CHECK_EQ(PC(&c, P_DUP2, s, 60), 60);
    const int copies[3] = {s, cd, 60};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(PC(&c, P_INFO, copies[i], 0));
        CHECK_EQ(o.ci.delegated, 1);
        CHECK_EQ(o.ci.rights, W);
    }
    /* A second, independent delegation of the same end. */
    CHECK_OK(cap_transfer(c.pid, t, W, &d2, &s2));
    CHECK_EQ(pcall(&c, &o, P_WRITE, cd, 0, 0, 0, "ab"), 2);
    char buf[8] = {0};
    CHECK_EQ(ut_read_full(p[0], buf, 2), 2);
    CHECK_OK(cap_revoke_delegate(d));
    for (int i = 0; i < 3; i++) {
        CHECK_ERRNO(PC(&c, P_INFO, copies[i], 0), EBADF);
        CHECK_ERRNO(pcall(&c, &o, P_WRITE, copies[i], 0, 0, 0, "z"), EBADF);
        CHECK_ERRNO(PC(&c, P_DUP, copies[i], 0), EBADF);
    }
    /* The other delegation is untouched. */
    CHECK_EQ(pcall(&c, &o, P_WRITE, s2, 0, 0, 0, "c"), 1);
    CHECK_EQ(ut_read_full(p[0], buf, 1), 1);
    CHECK_EQ(buf[0], 'c');
    /* The handle is spent; other tokens are no handles. */
    CHECK_ERRNO(cap_revoke_delegate(d), EBADF);
    CHECK_ERRNO(cap_drop(d), EBADF);
    struct cap_info ci;
    CHECK_ERRNO(cap_info((int)ut_tok_slot(d), &ci), EBADF);
    CHECK_ERRNO(cap_revoke_delegate(t), EINVAL);
    cap_token_t tp;
    CHECK_OK(cap_get_token(proc_handle(c.pid), CAP_TYPE_PROCESS, &tp));
    CHECK_ERRNO(cap_revoke_delegate(tp), EINVAL);
    CHECK_ERRNO(cap_revoke_delegate(0), EBADF);
    CHECK_ERRNO(cap_revoke_delegate(d2 + (1ull << CAP_TOK_GEN_SHIFT)), EBADF);
    CHECK(ut_fd_open(p[1]));
    CHECK_OK(cap_revoke_delegate(d2));
    CHECK_ERRNO(pcall(&c, &o, P_WRITE, s2, 0, 0, 0, "z"), EBADF);
    /* No writer is left but ours: closing it gives the reader EOF. */
    CHECK_OK(close(p[1]));
    CHECK_EQ(read(p[0], buf, 1), 0);
    CHECK_OK(close(p[0]));
    CHECK_EXITED(peer_stop(&c), 0);
}

TEST(deleg_revoke_after_close_drop_exit)
{
    DELEG_TEST_BEGIN(k0);
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d;
    CHECK_OK(fd_token(p[1], &t));
    int s = -1;
    ut_step("receiver closed its copy");
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    CHECK_OK(PC(&c, P_CLOSE, s, 0));
    CHECK_OK(cap_revoke_delegate(d));
    ut_step("receiver dropped its copy");
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    CHECK_OK(PC(&c, P_TOKEN, s, CAP_TYPE_FD));
    cap_token_t ct = o.tok;
    CHECK_OK(pcall(&c, &o, P_DROP, 0, 0, 0, ct, NULL));
    CHECK_ERRNO(pcall(&c, &o, P_DROP, 0, 0, 0, ct, NULL), EBADF);
    CHECK_OK(cap_revoke_delegate(d));
    ut_step("receiver closed the original, kept a dup");
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    int cd = (int)PC(&c, P_DUP, s, 0);
    CHECK(cd >= 0);
    CHECK_OK(PC(&c, P_CLOSE, s, 0));
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(PC(&c, P_INFO, cd, 0), EBADF);
    ut_step("the only writer delegated, then revoked");
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    CHECK_OK(close(p[1]));
    CHECK_EQ(pcall(&c, &o, P_WRITE, s, 0, 0, 0, "w"), 1);
    char ch = 0;
    CHECK_EQ(read(p[0], &ch, 1), 1);
    CHECK_EQ(ch, 'w');
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EQ(read(p[0], &ch, 1), 0); /* EOF: no writer left */
    CHECK_OK(close(p[0]));
    ut_step("receiver exited and was reaped");
    CHECK_OK(pipe(p));
    CHECK_OK(fd_token(p[1], &t));
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    CHECK_OK(close(p[1]));
    CHECK_EXITED(peer_stop(&c), 0);
    CHECK_EQ(read(p[0], &ch, 1), 0); /* its copy died with it */
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(cap_revoke_delegate(d), EBADF);
    CHECK_OK(close(p[0]));
    /* The delegation record pinned the peer's process until the revoke. */
    CHECK_KSTAT_BACK(k0);
}

TEST(deleg_revoke_blocked_reader)
{
    DELEG_TEST_BEGIN(k0);
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d;
    int s = -1;
    CHECK_OK(fd_token(p[0], &t));
    CHECK_OK(cap_transfer(c.pid, t, R, &d, &s));
    /* The receiver blocks reading the empty pipe; the revoke must not
     * free the file under it, and stops the read: EBADF, not the EOF
     * our close of the only write end would give (t_revoke_ops.c has
     * the data-carrying cases). */
    CHECK_OK(psend(&c, P_READ, s, 1, 0, 0, NULL));
    ut_sleep_ms(100);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_OK(close(p[1]));
    long r = precv(&c, &o);
    CHECKF(r == -1 && errno == EBADF,
           "blocked read after revoke and close: %ld %s", r, ut_errname(errno));
    CHECK_ERRNO(PC(&c, P_READ, s, 1), EBADF);
    CHECK_ERRNO(PC(&c, P_INFO, s, 0), EBADF);
    CHECK_OK(close(p[0]));
    CHECK_EXITED(peer_stop(&c), 0);
    CHECK_KSTAT_BACK(k0);
}

TEST(deleg_stale_tokens)
{
    ut_revoke_all();
    struct peer a, b;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    CHECK_RC(peer_start(&b), 0);
    /* Generations are seeded per process: fd 0 has a different one here,
     * in a and in b, so a token never validates elsewhere by chance. */
    struct cap_info ci;
    CHECK_OK(cap_info(0, &ci));
    CHECK_OK(PC(&a, P_INFO, 0, 0));
    uint32_t ga = o.ci.generation;
    CHECK_OK(PC(&b, P_INFO, 0, 0));
    uint32_t gb = o.ci.generation;
    CHECKF(ci.generation != ga && ci.generation != gb && ga != gb,
           "fd 0 generations: ours %u, a %u, b %u", ci.generation, ga, gb);
    cap_token_t t0;
    CHECK_OK(fd_token(0, &t0));
    CHECK_OK(PC(&a, P_TOKEN, 0, CAP_TYPE_FD));
    cap_token_t ta = o.tok;
    CHECK(ta != t0);
    CHECK_ERRNO(cap_drop(ta), EBADF);
    CHECK(ut_fd_open(0));
    CHECK_ERRNO(pcall(&a, &o, P_DROP, 0, 0, 0, t0, NULL), EBADF);
    CHECK_OK(PC(&a, P_INFO, 0, 0));
    /* The receiver's token for a delegated slot, after the revoke. */
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d;
    CHECK_OK(fd_token(p[1], &t));
    int s = -1;
    CHECK_OK(cap_transfer(a.pid, t, W, &d, &s));
    CHECK_OK(PC(&a, P_TOKEN, s, CAP_TYPE_FD));
    cap_token_t ts = o.tok;
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(pcall(&a, &o, P_DROP, 0, 0, 0, ts, NULL), EBADF);
    CHECK_ERRNO(cap_revoke_delegate(d), EBADF);
    /* After the receiver's exit: its tokens mean nothing here, and our
     * handle still revokes (nothing left to clear). */
    CHECK_OK(cap_transfer(a.pid, t, W, &d, &s));
    CHECK_OK(PC(&a, P_TOKEN, s, CAP_TYPE_FD));
    ts = o.tok;
    CHECK_EXITED(peer_stop(&a), 0);
    int was_open = ut_fd_open((int)ut_tok_slot(ts));
    CHECK_ERRNO(cap_drop(ts), EBADF);
    CHECK_EQ(ut_fd_open((int)ut_tok_slot(ts)), was_open);
    CHECK_OK(cap_revoke_delegate(d));
    /* A pid is never reused in Keel, so "a stale cap for an earlier
     * process with the same pid" cannot be set up from user space; the
     * per-process generation seeds checked above are what protects it. */
    CHECK_EXITED(peer_stop(&b), 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(deleg_quota)
{
    DELEG_TEST_BEGIN(k0);
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d[DELEG_QUOTA], dx;
    int s[DELEG_QUOTA];
    CHECK_OK(fd_token(p[1], &t));
    for (int i = 0; i < DELEG_QUOTA; i++)
        CHECK_OK(cap_transfer(c.pid, t, W, &d[i], &s[i]));
    long n = pcount(&c);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &dx, NULL), ENOSPC);
    CHECK_EQ(pcount(&c), n);
    /* Revoking one gives its quota back. */
    CHECK_OK(cap_revoke_delegate(d[5]));
    CHECK_OK(cap_transfer(c.pid, t, W, &d[5], &s[5]));
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &dx, NULL), ENOSPC);
    /* So does dropping a handle, which leaves the copy in place. */
    CHECK_OK(cap_drop(d[7]));
    CHECK_OK(PC(&c, P_INFO, s[7], 0));
    CHECK_OK(PC(&c, P_CLOSE, s[7], 0));
    CHECK_OK(cap_transfer(c.pid, t, W, &d[7], &s[7]));
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &dx, NULL), ENOSPC);
    for (int i = 0; i < DELEG_QUOTA; i++)
        CHECK_OK(cap_revoke_delegate(d[i]));
    /* The receiver's table full: ENOSPC, until it closes one. */
    CHECK(PC(&c, P_FILL, 0, 0) > 0);
    CHECK_EQ(o.err, EMFILE);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &dx, NULL), ENOSPC);
    CHECK_EQ(PC(&c, P_UNFILL, 1, 0), 1);
    int sx = -1;
    CHECK_OK(cap_transfer(c.pid, t, W, &dx, &sx));
    CHECK_OK(PC(&c, P_INFO, sx, 0));
    CHECK_EQ(o.ci.delegated, 1);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &d[0], NULL), ENOSPC);
    CHECK_OK(cap_revoke_delegate(dx));
    CHECK(PC(&c, P_UNFILL, CAP_FD_SLOTS, 0) > 0);
    /* Our own table full (no slot for the handle): ENOSPC, and nothing
     * is left half-done in the receiver. */
    n = pcount(&c);
    static int mine[CAP_FD_SLOTS];
    int nm = 0, e = 0;
    while (nm < CAP_FD_SLOTS && (mine[nm] = dup(p[0])) >= 0)
        nm++;
    e = errno;
    errno = 0;
    int r = cap_transfer(c.pid, t, W, &dx, NULL);
    int re = errno;
    while (nm > 0)
        close(mine[--nm]);
    CHECK_EQ(e, EMFILE);
    CHECKF(r == -1 && re == ENOSPC, "transfer with our table full: %d %s", r,
           ut_errname(re));
    CHECK_EQ(pcount(&c), n);
    CHECK_OK(cap_transfer(c.pid, t, W, &dx, NULL)); /* recovered */
    CHECK_OK(cap_revoke_delegate(dx));
    CHECK_EXITED(peer_stop(&c), 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_KSTAT_BACK(k0);
}

TEST(deleg_exit_revokes_outstanding)
{
    DELEG_TEST_BEGIN(k0);
    struct peer a, b;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    CHECK_RC(peer_start(&b), 0);
    /* a gets a cap for b from us, then delegates its own pipe end to b. */
    cap_token_t tb, dab;
    CHECK_OK(cap_get_token(proc_handle(b.pid), CAP_TYPE_PROCESS, &tb));
    CHECK_OK(cap_transfer(a.pid, tb, R | W, &dab, NULL));
    CHECK_OK(PC(&a, P_PIPE, 0, 0));
    int a0 = o.slot, a1 = (int)o.tok;
    CHECK_OK(pcall(&a, &o, P_XFER, b.pid, a1, W, 0, NULL));
    int sb = o.slot;
    CHECK_OK(PC(&b, P_INFO, sb, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_FD);
    CHECK_EQ(o.ci.rights, W);
    CHECK_EQ(o.ci.delegated, 1);
    int sb2 = (int)PC(&b, P_DUP, sb, 0);
    CHECK(sb2 >= 0);
    CHECK_EQ(pcall(&b, &o, P_WRITE, sb2, 0, 0, 0, "from-b"), 6);
    CHECK_EQ(PC(&a, P_READ, a0, 6), 6);
    CHECK(!memcmp(o.data, "from-b", 6));
    /* a exits with the delegation outstanding: b's slots go with it. */
    CHECK_EXITED(peer_stop(&a), 0);
    CHECK_ERRNO(PC(&b, P_INFO, sb, 0), EBADF);
    CHECK_ERRNO(PC(&b, P_INFO, sb2, 0), EBADF);
    CHECK_ERRNO(pcall(&b, &o, P_WRITE, sb, 0, 0, 0, "x"), EBADF);
    CHECK_OK(cap_revoke_delegate(dab)); /* a is gone; still fine */
    CHECK_EXITED(peer_stop(&b), 0);
    CHECK_KSTAT_BACK(k0); /* a's pipe went with its last holder */
}

const struct utest ut_revoke_tests[] = {
    UT_CASE(deleg_revoke_reaches_copies),
    UT_CASE(deleg_revoke_after_close_drop_exit),
    UT_CASE(deleg_revoke_blocked_reader),
    UT_CASE(deleg_stale_tokens),
    UT_CASE(deleg_quota),
    UT_CASE(deleg_exit_revokes_outstanding),
    UT_END,
};
