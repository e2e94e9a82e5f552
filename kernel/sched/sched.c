/*
 * Per-hart run queues with fixed priorities: a 64-bit bitmap of non-empty
 * priority levels makes pick-next O(1) per queue.
 *
 * The scheduling-state protocol. A thread's scheduling state is its
 * state, prio, policy, ceiling, hart and run-queue membership (rq_node).
 * Wakers, priority setters and schedule() all follow these rules:
 *  S1. Lock order: waitq lock -> sleep_lock -> t->slock -> rq lock. At most
 *      one thread's slock and one rq lock are held at a time.
 *      pi_glock (sync/pi.c) sits between the waitq-level locks and
 *      t->slock, and is never held together with a sleep_lock.
 *  S2. t->prio, t->policy and t->ceiling change only with t->slock held,
 *      and while t is READY or RUNNING also with the lock of the run queue
 *      of harts[t->hart] (so rq_pop and schedule's requeue, which hold only
 *      that rq lock, always see the level a queued thread is on).
 *  S3. A thread enters a run queue only with that rq's lock held, and
 *      either its slock (make_ready: WAKING -> READY, new or woken threads)
 *      or as the running thread of that very hart (schedule's requeue,
 *      RUNNING -> READY, which S2 makes safe without the slock).
 *  S4. A thread leaves a run queue only with that rq's lock held: rq_pop
 *      (READY -> RUNNING, sets t->hart to the popping hart) or
 *      sched_set_prio's re-queue on another level (slock held too).
 *  S5. A READY thread is on the queue of harts[t->hart]; t->hart changes
 *      only under the lock of the queue it enters (make_ready, rq_pop).
 *  S6. Only the thread itself, on its hart, moves RUNNING -> BLOCKED or
 *      DEAD (no lock: nobody else writes the state of a RUNNING thread),
 *      and BLOCKED -> RUNNING back by compare-and-swap when it is being
 *      killed before it switched out.
 *  S7. A waker claims BLOCKED -> WAKING with a compare-and-swap (one waker
 *      wins), waits until t->on_cpu clears (no lock held: the thread's own
 *      schedule() may still need its slock), then under t->slock makes it
 *      READY, reading prio under that lock.
 *  S8. Hence sched_set_prio, holding t->slock, sees t either BLOCKED or
 *      WAKING (on no run queue, and unable to enter one until slock is
 *      released: it just stores the new values, which make_ready uses), or
 *      READY / RUNNING: then it takes the lock of harts[t->hart] and
 *      re-checks; a READY thread there is on that queue (S5) and is moved
 *      to its new level; a RUNNING one is on that hart and can only be
 *      requeued there under the same lock; if t moved meanwhile it
 *      retries.
 * Deadline threads (SCHED_DEADLINE, kernel/sched/edf.c, edf.h) follow the
 * same rules, with these additions:
 *  S9. A READY deadline thread is on one of the two EDF lists (ready or
 *      throttled) of harts[t->hart], through rq_node, under that rq's
 *      lock; rq_add and rq_del choose the lists by t->policy, so a
 *      policy change between the two (S8) moves a thread between the
 *      priority levels and the EDF lists. Only its own hart takes it off
 *      the ready list (edf_pick): no hart pulls a deadline thread, and
 *      one on a hart's EDF ready list is on no other hart's stack.
 *  S10. A deadline thread runs only on the hart admission assigned it
 *      (t->dl.hart). If that changes while it runs elsewhere, schedule()
 *      leaves it RUNNING and on no queue, and the hart hands it over in
 *      sched_finish_switch, once it is off that hart's stack: under its
 *      slock and the new hart's rq lock, t->hart changes and it becomes
 *      READY there (edf_migrate).
 *  S11. Its CBS state (budget, deadline) is guarded by the rq lock of
 *      harts[t->hart], like its queue place; the hart running it charges
 *      it under that lock when scheduling and on timer ticks.
 * Legal transitions (asserted with KEEL_LOCKCHECK): FREE -> WAKING
 * (creation), WAKING -> READY, READY -> RUNNING, RUNNING -> READY |
 * BLOCKED | DEAD, BLOCKED -> WAKING | RUNNING, DEAD -> FREE.
 *
 * Placement (the idle / lowest-priority rule). A hart's load is the
 * higher of the priority it runs (idle: 0) and the best priority queued
 * on it. When a thread becomes ready (new, woken, requeued because it was
 * preempted or yielded, or given a new priority) and some hart's load is
 * below the thread's priority, the hart with the lowest load is kicked
 * (IPI): a woken thread is queued there; a requeued thread stays queued
 * where it is and the kicked hart pulls it. In schedule() a hart takes
 * the best thread on any queue if it outranks its own best, so the
 * kicked hart finds it; an idle hart never waits in wfi while any run
 * queue holds a thread. The loads are read again after the thread is
 * queued (a fence on each side with the idle loop), so a hart that went
 * idle while the waker chose its queue is kicked too; symmetrically a hart
 * looks at the queues again once its new thread is h->cur (recheck_queues),
 * so a thread queued while it picked is not missed. A thread still on another
 * hart's stack (on_cpu) is only pulled by a hart whose own outgoing thread is
 * not queued, so two harts never wait for each other's outgoing thread.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "edf_hooks.h"

struct hart harts[MAX_HARTS];
int nharts;

#ifdef KEEL_KTEST
void (*volatile sched_test_hook)(void);
void (*volatile sched_test_place_hook)(struct thread *t);
void (*volatile sched_test_pick_hook)(struct thread *cur, struct thread *next);
#define TEST_PICK_HOOK(c, n)                                                   \
    do {                                                                       \
        if (sched_test_pick_hook)                                              \
            sched_test_pick_hook(c, n);                                        \
    } while (0)
#define TEST_PLACE_HOOK(t)                                                     \
    do {                                                                       \
        if (sched_test_place_hook)                                             \
            sched_test_place_hook(t);                                          \
    } while (0)
#define TEST_HOOK()                                                            \
    do {                                                                       \
        if (sched_test_hook)                                                   \
            sched_test_hook();                                                 \
    } while (0)
#else
#define TEST_HOOK()                                                            \
    do {                                                                       \
    } while (0)
#define TEST_PLACE_HOOK(t)                                                     \
    do {                                                                       \
    } while (0)
#define TEST_PICK_HOOK(c, n)                                                   \
    do {                                                                       \
    } while (0)
#endif

void swtch(struct context *old, struct context *new);

#ifdef KEEL_LOCKCHECK
#define LOCKCHECK(c) KASSERT(c)
void sched_check_transition(struct thread *t, int to)
{
    static const uint8_t legal[] = {
        [T_FREE] = 1u << T_WAKING,
        [T_WAKING] = 1u << T_READY,
        [T_READY] = 1u << T_RUNNING,
        [T_RUNNING] = 1u << T_READY | 1u << T_BLOCKED | 1u << T_DEAD,
        [T_BLOCKED] = 1u << T_WAKING | 1u << T_RUNNING,
        [T_DEAD] = 1u << T_FREE,
    };
    int from = t->state;
    if (from < T_FREE || from > T_DEAD || !(legal[from] & (1u << to)))
        panic("thread %d: illegal state change %d -> %d", t->tid, from, to);
}

/* The bitmap bit of level p says whether the level is non-empty. */
static void rq_check_level(struct runqueue *rq, int p)
{
    bool bit = (rq->bitmap >> p) & 1;
    if (bit == list_empty(&rq->queue[p]))
        panic("run queue: level %d bit %d but list %s", p, bit,
              bit ? "empty" : "non-empty");
}
#else
#define LOCKCHECK(c)                                                           \
    do {                                                                       \
    } while (0)
