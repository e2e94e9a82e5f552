/*
 * Hierarchical quotas (issue 6, item 6): no process and no tree of
 * processes can exhaust a shared pool. Each test builds the reported
 * attack as a tree of helper processes under the test, checks the
 * precise errno the attackers get, then checks that a process outside
 * that tree can still spawn and use every pool, and that every unit
 * comes back to the test's own account (keel_quota_info) once the tree
 * is gone.
 *
 * Helper protocol: a helper's fd 0 is the read end of a pipe from its
 * parent (EOF: clean up and exit), fd 1 the write end of a report pipe
 * (one int per report).
 *
 * This file: the accounts (quota_info), the spawn race, cap-pinned
 * processes and threads, a ramfs filled by a process that exits, and
 * the helpers both quota files use (t_quota.h). t_quota_tree.c: the
 * tree attacks on each pool.
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

int q_report(int v)
{
    return write(1, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

/* One int from a helper, or -1000 - errno when it sent none. */
int q_read_report(int fd)
{
    int v;
    long n = ut_read_full(fd, &v, sizeof(v));
    return n == sizeof(v) ? v : -1000 - (n < 0 ? errno : 0);
}

/* A helper's inherited fds carry no GRANT: close-on-exec keeps them out
 * of its own children (spawn would refuse them with EACCES). */
void q_child_init(void)
{
    for (int fd = 0; fd < 3; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void q_wait_eof(void)
{
    char c;
    while (read(0, &c, 1) > 0)
        ;
}

/* ---- shared by the helpers ---- */

volatile int q_stop;

void *q_sleeper(void *arg)
{
    while (!q_stop)
        ut_sleep_ms(20);
    return arg;
}

/* Writes path up to 2 MiB (the most a file holds): 0 when all went in,
 * else the errno of the failing open or write (the file stays). */
int q_fill_file(const char *path)
{
    static char chunk[64 * 1024];
    memset(chunk, 'q', sizeof(chunk));
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY);
    if (fd < 0)
        return errno;
    int err = 0;
    long total = 0;
    while (total < 2 * 1024 * 1024 && !err) {
        /* A write cut short by the quota is followed by one that fails. */
        errno = 0;
        long n = write(fd, chunk, sizeof(chunk) - (size_t)(total % 65536));
        if (n > 0)
            total += n;
        else
            err = n < 0 ? errno : -1;
    }
    close(fd);
    return err;
}

/* q-idle: waits for EOF on fd 0, then exits 0. q-idle k: has no fds
 * and sleeps until killed (exits 42 after ~30 s). */
static int mode_q_idle(int argc, char **argv)
{
    if (argc > 2) {
        for (int i = 0; i < 600; i++)
            ut_sleep_ms(50);
        return 42;
    }
    q_wait_eof();
    return 0;
}

/* A q-idle k child (no fds at all): its pid or -1 with errno. */
pid_t q_spawn_sleeper(void)
{
    pid_t pid;
    int rc = ut_spawn_self(&pid, NULL, NULL, "q-idle", "k", NULL, NULL);
    errno = rc;
    return rc ? -1 : pid;
}

/* q-probe: uses one unit of every pool (spawn, open, pipe, thread,
 * delegation, heap pages, a file and a file page) and reports 0, or the
 * failing step * 1000 + errno. */
static int mode_q_probe(int argc, char **argv)
{
    q_child_init();
    pid_t pid;
    int step = 0, rc = 0;
    int cmd = -1, rep = -1;
    if ((rc = ut_spawn_cmd(&pid, &cmd, &rep, "q-idle", NULL, NULL, NULL)))
        goto out;
    step = 1;
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0)
        goto fail;
    step = 2;
    int p[2];
    if (pipe(p) < 0)
        goto fail;
    step = 3;
    pthread_t th;
    q_stop = 1;
    if ((rc = pthread_create(&th, NULL, q_sleeper, NULL)))
        goto out;
    pthread_join(th, NULL);
    step = 4;
    cap_token_t t, dtok;
    if (cap_get_token(p[0], CAP_TYPE_FD, &t) < 0 ||
        cap_transfer(pid, t, CAP_RIGHT_READ, &dtok, NULL) < 0)
        goto fail;
    step = 5;
    if (sbrk(64 * 4096) == (void *)-1)
        goto fail;
    step = 6;
    char path[32];
    snprintf(path, sizeof(path), "/ut_qprobe%d", (int)getpid());
    int f = open(path, O_CREAT | O_WRONLY);
    if (f < 0)
        goto fail;
    static char page[4096];
    long w = write(f, page, sizeof(page));
    int we = errno;
    close(f);
    unlink(path);
    if (w != (long)sizeof(page)) {
        errno = we;
        goto fail;
    }
    step = 0;
    close(cmd);
    if (ut_wait(pid) < 0)
        goto fail;
    return q_report(0) < 0 ? 3 : 0;
fail:
    rc = errno;
out:
    q_report(step * 1000 + rc);
    return 0;
}

