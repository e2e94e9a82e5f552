/*
 * Timers on CPU-time clocks (_POSIX_CPUTIME, _POSIX_THREAD_CPUTIME;
 * kernel/sched/cputimer.c): timer_create with CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID and pthread_getcpuclockid ids; one-shot and
 * periodic, relative and TIMER_ABSTIME, overruns, timer_gettime, a
 * thread that exits under its timer, delete while armed, the errors.
 *
 * No timing upper bounds that load can break: an expiry is never before
 * its clock reached it (checked against the clock read afterwards), a
 * sleeping thread's clock barely moves (the checks allow it a good part
 * of the sleep), and every wait for an expiry is a spin or poll bounded
 * by a generous wall-clock guard that fails the test instead of hanging.
 * The tests of the process clock run isolated (a child of their own):
 * utest's own process has other threads whose running moves it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define CX_MS 1000000ll
#define CX_GUARD_NS (20000ll * CX_MS) /* spins give up after 20 s */
#define CX_VALUE 0x4350 /* our timers' sigev_value: no other signal counts */

static long long cx_read(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static struct timespec cx_ts(long long ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ll),
                          (long)(ns % 1000000000ll)};
    return ts;
}

static int cx_set(timer_t t, int flags, long long value, long long interval)
{
    struct itimerspec its = {cx_ts(interval), cx_ts(value)};
    return timer_settime(t, flags, &its, NULL);
}

/* Time left (ns), -1 if timer_gettime failed. */
static long long cx_left(timer_t t)
{
    struct itimerspec its;
    if (timer_gettime(t, &its) != 0)
        return -1;
    return (long long)its.it_value.tv_sec * 1000000000ll + its.it_value.tv_nsec;
}

static int cx_create(clockid_t c, int notify, int sig, timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = notify;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = CX_VALUE;
    return timer_create(c, &ev, t);
}

/* Spins (burning CPU) until *flag is nonzero or clock c has advanced by
 * ns (ns 0: no clock limit); -1 when the wall-clock guard passed. */
static int cx_spin_until(volatile int *flag, clockid_t c, long long ns)
{
    long long start = cx_read(c);
    uint64_t end = ut_now_ns() + CX_GUARD_NS;
    for (;;) {
        if (flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE))
            return 0;
        if (ns && cx_read(c) - start >= ns)
            return 0;
        if (ut_now_ns() > end)
            return -1;
    }
}

/* Spins until timer t is no longer armed (SIGEV_NONE), -1 at the guard. */
static int cx_spin_disarmed(timer_t t)
{
    uint64_t end = ut_now_ns() + CX_GUARD_NS;
    while (cx_left(t) > 0)
        if (ut_now_ns() > end)
            return -1;
    return cx_left(t) == 0 ? 0 : -1;
}

static volatile int cx_sigs, cx_value;
static void cx_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code != SI_TIMER || si->si_value.sival_int != CX_VALUE)
        return; /* not one of ours */
    cx_value = si->si_value.sival_int;
    __atomic_fetch_add(&cx_sigs, 1, __ATOMIC_ACQ_REL);
}

static int cx_install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = cx_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    cx_sigs = cx_value = 0;
    return sigaction(sig, &sa, NULL);
}

static void cx_uninstall(int sig)
{
    signal(sig, SIG_DFL);
}

/* A process CPU-time timer stays armed while the process sleeps and
 * signals once the process has run long enough, never before. */
TEST(cputimer_process_signal_after_running)
{
    int sig = SIGRTMIN + 2;
    CHECK_OK(cx_install(sig));
    timer_t t;
    CHECK_OK(cx_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, sig, &t));
    long long c0 = cx_read(CLOCK_PROCESS_CPUTIME_ID);
    CHECK_OK(cx_set(t, 0, 150 * CX_MS, 0));
    ut_sleep_ms(200); /* costs far less than 150 ms of CPU */
    long long slept = cx_read(CLOCK_PROCESS_CPUTIME_ID) - c0;
    long long left = cx_left(t);
    int early = cx_sigs;
    if (slept < 150 * CX_MS) { /* no other thread ran it up meanwhile */
        CHECKF(early == 0, "fired after %lld ns of CPU", slept);
        CHECKF(left > 0 && left <= 150 * CX_MS, "left %lld", left);
    }
    CHECK_EQ(cx_spin_until(&cx_sigs, CLOCK_PROCESS_CPUTIME_ID, 0), 0);
    long long c1 = cx_read(CLOCK_PROCESS_CPUTIME_ID);
    CHECKF(c1 - c0 >= 150 * CX_MS, "fired after %lld ns of CPU", c1 - c0);
    CHECK_EQ(cx_value, CX_VALUE);
    CHECK_EQ(cx_left(t), 0); /* one-shot: disarmed */
    ut_sleep_ms(20);
    CHECK_EQ(cx_sigs, 1);
    CHECK_OK(timer_delete(t));
    cx_uninstall(sig);
}

