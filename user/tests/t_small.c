/*
 * Issue 6, item 11 (the smaller defects): default signal actions, spawn
 * open-flag validation, failed spawns leaving no trace, detached
 * threads, thread stack sizes and attribute checks, CLOCK_REALTIME,
 * <search.h>'s lfind and lsearch.
 *
 * Thread functions use EXPECT (records and goes on), never CHECK.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

/* ---- child modes ---- */

/* Mode "raise SIG": raise(SIG), then kill(self, SIG); exits 0 if it is
 * still alive, 2 if a call failed. */
static int mode_raise(int argc, char **argv)
{
    if (argc < 3)
        return 3;
    int sig = atoi(argv[2]);
    if (raise(sig) != 0)
        return 2;
    if (kill(getpid(), sig) != 0)
        return 2;
    return 0;
}

/* Mode "wait-stdin": reads fd 0 until EOF, then exits 0. */
static int mode_wait_stdin(int argc, char **argv)
{
    (void)argc, (void)argv;
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

const struct ut_mode ut_small_modes[] = {
    {"raise", mode_raise},
    {"wait-stdin", mode_wait_stdin},
    UT_MODE_END,
};

/* ---- g: default signal actions ---- */

static const int ignored_sigs[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};

static int spawn_raise(pid_t *pid, int sig)
{
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    return ut_spawn_self(pid, NULL, NULL, "raise", s, NULL, NULL);
}

TEST(signal_default_ignored_self)
{
    for (size_t i = 0; i < sizeof(ignored_sigs) / sizeof(ignored_sigs[0]);
         i++) {
        pid_t pid;
        CHECK_RC(spawn_raise(&pid, ignored_sigs[i]), 0);
        CHECK_EXITED(ut_wait(pid), 0);
    }
    pid_t pid;
    CHECK_RC(spawn_raise(&pid, SIGTERM), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_RC(spawn_raise(&pid, 0), 0); /* signal 0 only checks */
    CHECK_EXITED(ut_wait(pid), 0);
}

/* Spawns "wait-stdin" with fd 0 from a new pipe; *wr gets its write end. */
static int spawn_waiting(pid_t *pid, int *wr)
{
    int p[2];
    if (pipe(p) < 0)
        return errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    int rc = ut_spawn_self(pid, &fa, NULL, "wait-stdin", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (rc)
        close(p[1]);
    else
        *wr = p[1];
    return rc;
}

TEST(signal_default_ignored_other)
{
    pid_t pid;
    int wr;
    CHECK_RC(spawn_waiting(&pid, &wr), 0);
    for (size_t i = 0; i < sizeof(ignored_sigs) / sizeof(ignored_sigs[0]); i++)
        CHECK_OK(kill(pid, ignored_sigs[i]));
    CHECK_OK(kill(pid, 0));
    CHECK_OK(close(wr)); /* EOF: it exits 0 if the signals left it alive */
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(spawn_waiting(&pid, &wr), 0);
    CHECK_OK(kill(pid, SIGTERM));
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_OK(close(wr));
}

/* ---- c: spawn open actions take exactly open()'s flags ---- */

TEST(spawn_open_action_flags_as_open)
{
    static const char path[] = "/ut_small_flags";
    const int bad[] = {O_RDWR | O_CREAT | O_NONBLOCK,
                       O_WRONLY | O_CREAT | 0x10000000, O_ACCMODE | O_CREAT};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERRNO(open(path, bad[i]), EINVAL);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        CHECK_RC(posix_spawn_file_actions_addopen(&fa, 5, path, bad[i], 0), 0);
        pid_t pid;
        int rc = ut_spawn_self(&pid, &fa, NULL, "raise", "0", NULL, NULL);
        posix_spawn_file_actions_destroy(&fa);
        if (rc == 0)
            ut_wait(pid);
        CHECK_RC(rc, EINVAL);
        /* Neither call created the file. */
        CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
    }
}

/* ---- d: a failed spawn leaves no trace in the file system ---- */

#define NOT_OPEN_FD 77 /* an fd slot utest never uses */

/* posix_spawn of `prog` ("raise 0" when NULL: exits at once) with the
 * open actions opens[0..n) on fds 5, 6, ..., then an optional failing
 * dup2 from NOT_OPEN_FD. Returns posix_spawn's result; reaps a child. */
struct open_act {
    const char *path;
    int flags;
};

static int spawn_opens(const struct open_act *opens, int n, int bad_dup2,
                       const char *prog)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < n; i++)
        posix_spawn_file_actions_addopen(&fa, 5 + i, opens[i].path,
                                         opens[i].flags, 0644);
    if (bad_dup2)
        posix_spawn_file_actions_adddup2(&fa, NOT_OPEN_FD, 20);
    pid_t pid;
    int rc;
    if (prog) {
        char *argv[] = {(char *)prog, NULL};
        rc = ut_spawn(&pid, prog, &fa, NULL, argv);
    } else {
        rc = ut_spawn_self(&pid, &fa, NULL, "raise", "0", NULL, NULL);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0)
        ut_wait(pid);
    return rc;
}

