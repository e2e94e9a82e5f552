/*
 * In-kernel tests of thread placement (issue 6 item 5): a woken thread
 * must reach a hart that sits idle, even when that hart went idle while
 * the waker was choosing where to queue it.
 *
 * Locking: pl_lock guards pl_flag (the wait condition of pl_wq); the
 * other pl_* variables are single-writer flags read with READ_ONCE.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "ktest.h"

#define PL_HIGH 40 /* spinners and the waker */
#define PL_LOW 20  /* the woken thread */

static struct waitq pl_wq;
static spinlock_t pl_lock = SPINLOCK_INIT("ktest_place");
static volatile int pl_flag, pl_ran, pl_started, pl_exited, pl_idled;
static volatile int pl_stop[MAX_HARTS], pl_hart[MAX_HARTS];
static struct thread *volatile pl_y;
static struct thread *volatile pl_waker;

/* Holds a hart at PL_HIGH with interrupts off until told to stop. It is
 * FIFO and first takes the slice timer armed when it was switched in, so
 * its hart has no timer event left when it goes idle. */
static void pl_spinner(void *arg)
{
    int i = (int)(long)arg;
    struct hart *h = this_hart();
    sched_set_prio(current(), KEEL_SCHED_FIFO, PL_HIGH);
    while (time_now_ticks() <= READ_ONCE(h->slice_end))
        cpu_relax();
    intr_on();
    for (int k = 0; k < 1000; k++)
        cpu_relax();
    intr_off();
    pl_hart[i] = h->id;
    __atomic_fetch_add(&pl_started, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pl_stop[i]))
        cpu_relax();
    __atomic_fetch_add(&pl_exited, 1, __ATOMIC_RELEASE);
}

static void pl_sleeper(void *arg)
{
    (void)arg;
    spin_lock(&pl_lock);
    while (!pl_flag)
        waitq_wait(&pl_wq, &pl_lock);
    spin_unlock(&pl_lock);
    __atomic_store_n(&pl_ran, 1, __ATOMIC_RELEASE);
}

/* In make_ready(pl_y), after the waker found every hart busy at PL_HIGH:
 * a spinner on another hart than pl_y's old one (where pl_y is queued)
 * stops, and its hart goes idle (into wfi) before pl_y is queued. */
static void pl_hook(struct thread *t)
{
    if (t != pl_y || current() != pl_waker)
        return;
    int i = 0;
    while (i < nharts - 2 && pl_hart[i] == t->hart)
        i++;
    struct hart *h = &harts[pl_hart[i]];
    uint64_t idle0 = READ_ONCE(h->ticks_idle);
    uint64_t end = time_now_ticks() + ns_to_ticks(2000000000ull);
    __atomic_store_n(&pl_stop[i], 1, __ATOMIC_RELEASE);
    while (
        (READ_ONCE(h->cur) != h->idle || READ_ONCE(h->ticks_idle) == idle0) &&
        time_now_ticks() < end)
        cpu_relax();
    pl_idled =
        READ_ONCE(h->cur) == h->idle && READ_ONCE(h->ticks_idle) != idle0;
    for (int k = 0; k < 100000; k++) /* let it reach wfi */
        cpu_relax();
}

/* Waits (sleeping, bounded) until *v >= n. Only for waits with no
 * spinner holding a hart (none made yet, or all told to stop): see
 * pl_spin_count. */
static void pl_wait_count(volatile int *v, int n)
{
    uint64_t end = time_now_ticks() + ns_to_ticks(5000000000ull);
    while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < n && time_now_ticks() < end)
        sleep_until(time_now_ticks() + ns_to_ticks(100000));
}

/* Waits (spinning on our hart, bounded) until *v >= n. While spinners
 * run, the waker must not block: its hart would go idle and could take
 * a spinner still queued on a slow hart, and a sleep of ours sits on our
 * hart's timer list, which that spinner (interrupts off until pl_stop,
 * which only we set) never lets fire. Its one short interrupt window
 * does not help when the host delivers the timer interrupt late, so the
 * waker slept forever and the suite hung (seen under host load: 3
 * spinners on 3 harts, the waker BLOCKED on a spinner's hart's sleep
 * list, the 4th hart idle). Spinning keeps our hart busy at PL_HIGH, so
 * the spinners can only take the other harts. */