/* clock_getcpuclockid(getpid()) gives the same clock; SIGEV_NONE shows
 * the expiry only through timer_gettime; TIMER_ABSTIME against the CPU
 * clock, and an absolute time already past expires at once. */
TEST(cputimer_process_abstime_and_none)
{
    clockid_t pc;
    CHECK_RC(clock_getcpuclockid(getpid(), &pc), 0);
    timer_t t;
    CHECK_OK(cx_create(pc, SIGEV_NONE, 0, &t));
    CHECK_EQ(cx_left(t), 0); /* created disarmed */
    long long target = cx_read(pc) + 60 * CX_MS;
    CHECK_OK(cx_set(t, TIMER_ABSTIME, target, 0));
    long long left = cx_left(t);
    CHECKF(left > 0 && left <= 60 * CX_MS, "left %lld", left);
    CHECK_EQ(cx_spin_disarmed(t), 0);
    CHECK(cx_read(pc) >= target);
    /* Past: expires right away (the look after the call). */
    CHECK_OK(cx_set(t, TIMER_ABSTIME, cx_read(pc) / 2, 0));
    CHECK_EQ(cx_spin_disarmed(t), 0);
    CHECK_OK(timer_delete(t));
}

/* A thread clock timer counts only its thread's running: it holds while
 * its thread sleeps and another thread spins, then fires once its own
 * thread spins; timer_gettime goes down only while the thread runs. */
struct cx_spinner {
    volatile int stop;
    volatile int ready;
    clockid_t clock;
};

static void *cx_spin_thread(void *arg)
{
    struct cx_spinner *s = arg;
    pthread_getcpuclockid(pthread_self(), &s->clock);
    __atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
    cx_spin_until(&s->stop, CLOCK_MONOTONIC, 0);
    return NULL;
}

/* Starts a spinner thread and waits (bounded by the guard) until it has
 * published its clock id: pthread_create's result, 0 on success. */
static int cx_spinner_start(struct cx_spinner *s, pthread_t *th)
{
    int rc = pthread_create(th, NULL, cx_spin_thread, s);
    uint64_t end = ut_now_ns() + CX_GUARD_NS;
    while (rc == 0 && !__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) &&
           ut_now_ns() < end)
        ut_sleep_ms(2);
    return rc;
}

TEST(cputimer_thread_counts_own_running)
{
    timer_t t;
    CHECK_OK(cx_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_NONE, 0, &t));
    CHECK_OK(cx_set(t, 0, 100 * CX_MS, 0));
    long long l0 = cx_left(t);
    struct cx_spinner s = {0};
    pthread_t th;
    CHECK_RC(cx_spinner_start(&s, &th), 0);
    ut_sleep_ms(150); /* the spinner runs: our clock does not */
    long long l1 = cx_left(t);
    long long spun = cx_read(s.clock); /* it started after l0 */
    s.stop = 1;
    CHECK_RC(pthread_join(th, NULL), 0);
    /* Less came off our timer than the spinner ran meanwhile (not a
     * bound in time: host load stretches both). */
    CHECKF(l1 > 0 && l1 <= l0 && l0 - l1 < spun,
           "left %lld then %lld, the spinner ran %lld", l0, l1, spun);
    /* Running 30 ms of our own CPU takes at least that off. */
    CHECK_EQ(cx_spin_until(NULL, CLOCK_THREAD_CPUTIME_ID, 30 * CX_MS), 0);
    long long l2 = cx_left(t);
    CHECKF(l2 >= 0 && l2 <= l1 - 30 * CX_MS, "left %lld after %lld", l2, l1);
    long long c0 = cx_read(CLOCK_THREAD_CPUTIME_ID);
    CHECK_EQ(cx_spin_disarmed(t), 0);
    CHECK(cx_read(CLOCK_THREAD_CPUTIME_ID) - c0 >= l2);
    CHECK_OK(timer_delete(t));
}

/* A timer on another thread's clock (pthread_getcpuclockid) fires while
 * that thread spins and we sleep. */
