/*
 * Issue 8 item 5 in the kernel: priority-ordered wait queues and
 * priority inheritance through kmutexes (sync/pi.c).
 *
 * The tests drive kernel threads into known states and poll for them
 * with 1 ms sleeps (bounded, never a time assertion); every thread
 * stays alive (waiting for `pi_finish`) until the test has looked at it.
 */
#include "../include/kmutex.h"
#include "../include/proc.h"
#include "ktest.h"

#define POLL_MAX 2000 /* 1 ms polls: ~2 s at most before giving up */

static volatile int pi_done;
static volatile int pi_finish;

static void nap(void)
{
    sleep_until(time_now_ticks() + ns_to_ticks(1000 * 1000));
}

/* Polls until cond(t) holds; false if it never did. */
static bool wait_for(bool (*cond)(struct thread *), struct thread *t)
{
    for (int i = 0; i < POLL_MAX; i++) {
        if (cond(t))
            return true;
        nap();
    }
    return false;
}

static bool is_blocked(struct thread *t)
{
    return READ_ONCE(t->state) == T_BLOCKED;
}

static void wait_done(int n)
{
    for (int i = 0; i < POLL_MAX && READ_ONCE(pi_done) < n; i++)
        nap();
    KT_CHECK_EQ(READ_ONCE(pi_done), n);
}

/* ---- priority-ordered wake-up of a plain waitq ---- */

static struct waitq pq_wq;
static spinlock_t pq_lock = SPINLOCK_INIT("ktest_pq");
static volatile int pq_go[8];
static volatile int pq_order[8];
static volatile int pq_n;

static void pq_waiter(void *arg)
{
    int i = (int)(long)arg;
    spin_lock(&pq_lock);
    while (!pq_go[i])
        waitq_wait(&pq_wq, &pq_lock);
    pq_order[pq_n++] = i;
    spin_unlock(&pq_lock);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
}

/* Wakes one waiter and returns the index that ran (-1 if none did). */
static int pq_wake_next(void)
{
    spin_lock(&pq_lock);
    int before = pq_n;
    for (int i = 0; i < 8; i++)
        pq_go[i] = 1; /* whoever is woken may go; the rest wait again */
    spin_unlock(&pq_lock);
    if (!waitq_wake_one(&pq_wq))
        return -1;
    for (int t = 0; t < POLL_MAX && READ_ONCE(pq_n) == before; t++)
        nap();
    spin_lock(&pq_lock);
    int who = pq_n > before ? pq_order[before] : -1;
    for (int i = 0; i < 8; i++)
        pq_go[i] = 0;
    spin_unlock(&pq_lock);
    return who;
}

KTEST(pi_waitq_wakes_highest_priority_first)
{
    /* Waiters queue in index order; priorities 5, 12, 9, 12, 7. Waiter 0
     * is raised to 30 while it waits: it must come first, then the two
     * 12s in arrival order (1, 3), then 9 (2), then 7 (4). */
    static const int prios[5] = {5, 12, 9, 12, 7};
    static const int want[5] = {0, 1, 3, 2, 4};
    struct thread *self = current();
    int old_prio = pi_base_prio(self), old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, 40);
    waitq_init(&pq_wq, "ktest_pq");
    pi_done = 0;
    pq_n = 0;
    for (int i = 0; i < 8; i++)
        pq_go[i] = 0;
    struct thread *ts[5];
    for (int i = 0; i < 5; i++) {
        ts[i] = kthread_create(pq_waiter, (void *)(long)i, prios[i]);
        KT_CHECK(ts[i] != NULL);
        if (!ts[i])
            return;
        KT_CHECK(wait_for(is_blocked, ts[i]));
    }
    sched_set_prio(ts[0], KEEL_SCHED_RR, 30);
    for (int i = 0; i < 5; i++)
        KT_CHECK_EQ(pq_wake_next(), want[i]);
    KT_CHECK(!waitq_wake_one(&pq_wq)); /* nobody left */
    wait_done(5);
    sched_set_prio(self, old_policy, old_prio);
}

/* ---- kmutex priority inheritance, direct and through a chain ---- */

