/*
 * CPU-time clock ids (docs/posix.md): clock_getcpuclockid for the
 * calling process and pthread_getcpuclockid for any of its threads. The
 * kernel counts each thread's run time at every context switch; the ids
 * are read with clock_gettime and clock_getres (kernel/sched/cpuclock.c).
 *
 * Keel has no ambient authority: no id names another process's CPU time.
 * clock_getcpuclockid on another pid is EPERM when the caller holds a
 * process cap for it (the cap gives no right to its CPU time), ESRCH when
 * it holds none (as sched_* do, sched.c). No locks: one system call at
 * most, on the caller's own state.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <keel/cap.h>

#include "internal.h"

_Static_assert(CLOCK_PROCESS_CPUTIME_ID == KEEL_CLOCK_PROCESS_CPUTIME &&
                   CLOCK_THREAD_CPUTIME_ID == KEEL_CLOCK_THREAD_CPUTIME,
               "newlib's CPU-time clock ids are the kernel's");

int clock_getcpuclockid(pid_t pid, clockid_t *clock_id)
{
    if (!clock_id)
        return EINVAL;
    if (pid == 0 || pid == getpid()) {
        *clock_id = CLOCK_PROCESS_CPUTIME_ID;
        return 0;
    }
    if (pid < 0)
        return ESRCH;
    return keel_sc1(SYS_proc_handle, pid) >= 0 ? EPERM : ESRCH;
}

/* The id of thread's clock; ESRCH for a slot with no thread of the
 * caller's in it (the kernel's clock_getres checks). */
int pthread_getcpuclockid(pthread_t thread, clockid_t *clock_id)
{
    if (!clock_id)
        return EINVAL;
    if (thread < CAP_THREAD_SLOT_BASE || thread >= CAP_SLOTS)
        return ESRCH;
    long id = KEEL_CLOCK_THREAD_CPU_BASE + (long)thread;
    if (keel_sc2(SYS_clock_getres, id, 0) < 0)
        return ESRCH;
    *clock_id = (clockid_t)id;
    return 0;
}
