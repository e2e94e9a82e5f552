/*
 * Clocks and absolute sleeps (issue 8 item 6): clock_nanosleep on
 * CLOCK_MONOTONIC and CLOCK_REALTIME, relative and TIMER_ABSTIME;
 * clock_getres; clock_settime behind the system cap; an absolute
 * CLOCK_REALTIME sleep following a settime jump either way; a periodic
 * task on absolute deadlines. Only lower bounds on sleeps: no test here
 * asserts how late a wake-up is (make bench measures that).
 *
 * The tests that set CLOCK_REALTIME put it back (to the time it would
 * have shown) before they end, also when a check fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define NS 1000000000LL
#define MS 1000000LL
#define KADDR ((void *)0x80200000ul)     /* the kernel's text */
#define UNMAPPED ((void *)0x200000000ul) /* user range, never mapped */
#define STRADDLE ((void *)(0x4000000000ul - 8))
#define MAIN_TID CAP_THREAD_SLOT_BASE /* a child's main thread */

static long long ts_ns(const struct timespec *ts)
{
    return (long long)ts->tv_sec * NS + ts->tv_nsec;
}
static struct timespec ns_ts(long long ns)
{
    struct timespec ts = {(time_t)(ns / NS), (long)(ns % NS)};
    return ts;
}
static long long now_on(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return -1;
    return ts_ns(&ts);
}
static long raw(long n, long a, long b, long c, long d)
{
    return keel_syscall6(n, a, b, c, d, 0, 0);
}

/* Where CLOCK_REALTIME stood against CLOCK_MONOTONIC before a test moved
 * it, so it can be put back to what it would read now. */
struct rt_save {
    long long rt, mono;
};
static void rt_save(struct rt_save *s)
{
    s->mono = now_on(CLOCK_MONOTONIC);
    s->rt = now_on(CLOCK_REALTIME);
}
static int rt_restore(const struct rt_save *s)
{
    struct timespec ts = ns_ts(s->rt + (now_on(CLOCK_MONOTONIC) - s->mono));
    return clock_settime(CLOCK_REALTIME, &ts);
}

/* The resolution is one timer tick, and clock_gettime really moves in
 * steps of it: every monotonic reading is a multiple of it. */
TEST(clock_getres_is_the_tick)
{
    struct timespec r = {7, 7}, r2 = {7, 7};
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &r));
    CHECK_OK(clock_getres(CLOCK_REALTIME, &r2));
    CHECK_EQ(r.tv_sec, 0);
    CHECKF(r.tv_nsec > 0 && r.tv_nsec <= 1000000, "resolution %ld ns",
           (long)r.tv_nsec);
    CHECK_EQ(r2.tv_sec, r.tv_sec);
    CHECK_EQ(r2.tv_nsec, r.tv_nsec);
    /* QEMU virt's timebase is 10 MHz. */
    CHECK_EQ(r.tv_nsec, 100);
    long long prev = now_on(CLOCK_MONOTONIC), minstep = NS;
    for (int i = 0; i < 3000; i++) {
        long long t = now_on(CLOCK_MONOTONIC);
        CHECKF(t % r.tv_nsec == 0, "reading %lld not a multiple of %ld", t,
               (long)r.tv_nsec);
        if (t != prev && t - prev < minstep)
            minstep = t - prev;
        prev = t;
    }
    CHECK(minstep >= r.tv_nsec);
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, NULL)); /* res may be NULL */
    CHECK_ERRNO(clock_getres((clockid_t)99, &r), EINVAL);
    /* The CPU-time clocks tick in the same unit (t_cputime.c). */
    struct timespec cr;
    CHECK_OK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &cr));
    CHECK(cr.tv_sec == r.tv_sec && cr.tv_nsec == r.tv_nsec);
    CHECK_OK(clock_getres(CLOCK_THREAD_CPUTIME_ID, &cr));
    CHECK_ERRNO(clock_getres((clockid_t)5, &r), EINVAL); /* not a clock */
    CHECK_EQ(raw(SYS_clock_getres, CLOCK_MONOTONIC, (long)KADDR, 0, 0),
             -EFAULT);
    CHECK_EQ(raw(SYS_clock_getres, CLOCK_MONOTONIC, (long)UNMAPPED, 0, 0),
             -EFAULT);
    CHECK_EQ(raw(SYS_clock_getres, CLOCK_MONOTONIC, (long)STRADDLE, 0, 0),
             -EFAULT);
}

