/*
 * pthread mutexes and newlib's locks on the futex (issue 8 item 5):
 * attributes and their errors; the types (errorcheck EDEADLK/EPERM,
 * recursive depth, normal relock deadlocking until timedlock's time,
 * default as errorcheck); trylock EBUSY; timedlock ETIMEDOUT and EINVAL;
 * a contended waiter blocks in the kernel (threadinfo: BLOCKED on a futex
 * queue), never sleeping in steps; counters under contention on every
 * hart for each protocol; PRIO_PROTECT raising the holder to the ceiling
 * (threadinfo shows it) and EINVAL above it; PRIO_INHERIT in the
 * three-thread inversion; malloc from several threads.
 *
 * Thread functions use EXPECT, never CHECK. No test compares against a
 * time limit: only lower bounds of timeouts are checked.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <keel/sched.h>

#include "t_kobj_util.h"
#include "utest.h"

#define MS 1000000ll

/* Polls (bounded, ~20 s: a safety net, not a time check) until thread
 * tid is BLOCKED on a wait queue whose name starts with "futex"; 1 when
 * it was. */
static int wait_blocked_in_futex(int tid)
{
    struct keel_threadinfo ti;
    for (int i = 0; i < 2000; i++) {
        if (kx_ti(getpid(), tid, &ti) && ti.state == KEEL_TSTATE_BLOCKED &&
            !strncmp(ti.wchan, "futex", 5))
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

static int64_t rt_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static struct timespec ts_at(int64_t ns)
{
    return (struct timespec){ns / 1000000000ll, ns % 1000000000ll};
}

TEST(mutex_attr_values)
{
    pthread_mutexattr_t a;
    int v = -1;
    CHECK_RC(pthread_mutexattr_init(&a), 0);
    CHECK_RC(pthread_mutexattr_gettype(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_MUTEX_DEFAULT);
    CHECK_RC(pthread_mutexattr_getprotocol(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PRIO_NONE);
    CHECK_RC(pthread_mutexattr_getprioceiling(&a, &v), 0);
    CHECK_EQ(v, sched_get_priority_max(SCHED_FIFO));
    static const int types[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK,
                                PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_DEFAULT};
    for (int i = 0; i < 4; i++) {
        CHECK_RC(pthread_mutexattr_settype(&a, types[i]), 0);
        CHECK_RC(pthread_mutexattr_gettype(&a, &v), 0);
        CHECK_EQ(v, types[i]);
    }
    CHECK_RC(pthread_mutexattr_settype(&a, 4), EINVAL);
    CHECK_RC(pthread_mutexattr_settype(&a, -1), EINVAL);
    static const int protos[] = {PTHREAD_PRIO_INHERIT, PTHREAD_PRIO_PROTECT,
                                 PTHREAD_PRIO_NONE};
    for (int i = 0; i < 3; i++) {
        CHECK_RC(pthread_mutexattr_setprotocol(&a, protos[i]), 0);
        CHECK_RC(pthread_mutexattr_getprotocol(&a, &v), 0);
        CHECK_EQ(v, protos[i]);
    }
    CHECK_RC(pthread_mutexattr_setprotocol(&a, 3), ENOTSUP);
    CHECK_RC(pthread_mutexattr_setprioceiling(&a, 5), 0);
    CHECK_RC(pthread_mutexattr_getprioceiling(&a, &v), 0);
    CHECK_EQ(v, 5);
    CHECK_RC(pthread_mutexattr_setprioceiling(&a, 0), EINVAL);
    CHECK_RC(pthread_mutexattr_setprioceiling(&a, KEEL_PRIO_MAX + 1), EINVAL);
    CHECK_RC(pthread_mutexattr_destroy(&a), 0);
    /* A destroyed attribute object is refused. */
    pthread_mutex_t m;
    CHECK_RC(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL), EINVAL);
    CHECK_RC(pthread_mutex_init(&m, &a), EINVAL);
    CHECK_RC(pthread_mutexattr_destroy(&a), EINVAL);
    /* The ceiling of a mutex without PRIO_PROTECT: EINVAL. */
    CHECK_RC(pthread_mutex_init(&m, NULL), 0);
    CHECK_RC(pthread_mutex_getprioceiling(&m, &v), EINVAL);
    CHECK_RC(pthread_mutex_setprioceiling(&m, 5, &v), EINVAL);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
}

/* Runs op on m from another thread and returns its result. */
struct other_op {
    pthread_mutex_t *m;
    int op; /* 'u' unlock, 't' trylock, 'l' lock+unlock */
    int rc;
};

static void *other_fn(void *arg)
{
    struct other_op *o = arg;
    if (o->op == 'u')
        o->rc = pthread_mutex_unlock(o->m);
    else if (o->op == 't')
        o->rc = pthread_mutex_trylock(o->m);
    else if ((o->rc = pthread_mutex_lock(o->m)) == 0)
        o->rc = pthread_mutex_unlock(o->m);
    if (o->op == 't' && o->rc == 0)
        pthread_mutex_unlock(o->m);
    return NULL;
}

static int from_other(pthread_mutex_t *m, int op)
{
    struct other_op o = {m, op, -1};
    pthread_t th;
    if (pthread_create(&th, NULL, other_fn, &o) || pthread_join(th, NULL))
        return -2;
    return o.rc;
}

TEST(mutex_errorcheck_and_default)
{
    static const int protos[] = {PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT};
    for (int p = 0; p < 2; p++) {
        for (int k = 0; k < 3; k++) {
            pthread_mutex_t m;
            if (k < 2)
                CHECK_RC(kx_make_mutex(&m,
                                       k ? PTHREAD_MUTEX_DEFAULT
                                         : PTHREAD_MUTEX_ERRORCHECK,
                                       protos[p], 0),
                         0);
            else
                m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
            CHECK_RC(from_other(&m, 'u'), EPERM); /* unlocked */
            CHECK_RC(pthread_mutex_unlock(&m), EPERM);
            CHECK_RC(pthread_mutex_lock(&m), 0);
            CHECK_RC(pthread_mutex_lock(&m), EDEADLK);
            CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
            CHECK_RC(from_other(&m, 't'), EBUSY);
            CHECK_RC(from_other(&m, 'u'), EPERM);
            CHECK_RC(pthread_mutex_destroy(&m), EBUSY);
            CHECK_RC(pthread_mutex_unlock(&m), 0);
            CHECK_RC(pthread_mutex_unlock(&m), EPERM);
            CHECK_RC(from_other(&m, 'l'), 0);
            CHECK_RC(pthread_mutex_destroy(&m), 0);
        }
    }
}

TEST(mutex_recursive_depth)
{
    static const int protos[] = {PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT};
    for (int p = 0; p < 2; p++) {
        pthread_mutex_t m;
        CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_RECURSIVE, protos[p], 0), 0);
        for (int i = 0; i < 5; i++)
            CHECK_RC(pthread_mutex_lock(&m), 0);
        CHECK_RC(pthread_mutex_trylock(&m), 0);
        struct timespec past = {0, 0};
        CHECK_RC(pthread_mutex_timedlock(&m, &past), 0); /* depth 7 */
        CHECK_RC(from_other(&m, 't'), EBUSY);
        CHECK_RC(from_other(&m, 'u'), EPERM);
        for (int i = 0; i < 6; i++)
            CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(from_other(&m, 't'), EBUSY); /* still held once */
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_mutex_unlock(&m), EPERM);
        CHECK_RC(from_other(&m, 't'), 0);
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
}

TEST(mutex_normal_relock_deadlocks)
{
    /* POSIX: a NORMAL mutex relocked by its owner deadlocks. With
     * timedlock the "deadlock" ends at the timeout. */
    pthread_mutex_t m;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE, 0), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
    int64_t dl = rt_ns() + 20 * MS;
    struct timespec t = ts_at(dl);
    CHECK_RC(pthread_mutex_timedlock(&m, &t), ETIMEDOUT);
    CHECK(rt_ns() >= dl);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(from_other(&m, 'l'), 0);
}

