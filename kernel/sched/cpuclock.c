/*
 * CPU-time clocks (clock_gettime, clock_getres; docs/syscalls.md): the
 * calling process's (KEEL_CLOCK_PROCESS_CPUTIME), the calling thread's
 * (KEEL_CLOCK_THREAD_CPUTIME) and the one of any thread of the calling
 * process by its thread slot (KEEL_CLOCK_THREAD_CPU_BASE + slot, what
 * pthread_getcpuclockid returns). A clock names only the caller's own
 * process or threads, so it needs no cap: there is no id for another
 * process's CPU time (clock_getcpuclockid refuses other pids in libc).
 *
 * The time is the scheduler's per-thread account (sched.c "CPU time":
 * one word per thread, updated at each switch, read without a lock), in
 * timer ticks; a process adds up its live threads and cpu_exited, what
 * its exited threads ran (thread_exit adds each). An exited thread not
 * yet joined keeps the clock it had (its thread_exit record); after the
 * join its id names no clock (EINVAL) until the slot is used again.
 *
 * Locking: p->lock keeps p->threads[] allocated while a thread's word is
 * read (as threadinfo does) and guards cpu_exited and thread_exit[].
 * Nothing here runs on the context-switch path.
 */
#include "../include/proc.h"
#include "../include/sched.h"

bool cpuclock_is(int clock)
{
    return clock == KEEL_CLOCK_PROCESS_CPUTIME ||
           clock == KEEL_CLOCK_THREAD_CPUTIME ||
           (clock >= KEEL_CLOCK_THREAD_CPU_BASE + CAP_THREAD_SLOT_BASE &&
            clock < KEEL_CLOCK_THREAD_CPU_BASE + CAP_SLOTS);
}

/* The CPU time of clock (cpuclock_is), in ns: 0, or -EINVAL for the
 * clock of a thread slot that holds no thread (never used, or joined). */
int cpuclock_read(int clock, uint64_t *ns)
{
    struct thread *self = current();
    if (clock == KEEL_CLOCK_THREAD_CPUTIME) {
        *ns = ticks_to_ns(sched_cpu_ticks(self));
        return 0;
    }
    struct proc *p = self->proc;
    uint64_t ticks = 0;
    int r = 0;
    spin_lock(&p->lock);
    if (clock == KEEL_CLOCK_PROCESS_CPUTIME) {
        ticks = p->cpu_exited;
        for (int ts = 0; ts < CAP_THREAD_SLOTS; ts++)
            if (p->threads[ts])
                ticks += sched_cpu_ticks(p->threads[ts]);
    } else {
        int ts = clock - KEEL_CLOCK_THREAD_CPU_BASE - CAP_THREAD_SLOT_BASE;
        if (p->threads[ts])
            ticks = sched_cpu_ticks(p->threads[ts]);
        else if (bitmap_test(p->thread_done, (unsigned)ts))
            ticks = p->thread_exit[ts].cpu_ticks;
        else
            r = -EINVAL;
    }
    spin_unlock(&p->lock);
    *ns = ticks_to_ns(ticks);
    return r;
}
