/*
 * Tree attacks on the shared pools (issue 6, item 6): a tree of q-hog
 * helpers under the test takes all it can of one pool; each helper must
 * get the precise errno, a probe outside the tree must still use every
 * pool, and every unit must come back to the test's account once the
 * tree is gone. Helper protocol and shared helpers: t_quota.c and
 * t_quota.h.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "t_quota.h"
#include "utest.h"

#define Q_FANOUT_MAX 20
/* Not a kernel pool index: the hog fills ramfs files (page pool). */
#define Q_FILE_PAGES KEEL_POOL_N

/* The errno a process gets once a pool's quota (or its own per-process
 * limit) is used up. */
static int q_expected_errno(int pool)
{
    switch (pool) {
    case KEEL_POOL_PROCS:
    case KEEL_POOL_THREADS:
        return EAGAIN;
    case KEEL_POOL_FILES:
    case KEEL_POOL_PIPES:
        return EMFILE;
    case KEEL_POOL_INODES:
    case KEEL_POOL_DELEGS:
    case Q_FILE_PAGES:
        return ENOSPC;
    default:
        return ENOMEM;
    }
}

/* ---- consuming one pool ---- */

static void q_file_name(char *buf, size_t n, int pool, int i)
{
    snprintf(buf, n, "/ut_q%d_%d_%d", pool, (int)getpid(), i);
}

/* Takes units of `pool` until the kernel says no; returns the errno it
 * said no with, *count the units taken. What was taken stays until the
 * process exits. `peer` is a live child to delegate to. */
static int q_consume(int pool, pid_t peer, int *count)
{
    static pthread_t th[CAP_THREAD_SLOTS];
    int n = 0, err = 0;
    errno = 0;
    switch (pool) {
    case KEEL_POOL_PROCS:
        /* Children that exit at once and are never reaped: zombies hold
         * their entries until this process goes. */
        for (;; n++) {
            pid_t pid;
            err = ut_spawn_self(&pid, NULL, NULL, "exit", "0", NULL, NULL);
            if (err)
                break;
        }
        break;
    case KEEL_POOL_THREADS:
        for (; n < CAP_THREAD_SLOTS; n++)
            if ((err = pthread_create(&th[n], NULL, q_sleeper, NULL)))
                break;
        break;
    case KEEL_POOL_FILES:
        for (;; n++)
            if (open("/dev/null", O_RDONLY) < 0) {
                err = errno;
                break;
            }
        break;
    case KEEL_POOL_PIPES:
        for (;; n++) {
            int p[2];
            if (pipe(p) < 0) {
                err = errno;
                break;
            }
        }
        break;
    case KEEL_POOL_DELEGS: {
        /* The peer's own process cap (spawn mints it with GRANT) goes to
         * the peer, again and again: no pipe or file needed. */
        cap_token_t t, d;
        int slot = proc_handle(peer);
        if (slot < 0 || cap_get_token(slot, CAP_TYPE_PROCESS, &t) < 0)
            return -1;
        for (;; n++)
            if (cap_transfer(peer, t, CAP_RIGHT_READ, &d, NULL) < 0) {
                err = errno;
                break;
            }
        break;
    }
    case KEEL_POOL_PAGES:
        for (;; n += 16)
            if (sbrk(16 * 4096) == (void *)-1) {
                err = errno;
                break;
            }
        break;
    case KEEL_POOL_INODES:
        for (;; n++) {
            char path[32];
            q_file_name(path, sizeof(path), pool, n);
            int fd = open(path, O_CREAT | O_WRONLY);
            if (fd < 0) {
                err = errno;
                break;
            }
            close(fd);
        }
        break;
    case Q_FILE_PAGES:
        for (;; n++) {
            char path[32];
            q_file_name(path, sizeof(path), pool, n);
            if ((err = q_fill_file(path)) != 0) {
                n++;
                break;
            }
        }
        break;
    }
    *count = n;
    return err;
}

/*
 * q-hog POOL DEPTH FANOUT: starts FANOUT q-hog children one level
 * deeper (when DEPTH > 0), then takes all of POOL it can itself. Reports
 * 0 when every process of its subtree got exactly the expected errno,
 * else the first wrong errno (negative: a helper failed). On EOF it ends
 * its children, waits for them and exits.
 */