/* q-race N: N threads spawn zombie children at once until each is told
 * EAGAIN. Reports the number spawned, then this process's procs limit,
 * then the number of threads that ended on another errno. */
static volatile int q_race_go, q_race_bad;
static int q_race_count;

static void *q_race_thread(void *arg)
{
    while (!q_race_go)
        ;
    int pressure = 0;
    for (;;) {
        pid_t pid;
        int rc = ut_spawn_self(&pid, NULL, NULL, "exit", "0", NULL, NULL);
        /* Pages run out first while many children have not yet run to
         * their exit (spawns are preemptible, so on one hart several are
         * in flight): ENOMEM passes once they have. Only the process
         * limit may end the race. */
        if (rc == ENOMEM && ++pressure < 5000) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (rc) {
            if (rc != EAGAIN)
                __atomic_add_fetch(&q_race_bad, 1, __ATOMIC_RELAXED);
            break;
        }
        __atomic_add_fetch(&q_race_count, 1, __ATOMIC_RELAXED);
    }
    return arg;
}

static int mode_q_race(int argc, char **argv)
{
    q_child_init();
    int n = argc > 2 ? atoi(argv[2]) : 8;
    pthread_t th[8];
    if (n > 8)
        n = 8;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, q_race_thread, NULL))
            return 3;
    q_race_go = 1;
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    struct keel_quota q;
    if (keel_quota_info(0, &q) < 0)
        return 4;
    q_report(q_race_count);
    q_report((int)q.limit[KEEL_POOL_PROCS]);
    q_report((int)q.used[KEEL_POOL_PROCS]);
    q_report(q_race_bad);
    q_wait_eof();
    return 0;
}

/*
 * q-pin: makes children that are reaped at once but stay allocated
 * because a process cap for each was handed to a holder process (and the
 * delegation dropped, so no delegation quota stops it). Reports how many
 * it made and the errno that stopped it.
 */
static int mode_q_pin(int argc, char **argv)
{
    q_child_init();
    pid_t holder[2];
    int hcmd[2], hrep[2];
    for (int i = 0; i < 2; i++)
        if (ut_spawn_cmd(&holder[i], &hcmd[i], &hrep[i], "q-idle", NULL, NULL,
                         NULL))
            return 3;
    int n = 0, err = 0;
    for (;; n++) {
        pid_t pid;
        err = ut_spawn_self(&pid, NULL, NULL, "exit", "0", NULL, NULL);
        if (err)
            break;
        cap_token_t t, d;
        int slot = proc_handle(pid);
        if (slot < 0 || cap_get_token(slot, CAP_TYPE_PROCESS, &t) < 0 ||
            cap_transfer(holder[n % 2], t, CAP_RIGHT_READ, &d, NULL) < 0 ||
            cap_drop(d) < 0) {
            err = -errno;
            break;
        }
        if (ut_wait(pid) < 0) {
            err = -1000;
            break;
        }
    }
    q_report(n);
    q_report(err);
    q_wait_eof();
    for (int i = 0; i < 2; i++) {
        close(hcmd[i]);
        ut_wait(holder[i]);
    }
    return 0;
}