/* An absolute sleep on clock c to a deadline with an odd nanosecond part
 * (not a tick multiple) wakes when c reads at least the deadline. */
static void abs_sleep_on(clockid_t c)
{
    long long t0 = now_on(c);
    long long dl = t0 + 20 * MS + 37;
    struct timespec d = ns_ts(dl);
    CHECK_RC(clock_nanosleep(c, TIMER_ABSTIME, &d, NULL), 0);
    long long t1 = now_on(c);
    CHECKF(t1 >= dl, "woke %lld ns before the deadline", dl - t1);
    /* A deadline already past, or before the epoch, returns at once. */
    d = ns_ts(t0);
    CHECK_RC(clock_nanosleep(c, TIMER_ABSTIME, &d, NULL), 0);
    d.tv_sec = -5;
    d.tv_nsec = 0;
    CHECK_RC(clock_nanosleep(c, TIMER_ABSTIME, &d, NULL), 0);
    /* Many short absolute sleeps, each on a fresh odd deadline. */
    for (int i = 0; i < 50; i++) {
        dl = now_on(c) + 100 * 1000 + (i * 7919) % 100;
        d = ns_ts(dl);
        CHECK_RC(clock_nanosleep(c, TIMER_ABSTIME, &d, NULL), 0);
        long long t = now_on(c);
        CHECKF(t >= dl, "sleep %d woke %lld ns early", i, dl - t);
    }
}

TEST(clock_nanosleep_abs_monotonic)
{
    abs_sleep_on(CLOCK_MONOTONIC);
}

TEST(clock_nanosleep_abs_realtime)
{
    abs_sleep_on(CLOCK_REALTIME);
}

/* Relative sleeps on both clocks last at least the time asked; rem is
 * written only when a sleep is interrupted, so here it stays as it was. */
TEST(clock_nanosleep_relative)
{
    clockid_t cs[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        struct timespec req = {0, 15 * MS + 11}, rem = {77, 77};
        long long t0 = now_on(CLOCK_MONOTONIC);
        CHECK_RC(clock_nanosleep(cs[i], 0, &req, &rem), 0);
        long long t1 = now_on(CLOCK_MONOTONIC);
        CHECKF(t1 - t0 >= 15 * MS + 11, "clock %d: slept %lld ns", (int)cs[i],
               t1 - t0);
        CHECK_EQ(rem.tv_sec, 77);
        CHECK_EQ(rem.tv_nsec, 77);
        req.tv_nsec = 0;
        CHECK_RC(clock_nanosleep(cs[i], 0, &req, NULL), 0);
    }
    /* nanosleep stays, and rounds up to whole ticks as well. */
    struct timespec req = {0, 150};
    long long t0 = now_on(CLOCK_MONOTONIC);
    CHECK_OK(nanosleep(&req, NULL));
    CHECK(now_on(CLOCK_MONOTONIC) - t0 >= 150);
}

/* Bad input: the error number is the return value (POSIX), errno is left
 * alone; the kernel answers the same through the raw call. */
