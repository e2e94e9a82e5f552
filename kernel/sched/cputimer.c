/*
 * CPU-time timers: POSIX timers on a CPU-time clock (timer_create with
 * CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID or an id from
 * pthread_getcpuclockid; docs/syscalls.md "Kernel objects", docs/realtime.md
 * "CPU-time timers"). The object, its arming interface and its delivery
 * are ktimer.c's; this file decides when a CPU-time clock (cpuclock.c)
 * has reached an armed timer's expiry. The clock is always one of the
 * creating process's (there is no id for another process's CPU time), so
 * the timer's hdr.acct is the clock's process; a thread clock's timer also
 * names the thread (cpt_thread).
 *
 * When. A CPU-time clock advances only while its threads run, so only a
 * hart running one of them looks. Each hart keeps one deadline,
 * h->cpt_deadline (ticks, UINT64_MAX: none), which timer_program arms
 * with the others; when it passes, sched_tick calls cputimer_tick, which
 * expires what the clocks of the running thread's process have reached
 * and computes the next deadline: for a timer on the running thread's
 * own clock, exactly when that clock reaches the expiry if the thread
 * keeps running; for one on the process clock, the remaining time divided
 * by the number of harts (the process clock runs at most that much faster
 * than real time), so the look is never after the clock gets there (a
 * lone thread gets a few more looks, the remainder shrinking each time).
 * The switch (cputimer_switch, from switch_to, lock-free, O(1)) only
 *  - asks for a look right away (deadline = now) when the incoming
 *    thread's process has armed CPU-time timers (p->cpt_armed), and
 *  - if the outgoing thread's look was due but not taken (its deadline
 *    passed with interrupts off), marks its process due (p->cpt_due) and
 *    has the next look scan the due processes (h->cpt_scan): its clock may
 *    have reached an expiry and no thread of it may run again.
 * A thread of a process without armed CPU-time timers costs the switch
 * one load and a branch (next->proc->cpt_armed), the tick one compare.
 * Arming pokes every other hart (cpt_poke and an IPI: it looks at its
 * running thread at once) and looks on its own hart, so a thread already
 * running elsewhere is watched from then on.
 *
 * Precision: an expiry is seen at the first look after the clock reached
 * it: the timer interrupt at the computed deadline (one tick of the
 * timebase rounding, plus interrupt latency: a hart in the kernel with
 * interrupts off takes it at its next preemption point or return to user)
 * or the switch-out of the thread that made the clock get there. Its
 * notification then goes out as any timer's (ktimer.c's deferred step on
 * this hart).
 *
 * A thread that exits (cputimer_thread_exit) first has its expiries looked
 * at, then the timers on its clock are disarmed for good (cpt_thread
 * NULL):
 * arming one again fails with EINVAL; it lives on until deleted.
 *
 * Costs: a look is O(timers on the process's clocks + CAP_THREAD_SLOTS)
 * (the process clock is the sum over its threads); a scan adds one pass
 * over the processes that have CPU-time timers.
 *
 * Locking: cpt_lock (global) guards cpt_procs, every process's
 * cpt_timers and cpt_armed, and every CPU-time timer's cpt_node and
 * cpt_thread, and its armed, expiry and interval, which change
 * only with it held (and k->lock, which guards them for the other
 * timers). Order: kt_arm_lock -> cpt_lock -> p->lock -> k->lock ->
 * kt_defer_lock. It is taken only in process context and in the timer
 * interrupt, never on the switch path (a holder of k->lock may wait for
 * a thread to get off its hart: sig_post's wake-up). p->cpt_bound is
 * under p->lock, so thread_exit knows without cpt_lock whether a timer
 * names the exiting thread. cpt_poke is set by any hart, cleared by its
 * own; cpt_deadline and cpt_scan are the own hart's (interrupts off).
 */
#include "../include/proc.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "ktimer_impl.h"

static spinlock_t cpt_lock = SPINLOCK_INIT("cputimer");
static struct list cpt_procs = LIST_INIT(cpt_procs); /* cpt_timers not empty */

/* p's process CPU time, in ticks (takes p->lock). */
static uint64_t cpt_proc_ticks(struct proc *p)
{
    spin_lock(&p->lock);
    uint64_t t = p->cpu_exited;
    for (int ts = 0; ts < CAP_THREAD_SLOTS; ts++)
        if (p->threads[ts])
            t += sched_cpu_ticks(p->threads[ts]);
    spin_unlock(&p->lock);
    return t;
}

