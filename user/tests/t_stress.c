/*
 * SMP stress of the capability layer, bounded in iterations and in time.
 *
 * Three "stress-node" processes, each holding process caps for the other
 * two (handed out by the test with cap_transfer), run four threads each
 * (ut_stress.c):
 *  - two senders: cap_transfer of their own pipe end or /dev/null fd to
 *    the other nodes (A->B and B->A at once), then revoke in bursts;
 *    some transfers of /dev/null carry no rights and have their handle
 *    dropped instead (an unrevocable copy the receiver drops);
 *  - a receiver: finds delegated slots in its own table and writes
 *    through them, drops them, dup()s and dup2()s them, closes the copies,
 *    all racing with the senders' revokes;
 *  - a churn thread: get_token/drop loops and dup/close storms on its own
 *    fds, where nothing may fail but EMFILE.
 * Meanwhile a "stress-spawn" process spawns /bin/true from two threads,
 * kills some of the children and reaps them all, and a thread of the test
 * runs "stress-victim"s one after another: each gets process caps for the
 * nodes, delegates to them and exits (or is killed) with delegations
 * outstanding, so exit-time revocation races the receivers too.
 *
 * Every call must succeed or fail with an errno its race allows; every
 * call is counted and the total must reach MIN_OPS. A thread stops at its
 * iteration count or when the wall-clock budget runs out, whichever comes
 * first. Then, with every thread stopped: no node may hold a delegated fd
 * slot whose delegation was revoked (the revoke reached every copy), each
 * node's delegation quota must be exactly DELEG_QUOTA again, and after
 * all are reaped the kernel's pools are back where they started.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "ut_stress.h"

static const char *const st_names[ST_N] = {
    "transfers",        "ENOSPC",         "revokes", "uses of delegated slots",
    "lost to a revoke", "ambiguous dups", "spawns"};

static int node_start(struct peer *n, const char *mode)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, DEVNULL_FD, "/dev/null", O_RDWR, 0);
    int rc = ut_start_helper(n, mode, &fa);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Sends m to the first count nodes, then collects their answers. */
static int node_all(struct peer *n, int count, const struct smsg *m,
                    struct srep *r)
{
    for (int i = 0; i < count; i++)
        if (ut_write_full(n[i].cmd, &m[i], sizeof(m[i])) != (long)sizeof(m[i]))
            return -1;
    for (int i = 0; i < count; i++)
        if (ut_read_full(n[i].rep, &r[i], sizeof(r[i])) != (long)sizeof(r[i]) ||
            r[i].op != m[i].op)
            return -1;
    return 0;
}

/* The same command for the first count nodes. */
static int node_cmd(struct peer *n, int count, int op, uint64_t deadline,
                    struct srep *r)
{
    struct smsg m[NNODES + 1];
    memset(m, 0, sizeof(m));
    for (int i = 0; i < count; i++) {
        m[i].op = op;
        m[i].deadline = deadline;
    }
    return node_all(n, count, m, r);
}

struct stress {
    struct peer n[NNODES + 1]; /* the nodes, then the spawner */
    int started;
    cap_token_t pd[NNODES * (NNODES - 1)]; /* process caps we delegated */
    int npd;
    pthread_t victims;
    int victims_running, stop, nvictims;
};

/* One victim: it gets process caps for the nodes, delegates to them and
 * exits or is killed (every other one) while doing so. 0 or -1. */
static int run_victim(struct stress *x, unsigned i)
{
    struct peer v;
    struct smsg m = {.op = S_SETUP};
    cap_token_t t, d[NNODES];
    int nd = 0, rc = ut_start_helper(&v, "stress-victim", NULL);
    if (rc) {
        UT_FAIL("starting a victim: %s", ut_errname(rc));
        return -1;
    }
    for (int j = 0; j < NNODES; j++) {
        if (cap_get_token(proc_handle(x->n[j].pid), CAP_TYPE_PROCESS, &t) ==
                0 &&
            cap_transfer(v.pid, t, CAP_RIGHT_READ | W, &d[nd], NULL) == 0)
            nd++;
        m.peers[m.npeers++] = x->n[j].pid;
    }
    ut_write_full(v.cmd, &m, sizeof(m));
    if (i % 2) {
        ut_sleep_ms(i % 3);
        kill(v.pid, SIGKILL);
    }
    int st = ut_wait(v.pid);
    close(v.cmd);
    close(v.rep);
    for (int j = 0; j < nd; j++)
        if (cap_revoke_delegate(d[j]) < 0)
            UT_FAIL("revoking a victim's process cap: %s", ut_errname(errno));
    int ok = (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
             (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    if (nd != NNODES || !ok) {
        UT_FAIL("victim %d: %d process caps handed over, %s", (int)v.pid, nd,
                ut_status_str(st));
        return -1;
    }
    return 0;
}

/* The victims' thread: one after another until told to stop. */
static void *victims(void *arg)
{
    struct stress *x = arg;
    while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE) &&
           run_victim(x, (unsigned)x->nvictims) == 0)
        x->nvictims++;
    return NULL;
}

