/*
 * The scheduling-attribute system calls: sched_rr_get_interval (and, for
 * SCHED_DEADLINE, sched_setattr / sched_getattr). The thread is named as
 * in thread_setschedparam: token 0 is the calling thread, else a thread
 * cap token of the caller's (READ to read, WRITE to change).
 *
 * Locking: the caller's cap lock is held across the lookup and the use,
 * which pins the thread (cap_thread_lookup_locked); the scheduling state
 * itself is read or changed under the protocol of sched.c.
 */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"

/* The SCHED_RR quantum of the thread tok names: TIME_SLICE_US for an RR
 * thread, 0 for any other policy (FIFO and DEADLINE threads have no
 * slice; Linux reports 0 for them too). */
long sys_sched_rr_get_interval(uint64_t tok, uint64_t uts)
{
    struct proc *p = current()->proc;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_READ, &err);
    int policy = t ? READ_ONCE(t->policy) : 0;
    cap_unlock(p);
    if (!t)
        return err;
    uint64_t ns = policy == KEEL_SCHED_RR ? TIME_SLICE_US * 1000ull : 0;
    struct keel_timespec ts = {.tv_sec = (int64_t)(ns / 1000000000ull),
                               .tv_nsec = (int64_t)(ns % 1000000000ull)};
    if (copy_to_user(uts, &ts, sizeof(ts)) < 0)
        return -EFAULT;
    return 0;
}
