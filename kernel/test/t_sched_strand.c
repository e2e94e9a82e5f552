/*
 * In-kernel tests of stranded threads (issue 8 item 4; place_recheck in
 * kernel/sched/place.c, docs/realtime.md "Placement on several harts"):
 * a kick names no thread, so a kicked hart that takes a better thread
 * than the one it was kicked for uses the kick up, and the thread it was
 * meant for stays queued while some hart runs below it unless the kicked
 * hart passes the kick on once it runs its new thread.
 *
 * Four harts: T (the test thread, the waker, at ST_SELF, spinning, never
 * blocking while the holders run), K (ST_K1 spinning with interrupts off
 * until told, so every kick sent to it waits for one pick), M (ST_M, also
 * interrupts off until told, which is after K's pick; then at preemption
 * points: it reschedules only when kicked) and, for the first test, A
 * (ST_A, interrupts off until told), for the second W (a waker at
 * ST_SPIN). More harts are held by spinners at ST_SPIN. Each priority
 * below is chosen so the loads every placement step reads name exactly
 * one hart; each step is checked before the next.
 *
 * Every holder takes its own pending reschedule (its sched_set_prio
 * requests one) before it says it has started, and M stays out of
 * schedule() until K has picked: a pick by M before that takes R or S
 * itself (both outrank it) and the step checked is gone. Such a pick
 * happened on a loaded host, which can stop a hart for milliseconds
 * between the holder's start and its first preemption point. A kick sent
 * to M meanwhile waits for it (interrupts off), as K's do.
 *
 * sched_stranded_on_other_queue (the case the utest sampler found: S on
 * hart 2's queue, the kick for it used up on hart 3 by a thread queued
 * there meanwhile, two harts running below S): S is queued on A (A runs
 * ST_A, the lowest) and A is kicked; B is queued on K (then the lowest
 * load); A pulls B, the better one, and kicks K for S (left on A's
 * queue); R is queued on K (the lowest load again) and kicked; K takes R
 * with that one pick. S (above M's ST_M) is now on A's queue and only K's
 * look after its switch kicks M for it.
 *
 * sched_stranded_on_own_queue (two kicks to one hart): S and R are both
 * queued on K, each by a waker that read K's load before the other was
 * queued (the place hook stops S's waker between its choice and the
 * queueing while W wakes R). K takes R with one pick; S stays on K's
 * queue above M's ST_M, and only K's look kicks M for it.
 *
 * Without the pass-on (place_recheck's kick of the lowest hart) S never
 * runs in either test: no hart is kicked for it and M keeps running.
 *
 * Locking: st_lock guards the wait flags (st_sflag, st_bflag, st_rflag),
 * the conditions of st_swq, st_bwq, st_rwq; the other st_* variables are
 * single-writer flags read with READ_ONCE / atomics.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "ktest.h"

#define ST_SELF 50 /* the test thread */
#define ST_B 45    /* pulled by A (first test) */
#define ST_SPIN 40 /* extra harts; W, the second waker */
#define ST_R 35    /* queued on K, taken by K's pick */
#define ST_S 30    /* the thread that must not be stranded */
#define ST_M 25    /* M: below S, reschedules only when kicked */
#define ST_K1 20   /* K's first thread */
#define ST_A 19    /* A's first thread: the lowest (first test) */

enum { ST_HOLD_A, ST_HOLD_K, ST_HOLD_M, ST_HOLD_W, ST_NHOLD };
static const int st_hold_prio[ST_NHOLD] = {ST_A, ST_K1, ST_M, ST_SPIN};

static struct waitq st_swq, st_bwq, st_rwq;
static spinlock_t st_lock = SPINLOCK_INIT("ktest_strand");
static int st_sflag, st_bflag, st_rflag;
static volatile int st_stop, st_started, st_exited, st_go[ST_NHOLD];
static volatile int st_hart[ST_NHOLD], st_spin_hart[MAX_HARTS];
static volatile int st_shart, st_bhart, st_rhart, st_wdone, st_hooked;
static struct thread *volatile st_s;
static struct thread *volatile st_b;
static struct thread *volatile st_r;
static struct thread *volatile st_self;