/* q-fill: fills ramfs files /ut_qf0, /ut_qf1, ... (2 MiB each, the most
 * a file holds) until the kernel says no. Reports the number of files
 * it made, the errno that stopped it, and its own pages limit; exits at
 * once, leaving the files. */
static int mode_q_fill(int argc, char **argv)
{
    int nfiles = 0, err = 0;
    for (; !err; nfiles++) {
        char path[32];
        snprintf(path, sizeof(path), "/ut_qf%d", nfiles);
        err = q_fill_file(path);
    }
    struct keel_quota q;
    keel_quota_info(0, &q);
    q_report(nfiles);
    q_report(err);
    q_report((int)q.limit[KEEL_POOL_PAGES]);
    return 0;
}

static volatile int q_tpin_go;

/* Waits until its cap was handed on (an exited thread's slot is empty). */
static void *q_return(void *arg)
{
    while (!q_tpin_go)
        sched_yield();
    return arg;
}

/*
 * q-tpin: makes threads that exit and are joined at once but stay
 * allocated because their thread cap was handed to one of four holder
 * processes (the delegation dropped). Reports how many it made, the errno that
 * stopped it, and its threads limit.
 */
static int mode_q_tpin(int argc, char **argv)
{
    q_child_init();
    /* Four holders have room for more thread caps than the whole thread
     * pool. */
    pid_t holder[4];
    for (int i = 0; i < 4; i++)
        if ((holder[i] = q_spawn_sleeper()) < 0)
            return 3;
    int n = 0, err = 0;
    for (;; n++) {
        pthread_t th;
        q_tpin_go = 0;
        if ((err = pthread_create(&th, NULL, q_return, NULL)))
            break;
        cap_token_t t, d;
        if (cap_get_token((int)th, CAP_TYPE_THREAD, &t) < 0 ||
            cap_transfer(holder[n % 4], t, CAP_RIGHT_READ, &d, NULL) < 0 ||
            cap_drop(d) < 0) {
            err = -errno;
            q_tpin_go = 1;
            pthread_join(th, NULL);
            break;
        }
        q_tpin_go = 1;
        pthread_join(th, NULL);
    }
    struct keel_quota q;
    keel_quota_info(0, &q);
    q_report(n);
    q_report(err);
    q_report((int)q.limit[KEEL_POOL_THREADS]);
    q_wait_eof();
    for (int i = 0; i < 4; i++) {
        kill(holder[i], SIGKILL);
        ut_wait(holder[i]);
    }
    return 0;
}

const struct ut_mode ut_quota_modes[] = {
    {"q-tpin", mode_q_tpin},
    {"q-fill", mode_q_fill},
    {"q-idle", mode_q_idle},
    {"q-probe", mode_q_probe},
    {"q-race", mode_q_race},
    {"q-pin", mode_q_pin},
    UT_MODE_END,
};

/* ---- helpers for the tests ---- */

/* Waits (bounded, ~4 s) until this process's account is back at *want
 * in every pool but pages (*got: the last sample); 0 when it is. */
int q_settle(const struct keel_quota *want, struct keel_quota *got)
{
    for (int i = 0; i < 400; i++) {
        /* Exited threads uncharge once off their hart: no thread
         * exiting first (any time), then the quota. */
        struct keel_kstat k;
        ut_kstat_exits_done(&k); /* without a system cap: polls only */
        if (keel_quota_info(0, got) < 0)
            return -1;
        int same = 1;
        for (int p = 0; p < KEEL_POOL_N; p++)
            if (p != KEEL_POOL_PAGES && got->used[p] != want->used[p])
                same = 0;
        if (same)
            return 0;
        ut_sleep_ms(10);
    }
    return -1;
}

