/*
 * clock_nanosleep, clock_getres and clock_settime (docs/syscalls.md).
 * Sleeps and settings take CLOCK_REALTIME and CLOCK_MONOTONIC. The
 * CPU-time clocks (sched/cpuclock.c) can be read, have a resolution and
 * drive timers (sched/cputimer.c), but no sleep waits on them: on the
 * calling thread's own clock clock_nanosleep is EINVAL (POSIX), on its
 * process's or another thread's ENOTSUP (POSIX lets an implementation
 * refuse them); and none can be set (EPERM: setting a CPU-time clock is
 * optional in POSIX and Keel gives no process that right). An id that
 * names no clock (a thread slot with no thread) is EINVAL. Setting
 * CLOCK_REALTIME needs the system cap with WRITE. The sleeping and the
 * clock state are in kernel/sched/clock.c; no lock is held here.
 */
#include "../include/cap.h"
#include "../include/proc.h"

static bool clock_known(int clock)
{
    return clock == KEEL_CLOCK_REALTIME || clock == KEEL_CLOCK_MONOTONIC;
}

/* A CPU-time clock that exists: 1 if it is the calling thread's own, 0
 * otherwise; -EINVAL if it names no clock (not a CPU-time clock, or a
 * thread slot's with no thread). */
static int clock_cpu_own(int clock)
{
    uint64_t ns;
    if (!cpuclock_is(clock) || cpuclock_read(clock, &ns) < 0)
        return -EINVAL;
    return clock == KEEL_CLOCK_THREAD_CPUTIME ||
           clock == KEEL_CLOCK_THREAD_CPU_BASE + CAP_THREAD_SLOT_BASE +
                        current()->tslot;
}

long sys_clock_nanosleep(int clock, int flags, uint64_t ureq, uint64_t urem)
{
    if (flags & ~KEEL_TIMER_ABSTIME)
        return -EINVAL;
    if (!clock_known(clock)) {
        int own = clock_cpu_own(clock);
        return own != 0 ? -EINVAL : -ENOTSUP;
    }
    struct keel_timespec ts;
    if (copy_from_user(&ts, ureq, sizeof(ts)) < 0)
        return -EFAULT;
    uint64_t ns;
    int neg = clock_ts_to_ns(&ts, &ns);
    if (neg < 0)
        return neg;
    if (flags & KEEL_TIMER_ABSTIME) {
        /* A time already past (before the epoch, too) returns at once. */
        if (clock == KEEL_CLOCK_MONOTONIC)
            return clock_sleep_monotonic_until(ns);
        return clock_sleep_realtime_until(ns);
    }
    if (neg) /* a negative interval */
        return -EINVAL;
    /* Relative on either clock: the same interval of the timer (a
     * clock_settime does not change a relative sleep). */
    uint64_t left;
    int r = clock_sleep_relative(ns, &left);
    if (r == -EINTR && urem) {
        struct keel_timespec rem = {(int64_t)(left / 1000000000ull),
                                    (int64_t)(left % 1000000000ull)};
        if (copy_to_user(urem, &rem, sizeof(rem)) < 0)
            return -EFAULT;
    }
    return r;
}

long sys_clock_getres(int clock, uint64_t ures)
{
    uint64_t cpu_ns;
    if (!clock_known(clock) &&
        (!cpuclock_is(clock) || cpuclock_read(clock, &cpu_ns) < 0))
        return -EINVAL; /* CPU-time clocks count in the same ticks */
    if (!ures)          /* POSIX: res may be NULL */
        return 0;
    uint64_t res = clock_res_ns();
    struct keel_timespec ts = {(int64_t)(res / 1000000000ull),
                               (int64_t)(res % 1000000000ull)};
    return copy_to_user(ures, &ts, sizeof(ts));
}

long sys_clock_settime(int clock, uint64_t uts)
{
    if (clock != KEEL_CLOCK_REALTIME) /* CLOCK_MONOTONIC cannot be set */
        return clock != KEEL_CLOCK_MONOTONIC && clock_cpu_own(clock) >= 0
                   ? -EPERM
                   : -EINVAL;
    if (!cap_system_held(current()->proc, CAP_RIGHT_WRITE))
        return -EPERM;
    struct keel_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    uint64_t ns;
    if (clock_ts_to_ns(&ts, &ns) != 0 || ns == UINT64_MAX)
        return -EINVAL; /* bad tv_nsec, before the epoch, out of range */
    /* POSIX: a time between two multiples of the resolution is
     * truncated to the lower one. */
    time_set_realtime(ns - ns % clock_res_ns());
    return 0;
}