/* k's clock now, in ns (cpt_lock held); *pt caches the process's. */
static uint64_t cpt_clock_ns(struct ktimer *k, uint64_t *pt)
{
    if (k->clock == KEEL_CLOCK_THREAD_CPUTIME)
        return k->cpt_thread ? ticks_to_ns(sched_cpu_ticks(k->cpt_thread)) : 0;
    if (*pt == UINT64_MAX)
        *pt = cpt_proc_ticks(k->hdr.acct);
    return ticks_to_ns(*pt);
}

/* Expires p's armed timers whose clocks have reached them (cpt_lock
 * held). If t (one of p's threads, running on this hart) is given,
 * returns in how many ticks (at least 1) a timer on its clock or on the
 * process clock could next expire while t runs; UINT64_MAX for never. */
static uint64_t cpt_eval(struct proc *p, struct thread *t)
{
    uint64_t pt = UINT64_MAX, best = UINT64_MAX;
    if (!p->cpt_armed)
        return best;
    list_for_each(it, &p->cpt_timers)
    {
        struct ktimer *k = list_entry(it, struct ktimer, cpt_node);
        if (!k->armed)
            continue;
        uint64_t now = cpt_clock_ns(k, &pt);
        if (ktimer_cpu_expire(k, now)) {
            p->cpt_armed--; /* a one-shot timer expired */
            continue;
        }
        bool proc_clock = k->clock == KEEL_CLOCK_PROCESS_CPUTIME;
        if (!t || (!proc_clock && k->cpt_thread != t))
            continue;
        uint64_t in = clock_ns_to_ticks_ceil(k->expiry_ns - now);
        if (proc_clock && nharts > 1)
            in /= (uint64_t)nharts;
        best = MIN(best, in ? in : 1);
    }
    return best;
}