TEST(clock_nanosleep_bad_input)
{
    struct timespec ok = {0, 1000}, bad = {0, NS};
    errno = 4321;
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
    CHECK_EQ(errno, 4321);
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &bad, NULL),
             EINVAL);
    bad.tv_nsec = -1;
    CHECK_RC(clock_nanosleep(CLOCK_REALTIME, 0, &bad, NULL), EINVAL);
    CHECK_RC(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &bad, NULL),
             EINVAL);
    struct timespec neg = {-1, 0};
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, 0, &neg, NULL), EINVAL);
    CHECK_RC(clock_nanosleep((clockid_t)99, 0, &ok, NULL), EINVAL);
    CHECK_RC(clock_nanosleep((clockid_t)-1, 0, &ok, NULL), EINVAL);
    /* The process CPU-time clock: ENOTSUP; the calling thread's: EINVAL
     * (POSIX; t_cputime.c has the rest). */
    CHECK_RC(clock_nanosleep((clockid_t)2, 0, &ok, NULL), ENOTSUP);
    CHECK_RC(clock_nanosleep((clockid_t)3, 0, &ok, NULL), EINVAL);
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, 1, &ok, NULL), EINVAL);
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, 0, UNMAPPED, NULL), EFAULT);
    CHECK_RC(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, KADDR, NULL),
             EFAULT);
    CHECK_RC(clock_nanosleep(CLOCK_REALTIME, 0, NULL, NULL), EFAULT);
    CHECK_RC(clock_nanosleep(CLOCK_REALTIME, 0, STRADDLE, NULL), EFAULT);
    CHECK_EQ(errno, 4321);
    CHECK_EQ(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&bad, 0),
             -EINVAL);
    CHECK_EQ(raw(SYS_clock_nanosleep, 99, 0, (long)&ok, 0), -EINVAL);
    CHECK_EQ(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)UNMAPPED, 0),
             -EFAULT);
    /* A rem pointer is not touched by a sleep that is not interrupted. */
    CHECK_EQ(
        raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&ok, (long)KADDR),
        0);
}

/*
 * clock-settime: calls clock_settime(CLOCK_REALTIME, now) and then with
 * CLOCK_MONOTONIC; exits with the first call's errno (0 if it worked)
 * plus 100 if the second did not fail with EINVAL.
 */
static int mode_clock_settime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int r = clock_settime(CLOCK_REALTIME, &ts) == 0 ? 0 : errno;
    errno = 0;
    if (!(clock_settime(CLOCK_MONOTONIC, &ts) == -1 && errno == EINVAL))
        r += 100;
    return r;
}

/*
 * clock-rt-sleep SEC NSEC: an absolute CLOCK_REALTIME sleep until SEC.NSEC;
 * exits 0 when it returned 0 with the clock at or past the deadline, 1 if
 * it woke early, 2 + the error number otherwise.
 */
static int mode_clock_rt_sleep(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    struct timespec d = {(time_t)atoll(argv[2]), atol(argv[3])};
    int r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &d, NULL);
    if (r)
        return 2 + r;
    return now_on(CLOCK_REALTIME) >= ts_ns(&d) ? 0 : 1;
}

const struct ut_mode ut_clock_modes[] = {
    {"clock-settime", mode_clock_settime},
    {"clock-rt-sleep", mode_clock_rt_sleep},
    UT_MODE_END,
};

