/*
 * Kernel sleeping mutexes: for long work on one object (a file's data, a
 * directory) that must not be done under a spinlock. A contended locker
 * blocks; unlock hands the mutex straight to the highest-priority waiter
 * (the earliest among equals). The owner inherits the priority of its
 * waiters, transitively (include/pi.h). Never taken in interrupt context
 * or with a spinlock held; a holder may sleep and be preempted.
 *
 * Locking: m->lock (a spinlock, S1 level "waitq lock") guards the
 * ownership record m->pi together with pi_glock (taken inside it); a
 * waiter's wait_node is on m->pi.waiters only while it waits.
 */
#ifndef KEEL_KMUTEX_H
#define KEEL_KMUTEX_H

#include "pi.h"
#include "sched.h"

struct kmutex {
    spinlock_t lock;
    struct pi_lock pi; /* owner (NULL when free) and waiters */
};

void kmutex_init(struct kmutex *m, const char *name);
/* Not interruptible: a kill wakes the waiter, which waits on. */
void kmutex_lock(struct kmutex *m);
bool kmutex_trylock(struct kmutex *m);
void kmutex_unlock(struct kmutex *m);
bool kmutex_held(const struct kmutex *m); /* by the current thread */

#endif
