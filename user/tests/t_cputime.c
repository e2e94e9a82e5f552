/*
 * CPU-time clocks and fork handlers (issue 9 conformance):
 * CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID, clock_getcpuclockid,
 * pthread_getcpuclockid with clock_gettime and clock_getres, times() and
 * clock() on the process's CPU time, and pthread_atfork: handlers kept
 * in registration order, run around Keel's failing fork(), never by
 * posix_spawn.
 *
 * No timing thresholds: the checks are orderings that hold under any
 * load (a thread's CPU time never exceeds the wall time it has lived; a
 * blocked thread gains no CPU time; the process's clock covers its
 * threads, exited ones included), with spins bounded by a guard.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define CT_MS 1000000ull
#define CT_GUARD_NS (20000ull * CT_MS) /* a spin gives up after 20 s */

static uint64_t ct_read(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Spins until clock c has advanced by ns (or the guard passes). */
static int ct_spin(clockid_t c, uint64_t ns)
{
    uint64_t start = ct_read(c), end = ut_now_ns() + CT_GUARD_NS;
    while (ct_read(c) - start < ns)
        if (ut_now_ns() > end)
            return -1;
    return 0;
}

struct ct_spinner {
    volatile int stop;
    volatile int spun; /* 1 once it has run 20 ms of CPU */
    uint64_t cpu;      /* its own clock when it stopped */
};

static void *ct_spin_thread(void *arg)
{
    struct ct_spinner *s = arg;
    if (ct_spin(CLOCK_THREAD_CPUTIME_ID, 20 * CT_MS) == 0)
        s->spun = 1;
    while (!s->stop)
        sched_yield();
    s->cpu = ct_read(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

TEST(cputime_thread_clock_counts_running_only)
{
    struct timespec res, mres;
    CHECK_OK(clock_getres(CLOCK_THREAD_CPUTIME_ID, &res));
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &mres));
    CHECK(res.tv_sec == mres.tv_sec && res.tv_nsec == mres.tv_nsec);
    CHECK_OK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, NULL));
    /* Running: never more CPU time than wall time lived. */
    uint64_t w0 = ut_now_ns(), c0 = ct_read(CLOCK_THREAD_CPUTIME_ID);
    CHECK_EQ(ct_spin(CLOCK_THREAD_CPUTIME_ID, 20 * CT_MS), 0);
    uint64_t c1 = ct_read(CLOCK_THREAD_CPUTIME_ID), w1 = ut_now_ns();
    CHECK(c1 - c0 >= 20 * CT_MS);
    CHECK(c1 - c0 <= w1 - w0 + (uint64_t)res.tv_nsec);
    /* Blocked: the clock stands still (a little for the calls). */
    ut_sleep_ms(200);
    uint64_t c2 = ct_read(CLOCK_THREAD_CPUTIME_ID);
    CHECKF(c2 - c1 < 100 * CT_MS, "a 200 ms sleep cost %llu ns of CPU",
           (unsigned long long)(c2 - c1));
}

TEST(cputime_other_thread_and_process)
{
    clockid_t pc;
    CHECK_RC(clock_getcpuclockid(0, &pc), 0);
    CHECK_EQ(pc, CLOCK_PROCESS_CPUTIME_ID);
    CHECK_RC(clock_getcpuclockid(getpid(), &pc), 0);
    CHECK_EQ(pc, CLOCK_PROCESS_CPUTIME_ID);
    uint64_t p0 = ct_read(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(p0 > 0);
    struct ct_spinner s = {0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, ct_spin_thread, &s), 0);
    clockid_t tc;
    CHECK_RC(pthread_getcpuclockid(th, &tc), 0);
    CHECK(tc != CLOCK_THREAD_CPUTIME_ID && tc != CLOCK_PROCESS_CPUTIME_ID);
    CHECK_OK(clock_getres(tc, NULL));
    uint64_t end = ut_now_ns() + CT_GUARD_NS;
    while (!s.spun && ut_now_ns() < end)
        ut_sleep_ms(5);
    CHECK(s.spun);
    /* Read from here, the spinner's clock shows its 20 ms. */
    CHECK(ct_read(tc) >= 20 * CT_MS);
    s.stop = 1;
    /* Exited, not joined: its clock keeps its final value. */
    end = ut_now_ns() + CT_GUARD_NS;
    while (!s.cpu && ut_now_ns() < end)
        ut_sleep_ms(5);
    /* It stops counting once gone: two reads 20 ms apart agree. */
    uint64_t last = ct_read(tc), now;
    for (end = ut_now_ns() + CT_GUARD_NS;; last = now) {
        ut_sleep_ms(20);
        now = ct_read(tc);
        if (now == last || ut_now_ns() > end)
            break;
    }
    CHECK_EQ(now, last);
    CHECK(last >= s.cpu);
    /* The process clock covers it (and us) before and after the join. */
    uint64_t p1 = ct_read(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(p1 - p0 >= 20 * CT_MS);
    CHECK_RC(pthread_join(th, NULL), 0);
    uint64_t p2 = ct_read(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(p2 >= p1);
    /* Joined: the id names no clock any more. */
    struct timespec ts;
    CHECK_ERRNO(clock_gettime(tc, &ts), EINVAL);
    CHECK_RC(pthread_getcpuclockid(th, &tc), ESRCH);
    /* Our own thread's id reads the same clock as THREAD_CPUTIME_ID. */
    CHECK_RC(pthread_getcpuclockid(pthread_self(), &tc), 0);
    uint64_t a = ct_read(CLOCK_THREAD_CPUTIME_ID), b = ct_read(tc),
             c = ct_read(CLOCK_THREAD_CPUTIME_ID);
    CHECK(a <= b && b <= c);
}

TEST(cputime_errors)
{
    clockid_t c;
    CHECK_RC(pthread_getcpuclockid((pthread_t)3, &c), ESRCH); /* an fd slot */
    CHECK_RC(pthread_getcpuclockid((pthread_t)CAP_SLOTS, &c), ESRCH);
    CHECK_RC(clock_getcpuclockid(-1, &c), ESRCH);
    CHECK_RC(clock_getcpuclockid(999999, &c), ESRCH);
    struct timespec ts = {1, 0};
    /* Nothing sets a CPU-time clock (EPERM: no process may) or sleeps on
     * one: the calling thread's own is EINVAL (POSIX), the process's and
     * another thread's ENOTSUP. */
    CHECK_ERRNO(clock_settime(CLOCK_PROCESS_CPUTIME_ID, &ts), EPERM);
    CHECK_ERRNO(clock_settime(CLOCK_THREAD_CPUTIME_ID, &ts), EPERM);
    CHECK_RC(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EINVAL);
    CHECK_RC(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME, &ts, NULL),
             EINVAL);
    CHECK_RC(pthread_getcpuclockid(pthread_self(), &c), 0);
    CHECK_RC(clock_nanosleep(c, 0, &ts, NULL), EINVAL);
    CHECK_ERRNO(clock_settime(c, &ts), EPERM);
    CHECK_RC(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL), ENOTSUP);
    CHECK_RC(
        clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &ts, NULL),
        ENOTSUP);
    /* No such clock at all: EINVAL for every call. */
    clockid_t none = (clockid_t)(KEEL_CLOCK_THREAD_CPU_BASE + CAP_SLOTS - 1);
    CHECK_RC(clock_nanosleep(none, 0, &ts, NULL), EINVAL);
    CHECK_ERRNO(clock_settime(none, &ts), EINVAL);
    CHECK_ERRNO(clock_settime((clockid_t)99, &ts), EINVAL);
    /* An unused thread slot's clock id: no clock. */
    CHECK_ERRNO(
        clock_gettime((clockid_t)(KEEL_CLOCK_THREAD_CPU_BASE + CAP_SLOTS - 1),
                      &ts),
        EINVAL);
    CHECK_ERRNO(clock_getres((clockid_t)(KEEL_CLOCK_THREAD_CPU_BASE + 5), &ts),
                EINVAL);
}

