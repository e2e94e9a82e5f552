/*
 * The clocks and the sleeps on them (clock_nanosleep, nanosleep).
 *
 * CLOCK_MONOTONIC is the timer (time_now_ns, timer.c). CLOCK_REALTIME is
 * CLOCK_MONOTONIC plus realtime_offset, one 64-bit word (modulo 2^64, so
 * a wall-clock time before boot's monotonic zero works too): readers on
 * any hart load it atomically and always see one whole value, the old or
 * the new; writers (boot, clock_settime) store it under realtime_lock.
 *
 * Sleeps convert a time in nanoseconds to timer ticks rounding up
 * (clock_ns_to_ticks_ceil), so no sleep ends before its deadline, then
 * sleep with sleep_until (monotonic, and every relative sleep: POSIX
 * leaves relative sleeps unaffected by clock_settime) or, for an absolute
 * CLOCK_REALTIME deadline, on realtime_waiters with a tick deadline
 * computed from the offset. clock_settime stores the new offset and wakes
 * every such sleeper, which computes its deadline again from the new
 * offset: a forward jump past its time ends its sleep at once, a backward
 * jump lengthens it (POSIX clock_nanosleep, TIMER_ABSTIME).
 *
 * Locking: realtime_lock serializes the offset's writers with the
 * realtime sleepers' read-compute-queue step (a sleeper queues itself on
 * realtime_waiters before it drops the lock, so no settime is missed).
 * Order: realtime_lock -> realtime_waiters' lock -> sleep_lock (S1).
 */
#include "../include/proc.h"
#include "../include/sched.h"
#include "../include/ktimer.h"

#define NSEC 1000000000ull

static uint64_t realtime_offset; /* atomic; written under realtime_lock */
static spinlock_t realtime_lock = SPINLOCK_INIT("clock_realtime");
static struct waitq realtime_waiters;

void clock_init(void)
{
    waitq_init(&realtime_waiters, "clock_nanosleep");
    ktimer_init();
}

void time_set_realtime(uint64_t ns)
{
    spin_lock(&realtime_lock);
    __atomic_store_n(&realtime_offset, ns - time_now_ns(), __ATOMIC_RELAXED);
    spin_unlock(&realtime_lock);
    waitq_wake_all(&realtime_waiters);
    ktimer_realtime_changed(); /* absolute CLOCK_REALTIME timers follow */
}

uint64_t time_realtime_ns(void)
{
    return __atomic_load_n(&realtime_offset, __ATOMIC_RELAXED) + time_now_ns();
}

uint64_t clock_res_ns(void)
{
    return timebase_hz >= NSEC ? 1 : (NSEC + timebase_hz - 1) / timebase_hz;
}

uint64_t clock_ns_to_ticks_ceil(uint64_t ns)
{
    uint64_t s = ns / NSEC, r = ns % NSEC;
    if (s > UINT64_MAX / timebase_hz - 1)
        return UINT64_MAX;
    return s * timebase_hz + (r * timebase_hz + NSEC - 1) / NSEC;
}

/* now + ticks, saturating ("forever" rather than a wrap). */
static uint64_t clock_after(uint64_t now, uint64_t ticks)
{
    return ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}

int clock_ts_to_ns(const struct keel_timespec *ts, uint64_t *ns)
{
    if (ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC)
        return -EINVAL;
    if (ts->tv_sec < 0) {
        *ns = 0;
        return 1; /* before the epoch / boot */
    }
    if ((uint64_t)ts->tv_sec >= UINT64_MAX / NSEC)
        *ns = UINT64_MAX;
    else
        *ns = (uint64_t)ts->tv_sec * NSEC + (uint64_t)ts->tv_nsec;
    return 0;
}

int clock_sleep_relative(uint64_t ns, uint64_t *left_ns)
{
    uint64_t start = time_now_ticks();
    uint64_t end = clock_after(start, clock_ns_to_ticks_ceil(ns));
    int r = sleep_until(end);
    if (left_ns) {
        uint64_t now = time_now_ticks();
        *left_ns = r && end > now ? ticks_to_ns(end - now) : 0;
    }
    return r;
}

int clock_sleep_monotonic_until(uint64_t ns)
{
    return sleep_until(clock_ns_to_ticks_ceil(ns));
}

int clock_sleep_realtime_until(uint64_t ns)
{
    int r = 0;
    spin_lock(&realtime_lock);
    for (;;) {
        uint64_t now = time_realtime_ns();
        if (now >= ns)
            break;
        /* The offset cannot change while realtime_lock is held, and a
         * settime after waitq_wait_until drops it wakes this thread. */
        uint64_t dl =
            clock_after(time_now_ticks(), clock_ns_to_ticks_ceil(ns - now));
        r = waitq_wait_until(&realtime_waiters, &realtime_lock, dl);
        if (r == -EINTR)
            break;
        r = 0; /* woken by settime or timed out: look at the clock again */
    }
    spin_unlock(&realtime_lock);
    return r;
}
