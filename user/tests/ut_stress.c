/*
 * The helper processes of the SMP capability stress (see t_stress.c):
 * "stress-node" (two senders, a receiver, a churn thread), "stress-spawn"
 * (two spawn/kill/reap threads) and "stress-victim" (a short-lived
 * delegator whose exit must revoke what it handed out).
 *
 * A node's own fds all have GRANT (pipes, /dev/null from an open action);
 * what arrives by cap_transfer never has. So a token without GRANT names
 * a delegated slot at one generation, and the receiver may drop it even
 * if a revoke races: the token cannot name anything else. Own fds are
 * only ever closed by the thread that made them; the receiver's dup2
 * copies go to slots >= PRIV_BASE, which lowest-free allocation never
 * reaches (the slot quota is lower), so no thread closes another's fd.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ut_stress.h"

static struct {
    int cmd, rep;
    int npeers;
    pid_t peers[NNODES];
    uint64_t deadline;
    uint64_t ops;
    uint64_t stat[ST_N];
    int senders; /* sender threads still running */
    int bad;
    char what[120];
} nd;

static int time_up(unsigned i)
{
    return (i % 32) == 0 && ut_now_ns() > nd.deadline;
}

/* The receiver and churn threads run as long as a sender does. */
static int senders_done(unsigned i)
{
    return __atomic_load_n(&nd.senders, __ATOMIC_ACQUIRE) == 0 || time_up(i);
}

static void bad(const char *what, long r, int e)
{
    if (__atomic_fetch_add(&nd.bad, 1, __ATOMIC_ACQ_REL) == 0)
        snprintf(nd.what, sizeof(nd.what), "pid %d: %s: returned %ld (%s)",
                 (int)getpid(), what, r, ut_errname(e));
}

/* r >= 0, or errno one of a1..a3 (0: none). Counts the call. */
static void expect(uint64_t *ops, long r, const char *what, int a1, int a2,
                   int a3)
{
    int e = errno;
    (*ops)++;
    if (r < 0 && !(e && (e == a1 || e == a2 || e == a3)))
        bad(what, r, e);
}

static void stat_add(int k, uint64_t n)
{
    __atomic_add_fetch(&nd.stat[k], n, __ATOMIC_RELAXED);
}

static int fixed_fd(int s)
{
    return s <= 2 || s == nd.cmd || s == nd.rep || s == DEVNULL_FD;
}

static void revoke_burst(uint64_t *ops, cap_token_t *out, int *n)
{
    for (int i = 0; i < *n; i++)
        expect(ops, cap_revoke_delegate(out[i]), "revoke", 0, 0, 0);
    stat_add(ST_REVOKED, (uint64_t)*n);
    if (*n)
        expect(ops,
               cap_revoke_delegate(out[0]) == -1 && errno == EBADF ? 0 : -1,
               "revoke twice (must be EBADF)", 0, 0, 0);
    *n = 0;
}

/* A fresh pipe whose read end is closed: writes to it give EPIPE and
 * never block. Returns the write end or -1. */
static int sink_pipe(uint64_t *ops)
{
    int p[2];
    long r = pipe(p);
    expect(ops, r, "sender pipe", EMFILE, 0, 0);
    if (r < 0)
        return -1;
    expect(ops, close(p[0]), "sender close", 0, 0, 0);
    return p[1];
}

static void *sender(void *arg)
{
    int k = (int)(intptr_t)arg;
    uint64_t ops = 0;
    cap_token_t out[SEND_KEEP];
    int nout = 0;
    int wfd = sink_pipe(&ops);
    for (unsigned i = 0; i < SEND_ITERS && !time_up(i); i++) {
        int src = (i & 1) || wfd < 0 ? DEVNULL_FD : wfd;
        cap_token_t t, d;
        long r = cap_get_token(src, CAP_TYPE_FD, &t);
        expect(&ops, r, "sender get_token", 0, 0, 0);
        pid_t dst = nd.peers[(i / 2 + (unsigned)k) % (unsigned)nd.npeers];
        /* No rights, handle dropped: a copy only the receiver can end.
         * Of /dev/null only, so such copies never pin pipes (the pool
         * has 64) while a busy receiver has not dropped them yet. */
        unsigned rights = src == DEVNULL_FD && i % 7 == 3 ? 0 : W;
        int slot = -1;
        r = cap_transfer(dst, t, rights, &d, &slot);
        expect(&ops, r, "transfer", ENOSPC, 0, 0);
        stat_add(r == 0 ? ST_XFER : ST_NOSPC, 1);
        if (r == 0 && rights == 0)
            expect(&ops, cap_drop(d), "drop delegate", 0, 0, 0);
        else if (r == 0)
            out[nout++] = d;
        if (nout == SEND_KEEP || (r < 0 && nout > 0))
            revoke_burst(&ops, out, &nout);
        if (r < 0)
            sched_yield(); /* a full receiver: let it drain */
        if (i % 64 == 63) {
            if (wfd >= 0)
                expect(&ops, close(wfd), "sender close", 0, 0, 0);
            wfd = sink_pipe(&ops);
        }
    }
    revoke_burst(&ops, out, &nout);
    if (wfd >= 0)
        expect(&ops, close(wfd), "sender close", 0, 0, 0);
    __atomic_sub_fetch(&nd.senders, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&nd.ops, ops, __ATOMIC_RELAXED);
    return NULL;
}

