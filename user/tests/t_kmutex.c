/*
 * Issue 9: kernel mutex objects (CAP_TYPE_MUTEX) behind process-shared
 * and robust pthread mutexes: every POSIX error, robust owner death
 * (threads and processes), cross-process use through spawn inheritance
 * and cap_transfer, priority inheritance across processes, revoke while
 * blocked, quota exhaustion, forged and stale slots, no leaks.
 *
 * The cross-process tests are in t_kmutex_xproc.c, the helper process and
 * utilities in t_kobj_util.c.
 */
#include <fcntl.h>
#include <keel/obj.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "t_kobj_util.h"
#include "ut_peer.h"

/* ---- attributes ---- */

TEST(kmx_attrs)
{
    pthread_mutexattr_t a;
    int v;
    CHECK_RC(pthread_mutexattr_init(&a), 0);
    CHECK_RC(pthread_mutexattr_getrobust(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_MUTEX_STALLED);
    CHECK_RC(pthread_mutexattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_RC(pthread_mutexattr_setrobust(&a, 2), EINVAL);
    CHECK_RC(pthread_mutexattr_setpshared(&a, 2), EINVAL);
    CHECK_RC(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_RC(pthread_mutexattr_getrobust(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_MUTEX_ROBUST);
    CHECK_RC(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_RC(pthread_mutexattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_mutexattr_getrobust(NULL, &v), EINVAL);
    CHECK_RC(pthread_mutexattr_getpshared(&a, NULL), EINVAL);
    CHECK_RC(pthread_mutexattr_destroy(&a), 0);
    CHECK_RC(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), EINVAL);

    long o0 = kx_objects();
    pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER, rb, ps;
    CHECK_EQ(keel_mutex_slot(&plain), -1);
    CHECK_RC(pthread_mutex_consistent(&plain), EINVAL); /* never robust */
    CHECK_RC(kx_mutex(&rb, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    CHECK_RC(kx_mutex(&ps, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_EQ(kx_objects(), o0 + 2);
    struct cap_info ci;
    int s1 = keel_mutex_slot(&rb), s2 = keel_mutex_slot(&ps);
    CHECK(s1 >= 0 && s2 >= 0 && s1 != s2);
    CHECK_OK(cap_info(s1, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_MUTEX);
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE); /* no GRANT */
    CHECK_OK(cap_info(s2, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_MUTEX);
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
    CHECK_RC(pthread_mutex_consistent(&rb), EINVAL); /* not inconsistent */
    CHECK_RC(pthread_mutex_destroy(&rb), 0);
    CHECK_RC(pthread_mutex_destroy(&ps), 0);
    CHECK_ERRNO(cap_info(s1, &ci), EBADF);
    CHECK_ERRNO(cap_info(s2, &ci), EBADF);
    CHECK_EQ(kx_objects(), o0);
}

TEST(kmx_types_and_errors)
{
    long o0 = kx_objects();
    pthread_mutex_t m;
    /* errorcheck (and default, which behaves as errorcheck) */
    for (int ty = 0; ty < 2; ty++) {
        CHECK_RC(kx_mutex(&m,
                          ty ? PTHREAD_MUTEX_DEFAULT : PTHREAD_MUTEX_ERRORCHECK,
                          PTHREAD_PRIO_NONE, PTHREAD_MUTEX_ROBUST,
                          PTHREAD_PROCESS_PRIVATE),
                 0);
        CHECK_RC(pthread_mutex_unlock(&m), EPERM); /* not locked */
        CHECK_RC(pthread_mutex_lock(&m), 0);
        CHECK_RC(pthread_mutex_lock(&m), EDEADLK);
        CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
        CHECK_RC(kx_other(&m, 'T'), EBUSY);
        CHECK_RC(kx_other(&m, 'U'), EPERM);
        CHECK_RC(kx_other(&m, 't'), ETIMEDOUT);
        CHECK_RC(kx_other(&m, 'e'), EINVAL); /* it would block */
        CHECK_RC(pthread_mutex_destroy(&m), EBUSY);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_mutex_unlock(&m), EPERM);
        CHECK_RC(kx_other(&m, 'e'), 0); /* free: the time is not looked at */
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
    /* recursive */
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_trylock(&m), 0);
    struct timespec ts = kx_in(CLOCK_REALTIME, 10 * MS);
    CHECK_RC(pthread_mutex_timedlock(&m, &ts), 0);
    CHECK_RC(kx_other(&m, 'T'), EBUSY);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_unlock(&m), EPERM);
    CHECK_RC(kx_other(&m, 'L'), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    /* normal: the owner relocking deadlocks (until the time) */
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    uint64_t t0 = ut_now_ns();
    ts = kx_in(CLOCK_REALTIME, 20 * MS);
    CHECK_RC(pthread_mutex_timedlock(&m, &ts), ETIMEDOUT);
    CHECK(ut_now_ns() - t0 >= 19 * MS);
    CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    /* a protected one: the ceiling lives in the object */
    pthread_mutexattr_t a;
    int c, old;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
    pthread_mutexattr_setprioceiling(&a, 30);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_mutex_init(&m, &a), 0);
    pthread_mutexattr_destroy(&a);
    CHECK_RC(pthread_mutex_getprioceiling(&m, &c), 0);
    CHECK_EQ(c, 30);
    CHECK_RC(pthread_mutex_setprioceiling(&m, 100, &old), EINVAL);
    struct sched_param sp;
    int pol;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    int own = sp.sched_priority;
    struct keel_threadinfo ti;
    int tid = (int)pthread_self();
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, 30); /* raised to the ceiling */
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    CHECK_EQ(sp.sched_priority, own); /* its own priority stays */
    CHECK_RC(pthread_mutex_setprioceiling(&m, 32, &old), 0);
    CHECK_EQ(old, 30);
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, 32);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(kx_ti(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.priority, own);
    CHECK_RC(pthread_mutex_getprioceiling(&m, &c), 0);
    CHECK_EQ(c, 32);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* ---- robust: a thread exits holding it ---- */

TEST(kmx_robust_thread_exit)
{
    long o0 = kx_objects();
    pthread_mutex_t m;
    for (int pi = 0; pi < 2; pi++) {
        CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK,
                          pi ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_NONE,
                          PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
                 0);
        CHECK_RC(kx_other(&m, 'D'), 0); /* died holding it */
        CHECK_RC(pthread_mutex_lock(&m), EOWNERDEAD);
        CHECK_RC(pthread_mutex_consistent(&m), 0);
        CHECK_RC(pthread_mutex_consistent(&m), EINVAL);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_mutex_lock(&m), 0); /* repaired */
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        /* again, and this time nobody repairs it */
        CHECK_RC(kx_other(&m, 'D'), 0);
        CHECK_RC(pthread_mutex_trylock(&m), EOWNERDEAD);
        CHECK_RC(kx_other(&m, 'T'), EBUSY);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_mutex_lock(&m), ENOTRECOVERABLE);
        CHECK_RC(pthread_mutex_trylock(&m), ENOTRECOVERABLE);
        CHECK_RC(kx_other(&m, 'L'), ENOTRECOVERABLE);
        CHECK_RC(pthread_mutex_consistent(&m), EINVAL);
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
    /* not robust: the next locker is told once, the mutex stays usable */
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_RC(kx_other(&m, 'D'), 0);
    CHECK_RC(pthread_mutex_lock(&m), EOWNERDEAD);
    CHECK_RC(pthread_mutex_consistent(&m), EINVAL);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* ---- the owner's records: one pointer, then a list ---- */

/* The kernel records the first kernel mutex a thread takes in one
 * pointer (kmx_one) and any more on a list (include/kmx.h); unlocks in
 * any order and an exit holding some from each must find every one. */
static pthread_mutex_t kr_m[4];

static void *kr_thread(void *p)
{
    int *r = p;
    r[0] = pthread_mutex_lock(&kr_m[0]);    /* kmx_one */
    r[1] = pthread_mutex_lock(&kr_m[1]);    /* the list */
    r[2] = pthread_mutex_lock(&kr_m[2]);    /* the list */
    r[3] = pthread_mutex_unlock(&kr_m[0]);  /* kmx_one free again */
    r[4] = pthread_mutex_lock(&kr_m[3]);    /* kmx_one */
    r[5] = pthread_mutex_unlock(&kr_m[2]);  /* off the list */
    r[6] = pthread_mutex_unlock(&kr_m[0]);  /* not held any more */
    r[7] = pthread_mutex_trylock(&kr_m[2]); /* the list again */
    r[8] = pthread_mutex_unlock(&kr_m[2]);
    return NULL; /* exits holding 1 (list) and 3 (kmx_one) */
}

TEST(kmx_owner_records_mixed)
{
    long o0 = kx_objects();
    for (int i = 0; i < 4; i++)
        CHECK_RC(kx_mutex(&kr_m[i], PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
                          PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
                 0);
    int r[9];
    for (int i = 0; i < 9; i++)
        r[i] = -1;
    pthread_t t;
    CHECK_RC(pthread_create(&t, NULL, kr_thread, r), 0);
    CHECK_RC(pthread_join(t, NULL), 0);
    const int want[9] = {0, 0, 0, 0, 0, 0, EPERM, 0, 0};
    for (int i = 0; i < 9; i++)
        CHECK_EQ(r[i], want[i]);
    CHECK_RC(pthread_mutex_lock(&kr_m[0]), 0); /* released in time */
    CHECK_RC(pthread_mutex_lock(&kr_m[1]), EOWNERDEAD);
    CHECK_RC(pthread_mutex_lock(&kr_m[2]), 0);
    CHECK_RC(pthread_mutex_lock(&kr_m[3]), EOWNERDEAD);
    /* this thread's own four, unlocked out of order */
    CHECK_RC(pthread_mutex_consistent(&kr_m[1]), 0);
    CHECK_RC(pthread_mutex_consistent(&kr_m[3]), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m[2]), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m[0]), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m[3]), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m[1]), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m[1]), EPERM);
    for (int i = 0; i < 4; i++) {
        CHECK_RC(kx_other(&kr_m[i], 'L'), 0);
        CHECK_RC(pthread_mutex_destroy(&kr_m[i]), 0);
    }
    CHECK_EQ(kx_objects(), o0);
}

/* ---- robust: waiters blocked when the owner dies ---- */

static pthread_mutex_t kw_m;
static volatile int kw_go, kw_held;

static void *kw_owner(void *p)
{
    (void)p;
    if (pthread_mutex_lock(&kw_m))
        return NULL;
    __atomic_store_n(&kw_held, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&kw_go, __ATOMIC_ACQUIRE))
        ut_sleep_ms(2);
    return NULL; /* exits holding it */
}

struct kw_waiter {
    pthread_t th;
    int tid;
    int r, r2;
    int consistent; /* repair it */
};

static void *kw_wait(void *p)
{
    struct kw_waiter *w = p;
    w->tid = (int)keel_syscall6(SYS_thread_self, 0, 0, 0, 0, 0, 0);
    w->r = pthread_mutex_lock(&kw_m);
    if (w->r == EOWNERDEAD && w->consistent)
        pthread_mutex_consistent(&kw_m);
    if (w->r == 0 || w->r == EOWNERDEAD)
        w->r2 = pthread_mutex_unlock(&kw_m);
    return NULL;
}

TEST(kmx_robust_waiters_owner_dies)
{
    long o0 = kx_objects();
    for (int pi = 0; pi < 2; pi++) {
        CHECK_RC(kx_mutex(&kw_m, PTHREAD_MUTEX_ERRORCHECK,
                          pi ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_NONE,
                          PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
                 0);
        const char *wchan = pi ? "mutex" : "kmutex_obj";
        kw_go = kw_held = 0;
        pthread_t o;
        struct kw_waiter w[2] = {{.tid = -1}, {.tid = -1}};
        CHECK_RC(pthread_create(&o, NULL, kw_owner, NULL), 0);
        while (!__atomic_load_n(&kw_held, __ATOMIC_ACQUIRE))
            ut_sleep_ms(2);
        for (int i = 0; i < 2; i++) {
            CHECK_RC(pthread_create(&w[i].th, NULL, kw_wait, &w[i]), 0);
            while (__atomic_load_n(&w[i].tid, __ATOMIC_ACQUIRE) < 0)
                ut_sleep_ms(2);
            CHECKF(kx_wait_blocked(getpid(), w[i].tid, wchan),
                   "waiter %d never blocked on %s", i, wchan);
        }
        __atomic_store_n(&kw_go, 1, __ATOMIC_RELEASE);
        CHECK_RC(pthread_join(o, NULL), 0);
        for (int i = 0; i < 2; i++)
            CHECK_RC(pthread_join(w[i].th, NULL), 0);
        /* one got EOWNERDEAD and unlocked without repairing it: the
         * other (still waiting then, or locking after) is refused */
        CHECKF((w[0].r == EOWNERDEAD && w[1].r == ENOTRECOVERABLE) ||
                   (w[1].r == EOWNERDEAD && w[0].r == ENOTRECOVERABLE),
               "pi %d: waiters got %d and %d", pi, w[0].r, w[1].r);
        CHECK_RC(pthread_mutex_lock(&kw_m), ENOTRECOVERABLE);
        CHECK_RC(pthread_mutex_destroy(&kw_m), 0);
    }
    /* with a repair, the second waiter gets the mutex as usual */
    CHECK_RC(kx_mutex(&kw_m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    kw_go = kw_held = 0;
    pthread_t o;
    struct kw_waiter w[2] = {{.tid = -1, .consistent = 1},
                             {.tid = -1, .consistent = 1}};
    CHECK_RC(pthread_create(&o, NULL, kw_owner, NULL), 0);
    while (!__atomic_load_n(&kw_held, __ATOMIC_ACQUIRE))
        ut_sleep_ms(2);
    for (int i = 0; i < 2; i++) {
        CHECK_RC(pthread_create(&w[i].th, NULL, kw_wait, &w[i]), 0);
        while (__atomic_load_n(&w[i].tid, __ATOMIC_ACQUIRE) < 0)
            ut_sleep_ms(2);
        CHECK(kx_wait_blocked(getpid(), w[i].tid, "mutex"));
    }
    __atomic_store_n(&kw_go, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(o, NULL), 0);
    for (int i = 0; i < 2; i++)
        CHECK_RC(pthread_join(w[i].th, NULL), 0);
    CHECKF((w[0].r == EOWNERDEAD && w[1].r == 0) ||
               (w[1].r == EOWNERDEAD && w[0].r == 0),
           "waiters got %d and %d", w[0].r, w[1].r);
    CHECK_EQ(w[0].r2, 0);
    CHECK_EQ(w[1].r2, 0);
    CHECK_RC(pthread_mutex_lock(&kw_m), 0);
    CHECK_RC(pthread_mutex_unlock(&kw_m), 0);
    CHECK_RC(pthread_mutex_destroy(&kw_m), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* ---- mutual exclusion under load (the kernel's fast paths) ---- */

#define KS_THREADS 4
#define KS_ROUNDS 1500

static pthread_mutex_t ks_m;
static volatile long ks_count; /* under ks_m, deliberately not atomic */
static volatile int ks_stop;

static void *ks_worker(void *p)
{
    (void)p;
    for (int i = 0; i < KS_ROUNDS; i++) {
        if (pthread_mutex_lock(&ks_m))
            return (void *)1;
        long v = ks_count;
        if ((i & 7) == 0)
            sched_yield(); /* let another thread find it held */
        ks_count = v + 1;
        if (pthread_mutex_unlock(&ks_m))
            return (void *)2;
    }
    return NULL;
}

/* Creates and destroys other kernel mutexes all along, so object cells
 * and slots are reused while the workers look theirs up. It yields after
 * each round: on one hart a churn that runs whole 10 ms RR slices makes
 * hand-overs of ks_m wait one out (a PRIO_INHERIT unlock hands the mutex
 * to a waiter queued behind the churn, and the unlocker, locking again,
 * blocks until both ran; a holder that yields does so to a full slice).
 * Measured on one hart under host load: 120 s for the test, 4 s now. */
static void *ks_churn(void *p)
{
    (void)p;
    while (!__atomic_load_n(&ks_stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_t x;
        if (kx_mutex(&x, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
                     PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE) == 0) {
            pthread_mutex_lock(&x);
            pthread_mutex_unlock(&x);
            pthread_mutex_destroy(&x);
        }
        sched_yield();
    }
    return NULL;
}

TEST(kmx_mutual_exclusion_under_load)
{
    long o0 = kx_objects();
    for (int pi = 0; pi < 2; pi++) {
        CHECK_RC(kx_mutex(&ks_m, PTHREAD_MUTEX_ERRORCHECK,
                          pi ? PTHREAD_PRIO_INHERIT : PTHREAD_PRIO_NONE,
                          PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
                 0);
        ks_count = 0;
        ks_stop = 0;
        pthread_t w[KS_THREADS], c;
        CHECK_RC(pthread_create(&c, NULL, ks_churn, NULL), 0);
        for (int i = 0; i < KS_THREADS; i++)
            CHECK_RC(pthread_create(&w[i], NULL, ks_worker, NULL), 0);
        for (int i = 0; i < KS_THREADS; i++) {
            void *r;
            CHECK_RC(pthread_join(w[i], &r), 0);
            CHECK(r == NULL);
        }
        __atomic_store_n(&ks_stop, 1, __ATOMIC_RELEASE);
        CHECK_RC(pthread_join(c, NULL), 0);
        CHECK_EQ(ks_count, (long)KS_THREADS * KS_ROUNDS);
        CHECK_RC(pthread_mutex_destroy(&ks_m), 0);
    }
    CHECK_EQ(kx_objects(), o0);
}

/* ---- forged, stale, wrong-type slots ---- */

static long kmx_raw(long op, long slot, long a, long b)
{
    return keel_syscall6(SYS_mutex, op, slot, a, b, 0, 0);
}

TEST(kmx_forged_and_stale)
{
    long o0 = kx_objects();
    pthread_mutex_t m, copy;
    struct keel_mutex_info in;
    CHECK_RC(keel_mutex_attach(&m, 0), EBADF); /* an fd */
    CHECK_RC(keel_mutex_attach(&m, -1), EBADF);
    CHECK_RC(keel_mutex_attach(&m, CAP_FD_SLOTS), EBADF); /* thread slots */
    CHECK_RC(keel_mutex_attach(&m, 100000), EBADF);
    CHECK_RC(keel_mutex_attach(NULL, 0), EINVAL);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_LOCK, 0, 0, 0), -EBADF);
    CHECK_EQ(kmx_raw(99, 0, 0, 0), -EINVAL);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_CREATE, 0, 0x4000, 10), -EINVAL);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_CREATE, 0, KEEL_MUTEX_RECURSIVE + 1, 10),
             -EINVAL);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_CREATE, 0, 0, 0), -EINVAL); /* ceiling */
    pthread_cond_t c;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_cond_init(&c, &ca), 0);
    CHECK_RC(keel_mutex_attach(&m, keel_cond_slot(&c)), EBADF); /* a condvar */
    CHECK_RC(keel_cond_attach(&c, 0), EBADF);
    CHECK_RC(pthread_cond_destroy(&c), 0);
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    int slot = keel_mutex_slot(&m);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_INFO, slot, (long)&in, 0), 0);
    CHECK_EQ(in.locked, 0);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_INFO, slot, 16, 0), -EFAULT);
    struct timespec bad = {0, 0};
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_LOCK, slot, 16, 0), -EFAULT);
    CHECK_EQ(kmx_raw(KEEL_MUTEX_LOCK, slot, (long)&bad, 7), -EINVAL); /* clk */
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    cap_token_t tok;
    CHECK_OK(cap_get_token(slot, CAP_TYPE_MUTEX, &tok));
    copy = m;
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_mutex_lock(&copy), EBADF); /* stale: the slot closed */
    CHECK_RC(pthread_mutex_unlock(&copy), EBADF);
    CHECK_RC(pthread_mutex_destroy(&copy), EBADF);
    /* a new mutex in the same slot: the old token is stale */
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_EQ(keel_mutex_slot(&m), slot); /* the lowest free slot again */
    CHECK(cap_drop(tok) < 0);            /* the old generation names nothing */
    struct cap_info ci;
    CHECK_OK(cap_info(slot, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_MUTEX);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK(cap_get_token(slot, CAP_TYPE_FD, &tok) < 0); /* the wrong type */
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* ---- quota: KEEL_POOL_OBJECTS exhausted and recovered ---- */

/* kmx-quota: one level deeper until the objects limit is small, then
 * fills it with kernel mutexes: exit 0 when the first failure is EAGAIN
 * exactly at the limit and destroying one makes room again. */
static int mode_kmx_quota(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct keel_quota q;
    if (keel_quota_info(0, &q) < 0)
        return 20;
    uint64_t room = q.limit[KEEL_POOL_OBJECTS] - q.used[KEEL_POOL_OBJECTS];
    if (room >= 48) {
        for (int fd = 0; fd < 3; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        pid_t pid;
        if (ut_spawn_self(&pid, NULL, NULL, "kmx-quota", NULL, NULL, NULL))
            return 21;
        int st = ut_wait(pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 22;
    }
    static pthread_mutex_t ms[64];
    int n = 0, rc = 0;
    while (n < 64 &&
           (rc = kx_mutex(&ms[n], PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
                          PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE)) == 0)
        n++;
    if (rc != EAGAIN)
        return 23;
    if ((uint64_t)n != room)
        return 24;
    if (pthread_mutex_lock(&ms[0]) || pthread_mutex_unlock(&ms[0]))
        return 25;
    if (pthread_mutex_destroy(&ms[--n]))
        return 26;
    if (kx_mutex(&ms[n], PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE,
                 PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE))
        return 27; /* room again */
    n++;
    while (n)
        if (pthread_mutex_destroy(&ms[--n]))
            return 28;
    if (keel_quota_info(0, &q) < 0 || q.used[KEEL_POOL_OBJECTS] != 0)
        return 29;
    return 0;
}

TEST(kmx_quota_exhausted_and_recovered)
{
    long o0 = kx_objects();
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "kmx-quota", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_EQ(kx_objects(), o0);
}

const struct utest ut_kmutex_tests[] = {
    UT_CASE(kmx_attrs),
    UT_CASE(kmx_types_and_errors),
    UT_CASE(kmx_robust_thread_exit),
    UT_CASE(kmx_owner_records_mixed),
    UT_CASE(kmx_robust_waiters_owner_dies),
    UT_CASE(kmx_mutual_exclusion_under_load),
    UT_CASE(kmx_forged_and_stale),
    UT_CASE(kmx_quota_exhausted_and_recovered),
    UT_END,
};

const struct ut_mode ut_kmutex_modes[] = {
    {"kmx-quota", mode_kmx_quota},
    UT_MODE_END,
};
