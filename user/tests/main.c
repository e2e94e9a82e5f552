/*
 * /bin/utest: the user-level test suite. Without arguments it runs every
 * test, prints "ok NAME" or "FAIL NAME: reason" per test and ends with
 * "N passed, N failed"; it exits 0 only if nothing failed.
 *
 * `utest --match LIST` runs only the tests matching one of the
 * comma-separated glob patterns of LIST, `utest --only PREFIX` only
 * those whose names start with PREFIX (then the leak check; a pattern
 * that selects nothing is a failure).
 *
 * Other arguments make it a helper process for a test:
 *   utest --run NAME FD   runs the isolated test NAME, reporting on FD
 *   utest MODE ARGS...    runs child mode MODE (see the ut_*_modes tables)
 *
 * The runner checks after each test that it left no fd open and no child
 * behind (and cleans up if it did, so one failure does not cascade: an
 * fd without GRANT left open would make every later spawn fail). A
 * watchdog thread ends the run with a report if one test hangs.
 */
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel/sched.h>

#include "../../tests/select.h"
#include "utest.h"

/* A test still running after this long is reported as hung. This is a
 * safety net against hangs, not a performance check. */
#ifndef WATCHDOG_LIMIT_S
#define WATCHDOG_LIMIT_S 150
#endif
/* Free pages the process itself may use up during the suite besides its
 * heap growth (malloc never trims: see warm_up): page-table pages for new
 * heap ranges. */
#define LEAK_PAGE_SLACK 8

const char *ut_self = "/bin/utest";
int ut_ceiling = KEEL_PRIO_MAX;

static const struct utest *const tables[] = {
    ut_fs_tests,           ut_fd_tests,
    ut_pipe_tests,         ut_proc_tests,
    ut_spawn_tests,        ut_fault_tests,
    ut_thread_tests,       ut_time_tests,
    ut_badptr_tests,       ut_cap_tests,
    ut_deleg_tests,        ut_revoke_tests,
    ut_revoke_ops_tests,   ut_stress_tests,
    ut_revoke_storm_tests, ut_small_tests,
    ut_quota_tests,        ut_authority_tests,    /* issue 6 item 7 */
    ut_mm_tests,           ut_sched_tests,        /* issue 6 items 5, 10 */
    ut_quota_tree_tests,   ut_intro_tests,        /* issue 7 item 7 */
    ut_shell_tests,        ut_cwd_tests,          /* issue 7 items 1, 4 */
    ut_tty_tests,          ut_env_tests,          /* issue 7 items 2, 7, 8 */
    ut_futex_tests,        ut_mutex_tests,        /* issue 8 item 5 */
    ut_edf_tests,          ut_edf_run_tests,      /* issue 8 item 7 */
    ut_edf_kill_tests,                            /* issue 8 item 7 */
    ut_pi_tests,                                  /* issue 8 item 5 (PI) */
    ut_fslock_tests,                              /* issue 8 items 1, 2 */
    ut_clock_tests,        ut_rtwait_tests,       /* issue 8 item 6, 9 */
    ut_console_tx_tests,                          /* issue 8 item 3 */
    ut_place_tests,                               /* issue 8 item 4 */
    ut_bench_tests,                               /* issue 8: bench rows run */
    ut_rtbound_tests,                             /* issue 8 items 1, 2 */
    ut_mq_tests,           ut_mq_proc_tests,      /* issue 9: message queues */
    ut_attr_tests,         ut_sysconf_tests,      /* issue 9 item 6 */
    ut_mlock_tests,        ut_cancel_tests,       /* issue 9 item 6 */
    ut_timer_tests,        ut_timer_rt_tests,     /* issue 9 item 2 (timers) */
    ut_rwlock_tests,       ut_rwlock_k_tests,     /* issue 9 item 2 */
    ut_spin_tests,                                /* issue 9 item 3 */
    ut_once_tests,         ut_key_tests,          /* issue 9 item 6 */
    ut_sem_tests,          ut_barrier_tests,      /* issue 9 items 2-4 */
    ut_signal_tests,       ut_signal2_tests,      /* issue 9 item 5 */
    ut_signal3_tests,                             /* issue 9 item 5 */
    ut_sigframe_tests,                            /* the frame's registers */
    ut_intro9_tests,                              /* issue 9 item 7 */
    ut_sem_proc_tests,     ut_sem_named_tests,    /* issue 9 items 2-4 */
    ut_kmutex_tests,       ut_cond_tests,         /* issue 9 items 2-4 */
    ut_kmutex_xproc_tests, ut_timer_notify_tests, /* issue 9 item 2 */
    ut_setprio_tests,      ut_cputime_tests,      /* issue 9 conformance */
    ut_mmap_tests,         /* session 10: mmap, in part */
    ut_cond_cancel_tests,  /* session 10: cond waits are cancellation points */
    ut_cond_destroy_tests, /* session 12: destroy right after a broadcast */
    ut_settle_tests,       /* kstat threads_exiting */
    ut_objstress_tests,    /* issue 9: every type */
    ut_sigentry_tests,     /* found by objstress */
    ut_cputimer_tests,     /* timers on CPU-time clocks */
    ut_mutex_pp_tests,     /* PTHREAD_PRIO_PROTECT against POSIX */
    ut_mutex_pi_place_tests, /* PRIO_INHERIT holders keep their place */
    ut_timer_storm_tests,    /* the timer expiry budget */
    ut_kmutex_rprio_tests,   /* robust PRIO_INHERIT and PRIO_PROTECT */
};

