/*
 * sysconf (issue 9 item 6): every limit compared with what the system
 * really does or reports elsewhere (kstat's harts and pages, the quota,
 * the fd and thread slots one can really fill, the times() unit, the
 * stack minimum pthread_attr_setstacksize accepts); every option answers
 * its feature macro (or -1 with errno untouched when Keel does not
 * announce it); unknown names fail with EINVAL.
 */
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

/* sysconf(name) with errno cleared first; *err gets errno afterwards. */
static long sc(int name, int *err)
{
    errno = 0;
    long v = sysconf(name);
    *err = errno;
    return v;
}

TEST(sysconf_kernel_limits)
{
    int e;
    struct keel_kstat k;
    CHECK_OK(keel_kstat(&k));
    long onln = sc(_SC_NPROCESSORS_ONLN, &e);
    CHECK_EQ(e, 0);
    CHECK_EQ(onln, k.harts_online);
    long conf = sc(_SC_NPROCESSORS_CONF, &e);
    CHECK_EQ(e, 0);
    CHECK(conf >= onln && onln >= 1 && conf <= 8);
    CHECK_EQ(sc(_SC_PAGESIZE, &e), 4096);
    CHECK_EQ(sc(_SC_PAGE_SIZE, &e), 4096);
    CHECK_EQ(sc(_SC_PHYS_PAGES, &e), k.pool_max[KEEL_POOL_PAGES]);
    long av = sc(_SC_AVPHYS_PAGES, &e);
    CHECK(av > 0 && av <= (long)k.pool_max[KEEL_POOL_PAGES]);
    struct keel_quota q;
    CHECK_OK(keel_quota_info(0, &q));
    long child = sc(_SC_CHILD_MAX, &e);
    CHECK_EQ(e, 0);
    CHECK_EQ(child, q.limit[KEEL_POOL_PROCS] < k.pool_max[KEEL_POOL_PROCS]
                        ? q.limit[KEEL_POOL_PROCS]
                        : k.pool_max[KEEL_POOL_PROCS]);
    long objs = q.limit[KEEL_POOL_OBJECTS] < k.pool_max[KEEL_POOL_OBJECTS]
                    ? (long)q.limit[KEEL_POOL_OBJECTS]
                    : (long)k.pool_max[KEEL_POOL_OBJECTS];
    /* Semaphores, queues and timers are kernel objects: never more than
     * the object quota allows (less where the area sets its own bound). */
    long v = sc(_SC_SEM_NSEMS_MAX, &e);
    CHECK(v > 0 && v <= objs);
    v = sc(_SC_MQ_OPEN_MAX, &e);
    CHECK(v > 0 && v <= objs);
    v = sc(_SC_TIMER_MAX, &e);
    CHECK(v >= _POSIX_TIMER_MAX && v <= objs && v <= KEEL_TIMERS_MAX);
    CHECK_EQ(sc(_SC_DELAYTIMER_MAX, &e), KEEL_DELAYTIMER_MAX);
    CHECK(DELAYTIMER_MAX >= _POSIX_DELAYTIMER_MAX);
    CHECK_EQ(keel_syscall6(SYS_sysinfo, 0, 0, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_sysinfo, 1000, 0, 0, 0, 0, 0), -EINVAL);
}

/* OPEN_MAX is the fd slots: dup fills empty ones below it (other caps,
 * the system cap and process caps, hold some), never one at or above,
 * and no call reaches a slot at OPEN_MAX as an fd. */
TEST(sysconf_open_max_is_real)
{
    int e;
    long max = sc(_SC_OPEN_MAX, &e);
    CHECK_EQ(max, CAP_FD_SLOTS);
    int empty = 0;
    struct cap_info ci;
    for (int s = 0; s < max; s++)
        empty += keel_cap_list(0, s, &ci) == 0;
    int fds[CAP_SLOTS];
    int n = 0, highest = -1;
    for (;;) {
        int fd = dup(0);
        if (fd < 0)
            break;
        fds[n++] = fd;
        if (fd > highest)
            highest = fd;
    }
    int err = errno;
    for (int i = 0; i < n; i++)
        close(fds[i]);
    CHECK_EQ(err, EMFILE);
    CHECK(n > 0 && n <= empty);
    CHECKF(highest < max, "highest fd %d, OPEN_MAX %ld", highest, max);
    CHECK_ERRNO(dup2(0, (int)max), EBADF);
    CHECK_ERRNO(close((int)max), EBADF);
}

static volatile int release_all;

static void *wait_release(void *arg)
{
    while (!__atomic_load_n(&release_all, __ATOMIC_ACQUIRE))
        ut_sleep_ms(1);
    return arg;
}

/* Threads of this process now (threadinfo rows with our pid). */
static int own_threads(void)
{
    struct keel_threadinfo ti;
    int n = 0;
    for (int i = 0; keel_threadinfo(i, &ti) == 1; i++)
        n += ti.pid == getpid();
    return n;
}

