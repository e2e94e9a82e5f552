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
 * Placement (which hart runs a thread that becomes ready, the pulls and
 * the kicks) is in place.c; the run-queue primitives both use are in
 * runq.h.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "edf_hooks.h"
#include "runq.h"

struct hart harts[MAX_HARTS];
int nharts;

#ifdef KEEL_KTEST
void (*volatile sched_test_hook)(void);
void (*volatile sched_test_place_hook)(struct thread *t);
void (*volatile sched_test_pick_hook)(struct thread *cur, struct thread *next);
#endif

void swtch(struct context *old, struct context *new);

#ifdef KEEL_LOCKCHECK
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
#endif

void sched_init_hart(struct hart *h, int id)
{
    h->id = id;
    spin_init(&h->rq.lock, "runqueue");
    for (int p = 0; p < NPRIO; p++)
        list_init(&h->rq.queue[p]);
    timer_init_hart(h);
    edf_init_hart(h);
    h->cpt_deadline = UINT64_MAX; /* no CPU-time timer to look at */
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

/* The slice in ticks, computed at the first switch (timebase_hz is set
 * before any thread runs): ns_to_ticks' divisions were on every switch.
 * A racing first computation on two harts stores the same value. */
static uint64_t slice_ticks;

static void slice_start(struct hart *h)
{
    uint64_t s = READ_ONCE(slice_ticks);
    if (unlikely(!s)) {
        s = ns_to_ticks(TIME_SLICE_US * 1000ull);
        WRITE_ONCE(slice_ticks, s);
    }
    h->slice_end = rdtime() + s;
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
    /* CPU-time timers (cputimer.c): one load and a branch unless a look
     * is owed or next's process has armed ones. */
    bool cpt = false;
    if (unlikely(h->cpt_deadline != UINT64_MAX) ||
        unlikely(next->proc && READ_ONCE(next->proc->cpt_armed)))
        cpt = cputimer_switch(h, cur, next, now);
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
    } else if (edf_rearm_hook(h) || unlikely(cpt)) {
        timer_program(); /* a throttled thread's replenishment, a look */
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
        place_kick_for(READ_ONCE(prev->prio), h);
    }
    if (nharts > 1)
        place_recheck(h);
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
            rq_add(h, cur, requeue_front && !cur->requeue_tail);
            queued = true;
        }
    }
    cur->requeue_tail = false; /* spent, or moot once it blocks */
    if (unlikely(edf))
        next = edf_pick(h); /* deadline threads first */
    if (!next && (nharts == 1 || !place_remote_better(h, rq_top(&h->rq))))
        next = rq_pop(h, h, true);
    spin_unlock(&h->rq.lock);
    if (!next) {
        int mine = rq_top(&h->rq);
        /* Our outgoing thread is queued here: pull only threads that are
         * off every hart (see the file comment). */
        next = place_pull(h, mine, !queued);
        if (!next && mine >= 0) {
            spin_lock(&h->rq.lock);
            next = rq_pop(h, h, true);
            spin_unlock(&h->rq.lock);
        }
        if (!next && !queued)
            next = place_pull(h, -1, true); /* lost a race: anything at all */
    }
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
            place_recheck(h);
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
    sched_requeue_prio_pos(t, policy, prio, SCHED_POS_INHERIT);
}

void sched_requeue_prio_pos(struct thread *t, int policy, int prio,
                            enum sched_pos pos)
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
    bool setprio = pos == SCHED_POS_SETPRIO, held = pos == SCHED_POS_HELD;
    if (h && state == T_READY && !((setprio || held) && prio == old)) {
        rq_del(h, t);
        t->prio = prio;
        t->policy = policy;
        rq_add(h, t, held || (setprio && prio < old)); /* the head */
    } else {
        t->prio = prio;
        t->policy = policy;
        if (h && pos == SCHED_POS_SETPARAM)
            t->requeue_tail = true; /* RUNNING on h: the tail, next */
    }
    if (h)
        spin_unlock(&h->rq.lock);
    int hart = t->hart;
    spin_unlock(&t->slock);
    if (state == T_READY) {
        /* As make_ready's: pairs with place_recheck's fence (we stored
         * t's new level, it stored h->cur), so one of us sees the other;
         * the unlocks above are only releases. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        place_kick_for(prio, &harts[hart]);
    } else if (t == current()) {
        if (prio < old || pos == SCHED_POS_SETPARAM) {
            struct hart *me = this_hart();
            PL_KICK(me->id);      /* a request to ourselves, without an IPI */
            me->need_resched = 1; /* someone may now outrank us */
            me->need_resched_preempt = 1; /* requeue_tail overrides it */
        }
    } else if (state == T_RUNNING &&
               (prio < old || pos == SCHED_POS_SETPARAM)) {
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
        if (!place_work_anywhere()) {
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