static struct kmutex km_a, km_b;
static volatile int km_stage; /* bits: what each thread has reached */

#define ST_LOW_HOLDS 0x1
#define ST_MID_HOLDS_B 0x2
#define ST_MID_GOT_A 0x4
#define ST_TOP_GOT_B 0x8
#define ST_LOW_RELEASE 0x10 /* the test lets the low thread unlock */
#define ST_MID_RELEASE 0x20

static void stage_set(int bit)
{
    __atomic_fetch_or(&km_stage, bit, __ATOMIC_ACQ_REL);
}
static bool stage_has(int bit)
{
    return __atomic_load_n(&km_stage, __ATOMIC_ACQUIRE) & bit;
}

static void km_low(void *arg)
{
    (void)arg;
    kmutex_lock(&km_a);
    stage_set(ST_LOW_HOLDS);
    while (!stage_has(ST_LOW_RELEASE))
        nap();
    kmutex_unlock(&km_a);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pi_finish))
        nap();
}

/* Holds B, then waits for A (owned by low). */
static void km_mid(void *arg)
{
    (void)arg;
    kmutex_lock(&km_b);
    stage_set(ST_MID_HOLDS_B);
    kmutex_lock(&km_a);
    stage_set(ST_MID_GOT_A);
    while (!stage_has(ST_MID_RELEASE))
        nap();
    kmutex_unlock(&km_a);
    kmutex_unlock(&km_b);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pi_finish))
        nap();
}

static void km_top(void *arg)
{
    (void)arg;
    kmutex_lock(&km_b);
    stage_set(ST_TOP_GOT_B);
    kmutex_unlock(&km_b);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pi_finish))
        nap();
}

static bool waits_on_a(struct thread *t)
{
    return is_blocked(t) && READ_ONCE(t->pi_blocked_on) == &km_a.pi;
}
static bool waits_on_b(struct thread *t)
{
    return is_blocked(t) && READ_ONCE(t->pi_blocked_on) == &km_b.pi;
}

static int prio_of(struct thread *t)
{
    spin_lock(&t->slock);
    int p = t->prio;
    spin_unlock(&t->slock);
    return p;
}

KTEST(pi_kmutex_chain_boosts_and_drops)
{
    struct thread *self = current();
    int old_prio = pi_base_prio(self), old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, 40);
    kmutex_init(&km_a, "ktest_km_a");
    kmutex_init(&km_b, "ktest_km_b");
    km_stage = 0;
    pi_done = 0;
    pi_finish = 0;
    struct thread *low = kthread_create(km_low, NULL, 5);
    KT_CHECK(low != NULL);
    if (!low)
        return;
    for (int i = 0; i < POLL_MAX && !stage_has(ST_LOW_HOLDS); i++)
        nap();
    KT_CHECK(stage_has(ST_LOW_HOLDS));
    struct thread *mid = kthread_create(km_mid, NULL, 15);
    KT_CHECK(mid != NULL);
    if (!mid)
        return;
    KT_CHECK(wait_for(waits_on_a, mid));
    /* Direct: low runs at mid's priority, its base stays 5. */
    KT_CHECK_EQ(prio_of(low), 15);
    KT_CHECK_EQ(pi_base_prio(low), 5);
    struct thread *top = kthread_create(km_top, NULL, 25);
    KT_CHECK(top != NULL);
    if (!top)
        return;
    KT_CHECK(wait_for(waits_on_b, top));
    /* Transitive: top -> B (mid) -> A (low). */
    KT_CHECK_EQ(prio_of(mid), 25);
    KT_CHECK_EQ(prio_of(low), 25);
    /* A waiter's priority change travels the chain too. */
    sched_set_prio(top, KEEL_SCHED_RR, 28);
    KT_CHECK_EQ(prio_of(low), 28);
    sched_set_prio(top, KEEL_SCHED_RR, 25);
    KT_CHECK_EQ(prio_of(low), 25);
    /* Raising the base of a boosted owner counts only above the boost. */
    sched_set_prio(low, KEEL_SCHED_RR, 8);
    KT_CHECK_EQ(prio_of(low), 25);
    KT_CHECK_EQ(pi_base_prio(low), 8);
    /* Low lets go: mid owns A, low drops to its base. */
    stage_set(ST_LOW_RELEASE);
    for (int i = 0; i < POLL_MAX && !stage_has(ST_MID_GOT_A); i++)
        nap();
    KT_CHECK(stage_has(ST_MID_GOT_A));
    KT_CHECK_EQ(prio_of(low), 8);
    KT_CHECK_EQ(prio_of(mid), 25); /* top still waits on B */
    stage_set(ST_MID_RELEASE);
    for (int i = 0; i < POLL_MAX && !stage_has(ST_TOP_GOT_B); i++)
        nap();
    KT_CHECK(stage_has(ST_TOP_GOT_B));
    wait_done(3);
    KT_CHECK_EQ(prio_of(mid), 15);
    KT_CHECK_EQ(prio_of(top), 25);
    KT_CHECK(km_a.pi.owner == NULL && km_b.pi.owner == NULL);
    pi_finish = 1;
    sched_set_prio(self, old_policy, old_prio);
}

