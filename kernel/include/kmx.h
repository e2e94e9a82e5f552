/*
 * Kernel mutex and condition-variable objects (CAP_TYPE_MUTEX,
 * CAP_TYPE_CONDVAR; sync/kobj_mutex.c, sync/kobj_cond.c): what a
 * process-shared or robust pthread_mutex_t and a process-shared
 * pthread_cond_t are (docs/syscalls.md "Kernel objects").
 *
 * Locking: each mutex's m->lock (S1, "waitq lock" level) guards its
 * owner, count, state and waiters; m->lock -> pi_glock -> t->slock, and
 * m->lock -> m->wq.lock. A condvar's cv->lock is taken before the lock of
 * the mutex it releases (cv->lock -> m->lock). The mutex objects a
 * thread owns are its kmx_one (at most one, taken by the fast LOCK when
 * kmx_one was NULL: a pointer store instead of a list insertion) and
 * its kmx_held list (the others). Both change only under the lock of
 * the mutex being added or removed, and only by the thread itself or
 * (kmx_held only) by the releaser handing a mutex to it while it is
 * blocked locking that mutex; so the thread may read them without a lock
 * (at exit). An owned mutex is in exactly one of them. t->kmx_pi_listed
 * counts the PI ones on kmx_held, changed with the list (WRITE_ONCE:
 * other threads read it, kmx_holds_pi).
 */
#ifndef KEEL_KMX_H
#define KEEL_KMX_H

#include "kobj.h"
#include "pi.h"

struct kmx {
    struct kobj hdr;
    spinlock_t lock;
    struct thread *owner;  /* NULL when free */
    struct pi_lock pi;     /* PROTO_INHERIT with waiters: pi.owner == owner */
    struct waitq wq;       /* the other protocols: blocked lockers */
    struct list held_node; /* on owner->kmx_held while owned, unless it
                            * is owner->kmx_one */
    /* Paired in one aligned doubleword each, so that the fast paths
     * (kobj_mutex.c M7) test two of them with one load: count_nwait is 0
     * when neither is set, state_died when the mutex is consistent
     * (KEEL_MUTEX_CONSISTENT_STATE is 0) and its last owner did not die. */
    union {
        struct {
            uint32_t count; /* recursive: locks beyond the first */
            uint32_t nwait; /* threads inside a blocking lock */
        };
        uint64_t count_nwait;
    };
    union {
        struct {
            int state;     /* KEEL_MUTEX_CONSISTENT_STATE .. NOTRECOVERABLE */
            uint32_t died; /* the last owner exited holding it: EOWNERDEAD */
        };
        uint64_t state_died;
    };
    uint32_t flags; /* KEEL_MUTEX_* type | protocol | F_ROBUST */
    int ceiling;
};

/* t owns a PTHREAD_PRIO_INHERIT kernel mutex (kobj_mutex.c M8). Any
 * thread, no lock: unlocked reads of t's records, exact unless t locks
 * or unlocks one meanwhile. */
bool kmx_holds_pi(const struct thread *t);

/* Every kernel mutex the exiting thread t holds passes on with
 * EOWNERDEAD (thread_exit, before futex_pi_exit). */
void kmx_thread_exit(struct thread *t);

/* For condvars (m->lock held, m->owner == current, m->count == 0):
 * releases m as an unlock does; true when the caller must drop the
 * ownership reference (kobj_put, after all locks are released). */
bool kmx_release(struct kmx *m, bool died);

/* An absolute user timespec at uts on KEEL_CLOCKSEL_* clocksel as a
 * deadline on that clock in *dl (sched.h struct kdeadline: a realtime one
 * follows clock_settime): 0, -EFAULT, -EINVAL (tv_nsec out of range or a
 * bad clock). Before the epoch counts as passed. */
struct kdeadline;
int kmx_deadline(uint64_t uts, long clocksel, struct kdeadline *dl);

#endif