/* The probe, run outside the attacking tree: 0 when it could use every
 * pool. */
int q_run_probe(void)
{
    pid_t pid;
    int cmd, rep;
    int rc = ut_spawn_cmd(&pid, &cmd, &rep, "q-probe", NULL, NULL, NULL);
    if (rc)
        return -rc;
    int r = q_read_report(rep);
    close(cmd);
    close(rep);
    ut_wait(pid);
    return r;
}

/* ---- tests ---- */

TEST(quota_info_self_and_child)
{
    struct keel_quota q, c;
    CHECK_OK(keel_quota_info(0, &q));
    for (int p = 0; p < KEEL_POOL_N; p++)
        CHECKF(q.used[p] <= q.limit[p], "pool %d: used %lu above limit %lu", p,
               (unsigned long)q.used[p], (unsigned long)q.limit[p]);
    CHECK(q.used[KEEL_POOL_THREADS] >= 1); /* this thread */
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-idle", NULL, NULL, NULL), 0);
    int r = keel_quota_info(pid, &c);
    int e = errno;
    struct keel_quota q2;
    int r2 = keel_quota_info(0, &q2);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(r == 0, "quota_info of a child: %s", ut_errname(e));
    CHECK_OK(r2);
    /* The child's limit is 3/4 of ours; it and its thread are charged
     * to us. */
    for (int p = 0; p < KEEL_POOL_N; p++)
        CHECK_EQ(c.limit[p], q.limit[p] * 3 / 4);
    CHECK_EQ(c.used[KEEL_POOL_THREADS], 1);
    CHECK_EQ(q2.used[KEEL_POOL_PROCS], q.used[KEEL_POOL_PROCS] + 1);
    CHECK(q2.used[KEEL_POOL_THREADS] >= q.used[KEEL_POOL_THREADS] + 1);
    /* No cap for it any more (reaped): ESRCH; never had one: EPERM. */
    CHECK_ERRNO(keel_quota_info(pid, &c), ESRCH);
    CHECK_ERRNO(keel_quota_info(1, &c), EPERM);
    CHECK_ERRNO(keel_quota_info(0, (struct keel_quota *)8), EFAULT);
}

TEST(quota_spawn_race_exact)
{
    /* 8 threads of one process spawn at once: together they get exactly
     * the process's limit, never more, and each ends on EAGAIN. */
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-race", "8", NULL, NULL), 0);
    int n = q_read_report(rep), limit = q_read_report(rep);
    int used = q_read_report(rep), bad = q_read_report(rep);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(limit == (int)(q0.limit[KEEL_POOL_PROCS] * 3 / 4), "child limit %d",
           limit);
    CHECKF(n == limit && used == limit,
           "8 racing threads spawned %d children (account says %d), limit "
           "%d",
           n, used, limit);
    CHECK_EQ(bad, 0);
    CHECK(q_settle(&q0, &q1) == 0);
}

TEST(quota_cap_pinned_reaped_children)
{
    /* Reaped children pinned by process caps in holders stay charged to
     * their creator: it is stopped at its limit (EAGAIN), and the pool
     * keeps room for everyone else. */
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-pin", NULL, NULL, NULL), 0);
    int n = q_read_report(rep), err = q_read_report(rep);
    pid_t other;
    int rc = ut_spawn_self(&other, NULL, NULL, "exit", "5", NULL, NULL);
    int st = rc ? 0 : ut_wait(other);
    int probe = q_run_probe();
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    int limit = (int)(q0.limit[KEEL_POOL_PROCS] * 3 / 4);
    CHECKF(err == EAGAIN, "pinning stopped with %d (%s) after %d", err,
           ut_errname(err > 0 ? err : 0), n);
    /* The two holders count too. */
    CHECKF(n == limit - 2, "%d pinned children, limit %d", n, limit);
    CHECKF(rc == 0, "spawn beside the pinning tree: %s", ut_errname(rc));
    CHECK_EXITED(st, 5);
    CHECKF(probe == 0, "probe failed at step %d with %s", probe / 1000,
           ut_errname(probe % 1000));
    CHECK(q_settle(&q0, &q1) == 0);
}

