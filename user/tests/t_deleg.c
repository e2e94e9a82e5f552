/*
 * Delegation between processes, through the real stubs: cap_transfer
 * (rights only shrink, GRANT stripped, single hop, a process cap needed
 * for the destination), process caps (what having one, or not, allows),
 * process and thread caps as transferable objects, and spawn's
 * file-action edge cases. Revocation is in t_revoke.c.
 *
 * Most tests drive a "peer" (ut_peer.h): a utest child that makes the
 * calls the test sends it on its own table and reports the results.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ut_peer.h"

/* ---- transfer ---- */

TEST(deleg_transfer_pipe_end)
{
    ut_revoke_all();
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d = 0, d2 = 0;
    int slot = -1;
    CHECK_OK(fd_token(p[1], &t));
    CHECK_EQ(cap_transfer(c.pid, t, W, &d, &slot), 0);
    CHECK(slot >= 0 && slot < CAP_FD_SLOTS);
    CHECK_EQ(ut_tok_type(d), CAP_TYPE_DELEGATE);
    struct cap_info ci, src;
    CHECK_OK(cap_info((int)ut_tok_slot(d), &ci));
    CHECK_EQ(ci.type, CAP_TYPE_DELEGATE);
    /* Our end is untouched: GRANT kept, not delegated. */
    CHECK_OK(cap_info(p[1], &src));
    CHECK_EQ(src.rights, W | G);
    CHECK_EQ(src.delegated, 0);
    /* The receiver's slot: the rights given, no GRANT, delegated. */
    CHECK_OK(PC(&c, P_INFO, slot, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_FD);
    CHECK_EQ(o.ci.rights, W);
    CHECK_EQ(o.ci.delegated, 1);
    CHECK_EQ(o.ci.object, src.object); /* the same file */
    /* It works: the receiver writes, we read. */
    CHECK_EQ(pcall(&c, &o, P_WRITE, slot, 0, 0, 0, "via-deleg"), 9);
    char buf[16] = {0};
    CHECK_EQ(ut_read_full(p[0], buf, 9), 9);
    CHECK(!strcmp(buf, "via-deleg"));
    CHECK_ERRNO(PC(&c, P_READ, slot, 4), EBADF); /* no READ right */
    /* dst_slot may be NULL. */
    CHECK_OK(cap_transfer(c.pid, t, W, &d2, NULL));
    CHECK(d2 != d);
    CHECK_OK(cap_revoke_delegate(d2));
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(PC(&c, P_INFO, slot, 0), EBADF);
    CHECK_EXITED(peer_stop(&c), 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(deleg_rights_only_shrink)
{
    ut_revoke_all();
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    /* A grandchild first: a delegated fd (no GRANT) would block spawn. */
    pid_t g = (pid_t)PC(&c, P_SPAWN, 0, 0);
    CHECKF(g > 0, "peer spawn: %s", ut_errname(errno));
    int p[2];
    CHECK_OK(pipe(p));
    int plain = open("/dev/null", O_RDWR);
    CHECK(plain >= 0);
    cap_token_t t, tn, d = 0, d0 = 0;
    CHECK_OK(fd_token(p[1], &t));
    CHECK_OK(fd_token(plain, &tn));
    long before = pcount(&c);
    CHECK_ERRNO(cap_transfer(c.pid, t, R, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, t, R | W, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, t, W | G, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, t, G, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, t, 0x10, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, tn, R, &d, NULL), EACCES);
    CHECK_ERRNO(cap_transfer(c.pid, tn, 0, &d, NULL), EACCES);
    CHECK_ERRNO(
        cap_transfer(c.pid, t + (1ull << CAP_TOK_GEN_SHIFT), W, &d, NULL),
        EBADF);
    CHECK_ERRNO(cap_transfer(c.pid, t | (1ull << 50), W, &d, NULL), EBADF);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, NULL, NULL), EFAULT);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, &d, (int *)8), EFAULT);
    CHECK_ERRNO(cap_transfer(c.pid, t, W, (cap_token_t *)0x80200000ul, NULL),
                EFAULT);
    int q[2];
    CHECK_OK(pipe(q));
    cap_token_t stale;
    CHECK_OK(fd_token(q[1], &stale));
    CHECK_OK(close(q[1]));
    CHECK_OK(close(q[0]));
    CHECK_ERRNO(cap_transfer(c.pid, stale, W, &d, NULL), EBADF);
    CHECK_EQ(pcount(&c), before); /* none of that minted anything */
    /* No rights at all is a subset: the slot exists but does nothing. */
    int s0 = -1;
    CHECK_OK(cap_transfer(c.pid, t, 0, &d0, &s0));
    CHECK_OK(PC(&c, P_INFO, s0, 0));
    CHECK_EQ(o.ci.rights, 0);
    CHECK_ERRNO(pcall(&c, &o, P_WRITE, s0, 0, 0, 0, "x"), EBADF);
    /* A DELEGATE handle is not transferable. */
    CHECK_ERRNO(cap_transfer(c.pid, d0, 0, &d, NULL), EINVAL);
    CHECK_ERRNO(cap_transfer(c.pid, d0, R, &d, NULL), EINVAL);
    CHECK_OK(cap_revoke_delegate(d0));
    /* Single hop: the receiver cannot pass the cap on, not even to its
     * own child, nor back to us. */
    int s = -1;
    CHECK_OK(cap_transfer(c.pid, t, W, &d, &s));
    CHECK_ERRNO(pcall(&c, &o, P_XFER, g, s, W, 0, NULL), EACCES);
    CHECK_ERRNO(pcall(&c, &o, P_XFER, g, s, 0, 0, NULL), EACCES);
    CHECK_ERRNO(pcall(&c, &o, P_XFER, getpid(), s, W, 0, NULL), EACCES);
    /* And, holding an fd without GRANT, it cannot spawn either. */
    CHECK_ERRNO(PC(&c, P_SPAWN, 0, 0), EACCES);
    /* Its own pipe has GRANT: to its child it goes, to us it does not
     * (it holds no process cap for its parent). */
    CHECK_OK(PC(&c, P_PIPE, 0, 0));
    int cq0 = o.slot, cq1 = (int)o.tok;
    CHECK_ERRNO(pcall(&c, &o, P_XFER, getpid(), cq1, W, 0, NULL), EPERM);
    CHECK_OK(pcall(&c, &o, P_XFER, g, cq1, W, 0, NULL));
    CHECK_OK(pcall(&c, &o, P_REVOKE, 0, 0, 0, o.tok, NULL));
    CHECK_OK(PC(&c, P_CLOSE, cq0, 0));
    CHECK_OK(PC(&c, P_CLOSE, cq1, 0));
    CHECK_OK(PC(&c, P_KILL, g, SIGKILL));
    CHECK_EQ(PC(&c, P_WAIT, g, 0), g);
    CHECK_SIGNALED(o.slot, SIGKILL);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EXITED(peer_stop(&c), 0);
    CHECK_OK(close(plain));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(deleg_process_caps)
{
    ut_revoke_all();
    struct peer a, b;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    CHECK_RC(peer_start(&b), 0);
    int h = proc_handle(a.pid);
    CHECK(h >= 0);
    struct cap_info ci;
    CHECK_OK(cap_info(h, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_PROCESS);
    CHECK_EQ(ci.rights, CAP_RIGHTS_ALL);
    CHECK_EQ(ci.delegated, 0);
    CHECK_ERRNO(proc_handle(1), ESRCH);
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t, d;
    CHECK_OK(fd_token(p[1], &t));
    /* init exists, but we hold no cap for it; a huge pid does not. */
    CHECK_ERRNO(cap_transfer(1, t, W, &d, NULL), EPERM);
    CHECK_ERRNO(kill(1, 0), EPERM);
    CHECK_ERRNO(cap_transfer(1000000, t, W, &d, NULL), ESRCH);
    CHECK_ERRNO(kill(1000000, 0), ESRCH);
    /* Our grandchild: no cap either. */
    pid_t g = (pid_t)PC(&a, P_SPAWN, 0, 0);
    CHECKF(g > 0, "peer spawn: %s", ut_errname(errno));
    int st;
    CHECK_ERRNO(cap_transfer(g, t, W, &d, NULL), EPERM);
    CHECK_ERRNO(kill(g, 0), EPERM);
    CHECK_ERRNO(waitpid(g, &st, WNOHANG), EPERM);
    CHECK_ERRNO(proc_handle(g), ESRCH);
    /* Siblings hold nothing for each other. */
    CHECK_ERRNO(PC(&b, P_KILL, a.pid, 0), EPERM);
    CHECK_ERRNO(PC(&b, P_KILL, a.pid, SIGKILL), EPERM);
    CHECK_ERRNO(PC(&b, P_HANDLE, a.pid, 0), ESRCH);
    CHECK_OK(PC(&a, P_KILL, g, SIGKILL));
    CHECK_EQ(PC(&a, P_WAIT, g, 0), g);
    CHECK_SIGNALED(o.slot, SIGKILL);
    /* A zombie: the cap still names it, but it is no process to act on. */
    peer_end(&a, 5);
    CHECK_OK(ut_wait_zombie(a.pid));
    CHECK_EQ(proc_handle(a.pid), h);
    CHECK_ERRNO(kill(a.pid, 0), ESRCH);
    CHECK_ERRNO(cap_transfer(a.pid, t, W, &d, NULL), ESRCH);
    CHECK_EXITED(ut_wait(a.pid), 5);
    CHECK_ERRNO(proc_handle(a.pid), ESRCH);
    CHECK_ERRNO(kill(a.pid, 0), ESRCH);
    CHECK_ERRNO(waitpid(a.pid, &st, WNOHANG), ECHILD);
    /* Dropped cap: no kill, no transfer, no waitpid(pid); -1 still reaps. */
    int hb = proc_handle(b.pid);
    CHECK(hb >= 0);
    cap_token_t tb;
    CHECK_OK(cap_get_token(hb, CAP_TYPE_PROCESS, &tb));
    CHECK_OK(cap_drop(tb));
    CHECK_ERRNO(proc_handle(b.pid), ESRCH);
    CHECK_ERRNO(kill(b.pid, 0), EPERM);
    CHECK_ERRNO(cap_transfer(b.pid, t, W, &d, NULL), EPERM);
    CHECK_ERRNO(waitpid(b.pid, &st, WNOHANG), EPERM);
    peer_end(&b, 6);
    CHECK_EQ(waitpid(-1, &st, 0), b.pid);
    CHECK_EXITED(st, 6);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(deleg_process_cap_transfer)
{
    DELEG_TEST_BEGIN(k0);
    struct peer a, b;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    CHECK_RC(peer_start(&b), 0);
    cap_token_t tb, d;
    CHECK_OK(cap_get_token(proc_handle(b.pid), CAP_TYPE_PROCESS, &tb));
    int s = -1;
    CHECK_OK(cap_transfer(a.pid, tb, R | W | X, &d, &s));
    CHECK_OK(PC(&a, P_INFO, s, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_PROCESS);
    CHECK_EQ(o.ci.rights, R | W | X);
    CHECK_EQ(o.ci.delegated, 1);
    CHECK_EQ(PC(&a, P_HANDLE, b.pid, 0), s);
    /* a may use it, but not pass it on. */
    CHECK_ERRNO(pcall(&a, &o, P_XFER, b.pid, s, R, 0, NULL), EACCES);
    CHECK_OK(PC(&a, P_KILL, b.pid, 0));
    CHECK_ERRNO(PC(&a, P_WAIT, b.pid, WNOHANG), ECHILD); /* not a's child */
    CHECK_OK(PC(&a, P_KILL, b.pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(b.pid), SIGKILL);
    close(b.cmd);
    close(b.rep);
    /* We reaped b; a's cap now names a dead process. */
    CHECK_ERRNO(PC(&a, P_KILL, b.pid, 0), ESRCH);
    CHECK_EQ(PC(&a, P_HANDLE, b.pid, 0), s);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(PC(&a, P_INFO, s, 0), EBADF);
    CHECK_ERRNO(PC(&a, P_HANDLE, b.pid, 0), ESRCH);
    CHECK_EXITED(peer_stop(&a), 0);
    CHECK_KSTAT_BACK(k0); /* b's process struct went with the last cap */
}

TEST(deleg_process_cap_rights)
{
    ut_revoke_all();
    struct peer a, b;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    CHECK_RC(peer_start(&b), 0);
    cap_token_t tb, d;
    CHECK_OK(cap_get_token(proc_handle(b.pid), CAP_TYPE_PROCESS, &tb));
    /* READ only: a may wait (b is not its child: ECHILD) but not signal
     * or transfer into b. Rights on process caps mean something. */
    int s = -1;
    CHECK_OK(cap_transfer(a.pid, tb, R, &d, &s));
    CHECK_ERRNO(PC(&a, P_KILL, b.pid, 0), EPERM);
    CHECK_ERRNO(PC(&a, P_WAIT, b.pid, WNOHANG), ECHILD);
    CHECK_OK(cap_revoke_delegate(d));
    /* WRITE: signalling works. */
    CHECK_OK(cap_transfer(a.pid, tb, W, &d, &s));
    CHECK_OK(PC(&a, P_KILL, b.pid, 0));
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EXITED(peer_stop(&a), 0);
    CHECK_EXITED(peer_stop(&b), 0);
}

TEST(deleg_transfer_to_self)
{
    DELEG_TEST_BEGIN(k0);
    struct peer a;
    struct prep o;
    CHECK_RC(peer_start(&a), 0);
    /* With a process cap for itself, a can delegate to itself: the copy
     * is a new slot, attenuated and revocable like any other. */
    cap_token_t ta, d;
    CHECK_OK(cap_get_token(proc_handle(a.pid), CAP_TYPE_PROCESS, &ta));
    CHECK_OK(cap_transfer(a.pid, ta, R | W, &d, NULL));
    CHECK_OK(PC(&a, P_PIPE, 0, 0));
    int a1 = (int)o.tok;
    CHECK_OK(pcall(&a, &o, P_XFER, a.pid, a1, W, 0, NULL));
    int s = o.slot;
    cap_token_t ad = o.tok;
    CHECK(s != a1);
    CHECK_OK(PC(&a, P_INFO, s, 0));
    CHECK_EQ(o.ci.rights, W);
    CHECK_EQ(o.ci.delegated, 1);
    CHECK_OK(PC(&a, P_INFO, a1, 0));
    CHECK_EQ(o.ci.rights, W | G);
    CHECK_EQ(o.ci.delegated, 0);
    int s2 = (int)PC(&a, P_DUP, s, 0);
    CHECK(s2 >= 0);
    CHECK_OK(pcall(&a, &o, P_REVOKE, 0, 0, 0, ad, NULL));
    CHECK_ERRNO(PC(&a, P_INFO, s, 0), EBADF);
    CHECK_ERRNO(PC(&a, P_INFO, s2, 0), EBADF);
    CHECK_OK(PC(&a, P_INFO, a1, 0)); /* the source stays */
    /* Exiting with a delegation to itself outstanding. */
    CHECK_OK(pcall(&a, &o, P_XFER, a.pid, a1, W, 0, NULL));
    CHECK_EXITED(peer_stop(&a), 0);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_KSTAT_BACK(k0);
}

static void *gate_thread(void *arg)
{
    char ch;
    return (void *)read(*(int *)arg, &ch, 1);
}

TEST(deleg_thread_cap_transfer)
{
    ut_revoke_all();
    struct peer c;
    struct prep o;
    CHECK_RC(peer_start(&c), 0);
    struct keel_kstat k0;
    CHECK_OK(keel_kstat(&k0));
    int gate[2];
    CHECK_OK(pipe(gate));
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, gate_thread, &gate[0]), 0);
    int pol;
    struct sched_param sp;
    CHECK_RC(pthread_getschedparam(th, &pol, &sp), 0);
    cap_token_t tt, d, dm;
    CHECK_OK(cap_get_token((int)th, CAP_TYPE_THREAD, &tt));
    CHECK_EQ(ut_tok_type(tt), CAP_TYPE_THREAD);
    int s = -1, sm = -1;
    CHECK_OK(cap_transfer(c.pid, tt, R, &d, &s));
    CHECK_OK(PC(&c, P_INFO, s, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_THREAD);
    CHECK_EQ(o.ci.rights, R);
    CHECK_EQ(o.ci.delegated, 1);
    CHECK_OK(PC(&c, P_SCHED, s, 0)); /* it names our thread */
    CHECK_EQ(o.slot, sp.sched_priority);
    CHECK_ERRNO(PC(&c, P_DUP, s, 0), EBADF); /* and is no fd there */
    CHECK_ERRNO(pcall(&c, &o, P_WRITE, s, 0, 0, 0, "x"), EBADF);
    CHECK_ERRNO(pcall(&c, &o, P_XFER, getpid(), s, R, 0, NULL), EACCES);
    CHECK_EQ(write(gate[1], "g", 1), 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    /* The thread is gone; the receiver's cap names a dead thread. */
    CHECK_OK(PC(&c, P_INFO, s, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_THREAD);
    CHECK_ERRNO(PC(&c, P_SCHED, s, 0), ESRCH);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_ERRNO(PC(&c, P_INFO, s, 0), EBADF);
    /* Our main thread's cap goes too. */
    CHECK_OK(cap_get_token((int)pthread_self(), CAP_TYPE_THREAD, &tt));
    CHECK_OK(cap_transfer(c.pid, tt, R | W, &dm, &sm));
    CHECK_OK(PC(&c, P_SCHED, sm, 0));
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    CHECK_EQ(o.slot, sp.sched_priority);
    CHECK_OK(cap_revoke_delegate(dm));
    CHECK_OK(close(gate[0]));
    CHECK_OK(close(gate[1]));
    CHECK_KSTAT_BACK(k0); /* the dead thread went with the last cap */
    CHECK_EXITED(peer_stop(&c), 0);
}

/* ---- spawn file actions (t_spawn.c has the rest) ---- */

/* Runs utest fdinfo SPEC (t_spawn.c) with fa; its wait status, or -1. */
static int fdinfo_status(const posix_spawn_file_actions_t *fa, const char *spec,
                         int *rc)
{
    pid_t pid;
    *rc = ut_spawn_self(&pid, fa, NULL, "fdinfo", spec, NULL, NULL);
    return *rc ? -1 : ut_wait(pid);
}

TEST(spawn_zero_and_sixteen_open_actions)
{
    posix_spawn_file_actions_t fa;
    CHECK_RC(posix_spawn_file_actions_init(&fa), 0);
    int rc;
    int st = fdinfo_status(&fa, "0:r,1:w,2:w", &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    char spec[160] = "0:r,1:w,2:w";
    for (int i = 0; i < KEEL_SPAWN_ACTIONS_MAX; i++) {
        CHECK_RC(posix_spawn_file_actions_addopen(&fa, 3 + i, "/dev/null",
                                                  O_RDONLY, 0),
                 0);
        snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ",%d:rg",
                 3 + i);
    }
    st = fdinfo_status(&fa, spec, &rc);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0); /* each open action minted GRANT */
}

/* Spawns hello with fa; expects error e, no child and no leaked object. */
static int spawn_fails_cleanly(const posix_spawn_file_actions_t *fa, int e)
{
    struct keel_kstat k0, k1;
    keel_kstat(&k0);
    pid_t pid = -3;
    char *argv[] = {"/bin/hello", NULL};
    int rc = ut_spawn(&pid, "/bin/hello", fa, NULL, argv);
    int st;
    errno = 0;
    int w = waitpid(-1, &st, WNOHANG);
    int we = errno;
    keel_kstat(&k1);
    if (rc != e || pid != -3 || w != -1 || we != ECHILD) {
        UT_FAIL("spawn returned %d (%s), expected %s; waitpid(-1) %d %s", rc,
                ut_errname(rc), ut_errname(e), w, ut_errname(we));
        return -1;
    }
    if (k1.procs_in_use != k0.procs_in_use ||
        k1.threads_in_use != k0.threads_in_use ||
        k1.files_in_use != k0.files_in_use ||
        k1.pipes_in_use != k0.pipes_in_use) {
        UT_FAIL("failed spawn leaked: procs %u->%u threads %u->%u files "
                "%u->%u pipes %u->%u",
                k0.procs_in_use, k1.procs_in_use, k0.threads_in_use,
                k1.threads_in_use, k0.files_in_use, k1.files_in_use,
                k0.pipes_in_use, k1.pipes_in_use);
        return -1;
    }
    return 0;
}

TEST(spawn_bad_open_action_undoes_all)
{
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 3, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 4, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 5, "/ut_no_dir/f", O_RDONLY, 0);
    CHECK_OK(spawn_fails_cleanly(&fa, ENOENT));
    posix_spawn_file_actions_destroy(&fa);
    /* The last of 16 actions failing, after opens and a pipe dup2. */
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < KEEL_SPAWN_ACTIONS_MAX - 2; i++)
        posix_spawn_file_actions_addopen(&fa, 10 + i, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 40);
    posix_spawn_file_actions_addopen(&fa, 41, "/ut_missing", O_RDONLY, 0);
    CHECK_OK(spawn_fails_cleanly(&fa, ENOENT));
    posix_spawn_file_actions_destroy(&fa);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(spawn_parent_table_full)
{
    /* Everything but the parent's process cap for the child fits: the
     * child is loaded, then undone; nothing may be left behind. */
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    int p[2];
    CHECK_OK(pipe(p));
    static int fds[CAP_FD_SLOTS];
    int n = 0, e;
    while (n < CAP_FD_SLOTS && (fds[n] = dup(p[1])) >= 0)
        n++;
    e = errno;
    pid_t pid = -3;
    char *argv[] = {"/bin/true", NULL};
    int rc = ut_spawn(&pid, "/bin/true", NULL, NULL, argv);
    int st, w = waitpid(-1, &st, WNOHANG), we = errno;
    while (n > 0)
        close(fds[--n]);
    CHECK_EQ(e, EMFILE);
    CHECK_RC(rc, EMFILE);
    CHECK_EQ(pid, -3);
    CHECKF(w == -1 && we == ECHILD, "waitpid(-1): %d %s", w, ut_errname(we));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    ut_kstat_settle(&k0, &k1);
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.threads_in_use, k0.threads_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
    CHECK_EQ(k1.pipes_in_use, k0.pipes_in_use);
    CHECK_EQ(k1.free_pages, k0.free_pages);
}

const struct utest ut_deleg_tests[] = {
    UT_CASE(deleg_transfer_pipe_end),
    UT_CASE(deleg_rights_only_shrink),
    UT_CASE(deleg_process_caps),
    UT_CASE(deleg_process_cap_transfer),
    UT_CASE(deleg_process_cap_rights),
    UT_CASE(deleg_transfer_to_self),
    UT_CASE(deleg_thread_cap_transfer),
    UT_CASE(spawn_zero_and_sixteen_open_actions),
    UT_CASE(spawn_bad_open_action_undoes_all),
    UT_CASE(spawn_parent_table_full),
    UT_END,
};