static int file_exists(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

TEST(spawn_failure_creates_no_file)
{
    static const char p1[] = "/ut_small_nocreate1";
    static const char p2[] = "/ut_small_nocreate2";
    const struct open_act create[] = {{p1, O_WRONLY | O_CREAT}};
    /* A later action fails (dup2 from an fd that is not open). */
    CHECK_RC(spawn_opens(create, 1, 1, NULL), EBADF);
    CHECK(!file_exists(p1));
    /* The program does not exist. */
    CHECK_RC(spawn_opens(create, 1, 0, "/bin/ut_small_no_such_program"),
             ENOENT);
    CHECK(!file_exists(p1));
    /* A later open action fails. */
    const struct open_act two[] = {{p1, O_WRONLY | O_CREAT},
                                   {"/ut_small_no_dir/x", O_WRONLY | O_CREAT}};
    CHECK_RC(spawn_opens(two, 2, 0, NULL), ENOENT);
    CHECK(!file_exists(p1));
    /* The second of two exclusive creates of one new file fails. */
    const struct open_act excl[] = {{p2, O_WRONLY | O_CREAT | O_EXCL},
                                    {p2, O_RDONLY | O_CREAT | O_EXCL}};
    CHECK_RC(spawn_opens(excl, 2, 0, NULL), EEXIST);
    CHECK(!file_exists(p2));
    /* Two plain creates of one new file: one file, both opens succeed. */
    const struct open_act both[] = {{p2, O_WRONLY | O_CREAT},
                                    {p2, O_RDONLY | O_CREAT}};
    CHECK_RC(spawn_opens(both, 2, 0, NULL), 0);
    CHECK(file_exists(p2));
}

static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = ut_read_full(fd, buf, cap);
    close(fd);
    return (int)n;
}

TEST(spawn_failure_truncates_nothing)
{
    static const char path[] = "/ut_small_keep";
    static const char text[] = "precious content";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK_OK(fd);
    CHECK_EQ(ut_write_full(fd, text, sizeof(text)), sizeof(text));
    CHECK_OK(close(fd));
    char buf[64];
    const struct open_act trunc[] = {{path, O_WRONLY | O_TRUNC}};
    CHECK_RC(spawn_opens(trunc, 1, 1, NULL), EBADF);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), sizeof(text));
    CHECK(!memcmp(buf, text, sizeof(text)));
    CHECK_RC(spawn_opens(trunc, 1, 0, "/bin/ut_small_no_such_program"), ENOENT);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), sizeof(text));
    CHECK(!memcmp(buf, text, sizeof(text)));
    const struct open_act two[] = {{path, O_RDWR | O_TRUNC},
                                   {"/ut_small_no_such_file", O_RDONLY}};
    CHECK_RC(spawn_opens(two, 2, 0, NULL), ENOENT);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), sizeof(text));
    CHECK(!memcmp(buf, text, sizeof(text)));
    /* A spawn that succeeds does truncate. */
    CHECK_RC(spawn_opens(trunc, 1, 0, NULL), 0);
    CHECK_EQ(read_file(path, buf, sizeof(buf)), 0);
}

/* open itself: a full fd table (EMFILE) is found before the file system
 * changes, so an O_TRUNC open does not truncate and an O_CREAT open
 * creates nothing. The table is filled with dups (no new files). */