static const struct ut_mode *const mode_tables[] = {
    ut_proc_modes,      ut_pipe_modes,       ut_spawn_modes,
    ut_thread_modes,    ut_fault_modes,      ut_cap_modes,
    ut_peer_modes,      ut_stress_modes,     ut_small_modes,
    ut_quota_modes,     ut_authority_modes,  ut_mm_modes,
    ut_sched_modes,     ut_quota_tree_modes, ut_intro_modes,
    ut_tty_modes,       ut_cwd_modes,        ut_env_modes,
    ut_futex_modes,     ut_edf_modes,        ut_pi_modes,
    ut_fslock_modes,    ut_clock_modes,      ut_mutex_modes,
    ut_rtbound_modes,   ut_attr_modes,       ut_timer_modes,
    ut_sem_modes,       ut_signal2_modes,    ut_mq_modes,
    ut_rwlock_modes,    ut_kmutex_modes,     ut_kobj_util_modes,
    ut_setprio_modes,   ut_edfk_modes,       ut_signal3_modes,
    ut_objstress_modes, ut_sysconf_modes,    ut_timer_storm_modes,
};

/* ---- failure state of the running test ---- */

static int fail_flag;
static char fail_msg[512];
static const char *volatile cur_step;
static const char *volatile cur_test;
static volatile uint64_t cur_start_ns;
static int msg_fd = -1; /* isolated child: the pipe to the parent */
static int npassed, nfailed;

/* Records the first failure of the running test: prefix, then fmt. */
static void fail_v(const char *prefix, const char *fmt, va_list ap)
{
    if (__atomic_exchange_n(&fail_flag, 1, __ATOMIC_ACQ_REL))
        return; /* keep the first failure only */
    int n = snprintf(fail_msg, sizeof(fail_msg), "%s", prefix);
    if (n < 0 || (size_t)n >= sizeof(fail_msg))
        n = 0;
    vsnprintf(fail_msg + n, sizeof(fail_msg) - (size_t)n, fmt, ap);
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s:%d: ", base ? base + 1 : file, line);
    va_list ap;
    va_start(ap, fmt);
    fail_v(prefix, fmt, ap);
    va_end(ap);
}

/* A failure found by the runner itself: no file:line. */
static void runner_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void runner_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v("", fmt, ap);
    va_end(ap);
}

