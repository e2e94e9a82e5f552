/*
 * /bin/bench: the timer_latency row (issue 9): a periodic POSIX timer's
 * expiry to the waiting thread running. The bench's main thread, at the
 * wake rows' priority (20, SCHED_FIFO), arms a CLOCK_MONOTONIC timer on
 * absolute deadlines RT_PERIOD_NS apart and waits for each expiry in the
 * kernel (KEEL_TIMER_WAIT, what libc's SIGEV_THREAD helper does); the
 * lateness is fine_ns() on waking minus the expiry's deadline. Under
 * each load of the wake rows (rt.c) it takes RT_WAKEUPS expiries; the
 * row is the maximum over all of them. An expiry late by more than a
 * period folds the ones after it in (timer_getoverrun), which are not
 * counted again. Single-threaded: no locks.
 */
#include <keel/abi.h>
#include <keel/sys.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define TL_PRIO 20 /* the wake rows' RT_TOP_PRIO */
#define TL_PERIODS 300

static long tl_sys(long n, long a, long b, long c, long d)
{
    return keel_syscall6(n, a, b, c, d, 0, 0);
}

/* The maximum lateness over n expiries of one periodic timer; 0 and a
 * message if the timer cannot be made. */
static uint64_t tl_max(int n)
{
    struct keel_sigevent ev = {KEEL_SIGEV_THREAD, 0, 0};
    long s = tl_sys(SYS_timer_create, KEEL_CLOCK_MONOTONIC, (long)&ev, 0, 0);
    if (s < 0) {
        printf("bench: timer_latency: timer_create: %ld\n", s);
        return 0;
    }
    uint64_t dl = (fine_ns() / RT_PERIOD_NS + 2) * RT_PERIOD_NS, max = 0;
    struct keel_itimerspec its = {
        {0, (int64_t)RT_PERIOD_NS},
        {(int64_t)(dl / 1000000000ull), (int64_t)(dl % 1000000000ull)}};
    long r = tl_sys(SYS_timer_settime, s, KEEL_TIMER_ABSTIME, (long)&its, 0);
    for (int k = 0; r == 0 && k < n; k++) {
        r = tl_sys(SYS_timer_ctl, s, KEEL_TIMER_WAIT, 0, 0);
        uint64_t now = fine_ns();
        if (r)
            break;
        uint64_t late = now > dl ? now - dl : 0;
        if (late > max)
            max = late;
        long ov = tl_sys(SYS_timer_ctl, s, KEEL_TIMER_GETOVERRUN, 0, 0);
        dl += (uint64_t)(1 + (ov > 0 ? ov : 0)) * RT_PERIOD_NS;
    }
    if (r)
        printf("bench: timer_latency: %ld\n", r);
    tl_sys(SYS_timer_ctl, s, KEEL_TIMER_DELETE, 0, 0);
    return max;
}

void bench_timer_latency(void)
{
    if (!rt_selected("timer_latency"))
        return;
    int err = set_self_prio(TL_PRIO);
    if (err) {
        printf("bench: priority %d: %s\n", TL_PRIO, strerror(err));
        return;
    }
    uint64_t max = 0;
    for (int i = 0; i < RT_LOAD_KINDS; i++) {
        struct rt_loads l;
        struct rt_timer_counts c;
        char note[64];
        rt_loads_start("timer_latency", rt_load_kinds[i], &l);
        rt_timer_read(&c);
        uint64_t m = tl_max(TL_PERIODS);
        snprintf(note, sizeof(note), "timer_latency under %s",
                 rt_load_kinds[i]);
        rt_timer_note(note, &c);
        rt_loads_stop("timer_latency", &l);
        printf("bench: timer_latency under %s: %lu\n", rt_load_kinds[i],
               (unsigned long)m);
        if (m > max)
            max = m;
    }
    report_rt("timer_latency", max);
}
