/*
 * Robust mutexes with a priority protocol (POSIX options
 * _POSIX_THREAD_ROBUST_PRIO_INHERIT and _POSIX_THREAD_ROBUST_PRIO_PROTECT,
 * pthread_mutexattr_setprotocol): a thread blocking higher-priority
 * threads on a robust PRIO_INHERIT mutex runs at the highest waiter's
 * priority, and a thread owning a robust PRIO_PROTECT mutex runs at its
 * ceiling; when the owner dies holding it, the next locker gets
 * EOWNERDEAD and the protocol goes on for the new owner.
 *
 * kmx_robust_pi_owner_process_dies: the owner is another process (the
 * "kmx" helper of t_kobj_util.c, attached through an inherited cap), it
 * is boosted by our waiter and then exits holding the mutex.
 * kmx_robust_pp_owner_thread_dies: a thread of ours exits holding a robust
 * ceiling mutex; the next locker runs at the ceiling until it unlocks.
 * kmx_robust_prio_options_announced: the two macros and sysconf agree.
 */
#include <keel/obj.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "t_kobj_util.h"

static pthread_mutex_t kr_m;
static volatile int kr_r = -1, kr_runs_at = -1, kr_after = -1;

/* The waiter: locks (blocking), records what it got and the priority it
 * runs at while it owns the mutex, repairs it and unlocks. */
static void *kr_waiter(void *p)
{
    (void)p;
    int r = pthread_mutex_lock(&kr_m);
    if (r == 0 || r == EOWNERDEAD) {
        kr_runs_at = kx_runs_at();
        if (r == EOWNERDEAD)
            pthread_mutex_consistent(&kr_m);
        kr_after = pthread_mutex_unlock(&kr_m);
    }
    kr_r = r;
    return NULL;
}

static int kr_start_fifo(pthread_t *t, int prio, void *(*fn)(void *))
{
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = prio};
    pthread_attr_init(&at);
    pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&at, SCHED_FIFO);
    pthread_attr_setschedparam(&at, &sp);
    int rc = pthread_create(t, &at, fn, NULL);
    pthread_attr_destroy(&at);
    return rc;
}

TEST(kmx_robust_pi_owner_process_dies)
{
    long o0 = kx_objects();
    CHECK_RC(kx_mutex(&kr_m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_SHARED),
             0);
    struct kx h;
    CHECK_RC(kx_start(&h), 0); /* inherits the mutex's cap */
    CHECK_EQ(kx_call(&h, 'A', keel_mutex_slot(&kr_m)), 0);
    CHECK_EQ(kx_call(&h, 'P', 10), 0);
    CHECK_EQ(kx_call(&h, 'L', 0), 0);
    struct keel_threadinfo ti;
    CHECK(kx_ti(h.pid, -1, &ti));
    CHECK_EQ(ti.priority, 10);
    pthread_t t;
    kr_r = kr_runs_at = kr_after = -1;
    CHECK_RC(kr_start_fifo(&t, 30, kr_waiter), 0);
    CHECK(kx_wait_blocked(getpid(), (int)t, "mutex"));
    CHECK(kx_ti(h.pid, -1, &ti));
    CHECK_EQ(ti.priority, 30); /* the robust owner inherits */
    CHECK_EQ(ti.base_priority, 10);
    /* the owner's process dies holding it: the waiter owns it, dead */
    CHECK_OK(kx_send(&h, 'X', 0));
    CHECK_RC(pthread_join(t, NULL), 0);
    CHECK_EQ(kr_r, EOWNERDEAD);
    CHECK_EQ(kr_runs_at, 30); /* its own priority, nothing lent */
    CHECK_EQ(kr_after, 0);
    CHECK_EXITED(kx_end(&h), 0);
    /* repaired: usable as before */
    CHECK_RC(pthread_mutex_lock(&kr_m), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m), 0);
    CHECK_RC(pthread_mutex_destroy(&kr_m), 0);
    CHECK_EQ(kx_objects(), o0);
}

TEST(kmx_robust_pp_owner_thread_dies)
{
    long o0 = kx_objects();
    int own = kx_own_prio();
    CHECK(own > 0 && own < 30);
    pthread_mutexattr_t a;
    CHECK_RC(pthread_mutexattr_init(&a), 0);
    CHECK_RC(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT), 0);
    CHECK_RC(pthread_mutexattr_setprioceiling(&a, 30), 0);
    CHECK_RC(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_RC(pthread_mutex_init(&kr_m, &a), 0);
    pthread_mutexattr_destroy(&a);
    CHECK_RC(pthread_mutex_lock(&kr_m), 0);
    CHECK_EQ(kx_runs_at(), 30); /* the owner runs at the ceiling */
    CHECK_EQ(kx_own_prio(), own);
    CHECK_RC(pthread_mutex_unlock(&kr_m), 0);
    CHECK_EQ(kx_runs_at(), own);
    /* a thread exits holding it: the next locker gets EOWNERDEAD and
     * runs at the ceiling while it owns the mutex */
    CHECK_EQ(kx_other(&kr_m, 'D'), 0);
    CHECK_RC(pthread_mutex_lock(&kr_m), EOWNERDEAD);
    CHECK_EQ(kx_runs_at(), 30);
    CHECK_RC(pthread_mutex_consistent(&kr_m), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m), 0);
    CHECK_EQ(kx_runs_at(), own);
    CHECK_RC(pthread_mutex_lock(&kr_m), 0);
    CHECK_RC(pthread_mutex_unlock(&kr_m), 0);
    CHECK_RC(pthread_mutex_destroy(&kr_m), 0);
    CHECK_EQ(kx_objects(), o0);
}

TEST(kmx_robust_prio_options_announced)
{
#if !defined(_POSIX_THREAD_ROBUST_PRIO_INHERIT) ||                             \
    _POSIX_THREAD_ROBUST_PRIO_INHERIT != 200809L
    UT_FAIL("_POSIX_THREAD_ROBUST_PRIO_INHERIT is not defined as 200809L");
#else
    CHECK_EQ(sysconf(_SC_THREAD_ROBUST_PRIO_INHERIT), 200809L);
#endif
#if !defined(_POSIX_THREAD_ROBUST_PRIO_PROTECT) ||                             \
    _POSIX_THREAD_ROBUST_PRIO_PROTECT != 200809L
    UT_FAIL("_POSIX_THREAD_ROBUST_PRIO_PROTECT is not defined as 200809L");
#else
    CHECK_EQ(sysconf(_SC_THREAD_ROBUST_PRIO_PROTECT), 200809L);
#endif
}

const struct utest ut_kmutex_rprio_tests[] = {
    UT_CASE(kmx_robust_pi_owner_process_dies),
    UT_CASE(kmx_robust_pp_owner_thread_dies),
    UT_CASE(kmx_robust_prio_options_announced),
    UT_END,
};