/* A holder thread: locks m, signals, waits for release, unlocks. */
struct holder {
    pthread_mutex_t *m;
    volatile int locked, release;
};

static void *holder_fn(void *arg)
{
    struct holder *h = arg;
    EXPECT(pthread_mutex_lock(h->m) == 0);
    __atomic_store_n(&h->locked, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST))
        ut_sleep_ms(1);
    EXPECT(pthread_mutex_unlock(h->m) == 0);
    return NULL;
}

static int start_holder(pthread_t *th, struct holder *h)
{
    int rc = pthread_create(th, NULL, holder_fn, h);
    for (int i = 0; !rc && i < 2000 && !h->locked; i++)
        ut_sleep_ms(10);
    return rc ? rc : h->locked ? 0 : -1;
}

TEST(mutex_timedlock_errors)
{
    static const int protos[] = {PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT};
    for (int p = 0; p < 2; p++) {
        pthread_mutex_t m;
        CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, protos[p], 0), 0);
        /* Free: locked at once, the time is not even looked at. */
        struct timespec bad = {0, 1000000000};
        CHECK_RC(pthread_mutex_timedlock(&m, &bad), 0);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        struct holder h = {&m, 0, 0};
        pthread_t th;
        CHECK_RC(start_holder(&th, &h), 0);
        ut_step("timedlock of a held mutex");
        CHECK_RC(pthread_mutex_timedlock(&m, &bad), EINVAL);
        bad.tv_nsec = -1;
        CHECK_RC(pthread_mutex_timedlock(&m, &bad), EINVAL);
        struct timespec past = {0, 0};
        CHECK_RC(pthread_mutex_timedlock(&m, &past), ETIMEDOUT);
        past.tv_sec = -5;
        CHECK_RC(pthread_mutex_timedlock(&m, &past), ETIMEDOUT);
        int64_t dl = rt_ns() + 20 * MS;
        struct timespec t = ts_at(dl);
        CHECK_RC(pthread_mutex_timedlock(&m, &t), ETIMEDOUT);
        CHECK(rt_ns() >= dl);
        CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
        ut_step("timedlock succeeding once the holder lets go");
        h.release = 1;
        t = ts_at(rt_ns() + 60000 * MS);
        CHECK_RC(pthread_mutex_timedlock(&m, &t), 0);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_join(th, NULL), 0);
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
}

