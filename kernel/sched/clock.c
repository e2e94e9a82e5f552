/*
 * The clocks, the absolute deadlines every timed wait carries, and the
 * sleeps on them (clock_nanosleep, nanosleep).
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
 * CLOCK_REALTIME deadline, as every absolute realtime wait does (futex,
 * mutex, condvar, rwlock, semaphore, message queue): through a struct
 * kdeadline (sched.h). Each time such a waiter blocks, kdl_block_prepare
 * computes the tick deadline from the offset and links the kdeadline on
 * realtime_waiters; clock_settime stores the new offset and wakes every
 * waiter on the list, which looks at the clock again: a forward jump past
 * its time ends the wait (-ETIMEDOUT; clock_nanosleep returns 0), a
 * backward jump lengthens it (POSIX clock_settime, clock_nanosleep).
 *
 * Bounds: linking and unlinking are O(1) under realtime_lock (plus the
 * timer heap's O(log n) under sleep_lock). clock_settime moves the whole
 * list off in O(1) with the offset store, then wakes the moved waiters
 * RT_WAKE_BATCH at a time under realtime_lock, with a preemption point
 * between batches (a waiter leaving meanwhile unlinks itself from the
 * moved list under the same lock).
 *
 * Locking: realtime_lock guards the offset's writers, realtime_waiters,
 * the moved lists of settimes in progress and every linked kdeadline's
 * node and t. A waiter computes its tick deadline and links itself in one
 * section of realtime_lock and is BLOCKED before it drops it, so a settime
 * either comes before (the waiter sees the new offset) or finds it linked
 * and blocked (and wakes it). Order: any waitq or object lock ->
 * realtime_lock -> sleep_lock -> (sched_wake) thread slock -> rq lock.
 */
#include "../include/proc.h"
#include "../include/sched.h"
#include "../include/ktimer.h"

#define NSEC 1000000000ull
#define RT_WAKE_BATCH 16

static uint64_t realtime_offset; /* atomic; written under realtime_lock */
static spinlock_t realtime_lock = SPINLOCK_INIT("clock_realtime");
static struct list realtime_waiters = LIST_INIT(realtime_waiters);

void clock_init(void)
{
    ktimer_init();
}

void time_set_realtime(uint64_t ns)
{
    struct list moved;
    list_init(&moved);
    spin_lock(&realtime_lock);
    __atomic_store_n(&realtime_offset, ns - time_now_ns(), __ATOMIC_RELAXED);
    if (!list_empty(&realtime_waiters)) { /* O(1): the list moves off */
        list_insert_between(&moved, realtime_waiters.prev,
                            realtime_waiters.next);
        list_init(&realtime_waiters);
    }
    spin_unlock(&realtime_lock);
    for (;;) {
        spin_lock(&realtime_lock);
        for (int i = 0; i < RT_WAKE_BATCH && !list_empty(&moved); i++) {
            struct kdeadline *dl =
                list_entry(moved.next, struct kdeadline, node);
            list_remove(&dl->node);
            sched_wake(dl->t); /* it looks at the clock again */
        }
        bool more = !list_empty(&moved);
        spin_unlock(&realtime_lock);
        if (!more)
            break;
        sched_preempt_point();
    }
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

/* ---- absolute deadlines (sched.h struct kdeadline) ---- */

void kdl_ticks(struct kdeadline *dl, uint64_t ticks)
{
    dl->at = ticks;
    dl->realtime = false;
    dl->t = NULL;
    list_init(&dl->node);
}

void kdl_clock(struct kdeadline *dl, bool realtime, uint64_t ns)
{
    kdl_ticks(dl, realtime ? ns : clock_ns_to_ticks_ceil(ns));
    dl->realtime = realtime;
}

bool kdl_passed(const struct kdeadline *dl)
{
    if (!dl)
        return false;
    return dl->realtime ? time_realtime_ns() >= dl->at
                        : time_now_ticks() >= dl->at;
}

bool kdl_block_prepare(struct thread *t, struct kdeadline *dl)
{
    if (!dl) {
        sched_set_state(t, T_BLOCKED);
        return true;
    }
    if (!dl->realtime) {
        if (dl->at <= time_now_ticks())
            return false;
        timer_sleep_insert(t, dl->at);
        sched_set_state(t, T_BLOCKED);
        return true;
    }
    spin_lock(&realtime_lock);
    uint64_t now = time_realtime_ns(); /* the offset holds still here */
    bool wait = now < dl->at;
    if (wait) {
        timer_sleep_insert(t,
                           clock_after(time_now_ticks(),
                                       clock_ns_to_ticks_ceil(dl->at - now)));
        sched_set_state(t, T_BLOCKED);
        dl->t = t;
        list_push_back(&realtime_waiters, &dl->node);
    }
    spin_unlock(&realtime_lock);
    return wait;
}

void kdl_block_finish(struct thread *t, struct kdeadline *dl)
{
    if (!dl)
        return;
    timer_sleep_cancel(t);
    if (dl->realtime) {
        spin_lock(&realtime_lock);
        list_remove(&dl->node); /* no-op if a settime took it off */
        spin_unlock(&realtime_lock);
    }
}

int kdl_sleep(struct kdeadline *dl, const char *wchan)
{
    struct thread *t = current();
    int r = 0;
    t->sig.intr_wait = 1; /* a signal post wakes it (signal.h) */
    for (;;) {
        if (sig_interrupted(t)) {
            r = -EINTR; /* killed, or a signal to handle */
            break;
        }
        t->wchan = wchan; /* before BLOCKED: threadinfo */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        /* Interrupts are off: this hart's tick cannot see t before it is
         * BLOCKED, and a settime sees it BLOCKED once it is linked. */
        if (!kdl_block_prepare(t, dl))
            break;
        timer_program();
        sched_block(t);
        /* The timer, a settime, a kill or a signal; a stale signal
         * wake-up sleeps on. */
        kdl_block_finish(t, dl);
    }
    t->sig.intr_wait = 0;
    return r;
}

int clock_sleep_realtime_until(uint64_t ns)
{
    struct kdeadline dl;
    kdl_clock(&dl, true, ns);
    return kdl_sleep(&dl, "clock_nanosleep");
}