TEST(open_emfile_changes_nothing)
{
    static const char path[] = "/ut_small_emfile";
    static const char fresh[] = "/ut_small_emfile_new";
    static const char text[] = "kept";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    CHECK_OK(fd);
    CHECK_EQ(ut_write_full(fd, text, sizeof(text)), sizeof(text));
    CHECK_OK(close(fd));
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    ut_step("fill the fd table with dups, then open");
    static int dups[CAP_FD_SLOTS];
    int base = open("/dev/null", O_RDONLY), n = 0, e = 0;
    while (base >= 0 && n < CAP_FD_SLOTS && (dups[n] = dup(base)) >= 0)
        n++;
    e = errno;
    errno = 0;
    int r1 = open(path, O_WRONLY | O_TRUNC), e1 = errno;
    errno = 0;
    int r2 = open(fresh, O_WRONLY | O_CREAT), e2 = errno;
    int rc = keel_kstat(&k1);
    for (int i = 0; i < n; i++)
        close(dups[i]);
    close(base);
    if (r1 >= 0)
        close(r1);
    if (r2 >= 0)
        close(r2);
    CHECK(base >= 0 && n > 0);
    CHECK_RC(e, EMFILE);
    CHECKF(r1 == -1 && e1 == EMFILE, "O_TRUNC open: %d (%s)", r1,
           ut_errname(e1));
    CHECKF(r2 == -1 && e2 == EMFILE, "O_CREAT open: %d (%s)", r2,
           ut_errname(e2));
    ut_step("the file is intact, the new one was not made");
    char buf[64];
    CHECK_EQ(read_file(path, buf, sizeof(buf)), sizeof(text));
    CHECK(!memcmp(buf, text, sizeof(text)));
    CHECK(!file_exists(fresh));
    CHECK_OK(rc);
    CHECK_EQ(k1.pool_used[KEEL_POOL_INODES], k0.pool_used[KEEL_POOL_INODES]);
}

/* ---- f: detached threads ---- */

static volatile int detached_ran;