/* A locker the test watches block: lock, record, unlock. */
struct blocked {
    pthread_mutex_t *m;
    volatile int got;
};

static void *blocked_fn(void *arg)
{
    struct blocked *b = arg;
    EXPECT(pthread_mutex_lock(b->m) == 0);
    __atomic_store_n(&b->got, 1, __ATOMIC_SEQ_CST);
    EXPECT(pthread_mutex_unlock(b->m) == 0);
    return NULL;
}

TEST(mutex_contended_blocks_in_kernel)
{
    /* The waiter sleeps on the futex (no polling, no short sleeps) and
     * gets the mutex once it is unlocked. */
    static const int protos[] = {PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT};
    for (int p = 0; p < 2; p++) {
        pthread_mutex_t m;
        CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, protos[p], 0), 0);
        CHECK_RC(pthread_mutex_lock(&m), 0);
        struct blocked b = {&m, 0};
        pthread_t th;
        CHECK_RC(pthread_create(&th, NULL, blocked_fn, &b), 0);
        CHECKF(wait_blocked_in_futex((int)th),
               "protocol %d: the waiter never blocked on the futex", p);
        CHECK_EQ(b.got, 0);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_join(th, NULL), 0);
        CHECK_EQ(b.got, 1);
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
}

#define CNT_THREADS 4
/* Per thread. A contended PI unlock hands the mutex to the waiter, which
 * must be switched in (often on another hart) before anyone can go on:
 * far slower under QEMU than PRIO_NONE's barging, so fewer rounds. */
#define CNT_ITERS 20000
#define CNT_ITERS_PI 1000
static pthread_mutex_t cnt_m;
static volatile long cnt;

static void *cnt_fn(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        if (pthread_mutex_lock(&cnt_m)) {
            EXPECT(0);
            return NULL;
        }
        long c = cnt;
        for (volatile int d = 0; d < 5; d++) /* widen the race window */
            ;
        cnt = c + 1;
        pthread_mutex_unlock(&cnt_m);
    }
    return NULL;
}