TEST(cputimer_other_thread_clock)
{
    struct cx_spinner s = {0};
    pthread_t th;
    CHECK_RC(cx_spinner_start(&s, &th), 0);
    uint64_t end = ut_now_ns() + CX_GUARD_NS;
    timer_t t;
    int rc = cx_create(s.clock, SIGEV_NONE, 0, &t);
    long long c0 = cx_read(s.clock);
    if (rc == 0)
        rc = cx_set(t, 0, 50 * CX_MS, 0);
    long long left = 1;
    while (rc == 0 && (left = cx_left(t)) > 0 && ut_now_ns() < end)
        ut_sleep_ms(5);
    long long c1 = cx_read(s.clock);
    s.stop = 1;
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rc, 0);
    CHECK_EQ(left, 0);
    CHECKF(c1 - c0 >= 50 * CX_MS, "fired after %lld ns", c1 - c0);
    CHECK_OK(timer_delete(t));
}

/* The process clock adds up its threads: two spinners reach the expiry
 * while the creating thread only sleeps. */
TEST(cputimer_process_sums_threads)
{
    timer_t t;
    CHECK_OK(cx_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0, &t));
    long long c0 = cx_read(CLOCK_PROCESS_CPUTIME_ID);
    long long m0 = cx_read(CLOCK_THREAD_CPUTIME_ID);
    CHECK_OK(cx_set(t, 0, 80 * CX_MS, 0));
    struct cx_spinner s1 = {0}, s2 = {0};
    pthread_t a, b;
    CHECK_RC(cx_spinner_start(&s1, &a), 0);
    CHECK_RC(cx_spinner_start(&s2, &b), 0);
    uint64_t end = ut_now_ns() + CX_GUARD_NS;
    long long left;
    while ((left = cx_left(t)) > 0 && ut_now_ns() < end)
        ut_sleep_ms(5);
    /* Every thread clock read before the process clock, each after c0
     * (the spinners started at 0 after it): the process clock, the sum
     * of its threads' clocks, gained at least what the three gained.
     * A bound in time ("the sleeper ran under 80 ms") failed under host
     * load, where a descheduled QEMU hart counts for the thread on it. */
    long long a1 = cx_read(s1.clock), b1 = cx_read(s2.clock);
    long long m1 = cx_read(CLOCK_THREAD_CPUTIME_ID);
    long long c1 = cx_read(CLOCK_PROCESS_CPUTIME_ID);
    s1.stop = s2.stop = 1;
    CHECK_RC(pthread_join(a, NULL), 0);
    CHECK_RC(pthread_join(b, NULL), 0);
    CHECK_EQ(left, 0);
    CHECK(c1 - c0 >= 80 * CX_MS);
    CHECK(a1 > 0 && b1 > 0 && m1 >= m0);
    CHECKF(c1 - c0 >= a1 + b1 + (m1 - m0),
           "process %lld, threads %lld %lld %lld", c1 - c0, a1, b1, m1 - m0);
    CHECK_OK(timer_delete(t));
}

/* Periodic on the thread clock with its signal blocked: the expiries
 * while it stays pending are overruns, counted once it is accepted. */