static void pl_spin_count(volatile int *v, int n)
{
    uint64_t end = time_now_ticks() + ns_to_ticks(5000000000ull);
    while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < n && time_now_ticks() < end)
        cpu_relax();
}

KTEST(sched_wake_reaches_idle_hart)
{
    if (nharts < 3)
        return; /* needs a hart to idle besides pl_y's old one and ours */
    struct thread *self = current();
    int old_prio = self->prio, old_policy = self->policy;
    int n = nharts - 1;
    waitq_init(&pl_wq, "ktest_place");
    pl_flag = pl_ran = pl_started = pl_exited = pl_idled = 0;
    for (int i = 0; i < MAX_HARTS; i++)
        pl_stop[i] = 0, pl_hart[i] = -1;
    pl_waker = self;
    sched_set_prio(self, KEEL_SCHED_FIFO, PL_HIGH);
    pl_y = kthread_create(pl_sleeper, NULL, PL_LOW);
    KT_CHECK(pl_y);
    if (!pl_y)
        goto out;
    /* pl_y blocked and off its hart, then every other hart held. */
    uint64_t end = time_now_ticks() + ns_to_ticks(5000000000ull);
    while ((READ_ONCE(pl_y->state) != T_BLOCKED ||
            __atomic_load_n(&pl_y->on_cpu, __ATOMIC_ACQUIRE)) &&
           time_now_ticks() < end)
        sleep_until(time_now_ticks() + ns_to_ticks(100000));
    KT_CHECK_EQ(pl_y->state, T_BLOCKED);
    /* From the first spinner on, this thread does not block until every
     * spinner is told to stop (pl_spin_count). */
    for (int i = 0; i < n; i++)
        KT_CHECK(kthread_create(pl_spinner, (void *)(long)i, PL_HIGH));
    pl_spin_count(&pl_started, n);
    if (pl_started != n)
        printk("    %d of %d spinners started within 5 s\n", pl_started, n);
    KT_CHECK_EQ(pl_started, n);
    uint32_t held = 0;
    for (int i = 0; i < n; i++)
        if (pl_hart[i] >= 0)
            held |= 1u << pl_hart[i];
    KT_CHECK_EQ(__builtin_popcount(held), n);
    KT_CHECK(!(held & (1u << this_hart()->id)));
    if (pl_started == n && __builtin_popcount(held) == n &&
        !(held & (1u << this_hart()->id))) {
        /* This thread still does not block: its hart stays busy. */
        spin_lock(&pl_lock);
        pl_flag = 1;
        spin_unlock(&pl_lock);
        sched_test_place_hook = pl_hook;
        waitq_wake_all(&pl_wq);
        sched_test_place_hook = NULL;
        KT_CHECK(pl_idled);
        /* A hart is idle and pl_y is ready: it must run there while every
         * other hart stays busy (the bound only ends a failing run). */
        end = time_now_ticks() + ns_to_ticks(3000000000ull);
        while (!__atomic_load_n(&pl_ran, __ATOMIC_ACQUIRE) &&
               time_now_ticks() < end)
            cpu_relax();
        KT_CHECK(pl_ran);
    } else {
        spin_lock(&pl_lock);
        pl_flag = 1;
        spin_unlock(&pl_lock);
        waitq_wake_all(&pl_wq);
    }
    for (int i = 0; i < n; i++)
        __atomic_store_n(&pl_stop[i], 1, __ATOMIC_RELEASE);
    pl_wait_count(&pl_exited, n);
    KT_CHECK_EQ(pl_exited, n);
    pl_wait_count(&pl_ran, 1);
    KT_CHECK(pl_ran);
out:
    sched_test_place_hook = NULL;
    pl_waker = NULL;
    sched_set_prio(self, old_policy, old_prio);
}