static uint64_t cpt_add(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

bool cputimer_switch(struct hart *h, struct thread *cur, struct thread *next,
                     uint64_t now)
{
    if (h->cpt_deadline <= now && cur->proc) {
        __atomic_store_n(&cur->proc->cpt_due, 1, __ATOMIC_RELAXED);
        h->cpt_scan = true;
    }
    struct proc *np = next->proc;
    bool look = h->cpt_scan || (np && READ_ONCE(np->cpt_armed));
    h->cpt_deadline = look ? now : UINT64_MAX;
    return look;
}

void cputimer_tick(struct hart *h, uint64_t now)
{
    struct thread *cur = h->cur;
    struct proc *cp = cur->is_idle ? NULL : cur->proc;
    uint64_t in = UINT64_MAX;
    spin_lock(&cpt_lock);
    if (h->cpt_scan) {
        h->cpt_scan = false;
        list_for_each(it, &cpt_procs)
        {
            struct proc *p = list_entry(it, struct proc, cpt_node);
            if (__atomic_exchange_n(&p->cpt_due, 0, __ATOMIC_RELAXED) &&
                p != cp)
                cpt_eval(p, NULL);
        }
    }
    if (cp)
        in = cpt_eval(cp, cur);
    spin_unlock(&cpt_lock);
    h->cpt_deadline = in == UINT64_MAX ? UINT64_MAX : cpt_add(now, in);
}

void cputimer_poked(struct hart *h)
{
    h->cpt_poke = false;
    h->cpt_deadline = 0; /* look at the running thread now */
    timer_program();
}

/* A timer of p was armed (no lock held): look on this hart (at p itself
 * if the caller is not one of its threads: a transferred timer) and have
 * every other hart look at what it runs. */
static void cpt_kick(struct proc *p)
{
    struct hart *h = this_hart();
    if (current()->proc != p) {
        __atomic_store_n(&p->cpt_due, 1, __ATOMIC_RELAXED);
        h->cpt_scan = true;
    }
    h->cpt_deadline = 0;
    timer_program();
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* cpt_armed before the pokes */
    for (int i = 0; i < nharts; i++) {
        if (i == h->id || !READ_ONCE(harts[i].online))
            continue;
        harts[i].cpt_poke = true;
        sbi_send_ipi(i);
    }
}

/* ---- the timer's side (ktimer.c, ktimer_sys.c) ---- */

int cputimer_bind(struct ktimer *k, int clock)
{
    struct thread *self = current();
    struct proc *p = self->proc;
    if (!p || p != k->hdr.acct)
        return -EINVAL;
    struct thread *t = NULL;
    spin_lock(&cpt_lock);
    if (clock != KEEL_CLOCK_PROCESS_CPUTIME) {
        spin_lock(&p->lock);
        if (clock == KEEL_CLOCK_THREAD_CPUTIME)
            t = self;
        else /* cpuclock_is: a thread slot's clock */
            t = p->threads[clock - KEEL_CLOCK_THREAD_CPU_BASE -
                           CAP_THREAD_SLOT_BASE];
        /* A slot reserved by a thread_create still in progress (FREE:
         * it may fail without thread_exit) names no clock yet. */
        if (t && READ_ONCE(t->state) == T_FREE)
            t = NULL;
        if (t)
            p->cpt_bound++; /* thread_exit will see it (p->lock) */
        spin_unlock(&p->lock);
        if (!t) { /* joined, exited or never there: not a running clock */
            spin_unlock(&cpt_lock);
            return -EINVAL;
        }
    }
    k->cpt_thread = t;
    if (list_empty(&p->cpt_timers))
        list_push_back(&cpt_procs, &p->cpt_node);
    list_push_back(&p->cpt_timers, &k->cpt_node);
    spin_unlock(&cpt_lock);
    return 0;
}

void cputimer_unbind(struct ktimer *k)
{
    struct proc *p = k->hdr.acct;
    spin_lock(&cpt_lock);
    if (p && !list_empty(&k->cpt_node)) {
        list_remove(&k->cpt_node);
        if (k->cpt_thread) {
            spin_lock(&p->lock);
            p->cpt_bound--;
            spin_unlock(&p->lock);
            k->cpt_thread = NULL;
        }
        if (list_empty(&p->cpt_timers))
            list_remove(&p->cpt_node);
    }
    spin_unlock(&cpt_lock);
}

/* Disarms k (cpt_lock held). */
static void cpt_disarm_locked(struct ktimer *k)
{
    if (!k->armed)
        return;
    spin_lock(&k->lock);
    k->armed = 0;
    spin_unlock(&k->lock);
    k->hdr.acct->cpt_armed--;
}

void cputimer_disarm(struct ktimer *k)
{
    spin_lock(&cpt_lock);
    cpt_disarm_locked(k);
    spin_unlock(&cpt_lock);
}

/* The current setting (cpt_lock held). */
static void cpt_current(struct ktimer *k, uint64_t now, uint64_t *value,
                        uint64_t *interval)
{
    spin_lock(&k->lock);
    *interval = k->interval_ns;
    /* Due but not yet seen: still armed, so never 0. */
    *value = !k->armed ? 0 : k->expiry_ns > now ? k->expiry_ns - now : 1;
    spin_unlock(&k->lock);
}

int cputimer_settime(struct ktimer *k, bool abs, uint64_t value,
                     uint64_t interval, uint64_t *ovalue, uint64_t *ointerval)
{
    bool arm = value || abs;
    spin_lock(&cpt_lock);
    if (arm && k->clock == KEEL_CLOCK_THREAD_CPUTIME && !k->cpt_thread) {
        spin_unlock(&cpt_lock);
        return -EINVAL; /* its thread exited: the clock stopped for good */
    }
    uint64_t pt = UINT64_MAX;
    uint64_t now = cpt_clock_ns(k, &pt);
    cpt_current(k, now, ovalue, ointerval);
    cpt_disarm_locked(k);
    spin_lock(&k->lock);
    k->interval_ns = arm ? interval : 0;
    if (arm) {
        k->expiry_ns = abs ? value : cpt_add(now, value);
        k->armed = 1;
    }
    spin_unlock(&k->lock);
    if (arm)
        k->hdr.acct->cpt_armed++;
    spin_unlock(&cpt_lock);
    if (arm)
        cpt_kick(k->hdr.acct);
    return 0;
}

void cputimer_gettime(struct ktimer *k, uint64_t *value, uint64_t *interval)
{
    spin_lock(&cpt_lock);
    uint64_t pt = UINT64_MAX;
    cpt_current(k, cpt_clock_ns(k, &pt), value, interval);
    spin_unlock(&cpt_lock);
}

void cputimer_thread_exit(struct proc *p, struct thread *t)
{
    spin_lock(&cpt_lock);
    cpt_eval(p, NULL); /* what its clock (or the process's) reached */
    uint32_t unbound = 0;
    list_for_each(it, &p->cpt_timers)
    {
        struct ktimer *k = list_entry(it, struct ktimer, cpt_node);
        if (k->cpt_thread != t)
            continue;
        cpt_disarm_locked(k);
        k->cpt_thread = NULL; /* gone: never armed again */
        unbound++;
    }
    spin_lock(&p->lock);
    p->cpt_bound -= unbound;
    spin_unlock(&p->lock);
    spin_unlock(&cpt_lock);
    /* Expiries the look recorded are delivered by this hart's deferred
     * step: have the timer interrupt come at once. */
    struct hart *h = this_hart();
    h->cpt_deadline = 0;
    timer_program();
}