static void stress_phases(struct stress *x)
{
    struct peer *n = x->n;
    struct srep r[NNODES + 1];
    struct smsg m[NNODES];
    memset(m, 0, sizeof(m));
    ut_step("handing out process caps");
    for (int i = 0; i < NNODES; i++) {
        m[i].op = S_SETUP;
        for (int j = 0; j < NNODES; j++) {
            cap_token_t t;
            if (j == i)
                continue;
            CHECK_OK(
                cap_get_token(proc_handle(n[j].pid), CAP_TYPE_PROCESS, &t));
            CHECK_OK(cap_transfer(n[i].pid, t, CAP_RIGHT_READ | W,
                                  &x->pd[x->npd++], NULL));
            m[i].peers[m[i].npeers++] = n[j].pid;
        }
    }
    CHECK_OK(node_all(n, NNODES, m, r));
    for (int i = 0; i < NNODES; i++)
        CHECKF(!r[i].bad, "setup: %s", r[i].what);
    ut_step("running");
    uint64_t t0 = ut_now_ns();
    CHECK_RC(pthread_create(&x->victims, NULL, victims, x), 0);
    x->victims_running = 1;
    CHECK_OK(node_cmd(n, NNODES + 1, S_GO, t0 + BUDGET_NS, r));
    uint64_t t1 = ut_now_ns();
    __atomic_store_n(&x->stop, 1, __ATOMIC_RELEASE);
    pthread_join(x->victims, NULL);
    x->victims_running = 0;
    CHECK(!ut_failed());
    uint64_t total = 0, st[ST_N] = {0};
    for (int i = 0; i <= NNODES; i++) {
        total += r[i].ops;
        for (int k = 0; k < ST_N; k++)
            st[k] += r[i].stat[k];
        CHECKF(!r[i].bad, "%d bad result(s), the first: %s", r[i].bad,
               r[i].what);
    }
    printf("# stress: %llu cap operations in %llu ms (budget %llu s)",
           (unsigned long long)total, (unsigned long long)(t1 - t0) / 1000000,
           BUDGET_NS / 1000000000ull);
    for (int k = 0; k < ST_N; k++)
        printf(", %llu %s", (unsigned long long)st[k], st_names[k]);
    printf(", %d victims\n", x->nvictims);
    CHECKF(total >= MIN_OPS,
           "only %llu cap operations in the budget (at "
           "least %llu)",
           (unsigned long long)total, MIN_OPS);
    ut_step("checking the nodes");
    CHECK_OK(node_cmd(n, NNODES, S_CHECK, 0, r));
    for (int i = 0; i < NNODES; i++) {
        CHECKF(!r[i].bad, "check: %s", r[i].what);
        CHECKF(r[i].value == 0,
               "node %d still holds %ld delegated fd(s) after every "
               "delegation to it was revoked",
               (int)n[i].pid, r[i].value);
    }
    CHECK_OK(node_cmd(n, NNODES, S_QUOTA, 0, r));
    for (int i = 0; i < NNODES; i++) {
        CHECKF(!r[i].bad, "quota: %s", r[i].what);
        CHECKF(r[i].value == DELEG_QUOTA,
               "node %d: %ld transfers before ENOSPC, expected %d (quota "
               "count drifted)",
               (int)n[i].pid, r[i].value, DELEG_QUOTA);
    }
    ut_step("ending the nodes");
    CHECK_OK(node_cmd(n, NNODES + 1, S_EXIT, 0, r));
    for (int i = 0; i <= NNODES; i++) {
        close(n[i].cmd);
        close(n[i].rep);
        CHECK_EXITED(ut_wait(n[i].pid), 0);
    }
    x->started = 0;
}

TEST(stress_cap_smp)
{
    ut_revoke_all();
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    uintptr_t brk0 = (uintptr_t)sbrk(0);
    static struct stress x;
    memset(&x, 0, sizeof(x));
    ut_step("starting the nodes");
    for (; x.started <= NNODES; x.started++)
        if (node_start(&x.n[x.started],
                       x.started < NNODES ? "stress-node" : "stress-spawn"))
            break;
    if (x.started == NNODES + 1)
        stress_phases(&x);
    else
        UT_FAIL("starting stress node %d: %s", x.started, ut_errname(errno));
    /* After a failure: end whatever still runs, so nothing leaks on. */
    __atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
    if (x.victims_running)
        pthread_join(x.victims, NULL);
    for (int i = 0; i < x.started; i++) {
        kill(x.n[i].pid, SIGKILL);
        close(x.n[i].cmd);
        close(x.n[i].rep);
        ut_wait(x.n[i].pid);
    }
    for (int i = 0; i < x.npd; i++)
        CHECK_OK(cap_revoke_delegate(x.pd[i]));
    if (ut_failed())
        return;
    /* The leak check: the pools exactly; memory within our heap growth
     * (the nodes' memory is all given back at exit; ours may grow by the
     * heap pages stdio and the test took, which malloc never trims). */
    ut_kstat_settle(&k0, &k1);
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.threads_in_use, k0.threads_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
    CHECK_EQ(k1.pipes_in_use, k0.pipes_in_use);
    CHECK_EQ(k1.delegations_in_use, k0.delegations_in_use);
    long heap = (long)(((uintptr_t)sbrk(0) - brk0 + 4095) / 4096);
    long used = (long)k0.free_pages - (long)k1.free_pages;
    CHECKF(used <= heap + 2,
           "free pages %llu -> %llu: %ld not given back (heap grew %ld)",
           (unsigned long long)k0.free_pages, (unsigned long long)k1.free_pages,
           used, heap);
}

const struct utest ut_stress_tests[] = {
    UT_CASE(stress_cap_smp),
    UT_END,
};