static int mode_q_hog(int argc, char **argv)
{
    q_child_init();
    if (argc < 5)
        return 2;
    int pool = atoi(argv[2]), depth = atoi(argv[3]), fan = atoi(argv[4]);
    int cmd[Q_FANOUT_MAX], rep[Q_FANOUT_MAX];
    pid_t kid[Q_FANOUT_MAX];
    int nk = 0, bad = 0;
    char d[12];
    snprintf(d, sizeof(d), "%d", depth - 1);
    for (int i = 0; depth > 0 && i < fan && i < Q_FANOUT_MAX; i++) {
        int rc = ut_spawn_cmd(&kid[nk], &cmd[nk], &rep[nk], "q-hog", argv[2], d,
                              argv[4]);
        if (rc) {
            /* Building the tree may run out of processes or of the pool
             * the tree attacks (a child's main thread, its pages), or of
             * the pipes the helpers talk through (EMFILE) when the test
             * runs deeper in the process tree, each level with 3/4 of its
             * parent's limits (utest typed at the shell's prompt). */
            int pages = pool == KEEL_POOL_PAGES || pool == Q_FILE_PAGES;
            if (!bad && rc != q_expected_errno(pool) &&
                !(pages && rc == ENOMEM) && rc != EMFILE)
                bad = -rc;
            break;
        }
        int r = q_read_report(rep[nk]);
        if (!bad && r)
            bad = r;
        nk++;
    }
    pid_t peer = 0;
    if (pool == KEEL_POOL_DELEGS && (peer = q_spawn_sleeper()) < 0)
        peer = 0;
    int n = 0;
    int e =
        (pool == KEEL_POOL_DELEGS && !peer) ? -1 : q_consume(pool, peer, &n);
    if (!bad && e != q_expected_errno(pool))
        bad = e > 0 ? e : -2;
    if (q_report(bad) < 0)
        return 3;
    q_wait_eof();
    for (int i = 0; i < n && (pool == KEEL_POOL_INODES || pool == Q_FILE_PAGES);
         i++) {
        char path[32];
        q_file_name(path, sizeof(path), pool, i);
        unlink(path);
    }
    for (int i = 0; i < nk; i++)
        close(cmd[i]);
    if (peer)
        kill(peer, SIGKILL);
    q_stop = 1;
    for (int i = 0; i < nk; i++)
        ut_wait(kid[i]);
    if (peer)
        ut_wait(peer);
    return 0;
}

const struct ut_mode ut_quota_tree_modes[] = {
    {"q-hog", mode_q_hog},
    UT_MODE_END,
};

/* ---- tests ---- */

/* The tree attack on one pool: a hog tree of DEPTH 1 and FANOUT under
 * the test, then the probe beside it. */
static void q_tree_attack(int pool, int fanout)
{
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    char ps[8], fs[8];
    snprintf(ps, sizeof(ps), "%d", pool);
    snprintf(fs, sizeof(fs), "%d", fanout);
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-hog", ps, "1", fs), 0);
    int r = q_read_report(rep);
    int probe = q_run_probe();
    close(cmd);
    close(rep);
    int st = ut_wait(pid);
    CHECKF(r == 0, "pool %d: a hog got %d (%s), expected %s", pool, r,
           ut_errname(r > 0 ? r : 0), ut_errname(q_expected_errno(pool)));
    CHECKF(probe == 0,
           "pool %d: the probe outside the tree failed at step %d "
           "with %s",
           pool, probe / 1000, ut_errname(probe % 1000));
    CHECK_EXITED(st, 0);
    CHECKF(q_settle(&q0, &q1) == 0,
           "the tree's charges did not come back: procs %lu/%lu threads "
           "%lu/%lu files %lu/%lu pipes %lu/%lu inodes %lu/%lu delegs %lu/%lu",
           (unsigned long)q1.used[0], (unsigned long)q0.used[0],
           (unsigned long)q1.used[1], (unsigned long)q0.used[1],
           (unsigned long)q1.used[2], (unsigned long)q0.used[2],
           (unsigned long)q1.used[3], (unsigned long)q0.used[3],
           (unsigned long)q1.used[4], (unsigned long)q0.used[4],
           (unsigned long)q1.used[5], (unsigned long)q0.used[5]);
    /* Pages: ours may have grown a little (stdio, file actions). */
    CHECKF(q1.used[KEEL_POOL_PAGES] <= q0.used[KEEL_POOL_PAGES] + 16,
           "pages charged to us: %lu, %lu before the tree",
           (unsigned long)q1.used[KEEL_POOL_PAGES],
           (unsigned long)q0.used[KEEL_POOL_PAGES]);
}

TEST(quota_tree_procs)
{
    q_tree_attack(KEEL_POOL_PROCS, 2);
}

TEST(quota_tree_threads)
{
    q_tree_attack(KEEL_POOL_THREADS, 8);
}

TEST(quota_tree_files)
{
    q_tree_attack(KEEL_POOL_FILES, 7);
}

TEST(quota_tree_pipes)
{
    q_tree_attack(KEEL_POOL_PIPES, 3);
}

TEST(quota_tree_delegations)
{
    q_tree_attack(KEEL_POOL_DELEGS, 16);
}

TEST(quota_tree_pages)
{
    /* Each hog grows its heap until ENOMEM: together they could take
     * every free page, but the tree stops at its limit. */
    q_tree_attack(KEEL_POOL_PAGES, 3);
}

TEST(quota_tree_inodes)
{
    q_tree_attack(KEEL_POOL_INODES, 2);
}

TEST(quota_tree_file_pages)
{
    /* Each hog fills ramfs files until ENOSPC. */
    q_tree_attack(Q_FILE_PAGES, 3);
}

const struct utest ut_quota_tree_tests[] = {
    UT_CASE(quota_tree_procs),
    UT_CASE(quota_tree_threads),
    UT_CASE(quota_tree_files),
    UT_CASE(quota_tree_pipes),
    UT_CASE(quota_tree_delegations),
    UT_CASE(quota_tree_pages),
    UT_CASE(quota_tree_inodes),
    UT_CASE(quota_tree_file_pages),
    UT_END,
};
