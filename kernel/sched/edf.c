/*
 * SCHED_DEADLINE: partitioned earliest-deadline-first scheduling with a
 * constant-bandwidth server (CBS) per thread. docs/realtime.md
 * "SCHED_DEADLINE" describes the rules; kernel/include/edf.h the locks.
 *
 * Partitioning: edf_set assigns each deadline thread to one hart
 * (admission, under edf_bw_lock) and the thread only ever runs there:
 * no other hart pulls it. A hart's deadline threads sit on two sorted
 * lists of its own, linked through t->rq_node and guarded by its rq
 * lock: ready (by absolute deadline) and throttled (budget spent, by
 * replenishment time). Neither counts in rq.nr_ready: no other hart can
 * take these threads, and a thread queued here always comes with an IPI
 * to this hart (make_ready, edf_migrate, edf_set), which ends its wfi. Each
 * list holds at most EDF_MAX_PER_HART threads, so every insertion is a
 * bounded walk. schedule() takes the head of the ready list before any
 * fixed-priority thread.
 *
 * Budgets: a running deadline thread is charged (budget -= now -
 * run_start) whenever its hart schedules and at every timer interrupt,
 * and the hart's timer is armed for the moment its budget runs out
 * (edf_rq.budget_end) and for the first replenishment (next_repl).
 */
#include "../include/edf.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "edf_cbs.h"

static spinlock_t edf_bw_lock = SPINLOCK_INIT("edf_bw");

#ifdef KEEL_LOCKCHECK
#define EDF_CHECK(c) KASSERT(c)
#else
#define EDF_CHECK(c)                                                           \
    do {                                                                       \
    } while (0)
#endif

static inline bool is_dl(const struct thread *t)
{
    return t->policy == KEEL_SCHED_DEADLINE && !t->is_idle;
}

void edf_init_hart(struct hart *h)
{
    list_init(&h->edf.ready);
    list_init(&h->edf.throttled);
    h->edf.next_repl = UINT64_MAX;
    h->edf.budget_end = UINT64_MAX;
}

void edf_init_thread(struct thread *t)
{
    memset(&t->dl, 0, sizeof(t->dl));
    t->dl.hart = -1;
}

int edf_check(uint64_t runtime, uint64_t deadline, uint64_t *period)
{
    if (*period == 0)
        *period = deadline;
    if (runtime < EDF_RUNTIME_MIN_NS || runtime > deadline ||
        deadline > *period)
        return -EINVAL;
    if (*period < EDF_PERIOD_MIN_NS || *period > EDF_PERIOD_MAX_NS)
        return -EINVAL;
    return 0;
}

/* ---- the per-hart lists (h's rq lock held) ---- */

static void insert_sorted(struct list *head, struct thread *t, bool by_repl)
{
    uint64_t key = by_repl ? t->dl.repl : t->dl.cbs.abs_deadline;
    struct list *pos = head;
    list_for_each(it, head)
    {
        struct thread *o = list_entry(it, struct thread, rq_node);
        if ((by_repl ? o->dl.repl : o->dl.cbs.abs_deadline) > key) {
            pos = it; /* after every equal key: FIFO among ties */
            break;
        }
    }
    list_insert_between(&t->rq_node, pos->prev, pos);
}

static void set_rearm(struct hart *h)
{
    __atomic_store_n(&h->edf.rearm, 1, __ATOMIC_RELEASE);
}

/* next_repl follows the throttled list's head. */
static void repl_head(struct hart *h)
{
    uint64_t r = UINT64_MAX;
    if (!list_empty(&h->edf.throttled))
        r = list_entry(h->edf.throttled.next, struct thread, rq_node)->dl.repl;
    if (r != h->edf.next_repl) {
        WRITE_ONCE(h->edf.next_repl, r);
        set_rearm(h);
    }
}

static void set_budget_end(struct hart *h, uint64_t end)
{
    if (end != h->edf.budget_end) {
        WRITE_ONCE(h->edf.budget_end, end);
        set_rearm(h);
    }
}

void edf_rq_add(struct hart *h, struct thread *t)
{
    struct edf_thread *d = &t->dl;
    EDF_CHECK(spin_held(&h->rq.lock) && t->hart == h->id);
    uint64_t now = rdtime();
    if (d->cbs.budget <= 0) {
        /* Spent (or given up by sched_yield): throttled until its next
         * period, or replenished at once if that has begun already or
         * the thread is being killed (it runs on to its exit at once,
         * edf_kill). */
        d->nthrottled++;
        d->repl = edf_cbs_repl_time(&d->cbs);
        if (now < d->repl && !READ_ONCE(t->killed)) {
            d->throttled = true;
            insert_sorted(&h->edf.throttled, t, true);
            repl_head(h);
            return;
        }
        edf_cbs_replenish(&d->cbs, now);
    }
    if (t->state == T_WAKING)
        edf_cbs_wake(&d->cbs, now);
    insert_sorted(&h->edf.ready, t, false);
}