TEST(mutex_contended_counter)
{
    static const int protos[] = {PTHREAD_PRIO_NONE, PTHREAD_PRIO_INHERIT};
    static const int types[] = {PTHREAD_MUTEX_DEFAULT, PTHREAD_MUTEX_RECURSIVE};
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 2; k++) {
            static const char *const steps[2][2] = {
                {"PRIO_NONE default", "PRIO_NONE recursive"},
                {"PRIO_INHERIT default", "PRIO_INHERIT recursive"}};
            ut_step(steps[p][k]);
            CHECK_RC(kx_make_mutex(&cnt_m, types[k], protos[p], 0), 0);
            cnt = 0;
            intptr_t n = p ? CNT_ITERS_PI : CNT_ITERS;
            pthread_t th[CNT_THREADS];
            for (int i = 0; i < CNT_THREADS; i++)
                CHECK_RC(pthread_create(&th[i], NULL, cnt_fn, (void *)n), 0);
            for (int i = 0; i < CNT_THREADS; i++)
                CHECK_RC(pthread_join(th[i], NULL), 0);
            CHECKF(cnt == CNT_THREADS * n, "protocol %d type %d: %ld", p, k,
                   cnt);
            CHECK_RC(pthread_mutex_destroy(&cnt_m), 0);
        }
}

TEST(mutex_prio_protect)
{
    int p = kx_own_prio(), ceil = -1;
    CHECK(p > 2);
    CHECK_RC(keel_pthread_getceiling(pthread_self(), &ceil), 0);
    CHECK(ceil >= p + 2);
    int tid = (int)pthread_self();
    struct keel_threadinfo ti;
    pthread_mutex_t lo, hi, below;
    CHECK_RC(kx_make_mutex(&lo, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_PROTECT,
                           p + 1),
             0);
    CHECK_RC(
        kx_make_mutex(&hi, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT, p + 2),
        0);
    CHECK_RC(kx_make_mutex(&below, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT,
                           p - 1),
             0);
    ut_step("lock lo: raised to p+1");
    CHECK_RC(pthread_mutex_lock(&lo), 0);
    CHECK_EQ(kx_runs_at(), p + 1);
    CHECK_EQ(kx_own_prio(), p); /* its own priority: POSIX */
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, p + 1);
    CHECK_RC(pthread_mutex_lock(&lo), EDEADLK);
    CHECK_EQ(kx_runs_at(), p + 1);
    ut_step("lock hi: p+2; unlock lo out of order: still p+2");
    CHECK_RC(pthread_mutex_trylock(&hi), 0);
    CHECK_EQ(kx_runs_at(), p + 2);
    CHECK_RC(pthread_mutex_lock(&below), EINVAL); /* we run above it */
    CHECK_RC(pthread_mutex_unlock(&lo), 0);
    CHECK_EQ(kx_runs_at(), p + 2);
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, p + 2);
    ut_step("unlock hi: back to p");
    CHECK_RC(pthread_mutex_unlock(&hi), 0);
    CHECK_EQ(kx_runs_at(), p);
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, p);
    ut_step("a held ceiling moved by its owner");
    int old = 0, c = 0;
    CHECK_RC(pthread_mutex_lock(&lo), 0);
    CHECK_RC(pthread_mutex_setprioceiling(&lo, p + 2, &old), 0);
    CHECK_EQ(old, p + 1);
    CHECK_EQ(kx_runs_at(), p + 2);
    CHECK_RC(pthread_mutex_getprioceiling(&lo, &c), 0);
    CHECK_EQ(c, p + 2);
    CHECK_RC(pthread_mutex_unlock(&lo), 0);
    CHECK_EQ(kx_runs_at(), p);
    ut_step("a free mutex's ceiling; bad ceilings; timedlock");
    CHECK_RC(pthread_mutex_setprioceiling(&below, p, &old), 0);
    CHECK_EQ(old, p - 1);
    CHECK_RC(pthread_mutex_setprioceiling(&below, 0, &old), EINVAL);
    CHECK_RC(pthread_mutex_lock(&below), 0); /* ceiling p: no change */
    CHECK_EQ(kx_runs_at(), p);
    CHECK_RC(pthread_mutex_unlock(&below), 0);
    struct timespec t = ts_at(rt_ns() + 60000 * MS);
    CHECK_RC(pthread_mutex_timedlock(&hi, &t), 0);
    CHECK_EQ(kx_runs_at(), p + 2);
    CHECK_RC(pthread_mutex_unlock(&hi), 0);
    CHECK_EQ(kx_runs_at(), p);
    ut_step("contended: another thread waits, then holds at the ceiling");
    CHECK_RC(pthread_mutex_lock(&hi), 0);
    struct blocked b = {&hi, 0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, blocked_fn, &b), 0);
    CHECKF(wait_blocked_in_futex((int)th), "the waiter never blocked");
    CHECK_EQ(kx_ti(getpid(), (int)th, &ti), 1);
    CHECK_EQ(ti.priority, p + 2); /* raised before it blocked */
    CHECK_RC(pthread_mutex_unlock(&hi), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(b.got, 1);
    CHECK_EQ(kx_runs_at(), p);
    CHECK_RC(pthread_mutex_destroy(&lo), 0);
    CHECK_RC(pthread_mutex_destroy(&hi), 0);
    CHECK_RC(pthread_mutex_destroy(&below), 0);
}