/* THREAD_THREADS_MAX counts the threads a process can create (POSIX:
 * "that can be created per process"), all but its initial thread; here
 * the suite's watchdog is one of them: one can create exactly the rest,
 * all alive at once. */
TEST(sysconf_threads_max_is_real)
{
    int e;
    long max = sc(_SC_THREAD_THREADS_MAX, &e);
    CHECK_EQ(max, PTHREAD_THREADS_MAX);
    CHECK_EQ(max, CAP_THREAD_SLOTS - 1);
    CHECK(max >= _POSIX_THREAD_THREADS_MAX);
    pthread_t th[CAP_THREAD_SLOTS];
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN), 0);
    release_all = 0;
    int before = own_threads();
    CHECK(before >= 1);
    int n = 0, rc = 0;
    while (n < CAP_THREAD_SLOTS) {
        rc = pthread_create(&th[n], &at, wait_release, NULL);
        if (rc)
            break;
        n++;
    }
    __atomic_store_n(&release_all, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    CHECK_RC(rc, EAGAIN);
    CHECK_EQ(n, max + 1 - before);
}

/*
 * utest threads-max: a process whose only thread is its main one creates
 * PTHREAD_THREADS_MAX threads, all alive at once; the next pthread_create
 * gives EAGAIN and leaves nothing behind (the process's threads, its
 * thread and page quota, libc's heap in use), again with a default
 * stack; every thread joins with its own value and the slots are usable
 * again. Exit 0, or the number of the step that failed.
 */
/* Live threads of this process by its thread caps (no system cap
 * needed, unlike threadinfo): every one has its cap in a thread slot. */
static int own_thread_caps(void)
{
    struct cap_info ci;
    int n = 0;
    for (int s = CAP_THREAD_SLOT_BASE; s < CAP_SLOTS; s++)
        n += cap_info(s, &ci) == 0 && ci.type == CAP_TYPE_THREAD;
    return n;
}

static int mode_threads_max(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static pthread_t th[PTHREAD_THREADS_MAX];
    pthread_attr_t at;
    if (own_thread_caps() != 1)
        return 2;
    if (pthread_attr_init(&at) ||
        pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN))
        return 3;
    release_all = 0;
    for (long i = 0; i < PTHREAD_THREADS_MAX; i++)
        if (pthread_create(&th[i], &at, wait_release, (void *)i))
            return 4;
    if (own_thread_caps() != PTHREAD_THREADS_MAX + 1)
        return 5;
    /* In thread slots 1..64: cap slots up to the table's last. */
    for (long i = 0; i < PTHREAD_THREADS_MAX; i++)
        if ((long)th[i] <= CAP_THREAD_SLOT_BASE || (long)th[i] >= CAP_SLOTS)
            return 5;
    for (int round = 0; round < 3; round++) {
        struct keel_quota q0, q1;
        size_t heap0 = mallinfo().uordblks;
        if (keel_quota_info(0, &q0) < 0)
            return 6;
        pthread_t extra;
        int rc =
            pthread_create(&extra, round == 1 ? NULL : &at, wait_release, NULL);
        if (keel_quota_info(0, &q1) < 0)
            return 6;
        if (rc != EAGAIN)
            return 7;
        if (q1.used[KEEL_POOL_THREADS] != q0.used[KEEL_POOL_THREADS])
            return 8;
        /* The first refusal may grow the heap once (malloc keeps what it
         * takes); after that not a page. */
        if (round > 0 && q1.used[KEEL_POOL_PAGES] != q0.used[KEEL_POOL_PAGES])
            return 9;
        if (mallinfo().uordblks != heap0)
            return 10;
        if (own_thread_caps() != PTHREAD_THREADS_MAX + 1)
            return 11;
    }
    __atomic_store_n(&release_all, 1, __ATOMIC_RELEASE);
    for (long i = 0; i < PTHREAD_THREADS_MAX; i++) {
        void *v;
        if (pthread_join(th[i], &v) || v != (void *)i)
            return 12;
    }
    if (own_thread_caps() != 1)
        return 13;
    pthread_t again;
    void *v;
    if (pthread_create(&again, &at, wait_release, (void *)7) ||
        pthread_join(again, &v) || v != (void *)7)
        return 14;
    return 0;
}

const struct ut_mode ut_sysconf_modes[] = {
    {"threads-max", mode_threads_max},
    UT_MODE_END,
};

/* POSIX's minimum, exactly: PTHREAD_THREADS_MAX threads besides the main
 * one, the next EAGAIN without a trace (mode_threads_max). */
TEST(threads_max_created_then_eagain)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "threads-max", NULL, NULL, NULL),
             0);
    CHECK_EXITED(ut_wait(pid), 0);
}

