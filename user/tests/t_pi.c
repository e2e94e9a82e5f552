/*
 * Priority-inheriting futexes (issue 8 item 5): KEEL_FUTEX_LOCK_PI,
 * UNLOCK_PI and TRYLOCK_PI through raw syscalls.
 *  - the three-thread inversion: low holds the word, high blocks on it,
 *    medium spinners fill every hart; high gets the word only because low
 *    is boosted, and on one hart no medium ran between low's release and
 *    high's acquisition (a progress counter, never a clock);
 *  - a chain of three owners: the boost is visible in threadinfo at both
 *    owners (effective priority, base unchanged) and drops at unlock;
 *  - errors: EPERM (unlock not owned), EDEADLK (own word), EBUSY
 *    (trylock held), ETIMEDOUT (absolute deadline, a lower bound only);
 *  - an owner exiting with a waiter hands over with OWNER_DIED, one that
 *    exits uncontended leaves a word the next locker takes (OWNER_DIED);
 *  - waiters killed with their process leave cleanly.
 * Thread functions use EXPECT, never CHECK; every wait is a bounded poll.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "t_kobj_util.h"
#include "utest.h"

#define MS 1000000ll

static long fx(volatile uint32_t *uaddr, int op, const struct keel_timespec *ts)
{
    return keel_syscall6(SYS_futex, (long)uaddr, op, 0, (long)ts, 0, 0);
}

/* The caller's lock id: its thread cap slot, as libc records it. */
static uint32_t my_id(void)
{
    return (uint32_t)keel_syscall6(SYS_thread_self, 0, 0, 0, 0, 0, 0);
}

