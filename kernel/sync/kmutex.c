/*
 * Kernel sleeping mutexes (kmutex.h) with priority inheritance
 * (sync/pi.c). The protocol:
 *  K1. lock: under m->lock, take a free mutex; else queue on the PI
 *      record's waiters (lending the owner our priority), become BLOCKED,
 *      drop m->lock and switch away.
 *  K2. unlock: under m->lock, hand ownership to the highest-priority
 *      waiter (pi_release takes it off the queue; the old owner drops its
 *      boost) and wake it; with no waiter the mutex is free.
 *  K3. a waiter woken for any other reason (a kill) finds it is not the
 *      owner and waits again; ownership is only ever given by K2, so no
 *      wake-up is lost and no waiter is passed over.
 *  K4. so a free mutex has no waiter, and K1 takes it without the PI
 *      core's global lock (pi_take_free: it joins the owner's PI
 *      bookkeeping when its first waiter comes); an unlock of a mutex
 *      nobody waited for is O(1) under m->lock alone. Uncontended, a
 *      lock + unlock pair is two acquisitions of m->lock.
 * Lock order: m->lock -> pi_glock -> t->slock -> rq lock.
 */
#include "../include/kmutex.h"
#include "../include/proc.h"

void kmutex_init(struct kmutex *m, const char *name)
{
    spin_init(&m->lock, name);
    pi_lock_init(&m->pi);
}

bool kmutex_trylock(struct kmutex *m)
{
    struct thread *t = current();
    spin_lock(&m->lock);
    bool got = m->pi.owner == NULL;
    if (got)
        pi_take_free(&m->pi, t); /* K1 */
    spin_unlock(&m->lock);
    return got;
}

void kmutex_lock(struct kmutex *m)
{
    struct thread *t = current();
#ifdef KEEL_LOCKCHECK
    KASSERT(spin_depth() == 0);
#endif
    spin_lock(&m->lock);
    if (m->pi.owner == NULL) { /* K1: free, so nobody waits (K2) */
        pi_take_free(&m->pi, t);
        spin_unlock(&m->lock);
        return;
    }
    /* A kernel lock cycle is a kernel bug: never a silent hang. */
    if (pi_wait_begin(&m->pi, t) < 0)
        panic("kmutex %s: deadlock", m->lock.name);
    while (m->pi.owner != t) { /* K1, K3 */
        t->wchan = m->lock.name;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        sched_set_state(t, T_BLOCKED);
        spin_unlock(&m->lock);
        schedule();
        spin_lock(&m->lock);
    }
    spin_unlock(&m->lock);
}

void kmutex_unlock(struct kmutex *m)
{
    spin_lock(&m->lock);
    KASSERT(m->pi.owner == current());
    if (pi_release_unwaited(&m->pi)) { /* K4: nobody waited */
        spin_unlock(&m->lock);
        return;
    }
    struct thread *w = pi_release(&m->pi); /* K2 */
    if (w)
        sched_wake(w);
    spin_unlock(&m->lock);
}

bool kmutex_held(const struct kmutex *m)
{
    return m->pi.owner == current();
}
