/*
 * Priority inheritance (docs/realtime.md "Wait queues, futexes and
 * priority inheritance"). A PI lock is the ownership record of a sleeping
 * lock (a kmutex, a PI futex): its owner runs at least at the priority of
 * its highest waiter, transitively through chains of blocked owners, up
 * to PI_CHAIN_MAX owners from a waiter.
 *
 * Locking: one global spinlock, pi_glock, guards every PI lock's owner
 * and waiters, and every thread's pi_held, pi_blocked_on and pi_base
 * (pi_base also under the thread's slock). Lock order: the object's own
 * lock (a kmutex's m->lock, a futex bucket lock: waitq level) ->
 * pi_glock -> t->slock -> rq lock. pi_glock is never held with a
 * sleep_lock or while sleeping. The object's lock makes "test the owner,
 * then queue and block" atomic; pi_glock only orders the chain walks.
 */
#ifndef KEEL_PI_H
#define KEEL_PI_H

#include "sched.h"

/* Owners a boost walks through from a new or changed waiter. */
#define PI_CHAIN_MAX 8

struct pi_lock {
    struct thread *volatile owner; /* NULL when free */
    struct list waiters;           /* struct thread.wait_node, arrival order */
    struct list held_node;         /* on owner->pi_held while owned (from its
                                    * first waiter on, if taken by pi_take_free) */
};

extern spinlock_t pi_glock;

void pi_lock_init(struct pi_lock *l);
/* l is free (object lock held): t owns it now. */
void pi_take(struct pi_lock *l, struct thread *t);
/*
 * The same for a lock that is free and has no waiter queued (a free
 * kmutex: ownership is handed straight to a waiter, so free means no
 * waiter), without pi_glock: l is not put on t->pi_held, which only
 * matters once somebody waits for it, so pi_wait_begin links it then, and
 * pi_release of a lock nobody waited for is O(1). The object lock orders
 * these three.
 */
static inline void pi_take_free(struct pi_lock *l, struct thread *t)
{
    KASSERT(l->owner == NULL && list_empty(&l->waiters) &&
            list_empty(&l->held_node));
    l->owner = t; /* nothing lent: on t->pi_held from its first waiter */
}
/*
 * t (current, object lock held) starts waiting on l, which another
 * thread owns: queued on l->waiters, and the owners up the chain are
 * boosted. -EDEADLK (nothing changed) if the chain of owners, followed
 * at most PI_CHAIN_MAX steps, leads back to t.
 */
int pi_wait_begin(struct pi_lock *l, struct thread *t);
/* t stops waiting on l without getting it (timeout, kill; object lock
 * held): off the queue if still on it, and l's owner drops what t lent.
 * No-op if t no longer waits on l (it was handed the lock). */
void pi_wait_end(struct pi_lock *l, struct thread *t);
/*
 * The owner (object lock held) lets go of l: ownership passes to the
 * highest-priority waiter (earliest among equals), which is taken off
 * the queue and returned, to be woken by the caller; NULL leaves l free.
 * The old owner drops back to what its other locks and base give it.
 */
struct thread *pi_release(struct pi_lock *l);
/* pi_release's O(1) case (object lock held): l is on nobody's pi_held
 * and has no waiter (taken by pi_take_free, and nobody has waited for it
 * since), so it is free now: true. Anything else: false, untouched. */
static inline bool pi_release_unwaited(struct pi_lock *l)
{
    if (!list_empty(&l->held_node) || !list_empty(&l->waiters))
        return false;
    l->owner = NULL;
    return true;
}
/* The first PI lock t owns, NULL if none. */
struct pi_lock *pi_first_held(struct thread *t);
/* t's base priority, read under t->slock (any thread). */
int pi_base_prio(struct thread *t);
/* The highest priority waiting on l (0 if none); object lock held. */
int pi_top_prio(struct pi_lock *l);

#endif
