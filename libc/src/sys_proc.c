/*
 * Process calls: exit, pids, process groups, kill, waiting for children, the
 * heap break and scheduling, plus the stubs newlib's system layer needs for
 * what Keel does not have (fork, execve).
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/lock.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(WNOHANG == KEEL_WNOHANG, "waitpid options");
_Static_assert(SCHED_FIFO == KEEL_SCHED_FIFO && SCHED_RR == KEEL_SCHED_RR,
               "scheduling policies");
_Static_assert(SIGURG == KEEL_SIGURG && SIGCONT == KEEL_SIGCONT &&
                   SIGCHLD == KEEL_SIGCHLD && SIGWINCH == KEEL_SIGWINCH &&
                   SIGTERM == KEEL_SIGTERM && SIGKILL == KEEL_SIGKILL,
               "signal numbers");

void _exit(int status)
{
    keel_sc1(SYS_exit, status);
    for (;;) /* SYS_exit does not return; this keeps noreturn honest */
        keel_sc1(SYS_exit, status);
}

pid_t _getpid(void)
{
    return (pid_t)keel_sc0(SYS_getpid);
}

pid_t getppid(void)
{
    return (pid_t)keel_sc0(SYS_getppid);
}

int _kill(pid_t pid, int sig)
{
    return (int)keel_ret(keel_sc2(SYS_kill, pid, sig));
}

int setpgid(pid_t pid, pid_t pgid)
{
    return (int)keel_ret(keel_sc2(SYS_setpgid, pid, pgid));
}

pid_t getpgid(pid_t pid)
{
    return (pid_t)keel_ret(keel_sc1(SYS_getpgid, pid));
}

pid_t getpgrp(void)
{
    return (pid_t)keel_sc1(SYS_getpgid, 0); /* cannot fail */
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    /* A cancellation point (cancel.c). */
    long r = keel_cp4(SYS_waitpid, pid, (long)status, options, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return (pid_t)keel_ret(r);
}

/* newlib's wait() lands here. */
pid_t _wait(int *status)
{
    return waitpid(-1, status, 0);
}

/* Keel creates processes only with posix_spawn. The pthread_atfork
 * handlers (atfork.c) see a fork that fails in the parent: prepare
 * handlers, then parent handlers; errno is set after them. */
pid_t _fork(void)
{
    if (__keel_atfork_run) { /* atfork.c linked: handlers may exist */
        __keel_atfork_run(KEEL_ATFORK_PREPARE);
        __keel_atfork_run(KEEL_ATFORK_PARENT);
    }
    errno = ENOSYS;
    return -1;
}

int _execve(const char *path, char *const argv[], char *const envp[])
{
    (void)path;
    (void)argv;
    (void)envp;
    errno = ENOSYS;
    return -1;
}

/*
 * The break as malloc sees it. Cached because the kernel may report a
 * different (page-rounded) value after a shrink; asking for exactly
 * cur + incr each time keeps the heap contiguous for malloc. Guarded by
 * malloc's own (recursive) lock, which malloc already holds when it
 * calls here, so direct sbrk() callers are serialised with it.
 */
static uintptr_t cur_brk;

void *_sbrk(ptrdiff_t incr)
{
    void *ret = (void *)-1;
    __retarget_lock_acquire_recursive(&__lock___malloc_recursive_mutex);
    if (!cur_brk) {
        long r = keel_sc1(SYS_brk, 0);
        if (r <= 0) {
            errno = ENOMEM;
            goto out;
        }
        cur_brk = (uintptr_t)r;
    }
    uintptr_t old = cur_brk;
    uintptr_t want = old + (uintptr_t)incr;
    if ((incr > 0 && want < old) || (incr < 0 && want > old)) {
        errno = ENOMEM; /* wrapped around */
        goto out;
    }
    if (incr != 0) {
        long r = keel_sc1(SYS_brk, (long)want);
        /* Growing must reach want; a shrink may leave the break higher. */
        if (r < 0 || (uintptr_t)r < want) {
            errno = ENOMEM;
            goto out;
        }
        cur_brk = want;
    }
    ret = (void *)old;
out:
    __retarget_lock_release_recursive(&__lock___malloc_recursive_mutex);
    return ret;
}

/* Keel has no entropy source yet; newlib's arc4random wants this name. */
int getentropy(void *buf, size_t len)
{
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

int sched_yield(void)
{
    return (int)keel_ret(keel_sc0(SYS_sched_yield));
}

/* SCHED_OTHER runs as SCHED_RR: the same range 1..63 for all three. */
int sched_get_priority_max(int policy)
{
    if (policy != SCHED_FIFO && policy != SCHED_RR && policy != SCHED_OTHER) {
        errno = EINVAL;
        return -1;
    }
    return KEEL_PRIO_MAX;
}

int sched_get_priority_min(int policy)
{
    if (policy != SCHED_FIFO && policy != SCHED_RR && policy != SCHED_OTHER) {
        errno = EINVAL;
        return -1;
    }
    return KEEL_PRIO_MIN;
}