/* dup(s), keeping the copy's token; returns dup's result. */
static long recv_dup(uint64_t *ops, int s, cap_token_t *keep, int *nkeep)
{
    long d = dup(s);
    expect(ops, d, "recv dup", EBADF, EMFILE, 0);
    if (d < 0)
        return d;
    cap_token_t td;
    long r = cap_get_token((int)d, CAP_TYPE_FD, &td);
    /* EBADF/EINVAL: d was revoked already, and its slot is empty or was
     * reused by one of our DELEGATE handles. */
    expect(ops, r, "recv get_token of dup", EBADF, EINVAL, 0);
    if (r < 0)
        return d;
    if (ut_tok_rights(td) & G) {
        /* s had been revoked and reused by one of our own fds (or d was
         * revoked and reused): not safe to close, left to exit. */
        stat_add(ST_AMBIG, 1);
        return d;
    }
    if (*nkeep == RECV_KEEP) {
        expect(ops, cap_drop(keep[0]), "recv drop dup", EBADF, 0, 0);
        memmove(keep, keep + 1, sizeof(keep[0]) * (RECV_KEEP - 1));
        (*nkeep)--;
    }
    keep[(*nkeep)++] = td;
    return d;
}

static void *receiver(void *arg)
{
    uint64_t ops = 0;
    cap_token_t keep[RECV_KEEP];
    int nkeep = 0, s = 0;
    unsigned next = 0;
    char x = 'x';
    for (unsigned i = 0; i < RECV_ITERS && !senders_done(i); i++) {
        do
            s = (s + 1) % PRIV_BASE;
        while (fixed_fd(s));
        cap_token_t t;
        long r = cap_get_token(s, CAP_TYPE_FD, &t);
        expect(&ops, r, "recv get_token", EBADF, EINVAL, 0);
        if (r < 0 || (ut_tok_rights(t) & G))
            continue; /* empty, not an fd, or our own */
        struct cap_info ci;
        if (ut_tok_rights(t) == 0) {
            expect(&ops, cap_drop(t), "recv drop no-rights", EBADF, 0, 0);
            continue;
        }
        switch (i % 6) {
        case 0:
            r = write(s, &x, 1);
            expect(&ops, r, "recv write", EPIPE, EBADF, 0);
            break;
        case 1:
            r = cap_drop(t);
            expect(&ops, r, "recv drop", EBADF, 0, 0);
            break;
        case 2:
            r = recv_dup(&ops, s, keep, &nkeep);
            break;
        case 3:
            r = dup2(s, PRIV_BASE + (int)(next++ % NPRIV));
            expect(&ops, r, "recv dup2", EBADF, EMFILE, 0);
            break;
        case 4:
            r = cap_info(s, &ci);
            expect(&ops, r, "recv cap_info", EBADF, 0, 0);
            if (r == 0 && ci.type == CAP_TYPE_FD && !(ci.rights & G) &&
                !ci.delegated)
                bad("an fd without GRANT is not marked delegated", s, 0);
            break;
        case 5:
            r = close(PRIV_BASE + (int)(next % NPRIV));
            expect(&ops, r, "recv close dup2 copy", EBADF, 0, 0);
            r = 0;
            break;
        }
        stat_add(ST_USES, 1);
        if (r < 0 && errno == EBADF)
            stat_add(ST_RACED, 1); /* revoked between get_token and use */
    }
    for (int k = 0; k < nkeep; k++)
        expect(&ops, cap_drop(keep[k]), "recv drop dup", EBADF, 0, 0);
    for (int k = 0; k < NPRIV; k++)
        expect(&ops, close(PRIV_BASE + k), "recv close", EBADF, 0, 0);
    __atomic_add_fetch(&nd.ops, ops, __ATOMIC_RELAXED);
    return NULL;
}

