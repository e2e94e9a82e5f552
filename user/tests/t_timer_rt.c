/*
 * POSIX timers and clock_settime (issue 9 item 2): an absolute
 * CLOCK_REALTIME timer follows a jump of the clock either way; a
 * relative one does not. The tests put CLOCK_REALTIME back (to what it
 * would have shown) before they end, also when a check fails. Only
 * lower bounds on times.
 */
#include <string.h>
#include <time.h>

#include "utest.h"

#define NS 1000000000LL
#define MS 1000000LL

static long long rt_now(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

static struct timespec rt_ts(long long ns)
{
    struct timespec ts = {(time_t)(ns / NS), (long)(ns % NS)};
    return ts;
}

static long long rt_left(timer_t t)
{
    struct itimerspec its;
    if (timer_gettime(t, &its) != 0)
        return -1;
    return (long long)its.it_value.tv_sec * NS + its.it_value.tv_nsec;
}

/* CLOCK_REALTIME against CLOCK_MONOTONIC before a test moved it. */
struct rt_mark {
    long long rt, mono;
};
static void rt_mark(struct rt_mark *m)
{
    m->mono = rt_now(CLOCK_MONOTONIC);
    m->rt = rt_now(CLOCK_REALTIME);
}
static int rt_back(const struct rt_mark *m)
{
    struct timespec ts = rt_ts(m->rt + (rt_now(CLOCK_MONOTONIC) - m->mono));
    return clock_settime(CLOCK_REALTIME, &ts);
}
static int rt_jump(long long by)
{
    struct timespec ts = rt_ts(rt_now(CLOCK_REALTIME) + by);
    return clock_settime(CLOCK_REALTIME, &ts);
}

static int rt_timer(timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    return timer_create(CLOCK_REALTIME, &ev, t);
}

static int rt_arm(timer_t t, int flags, long long value, long long interval)
{
    struct itimerspec its = {rt_ts(interval), rt_ts(value)};
    return timer_settime(t, flags, &its, NULL);
}

static int rt_run(timer_t ta, timer_t tr, timer_t tp)
{
    /* Forward 20 s: the absolute timer 10 s ahead is now past: it
     * expires (bounded poll); the relative one keeps its 10 s. */
    if (rt_arm(ta, TIMER_ABSTIME, rt_now(CLOCK_REALTIME) + 10 * NS, 0) ||
        rt_arm(tr, 0, 10 * NS, 0))
        return 1;
    if (rt_jump(20 * NS))
        return 2;
    int i = 0;
    while (rt_left(ta) != 0 && i++ < 2000)
        ut_sleep_ms(5);
    if (rt_left(ta) != 0)
        return 3;
    if (rt_left(tr) < 9 * NS)
        return 4;
    /* Back 10 s: an absolute timer 100 ms ahead is now 10.1 s ahead. */
    long long at = rt_now(CLOCK_REALTIME) + 100 * MS;
    if (rt_arm(ta, TIMER_ABSTIME, at, 0) || rt_jump(-10 * NS))
        return 5;
    ut_sleep_ms(300);
    if (rt_left(ta) < 9 * NS)
        return 6;
    /* A periodic absolute one follows too, and stays periodic. */
    if (rt_arm(tp, TIMER_ABSTIME, rt_now(CLOCK_REALTIME) + 60 * NS, 50 * MS) ||
        rt_jump(61 * NS))
        return 7;
    ut_sleep_ms(120);
    long long left = rt_left(tp);
    if (left <= 0 || left > 50 * MS)
        return 8;
    return 0;
}

TEST(timer_realtime_abs_follows_settime)
{
    timer_t ta, tr, tp;
    CHECK_OK(rt_timer(&ta));
    CHECK_OK(rt_timer(&tr));
    CHECK_OK(rt_timer(&tp));
    struct rt_mark m;
    rt_mark(&m);
    int step = rt_run(ta, tr, tp);
    int back = rt_back(&m);
    timer_delete(ta);
    timer_delete(tr);
    timer_delete(tp);
    CHECK_EQ(back, 0);
    CHECK_EQ(step, 0);
}

const struct utest ut_timer_rt_tests[] = {
    UT_CASE(timer_realtime_abs_follows_settime),
    UT_END,
};
