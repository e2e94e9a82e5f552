/* In-kernel tests of the per-hart timer queues (kernel/sched/timer.c and
 * timerq.c): the heap under random inserts and cancels, timer_arm's fire
 * order and batching on a real hart, cancel of an expired node, and many
 * sleepers at once. */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "ktest.h"

static uint64_t kt_rng = 0x2545f4914f6cdd1dull;

static uint64_t kt_rnd(void)
{
    kt_rng ^= kt_rng << 13;
    kt_rng ^= kt_rng >> 7;
    kt_rng ^= kt_rng << 17;
    return kt_rng;
}

#define HN 200
static struct timer_node hnodes[HN];
static struct timer_node *hstore[HN];

/* Many inserts and cancels in random order on a private queue: the
 * invariants hold after every step and pops come out in deadline order. */
KTEST(timerq_random_order)
{
    struct timerq q;
    timerq_init(&q, hstore, HN);
    for (int i = 0; i < HN; i++)
        timer_node_init(&hnodes[i]);
    for (int step = 0; step < 4000; step++) {
        struct timer_node *tn = &hnodes[kt_rnd() % HN];
        if (!timer_node_queued(tn))
            KT_CHECK(timerq_insert(&q, tn, kt_rnd() % 500));
        else
            timerq_remove(&q, tn);
        if (step % 97 == 0)
            KT_CHECK(timerq_valid(&q));
    }
    KT_CHECK(timerq_valid(&q));
    uint64_t last = 0;
    uint32_t n = q.n, popped = 0;
    struct timer_node *tn;
    while ((tn = timerq_pop_due(&q, UINT64_MAX))) {
        KT_CHECK(tn->deadline >= last);
        last = tn->deadline;
        popped++;
    }
    KT_CHECK_EQ(popped, n);
}

/* timer_arm on this hart: 48 nodes, 24 of them due at the same tick (more
 * than TIMER_EXPIRE_BATCH, so expiry takes several interrupts), 12 more
 * spread out and cancelled before they fire. */
#define AN 48
struct arm_node {
    struct timer_node tn;
    volatile uint64_t fired_at; /* ticks, 0 if not fired */
    volatile int seq;
};
static struct arm_node anodes[AN];
static volatile int arm_seq;

static void arm_fire(struct timer_node *tn)
{
    struct arm_node *a = container_of(tn, struct arm_node, tn);
    a->fired_at = time_now_ticks();
    a->seq = __atomic_add_fetch(&arm_seq, 1, __ATOMIC_RELAXED);
}