/* ---- handoff order: the highest-priority waiter gets the kmutex ---- */

static struct kmutex km_h;
static volatile int kh_order[4];
static volatile int kh_n;

static void kh_waiter(void *arg)
{
    kmutex_lock(&km_h);
    kh_order[kh_n++] = (int)(long)arg; /* under the mutex */
    kmutex_unlock(&km_h);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
}

static bool waits_on_h(struct thread *t)
{
    return is_blocked(t) && READ_ONCE(t->pi_blocked_on) == &km_h.pi;
}

KTEST(pi_kmutex_hands_to_highest_waiter)
{
    static const int prios[4] = {6, 14, 10, 14};
    static const int want[4] = {1, 3, 2, 0};
    struct thread *self = current();
    int old_prio = pi_base_prio(self), old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, 40);
    kmutex_init(&km_h, "ktest_km_h");
    pi_done = 0;
    kh_n = 0;
    kmutex_lock(&km_h);
    for (int i = 0; i < 4; i++) {
        struct thread *t = kthread_create(kh_waiter, (void *)(long)i, prios[i]);
        KT_CHECK(t != NULL);
        if (!t) {
            kmutex_unlock(&km_h);
            return;
        }
        KT_CHECK(wait_for(waits_on_h, t));
    }
    /* We are at 40 already: the waiters lend nothing above that. */
    KT_CHECK_EQ(prio_of(self), 40);
    kmutex_unlock(&km_h);
    KT_CHECK_EQ(prio_of(self), 40);
    wait_done(4);
    for (int i = 0; i < 4; i++)
        KT_CHECK_EQ(kh_order[i], want[i]);
    sched_set_prio(self, old_policy, old_prio);
}

/* ---- the chain bound: PI_CHAIN_MAX owners from a waiter ---- */

#define CD_N (PI_CHAIN_MAX + 2) /* owners 0..CD_N-1 */

static struct kmutex cd_m[CD_N];
static volatile int cd_holds[CD_N];
static volatile int cd_release;

/* Owner i holds cd_m[i], then (i > 0) waits for cd_m[i - 1]. */
static void cd_owner(void *arg)
{
    int i = (int)(long)arg;
    kmutex_lock(&cd_m[i]);
    __atomic_store_n(&cd_holds[i], 1, __ATOMIC_RELEASE);
    if (i == 0) {
        while (!READ_ONCE(cd_release))
            nap();
    } else {
        kmutex_lock(&cd_m[i - 1]);
        kmutex_unlock(&cd_m[i - 1]);
    }
    kmutex_unlock(&cd_m[i]);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pi_finish))
        nap();
}

static void cd_top(void *arg)
{
    (void)arg;
    kmutex_lock(&cd_m[CD_N - 1]);
    kmutex_unlock(&cd_m[CD_N - 1]);
    __atomic_fetch_add(&pi_done, 1, __ATOMIC_RELEASE);
    while (!READ_ONCE(pi_finish))
        nap();
}

