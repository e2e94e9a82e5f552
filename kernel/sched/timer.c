/*
 * Time, sleeping and the timer interrupt. Each hart keeps its own timer
 * queue (struct hart.sleepers, a min-heap of struct timer_node by
 * deadline, timerq.h; guarded by its sleep_lock) and programs its
 * one-shot timer for the earliest of: the first node's deadline and the
 * running RR thread's slice end. An idle hart with nothing queued arms no
 * timer at all.
 *
 * Costs (n nodes on the hart, at most TIMER_HART_CAP): arming and
 * cancelling are O(log n) under sleep_lock (no list walk); the tick pops
 * at most TIMER_EXPIRE_BATCH due nodes per interrupt, each O(log n) plus
 * its fire (sched_wake), and re-arms at once for the rest, so one timer
 * interrupt holds sleep_lock for a bounded time however many deadlines
 * fall due together.
 *
 * The expiry budget: back-to-back expiring ticks (each leaving work
 * already due) may hold the hart for TIMER_EXPIRY_BUDGET_NS; then
 * expiry waits as long as that run lasted (h->exp_floor), so threads
 * always get at least half of the hart. Without it, many periodic
 * POSIX timers whose expiry costs more than their period (a slow host:
 * no icount, virtual time = host time) left a deadline already past at
 * every tick, and no thread ran again. Expiries held back come late and
 * count as overruns (POSIX allows late expiry).
 *
 * Locking: sleep_lock guards the hart's queue and, while a node is in it,
 * the node's deadline, idx and owner. Order S1 (sched.c): waitq lock ->
 * sleep_lock -> t->slock -> rq lock; fire runs under sleep_lock and may
 * take only the locks after it. A node's owner is read without the lock
 * by timer_cancel, which then locks that hart and checks again.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "timerq.h"
#include "edf_hooks.h"
#include "../include/ktimer.h"

uint64_t timebase_hz = 10000000; /* from the device tree */

/*
 * The turn bound (docs/realtime.md "Four harts under QEMU"): 0, or the
 * longest a hart running a thread goes without a timer event, in ticks;
 * set at boot from the bootargs word keel.turn_us=N, only with several
 * harts. Why: under -icount QEMU 7.2 runs the harts in turns on one host
 * thread and sizes a whole round of turns once, at its start, from the
 * nearest timer event then armed; a hart whose timer fired at that start
 * has not armed its next one yet, so a round can last until the next
 * far event (1 ms and more) while an interrupt raised in it waits for the
 * round's end and then for the turns before its hart. With every running
 * hart's timer at most N us ahead, each round lasts at most about N us.
 * The cost is a tick with nothing due every N us on each busy hart; an
 * idle hart (wfi) takes no turns and arms no extra tick.
 */
uint64_t sched_turn_bound_ticks;
const char sched_sleep_wchan[] = "nanosleep";

uint64_t time_now_ticks(void)
{
    return rdtime();
}

uint64_t time_now_ns(void)
{
    uint64_t t = rdtime();
    return t / timebase_hz * 1000000000ull +
           t % timebase_hz * 1000000000ull / timebase_hz;
}

uint64_t ticks_to_ns(uint64_t t)
{
    return t / timebase_hz * 1000000000ull +
           t % timebase_hz * 1000000000ull / timebase_hz;
}

uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / 1000000000ull * timebase_hz +
           (ns % 1000000000ull) * timebase_hz / 1000000000ull;
}

/* The sleep queues' storage: each hart's heap can hold every thread. */
static struct timer_node *sleep_heap[MAX_HARTS][TIMER_HART_CAP];

void timer_init_hart(struct hart *h)
{
    spin_init(&h->sleep_lock, "sleepers");
    timerq_init(&h->sleepers, sleep_heap[h->id], TIMER_HART_CAP);
}

static void timer_expiry_budget(struct hart *h, uint64_t start, uint64_t exp);

/* Arms h's timer; tick_start: the start of the expiring tick this is
 * the end of (sched_tick), or 0. */