/* Another process's CPU time needs more than a process cap. */
TEST(cputime_other_pid_eperm)
{
    pid_t pid;
    char *argv[] = {"true", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/true", NULL, NULL, argv), 0);
    clockid_t c;
    int rc = clock_getcpuclockid(pid, &c);
    int st = ut_wait(pid);
    CHECK_RC(rc, EPERM);
    CHECK(WIFEXITED(st));
}

/* times() and clock() count CPU time, not the time since boot. */
TEST(cputime_clock_and_times)
{
    struct tms t0, t1;
    clock_t k0 = clock();
    clock_t e0 = times(&t0);
    ut_sleep_ms(300);
    clock_t k1 = clock();
    clock_t e1 = times(&t1);
    CHECK(e1 - e0 >= CLOCKS_PER_SEC / 4); /* elapsed: the sleep */
    CHECKF(k1 - k0 < CLOCKS_PER_SEC / 10, "clock() gained %ld in a sleep",
           (long)(k1 - k0));
    CHECK(t1.tms_utime - t0.tms_utime < CLOCKS_PER_SEC / 10);
    CHECK_EQ(ct_spin(CLOCK_PROCESS_CPUTIME_ID, 30 * CT_MS), 0);
    CHECK(clock() - k1 >= CLOCKS_PER_SEC / 50); /* 20 ms of the 30 */
}

/* pthread_atfork: a bounded log of handler calls. */
static char af_log[64];
static int af_n;

static void af_put(char c)
{
    if (af_n < (int)sizeof(af_log) - 1)
        af_log[af_n++] = c;
}
static void af_prep1(void)
{
    af_put('a');
}
static void af_prep2(void)
{
    af_put('b');
}
static void af_par1(void)
{
    af_put('1');
}
static void af_par3(void)
{
    af_put('3');
}
static void af_child(void)
{
    af_put('C');
}

TEST(atfork_order_and_spawn)
{
    static int registered;
    if (!registered) { /* the handlers stay for the process's life */
        CHECK_RC(pthread_atfork(af_prep1, af_par1, af_child), 0);
        CHECK_RC(pthread_atfork(af_prep2, NULL, af_child), 0);
        CHECK_RC(pthread_atfork(NULL, af_par3, NULL), 0);
        registered = 1;
    }
    af_n = 0;
    memset(af_log, 0, sizeof(af_log));
    /* posix_spawn runs no fork handler (POSIX). */
    pid_t pid;
    char *argv[] = {"true", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/true", NULL, NULL, argv), 0);
    CHECK(WIFEXITED(ut_wait(pid)));
    CHECK_EQ(af_n, 0);
    /* fork fails (ENOSYS): prepare handlers last-registered first, then
     * the parent handlers in registration order; no child handler. */
    CHECK_ERRNO(fork(), ENOSYS);
    CHECKF(strcmp(af_log, "ba13") == 0, "handlers ran as \"%s\"", af_log);
}

const struct utest ut_cputime_tests[] = {
    UT_CASE(cputime_thread_clock_counts_running_only),
    UT_CASE(cputime_other_thread_and_process),
    UT_CASE(cputime_errors),
    UT_CASE(cputime_other_pid_eperm),
    UT_CASE(cputime_clock_and_times),
    UT_CASE(atfork_order_and_spawn),
    UT_END,
};