static uint64_t st_deadline(void)
{
    return time_now_ticks() + ns_to_ticks(5000000000ull); /* hang guard */
}

/* Spins (interrupts off, never blocking) until *v >= n or the guard. */
static void st_spin_until(volatile int *v, int n)
{
    uint64_t end = st_deadline();
    while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < n && time_now_ticks() < end)
        cpu_relax();
}

static void st_release(struct waitq *wq, int *flag)
{
    spin_lock(&st_lock);
    *flag = 1;
    spin_unlock(&st_lock);
    waitq_wake_all(wq);
}

/* Waits (FIFO, at its priority) for *flag, records its hart, and then
 * runs at preemption points until st_stop. */
static void st_sleeper(struct waitq *wq, int *flag, int prio,
                       volatile int *hart)
{
    sched_set_prio(current(), KEEL_SCHED_FIFO, prio);
    spin_lock(&st_lock);
    while (!*flag)
        waitq_wait(wq, &st_lock);
    spin_unlock(&st_lock);
    __atomic_store_n(hart, this_hart()->id, __ATOMIC_RELEASE);
    while (!READ_ONCE(st_stop))
        sched_preempt_point();
    __atomic_fetch_add(&st_exited, 1, __ATOMIC_RELEASE);
}

static void st_s_main(void *arg)
{
    (void)arg;
    st_sleeper(&st_swq, &st_sflag, ST_S, &st_shart);
}

static void st_b_main(void *arg)
{
    (void)arg;
    st_sleeper(&st_bwq, &st_bflag, ST_B, &st_bhart);
}

static void st_r_main(void *arg)
{
    (void)arg;
    st_sleeper(&st_rwq, &st_rflag, ST_R, &st_rhart);
}

/* Takes the slice timer armed at its switch-in (as t_sched_pick.c's
 * spinners do), so no timer event of its own is left pending. */
static void st_settle(void)
{
    struct hart *h = this_hart();
    while (time_now_ticks() <= READ_ONCE(h->slice_end))
        cpu_relax();
    intr_on();
    for (int k = 0; k < 1000; k++)
        cpu_relax();
    intr_off();
}

/* Holds an extra hart at ST_SPIN, interrupts off, until st_stop. */
static void st_spinner(void *arg)
{
    int i = (int)(long)arg;
    sched_set_prio(current(), KEEL_SCHED_FIFO, ST_SPIN);
    st_settle();
    st_spin_hart[i] = this_hart()->id;
    __atomic_fetch_add(&st_started, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(st_stop))
        cpu_relax();
    __atomic_fetch_add(&st_exited, 1, __ATOMIC_RELEASE);
}

/* A holder (A, K, M, W): FIFO at its priority; with interrupts off until
 * st_go[role], then at preemption points (W: spinning) until st_stop. */
static void st_holder(void *arg)
{
    int role = (int)(long)arg;
    sched_set_prio(current(), KEEL_SCHED_FIFO, st_hold_prio[role]);
    st_settle();
    /* The reschedule our sched_set_prio asked for, and any kick already
     * taken: nothing outranks us yet, so we keep the hart. */
    while (READ_ONCE(this_hart()->need_resched))
        sched_preempt_point();
    __atomic_store_n(&st_hart[role], this_hart()->id, __ATOMIC_RELEASE);
    __atomic_fetch_add(&st_started, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(st_go[role]) && !READ_ONCE(st_stop))
        cpu_relax();
    if (role == ST_HOLD_W) {
        /* The second waker: R, while T's make_ready(S) is stopped. */
        st_release(&st_rwq, &st_rflag);
        __atomic_store_n(&st_wdone, 1, __ATOMIC_RELEASE);
        while (!READ_ONCE(st_stop))
            cpu_relax();
    } else {
        while (!READ_ONCE(st_stop))
            sched_preempt_point();
    }
    __atomic_fetch_add(&st_exited, 1, __ATOMIC_RELEASE);
}