static int spawn_settime(const posix_spawn_file_actions_t *fa)
{
    pid_t pid;
    if (ut_spawn_self(&pid, fa, NULL, "clock-settime", NULL, NULL, NULL))
        return -1;
    int st = ut_wait(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Without the system cap, or with a copy lacking WRITE: EPERM. The
 * suite itself holds init's cap with every right: it may. */
TEST(clock_settime_needs_system_cap)
{
    ut_step("a child without the system cap");
    CHECK_EQ(spawn_settime(NULL), EPERM);
    ut_step("a child with a READ-only copy");
    int s = keel_system_slot();
    CHECK(s >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    CHECK_RC(keel_spawn_file_actions_addcap(&fa, 40, s, CAP_RIGHT_READ), 0);
    int code = spawn_settime(&fa);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_EQ(code, EPERM);
    ut_step("a child with a WRITE copy");
    posix_spawn_file_actions_init(&fa);
    CHECK_RC(keel_spawn_file_actions_addcap(&fa, 40, s, CAP_RIGHT_WRITE), 0);
    code = spawn_settime(&fa);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_EQ(code, 0);
    ut_step("the raw call");
    struct keel_timespec ks = {1, 0};
    CHECK_EQ(raw(SYS_clock_settime, CLOCK_MONOTONIC, (long)&ks, 0, 0), -EINVAL);
}

/* With the cap: the clock jumps, CLOCK_MONOTONIC does not; bad values and
 * pointers are refused and change nothing. */
TEST(clock_settime_sets_realtime)
{
    struct rt_save sv;
    rt_save(&sv);
    long long m0 = now_on(CLOCK_MONOTONIC);
    struct timespec to = ns_ts(sv.rt + 1000 * NS);
    int rc = clock_settime(CLOCK_REALTIME, &to);
    long long rt1 = now_on(CLOCK_REALTIME), m1 = now_on(CLOCK_MONOTONIC);
    int back = rt_restore(&sv);
    CHECK_OK(rc);
    CHECK_OK(back);
    CHECKF(rt1 >= ts_ns(&to) - 100, "realtime %lld after setting %lld", rt1,
           ts_ns(&to));
    CHECK(m1 - m0 < 1000 * NS); /* the monotonic clock did not jump */
    long long rt2 = now_on(CLOCK_REALTIME);
    CHECKF(rt2 >= sv.rt && rt2 < sv.rt + 1000 * NS, "restored to %lld", rt2);
    ut_step("bad input");
    struct timespec bad = {5, NS};
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    CHECK_ERRNO(clock_settime(CLOCK_MONOTONIC, &to), EINVAL);
    CHECK_ERRNO(clock_settime((clockid_t)99, &to), EINVAL);
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, UNMAPPED), EFAULT);
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, KADDR), EFAULT);
    CHECK_ERRNO(clock_settime(CLOCK_REALTIME, NULL), EFAULT);
    long long rt3 = now_on(CLOCK_REALTIME);
    CHECKF(rt3 >= rt2 && rt3 < sv.rt + 1000 * NS, "changed to %lld", rt3);
}

/* Polls (bounded, ~10 s) until pid's main thread is blocked in an
 * absolute CLOCK_REALTIME sleep. */