#define rq_check_level(rq, p)                                                  \
    do {                                                                       \
    } while (0)
#endif

static inline int rq_top(const struct runqueue *rq)
{
    uint64_t b = READ_ONCE(rq->bitmap);
    return b ? 63 - __builtin_clzll(b) : -1;
}

static void rq_add(struct hart *h, struct thread *t, bool front)
{
    struct runqueue *rq = &h->rq;
    LOCKCHECK(spin_held(&rq->lock) &&
              (spin_held(&t->slock) || t == this_hart()->cur));
    LOCKCHECK(list_empty(&t->rq_node) && t->hart == h->id);
    LOCKCHECK(t->prio >= 1 && t->prio < NPRIO);
    if (t->policy == KEEL_SCHED_DEADLINE) {
        edf_rq_add(h, t); /* S9 */
        return;
    }
    if (front)
        list_push_front(&rq->queue[t->prio], &t->rq_node);
    else
        list_push_back(&rq->queue[t->prio], &t->rq_node);
    rq->bitmap |= 1ull << t->prio;
    rq->nr_ready++;
    rq_check_level(rq, t->prio);
}

static void rq_del(struct hart *h, struct thread *t)
{
    struct runqueue *rq = &h->rq;
    LOCKCHECK(spin_held(&rq->lock) && t->state == T_READY && t->hart == h->id);
    if (t->policy == KEEL_SCHED_DEADLINE) {
        edf_rq_del(h, t); /* S9 */
        return;
    }
    LOCKCHECK(!list_empty(&t->rq_node) && rq->nr_ready > 0);
    list_remove(&t->rq_node);
    if (list_empty(&rq->queue[t->prio]))
        rq->bitmap &= ~(1ull << t->prio);
    rq->nr_ready--;
    rq_check_level(rq, t->prio);
}

