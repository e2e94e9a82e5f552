/*
 * Priority inheritance: the core under kmutex (sync/kmutex.c) and the PI
 * futex (sync/futex_pi.c); the rules are in include/pi.h.
 *
 * A thread's effective priority (t->prio, what the scheduler runs it at)
 * is the highest of its base priority and the effective priority of every
 * waiter of every PI lock it owns. Whenever that set changes (a waiter
 * comes, leaves, changes priority, or a lock changes hands), pi_update
 * recomputes it for the owner concerned and, if it changed and that owner
 * itself waits on a PI lock, for that lock's owner, and so on, for at
 * most PI_CHAIN_MAX owners. A longer chain boosts only its first
 * PI_CHAIN_MAX owners (the rest keep their priority until something on
 * their own locks changes); deadlock detection looks as far.
 *
 * Costs (all under pi_glock, interrupts off): recomputing one owner scans
 * the waiters of the locks it owns; each thread waits on at most one lock
 * and each lock has one owner, so one whole chain walk scans at most
 * MAX_THREADS waiters, plus one run-queue move (sched_requeue_prio) per
 * owner whose priority changes, at most PI_CHAIN_MAX.
 *
 * A PRIO_PROTECT floor (t->pp_floor, the highest ceiling of the
 * protected mutexes t holds, set by t itself) counts like a lent
 * priority: t runs at no less, and its base stays its own.
 *
 * Set-priority placement (sched_set_prio_pos): a thread holding a PI
 * lock (pi_held), a PRIO_PROTECT mutex (pp_floor) or a PI kernel mutex
 * object nobody waits for (kmx_holds_pi, kobj_mutex.c M8) is not moved
 * to the tail (SCHED_POS_HELD); an in-process PI futex taken without
 * contention is one the caller found in the thread's user word
 * (proc/thread.c) and passes as SCHED_POS_HELD itself.
 *
 * Base and effective priority: t->pi_base is 0 while the thread runs at
 * its base (t->prio is the base), else the base while t->prio is a higher
 * inherited one. It is written under pi_glock and t->slock, ordered with
 * the re-queue so that a reader under slock (threadinfo, thread_create)
 * never sees a base above the effective priority.
 */
#include "../include/kmx.h"
#include "../include/pi.h"
#include "../include/proc.h"

spinlock_t pi_glock = SPINLOCK_INIT("pi_chain");

void pi_lock_init(struct pi_lock *l)
{
    l->owner = NULL;
    list_init(&l->waiters);
    list_init(&l->held_node);
}

int pi_top_prio(struct pi_lock *l)
{
    int best = 0;
    list_for_each(it, &l->waiters)
    {
        struct thread *w = list_entry(it, struct thread, wait_node);
        best = MAX(best, READ_ONCE(w->prio));
    }
    return best;
}

struct pi_lock *pi_first_held(struct thread *t)
{
    spin_lock(&pi_glock);
    struct pi_lock *l =
        list_empty(&t->pi_held)
            ? NULL
            : list_entry(t->pi_held.next, struct pi_lock, held_node);
    spin_unlock(&pi_glock);
    return l;
}

int pi_base_prio(struct thread *t)
{
    spin_lock(&t->slock);
    int p = sched_base_prio(t);
    spin_unlock(&t->slock);
    return p;
}

/* What t's effective priority should be given base (pi_glock held). */
static int pi_target(struct thread *t, int base)
{
    int p = MAX(base, t->pp_floor);
    list_for_each(it, &t->pi_held)
    {
        struct pi_lock *l = list_entry(it, struct pi_lock, held_node);
        p = MAX(p, pi_top_prio(l));
    }
    return p;
}

/* t runs at `want` from now on, with base `base` and the given policy
 * (pi_glock held). */
static void pi_apply(struct thread *t, int policy, int base, int want,
                     enum sched_pos pos)
{
    if (want > base) {
        spin_lock(&t->slock);
        t->pi_base = base; /* first: base <= prio all along */
        spin_unlock(&t->slock);
        sched_requeue_prio_pos(t, policy, want, pos);
    } else {
        sched_requeue_prio_pos(t, policy, want, pos);
        spin_lock(&t->slock);
        t->pi_base = 0;
        spin_unlock(&t->slock);
    }
}

/* Recompute t's effective priority and carry a change up the chain of
 * owners (pi_glock held). `steps` owners at most. */
