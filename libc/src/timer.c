/*
 * POSIX timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete (docs/posix.md). A timer is a kernel
 * object behind a CAP_TYPE_TIMER cap; timer_t is its slot. The kernel
 * reports a slot that names no timer as EBADF; POSIX calls that EINVAL,
 * which is what these functions set (EACCES, a slot without the right,
 * is passed on).
 *
 * SIGEV_THREAD: timer_create starts one helper thread per timer (with the
 * caller's sigev_notify_attributes, detached), which waits in the kernel
 * (KEEL_TIMER_WAIT) and calls sigev_notify_function(sigev_value) once per
 * accepted expiry; expiries while it runs are overruns (timer_getoverrun
 * in the function reports them). timer_delete shuts the timer down
 * (KEEL_TIMER_SHUTDOWN: disarmed at once); the helper then closes the
 * slot itself and exits, so the slot is not reused while the helper may
 * still name it. thread_timer[] marks the slots of such timers
 * (atomic bytes, no lock).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <keel/cap.h>
#include <keel/timer.h>

#include "internal.h"

_Static_assert(sizeof(struct itimerspec) == sizeof(struct keel_itimerspec) &&
                   offsetof(struct itimerspec, it_interval) ==
                       offsetof(struct keel_itimerspec, it_interval) &&
                   offsetof(struct itimerspec, it_value) ==
                       offsetof(struct keel_itimerspec, it_value),
               "struct itimerspec must match struct keel_itimerspec");
_Static_assert(SIGEV_NONE == KEEL_SIGEV_NONE &&
                   SIGEV_SIGNAL == KEEL_SIGEV_SIGNAL &&
                   SIGEV_THREAD == KEEL_SIGEV_THREAD &&
                   SIGALRM == KEEL_TIMER_DEFAULT_SIGNO,
               "sigev_notify values must match the kernel's");

static unsigned char thread_timer[CAP_FD_SLOTS];

struct timer_helper {
    long slot;
    void (*fn)(union sigval);
    union sigval value;
};

static int timer_errno(long r)
{
    return r == -EBADF ? EINVAL : (int)-r;
}

static long timer_ret(long r)
{
    if (r >= 0)
        return r;
    errno = timer_errno(r);
    return -1;
}

static void *timer_helper_main(void *arg)
{
    struct timer_helper *h = arg;
    /* Signals go to the application's threads, not to this one. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        long r = keel_sc3(SYS_timer_ctl, h->slot, KEEL_TIMER_WAIT, 0);
        if (r == 0)
            h->fn(h->value);
        else if (r != -EINTR)
            break; /* -ECANCELED: timer_delete; -EBADF: the slot went */
    }
    __atomic_store_n(&thread_timer[h->slot], 0, __ATOMIC_RELEASE);
    keel_sc3(SYS_timer_ctl, h->slot, KEEL_TIMER_DELETE, 0);
    free(h);
    return NULL;
}

static int timer_start_helper(long slot, const struct sigevent *ev)
{
    struct timer_helper *h = malloc(sizeof(*h));
    if (!h)
        return EAGAIN;
    h->slot = slot;
    h->fn = ev->sigev_notify_function;
    h->value = ev->sigev_value;
    __atomic_store_n(&thread_timer[slot], 1, __ATOMIC_RELEASE);
    pthread_t th;
    int err =
        pthread_create(&th, ev->sigev_notify_attributes, timer_helper_main, h);
    if (err) {
        __atomic_store_n(&thread_timer[slot], 0, __ATOMIC_RELEASE);
        free(h);
        return EAGAIN;
    }
    pthread_detach(th); /* EINVAL if the attributes made it detached */
    return 0;
}

int timer_create(clockid_t clock, struct sigevent *__restrict evp,
                 timer_t *__restrict timerid)
{
    struct keel_sigevent kev, *kp = NULL;
    if (evp) {
        if (evp->sigev_notify == SIGEV_THREAD && !evp->sigev_notify_function) {
            errno = EINVAL;
            return -1;
        }
        kev.notify = evp->sigev_notify;
        kev.signo = evp->sigev_signo;
        kev.value = (uint64_t)(uintptr_t)evp->sigev_value.sival_ptr;
        kp = &kev;
    }
    long slot = keel_sc2(SYS_timer_create, (long)clock, (long)kp);
    if (slot < 0) {
        errno = (int)-slot;
        return -1;
    }
    if (evp && evp->sigev_notify == SIGEV_THREAD) {
        int err = timer_start_helper(slot, evp);
        if (err) {
            keel_sc3(SYS_timer_ctl, slot, KEEL_TIMER_DELETE, 0);
            errno = err;
            return -1;
        }
    }
    *timerid = (timer_t)slot;
    return 0;
}

int timer_settime(timer_t timerid, int flags,
                  const struct itimerspec *__restrict value,
                  struct itimerspec *__restrict ovalue)
{
    return (int)timer_ret(keel_sc6(SYS_timer_settime, (long)timerid,
                                   (long)flags, (long)value, (long)ovalue, 0,
                                   0));
}

int timer_gettime(timer_t timerid, struct itimerspec *value)
{
    return (int)timer_ret(
        keel_sc2(SYS_timer_gettime, (long)timerid, (long)value));
}

int timer_getoverrun(timer_t timerid)
{
    return (int)timer_ret(
        keel_sc3(SYS_timer_ctl, (long)timerid, KEEL_TIMER_GETOVERRUN, 0));
}

int timer_delete(timer_t timerid)
{
    long t = (long)timerid;
    if (t >= 0 && t < CAP_FD_SLOTS &&
        __atomic_load_n(&thread_timer[t], __ATOMIC_ACQUIRE)) {
        /* The helper closes the slot once it sees the shutdown. */
        long r = keel_sc3(SYS_timer_ctl, t, KEEL_TIMER_SHUTDOWN, 0);
        if (r != -EINVAL) /* -EINVAL: not a SIGEV_THREAD timer after all */
            return (int)timer_ret(r);
    }
    return (int)timer_ret(keel_sc3(SYS_timer_ctl, t, KEEL_TIMER_DELETE, 0));
}