int ut_failed(void)
{
    return __atomic_load_n(&fail_flag, __ATOMIC_ACQUIRE);
}

void ut_step(const char *what)
{
    cur_step = what;
    if (msg_fd >= 0) {
        char line[160];
        int n = snprintf(line, sizeof(line), "step %s\n", what);
        if (n > 0)
            ut_write_full(msg_fd, line,
                          (size_t)n < sizeof(line) ? (size_t)n
                                                   : sizeof(line) - 1);
    }
}

/* ---- helpers ---- */

/* Calls fn(pid, state) for each child; returns how many there were. */
static int for_each_child(void (*fn)(const struct keel_procinfo *))
{
    pid_t me = getpid();
    struct keel_procinfo pi[64];
    int n = 0;
    /* Collect first: acting on a child changes the process list. */
    for (int i = 0; i < 256 && n < 64; i++) {
        struct keel_procinfo info;
        int r = keel_procinfo(i, &info);
        if (r <= 0)
            break;
        if (info.ppid == me && info.pid != me)
            pi[n++] = info;
    }
    for (int i = 0; fn && i < n; i++)
        fn(&pi[i]);
    return n;
}

int ut_count_children(void)
{
    return for_each_child(NULL);
}

static void kill_and_reap(const struct keel_procinfo *c)
{
    if (c->state == 0)
        kill(c->pid, SIGKILL);
    int st;
    if (waitpid(c->pid, &st, 0) < 0)
        waitpid(-1, &st, 0); /* no process cap left for it: reap any */
}

/* ---- isolated tests: the child side ---- */

static const struct utest *find_test(const char *name)
{
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct utest *u = tables[t]; u->name; u++)
            if (!strcmp(u->name, name))
                return u;
    return NULL;
}

static int run_isolated_child(int argc, char **argv)
{
    if (argc < 4)
        return 126;
    msg_fd = atoi(argv[3]);
    const struct utest *u = find_test(argv[2]);
    if (!u)
        return 125;
    /* Inherited fds have no GRANT here: mark them close-on-exec so the
     * test may still spawn. */
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (ut_fd_open(fd))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    u->fn();
    fflush(NULL);
    if (ut_failed()) {
        char line[600];
        int n = snprintf(line, sizeof(line), "fail %s\n", fail_msg);
        if (n > 0)
            ut_write_full(msg_fd, line,
                          (size_t)n < sizeof(line) ? (size_t)n
                                                   : sizeof(line) - 1);
        return 1;
    }
    return 0;
}

/* ---- isolated tests: the parent side ---- */

static void run_isolated(const struct utest *u)
{
    static char buf[4096];
    int p[2];
    if (pipe(p) < 0) {
        runner_fail("isolation: pipe: %s", ut_errname(errno));
        return;
    }
    char fdstr[16];
    snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    /* The test process reads kstat and procinfo (leak checks, cleanup):
     * it gets our system cap, with every right (tests hand it on). */
    int sys = keel_system_slot();
    if (sys >= 0)
        keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, sys,
                                       CAP_RIGHTS_ALL);
    pid_t pid = -1;
    int rc = ut_spawn_self(&pid, &fa, NULL, "--run", u->name, fdstr, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc) {
        close(p[0]);
        runner_fail("isolation: spawning the test process: %s", ut_errname(rc));
        return;
    }
    long n = ut_read_full(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    buf[n < 0 ? 0 : n] = '\0';
    int st = ut_wait(pid);
    /* The last "step" line and the "fail" line, if any. */
    const char *step = NULL, *fail = NULL;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, "step ", 5))
            step = line + 5;
        else if (!strncmp(line, "fail ", 5))
            fail = line + 5;
        line = nl ? nl + 1 : NULL;
    }
    if (fail)
        runner_fail("%s", fail);
    else if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        runner_fail("test process %s, last step: %s", ut_status_str(st),
                    step ? step : "(none)");
}

/* ---- the runner ---- */

static uint64_t initial_fds[2]; /* bit set: fd open at suite start */

