/*
 * Kernel sleeping mutexes: for long work on one object (a file's data, a
 * directory) that must not be done under a spinlock. A contended locker
 * blocks; unlock hands the mutex straight to the first waiter. Never
 * taken in interrupt context or with a spinlock held; a holder may sleep
 * and be preempted.
 *
 * Locking: m->lock (a spinlock, S1 level "waitq lock") guards owner and
 * waiters; a waiter's wait_node is on m->waiters only while it waits.
 */
#ifndef KEEL_KMUTEX_H
#define KEEL_KMUTEX_H

#include "sched.h"

struct kmutex {
    spinlock_t lock;
    struct thread *volatile owner; /* NULL when free */
    struct list waiters;           /* struct thread.wait_node */
};

void kmutex_init(struct kmutex *m, const char *name);
/* Not interruptible: a kill wakes the waiter, which waits on. */
void kmutex_lock(struct kmutex *m);
bool kmutex_trylock(struct kmutex *m);
void kmutex_unlock(struct kmutex *m);
bool kmutex_held(const struct kmutex *m); /* by the current thread */

#endif
