/*
 * POSIX process scheduling (<sched.h>) and Linux's sched_setattr /
 * sched_getattr, on top of the thread scheduling calls.
 *
 * Keel schedules threads, not processes, and has no ambient authority
 * over other processes: pid 0 and the caller's own pid mean the calling
 * thread (token 0). Any other pid is refused: EPERM when the caller
 * holds a process cap for it (a process cap gives no authority over
 * another process's scheduling; thread caps do, through
 * pthread_setschedparam), ESRCH when it holds none (a caller learns
 * nothing about a process it holds no cap for). A negative pid: EINVAL.
 * No locks: every call is one or two system calls on the caller's own
 * state.
 */
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(SCHED_DEADLINE == KEEL_SCHED_DEADLINE, "SCHED_DEADLINE");
_Static_assert(sizeof(struct sched_attr) == KEEL_SCHED_ATTR_SIZE &&
                   sizeof(struct sched_attr) ==
                       sizeof(struct keel_sched_attr) &&
                   offsetof(struct sched_attr, sched_priority) ==
                       offsetof(struct keel_sched_attr, sched_priority) &&
                   offsetof(struct sched_attr, sched_period) ==
                       offsetof(struct keel_sched_attr, sched_period),
               "struct sched_attr must match struct keel_sched_attr");

/* The thread token for pid (0: the caller), or an errno value. */
static int pid_token(pid_t pid, long *tok)
{
    if (pid < 0)
        return EINVAL;
    if (pid == 0 || pid == getpid()) {
        *tok = 0;
        return 0;
    }
    return keel_sc1(SYS_proc_handle, pid) >= 0 ? EPERM : ESRCH;
}

static int get_sched(pid_t pid, int *policy, int *prio)
{
    long tok;
    int err = pid_token(pid, &tok);
    if (!err)
        err = keel_err(
            keel_sc3(SYS_thread_getschedparam, tok, (long)policy, (long)prio));
    return err;
}

static int fail(int err)
{
    errno = err;
    return -1;
}

int sched_getscheduler(pid_t pid)
{
    int policy, prio;
    int err = get_sched(pid, &policy, &prio);
    return err ? fail(err) : policy;
}

int sched_getparam(pid_t pid, struct sched_param *param)
{
    int policy, prio;
    if (!param)
        return fail(EINVAL);
    int err = get_sched(pid, &policy, &prio);
    if (err)
        return fail(err);
    memset(param, 0, sizeof(*param));
    /* A deadline thread has no fixed priority (Linux reports 0). */
    param->sched_priority = policy == KEEL_SCHED_DEADLINE ? 0 : prio;
    return 0;
}

/* Returns the former policy (POSIX), as sched_getscheduler reports it. */
int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param)
{
    int old, prio;
    if (!param)
        return fail(EINVAL);
    long tok;
    int err = pid_token(pid, &tok);
    if (!err)
        err = get_sched(pid, &old, &prio);
    if (!err && policy == KEEL_SCHED_DEADLINE)
        err = EINVAL; /* needs runtime, deadline, period: sched_setattr */
    if (!err)
        err = keel_err(keel_sc3(SYS_thread_setschedparam, tok, policy,
                                param->sched_priority));
    return err ? fail(err) : old;
}

int sched_setparam(pid_t pid, const struct sched_param *param)
{
    int policy, prio;
    if (!param)
        return fail(EINVAL);
    long tok;
    int err = pid_token(pid, &tok);
    if (!err)
        err = get_sched(pid, &policy, &prio);
    if (!err && policy == KEEL_SCHED_DEADLINE)
        err = EINVAL; /* no priority to set: use sched_setattr */
    if (!err)
        err = keel_err(keel_sc3(SYS_thread_setschedparam, tok, policy,
                                param->sched_priority));
    return err ? fail(err) : 0;
}

int sched_rr_get_interval(pid_t pid, struct timespec *interval)
{
    if (!interval)
        return fail(EFAULT);
    long tok;
    int err = pid_token(pid, &tok);
    if (err)
        return fail(err);
    struct keel_timespec ts;
    long r = keel_sc2(SYS_sched_rr_get_interval, tok, (long)&ts);
    if (r < 0)
        return fail((int)-r);
    interval->tv_sec = ts.tv_sec;
    interval->tv_nsec = ts.tv_nsec;
    return 0;
}

int sched_setattr(pid_t pid, const struct sched_attr *attr, unsigned int flags)
{
    long tok;
    int err = pid_token(pid, &tok);
    if (!err)
        err = keel_err(keel_sc3(SYS_sched_setattr, tok, (long)attr, flags));
    return err ? fail(err) : 0;
}

int sched_getattr(pid_t pid, struct sched_attr *attr, unsigned int size,
                  unsigned int flags)
{
    long tok;
    int err = pid_token(pid, &tok);
    if (!err)
        err = keel_err(
            keel_sc5(SYS_sched_getattr, tok, (long)attr, size, flags, 0));
    return err ? fail(err) : 0;
}
