/*
 * Wait queues: a waiter adds itself under the queue's lock (wq->lock
 * guards wq->waiters and every wait_node on it), marks itself BLOCKED,
 * then sleeps; wakers remove it and wake it with sched_wake. Lock order:
 * waitq lock -> (sched_wake) thread slock -> rq lock. The queue's name
 * (its lock's) is what threadinfo shows as a blocked thread's wchan.
 */
#include "../include/proc.h"
#include "../include/sched.h"

void waitq_init(struct waitq *wq, const char *name)
{
    spin_init(&wq->lock, name);
    list_init(&wq->waiters);
}

int waitq_wait(struct waitq *wq, spinlock_t *held)
{
    struct thread *t = current();
    if (t->killed)
        return -EINTR;
    /* threadinfo reads wchan once it sees BLOCKED: store it first. */
    t->wchan = wq->lock.name;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    spin_lock(&wq->lock);
    list_push_back(&wq->waiters, &t->wait_node);
    sched_set_state(t, T_BLOCKED);
    spin_unlock(&wq->lock);
    spin_unlock(held);
    sched_block(t);
    spin_lock(&wq->lock);
    list_remove(&t->wait_node); /* no-op if a waker removed it */
    spin_unlock(&wq->lock);
    spin_lock(held);
    return t->killed ? -EINTR : 0;
}

int waitq_wait_until(struct waitq *wq, spinlock_t *held, uint64_t deadline)
{
    struct thread *t = current();
    if (t->killed)
        return -EINTR;
    if (deadline <= time_now_ticks())
        return -ETIMEDOUT;
    t->wchan = wq->lock.name;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    spin_lock(&wq->lock);
    list_push_back(&wq->waiters, &t->wait_node);
    timer_sleep_insert(t, deadline);
    sched_set_state(t, T_BLOCKED);
    spin_unlock(&wq->lock);
    spin_unlock(held);
    timer_program();
    sched_block(t);
    timer_sleep_cancel(t);
    /* A waker takes t off the queue before waking it; still queued means
     * the timer (or a kill) woke it. */
    spin_lock(&wq->lock);
    bool woken = list_empty(&t->wait_node);
    list_remove(&t->wait_node);
    spin_unlock(&wq->lock);
    spin_lock(held);
    if (t->killed)
        return -EINTR;
    return woken ? 0 : -ETIMEDOUT;
}

void waitq_wake_all(struct waitq *wq)
{
    spin_lock(&wq->lock);
    list_for_each_safe(it, tmp, &wq->waiters)
    {
        struct thread *t = list_entry(it, struct thread, wait_node);
        list_remove(&t->wait_node);
        sched_wake(t);
    }
    spin_unlock(&wq->lock);
}

bool waitq_wake_one(struct waitq *wq)
{
    bool woke = false;
    spin_lock(&wq->lock);
    while (!woke && !list_empty(&wq->waiters)) {
        struct thread *t =
            list_entry(wq->waiters.next, struct thread, wait_node);
        list_remove(&t->wait_node);
        woke = sched_wake(t);
    }
    spin_unlock(&wq->lock);
    return woke;
}