static void timer_program_hart(struct hart *h, uint64_t tick_start)
{
    uint64_t next = UINT64_MAX;
    struct thread *cur = h->cur;
    if (cur && !cur->is_idle && cur->policy == KEEL_SCHED_RR) {
        /* An expired slice is only noted (need_resched, acted on at the
         * next preemption point or return to user): programmed, it would
         * keep the timer interrupt pending, and a preemption point
         * enabling interrupts would take it again and again forever. */
        if (h->slice_end > time_now_ticks())
            next = h->slice_end;
        else
            h->need_resched = 1;
    }
    if (unlikely(sched_turn_bound_ticks) && cur && !cur->is_idle)
        next = MIN(next, time_now_ticks() + sched_turn_bound_ticks);
    next = MIN(next, edf_timer_next(h)); /* budget end, replenishment */
    uint64_t exp = h->cpt_deadline;      /* CPU-time timers (cputimer.c) */
    spin_lock(&h->sleep_lock);
    struct timer_node *first = timerq_first(&h->sleepers);
    if (first)
        exp = MIN(exp, first->deadline);
    spin_unlock(&h->sleep_lock);
    if (tick_start)
        timer_expiry_budget(h, tick_start, exp);
    /* Expiry held back (the budget): not before the floor. The slice
     * and EDF events above are the threads' and stay. */
    if (exp != UINT64_MAX && exp < h->exp_floor)
        exp = h->exp_floor;
    next = MIN(next, exp);
    h->timer_armed = next;
    timer_hw_set(next);
    csr_set(sie, SIE_STIE);
}

void timer_program(void)
{
    timer_program_hart(this_hart(), 0);
}

/*
 * Called by a hart spinning for a lock or for another hart's outgoing
 * thread, every SPIN_HINT_EVERY rounds (spinlock.h), interrupts off. It
 * arms this hart's timer SPIN_HINT_NS ahead unless something nearer is
 * armed (an armed time already past counts as nothing: that interrupt
 * is pending and cannot be taken while spinning).
 *
 * Why: QEMU's single-threaded TCG runs the harts in turns, and under
 * -icount a turn lasts until the next virtual timer event (at most
 * QEMU's 100 ms kick period, shared among the harts). A hart whose turn
 * ended inside a critical section leaves every hart that wants its lock
 * spinning, interrupts off, for a whole turn each; a spinning hart arms
 * no timers, so the turns grow to 25 ms and the lock was held for up to
 * 183 ms of virtual time (docs/performance.md "Four harts"). Arming a
 * timer makes QEMU end the current turn and bounds the next ones, so the
 * holder runs again within microseconds. On hardware it costs one SBI
 * call per SPIN_HINT_EVERY spins and one tick with nothing due, taken at
 * the next window (sched_tick re-arms the real next event).
 */
#define SPIN_HINT_NS 2000u

void spin_wait_hint(void)
{
    struct hart *h = this_hart();
    if (h < harts || h >= harts + MAX_HARTS)
        return; /* tp not set up yet (early boot) */
    uint64_t now = rdtime();
    uint64_t soon = now + timebase_hz * SPIN_HINT_NS / 1000000000ull + 1;
    if (h->timer_armed > soon || h->timer_armed <= now) {
        h->timer_armed = soon;
        h->spin_hints++;
        timer_hw_set(soon);
    }
}

/* Pops and fires up to TIMER_EXPIRE_BATCH due nodes (sleep_lock held). */
static void timer_expire_batch(struct hart *h, uint64_t now)
{
    for (int i = 0; i < TIMER_EXPIRE_BATCH; i++) {
        struct timer_node *tn = timerq_pop_due(&h->sleepers, now);
        if (!tn)
            break;
        tn->fire(tn);
        /* Still under sleep_lock: a timer_cancel that saw this hart as
         * the owner returns only after fire is done (see timer_cancel).
         * A fire that queued its node again (timer_rearm_in_fire) keeps
         * this hart as the owner. */
        if (!timer_node_queued(tn))
            __atomic_store_n(&tn->owner, -1, __ATOMIC_RELEASE);
    }
}

/*
 * The expiry budget, after an expiring tick that began at `start`: work
 * still due now (a node past its deadline: more than a batch was due, or
 * expiring took longer than a period; a CPU-time look already due)
 * makes the next interrupt come at once, and that run of back-to-back
 * ticks (h->exp_streak on) may last TIMER_EXPIRY_BUDGET_NS. Past that,
 * expiry is held back (h->exp_floor, which timer_program and sched_tick
 * obey) for as long as the run lasted (at least the budget, at most
 * TIMER_EXPIRY_HOLD_MAX_NS): the hart's threads get at least half of it
 * while a run costs up to the cap, and a turn of the cap beyond. On hardware a
 * batch takes microseconds, so only a storm of dozens of due nodes is
 * ever held; a lone late sleep is not.
 */
static void timer_expiry_budget(struct hart *h, uint64_t start, uint64_t exp)
{
    uint64_t end = time_now_ticks();
    if (!h->exp_streak)
        h->exp_streak = start;
    if (exp > end) {
        h->exp_streak = 0; /* caught up */
        return;
    }
    uint64_t ran = end - h->exp_streak;
    if (ran < ns_to_ticks(TIMER_EXPIRY_BUDGET_NS))
        return; /* the next tick comes at once and goes on with it */
    /* As long as the run, so threads get half of the hart; capped, as
     * without icount the run's length also counts any time the host did
     * not run the guest, and expiries held longer would come later than
     * the budget needs. */
    h->exp_floor = end + MIN(ran, ns_to_ticks(TIMER_EXPIRY_HOLD_MAX_NS));
    h->exp_streak = 0;
    h->exp_holds++;
}