/* In make_ready(S) on T, after it chose K, before S is queued: W wakes R,
 * which reads K's load without S and is queued there first. */
static void st_hook(struct thread *t)
{
    if (t != st_s || current() != st_self)
        return;
    sched_test_place_hook = NULL;
    __atomic_store_n(&st_go[ST_HOLD_W], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_wdone, 1);
    __atomic_store_n(&st_hooked, 1, __ATOMIC_RELEASE);
}

/* t is READY on hart h's queue (a racy read: the holders keep it so). */
static bool st_queued_on(struct thread *t, int h)
{
    return READ_ONCE(t->state) == T_READY && READ_ONCE(t->hart) == h;
}

static int st_nthreads;

/* S, B, R created and blocked (off their harts), then the extra harts
 * held and the holders started on one hart each (roles in `roles`, in
 * that order: each goes to an idle hart). False if the set-up failed
 * (checked). From here the caller must not block until st_stop. */
static bool st_setup(const int *roles, int nroles)
{
    st_self = current();
    waitq_init(&st_swq, "ktest_strand_s");
    waitq_init(&st_bwq, "ktest_strand_b");
    waitq_init(&st_rwq, "ktest_strand_r");
    st_sflag = st_bflag = st_rflag = 0;
    st_stop = st_started = st_exited = 0;
    st_shart = st_bhart = st_rhart = -1;
    st_wdone = st_hooked = 0;
    for (int i = 0; i < ST_NHOLD; i++)
        st_go[i] = 0, st_hart[i] = -1;
    st_nthreads = 0;
    st_s = kthread_create(st_s_main, NULL, ST_S);
    st_b = kthread_create(st_b_main, NULL, ST_B);
    st_r = kthread_create(st_r_main, NULL, ST_R);
    KT_CHECK(st_s && st_b && st_r);
    st_nthreads = (st_s != NULL) + (st_b != NULL) + (st_r != NULL);
    if (!st_s || !st_b || !st_r)
        return false;
    struct thread *sl[3] = {st_s, st_b, st_r};
    uint64_t end = st_deadline();
    for (int i = 0; i < 3; i++)
        while ((READ_ONCE(sl[i]->state) != T_BLOCKED ||
                __atomic_load_n(&sl[i]->on_cpu, __ATOMIC_ACQUIRE)) &&
               time_now_ticks() < end)
            sleep_until(time_now_ticks() + ns_to_ticks(100000));
    for (int i = 0; i < 3; i++)
        KT_CHECK_EQ(sl[i]->state, T_BLOCKED);
    int nspin = nharts - 1 - nroles;
    for (int i = 0; i < nspin; i++) {
        st_spin_hart[i] = -1;
        if (kthread_create(st_spinner, (void *)(long)i, ST_SPIN))
            st_nthreads++;
    }
    st_spin_until(&st_started, nspin);
    for (int i = 0; i < nroles; i++) {
        if (kthread_create(st_holder, (void *)(long)roles[i],
                           st_hold_prio[roles[i]]))
            st_nthreads++;
        st_spin_until(&st_hart[roles[i]], 0);
    }
    st_spin_until(&st_started, nspin + nroles);
    KT_CHECK_EQ(st_started, nspin + nroles);
    uint32_t held = 1u << this_hart()->id;
    for (int i = 0; i < nspin; i++)
        if (st_spin_hart[i] >= 0)
            held |= 1u << st_spin_hart[i];
    for (int i = 0; i < nroles; i++)
        if (st_hart[roles[i]] >= 0)
            held |= 1u << st_hart[roles[i]];
    KT_CHECK_EQ(__builtin_popcount(held), nharts);
    return st_started == nspin + nroles && __builtin_popcount(held) == nharts;
}