static void *count_and_exit(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&detached_ran, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* pthread_create, retrying (bounded) while every slot is still held by
 * a detached thread on its way out. */
static int create_retrying(pthread_t *t, const pthread_attr_t *attr)
{
    int rc = EAGAIN;
    for (int i = 0; i < 2000 && rc == EAGAIN; i++) {
        rc = pthread_create(t, attr, count_and_exit, NULL);
        if (rc == EAGAIN)
            ut_sleep_ms(1);
    }
    return rc;
}

#define DETACH_ROUNDS (3 * CAP_THREAD_SLOTS)

TEST(thread_detach_frees_slot)
{
    struct keel_kstat before, after;
    CHECK_OK(ut_kstat_quiet(&before));
    detached_ran = 0;
    for (int i = 0; i < DETACH_ROUNDS; i++) {
        pthread_t t;
        CHECKF(create_retrying(&t, NULL) == 0, "create %d failed", i);
        CHECK_RC(pthread_detach(t), 0);
    }
    pthread_attr_t attr;
    CHECK_RC(pthread_attr_init(&attr), 0);
    CHECK_RC(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
    int st = -1;
    CHECK_RC(pthread_attr_getdetachstate(&attr, &st), 0);
    CHECK_EQ(st, PTHREAD_CREATE_DETACHED);
    CHECK_RC(pthread_attr_setdetachstate(&attr, 42), EINVAL);
    for (int i = 0; i < DETACH_ROUNDS; i++) {
        pthread_t t;
        CHECKF(create_retrying(&t, &attr) == 0, "attr create %d failed", i);
    }
    pthread_attr_destroy(&attr);
    for (int i = 0; i < 5000 && detached_ran < 2 * DETACH_ROUNDS; i++)
        ut_sleep_ms(1);
    CHECK_EQ(detached_ran, 2 * DETACH_ROUNDS);
    CHECK_EQ(ut_kstat_settle(&before, &after), 0);
}

static volatile int hold_release;

static void *hold(void *arg)
{
    for (int i = 0; i < 20000 && !hold_release; i++)
        ut_sleep_ms(1);
    return arg;
}

static void *detach_self(void *arg)
{
    EXPECT(pthread_detach(pthread_self()) == 0);
    EXPECT(pthread_detach(pthread_self()) == EINVAL);
    __atomic_add_fetch(&detached_ran, 1, __ATOMIC_SEQ_CST);
    return arg;
}

TEST(thread_detach_errors)
{
    struct keel_kstat before, after;
    CHECK_OK(ut_kstat_quiet(&before));
    /* An exited, never joined thread: detach frees its slot at once. */
    pthread_t u;
    CHECK_RC(pthread_create(&u, NULL, count_and_exit, NULL), 0);
    CHECK_EQ(ut_kstat_settle(&before, &after), 0); /* it has exited */
    CHECK_RC(pthread_detach(u), 0);
    CHECK_RC(pthread_join(u, NULL), ESRCH);
    CHECK_RC(pthread_detach(u), ESRCH);
    /* A running one. */
    pthread_t t;
    hold_release = 0;
    CHECK_RC(pthread_create(&t, NULL, hold, NULL), 0);
    CHECK_RC(pthread_detach(t), 0);
    CHECK_RC(pthread_detach(t), EINVAL);     /* already detached */
    CHECK_RC(pthread_join(t, NULL), EINVAL); /* not joinable */
    hold_release = 1;
    CHECK_RC(pthread_detach((pthread_t)5), ESRCH); /* not a thread slot */
    /* One that detaches itself. */
    detached_ran = 0;
    CHECK_RC(pthread_create(&u, NULL, detach_self, NULL), 0);
    for (int i = 0; i < 5000 && !detached_ran; i++)
        ut_sleep_ms(1);
    CHECK_EQ(detached_ran, 1);
    CHECK_EQ(ut_kstat_settle(&before, &after), 0); /* t is gone too */
}

/* ---- a: thread stack sizes, attribute checks ---- */

#define BIG_STACK (200 * 1024)

/* Touches every page of a local array of arg bytes: faults unless the
 * stack really is that large. */
static void *use_stack(void *arg)
{
    size_t n = (size_t)(uintptr_t)arg;
    volatile char *buf = __builtin_alloca(n);
    for (size_t i = 0; i < n; i += 512)
        buf[i] = (char)i;
    long sum = 0;
    for (size_t i = 0; i < n; i += 512)
        sum += buf[i] == (char)i;
    return (void *)(uintptr_t)sum;
}

static int run_with_stack(size_t stack, size_t use)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int rc = pthread_attr_setstacksize(&attr, stack);
    pthread_t t;
    if (!rc)
        rc = pthread_create(&t, &attr, use_stack, (void *)(uintptr_t)use);
    pthread_attr_destroy(&attr);
    void *ret = NULL;
    if (!rc)
        rc = pthread_join(t, &ret);
    if (!rc && (uintptr_t)ret != (use + 511) / 512)
        rc = -1;
    return rc;
}

TEST(thread_stacksize_honoured)
{
    /* Default first, so the slot it leaves has only 64 KiB mapped and
     * the big one that reuses it must grow the mapping. */
    CHECK_RC(run_with_stack(KEEL_THREAD_STACK_DEFAULT, 32 * 1024), 0);
    CHECK_RC(run_with_stack(BIG_STACK, BIG_STACK - 16 * 1024), 0);
    CHECK_RC(run_with_stack(KEEL_THREAD_STACK_MAX,
                            KEEL_THREAD_STACK_MAX - 16 * 1024),
             0);
    CHECK_RC(run_with_stack(BIG_STACK + 100, BIG_STACK), 0); /* rounded up */
}

TEST(thread_attr_checks)
{
    pthread_attr_t attr;
    CHECK_RC(pthread_attr_init(&attr), 0);
    size_t sz = 0;
    CHECK_RC(pthread_attr_getstacksize(&attr, &sz), 0);
    CHECK_EQ(sz, KEEL_THREAD_STACK_DEFAULT);
    CHECK_RC(pthread_attr_setstacksize(&attr, KEEL_THREAD_STACK_MAX + 1),
             EINVAL);
    CHECK_RC(pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN - 1), EINVAL);
    CHECK_RC(pthread_attr_setstacksize(&attr, BIG_STACK), 0);
    CHECK_RC(pthread_attr_getstacksize(&attr, &sz), 0);
    CHECK_EQ(sz, BIG_STACK);
    /* The kernel refuses too large a stack and unknown flags itself. */
    CHECK_EQ(keel_syscall6(SYS_thread_create, 0x100000000l, 0, 0,
                           KEEL_THREAD_STACK_MAX + 1, 0, 0),
             -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_thread_create, 0x100000000l, 0, 0, 0, 0x80, 0),
             -EINVAL);
    /* Priorities outside the policy's range. */
    CHECK_RC(pthread_attr_setschedpolicy(&attr, SCHED_RR), 0);
    struct sched_param sp;
    sp.sched_priority = sched_get_priority_min(SCHED_RR) - 1;
    CHECK_RC(pthread_attr_setschedparam(&attr, &sp), EINVAL);
    sp.sched_priority = sched_get_priority_max(SCHED_RR) + 1;
    CHECK_RC(pthread_attr_setschedparam(&attr, &sp), EINVAL);
    sp.sched_priority = sched_get_priority_max(SCHED_RR);
    CHECK_RC(pthread_attr_setschedparam(&attr, &sp), 0);
    struct sched_param back;
    CHECK_RC(pthread_attr_getschedparam(&attr, &back), 0);
    CHECK_EQ(back.sched_priority, sp.sched_priority);
    CHECK_RC(pthread_attr_destroy(&attr), 0);
}