TEST(quota_cap_pinned_exited_threads)
{
    /* Exited, joined threads whose thread caps sit in a holder stay
     * allocated: they stay charged to their process, which is stopped at
     * its limit (EAGAIN) while the thread pool keeps room for others. */
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-tpin", NULL, NULL, NULL), 0);
    int n = q_read_report(rep), err = q_read_report(rep);
    int limit = q_read_report(rep);
    int probe = q_run_probe();
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(err == EAGAIN, "pinning threads stopped with %d (%s) after %d", err,
           ut_errname(err > 0 ? err : 0), n);
    CHECK_EQ(limit, q0.limit[KEEL_POOL_THREADS] * 3 / 4);
    /* Its main thread and the four holders' are charged too. */
    CHECKF(n == limit - 5, "%d pinned threads, limit %d", n, limit);
    CHECKF(probe == 0, "probe failed at step %d with %s", probe / 1000,
           ut_errname(probe % 1000));
    CHECK(q_settle(&q0, &q1) == 0);
}

TEST(quota_ramfs_fill_and_exit)
{
    /* A child fills the ramfs and exits. Its files stay, charged to its
     * creator (us) from then on: the child could take only its limit (3/4
     * of ours), so we and others can still spawn and use every pool; and
     * removing the files gives their inodes and pages back. */
    struct keel_quota q0, q1, q2;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "q-fill", NULL, NULL, NULL), 0);
    int nfiles = q_read_report(rep), err = q_read_report(rep);
    int limit = q_read_report(rep);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    int probe = q_run_probe();
    q_settle(&q0, &q1); /* threads and procs back; files stay */
    CHECK_OK(keel_quota_info(0, &q1));
    for (int i = 0; i < nfiles; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/ut_qf%d", i);
        unlink(path);
    }
    CHECK_OK(keel_quota_info(0, &q2));
    CHECKF(err == ENOSPC, "filling stopped with %d (%s) after %d files", err,
           ut_errname(err > 0 ? err : 0), nfiles);
    CHECK_EQ(limit, q0.limit[KEEL_POOL_PAGES] * 3 / 4);
    CHECKF(probe == 0, "probe after the fill failed at step %d with %s",
           probe / 1000, ut_errname(probe % 1000));
    long held = (long)q1.used[KEEL_POOL_PAGES] - (long)q0.used[KEEL_POOL_PAGES];
    CHECKF(held > limit - 1024 && held <= limit,
           "the files' %ld pages are not charged to us (child limit %d)", held,
           limit);
    CHECKF(q1.used[KEEL_POOL_INODES] == q0.used[KEEL_POOL_INODES] + nfiles,
           "inodes charged to us: %lu, %lu before, %d files",
           (unsigned long)q1.used[KEEL_POOL_INODES],
           (unsigned long)q0.used[KEEL_POOL_INODES], nfiles);
    CHECK_EQ(q2.used[KEEL_POOL_INODES], q0.used[KEEL_POOL_INODES]);
    CHECKF(q2.used[KEEL_POOL_PAGES] <= q0.used[KEEL_POOL_PAGES] + 16,
           "truncated files: %lu pages still charged, %lu before",
           (unsigned long)q2.used[KEEL_POOL_PAGES],
           (unsigned long)q0.used[KEEL_POOL_PAGES]);
}

const struct utest ut_quota_tests[] = {
    UT_CASE(quota_info_self_and_child),
    UT_CASE(quota_spawn_race_exact),
    UT_CASE(quota_cap_pinned_reaped_children),
    UT_CASE(quota_cap_pinned_exited_threads),
    UT_CASE(quota_ramfs_fill_and_exit),
    UT_END,
};