TEST(sysconf_fixed_limits)
{
    int e;
    /* The stack minimum is the smallest size setstacksize accepts. */
    long min = sc(_SC_THREAD_STACK_MIN, &e);
    CHECK_EQ(min, PTHREAD_STACK_MIN);
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstacksize(&at, (size_t)min), 0);
    CHECK_RC(pthread_attr_setstacksize(&at, (size_t)min - 1), EINVAL);
    /* CLK_TCK is the unit of times(): a 200 ms sleep advances it by at
     * least a fifth of CLK_TCK. */
    long tck = sc(_SC_CLK_TCK, &e);
    CHECK_EQ(e, 0);
    CHECK(tck > 0);
    struct tms tm;
    clock_t t0 = times(&tm);
    ut_sleep_ms(200);
    clock_t t1 = times(&tm);
    CHECK((long)(t1 - t0) >= tck / 5);
    CHECK_EQ(sc(_SC_ARG_MAX, &e), KEEL_SPAWN_ARGS_BYTES);
    /* Limits with no determinate value: -1, errno untouched. */
    CHECK_EQ(sc(_SC_STREAM_MAX, &e), -1);
    CHECK_EQ(e, 0);
    CHECK_EQ(sc(_SC_LINE_MAX, &e), -1);
    CHECK_EQ(e, 0);
}

/* Each option's answer is its macro's value, or -1 with errno untouched
 * when the macro is not defined. */
#define OPTION_MATCHES(scname, macro, ok)                                      \
    do {                                                                       \
        int e_;                                                                \
        long v_ = sc(scname, &e_);                                             \
        ok = ok && e_ == 0 && v_ == (macro);                                   \
        if (!(e_ == 0 && v_ == (macro)))                                       \
            UT_FAIL("sysconf(%s) = %ld errno %d, expected %ld", #scname, v_,   \
                    e_, (long)(macro));                                        \
    } while (0)

TEST(sysconf_options_follow_macros)
{
    int ok = 1;
    OPTION_MATCHES(_SC_MEMLOCK, _POSIX_MEMLOCK, ok);
    OPTION_MATCHES(_SC_MEMLOCK_RANGE, _POSIX_MEMLOCK_RANGE, ok);
    OPTION_MATCHES(_SC_FSYNC, _POSIX_FSYNC, ok);
    OPTION_MATCHES(_SC_MONOTONIC_CLOCK, _POSIX_MONOTONIC_CLOCK, ok);
    OPTION_MATCHES(_SC_THREAD_ATTR_STACKSIZE, _POSIX_THREAD_ATTR_STACKSIZE, ok);
    OPTION_MATCHES(_SC_THREAD_ATTR_STACKADDR, _POSIX_THREAD_ATTR_STACKADDR, ok);
    OPTION_MATCHES(_SC_BARRIERS, _POSIX_BARRIERS, ok);
    OPTION_MATCHES(_SC_SPIN_LOCKS, _POSIX_SPIN_LOCKS, ok);
    OPTION_MATCHES(_SC_READER_WRITER_LOCKS, _POSIX_READER_WRITER_LOCKS, ok);
    OPTION_MATCHES(_SC_TIMEOUTS, _POSIX_TIMEOUTS, ok);
#ifdef _POSIX_THREADS
    OPTION_MATCHES(_SC_THREADS, _POSIX_THREADS, ok);
#else
    OPTION_MATCHES(_SC_THREADS, -1, ok);
#endif
#ifdef _POSIX_SEMAPHORES
    OPTION_MATCHES(_SC_SEMAPHORES, _POSIX_SEMAPHORES, ok);
#else
    OPTION_MATCHES(_SC_SEMAPHORES, -1, ok);
#endif
#ifdef _POSIX_TIMERS
    OPTION_MATCHES(_SC_TIMERS, _POSIX_TIMERS, ok);
#else
    OPTION_MATCHES(_SC_TIMERS, -1, ok);
#endif
    /* Never provided on Keel: no shared memory objects, no asynchronous
     * I/O, no tracing. */
    OPTION_MATCHES(_SC_SHARED_MEMORY_OBJECTS, -1, ok);
    OPTION_MATCHES(_SC_ASYNCHRONOUS_IO, -1, ok);
    OPTION_MATCHES(_SC_TRACE, -1, ok);
    CHECK(ok);
}

TEST(sysconf_unknown_names)
{
    int e;
    CHECK_EQ(sc(-1, &e), -1);
    CHECK_EQ(e, EINVAL);
    CHECK_EQ(sc(9999, &e), -1);
    CHECK_EQ(e, EINVAL);
    CHECK_EQ(sc(_SC_POSIX_26_VERSION + 1, &e), -1);
    CHECK_EQ(e, EINVAL);
}

const struct utest ut_sysconf_tests[] = {
    UT_CASE(sysconf_kernel_limits),
    UT_CASE(sysconf_open_max_is_real),
    UT_CASE(sysconf_threads_max_is_real),
    UT_CASE(threads_max_created_then_eagain),
    UT_CASE(sysconf_fixed_limits),
    UT_CASE(sysconf_options_follow_macros),
    UT_CASE(sysconf_unknown_names),
    UT_END,
};