/* Mode "mutex-pp-above": lowers its own ceiling to 22, then locks a
 * PRIO_PROTECT mutex whose ceiling (30) it may not take: EPERM, and its
 * priority is unchanged. Exits 0 when that held. */
static int mode_mutex_pp_above(int argc, char **argv)
{
    (void)argc, (void)argv;
    int p = kx_own_prio();
    if (p < 1 || p > 22 || keel_pthread_setceiling(pthread_self(), 22))
        return 2;
    pthread_mutex_t m;
    if (kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT, 30))
        return 3;
    if (pthread_mutex_lock(&m) != EPERM)
        return 4;
    if (kx_own_prio() != p || pthread_mutex_trylock(&m) != EPERM)
        return 5;
    return pthread_mutex_destroy(&m) ? 6 : 0;
}

TEST(mutex_prio_protect_above_own_ceiling)
{
    pid_t pid;
    CHECK_RC(
        ut_spawn_self(&pid, NULL, NULL, "mutex-pp-above", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
}

/*
 * PRIO_INHERIT through libc, the three-thread inversion: low (10)
 * holds the mutex, one spinner (15) per hart keeps every hart busy, high
 * (20) blocks on the mutex. Without inheritance low would never run
 * again; with it low runs at 20 (threadinfo: priority 20, base 10),
 * unlocks, and high gets the mutex. On one hart no spinner runs between
 * low's unlock and high's lock (the counters do not move).
 */
#define INV_LOW 10
#define INV_MED 15
#define INV_HIGH 20
#define INV_MAX_SPIN 8
static pthread_mutex_t inv_m;
static volatile int inv_low_holds, inv_release, inv_done;
static volatile uint64_t inv_spins[INV_MAX_SPIN];
static int inv_nspin;
static uint64_t inv_at_release, inv_at_acquire;
static int inv_low_rc = -1, inv_high_rc = -1;

static uint64_t inv_total(void)
{
    uint64_t s = 0;
    for (int i = 0; i < inv_nspin; i++)
        s += __atomic_load_n(&inv_spins[i], __ATOMIC_RELAXED);
    return s;
}

static void *inv_low(void *arg)
{
    (void)arg;
    EXPECT(pthread_mutex_lock(&inv_m) == 0);
    __atomic_store_n(&inv_low_holds, 1, __ATOMIC_RELEASE);
    for (int i = 0;
         i < 2000 && !__atomic_load_n(&inv_release, __ATOMIC_ACQUIRE); i++)
        ut_sleep_ms(10);
    /* Runs only when lent high's priority: the spinners outrank 10. */
    inv_at_release = inv_total();
    inv_low_rc = pthread_mutex_unlock(&inv_m);
    return NULL;
}

static void *inv_spin(void *arg)
{
    volatile uint64_t *c = arg;
    while (!__atomic_load_n(&inv_done, __ATOMIC_ACQUIRE))
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *inv_high(void *arg)
{
    (void)arg;
    struct timespec t = ts_at(rt_ns() + 20000 * MS); /* a safety net */
    inv_high_rc = pthread_mutex_timedlock(&inv_m, &t);
    inv_at_acquire = inv_total();
    __atomic_store_n(&inv_done, 1, __ATOMIC_RELEASE);
    if (inv_high_rc == 0)
        EXPECT(pthread_mutex_unlock(&inv_m) == 0);
    return NULL;
}

static int harts_online(void)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0 || k.harts_online < 1)
        return 1;
    return (int)k.harts_online;
}

TEST(mutex_prio_inherit_inversion)
{
    struct sched_param sp0, sp = {.sched_priority = 40};
    int pol0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    /* Above all three: this thread only polls and sleeps. */
    CHECK_RC(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp), 0);
    CHECK_RC(kx_make_mutex(&inv_m, PTHREAD_MUTEX_ERRORCHECK,
                           PTHREAD_PRIO_INHERIT, 0),
             0);
    inv_low_holds = inv_release = inv_done = 0;
    inv_nspin = harts_online() < INV_MAX_SPIN ? harts_online() : INV_MAX_SPIN;
    pthread_t lo, hi, med[INV_MAX_SPIN];
    CHECK_RC(ut_thread_at(&lo, SCHED_FIFO, INV_LOW, inv_low, NULL), 0);
    for (int i = 0; i < 2000 && !inv_low_holds; i++)
        ut_sleep_ms(10);
    CHECKF(inv_low_holds, "low never took the mutex");
    for (int i = 0; i < inv_nspin; i++) {
        inv_spins[i] = 0;
        CHECK_RC(ut_thread_at(&med[i], SCHED_FIFO, INV_MED, inv_spin,
                              (void *)&inv_spins[i]),
                 0);
    }
    CHECK_RC(ut_thread_at(&hi, SCHED_FIFO, INV_HIGH, inv_high, NULL), 0);
    CHECKF(wait_blocked_in_futex((int)hi), "high never blocked on the mutex");
    struct keel_threadinfo ti;
    CHECK_EQ(kx_ti(getpid(), (int)lo, &ti), 1);
    CHECK_EQ(ti.priority, INV_HIGH);
    CHECK_EQ(ti.base_priority, INV_LOW);
    __atomic_store_n(&inv_release, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(hi, NULL), 0);
    CHECK_RC(pthread_join(lo, NULL), 0);
    for (int i = 0; i < inv_nspin; i++)
        CHECK_RC(pthread_join(med[i], NULL), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
    CHECK_EQ(inv_low_rc, 0);
    CHECK_EQ(inv_high_rc, 0);
    if (inv_nspin == 1)
        CHECK_EQ(inv_at_acquire, inv_at_release);
    CHECK_RC(pthread_mutex_destroy(&inv_m), 0);
}

/* newlib's locks: malloc and free from several threads at once. */
#define MALLOC_ITERS 3000

static void *malloc_fn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *keep[8] = {0};
    for (int i = 0; i < MALLOC_ITERS; i++) {
        int k = i & 7;
        if (keep[k]) {
            uint8_t *b = keep[k];
            size_t n = 16 + ((i - 8) * 37 + seed) % 300;
            for (size_t j = 0; j < n; j++)
                if (b[j] != (uint8_t)(seed + j)) {
                    EXPECT(!"a block changed under its owner");
                    return NULL;
                }
            free(b);
        }
        size_t n = 16 + (i * 37 + seed) % 300;
        uint8_t *b = malloc(n);
        if (!b) {
            EXPECT(!"malloc failed");
            return NULL;
        }
        for (size_t j = 0; j < n; j++)
            b[j] = (uint8_t)(seed + j);
        keep[k] = b;
    }
    for (int k = 0; k < 8; k++)
        free(keep[k]);
    return NULL;
}

TEST(newlib_locks_contended_malloc)
{
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, malloc_fn, (void *)(i * 11 + 1)),
                 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
}

const struct utest ut_mutex_tests[] = {
    UT_CASE(mutex_attr_values),
    UT_CASE(mutex_errorcheck_and_default),
    UT_CASE(mutex_recursive_depth),
    UT_CASE(mutex_normal_relock_deadlocks),
    UT_CASE(mutex_timedlock_errors),
    UT_CASE(mutex_contended_blocks_in_kernel),
    UT_CASE(mutex_contended_counter),
    UT_CASE(mutex_prio_protect),
    UT_CASE(mutex_prio_protect_above_own_ceiling),
    UT_CASE(mutex_prio_inherit_inversion),
    UT_CASE(newlib_locks_contended_malloc),
    UT_END,
};

const struct ut_mode ut_mutex_modes[] = {
    {"mutex-pp-above", mode_mutex_pp_above},
    UT_MODE_END,
};