/* The uncontended path, in user space. */
static int try_user_lock(volatile uint32_t *w)
{
    uint32_t z = 0;
    return __atomic_compare_exchange_n(w, &z, my_id(), 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* An absolute CLOCK_MONOTONIC deadline ns from now. */
static struct keel_timespec deadline_in(int64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t a = (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec + ns;
    return (struct keel_timespec){a / 1000000000ll, a % 1000000000ll};
}

/* Polls (bounded, ~20 s) until thread tid sleeps on the PI futex. */
static int wait_pi_blocked(int tid)
{
    struct keel_threadinfo ti;
    for (int i = 0; i < 2000; i++) {
        if (kx_ti(getpid(), tid, &ti) && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, "futex_pi"))
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

static int wait_flag(volatile int *f)
{
    for (int i = 0; i < 2000 && !__atomic_load_n(f, __ATOMIC_ACQUIRE); i++)
        ut_sleep_ms(10);
    return __atomic_load_n(f, __ATOMIC_ACQUIRE);
}

static void self_prio(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

static int harts_online(void)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0 || k.harts_online < 1)
        return 1;
    return (int)k.harts_online;
}

/* ---- the three-thread inversion ---- */

#define INV_LOW 10
#define INV_MED 15
#define INV_HIGH 20
#define INV_MAX_SPIN 8

static volatile uint32_t inv_word;
static volatile int inv_low_holds, inv_may_release, inv_done;
static volatile uint64_t inv_med_count[INV_MAX_SPIN];
static uint64_t inv_at_release, inv_at_acquire;
static long inv_high_r, inv_low_r;
static int inv_nspin;

static uint64_t inv_med_total(void)
{
    uint64_t s = 0;
    for (int i = 0; i < inv_nspin; i++)
        s += __atomic_load_n(&inv_med_count[i], __ATOMIC_RELAXED);
    return s;
}

static void *inv_low(void *arg)
{
    (void)arg;
    EXPECT(try_user_lock(&inv_word));
    __atomic_store_n(&inv_low_holds, 1, __ATOMIC_RELEASE);
    wait_flag(&inv_may_release);
    /* Runs only when boosted (the spinners outrank our base). */
    inv_at_release = inv_med_total();
    inv_low_r = fx(&inv_word, KEEL_FUTEX_UNLOCK_PI, NULL);
    return NULL;
}

static void *inv_med(void *arg)
{
    volatile uint64_t *c = arg;
    while (!__atomic_load_n(&inv_done, __ATOMIC_ACQUIRE))
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *inv_high(void *arg)
{
    (void)arg;
    struct keel_timespec d = deadline_in(5000 * MS); /* a safety net */
    inv_high_r = fx(&inv_word, KEEL_FUTEX_LOCK_PI, &d);
    inv_at_acquire = inv_med_total();
    __atomic_store_n(&inv_done, 1, __ATOMIC_RELEASE);
    if (inv_high_r == 0) {
        EXPECT(inv_word == my_id()); /* no other waiter: no WAITERS bit */
        EXPECT(fx(&inv_word, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    }
    return NULL;
}

TEST(pi_inversion_three_threads)
{
    struct sched_param sp0;
    int pol0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    self_prio(40); /* above all three: we only poll and sleep */
    inv_word = 0;
    inv_low_holds = inv_may_release = inv_done = 0;
    inv_nspin = harts_online();
    if (inv_nspin > INV_MAX_SPIN)
        inv_nspin = INV_MAX_SPIN;
    pthread_t lo, hi, med[INV_MAX_SPIN];
    CHECK_RC(ut_thread_at(&lo, SCHED_FIFO, INV_LOW, inv_low, NULL), 0);
    CHECKF(wait_flag(&inv_low_holds), "low never took the word");
    /* One spinner per hart: without PI low never runs again. */
    for (int i = 0; i < inv_nspin; i++) {
        inv_med_count[i] = 0;
        CHECK_RC(ut_thread_at(&med[i], SCHED_FIFO, INV_MED, inv_med,
                              (void *)&inv_med_count[i]),
                 0);
    }
    CHECK_RC(ut_thread_at(&hi, SCHED_FIFO, INV_HIGH, inv_high, NULL), 0);
    CHECKF(wait_pi_blocked((int)hi), "high never blocked on the word");
    CHECK_EQ(inv_word, (uint32_t)lo | KEEL_FUTEX_WAITERS);
    struct keel_threadinfo ti;
    CHECK(kx_ti(getpid(), (int)lo, &ti));
    CHECK_EQ(ti.priority, INV_HIGH); /* boosted */
    CHECK_EQ(ti.base_priority, INV_LOW);
    __atomic_store_n(&inv_may_release, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(hi, NULL), 0);
    CHECK_RC(pthread_join(lo, NULL), 0);
    for (int i = 0; i < inv_nspin; i++)
        CHECK_RC(pthread_join(med[i], NULL), 0);
    pthread_setschedparam(pthread_self(), pol0, &sp0);
    CHECK_EQ(inv_low_r, 0);
    CHECK_EQ(inv_high_r, 0);
    if (harts_online() == 1) /* high ran right after low let go */
        CHECK_EQ(inv_at_acquire, inv_at_release);
    CHECK_EQ(inv_word, 0);
}

/* ---- a chain of three owners ---- */

static volatile uint32_t ch_w1, ch_w2;
static volatile int ch_a_holds, ch_b_holds, ch_a_release, ch_b_release;
static long ch_b_r, ch_c_r;

static void *ch_a(void *arg)
{
    (void)arg;
    EXPECT(fx(&ch_w1, KEEL_FUTEX_TRYLOCK_PI, NULL) == 0);
    __atomic_store_n(&ch_a_holds, 1, __ATOMIC_RELEASE);
    wait_flag(&ch_a_release);
    EXPECT(fx(&ch_w1, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    return NULL;
}

static void *ch_b(void *arg)
{
    (void)arg;
    EXPECT(try_user_lock(&ch_w2));
    __atomic_store_n(&ch_b_holds, 1, __ATOMIC_RELEASE);
    ch_b_r = fx(&ch_w1, KEEL_FUTEX_LOCK_PI, NULL); /* owned by a */
    wait_flag(&ch_b_release);
    EXPECT(fx(&ch_w1, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    EXPECT(fx(&ch_w2, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    return NULL;
}

static void *ch_c(void *arg)
{
    (void)arg;
    ch_c_r = fx(&ch_w2, KEEL_FUTEX_LOCK_PI, NULL); /* owned by b */
    if (ch_c_r == 0)
        EXPECT(fx(&ch_w2, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    return NULL;
}

TEST(pi_chain_three_owners)
{
    struct sched_param sp0;
    int pol0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    self_prio(40);
    ch_w1 = ch_w2 = 0;
    ch_a_holds = ch_b_holds = ch_a_release = ch_b_release = 0;
    ch_b_r = ch_c_r = -1;
    pthread_t a, b, c;
    CHECK_RC(ut_thread_at(&a, SCHED_FIFO, 10, ch_a, NULL), 0);
    CHECKF(wait_flag(&ch_a_holds), "a never took w1");
    CHECK_RC(ut_thread_at(&b, SCHED_FIFO, 15, ch_b, NULL), 0);
    CHECKF(wait_flag(&ch_b_holds), "b never took w2");
    CHECKF(wait_pi_blocked((int)b), "b never blocked on w1");
    struct keel_threadinfo ti;
    CHECK(kx_ti(getpid(), (int)a, &ti));
    CHECK_EQ(ti.priority, 15);
    CHECK_RC(ut_thread_at(&c, SCHED_FIFO, 25, ch_c, NULL), 0);
    CHECKF(wait_pi_blocked((int)c), "c never blocked on w2");
    /* c -> w2 (b) -> w1 (a): both owners run at c's priority. */
    CHECK(kx_ti(getpid(), (int)b, &ti));
    CHECK_EQ(ti.priority, 25);
    CHECK_EQ(ti.base_priority, 15);
    CHECK(kx_ti(getpid(), (int)a, &ti));
    CHECK_EQ(ti.priority, 25);
    CHECK_EQ(ti.base_priority, 10);
    /* getschedparam reports the base, never the boost. */
    struct sched_param sp;
    int pol;
    CHECK_RC(pthread_getschedparam(a, &pol, &sp), 0);
    CHECK_EQ(sp.sched_priority, 10);
    __atomic_store_n(&ch_a_release, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(a, NULL), 0);
    /* b owns w1 now (no one waits on it), c still waits on w2. */
    CHECK_EQ(ch_w1, (uint32_t)b);
    CHECK(kx_ti(getpid(), (int)b, &ti));
    CHECK_EQ(ti.priority, 25);
    __atomic_store_n(&ch_b_release, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(b, NULL), 0);
    CHECK_RC(pthread_join(c, NULL), 0);
    pthread_setschedparam(pthread_self(), pol0, &sp0);
    CHECK_EQ(ch_b_r, 0);
    CHECK_EQ(ch_c_r, 0);
    CHECK_EQ(ch_w1, 0);
    CHECK_EQ(ch_w2, 0);
}

/* ---- errors ---- */

static volatile uint32_t er_word;
static long er_r;
static int64_t er_waited;

static void *er_unlocker(void *arg)
{
    (void)arg;
    er_r = fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL);
    return NULL;
}

TEST(pi_unlock_not_owned_eperm)
{
    er_word = 0;
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL), -EPERM); /* free */
    CHECK(try_user_lock(&er_word));
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, er_unlocker, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(er_r, -EPERM); /* someone else's */
    CHECK_EQ(er_word, my_id());
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(er_word, 0);
}

TEST(pi_own_word_edeadlk_and_trylock)
{
    er_word = 0;
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_TRYLOCK_PI, NULL), 0);
    CHECK_EQ(er_word, my_id());
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_LOCK_PI, NULL), -EDEADLK);
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_TRYLOCK_PI, NULL), -EDEADLK);
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(er_word, 0);
    /* Misaligned and unmapped words. */
    CHECK_EQ(fx((volatile uint32_t *)((char *)&er_word + 1), KEEL_FUTEX_LOCK_PI,
                NULL),
             -EINVAL);
    CHECK_EQ(fx((volatile uint32_t *)8, KEEL_FUTEX_UNLOCK_PI, NULL), -EFAULT);
}

/* LOCK_PI with the deadline arg points at, or 50 ms from now. */
static void *er_locker(void *arg)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct keel_timespec d =
        arg ? *(struct keel_timespec *)arg : deadline_in(50 * MS);
    er_r = fx(&er_word, KEEL_FUTEX_LOCK_PI, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    er_waited = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ll +
                (t1.tv_nsec - t0.tv_nsec);
    return NULL;
}

static void *er_trylocker(void *arg)
{
    (void)arg;
    er_r = fx(&er_word, KEEL_FUTEX_TRYLOCK_PI, NULL);
    return NULL;
}

TEST(pi_lock_timeout)
{
    er_word = 0;
    CHECK(try_user_lock(&er_word));
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, er_trylocker, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(er_r, -EBUSY);
    CHECK_RC(pthread_create(&th, NULL, er_locker, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(er_r, -ETIMEDOUT);
    CHECK(er_waited >= 50 * MS); /* a lower bound only */
    /* The waiter left: the word is ours, with the WAITERS bit it set,
     * and unlocking it frees it. */
    CHECK_EQ(er_word & KEEL_FUTEX_TID_MASK, my_id());
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(er_word, 0);
    /* A deadline already past, on a held word: at once. */
    CHECK(try_user_lock(&er_word));
    struct keel_timespec past = deadline_in(-1 * MS);
    CHECK_RC(pthread_create(&th, NULL, er_locker, (void *)&past), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(er_r, -ETIMEDOUT);
    CHECK_EQ(fx(&er_word, KEEL_FUTEX_UNLOCK_PI, NULL), 0);
}

/* ---- owners that exit holding the word ---- */

static volatile uint32_t od_word;
static volatile int od_holds;
static long od_r;
static uint32_t od_got;

static void *od_owner(void *arg)
{
    (void)arg;
    EXPECT(try_user_lock(&od_word));
    __atomic_store_n(&od_holds, 1, __ATOMIC_RELEASE);
    if (arg) /* wait for the waiter, then exit holding the word */
        while (
            !(__atomic_load_n(&od_word, __ATOMIC_ACQUIRE) & KEEL_FUTEX_WAITERS))
            ut_sleep_ms(1);
    return NULL;
}

static void *od_waiter(void *arg)
{
    (void)arg;
    od_r = fx(&od_word, KEEL_FUTEX_LOCK_PI, NULL);
    od_got = od_word;
    if (od_r == 0)
        EXPECT(fx(&od_word, KEEL_FUTEX_UNLOCK_PI, NULL) == 0);
    return NULL;
}

TEST(pi_owner_exits_owner_died)
{
    /* With a waiter: the exit hands the word over. */
    od_word = 0;
    od_holds = 0;
    od_r = -1;
    pthread_t o, w;
    CHECK_RC(pthread_create(&o, NULL, od_owner, (void *)1), 0);
    CHECKF(wait_flag(&od_holds), "the owner never took the word");
    CHECK_RC(pthread_create(&w, NULL, od_waiter, NULL), 0);
    CHECK_RC(pthread_join(o, NULL), 0);
    CHECK_RC(pthread_join(w, NULL), 0);
    CHECK_EQ(od_r, 0);
    CHECK_EQ(od_got, (uint32_t)w | KEEL_FUTEX_OWNER_DIED);
    CHECK_EQ(od_word, 0);
    /* Uncontended: the word still names the dead owner; the next locker
     * takes it. */
    od_word = 0;
    od_holds = 0;
    CHECK_RC(pthread_create(&o, NULL, od_owner, NULL), 0);
    CHECK_RC(pthread_join(o, NULL), 0);
    CHECK_EQ(od_word, (uint32_t)o);
    CHECK_EQ(fx(&od_word, KEEL_FUTEX_LOCK_PI, NULL), 0);
    CHECK_EQ(od_word, my_id() | KEEL_FUTEX_OWNER_DIED);
    CHECK_EQ(fx(&od_word, KEEL_FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(od_word, 0);
}

/* ---- waiters killed with their process ---- */

static volatile uint32_t kw_word;

static void *kw_waiter(void *arg)
{
    (void)arg;
    fx(&kw_word, KEEL_FUTEX_LOCK_PI, NULL);
    return NULL;
}

/* Mode "pi-sleeper": holds a PI word with two threads blocked on it. */
static int mode_pi_sleeper(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!try_user_lock(&kw_word))
        return 1;
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, kw_waiter, NULL))
            return 2;
    for (int i = 0; i < 600; i++) /* killed long before this ends */
        ut_sleep_ms(100);
    return 3;
}

static int count_pi_sleepers(pid_t pid)
{
    struct keel_threadinfo ti;
    int n = 0;
    for (int i = 0; i < 4096 && keel_threadinfo(i, &ti) > 0; i++)
        if (ti.pid == pid && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, "futex_pi"))
            n++;
    return n;
}

TEST(pi_waiters_killed)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "pi-sleeper", NULL, NULL, NULL),
             0);
    int i;
    for (i = 0; i < 2000 && count_pi_sleepers(pid) != 2; i++)
        ut_sleep_ms(10);
    CHECKF(i < 2000, "the child's two waiters never blocked");
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
}

const struct utest ut_pi_tests[] = {
    UT_CASE(pi_inversion_three_threads),
    UT_CASE(pi_chain_three_owners),
    UT_CASE(pi_unlock_not_owned_eperm),
    UT_CASE(pi_own_word_edeadlk_and_trylock),
    UT_CASE(pi_lock_timeout),
    UT_CASE(pi_owner_exits_owner_died),
    UT_CASE(pi_waiters_killed),
    UT_END,
};

const struct ut_mode ut_pi_modes[] = {
    {"pi-sleeper", mode_pi_sleeper},
    UT_MODE_END,
};
