/*
 * Wait queues: a waiter adds itself under the queue's lock (wq->lock
 * guards wq->waiters and every wait_node on it), marks itself BLOCKED,
 * then sleeps; wakers remove it and wake it with sched_wake. Lock order:
 * waitq lock -> (sched_wake) thread slock -> rq lock. The queue's name
 * (its lock's) is what threadinfo shows as a blocked thread's wchan.
 *
 * Priority order: waiters stay in arrival order and waitq_wake_one picks
 * the highest priority among those still BLOCKED at wake time, the
 * earliest among equals. Picking at wake time (rather than sorting at
 * insertion) means a priority changed while a thread waits (setschedparam,
 * or a PI boost, sync/pi.c) needs no re-positioning and no lock on the
 * queue. The cost is one pass over the waiters per wake-up under wq->lock:
 * O(n), n <= MAX_THREADS. The priority is read without its slock (one
 * word): a change racing the wake-up counts either way.
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
    if (sig_interrupted(t))
        return -EINTR;
    /* threadinfo reads wchan once it sees BLOCKED: store it first. */
    t->wchan = wq->lock.name;
    t->sig.intr_wait = 1; /* a signal post wakes it (signal.h) */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    spin_lock(&wq->lock);
    list_push_back(&wq->waiters, &t->wait_node);
    sched_set_state(t, T_BLOCKED);
    spin_unlock(&wq->lock);
    spin_unlock(held);
    sched_block(t);
    t->sig.intr_wait = 0;
    spin_lock(&wq->lock);
    bool woken = list_empty(&t->wait_node); /* a waker took it off */
    list_remove(&t->wait_node);
    spin_unlock(&wq->lock);
    spin_lock(held);
    if (t->killed)
        return -EINTR;
    /* Woken by a waker: 0 even with a signal pending (the wake-up is
     * not lost; the handler runs on the way out). */
    return !woken && sig_interrupted(t) ? -EINTR : 0;
}

int waitq_wait_deadline(struct waitq *wq, spinlock_t *held,
                        struct kdeadline *dl)
{
    struct thread *t = current();
    if (sig_interrupted(t))
        return -EINTR;
    t->wchan = wq->lock.name;
    t->sig.intr_wait = 1;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    spin_lock(&wq->lock);
    list_push_back(&wq->waiters, &t->wait_node);
    bool dropped = false, timedout = false;
    for (;;) {
        /* Still queued (a waker takes t off before waking it) and the
         * deadline not reached on its clock: block (again). */
        if (!kdl_block_prepare(t, dl)) {
            timedout = true;
            break;
        }
        spin_unlock(&wq->lock);
        if (!dropped)
            spin_unlock(held);
        dropped = true;
        timer_program();
        sched_block(t);
        kdl_block_finish(t, dl);
        spin_lock(&wq->lock);
        /* A waker, a kill or a signal ends the wait; the timer, a
         * clock_settime or a stale signal wake-up look at the deadline. */
        if (list_empty(&t->wait_node) || t->killed || sig_interrupted(t))
            break;
    }
    bool woken = list_empty(&t->wait_node);
    list_remove(&t->wait_node);
    spin_unlock(&wq->lock);
    t->sig.intr_wait = 0;
    if (dropped)
        spin_lock(held);
    if (t->killed)
        return -EINTR;
    if (woken)
        return 0;
    return timedout ? -ETIMEDOUT : -EINTR;
}

int waitq_wait_until(struct waitq *wq, spinlock_t *held, uint64_t deadline)
{
    struct kdeadline dl;
    kdl_ticks(&dl, deadline);
    return waitq_wait_deadline(wq, held, &dl);
}

unsigned waitq_wake_all(struct waitq *wq)
{
    unsigned n = 0;
    spin_lock(&wq->lock);
    list_for_each_safe(it, tmp, &wq->waiters)
    {
        struct thread *t = list_entry(it, struct thread, wait_node);
        list_remove(&t->wait_node);
        n += sched_wake(t);
    }
    spin_unlock(&wq->lock);
    return n;
}

/* The waiter to wake first: highest priority, then earliest queued,
 * among those still BLOCKED (wq->lock held). */
static struct thread *waitq_best(struct waitq *wq)
{
    struct thread *best = NULL;
    int best_prio = -1;
    list_for_each(it, &wq->waiters)
    {
        struct thread *t = list_entry(it, struct thread, wait_node);
        int p = READ_ONCE(t->prio);
        if (p > best_prio && READ_ONCE(t->state) == T_BLOCKED) {
            best = t;
            best_prio = p;
        }
    }
    return best;
}

bool waitq_wake_one(struct waitq *wq)
{
    bool woke = false;
    spin_lock(&wq->lock);
    struct thread *t;
    /* Each pass takes one thread off, so this ends; a second pass only
     * follows a timeout or kill racing this wake-up. */
    while (!woke && (t = waitq_best(wq)) != NULL) {
        list_remove(&t->wait_node);
        woke = sched_wake(t);
    }
    spin_unlock(&wq->lock);
    return woke;
}
