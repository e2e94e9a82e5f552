/*
 * Clocks and sleeping. The kernel has one clock (time since boot), which
 * it reports for both CLOCK_REALTIME and CLOCK_MONOTONIC, and a relative
 * sleep.
 */
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC 1000000000L

int clock_gettime(clockid_t clock, struct timespec *tp)
{
    struct keel_timespec ks;
    long r = keel_sc2(SYS_clock_gettime, (long)clock, (long)&ks);
    if (r < 0)
        return (int)keel_ret(r);
    tp->tv_sec = (time_t)ks.tv_sec;
    tp->tv_nsec = (long)ks.tv_nsec;
    return 0;
}

/* rem is only ever zeroed: the kernel reports no remaining time. */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!req) {
        errno = EFAULT;
        return -1;
    }
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= NSEC_PER_SEC) {
        errno = EINVAL;
        return -1;
    }
    struct keel_timespec ks = {req->tv_sec, req->tv_nsec};
    long r = keel_sc1(SYS_nanosleep, (long)&ks);
    if (r < 0)
        return (int)keel_ret(r);
    if (rem) {
        rem->tv_sec = 0;
        rem->tv_nsec = 0;
    }
    return 0;
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
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    }
    return 0;
}

/*
 * newlib's times() and clock() land here. Keel keeps no per-process CPU
 * time, so the elapsed time since boot stands in for user time, in the
 * clock_t unit newlib uses (CLOCKS_PER_SEC).
 */
clock_t _times(struct tms *buf)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return (clock_t)-1;
    clock_t now = (clock_t)ts.tv_sec * CLOCKS_PER_SEC +
                  (clock_t)ts.tv_nsec / (NSEC_PER_SEC / CLOCKS_PER_SEC);
    if (buf) {
        buf->tms_utime = now;
        buf->tms_stime = 0;
        buf->tms_cutime = 0;
        buf->tms_cstime = 0;
    }
    return now;
}