static int wait_rt_sleeper(pid_t pid)
{
    for (int tries = 0; tries < 1000; tries++) {
        struct keel_threadinfo ti;
        for (int i = 0; keel_threadinfo(i, &ti) > 0; i++)
            if (ti.pid == pid && ti.tid == MAIN_TID &&
                ti.state == KEEL_TSTATE_BLOCKED &&
                !strcmp(ti.wchan, "clock_nanosleep"))
                return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

static pid_t spawn_rt_sleeper(long long deadline)
{
    char sec[24], nsec[16];
    snprintf(sec, sizeof(sec), "%lld", deadline / NS);
    snprintf(nsec, sizeof(nsec), "%lld", deadline % NS);
    pid_t pid;
    if (ut_spawn_self(&pid, NULL, NULL, "clock-rt-sleep", sec, nsec, NULL))
        return -1;
    return pid;
}

/* A sleep until an hour from now on CLOCK_REALTIME ends when the clock is
 * set past that time. A sleeper ten minutes ahead whose clock is set back
 * by an hour is still asleep a second (monotonic) later, and wakes when
 * the clock is set past its deadline. */
TEST(clock_realtime_abs_sleep_follows_settime)
{
    struct rt_save sv;
    rt_save(&sv);
    ut_step("forward jump past the deadline");
    long long dl = sv.rt + 3600 * NS;
    pid_t a = spawn_rt_sleeper(dl);
    CHECK(a > 0);
    int blocked = wait_rt_sleeper(a);
    struct timespec to = ns_ts(dl + NS);
    int rc = clock_settime(CLOCK_REALTIME, &to);
    int sta = ut_wait(a);
    int back = rt_restore(&sv);
    CHECKF(blocked, "the sleeper never blocked in clock_nanosleep");
    CHECK_OK(rc);
    CHECK_OK(back);
    CHECK_EXITED(sta, 0);

    ut_step("backward jump before the deadline");
    rt_save(&sv);
    dl = sv.rt + 600 * NS;
    pid_t b = spawn_rt_sleeper(dl);
    CHECK(b > 0);
    blocked = wait_rt_sleeper(b);
    to = ns_ts(now_on(CLOCK_REALTIME) - 3600 * NS);
    rc = clock_settime(CLOCK_REALTIME, &to);
    ut_sleep_ms(1000);
    int st, early = waitpid(b, &st, WNOHANG) == b;
    to = ns_ts(dl + NS);
    int fwd = clock_settime(CLOCK_REALTIME, &to); /* the sleeper wakes */
    int stb = early ? st : ut_wait(b);
    back = rt_restore(&sv);
    CHECKF(blocked, "the sleeper never blocked in clock_nanosleep");
    CHECK_OK(rc);
    CHECK_OK(fwd);
    CHECK_OK(back);
    CHECKF(!early, "woke before its time after the clock went back");
    CHECK_EXITED(stb, 0);
}

/*
 * A periodic task on absolute deadlines: 200 periods of 1 ms with
 * next += period. Every wake is at or after its deadline, and the
 * deadlines are exactly start + k * period: however late a wake is, the
 * next deadline does not move (no drift, unlike relative sleeps), so the
 * whole run takes at least 200 periods and its last deadline is the
 * 200th. (How late the wakes are is a bench figure, not a test's.)
 */
#define PERIODS 200
TEST(clock_periodic_no_drift)
{
    clockid_t cs[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int c = 0; c < 2; c++) {
        struct timespec next;
        CHECK_OK(clock_gettime(cs[c], &next));
        long long start = ts_ns(&next), period = 1 * MS;
        int early = 0, off = 0;
        for (int k = 1; k <= PERIODS; k++) {
            next.tv_nsec += period;
            if (next.tv_nsec >= NS) {
                next.tv_nsec -= NS;
                next.tv_sec++;
            }
            if (ts_ns(&next) != start + k * period)
                off++;
            int r = clock_nanosleep(cs[c], TIMER_ABSTIME, &next, NULL);
            CHECK_RC(r, 0);
            if (now_on(cs[c]) < ts_ns(&next))
                early++;
        }
        CHECK_EQ(early, 0);
        CHECK_EQ(off, 0);
        CHECK_EQ(ts_ns(&next), start + PERIODS * period);
        CHECK(now_on(cs[c]) >= start + PERIODS * period);
    }
}

/* Threads sleeping on both clocks at once, with deadlines in random order:
 * all wake, none early. */
#define NSLEEPERS 12
struct sl {
    clockid_t c;
    long long dl;
    int early, rc;
};
static void *sleeper(void *arg)
{
    struct sl *s = arg;
    struct timespec d = ns_ts(s->dl);
    s->rc = clock_nanosleep(s->c, TIMER_ABSTIME, &d, NULL);
    s->early = now_on(s->c) < s->dl;
    return NULL;
}

TEST(clock_many_abs_sleepers)
{
    struct sl s[NSLEEPERS];
    pthread_t th[NSLEEPERS];
    unsigned seed = 12345;
    int made = 0;
    for (int i = 0; i < NSLEEPERS; i++) {
        s[i].c = i % 2 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
        seed = seed * 1103515245u + 12345u;
        s[i].dl = now_on(s[i].c) + 5 * MS + (long long)(seed % 40000) * 1000;
        s[i].early = s[i].rc = -1;
        if (pthread_create(&th[i], NULL, sleeper, &s[i]) != 0)
            break;
        made++;
    }
    CHECK_EQ(made, NSLEEPERS);
    for (int i = 0; i < made; i++) {
        CHECK_RC(pthread_join(th[i], NULL), 0);
        CHECK_EQ(s[i].rc, 0);
        CHECK_EQ(s[i].early, 0);
    }
}

const struct utest ut_clock_tests[] = {
    UT_CASE(clock_getres_is_the_tick),
    UT_CASE(clock_nanosleep_abs_monotonic),
    UT_CASE(clock_nanosleep_abs_realtime),
    UT_CASE(clock_nanosleep_relative),
    UT_CASE(clock_nanosleep_bad_input),
    UT_CASE(clock_settime_needs_system_cap),
    UT_CASE(clock_settime_sets_realtime),
    UT_CASE(clock_realtime_abs_sleep_follows_settime),
    UT_CASE(clock_periodic_no_drift),
    UT_CASE(clock_many_abs_sleepers),
    UT_END,
};