void edf_rq_del(struct hart *h, struct thread *t)
{
    EDF_CHECK(spin_held(&h->rq.lock) && !list_empty(&t->rq_node));
    list_remove(&t->rq_node);
    if (t->dl.throttled) {
        t->dl.throttled = false;
        repl_head(h);
    }
}

struct thread *edf_pick(struct hart *h)
{
    if (list_empty(&h->edf.ready))
        return NULL;
    struct thread *t = list_entry(h->edf.ready.next, struct thread, rq_node);
    EDF_CHECK(t->state == T_READY && t->hart == h->id && !t->dl.throttled);
    list_remove(&t->rq_node);
    sched_set_state(t, T_RUNNING);
    return t;
}

void edf_update(struct hart *h, struct thread *cur)
{
    uint64_t now = rdtime();
    uint64_t end = UINT64_MAX;
    if (is_dl(cur)) {
        struct edf_thread *d = &cur->dl;
        if (now > d->run_start)
            edf_cbs_charge(&d->cbs, now - d->run_start);
        d->run_start = now;
        if (d->yielded) {
            d->yielded = false; /* the job ends here (sched_yield) */
            if (d->cbs.budget > 0)
                d->cbs.budget = 0;
        }
        if (d->cbs.budget > 0)
            end = now + (uint64_t)d->cbs.budget;
    }
    set_budget_end(h, end);
    while (!list_empty(&h->edf.throttled)) {
        struct thread *t =
            list_entry(h->edf.throttled.next, struct thread, rq_node);
        if (t->dl.repl > now)
            break;
        list_remove(&t->rq_node);
        t->dl.throttled = false;
        edf_cbs_replenish(&t->dl.cbs, now);
        insert_sorted(&h->edf.ready, t, false);
    }
    repl_head(h);
}

void edf_tick(struct hart *h)
{
    /* Nothing of EDF's on this hart: no lock taken (racy reads; a thread
     * queued here since comes with an IPI). */
    if (!is_dl(h->cur) && READ_ONCE(h->edf.next_repl) == UINT64_MAX &&
        h->edf.budget_end == UINT64_MAX && list_empty(&h->edf.ready))
        return;
    bool resched = false;
    spin_lock(&h->rq.lock);
    struct thread *cur = h->cur;
    edf_update(h, cur);
    if (is_dl(cur) && cur->dl.cbs.budget <= 0)
        resched = true; /* spent: throttle it */
    if (!list_empty(&h->edf.ready)) {
        struct thread *e =
            list_entry(h->edf.ready.next, struct thread, rq_node);
        if (!is_dl(cur) || e->dl.cbs.abs_deadline < cur->dl.cbs.abs_deadline)
            resched = true;
    }
    spin_unlock(&h->rq.lock);
    if (resched) {
        h->need_resched = 1;
        h->need_resched_preempt = 1;
    }
}

void edf_switch_in(struct hart *h, struct thread *next, uint64_t now)
{
    uint64_t end = UINT64_MAX;
    if (is_dl(next)) {
        next->dl.run_start = now;
        int64_t b = next->dl.cbs.budget;
        end = now + (b > 0 ? (uint64_t)b : 0);
    }
    set_budget_end(h, end);
}

void edf_resume(struct hart *h, struct thread *cur)
{
    uint64_t end = UINT64_MAX;
    if (is_dl(cur) && cur->dl.cbs.budget > 0)
        end = cur->dl.run_start + (uint64_t)cur->dl.cbs.budget;
    set_budget_end(h, end);
}

bool edf_take_rearm(struct hart *h)
{
    return __atomic_exchange_n(&h->edf.rearm, 0, __ATOMIC_ACQ_REL);
}

bool edf_elsewhere(struct hart *h, struct thread *cur)
{
    int target = READ_ONCE(cur->dl.hart);
    return is_dl(cur) && target >= 0 && target != h->id;
}

/* S9 (sched.c): cur is off every hart's stack, RUNNING and on no queue;
 * its hart hands it over to the hart it is assigned to. */
void edf_migrate(struct thread *t)
{
    spin_lock(&t->slock);
    int target = is_dl(t) && t->dl.hart >= 0 ? t->dl.hart : t->hart;
    struct hart *x = &harts[target];
    spin_lock(&x->rq.lock);
    t->hart = target;
    sched_set_state(t, T_READY);
    sched_rq_add(x, t);
    spin_unlock(&x->rq.lock);
    spin_unlock(&t->slock);
    sched_ipi(target);
}

/* ---- admission and parameters ---- */

/* First fit from `pref`: the first online hart whose reserved bandwidth
 * (without t's present reservation on `old`) leaves room for bw. The
 * reservation moves there at once; -1 if no hart has room. */
static int admit(int pref, int old, uint64_t old_bw, uint64_t bw)
{
    int target = -1;
    spin_lock(&edf_bw_lock);
    for (int i = 0; i < nharts && target < 0; i++) {
        int id = (pref + i) % nharts;
        struct edf_rq *e = &harts[id].edf;
        if (!harts[id].online)
            continue;
        uint64_t used = e->bw;
        int n = e->nr;
        if (id == old) {
            used -= old_bw;
            n--;
        }
        if (used + bw <= EDF_BW_LIMIT && n < EDF_MAX_PER_HART)
            target = id;
    }
    if (target >= 0) {
        if (old >= 0) {
            harts[old].edf.bw -= old_bw;
            harts[old].edf.nr--;
        }
        harts[target].edf.bw += bw;
        harts[target].edf.nr++;
    }
    spin_unlock(&edf_bw_lock);
    return target;
}