static void *churn(void *arg)
{
    uint64_t ops = 0;
    struct cap_info dn;
    if (cap_info(DEVNULL_FD, &dn) < 0 || !(dn.rights & G))
        bad("no /dev/null with GRANT", DEVNULL_FD, errno);
    for (unsigned i = 0; i < CHURN_ITERS && !senders_done(i); i++) {
        long fd = dup(DEVNULL_FD);
        expect(&ops, fd, "churn dup", EMFILE, 0, 0);
        if (fd >= 0) {
            cap_token_t t;
            struct cap_info ci;
            expect(&ops, cap_get_token((int)fd, CAP_TYPE_FD, &t),
                   "churn get_token", 0, 0, 0);
            long r = cap_info((int)fd, &ci);
            expect(&ops, r, "churn cap_info", 0, 0, 0);
            if (r == 0 && (ci.rights != dn.rights || ci.delegated ||
                           ci.object != dn.object))
                bad("churn: our dup changed", (long)ci.rights, 0);
            if (i & 1)
                expect(&ops, cap_drop(t), "churn drop", 0, 0, 0);
            else
                expect(&ops, close((int)fd), "churn close", 0, 0, 0);
            r = cap_drop(t);
            expect(&ops, r == -1 && errno == EBADF ? 0 : -1,
                   "churn drop twice (must be EBADF)", 0, 0, 0);
        }
        if (i % 8 == 0) {
            int p[2], d[4], n = 0;
            long r = pipe(p);
            expect(&ops, r, "churn pipe", EMFILE, 0, 0);
            while (r == 0 && n < 4) {
                long x = dup(p[n & 1]);
                expect(&ops, x, "churn storm dup", EMFILE, 0, 0);
                if (x < 0)
                    break;
                d[n++] = (int)x;
            }
            while (n > 0)
                expect(&ops, close(d[--n]), "churn storm close", 0, 0, 0);
            if (r == 0) {
                expect(&ops, close(p[0]), "churn close", 0, 0, 0);
                expect(&ops, close(p[1]), "churn close", 0, 0, 0);
            }
        }
    }
    __atomic_add_fetch(&nd.ops, ops, __ATOMIC_RELAXED);
    return NULL;
}

