/*
 * In-kernel test of the pick race (issue 8 item 4; place_recheck in
 * kernel/sched/place.c). Hart H's schedule() reads every queue, finds
 * nothing above its own best and picks a low thread L; before it stores
 * h->cur, a waker on another hart queues Q (above L) and reads H's old
 * priority (the blocking thread B's, above Q), so it kicks nobody.
 * Neither side saw the other: Q must still run, without any other event,
 * because H looks at the queues again once L runs.
 *
 * The test holds every other hart with spinners (PK_SPIN, interrupts
 * off) and its own hart with itself (PK_SELF, spinning), so the only
 * hart that can run Q is H, and nothing but H's own second look can send
 * it there. The sched_test_pick_hook stops H between its pick and its
 * switch while the test thread wakes Q.
 *
 * Locking: pk_lock guards pk_qflag and pk_bflag (the conditions of
 * pk_qwq and pk_bwq); the other pk_* variables are single-writer flags
 * read with READ_ONCE / atomics.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "ktest.h"

#define PK_SELF 50 /* the test thread, the waker */
#define PK_B 45    /* blocks on H: the priority the waker reads there */
#define PK_SPIN 40 /* hold the other harts */
#define PK_Q 30    /* woken while H picks */
#define PK_L 20    /* what H picks */

static struct waitq pk_qwq, pk_bwq;
static spinlock_t pk_lock = SPINLOCK_INIT("ktest_pick");
static int pk_qflag, pk_bflag;
static volatile int pk_lgo, pk_qran, pk_in_hook, pk_woken, pk_exited;
static volatile int pk_lhart, pk_bhart, pk_started;
static volatile int pk_stop, pk_spin_hart[MAX_HARTS];
static struct thread *volatile pk_b;
static struct thread *volatile pk_l;

static uint64_t pk_deadline(void)
{
    return time_now_ticks() + ns_to_ticks(5000000000ull); /* hang guard */
}

/* Spins until *v is nonzero (or the guard ends), without blocking. */
static void pk_spin_until(volatile int *v)
{
    uint64_t end = pk_deadline();
    while (!__atomic_load_n(v, __ATOMIC_ACQUIRE) && time_now_ticks() < end)
        cpu_relax();
}

static void pk_wait(struct waitq *wq, int *flag)
{
    spin_lock(&pk_lock);
    while (!*flag)
        waitq_wait(wq, &pk_lock);
    spin_unlock(&pk_lock);
}

static void pk_release(struct waitq *wq, int *flag)
{
    spin_lock(&pk_lock);
    *flag = 1;
    spin_unlock(&pk_lock);
    waitq_wake_all(wq);
}

static void pk_q_main(void *arg)
{
    (void)arg;
    pk_wait(&pk_qwq, &pk_qflag);
    __atomic_store_n(&pk_qran, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&pk_exited, 1, __ATOMIC_RELEASE);
}

static void pk_b_main(void *arg)
{
    (void)arg;
    sched_set_prio(current(), KEEL_SCHED_FIFO, PK_B);
    pk_b = current();
    WRITE_ONCE(pk_bhart, this_hart()->id);
    pk_wait(&pk_bwq, &pk_bflag); /* H picks L here */
    __atomic_fetch_add(&pk_exited, 1, __ATOMIC_RELEASE);
}

/* Runs on H at PK_L; preemption points only, so a reschedule request
 * is all that can take Q onto this hart. */
static void pk_l_main(void *arg)
{
    (void)arg;
    /* FIFO: an RR slice's end would reschedule it by itself. */
    sched_set_prio(current(), KEEL_SCHED_FIFO, PK_L);
    pk_l = current();
    WRITE_ONCE(pk_lhart, this_hart()->id);
    while (!READ_ONCE(pk_lgo))
        sched_preempt_point();
    __atomic_fetch_add(&pk_exited, 1, __ATOMIC_RELEASE);
}

/* Holds a hart at PK_SPIN with interrupts off until pk_stop (after the
 * slice timer armed at its switch-in has passed, as t_sched_place.c's
 * spinners do). */
static void pk_spinner(void *arg)
{
    int i = (int)(long)arg;
    struct hart *h = this_hart();
    sched_set_prio(current(), KEEL_SCHED_FIFO, PK_SPIN);
    while (time_now_ticks() <= READ_ONCE(h->slice_end))
        cpu_relax();
    intr_on();
    for (int k = 0; k < 1000; k++)
        cpu_relax();
    intr_off();
    pk_spin_hart[i] = h->id;
    __atomic_fetch_add(&pk_started, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pk_stop))
        cpu_relax();
    __atomic_fetch_add(&pk_exited, 1, __ATOMIC_RELEASE);
}