void sched_tick(void)
{
    struct hart *h = this_hart();
    uint64_t now = time_now_ticks();
    h->ticks++;
    /* Expiry held back by the budget: only the threads' events (slice,
     * EDF) are handled until the floor; a spin hint, slice end or EDF
     * event before it expires nothing. */
    bool expire = now >= h->exp_floor;
    if (expire) {
        h->exp_floor = 0;
        spin_lock(&h->sleep_lock);
        timer_expire_batch(h, now);
        /* More due nodes left: timer_program arms a deadline already
         * past (within the budget), so the interrupt comes again as soon
         * as interrupts are on. */
        spin_unlock(&h->sleep_lock);
        if (unlikely(now >= h->cpt_deadline))
            cputimer_tick(h, now);      /* CPU-time timers' expiries */
        ktimer_deliver_deferred(h->id); /* POSIX timers' notifications */
    }
    edf_tick(h); /* charge the deadline thread, replenish */
    struct thread *cur = h->cur;
    if (!cur->is_idle && cur->policy == KEEL_SCHED_RR && now >= h->slice_end)
        h->need_resched = 1;
    timer_program_hart(h, expire ? now : 0);
}

void timer_arm(struct timer_node *tn, uint64_t deadline, timer_fire_fn fire)
{
    struct hart *h = this_hart();
#ifdef KEEL_LOCKCHECK
    /* Arming a queued node would put it in a heap twice. (Its owner
     * serializes arm and cancel, so no lock is needed to look.) */
    if (timer_node_queued(tn) || READ_ONCE(tn->owner) >= 0)
        panic("timer_arm: node %p already queued on hart %d", tn,
              READ_ONCE(tn->owner));
#endif
    spin_lock(&h->sleep_lock);
    tn->fire = fire;
    /* Room for every thread (TIMER_HART_CAP): cannot fail for sleeps. */
    if (!timerq_insert(&h->sleepers, tn, deadline))
        panic("timer_arm: hart %d's timer queue is full", h->id);
    __atomic_store_n(&tn->owner, h->id, __ATOMIC_RELAXED);
    spin_unlock(&h->sleep_lock);
}

bool timer_cancel(struct timer_node *tn)
{
    int sh = __atomic_load_n(&tn->owner, __ATOMIC_ACQUIRE);
    bool was = false;
    if (sh >= 0) {
        spin_lock(&harts[sh].sleep_lock);
        if (tn->owner == sh && timer_node_queued(tn)) {
            timerq_remove(&harts[sh].sleepers, tn);
            tn->owner = -1;
            was = true;
        }
        spin_unlock(&harts[sh].sleep_lock);
    }
    return was;
}

void timer_rearm_in_fire(struct timer_node *tn, uint64_t deadline)
{
    struct hart *h = this_hart();
    KASSERT(spin_held(&h->sleep_lock) && tn->owner == h->id);
    /* Room for every timer object too (TIMER_HART_CAP). */
    if (!timerq_insert(&h->sleepers, tn, deadline))
        panic("timer_rearm_in_fire: hart %d's timer queue is full", h->id);
}

static void timer_wake_thread(struct timer_node *tn)
{
    sched_wake(container_of(tn, struct thread, sleep));
}

void timer_sleep_insert(struct thread *t, uint64_t deadline)
{
    timer_arm(&t->sleep, deadline, timer_wake_thread);
}

void timer_sleep_cancel(struct thread *t)
{
    timer_cancel(&t->sleep);
}

int sleep_until(uint64_t deadline)
{
    struct thread *t = this_hart()->cur;
    int r = 0;
    t->sig.intr_wait = 1; /* a signal post wakes it (signal.h) */
    for (;;) {
        if (sig_interrupted(t)) {
            r = -EINTR; /* killed, or a signal to handle */
            break;
        }
        if (deadline <= time_now_ticks())
            break;
        t->wchan = sched_sleep_wchan; /* before BLOCKED: threadinfo */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        /* Interrupts are off: this hart's tick cannot see t on its list
         * before it is BLOCKED. */
        timer_sleep_insert(t, deadline);
        sched_set_state(t, T_BLOCKED);
        timer_program();
        sched_block(t);
        /* Woken by the timer (already off the list), a kill or a signal;
         * a stale signal wake-up sleeps on. */
        timer_sleep_cancel(t);
    }
    t->sig.intr_wait = 0;
    return r;
}