/* Everything stops, exits, and the test thread gets its priority back. */
static void st_teardown(int old_policy, int old_prio)
{
    sched_test_place_hook = NULL;
    __atomic_store_n(&st_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < ST_NHOLD; i++)
        __atomic_store_n(&st_go[i], 1, __ATOMIC_RELEASE);
    st_release(&st_swq, &st_sflag);
    st_release(&st_bwq, &st_bflag);
    st_release(&st_rwq, &st_rflag);
    uint64_t end = st_deadline();
    while (__atomic_load_n(&st_exited, __ATOMIC_ACQUIRE) < st_nthreads &&
           time_now_ticks() < end)
        sleep_until(time_now_ticks() + ns_to_ticks(100000));
    KT_CHECK_EQ(st_exited, st_nthreads);
    sched_set_prio(current(), old_policy, old_prio);
}

KTEST(sched_stranded_on_other_queue)
{
    if (nharts < 4) {
        printk("    (fewer than 4 harts: skipped)\n");
        return;
    }
    struct thread *self = current();
    int old_prio = self->prio, old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, ST_SELF);
    static const int roles[] = {ST_HOLD_A, ST_HOLD_K, ST_HOLD_M};
    if (!st_setup(roles, 3))
        goto out;
    int a = st_hart[ST_HOLD_A], k = st_hart[ST_HOLD_K];
    /* S: the lowest load is A's (ST_A); queued there, A kicked. */
    st_release(&st_swq, &st_sflag);
    KT_CHECK(st_queued_on(st_s, a));
    /* B: A's load is now ST_S, K's ST_K1: queued on K, K kicked. */
    st_release(&st_bwq, &st_bflag);
    KT_CHECK(st_queued_on(st_b, k));
    /* A picks: B (on K's queue) beats S; S is left on A's queue and A
     * kicks the hart running lowest, K. */
    __atomic_store_n(&st_go[ST_HOLD_A], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_bhart, 0);
    KT_CHECK_EQ(st_bhart, a);
    KT_CHECK(st_queued_on(st_s, a));
    /* R: K's load is ST_K1 again (B left), the lowest: queued on K. */
    st_release(&st_rwq, &st_rflag);
    KT_CHECK(st_queued_on(st_r, k));
    /* K's one pick takes R, the best; the kick A sent for S is used up. */
    __atomic_store_n(&st_go[ST_HOLD_K], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_rhart, 0);
    KT_CHECK_EQ(st_rhart, k);
    /* S outranks M, and only K's pass-on can send M for it: M, now at
     * preemption points, takes a kick if one was sent. */
    __atomic_store_n(&st_go[ST_HOLD_M], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_shart, 0);
    KT_CHECK_EQ(st_shart, st_hart[ST_HOLD_M]);
out:
    st_teardown(old_policy, old_prio);
}

KTEST(sched_stranded_on_own_queue)
{
    if (nharts < 4) {
        printk("    (fewer than 4 harts: skipped)\n");
        return;
    }
    struct thread *self = current();
    int old_prio = self->prio, old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, ST_SELF);
    static const int roles[] = {ST_HOLD_W, ST_HOLD_K, ST_HOLD_M};
    if (!st_setup(roles, 3))
        goto out;
    int k = st_hart[ST_HOLD_K];
    /* S: the lowest load is K's; the hook stops us there while W wakes
     * R, which reads the same loads and is queued on K first. */
    sched_test_place_hook = st_hook;
    st_release(&st_swq, &st_sflag);
    sched_test_place_hook = NULL;
    KT_CHECK(st_hooked);
    KT_CHECK(st_queued_on(st_r, k));
    KT_CHECK(st_queued_on(st_s, k));
    /* K's one pick (two kicks) takes R; S is left on K's queue. */
    __atomic_store_n(&st_go[ST_HOLD_K], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_rhart, 0);
    KT_CHECK_EQ(st_rhart, k);
    /* S outranks M, and only K's pass-on can send M for it: M, now at
     * preemption points, takes a kick if one was sent. */
    __atomic_store_n(&st_go[ST_HOLD_M], 1, __ATOMIC_RELEASE);
    st_spin_until(&st_shart, 0);
    KT_CHECK_EQ(st_shart, st_hart[ST_HOLD_M]);
out:
    st_teardown(old_policy, old_prio);
}