/* On H, between the pick of L and the switch to it: the waker runs now. */
static void pk_hook(struct thread *cur, struct thread *next)
{
    if (cur != pk_b || next != pk_l)
        return;
    sched_test_pick_hook = NULL;
    __atomic_store_n(&pk_in_hook, 1, __ATOMIC_RELEASE);
    pk_spin_until(&pk_woken);
}

KTEST(sched_pick_race_looks_again)
{
    if (nharts < 3) {
        printk("    (fewer than 3 harts: skipped)\n");
        return;
    }
    struct thread *self = current();
    int old_prio = self->prio, old_policy = self->policy;
    int nspin = nharts - 2, nthreads = 0;
    waitq_init(&pk_qwq, "ktest_pick_q");
    waitq_init(&pk_bwq, "ktest_pick_b");
    pk_qflag = pk_bflag = 0;
    pk_lgo = pk_qran = pk_in_hook = pk_woken = pk_exited = pk_started = 0;
    pk_stop = 0;
    pk_lhart = pk_bhart = -1;
    pk_b = pk_l = NULL;
    sched_set_prio(self, KEEL_SCHED_FIFO, PK_SELF);
    /* Q first, blocked and off its hart. */
    struct thread *q = kthread_create(pk_q_main, NULL, PK_Q);
    KT_CHECK(q);
    if (!q)
        goto out;
    nthreads++;
    uint64_t end = pk_deadline();
    while ((READ_ONCE(q->state) != T_BLOCKED ||
            __atomic_load_n(&q->on_cpu, __ATOMIC_ACQUIRE)) &&
           time_now_ticks() < end)
        sleep_until(time_now_ticks() + ns_to_ticks(100000));
    KT_CHECK_EQ(q->state, T_BLOCKED);
    /* From here this thread does not block until the spinners stop. */
    for (int i = 0; i < nspin; i++) {
        pk_spin_hart[i] = -1;
        if (kthread_create(pk_spinner, (void *)(long)i, PK_SPIN))
            nthreads++;
    }
    end = pk_deadline();
    while (__atomic_load_n(&pk_started, __ATOMIC_ACQUIRE) < nspin &&
           time_now_ticks() < end)
        cpu_relax();
    KT_CHECK_EQ(pk_started, nspin);
    /* L takes the one hart left (H), then B preempts it there. */
    if (kthread_create(pk_l_main, NULL, PK_L))
        nthreads++;
    end = pk_deadline();
    while (READ_ONCE(pk_lhart) < 0 && time_now_ticks() < end)
        cpu_relax();
    int hh = READ_ONCE(pk_lhart);
    uint32_t held = 1u << this_hart()->id;
    for (int i = 0; i < nspin; i++)
        if (pk_spin_hart[i] >= 0)
            held |= 1u << pk_spin_hart[i];
    KT_CHECK(hh >= 0 && !(held & (1u << hh)));
    KT_CHECK_EQ(__builtin_popcount(held), nharts - 1);
    if (hh < 0 || (held & (1u << hh)) || __builtin_popcount(held) != nharts - 1)
        goto stop;
    sched_test_pick_hook = pk_hook;
    if (kthread_create(pk_b_main, NULL, PK_B))
        nthreads++;
    pk_spin_until(&pk_in_hook);
    KT_CHECK(pk_in_hook);
    KT_CHECK_EQ(pk_bhart, hh);
    /* H has picked L and not switched yet: wake Q. Every hart's load,
     * as this waker reads it, is at or above PK_Q, so it kicks nobody. */
    pk_release(&pk_qwq, &pk_qflag);
    __atomic_store_n(&pk_woken, 1, __ATOMIC_RELEASE);
    /* Only H's second look can run Q now (the bound ends a failing run). */
    pk_spin_until(&pk_qran);
    KT_CHECK(pk_qran);
stop:
    sched_test_pick_hook = NULL;
    __atomic_store_n(&pk_woken, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&pk_stop, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&pk_lgo, 1, __ATOMIC_RELEASE);
    pk_release(&pk_bwq, &pk_bflag);
    pk_release(&pk_qwq, &pk_qflag);
    end = pk_deadline();
    while (__atomic_load_n(&pk_exited, __ATOMIC_ACQUIRE) < nthreads &&
           time_now_ticks() < end)
        sleep_until(time_now_ticks() + ns_to_ticks(100000));
    KT_CHECK_EQ(pk_exited, nthreads);
out:
    sched_set_prio(self, old_policy, old_prio);
}