static void watchdog_report(void)
{
    char line[400];
    const char *t = cur_test;
    const char *s = cur_step;
    /* Every thread's state (and wait queue): what a hang waits for. */
    struct keel_threadinfo ti;
    for (int i = 0; keel_threadinfo(i, &ti) == 1; i++) {
        /* hart, priority and cpu time too: a READY thread whose cpu_ns
         * stays put across two dumps was never picked (a placement or
         * run-queue fault), one whose cpu_ns grows spins. */
        int n = snprintf(line, sizeof(line),
                         "# pid %d tid %d %s state %d wchan %s hart %d prio "
                         "%d/%d cpu_ns %llu\n",
                         ti.pid, ti.tid, ti.name, ti.state,
                         ti.state == KEEL_TSTATE_BLOCKED ? ti.wchan : "-",
                         ti.hart, ti.priority, ti.base_priority,
                         (unsigned long long)ti.cpu_ns);
        if (n > 0)
            ut_write_full(1, line,
                          (size_t)n < sizeof(line) ? (size_t)n
                                                   : sizeof(line) - 1);
    }
    int n = snprintf(line, sizeof(line),
                     "FAIL %s: still running after %d s (hung?), last "
                     "step: %s\n%d passed, %d failed\n",
                     t ? t : "?", WATCHDOG_LIMIT_S, s ? s : "(none)", npassed,
                     nfailed + 1);
    if (n > 0)
        ut_write_full(1, line,
                      (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    keel_poweroff(1);
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        ut_sleep_ms(500);
        uint64_t start = cur_start_ns;
        uint64_t now = ut_now_ns();
        if (start && now > start &&
            now - start > (uint64_t)WATCHDOG_LIMIT_S * 1000000000ull)
            watchdog_report();
    }
    return NULL;
}

/* Empties every /ut_* file, so a failed test does not keep pages. */
/* Removes every /ut_* file a test left (their inodes and pages go back:
 * the leak check compares both). */
static void scrub_test_files(void)
{
    struct keel_dirent d;
    char names[64][KEEL_NAME_MAX + 2];
    int again = 1;
    while (again) {
        int n = 0;
        again = 0;
        for (int i = 0; i < 256 && keel_readdir("/", i, &d) == 1; i++) {
            if (d.kind != KEEL_NODE_FILE || strncmp(d.name, "ut_", 3))
                continue;
            if (n == 64) {
                again = 1;
                break;
            }
            names[n][0] = '/';
            strcpy(names[n++] + 1, d.name);
        }
        for (int i = 0; i < n; i++)
            if (unlink(names[i]) < 0) {
                ut_scrub(names[i]); /* at least its pages */
                again = 0;
            }
    }
}

static void after_test(void)
{
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++) {
        int was = (initial_fds[fd / 64] >> (fd % 64)) & 1;
        int is = ut_fd_open(fd);
        if (was && !is)
            runner_fail("runner: the test closed the suite's fd %d", fd);
        if (!was && is) {
            runner_fail("runner: the test left fd %d open", fd);
            close(fd);
        }
    }
    int n = for_each_child(kill_and_reap);
    if (n)
        runner_fail("runner: the test left %d child process(es) unreaped", n);
    scrub_test_files();
}

static void run_one(const struct utest *u)
{
    fail_flag = 0;
    fail_msg[0] = '\0';
    cur_step = NULL;
    cur_test = u->name;
    cur_start_ns = ut_now_ns();
    /* Every earlier test's threads off their harts first, so a baseline
     * the test takes at its start counts none of them (ut_lib.c). */
    struct keel_kstat settled;
    cur_step = "(runner) earlier tests' threads leaving their harts";
    ut_kstat_exits_done(&settled);
    cur_step = NULL;
    errno = 0;
    if (u->flags & UT_F_ISOLATED)
        run_isolated(u);
    else
        u->fn();
    after_test();
    cur_start_ns = 0;
#ifdef UT_TRACE_PAGES /* debugging aid: -DUT_TRACE_PAGES traces memory */
    struct keel_kstat kt;
    keel_kstat(&kt);
    printf("# free pages %lu brk %p threads %u\n", (unsigned long)kt.free_pages,
           sbrk(0), (unsigned)kt.threads_in_use);
#endif
    if (ut_failed()) {
        nfailed++;
        printf("FAIL %s: %s\n", u->name, fail_msg);
    } else {
        npassed++;
        printf("ok %s\n", u->name);
    }
    fflush(stdout);
}

