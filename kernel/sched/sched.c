/*
 * Per-hart run queues with fixed priorities: a 64-bit bitmap of non-empty
 * priority levels makes pick-next O(1). Thread states move by a small
 * protocol: the running thread sets itself BLOCKED and calls schedule();
 * a waker claims it with a compare-and-swap BLOCKED -> WAKING, waits until
 * it is off its old hart (on_cpu clear), then makes it READY on a run
 * queue; so a wake that races with the block is never lost. Only a thread
 * that yields is queued while still on its hart; a hart stealing it waits
 * in switch_to for on_cpu to clear, which cannot cycle (a hart whose own
 * queue holds its outgoing thread never steals).
 *
 * Lock order: waitq lock -> sleep_lock -> rq lock; never two rq locks
 * (stealing uses trylock).
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"

struct hart harts[MAX_HARTS];
int nharts;

void swtch(struct context *old, struct context *new);

static void rq_add(struct runqueue *rq, struct thread *t, bool front)
{
    if (front)
        list_push_front(&rq->queue[t->prio], &t->rq_node);
    else
        list_push_back(&rq->queue[t->prio], &t->rq_node);
    rq->bitmap |= 1ull << t->prio;
    rq->nr_ready++;
}

static void rq_del(struct runqueue *rq, struct thread *t)
{
    list_remove(&t->rq_node);
    if (list_empty(&rq->queue[t->prio]))
        rq->bitmap &= ~(1ull << t->prio);
    rq->nr_ready--;
}

/* Take the best thread off rq (lock held) for hart `self`. It is marked
 * RUNNING at once, so nothing treats it as queued once it is off. */
static struct thread *rq_pop(struct runqueue *rq, struct hart *self)
{
    if (!rq->bitmap)
        return NULL;
    int p = 63 - __builtin_clzll(rq->bitmap);
    struct thread *t = list_entry(rq->queue[p].next, struct thread, rq_node);
    rq_del(rq, t);
    t->state = T_RUNNING;
    t->hart = self->id;
    return t;
}

void sched_init_hart(struct hart *h, int id)
{
    h->id = id;
    spin_init(&h->rq.lock, "runqueue");
    for (int p = 0; p < NPRIO; p++)
        list_init(&h->rq.queue[p]);
    spin_init(&h->sleep_lock, "sleepers");
    list_init(&h->sleepers);
}

void sched_ipi(int hart)
{
    if (hart == this_hart()->id) {
        this_hart()->need_resched = 1;
        this_hart()->need_resched_preempt = 1;
    } else
        sbi_send_ipi(hart);
}

static int hart_cur_prio(struct hart *h)
{
    struct thread *c = READ_ONCE(h->cur);
    return c ? c->prio : 0;
}

/* Where a thread that became runnable should go: its last hart if it
 * would run there now, else an idle hart, else its last hart. */
static struct hart *pick_hart(struct thread *t)
{
    struct hart *last = &harts[t->hart];
    if (last->online && hart_cur_prio(last) < t->prio && !last->rq.nr_ready)
        return last;
    for (int i = 0; i < nharts; i++) {
        struct hart *h = &harts[(t->hart + 1 + i) % nharts];
        if (h->online && READ_ONCE(h->cur) == h->idle && !h->rq.nr_ready)
            return h;
    }
    return last->online ? last : this_hart();
}

/* Queue a thread that is on no hart, and interrupt that hart if the
 * thread outranks what it runs. */
static void make_ready(struct thread *t)
{
    struct hart *h = pick_hart(t);
    spin_lock(&h->rq.lock);
    t->hart = h->id; /* before READY is published: sched_set_prio reads
                        state, then trusts hart */
    rq_add(&h->rq, t, false);
    __atomic_store_n(&t->state, T_READY, __ATOMIC_RELEASE);
    spin_unlock(&h->rq.lock);
    if (t->prio > hart_cur_prio(h))
        sched_ipi(h->id);
}

void sched_enqueue_new(struct thread *t)
{
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
     * it: then a thread on a run queue is never still on a hart's stack,
     * and no two harts can each wait for the other's outgoing thread.
     * No run-queue lock is held here. */
    while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
        cpu_relax();
    make_ready(t);
    return true;
}

/* Take a ready thread from another hart's queue (load balancing). */
static struct thread *steal(struct hart *self)
{
    for (int i = 1; i < nharts; i++) {
        struct hart *o = &harts[(self->id + i) % nharts];
        if (!READ_ONCE(o->rq.nr_ready) || !spin_trylock(&o->rq.lock))
            continue;
        struct thread *t = rq_pop(&o->rq, self);
        spin_unlock(&o->rq.lock);
        if (t)
            return t;
    }
    return NULL;
}