/* ---- b: CLOCK_REALTIME is the wall clock ---- */

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

TEST(clock_realtime_from_rtc)
{
    struct timespec m0, r1, m1, m2, r2, m3;
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m0));
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &r1));
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m1));
    ut_sleep_ms(20);
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m2));
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &r2));
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &m3));
    /* After 2020-01-01 00:00 UTC: not "seconds since boot". */
    CHECKF(r1.tv_sec > 1577836800, "CLOCK_REALTIME %lld s",
           (long long)r1.tv_sec);
    CHECK(r1.tv_nsec >= 0 && r1.tv_nsec < 1000000000);
    /* It advances with CLOCK_MONOTONIC: realtime = boot time + monotonic,
     * so its step lies between the monotonic steps that bracket it. */
    int64_t dr = ts_ns(&r2) - ts_ns(&r1);
    CHECK(dr >= 20 * 1000000ll);
    CHECK(dr >= ts_ns(&m2) - ts_ns(&m1));
    CHECK(dr <= ts_ns(&m3) - ts_ns(&m0));
    /* gettimeofday reads the same clock. */
    struct timeval tv;
    CHECK_OK(gettimeofday(&tv, NULL));
    CHECK(tv.tv_sec >= r2.tv_sec);
}

/* <search.h>'s linear searches (POSIX XSI; newlib has neither): lfind
 * finds the first element compar calls equal, NULL when none is;
 * lsearch appends a missing key and counts it, and finds it next time. */
static int int_cmp(const void *a, const void *b)
{
    return *(const int *)a != *(const int *)b;
}

TEST(search_lfind_lsearch)
{
    int tab[6] = {7, 3, 9, 3};
    size_t n = 4;
    int k = 3;
    CHECK(lfind(&k, tab, &n, sizeof(int), int_cmp) == &tab[1]);
    k = 5;
    CHECK(lfind(&k, tab, &n, sizeof(int), int_cmp) == NULL);
    CHECK_EQ(n, 4);
    size_t none = 0;
    CHECK(lfind(&k, tab, &none, sizeof(int), int_cmp) == NULL);
    CHECK(lsearch(&k, tab, &n, sizeof(int), int_cmp) == &tab[4]);
    CHECK_EQ(n, 5);
    CHECK_EQ(tab[4], 5);
    CHECK(lsearch(&k, tab, &n, sizeof(int), int_cmp) == &tab[4]);
    CHECK_EQ(n, 5);
    k = 9;
    CHECK(lsearch(&k, tab, &n, sizeof(int), int_cmp) == &tab[2]);
    CHECK_EQ(n, 5);
}

const struct utest ut_small_tests[] = {
    UT_CASE(signal_default_ignored_self),
    UT_CASE(signal_default_ignored_other),
    UT_CASE(spawn_open_action_flags_as_open),
    UT_CASE(spawn_failure_creates_no_file),
    UT_CASE(spawn_failure_truncates_nothing),
    UT_CASE(open_emfile_changes_nothing),
    UT_CASE(thread_detach_frees_slot),
    UT_CASE(thread_detach_errors),
    UT_ISOLATED(thread_stacksize_honoured),
    UT_CASE(thread_attr_checks),
    UT_CASE(clock_realtime_from_rtc),
    UT_CASE(search_lfind_lsearch),
    UT_END,
};