static void *spawner(void *arg)
{
    uint64_t ops = 0;
    char *argv[] = {"/bin/true", NULL};
    for (unsigned i = 0; i < SPAWN_ITERS && !time_up(i); i++) {
        pid_t pid;
        int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, NULL);
        errno = rc;
        expect(&ops, rc ? -1 : 0, "spawn", 0, 0, 0);
        if (rc)
            continue;
        stat_add(ST_SPAWNS, 1);
        expect(&ops, proc_handle(pid), "proc_handle", 0, 0, 0);
        int killed = i % 4 == 0;
        if (killed)
            expect(&ops, kill(pid, SIGKILL), "kill", ESRCH, 0, 0);
        int st = 0;
        long r = waitpid(pid, &st, 0);
        expect(&ops, r == pid ? 0 : -1, "waitpid", 0, 0, 0);
        if (r == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
            !(killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
            bad("child status", st, 0);
        r = proc_handle(pid);
        expect(&ops, r == -1 && errno == ESRCH ? 0 : -1,
               "proc_handle after reap (must be ESRCH)", 0, 0, 0);
    }
    __atomic_add_fetch(&nd.ops, ops, __ATOMIC_RELAXED);
    return NULL;
}

/* CHECK: every revoked delegation is gone (copies included); the
 * no-rights copies whose handles were dropped are dropped now. */
static long check_no_delegated_left(void)
{
    long left = 0;
    for (int s = 0; s < CAP_FD_SLOTS; s++) {
        struct cap_info ci;
        cap_token_t t;
        if (cap_info(s, &ci) < 0 || ci.type != CAP_TYPE_FD || !ci.delegated)
            continue;
        if (ci.rights)
            left++;
        else if (cap_get_token(s, CAP_TYPE_FD, &t) < 0 || cap_drop(t) < 0)
            bad("dropping a no-rights copy", s, errno);
    }
    return left;
}

/* QUOTA: transfers until one fails (must be ENOSPC), then revokes all. */
static long check_quota(void)
{
    cap_token_t t, d[DELEG_QUOTA + 1];
    long n = 0;
    if (cap_get_token(DEVNULL_FD, CAP_TYPE_FD, &t) < 0)
        return -1;
    while (n <= DELEG_QUOTA &&
           cap_transfer(nd.peers[0], t, W, &d[n], NULL) == 0)
        n++;
    if (n <= DELEG_QUOTA && errno != ENOSPC)
        bad("quota probe", n, errno);
    for (long i = 0; i < n; i++)
        if (cap_revoke_delegate(d[i]) < 0)
            bad("quota probe revoke", i, errno);
    return n;
}

static int node_reply(int op, long value)
{
    struct srep r;
    memset(&r, 0, sizeof(r));
    r.op = op;
    r.bad = __atomic_load_n(&nd.bad, __ATOMIC_ACQUIRE);
    r.ops = nd.ops;
    r.value = value;
    memcpy(r.stat, nd.stat, sizeof(r.stat));
    memcpy(r.what, nd.what, sizeof(r.what));
    return ut_write_full(nd.rep, &r, sizeof(r)) == (long)sizeof(r) ? 0 : -1;
}

static void *(*const node_fns[])(void *) = {sender, sender, receiver, churn};
static void *(*const spawn_fns[])(void *) = {spawner, spawner};

/* stress-node CMD REP / stress-spawn CMD REP: see the top of the file. */
static int run_node(int argc, char **argv, void *(*const *fns)(void *),
                    int nfns)
{
    if (argc < 4)
        return 100;
    nd.cmd = atoi(argv[2]);
    nd.rep = atoi(argv[3]);
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (fd != DEVNULL_FD && ut_fd_open(fd))
            fcntl(fd, F_SETFD, FD_CLOEXEC); /* no GRANT: would block spawn */
    for (;;) {
        struct smsg m;
        if (ut_read_full(nd.cmd, &m, sizeof(m)) != (long)sizeof(m))
            return 3;
        long value = 0;
        pthread_t th[4];
        switch (m.op) {
        case S_SETUP:
            nd.npeers = m.npeers;
            memcpy(nd.peers, m.peers, sizeof(nd.peers));
            for (int i = 0; i < nd.npeers; i++)
                if (proc_handle(nd.peers[i]) < 0)
                    bad("no process cap for a peer", nd.peers[i], errno);
            break;
        case S_GO:
            nd.deadline = m.deadline;
            nd.senders = 2; /* node_fns; the spawner ignores it */
            for (int i = 0; i < nfns; i++)
                if (pthread_create(&th[i], NULL, fns[i], (void *)(intptr_t)i))
                    return 4;
            for (int i = 0; i < nfns; i++)
                pthread_join(th[i], NULL);
            break;
        case S_CHECK:
            value = check_no_delegated_left();
            break;
        case S_QUOTA:
            value = check_quota();
            break;
        }
        if (node_reply(m.op, value) < 0)
            return 5;
        if (m.op == S_EXIT)
            return nd.bad ? 1 : 0;
    }
}

/*
 * stress-victim CMD REP: gets the nodes' pids (S_SETUP, once we hold
 * process caps for them), then delegates its own pipe end to them,
 * revoking the oldest past VICTIM_KEEP, until VICTIM_ITERS transfers are
 * done or the test kills it. It never revokes the rest: its exit must,
 * racing with the nodes' receivers. Exits 0, or 10 + an unexpected errno
 * of a transfer or revoke (100 + errno: of setting up its pipe).
 */
static int mode_stress_victim(int argc, char **argv)
{
    struct smsg m;
    int p[2], n = 0;
    cap_token_t t, out[VICTIM_KEEP];
    if (argc < 4 ||
        ut_read_full(atoi(argv[2]), &m, sizeof(m)) != (long)sizeof(m) ||
        m.npeers < 1)
        return 3;
    if (pipe(p) < 0 || close(p[0]) < 0 ||
        cap_get_token(p[1], CAP_TYPE_FD, &t) < 0)
        return 100 + errno;
    for (int i = 0; i < VICTIM_ITERS; i++) {
        if (n == VICTIM_KEEP) {
            if (cap_revoke_delegate(out[0]) < 0)
                return 10 + errno;
            memmove(out, out + 1, sizeof(out[0]) * (VICTIM_KEEP - 1));
            n--;
        }
        if (cap_transfer(m.peers[i % m.npeers], t, W, &out[n], NULL) == 0)
            n++;
        else if (errno != ENOSPC)
            return 10 + errno;
    }
    return 0;
}

static int mode_stress_node(int argc, char **argv)
{
    return run_node(argc, argv, node_fns, 4);
}

static int mode_stress_spawn(int argc, char **argv)
{
    return run_node(argc, argv, spawn_fns, 2);
}

const struct ut_mode ut_stress_modes[] = {
    {"stress-node", mode_stress_node},
    {"stress-spawn", mode_stress_spawn},
    {"stress-victim", mode_stress_victim},
    UT_MODE_END,
};
