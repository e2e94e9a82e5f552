/*
 * Introspection of the scheduler: a consistent snapshot of one thread's
 * scheduling state for threadinfo (`ps`), read from any hart.
 *
 * Locking (the protocol at the top of sched.c): the reader holds
 * t->slock, so prio, policy and ceiling are stable (S2). READY and
 * RUNNING are only believed under the lock of the run queue of
 * harts[t->hart], re-checked there (as sched_set_prio does, S8): a READY
 * thread seen there is on that queue (S5) and a RUNNING one is on that
 * hart, and neither can change into the other while the lock is held
 * (S3, S4). BLOCKED needs no lock: the thread stored its wchan before it
 * became BLOCKED (release fence), so reading state, then wchan, then
 * state again gives a wchan it really waited on. A thread that keeps
 * moving is retried a bounded number of times, then reported READY
 * (it was runnable all along). The caller keeps t allocated (holds its
 * process's lock while t is in p->threads[]).
 */
#include "../include/proc.h"
#include "../include/sched.h"

#define SNAPSHOT_TRIES 8

static void set_wchan(struct keel_threadinfo *out, const char *w)
{
    strlcpy(out->wchan, w ? w : "", sizeof(out->wchan));
}

void sched_thread_snapshot(struct thread *t, struct keel_threadinfo *out)
{
    spin_lock(&t->slock);
    out->policy = sched_policy_report(t, t->policy);
    out->priority = t->prio; /* effective: a PI boost shows */
    out->base_priority = sched_base_prio(t);
    out->ceiling = t->ceiling;
    out->dl_throttled = READ_ONCE(t->dl.nthrottled);
    out->state = KEEL_TSTATE_READY;
    out->hart = READ_ONCE(t->ran_hart);
    set_wchan(out, NULL);
    for (int tries = 0; tries < SNAPSHOT_TRIES; tries++) {
        int s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
        if (s == T_READY || s == T_RUNNING) {
            struct hart *h = &harts[READ_ONCE(t->hart)];
            spin_lock(&h->rq.lock);
            s = t->state;
            bool here = t->hart == h->id && (s == T_READY || s == T_RUNNING);
            spin_unlock(&h->rq.lock);
            if (!here)
                continue; /* moved meanwhile: look again */
            if (s == T_RUNNING) {
                out->state = KEEL_TSTATE_RUNNING;
                out->hart = h->id;
            }
            break;
        }
        if (s == T_BLOCKED) {
            const char *w = READ_ONCE(t->wchan);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (READ_ONCE(t->state) != T_BLOCKED)
                continue;
            out->state = w == sched_sleep_wchan ? KEEL_TSTATE_SLEEPING
                                                : KEEL_TSTATE_BLOCKED;
            set_wchan(out, w);
            break;
        }
        if (s == T_DEAD) {
            out->state = KEEL_TSTATE_EXITED;
            break;
        }
        break; /* WAKING (claimed by a waker) or being created: READY */
    }
    spin_unlock(&t->slock);
}