static struct pi_lock *cd_want;
static bool waits_on_want(struct thread *t)
{
    return is_blocked(t) && READ_ONCE(t->pi_blocked_on) == cd_want;
}

KTEST(pi_chain_depth_bounded)
{
    /* Owners at priority 5 in a chain CD_N long; a waiter at 30 on the
     * last lock boosts the PI_CHAIN_MAX owners nearest it, not the two
     * beyond. */
    struct thread *self = current();
    int old_prio = pi_base_prio(self), old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, 40);
    pi_done = 0;
    pi_finish = 0;
    cd_release = 0;
    struct thread *ts[CD_N];
    for (int i = 0; i < CD_N; i++) {
        kmutex_init(&cd_m[i], "ktest_cd");
        cd_holds[i] = 0;
    }
    for (int i = 0; i < CD_N; i++) {
        ts[i] = kthread_create(cd_owner, (void *)(long)i, 5);
        KT_CHECK(ts[i] != NULL);
        if (!ts[i])
            return;
        for (int k = 0; k < POLL_MAX && !READ_ONCE(cd_holds[i]); k++)
            nap();
        KT_CHECK(READ_ONCE(cd_holds[i]));
        if (i > 0) {
            cd_want = &cd_m[i - 1].pi;
            KT_CHECK(wait_for(waits_on_want, ts[i]));
        }
    }
    struct thread *top = kthread_create(cd_top, NULL, 30);
    KT_CHECK(top != NULL);
    if (!top)
        return;
    cd_want = &cd_m[CD_N - 1].pi;
    KT_CHECK(wait_for(waits_on_want, top));
    for (int i = 0; i < CD_N; i++) {
        int want = i >= CD_N - PI_CHAIN_MAX ? 30 : 5;
        if (prio_of(ts[i]) != want)
            printk("    owner %d runs at %d\n", i, prio_of(ts[i]));
        KT_CHECK_EQ(prio_of(ts[i]), want);
    }
    cd_release = 1;
    wait_done(CD_N + 1);
    for (int i = 0; i < CD_N; i++)
        KT_CHECK_EQ(prio_of(ts[i]), 5);
    pi_finish = 1;
    sched_set_prio(self, old_policy, old_prio);
}

/* ---- the uncontended path keeps out of the PI bookkeeping ---- */

/* kmutex K4: a free kmutex is taken and given back without the PI core
 * (not on the owner's pi_held); its first waiter links it, so the owner
 * is boosted all the same, and the handoff puts it on the new owner's. */
KTEST(pi_kmutex_uncontended_skips_pi_core)
{
    struct thread *self = current();
    int old_prio = pi_base_prio(self), old_policy = self->policy;
    sched_set_prio(self, KEEL_SCHED_FIFO, 8);
    kmutex_init(&km_h, "ktest_km_u");
    kmutex_lock(&km_h);
    KT_CHECK(kmutex_held(&km_h));
    KT_CHECK(list_empty(&km_h.pi.held_node));
    KT_CHECK(pi_first_held(self) == NULL);
    kmutex_unlock(&km_h);
    KT_CHECK(km_h.pi.owner == NULL);
    KT_CHECK(kmutex_trylock(&km_h));
    KT_CHECK(pi_first_held(self) == NULL);
    /* A waiter at 14: now the lock is ours in the PI core, and lends. */
    pi_done = 0;
    kh_n = 0;
    struct thread *t = kthread_create(kh_waiter, (void *)(long)0, 14);
    KT_CHECK(t != NULL);
    if (t) {
        KT_CHECK(wait_for(waits_on_h, t));
        KT_CHECK(pi_first_held(self) == &km_h.pi);
        KT_CHECK_EQ(prio_of(self), 14);
    }
    kmutex_unlock(&km_h);
    KT_CHECK_EQ(prio_of(self), 8);
    KT_CHECK(pi_first_held(self) == NULL);
    if (t)
        wait_done(1);
    KT_CHECK(km_h.pi.owner == NULL);
    KT_CHECK(list_empty(&km_h.pi.held_node));
    sched_set_prio(self, old_policy, old_prio);
}
