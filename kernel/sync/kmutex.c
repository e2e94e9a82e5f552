/*
 * Kernel sleeping mutexes (kmutex.h). The protocol:
 *  K1. lock: under m->lock, take a free mutex; else queue on m->waiters,
 *      become BLOCKED, drop m->lock and switch away.
 *  K2. unlock: under m->lock, hand ownership to the first waiter (taking
 *      it off the queue) and wake it; with no waiter the mutex is free.
 *  K3. a waiter woken for any other reason (a kill) finds it is not the
 *      owner and waits again; ownership is only ever given by K2, so no
 *      wake-up is lost and no waiter is passed over.
 */
#include "../include/kmutex.h"
#include "../include/proc.h"

void kmutex_init(struct kmutex *m, const char *name)
{
    spin_init(&m->lock, name);
    m->owner = NULL;
    list_init(&m->waiters);
}

bool kmutex_trylock(struct kmutex *m)
{
    struct thread *t = current();
    spin_lock(&m->lock);
    bool got = m->owner == NULL;
    if (got)
        m->owner = t;
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
    KASSERT(m->owner != t);
    if (m->owner == NULL) { /* K1: free */
        m->owner = t;
        spin_unlock(&m->lock);
        return;
    }
    while (m->owner != t) { /* K1, K3 */
        if (list_empty(&t->wait_node))
            list_push_back(&m->waiters, &t->wait_node);
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
    KASSERT(m->owner == current());
    if (list_empty(&m->waiters)) {
        m->owner = NULL;
    } else { /* K2 */
        struct thread *w =
            list_entry(m->waiters.next, struct thread, wait_node);
        list_remove(&w->wait_node);
        m->owner = w;
        sched_wake(w);
    }
    spin_unlock(&m->lock);
}

bool kmutex_held(const struct kmutex *m)
{
    return m->owner == current();
}