KTEST(timer_arm_fires_in_order)
{
    _Static_assert(AN / 2 > TIMER_EXPIRE_BATCH, "test the batching");
    arm_seq = 0;
    uint64_t base = time_now_ticks() + ns_to_ticks(2000000);
    uint64_t step = ns_to_ticks(20000) + 1;
    for (int i = 0; i < AN; i++) {
        timer_node_init(&anodes[i].tn);
        anodes[i].fired_at = 0;
        anodes[i].seq = 0;
    }
    /* Arm in a shuffled order. */
    int order[AN];
    for (int i = 0; i < AN; i++)
        order[i] = i;
    for (int i = AN - 1; i > 0; i--) {
        int j = (int)(kt_rnd() % (uint64_t)(i + 1));
        int x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (int k = 0; k < AN; k++) {
        int i = order[k];
        uint64_t d = i < AN / 2 ? base : base + (uint64_t)(i - AN / 2) * step;
        timer_arm(&anodes[i].tn, d, arm_fire);
        KT_CHECK(timer_node_queued(&anodes[i].tn));
    }
    /* Cancel every other one of the spread-out half. */
    for (int i = AN / 2; i < AN; i += 2)
        KT_CHECK(timer_cancel(&anodes[i].tn));
    for (int i = AN / 2; i < AN; i += 2) {
        KT_CHECK(!timer_node_queued(&anodes[i].tn));
        KT_CHECK_EQ(anodes[i].tn.owner, -1);
    }
    uint64_t end = base + (uint64_t)AN * step;
    int expect = AN - AN / 4;
    /* Wait for them (a liveness bound, not a timing assertion). */
    for (int tries = 0;
         tries < 1000 && __atomic_load_n(&arm_seq, __ATOMIC_RELAXED) < expect;
         tries++)
        sleep_until(MAX(end, time_now_ticks()) + ns_to_ticks(1000000));
    KT_CHECK_EQ(arm_seq, expect);
    for (int i = 0; i < AN; i++) {
        struct arm_node *a = &anodes[i];
        bool cancelled = i >= AN / 2 && (i - AN / 2) % 2 == 0;
        if (cancelled) {
            KT_CHECK_EQ(a->seq, 0);
            continue;
        }
        KT_CHECK(a->seq > 0);
        KT_CHECK(a->fired_at >= a->tn.deadline);
        KT_CHECK_EQ(a->tn.owner, -1);
        /* Cancel of an expired node: a no-op. */
        KT_CHECK(!timer_cancel(&a->tn));
        KT_CHECK_EQ(a->tn.owner, -1);
        KT_CHECK(!timer_node_queued(&a->tn));
        /* Fire order follows the deadlines. */
        for (int j = 0; j < AN; j++) {
            if (anodes[j].seq > 0 && anodes[j].tn.deadline < a->tn.deadline)
                KT_CHECK(anodes[j].seq < a->seq);
        }
    }
}

/* Many threads asleep at once, with random deadlines: each wakes no
 * earlier than its deadline, and all wake. */
#define SN 40
static volatile int sleepers_done, sleepers_early;

static void sleeper(void *arg)
{
    uint64_t d = (uint64_t)arg;
    KT_CHECK_EQ(sleep_until(d), 0);
    if (time_now_ticks() < d)
        __atomic_fetch_add(&sleepers_early, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sleepers_done, 1, __ATOMIC_RELEASE);
}

KTEST(timer_many_sleepers)
{
    sleepers_done = sleepers_early = 0;
    uint64_t now = time_now_ticks();
    for (int i = 0; i < SN; i++) {
        uint64_t d =
            now + ns_to_ticks(1000000) + kt_rnd() % ns_to_ticks(4000000);
        KT_CHECK(kthread_create(sleeper, (void *)d, KEEL_PRIO_DEFAULT));
    }
    while (__atomic_load_n(&sleepers_done, __ATOMIC_ACQUIRE) < SN)
        sleep_until(time_now_ticks() + ns_to_ticks(1000000));
    KT_CHECK_EQ(sleepers_early, 0);
}

/* Sleeps convert nanoseconds to ticks rounding up, so the tick a sleep
 * ends at never reads as earlier than the time asked for; huge values
 * saturate instead of wrapping. */
KTEST(clock_ns_to_ticks_rounds_up)
{
    for (uint64_t i = 0; i < 3000; i++) {
        uint64_t ns = i < 1000 ? i : kt_rnd() % (1ull << 50);
        uint64_t t = clock_ns_to_ticks_ceil(ns);
        KT_CHECK(ticks_to_ns(t) >= ns);
        if (t > 0)
            KT_CHECK(ticks_to_ns(t - 1) < ns);
    }
    KT_CHECK(clock_ns_to_ticks_ceil(UINT64_MAX) >= ns_to_ticks(UINT64_MAX));
    KT_CHECK(clock_res_ns() * timebase_hz >= 1000000000ull);
    KT_CHECK((clock_res_ns() - 1) * timebase_hz < 1000000000ull);
}

/* A sleep ends with -EINTR when its thread is killed: a relative one
 * reports the time it had left, an absolute CLOCK_REALTIME one (on the
 * clock_nanosleep queue) leaves it without waiting for its time. */
struct kill_slot {
    int realtime;
    volatile int phase;
    int r;
    uint64_t left;
};

static void kill_sleeper(void *arg)
{
    struct kill_slot *k = arg;
    __atomic_store_n(&k->phase, 1, __ATOMIC_RELEASE);
    if (k->realtime)
        k->r = clock_sleep_realtime_until(time_realtime_ns() +
                                          3600ull * 1000000000ull);
    else
        k->r = clock_sleep_relative(2000000000ull, &k->left);
    __atomic_store_n(&k->phase, 2, __ATOMIC_RELEASE);
}

KTEST(clock_sleep_killed_eintr)
{
    for (int rt = 0; rt < 2; rt++) {
        struct kill_slot k = {rt, 0, 1, UINT64_MAX};
        struct thread *t = kthread_create(kill_sleeper, &k, KEEL_PRIO_DEFAULT);
        KT_CHECK(t);
        if (!t)
            return;
        /* Until it is asleep (a liveness bound of ~5 s). */
        int blocked = 0;
        for (int i = 0; i < 5000 && !blocked; i++) {
            blocked = __atomic_load_n(&k.phase, __ATOMIC_ACQUIRE) == 1 &&
                      READ_ONCE(t->state) == T_BLOCKED;
            if (!blocked)
                sleep_until(time_now_ticks() + ns_to_ticks(1000000));
        }
        KT_CHECK(blocked);
        t->killed = 1;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        sched_wake(t);
        while (__atomic_load_n(&k.phase, __ATOMIC_ACQUIRE) != 2)
            sleep_until(time_now_ticks() + ns_to_ticks(1000000));
        KT_CHECK_EQ(k.r, -EINTR);
        if (!rt)
            KT_CHECK(k.left > 0 && k.left <= 2000000000ull);
    }
}

/* The debug kernel refuses to arm a node that is still queued (it would
 * sit in a heap twice). */
static struct timer_node twice;
static void never_fires(struct timer_node *tn)
{
    (void)tn;
    panic("never_fires fired");
}
static void arm_twice(void *arg)
{
    (void)arg;
    timer_arm(&twice, UINT64_MAX, never_fires);
}

KTEST(timer_arm_queued_node_panics)
{
    timer_node_init(&twice);
    timer_arm(&twice, UINT64_MAX, never_fires);
    KT_CHECK(ktest_expect_panic(arm_twice, NULL));
    KT_CHECK(ktest_panic_said("already queued"));
    KT_CHECK(timer_cancel(&twice));
    KT_CHECK(!timer_node_queued(&twice));
    KT_CHECK(!ktest_expect_panic(arm_twice, NULL)); /* unqueued: fine */
    KT_CHECK(timer_cancel(&twice));
}

/* spin_wait_hint (timer.c): a hart spinning on a held lock arms its own
 * timer a moment ahead (under QEMU's round-robin TCG that ends its turn,
 * so the holder runs). The holder here waits until the spinner's hart
 * counts a hint, with its timer armed within the hint's reach, and only
 * then lets go. (The 10 s bound only keeps a failure from hanging.) */
static spinlock_t hint_lock = SPINLOCK_INIT("ktest_hint");
static volatile int hint_hart = -1, hint_got;

static void hint_spinner(void *arg)
{
    (void)arg;
    WRITE_ONCE(hint_hart, this_hart()->id);
    spin_lock(&hint_lock); /* held by the test: spins */
    hint_got = 1;
    spin_unlock(&hint_lock);
}

KTEST(spin_wait_arms_timer_soon)
{
    if (nharts < 2) {
        printk("    (one hart: skipped)\n");
        return;
    }
    hint_hart = -1;
    hint_got = 0;
    uint64_t before[MAX_HARTS];
    for (int i = 0; i < nharts; i++)
        before[i] = READ_ONCE(harts[i].spin_hints);
    spin_lock(&hint_lock);
    KT_CHECK(kthread_create(hint_spinner, NULL, KEEL_PRIO_DEFAULT + 1));
    uint64_t end = time_now_ticks() + ns_to_ticks(10000000000ull);
    int hh = -1;
    bool hinted = false, near = false;
    while (!hinted && time_now_ticks() < end) {
        hh = READ_ONCE(hint_hart);
        if (hh >= 0 && hh != this_hart()->id &&
            READ_ONCE(harts[hh].spin_hints) != before[hh]) {
            hinted = true;
            /* its timer now fires soon, not at its old event */
            near = READ_ONCE(harts[hh].timer_armed) <=
                   time_now_ticks() + ns_to_ticks(1000000ull);
        }
        cpu_relax();
    }
    KT_CHECK(!hint_got); /* still spinning until we let go */
    spin_unlock(&hint_lock);
    KT_CHECK(hh >= 0 && hh != this_hart()->id);
    KT_CHECK(hinted);
    KT_CHECK(near);
    while (!READ_ONCE(hint_got))
        schedule();
}
