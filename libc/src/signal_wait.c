/*
 * Waiting for signals: sigsuspend, pause, sigwait, sigwaitinfo and
 * sigtimedwait, all on SYS_sigsuspend and SYS_sigtimedwait (the kernel's
 * kernel/proc/signal_wait.c), and alarm (SYS_alarm, signal_alarm.c).
 * sigtimedwait's timeout is relative, as POSIX says; its expiry is EAGAIN. No
 * state of its own.
 */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The seconds left of the previous alarm (rounded up), 0 if none. */
unsigned alarm(unsigned seconds)
{
    long r = keel_sc1(SYS_alarm, (long)seconds);
    return r < 0 ? 0 : (unsigned)r;
}

/* sigsuspend, pause, sigtimedwait, sigwaitinfo and sigwait are
 * cancellation points (cancel.c): the call is made through keel_cp4 and
 * a request acts when the wait was interrupted. */
int sigsuspend(const sigset_t *mask)
{
    long r = keel_cp4(SYS_sigsuspend, (long)mask, 0, 0, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return (int)keel_ret(r);
}

int pause(void)
{
    sigset_t cur;
    if (sigprocmask(SIG_BLOCK, NULL, &cur) < 0)
        return -1;
    return sigsuspend(&cur);
}

int sigtimedwait(const sigset_t *set, siginfo_t *info,
                 const struct timespec *timeout)
{
    long r =
        keel_cp4(SYS_sigtimedwait, (long)set, (long)info, (long)timeout, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return (int)keel_ret(r);
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    return sigtimedwait(set, info, NULL);
}

/* sigwait never fails with EINTR: a handler that ran meanwhile does not
 * end the wait. */
int sigwait(const sigset_t *set, int *sig)
{
    long r;
    do
        r = keel_cp4(SYS_sigtimedwait, (long)set, 0, 0, 0);
    while (r == -EINTR); /* keel_cp4 acts on a request each time round */
    if (r < 0)
        return (int)-r;
    *sig = (int)r;
    return 0;
}