/* Take the best thread off h's queue (lock held) for hart `self`; it is
 * RUNNING at once, so nothing treats it as queued once it is off. With
 * !oncpu_ok a best thread still on some hart's stack is left alone. */
static struct thread *rq_pop(struct hart *h, struct hart *self, bool oncpu_ok)
{
    struct runqueue *rq = &h->rq;
    if (!rq->bitmap)
        return NULL;
    int p = 63 - __builtin_clzll(rq->bitmap);
    rq_check_level(rq, p);
    struct list *first = rq->queue[p].next;
    LOCKCHECK(first != &rq->queue[p]); /* never the list head */
    struct thread *t = list_entry(first, struct thread, rq_node);
    LOCKCHECK(t->prio == p);
    if (!oncpu_ok && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
        return NULL;
    rq_del(h, t);
    sched_set_state(t, T_RUNNING);
    t->hart = self->id;
    return t;
}

void sched_init_hart(struct hart *h, int id)
{
    h->id = id;
    spin_init(&h->rq.lock, "runqueue");
    for (int p = 0; p < NPRIO; p++)
        list_init(&h->rq.queue[p]);
    timer_init_hart(h);
    edf_init_hart(h);
}

/* For edf.c (S9): queue t on h / take it off, lock held as rq_add. */
void sched_rq_add(struct hart *h, struct thread *t)
{
    rq_add(h, t, false);
}

void sched_rq_del(struct hart *h, struct thread *t)
{
    rq_del(h, t);
}

void sched_ipi(int hart)
{
    PL_KICK(hart);
    if (hart == this_hart()->id) {
        this_hart()->need_resched = 1;
        this_hart()->need_resched_preempt = 1;
    } else
        sbi_send_ipi(hart);
}

static int hart_cur_prio(struct hart *h)
{
    struct thread *c = READ_ONCE(h->cur);
    return c ? READ_ONCE(c->prio) : 0;
}

/* The online hart (other than `skip`) with the lowest load below prio,
 * scanning from `start` so that ties go to it; NULL if none. */
static struct hart *kick_target(int prio, int start, int skip)
{
    struct hart *best = NULL;
    int best_load = prio;
    for (int i = 0; i < nharts; i++) {
        struct hart *h = &harts[(start + i) % nharts];
        if (!h->online || h->id == skip)
            continue;
        int load = MAX(hart_cur_prio(h), rq_top(&h->rq));
        if (load < best_load) {
            best = h;
            best_load = load;
        }
    }
    return best;
}

/* A thread of priority prio waits on h's queue: interrupt h if it runs
 * something lower, else the lowest-loaded other hart, which pulls it. */
static void kick_for(int prio, struct hart *h)
{
    if (prio > hart_cur_prio(h)) {
        sched_ipi(h->id);
        return;
    }
    struct hart *o = kick_target(prio, h->id, h->id);
    if (o)
        sched_ipi(o->id);
}

/* After a pick on h: a thread left on h's queue that outranks what some
 * other hart runs is stranded unless that hart looks (a kick can be used
 * up by a hart that found something better of its own, or a target
 * passed over while its queue briefly held a better thread). Kick the
 * hart running the lowest priority; its own pick does the same in turn,
 * so a stranded thread is passed on until it runs. */
static void kick_stranded(struct hart *h)
{
    int left = rq_top(&h->rq); /* a racy read: a hint, as every load */
    if (left <= 0)
        return;
    struct hart *low = NULL;
    int low_prio = left;
    for (int i = 0; i < nharts; i++) {
        struct hart *o = &harts[i];
        if (o == h || !o->online)
            continue;
        int p = hart_cur_prio(o);
        if (p < low_prio) {
            low = o;
            low_prio = p;
        }
    }
    if (low)
        sched_ipi(low->id);
}

/* Queue a thread that is on no hart and no queue (WAKING), where it runs
 * soonest, and interrupt that hart if the thread outranks what it runs. */
static void make_ready(struct thread *t)
{
    bool smp = nharts > 1;
    PL_BUSY(1);
    spin_lock(&t->slock);
    struct hart *h = this_hart(); /* the only hart if !smp */
    bool dl = t->policy == KEEL_SCHED_DEADLINE;
    if (dl) {
        h = &harts[t->dl.hart]; /* its own hart (S10) */
    } else if (smp) {
        struct hart *k = kick_target(t->prio, t->hart, -1);
        if (k)
            h = k;
        else if (harts[t->hart].online)
            h = &harts[t->hart];
    }
    TEST_PLACE_HOOK(t);
    spin_lock(&h->rq.lock);
    t->hart = h->id;
    rq_add(h, t, false);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    sched_set_state(t, T_READY);
    int prio = t->prio;
    spin_unlock(&h->rq.lock);
    spin_unlock(&t->slock);
    if (dl) {
        sched_ipi(h->id); /* EDF order (or a new timer event) there */
    } else if (smp) {
        /* The loads read above may be stale: a hart may have gone idle
         * (or dropped below prio) since. Look again now that t is
         * queued; the fence pairs with the idle loop's, so either we see
         * that hart idle or it sees t queued. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        kick_for(prio, h);
    } else if (prio > hart_cur_prio(h))
        sched_ipi(h->id);
    PL_BUSY(-1);
}

void sched_enqueue_new(struct thread *t)
{
    if (t->state == T_FREE)
        sched_set_state(t, T_WAKING);
    make_ready(t);
}

bool sched_wake(struct thread *t)
{
    /* Claim the wake-up first (BLOCKED -> WAKING): only one waker wins,
     * and the thread's own schedule() leaves a WAKING thread alone. */
    int expected = T_BLOCKED;
    if (!__atomic_compare_exchange_n(&t->state, &expected, T_WAKING, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    /* Let it finish switching out on its old hart before anyone may pick
     * it (S7): then a thread on a run queue is never on a hart's stack
     * unless it is that hart's own outgoing thread. No lock is held. */
    for (unsigned n = 0; __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);) {
        cpu_relax();
        if (++n % SPIN_HINT_EVERY == 0)
            spin_wait_hint(); /* spinlock.h */
    }
    TEST_HOOK();
    make_ready(t);
    return true;
}

/* Some other queue's best outranks `mine` (racy reads: a hint). */
static bool remote_better(struct hart *self, int mine)
{
    for (int i = 1; i < nharts; i++)
        if (rq_top(&harts[(self->id + i) % nharts].rq) > mine)
            return true;
    return false;
}

/* Once this hart's running priority is set (at the end of a switch, or
 * when it keeps its thread, which may have lowered itself), look at every
 * queue again, our own included. A thread queued while we picked was
 * missed both by our pick (it read that queue before the thread was
 * there) and by its waker's kick (which read our old priority: h->cur is
 * stored only at the switch, after the pick); the waker stores the queue
 * and then loads h->cur, we store h->cur and then load the queues, so
 * with a fence on each side at least one of us sees the other. If a
 * queued thread outranks what we now run, we reschedule (need_resched,
 * taken at the next preemption point or return to user), and that pick
 * takes it. Not for the idle thread: the idle loop makes its own last
 * look before wfi. */
static void recheck_queues(struct hart *h)
{
    struct thread *cur = h->cur;
    if (cur->is_idle)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int mine = READ_ONCE(cur->prio);
    for (int i = 0; i < nharts; i++) {
        if (rq_top(&harts[i].rq) > mine) {
            PL_KICK(h->id);
            h->need_resched = 1;
            h->need_resched_preempt = 1;
            return;
        }
    }
}

/* Pull the best thread of any queue if it outranks `mine` (the best
 * priority on our own queue, -1 if empty). */
static struct thread *pull(struct hart *self, int mine, bool oncpu_ok)
{
    struct hart *best = NULL;
    int best_prio = mine;
    for (int i = 1; i < nharts; i++) {
        struct hart *o = &harts[(self->id + i) % nharts];
        int p = rq_top(&o->rq);
        if (p > best_prio) {
            best = o;
            best_prio = p;
        }
    }
    if (!best)
        return NULL;
    struct thread *t = NULL;
    spin_lock(&best->rq.lock);
    if (rq_top(&best->rq) > mine)
        t = rq_pop(best, self, oncpu_ok);
    spin_unlock(&best->rq.lock);
    return t;
}

/*
 * CPU time. Each thread's cpu_word is written only by the hart switching
 * it in or out (the on_cpu hand-over orders two harts' writes), with one
 * aligned store, so any hart reads it with one load and no lock:
 *  - not running: the ticks it has run in total;
 *  - running: CPU_RUNNING | (switch-in time - total), so that now minus
 *    the low bits is the total including the current run.
 * Timer ticks stay far below bit 63.
 */
#define CPU_RUNNING (1ull << 63)

static inline void cpu_switch_out(struct thread *t, uint64_t now)
{
    uint64_t w = t->cpu_word;
    if (w & CPU_RUNNING)
        t->cpu_word = now - (w & ~CPU_RUNNING);
}

static inline void cpu_switch_in(struct thread *t, uint64_t now)
{
    uint64_t w = t->cpu_word;
    if (!(w & CPU_RUNNING))
        t->cpu_word = CPU_RUNNING | (now - w);
}

uint64_t sched_cpu_ticks(const struct thread *t)
{
    uint64_t w = READ_ONCE(t->cpu_word);
    if (!(w & CPU_RUNNING))
        return w;
    uint64_t base = w & ~CPU_RUNNING, now = rdtime();
    /* A clock read a hair behind the switch-in counts as no time yet. */
    return now > base ? now - base : 0;
}

static void slice_start(struct hart *h)
{
    h->slice_end = time_now_ticks() + ns_to_ticks(TIME_SLICE_US * 1000ull);
}

static void switch_to(struct hart *h, struct thread *cur, struct thread *next)
{
    for (unsigned n = 0; __atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE);) {
        cpu_relax();
        if (++n % SPIN_HINT_EVERY == 0)
            spin_wait_hint(); /* spinlock.h */
    }
    /* CPU time: cur stops, next starts, at one reading of the clock
     * (before next->on_cpu is set: the previous hart's switch-out store
     * to next's word happened before it cleared on_cpu). */
    uint64_t now = rdtime();
    cpu_switch_out(cur, now);
    cpu_switch_in(next, now);
    edf_switch_in_hook(h, next, now);
    next->on_cpu = 1;
    next->state = T_RUNNING; /* rq_pop did this for a queued thread */
    next->hart = h->id;
    next->ran_hart = h->id;
    h->prev = cur;
    h->cur = next;
    /* A thread whose process dropped its table (the last thread, in
     * exit teardown, preempted at a preemption point) runs on the
     * kernel's. */
    pagetable_t pt = next->proc ? next->proc->pagetable : NULL;
    if (!pt)
        pt = kernel_pagetable;
    if (csr_read(satp) != vm_satp(pt)) {
        vm_hart_publish(h->id, pt); /* before satp: vm_tlb_shootdown */
        csr_write(satp, vm_satp(pt));
        sfence_vma();
    }
    if (next->policy == KEEL_SCHED_RR)
        slice_start(h);
    if (!next->is_idle) {
        h->ran_user = true;
        timer_program();
    } else if (edf_rearm_hook(h)) {
        timer_program(); /* a throttled thread's replenishment */
    }
    swtch(&cur->ctx, &next->ctx);
    sched_finish_switch();
}

/* Runs on the thread we switched to, right after swtch returns. */
void sched_finish_switch(void)
{
    struct hart *h = this_hart();
    struct thread *prev = h->prev;
    h->prev = NULL;
    if (!prev)
        return;
    int state = prev->state;
    __atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
    if (unlikely(h->edf.migrating == prev)) {
        h->edf.migrating = NULL;
        edf_migrate(prev); /* S10 */
    } else if (state == T_DEAD)
        thread_release(prev);
    else if (state == T_READY && nharts > 1) {
        /* Another hart may take it; the fence pairs with the idle loop's
         * (prev was queued before). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        kick_for(READ_ONCE(prev->prio), h);
    }
    if (nharts > 1)
        recheck_queues(h);
    PL_BUSY(-1); /* schedule_common's, once the requeued prev is kicked for */
}

static void schedule_common(bool requeue_front)
{
    struct hart *h = this_hart();
    struct thread *cur = h->cur;
#ifdef KEEL_LOCKCHECK
    if (spin_depth() != 0)
        panic("schedule() with %d spinlock(s) held", spin_depth());
    int st = cur->state;
    if (cur->is_idle ? st != T_RUNNING
                     : st != T_RUNNING && st != T_BLOCKED && st != T_WAKING &&
                           st != T_DEAD)
        panic("schedule(): thread %d in state %d", cur->tid, st);
    KASSERT(cur->on_cpu && h->prev == NULL);
    PL_BUSY(1); /* until the switch ends (sched_finish_switch) */
    PL_KICKS_SEEN(h);
#endif
    /* Requeue and pick under one hold of our queue's lock (S2, S3). */
    struct thread *next = NULL;
    bool queued = false;
    spin_lock(&h->rq.lock);
    bool edf = edf_active(h, cur);
    if (unlikely(edf))
        edf_update(h, cur); /* charge a deadline thread, replenish (S11) */
    if (cur->state == T_RUNNING && !cur->is_idle) {
        if (unlikely(edf) && edf_elsewhere(h, cur)) {
            h->edf.migrating = cur; /* moves once off our stack (S10) */
        } else {
            sched_set_state(cur, T_READY);
            rq_add(h, cur, requeue_front);
            queued = true;
        }
    }
    if (unlikely(edf))
        next = edf_pick(h); /* deadline threads first */
    if (!next && (nharts == 1 || !remote_better(h, rq_top(&h->rq))))
        next = rq_pop(h, h, true);
    spin_unlock(&h->rq.lock);
    if (!next) {
        int mine = rq_top(&h->rq);
        /* Our outgoing thread is queued here: pull only threads that are
         * off every hart (see the file comment). */
        next = pull(h, mine, !queued);
        if (!next && mine >= 0) {
            spin_lock(&h->rq.lock);
            next = rq_pop(h, h, true);
            spin_unlock(&h->rq.lock);
        }
        if (!next && !queued)
            next = pull(h, -1, true); /* lost a race: anything at all */
    }
    if (nharts > 1)
        kick_stranded(h);
    if (!next) {
        if (cur->is_idle) {
            if (edf_rearm_hook(h))
                timer_program();
            PL_BUSY(-1);
            return;
        }
        next = h->idle;
    }
    if (next == cur) {
        if (unlikely(edf))
            edf_resume(h, cur); /* a budget replenished in the requeue */
        /* Still the best choice (rq_pop marked it RUNNING again). An RR
         * thread whose slice ran out starts a new one, and the timer is
         * re-armed past it, or its expired deadline would fire forever. */
        if (cur->policy == KEEL_SCHED_RR && time_now_ticks() >= h->slice_end) {
            slice_start(h);
            timer_program();
        } else if (edf_rearm_hook(h)) {
            timer_program(); /* its budget or a replenishment moved */
        }
        if (nharts > 1)
            recheck_queues(h);
        PL_BUSY(-1);
        return;
    }
    TEST_PICK_HOOK(cur, next);
    switch_to(h, cur, next);
}

void schedule(void)
{
    schedule_common(false);
}

void sched_preempt(void)
{
    struct hart *h = this_hart();
    struct thread *cur = h->cur;
    /* A preempted FIFO thread (or RR within its slice) keeps its place at
     * the head of its level; a yield or an expired slice goes last. */
    bool front =
        cur->policy == KEEL_SCHED_FIFO || time_now_ticks() < h->slice_end;
    bool preempted = h->need_resched_preempt;
    h->need_resched_preempt = 0; /* before: we may resume on another hart */
    schedule_common(front && preempted);
}

void sched_preempt_point_slow(void)
{
#ifdef KEEL_LOCKCHECK
    KASSERT(spin_depth() == 0);
#endif
    this_hart()->need_resched = 0;
    sched_preempt();
}

/* S8: prio and policy change under t->slock, and under the rq lock too
 * while t is queued. sched_set_prio (sync/pi.c) adds PI on top. */
void sched_requeue_prio(struct thread *t, int policy, int prio)
{
    PL_BUSY(1);
    spin_lock(&t->slock);
    if (t->policy == KEEL_SCHED_DEADLINE && policy != KEEL_SCHED_DEADLINE)
        edf_release_locked(t); /* its bandwidth goes back */
    int old = t->prio;
    int state = t->state;
    TEST_HOOK();
    struct hart *h = NULL;
    while (state == T_READY || state == T_RUNNING) {
        h = &harts[READ_ONCE(t->hart)];
        spin_lock(&h->rq.lock);
        state = t->state;
        if (t->hart == h->id && (state == T_READY || state == T_RUNNING))
            break; /* READY: on h's queue; RUNNING: on h */
        spin_unlock(&h->rq.lock);
        h = NULL; /* moved meanwhile (or blocked): look again */
    }
    if (h && state == T_READY) {
        rq_del(h, t);
        t->prio = prio;
        t->policy = policy;
        rq_add(h, t, false);
    } else {
        t->prio = prio;
        t->policy = policy;
    }
    if (h)
        spin_unlock(&h->rq.lock);
    int hart = t->hart;
    spin_unlock(&t->slock);
    if (state == T_READY) {
        kick_for(prio, &harts[hart]);
    } else if (t == current()) {
        if (prio < old) {
            struct hart *me = this_hart();
            PL_KICK(me->id);      /* a request to ourselves, without an IPI */
            me->need_resched = 1; /* someone may now outrank us */
            me->need_resched_preempt = 1;
        }
    } else if (state == T_RUNNING && prio < old) {
        sched_ipi(hart); /* running elsewhere: let it re-check */
    }
    PL_BUSY(-1);
}

void sched_set_ceiling(struct thread *t, int ceiling)
{
    spin_lock(&t->slock);
    t->ceiling = ceiling;
    spin_unlock(&t->slock);
}

int sched_policy_check(int policy)
{
    switch (policy) {
    case KEEL_SCHED_FIFO:
    case KEEL_SCHED_RR:
        return policy;
    case KEEL_SCHED_OTHER:
        return KEEL_SCHED_RR;
    case KEEL_SCHED_SPORADIC:
        return -ENOTSUP;
    default:
        return -EINVAL;
    }
}

/* Any queued thread on any hart (a racy read; the caller retries). */
static bool work_anywhere(void)
{
    for (int i = 0; i < nharts; i++)
        if (READ_ONCE(harts[i].rq.nr_ready))
            return true;
    return false;
}

void sched_start(void)
{
    struct hart *h = this_hart();
    h->online = true;
    for (;;) {
        schedule();
        lockstat_irqoff_end(); /* idle from here: a window, or wfi */
        /* Nothing we could take anywhere: wait for an interrupt. wfi
         * wakes on a pending interrupt even with SIE off; SIE is opened
         * briefly to take it. A queued thread anywhere is ours to pull. */
        /* h->cur is the idle thread (stored before): a waker that
         * queues a thread after our look sees us idle and kicks us. */
        PL_IDLE_WAIT(h, 1);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!work_anywhere()) {
            h->ticks_idle++;
            __asm__ volatile("wfi");
        }
        PL_IDLE_WAIT(h, 0);
        intr_on();
        intr_off();
        lockstat_irqoff_begin();
    }
}

/* The caller set state = BLOCKED and made itself findable by wakers. */
void sched_block(struct thread *t)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* A kill, or a signal for an interruptible wait, that came after the
     * waiter last looked (signal.h "Waking"): do not sleep. */
    if (READ_ONCE(t->killed) ||
        (READ_ONCE(t->sig.intr_wait) && sig_interrupted(t))) {
        int expected = T_BLOCKED;
        if (__atomic_compare_exchange_n(&t->state, &expected, T_RUNNING, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
    schedule();
}