TEST(cputimer_periodic_overrun)
{
    int sig = SIGRTMIN + 3;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    CHECK_RC(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    timer_t t;
    CHECK_OK(cx_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, sig, &t));
    CHECK_OK(cx_set(t, 0, 10 * CX_MS, 10 * CX_MS));
    CHECK_EQ(cx_spin_until(NULL, CLOCK_THREAD_CPUTIME_ID, 100 * CX_MS), 0);
    struct itimerspec its;
    CHECK_OK(timer_gettime(t, &its));
    CHECK(its.it_interval.tv_sec == 0 && its.it_interval.tv_nsec == 10 * CX_MS);
    CHECK(its.it_value.tv_sec == 0 && its.it_value.tv_nsec > 0 &&
          its.it_value.tv_nsec <= 10 * CX_MS);
    /* Disarmed first: the pending instance stays, no new one comes. */
    int dis = cx_set(t, 0, 0, 0);
    siginfo_t si, si2;
    struct timespec zero = {0, 0};
    int got = sigtimedwait(&set, &si, &zero);
    int over = timer_getoverrun(t);
    int more = sigtimedwait(&set, &si2, &zero); /* one instance only */
    CHECK_RC(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
    CHECK_EQ(dis, 0);
    CHECK_EQ(more, -1);
    CHECK_EQ(got, sig);
    CHECK_EQ(si.si_code, SI_TIMER);
    CHECK_EQ(si.si_value.sival_int, CX_VALUE);
    /* 100 ms ran: about 9 more expiries; some may not be seen yet. */
    CHECKF(over >= 4, "overrun %d", over);
    CHECK_EQ(cx_left(t), 0);
    CHECK_OK(timer_delete(t));
}

/* Deleting an armed timer: it never fires afterwards. Disarming with a
 * zero value returns the old setting. */
TEST(cputimer_delete_and_disarm_while_armed)
{
    int sig = SIGRTMIN + 2;
    CHECK_OK(cx_install(sig));
    timer_t t, u;
    CHECK_OK(cx_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, sig, &t));
    CHECK_OK(cx_create(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, sig, &u));
    CHECK_OK(cx_set(t, 0, 10 * CX_MS, 10 * CX_MS));
    CHECK_OK(cx_set(u, 0, 10 * CX_MS, 0));
    CHECK_OK(timer_delete(t));
    struct itimerspec zero = {{0, 0}, {0, 0}}, old;
    CHECK_OK(timer_settime(u, 0, &zero, &old));
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 &&
          old.it_value.tv_nsec <= 10 * CX_MS);
    CHECK_EQ(cx_spin_until(NULL, CLOCK_THREAD_CPUTIME_ID, 50 * CX_MS), 0);
    ut_sleep_ms(10);
    CHECK_EQ(cx_sigs, 0);
    CHECK_EQ(cx_left(u), 0);
    CHECK_OK(timer_delete(u));
    cx_uninstall(sig);
}

/* A timer on a thread's clock whose thread exits is disarmed for good:
 * it never fires, cannot be armed again (EINVAL), and is deleted as any
 * other. After the join, the thread's clock id names no clock. */
TEST(cputimer_thread_exits)
{
    struct cx_spinner s = {0};
    pthread_t th;
    CHECK_RC(cx_spinner_start(&s, &th), 0);
    timer_t t;
    int rc = cx_create(s.clock, SIGEV_NONE, 0, &t);
    if (rc == 0)
        rc = cx_set(t, 0, 3600ll * 1000 * CX_MS, 0); /* an hour */
    long long armed = rc == 0 ? cx_left(t) : -1;
    s.stop = 1;
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rc, 0);
    CHECK(armed > 0);
    CHECK_EQ(cx_left(t), 0);
    CHECK_ERRNO(cx_set(t, 0, CX_MS, 0), EINVAL);
    CHECK_OK(cx_set(t, 0, 0, 0)); /* disarming is fine */
    CHECK_OK(timer_delete(t));
    timer_t u;
    CHECK_ERRNO(cx_create(s.clock, SIGEV_NONE, 0, &u), EINVAL);
}

TEST(cputimer_errors)
{
    timer_t t;
    CHECK_ERRNO(cx_create((clockid_t)99, SIGEV_NONE, 0, &t), EINVAL);
    /* An unused thread slot's clock. */
    CHECK_ERRNO(
        cx_create((clockid_t)(KEEL_CLOCK_THREAD_CPU_BASE + CAP_SLOTS - 1),
                  SIGEV_NONE, 0, &t),
        EINVAL);
    CHECK_ERRNO(cx_create((clockid_t)(KEEL_CLOCK_THREAD_CPU_BASE + 5),
                          SIGEV_NONE, 0, &t),
                EINVAL);
    CHECK_OK(cx_create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0, &t));
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    CHECK_ERRNO(timer_settime(t, 0, &bad, NULL), EINVAL);
    bad.it_value.tv_nsec = -1;
    CHECK_ERRNO(timer_settime(t, 0, &bad, NULL), EINVAL);
    CHECK_ERRNO(timer_settime(t, 0x40, &bad, NULL), EINVAL);
    CHECK_OK(timer_delete(t));
    CHECK_ERRNO(timer_delete(t), EINVAL);
}

const struct utest ut_cputimer_tests[] = {
    UT_ISOLATED(cputimer_process_signal_after_running),
    UT_ISOLATED(cputimer_process_abstime_and_none),
    UT_CASE(cputimer_thread_counts_own_running),
    UT_CASE(cputimer_other_thread_clock),
    UT_ISOLATED(cputimer_process_sums_threads),
    UT_ISOLATED(
        cputimer_periodic_overrun), /* no watchdog thread to take the signal */
    UT_ISOLATED(cputimer_delete_and_disarm_while_armed),
    UT_CASE(cputimer_thread_exits),
    UT_CASE(cputimer_errors),
    UT_END,
};
