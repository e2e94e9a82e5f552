/*
 * Clocks and sleeping. The kernel reports CLOCK_MONOTONIC (time since
 * boot) and CLOCK_REALTIME (the board's RTC read at boot plus the
 * monotonic time, settable with the system cap), and sleeps relative to
 * now or until an absolute time on either clock.
 */
#include <stddef.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC 1000000000L

/*
 * struct timespec has keel_timespec's layout on lp64, so the caller's
 * pointers go to the kernel as they are: a bad one gets EFAULT from the
 * kernel's checked copy instead of faulting here.
 */
_Static_assert(sizeof(struct timespec) == sizeof(struct keel_timespec) &&
                   offsetof(struct timespec, tv_sec) ==
                       offsetof(struct keel_timespec, tv_sec) &&
                   offsetof(struct timespec, tv_nsec) ==
                       offsetof(struct keel_timespec, tv_nsec) &&
                   sizeof(time_t) == sizeof(int64_t) &&
                   sizeof(long) == sizeof(int64_t),
               "struct timespec must match struct keel_timespec");

int clock_gettime(clockid_t clock, struct timespec *tp)
{
    return (int)keel_ret(keel_sc2(SYS_clock_gettime, (long)clock, (long)tp));
}

/* The kernel checks the range (EINVAL) and the pointer (EFAULT). A sleep
 * a signal handler interrupts fails with EINTR and puts the time left in
 * rem (a relative sleep on the monotonic clock: the same interval). */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
    /* A cancellation point (cancel.c). */
    long r = keel_cp4(SYS_clock_nanosleep, KEEL_CLOCK_MONOTONIC, 0, (long)req,
                      (long)rem);
    if (r == -EINTR)
        keel_cancel_point();
    if (r < 0)
        return (int)keel_ret(r);
    if (rem) {
        rem->tv_sec = 0;
        rem->tv_nsec = 0;
    }
    return 0;
}

/* POSIX: clock_nanosleep returns the error number itself (0 on success)
 * and leaves errno alone. rem is written by the kernel, only when a
 * relative sleep is interrupted. */
int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    long r = keel_cp4(SYS_clock_nanosleep, (long)clock, (long)flags, (long)req,
                      (long)rem);
    if (r == -EINTR)
        keel_cancel_point();
    return r < 0 ? (int)-r : 0;
}

int clock_getres(clockid_t clock, struct timespec *res)
{
    return (int)keel_ret(keel_sc2(SYS_clock_getres, (long)clock, (long)res));
}

/* CLOCK_REALTIME only, with the system cap's WRITE right (EPERM). */
int clock_settime(clockid_t clock, const struct timespec *tp)
{
    return (int)keel_ret(keel_sc2(SYS_clock_settime, (long)clock, (long)tp));
}

unsigned sleep(unsigned seconds)
{
    struct timespec ts = {(time_t)seconds, 0};
    return nanosleep(&ts, NULL) < 0 ? seconds : 0;
}

int usleep(useconds_t usec)
{
    struct timespec ts = {(time_t)(usec / 1000000),
                          (long)(usec % 1000000) * 1000};
    return nanosleep(&ts, NULL);
}

/* newlib's gettimeofday() lands here; the timezone is not supported. */
int _gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    if (!tv)
        return 0;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    return 0;
}

/*
 * newlib's times() and clock() land here: the process's CPU time (all its
 * threads, kernel/sched/cpuclock.c) as user time, none as system time
 * (Keel does not split them) and none for children; the return value is
 * the elapsed time since boot. Both in CLOCKS_PER_SEC units, as newlib's
 * clock() expects.
 */
static clock_t ns_to_clock(const struct timespec *ts)
{
    return (clock_t)ts->tv_sec * CLOCKS_PER_SEC +
           (clock_t)ts->tv_nsec / (NSEC_PER_SEC / CLOCKS_PER_SEC);
}

clock_t _times(struct tms *buf)
{
    struct timespec now, cpu;
    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0 ||
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) < 0)
        return (clock_t)-1;
    if (buf) {
        buf->tms_utime = ns_to_clock(&cpu);
        buf->tms_stime = 0;
        buf->tms_cutime = 0;
        buf->tms_cstime = 0;
    }
    return ns_to_clock(&now);
}