static void pi_update(struct thread *t, int steps)
{
    for (; t && steps > 0; steps--) {
        int base = sched_base_prio(t);
        int want = pi_target(t, base);
        if (want == t->prio)
            return; /* nothing changes further up either */
        pi_apply(t, t->policy, base, want, SCHED_POS_INHERIT);
        struct pi_lock *l = t->pi_blocked_on;
        if (!l)
            return;
        t = l->owner;
    }
}

void sched_set_prio(struct thread *t, int policy, int prio)
{
    sched_set_prio_pos(t, policy, prio, SCHED_POS_INHERIT);
}

void sched_set_prio_pos(struct thread *t, int policy, int prio,
                        enum sched_pos pos)
{
    spin_lock(&pi_glock);
    if ((pos == SCHED_POS_SETPARAM || pos == SCHED_POS_SETPRIO) &&
        (t->pp_floor || !list_empty(&t->pi_held) || kmx_holds_pi(t)))
        pos = SCHED_POS_HELD; /* a lock holder is not moved to the tail */
    pi_apply(t, policy, prio, pi_target(t, prio), pos);
    if (t->pi_blocked_on)
        pi_update(t->pi_blocked_on->owner, PI_CHAIN_MAX);
    spin_unlock(&pi_glock);
}

int sched_set_pp_floor(struct thread *t, int floor, bool enter)
{
    spin_lock(&pi_glock);
    if (enter && sched_base_prio(t) > floor) {
        spin_unlock(&pi_glock);
        return -EINVAL; /* POSIX: it runs above the mutex's ceiling */
    }
    t->pp_floor = floor;
    pi_update(t, PI_CHAIN_MAX); /* a lowered one keeps its hart's head */
    spin_unlock(&pi_glock);
    return 0;
}

void pi_take(struct pi_lock *l, struct thread *t)
{
    spin_lock(&pi_glock);
    KASSERT(l->owner == NULL);
    l->owner = t;
    list_push_back(&t->pi_held, &l->held_node);
    /* Waiters may already be queued (a futex handed over with waiters
     * left behind by an exited owner): t inherits them. */
    pi_update(t, PI_CHAIN_MAX);
    spin_unlock(&pi_glock);
}

int pi_wait_begin(struct pi_lock *l, struct thread *t)
{
    spin_lock(&pi_glock);
    struct thread *o = l->owner;
    KASSERT(o != NULL);
    for (int i = 0; o && i < PI_CHAIN_MAX; i++) {
        if (o == t) {
            spin_unlock(&pi_glock);
            return -EDEADLK;
        }
        o = o->pi_blocked_on ? o->pi_blocked_on->owner : NULL;
    }
    if (list_empty(&l->held_node)) /* taken by pi_take_free */
        list_push_back(&l->owner->pi_held, &l->held_node);
    list_push_back(&l->waiters, &t->wait_node);
    t->pi_blocked_on = l;
    pi_update(l->owner, PI_CHAIN_MAX);
    spin_unlock(&pi_glock);
    return 0;
}

void pi_wait_end(struct pi_lock *l, struct thread *t)
{
    spin_lock(&pi_glock);
    if (t->pi_blocked_on == l) {
        list_remove(&t->wait_node);
        t->pi_blocked_on = NULL;
        pi_update(l->owner, PI_CHAIN_MAX);
    }
    spin_unlock(&pi_glock);
}

struct thread *pi_release(struct pi_lock *l)
{
    /* Taken by pi_take_free and never waited for: not on the owner's
     * pi_held, no waiter, nothing lent. A waiter links it in
     * pi_wait_begin under the same object lock, so this cannot race. */
    if (pi_release_unwaited(l))
        return NULL;
    spin_lock(&pi_glock);
    struct thread *old = l->owner;
    list_remove(&l->held_node);
    struct thread *w = NULL;
    int best = -1;
    list_for_each(it, &l->waiters)
    {
        struct thread *c = list_entry(it, struct thread, wait_node);
        if (c->prio > best) {
            w = c;
            best = c->prio;
        }
    }
    l->owner = w;
    if (w) {
        list_remove(&w->wait_node);
        w->pi_blocked_on = NULL;
        list_push_back(&w->pi_held, &l->held_node);
        pi_update(w, PI_CHAIN_MAX); /* it inherits the waiters left */
    }
    if (old)
        pi_update(old, PI_CHAIN_MAX); /* drops what l's waiters lent */
    spin_unlock(&pi_glock);
    return w;
}