static void slice_start(struct hart *h)
{
    h->slice_end = time_now_ticks() + ns_to_ticks(TIME_SLICE_US * 1000ull);
}

static void switch_to(struct hart *h, struct thread *cur, struct thread *next)
{
    while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
        cpu_relax();
    next->on_cpu = 1;
    next->state = T_RUNNING;
    next->hart = h->id;
    h->prev = cur;
    h->cur = next;
    pagetable_t pt = next->proc ? next->proc->pagetable : kernel_pagetable;
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
    bool dead = prev->state == T_DEAD;
    __atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
    if (dead)
        thread_release(prev);
}

static void schedule_common(bool requeue_front)
{
    struct hart *h = this_hart();
    struct thread *cur = h->cur;
    spin_lock(&h->rq.lock);
    if (cur->state == T_RUNNING && !cur->is_idle) {
        cur->state = T_READY;
        cur->hart = h->id;
        rq_add(&h->rq, cur, requeue_front);
    }
    struct thread *next = rq_pop(&h->rq, h);
    spin_unlock(&h->rq.lock);
    if (!next)
        next = steal(h);
    if (!next) {
        if (cur->is_idle)
            return;
        next = h->idle;
    }
    if (next == cur) {
        /* Still the best choice (rq_pop marked it RUNNING again). An RR
         * thread whose slice ran out starts a new one, and the timer is
         * re-armed past it, or its expired deadline would fire forever. */
        if (cur->policy == KEEL_SCHED_RR && time_now_ticks() >= h->slice_end) {
            slice_start(h);
            timer_program();
        }
        return;
    }
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

void sched_set_prio(struct thread *t, int policy, int prio)
{
    for (;;) {
        /* A thread being woken (or just created) is between queues:
         * wait until make_ready has placed it. */
        while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == T_WAKING)
            cpu_relax();
        struct hart *h = &harts[READ_ONCE(t->hart)];
        spin_lock(&h->rq.lock);
        if (t->hart != h->id || t->state == T_WAKING) {
            spin_unlock(&h->rq.lock);
            continue;
        }
        int old = t->prio;
        if (t->state == T_READY) {
            rq_del(&h->rq, t);
            t->prio = prio;
            t->policy = policy;
            rq_add(&h->rq, t, false);
        } else {
            t->prio = prio;
            t->policy = policy;
        }
        spin_unlock(&h->rq.lock);
        if (t->state == T_READY && prio > hart_cur_prio(h))
            sched_ipi(h->id);
        if (t == current() && prio < old) {
            h->need_resched = 1; /* someone may now outrank us */
            h->need_resched_preempt = 1;
        } else if (t->state == T_RUNNING && prio < old) {
            sched_ipi(t->hart); /* running elsewhere: let it re-check */
        }
        return;
    }
}

void sched_start(void)
{
    struct hart *h = this_hart();
    h->online = true;
    for (;;) {
        schedule();
        /* Nothing to run: wait for an interrupt. wfi wakes on a pending
         * interrupt even with SIE off; SIE is opened briefly to take it. */
        if (!READ_ONCE(h->rq.nr_ready)) {
            h->ticks_idle++;
            __asm__ volatile("wfi");
        }
        intr_on();
        intr_off();
    }
}

/* Wait queues. */
void waitq_init(struct waitq *wq, const char *name)
{
    spin_init(&wq->lock, name);
    list_init(&wq->waiters);
}

/* The caller set state = BLOCKED and made itself findable by wakers. */
void sched_block(struct thread *t)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (READ_ONCE(t->killed)) {
        int expected = T_BLOCKED;
        if (__atomic_compare_exchange_n(&t->state, &expected, T_RUNNING, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
    schedule();
}

int waitq_wait(struct waitq *wq, spinlock_t *held)
{
    struct thread *t = current();
    if (t->killed)
        return -EINTR;
    spin_lock(&wq->lock);
    list_push_back(&wq->waiters, &t->wait_node);
    t->state = T_BLOCKED;
    spin_unlock(&wq->lock);
    spin_unlock(held);
    sched_block(t);
    spin_lock(&wq->lock);
    list_remove(&t->wait_node); /* no-op if a waker removed it */
    spin_unlock(&wq->lock);
    spin_lock(held);
    return t->killed ? -EINTR : 0;
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

void waitq_wake_one(struct waitq *wq)
{
    spin_lock(&wq->lock);
    if (!list_empty(&wq->waiters)) {
        struct thread *t =
            list_entry(wq->waiters.next, struct thread, wait_node);
        list_remove(&t->wait_node);
        sched_wake(t);
    }
    spin_unlock(&wq->lock);
}