void edf_release_locked(struct thread *t)
{
    struct edf_thread *d = &t->dl;
    spin_lock(&edf_bw_lock);
    if (d->hart >= 0) {
        harts[d->hart].edf.bw -= d->bw;
        harts[d->hart].edf.nr--;
    }
    d->hart = -1;
    d->bw = 0;
    spin_unlock(&edf_bw_lock);
}

void edf_kill(struct thread *t)
{
    if (!is_dl(t))
        return; /* racy: a thread becoming one now sees killed itself */
    spin_lock(&t->slock);
    struct hart *h = &harts[READ_ONCE(t->hart)];
    spin_lock(&h->rq.lock);
    bool moved = false;
    /* Throttled threads are READY on their own hart's list (S2). */
    if (is_dl(t) && t->dl.throttled && t->state == T_READY &&
        t->hart == h->id) {
        edf_rq_del(h, t);
        edf_cbs_replenish(&t->dl.cbs, rdtime());
        insert_sorted(&h->edf.ready, t, false);
        moved = true;
    }
    spin_unlock(&h->rq.lock);
    spin_unlock(&t->slock);
    if (moved)
        sched_ipi(h->id); /* it outranks what runs there: resched */
}

void edf_exit(struct thread *t)
{
    spin_lock(&t->slock);
    if (t->policy == KEEL_SCHED_DEADLINE)
        edf_release_locked(t);
    t->dl.exited = true; /* edf_set may not reserve for it again */
    spin_unlock(&t->slock);
}

static uint64_t ticks_at_least_one(uint64_t ns)
{
    uint64_t t = ns_to_ticks(ns);
    return t ? t : 1;
}

/* The new parameters and a fresh job starting now (slock held, and the
 * rq lock of t's hart while it is READY or RUNNING). */
static void apply(struct thread *t, const struct edf_params *p, uint64_t bw,
                  int hart, uint64_t now)
{
    struct edf_thread *d = &t->dl;
    d->runtime_ns = p->runtime_ns;
    d->deadline_ns = p->deadline_ns;
    d->period_ns = p->period_ns;
    d->cbs.runtime = ticks_at_least_one(p->runtime_ns);
    d->cbs.rel_deadline = ticks_at_least_one(p->deadline_ns);
    d->cbs.period = ticks_at_least_one(p->period_ns);
    d->bw = bw;
    d->hart = hart;
    edf_cbs_new_job(&d->cbs, now);
    d->run_start = now;
    d->yielded = false;
    t->policy = KEEL_SCHED_DEADLINE;
    t->prio = KEEL_PRIO_MAX; /* for wait queues and placement: the top */
}

int edf_set(struct thread *t, const struct edf_params *p)
{
    uint64_t bw = edf_cbs_bw(p->runtime_ns, p->period_ns);
    spin_lock(&t->slock);
    if (t->dl.exited) {
        spin_unlock(&t->slock);
        return -ESRCH;
    }
    bool was_dl = t->policy == KEEL_SCHED_DEADLINE;
    int old = was_dl ? t->dl.hart : -1;
    int target = admit(old >= 0 ? old : READ_ONCE(t->hart), old,
                       was_dl ? t->dl.bw : 0, bw);
    if (target < 0) {
        spin_unlock(&t->slock);
        return -EBUSY;
    }
    /* As sched_set_prio (S8): find t's queue or hart and lock it. */
    int state = t->state;
    struct hart *h = NULL;
    while (state == T_READY || state == T_RUNNING) {
        h = &harts[READ_ONCE(t->hart)];
        spin_lock(&h->rq.lock);
        state = t->state;
        if (t->hart == h->id && (state == T_READY || state == T_RUNNING))
            break;
        spin_unlock(&h->rq.lock);
        h = NULL;
    }
    uint64_t now = rdtime();
    if (h && state == T_READY) {
        sched_rq_del(h, t);
        apply(t, p, bw, target, now);
        /* A thread still on its old hart's stack (just requeued there)
         * stays on that hart's lists, which edf_active keeps in view:
         * it runs there once more and moves when it next leaves (S10). */
        if (target != h->id && !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
            spin_unlock(&h->rq.lock);
            h = &harts[target];
            spin_lock(&h->rq.lock);
            t->hart = target;
        }
        sched_rq_add(h, t);
    } else {
        apply(t, p, bw, target, now);
    }
    int hart = t->hart;
    if (h)
        spin_unlock(&h->rq.lock);
    spin_unlock(&t->slock);
    if (state == T_READY || state == T_RUNNING) {
        if (t == current()) {
            struct hart *me = this_hart();
            me->need_resched = 1; /* charge, re-arm, maybe move */
            me->need_resched_preempt = 1;
        } else {
            sched_ipi(hart);
        }
    }
    return 0;
}