/* ---- leak check ---- */

static struct keel_kstat k_before;
static uintptr_t brk_before;

static void *warm_thread(void *arg)
{
    return arg;
}

/* Grows what the process keeps for good (heap, thread stacks) before the
 * first snapshot, so the final comparison sees only real leaks. */
static void warm_up(void)
{
    /* The leak check allows for the heap's growth only: never give
     * memory back (a trim would make the growth look smaller). */
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    void *big = malloc(256 * 1024);
    free(big);
    pthread_t th[CAP_THREAD_SLOTS];
    int n = 0;
    while (n < CAP_THREAD_SLOTS &&
           pthread_create(&th[n], NULL, warm_thread, NULL) == 0)
        n++;
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* The pools the leak check compares: every pool but pages (compared
 * with the heap's growth below). Test files are removed after every
 * test, so inodes come back too. */
static int leak_pool_checked(int pool)
{
    return pool != KEEL_POOL_PAGES;
}

static int kstat_same(const struct keel_kstat *a, const struct keel_kstat *b)
{
    for (int p = 0; p < KEEL_POOL_N; p++)
        if (leak_pool_checked(p) && a->pool_used[p] != b->pool_used[p])
            return 0;
    return 1;
}

static int quota_same(const struct keel_quota *a, const struct keel_quota *b)
{
    for (int p = 0; p < KEEL_POOL_N; p++)
        if (leak_pool_checked(p) && a->used[p] != b->used[p])
            return 0;
    return 1;
}

static struct keel_quota q_before;

/* The baseline: threads that were joined are freed once off their hart,
 * so wait until no thread is exiting (kstat's threads_exiting, read
 * before the pools; the quota after it). */
static void kstat_baseline(void)
{
    ut_kstat_exits_done(&k_before);
    keel_quota_info(0, &q_before);
}

static void kstat_settle(struct keel_kstat *k, struct keel_quota *q)
{
    /* Exited threads are freed once off their hart: wait for that (any
     * time), then give other late frees a moment (bounded; the
     * comparison below decides). */
    for (int i = 0; i < 200; i++) {
        if (ut_kstat_exits_done(k) < 0 || keel_quota_info(0, q) < 0)
            return;
        if (kstat_same(k, &k_before) && quota_same(q, &q_before))
            return;
        ut_sleep_ms(10);
    }
}

TEST(leak_check)
{
    static const char *const names[KEEL_POOL_N] = {
        "procs",  "threads",     "files", "pipes",
        "inodes", "delegations", "pages", "objects"};
    struct keel_kstat k;
    struct keel_quota q;
    CHECK_OK(keel_kstat(&k));
    CHECK_OK(keel_quota_info(0, &q));
    kstat_settle(&k, &q);
    CHECK_EQ(k.procs_in_use, k_before.procs_in_use);
    CHECK_EQ(k.threads_in_use, k_before.threads_in_use);
    CHECK_EQ(k.files_in_use, k_before.files_in_use);
    CHECK_EQ(k.pipes_in_use, k_before.pipes_in_use);
    CHECK_EQ(k.delegations_in_use, k_before.delegations_in_use);
    for (int p = 0; p < KEEL_POOL_N; p++) {
        if (!leak_pool_checked(p))
            continue;
        CHECKF(k.pool_used[p] == k_before.pool_used[p],
               "pool %s: %lu in use, %lu at the start", names[p],
               (unsigned long)k.pool_used[p],
               (unsigned long)k_before.pool_used[p]);
        CHECKF(q.used[p] == q_before.used[p],
               "quota %s: %lu charged to utest, %lu at the start", names[p],
               (unsigned long)q.used[p], (unsigned long)q_before.used[p]);
    }
    uintptr_t brk_after = (uintptr_t)sbrk(0);
    long heap_pages = (long)((brk_after - brk_before + 4095) / 4096);
    long used = (long)k_before.free_pages - (long)k.free_pages;
    CHECKF(used <= heap_pages + LEAK_PAGE_SLACK,
           "free pages went from %lu to %lu (%ld used); the heap grew by "
           "%ld pages, allowed %ld",
           (unsigned long)k_before.free_pages, (unsigned long)k.free_pages,
           used, heap_pages, heap_pages + LEAK_PAGE_SLACK);
    long charged =
        (long)q.used[KEEL_POOL_PAGES] - (long)q_before.used[KEEL_POOL_PAGES];
    CHECKF(charged <= heap_pages + LEAK_PAGE_SLACK,
           "pages charged to utest went from %lu to %lu; the heap grew by "
           "%ld pages",
           (unsigned long)q_before.used[KEEL_POOL_PAGES],
           (unsigned long)q.used[KEEL_POOL_PAGES], heap_pages);
}

static const struct utest leak_test = UT_CASE(leak_check);

/* Is test `name` in this run: every test, or only those whose names
 * start with prefix (utest --only PREFIX), or only those matching one of
 * the comma-separated glob patterns of match (utest --match LIST, `make
 * utest T=LIST`; tests/select.h). */
static int selected(const char *name, const char *prefix, const char *match)
{
    if (prefix)
        return !strncmp(name, prefix, strlen(prefix));
    if (match)
        return test_selected(match, name);
    return 1;
}

static int run_suite(const char *only, const char *match)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (ut_fd_open(fd))
            initial_fds[fd / 64] |= 1ull << (fd % 64);
    struct keel_kstat k;
    if (keel_kstat(&k) == 0)
        printf("utest: pid %d, %u harts online\n", (int)getpid(),
               (unsigned)k.harts_online);
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) != 0)
        printf("utest: no watchdog thread: a hang is caught by the outer "
               "timeout only\n");
    cur_test = "(warm-up before the first test)";
    cur_start_ns = ut_now_ns();
    warm_up();
    cur_start_ns = 0;
    kstat_baseline();
    brk_before = (uintptr_t)sbrk(0);

    int nrun = 0;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const struct utest *u = tables[t]; u->name; u++)
            if (selected(u->name, only, match)) {
                run_one(u);
                nrun++;
            }
    if (!nrun && (only || match)) {
        /* A pattern with a typo must not pass by running nothing. */
        printf("FAIL %s%s: no test matches\n",
               only ? "--only " : "T=", only ? only : match);
        nfailed++;
    }
    run_one(&leak_test);

    printf("%d passed, %d failed\n", npassed, nfailed);
    fflush(stdout);
    return nfailed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 0 && argv[0] && argv[0][0] == '/')
        ut_self = argv[0];
    keel_pthread_getceiling(pthread_self(), &ut_ceiling);
    if (argc >= 3 && !strcmp(argv[1], "--only"))
        return run_suite(argv[2], NULL);
    if (argc >= 3 && !strcmp(argv[1], "--match"))
        return run_suite(NULL, argv[2]);
    if (argc >= 2) {
        if (!strcmp(argv[1], "--run"))
            return run_isolated_child(argc, argv);
        for (size_t t = 0; t < sizeof(mode_tables) / sizeof(mode_tables[0]);
             t++)
            for (const struct ut_mode *m = mode_tables[t]; m->name; m++)
                if (!strcmp(m->name, argv[1]))
                    return m->fn(argc, argv);
        fprintf(stderr, "utest: unknown mode %s\n", argv[1]);
        return 127;
    }
    return run_suite(NULL, NULL);
}
