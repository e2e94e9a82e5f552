/*
 * PTHREAD_PRIO_PROTECT against POSIX (pthread_mutexattr_setprotocol,
 * pthread_mutex_lock, pthread_setschedparam): a thread holding protected
 * mutexes runs at the higher of its own priority and their highest
 * ceiling; its own priority is what pthread_getschedparam reports and
 * what pthread_setschedparam changes meanwhile, and what it runs at once
 * it unlocks them (Keel set the priority itself to the ceiling: getting
 * it reported the ceiling, setting it dropped the thread below the
 * ceiling, and the unlock put back the priority from before the lock).
 * Locking one whose ceiling is below the caller's priority is EINVAL
 * (lock, trylock, timedlock), changing nothing. A holder whose own
 * priority is set is not moved to the tail of its list (observed with
 * one hart; in-process and robust, a kernel object). Also
 * _POSIX_THREAD_PRIO_PROTECT against sysconf.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel/sched.h>

#include "t_kobj_util.h"
#include "utest.h"

/* A thread's own priority, as it starts. */
static void *pp_report(void *arg)
{
    (void)arg;
    return (void *)(long)kx_own_prio();
}

static int pp_set_own(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

TEST(mutex_pp_own_priority_while_held)
{
    int pol0, ceil = -1;
    struct sched_param sp0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    CHECK_RC(keel_pthread_getceiling(pthread_self(), &ceil), 0);
    int p = 10, c = 16;
    CHECK(ceil >= c + 2);
    CHECK_RC(pp_set_own(p), 0);
    pthread_mutex_t m, m2;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT, c),
             0);
    CHECK_RC(
        kx_make_mutex(&m2, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT, c + 1),
        0);
    ut_step("held: runs at the ceiling, reports its own priority");
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_EQ(kx_runs_at(), c);
    CHECK_EQ(kx_own_prio(), p);
    ut_step("its own priority set while held: the ceiling still rules");
    CHECK_RC(pp_set_own(p + 1), 0);
    CHECK_EQ(kx_own_prio(), p + 1);
    CHECK_EQ(kx_runs_at(), c);
    CHECK_RC(pp_set_own(c + 2), 0); /* above the ceiling: that rules */
    CHECK_EQ(kx_runs_at(), c + 2);
    CHECK_RC(pp_set_own(p + 1), 0);
    CHECK_EQ(kx_runs_at(), c);
    ut_step("nested: the higher ceiling, then back");
    CHECK_RC(pthread_mutex_lock(&m2), 0);
    CHECK_EQ(kx_runs_at(), c + 1);
    CHECK_RC(pthread_mutex_unlock(&m2), 0);
    CHECK_EQ(kx_runs_at(), c);
    ut_step("unlocked: its own priority, the one set while held");
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(kx_runs_at(), p + 1);
    CHECK_EQ(kx_own_prio(), p + 1);
    ut_step("its own priority above the ceiling: EINVAL for every lock");
    CHECK_RC(pp_set_own(c + 1), 0);
    CHECK_RC(pthread_mutex_lock(&m), EINVAL);
    CHECK_RC(pthread_mutex_trylock(&m), EINVAL);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 60;
    CHECK_RC(pthread_mutex_timedlock(&m, &t), EINVAL);
    CHECK_EQ(kx_runs_at(), c + 1);
    CHECK_EQ(kx_own_prio(), c + 1);
    ut_step("a held ceiling above a new one: EINVAL");
    CHECK_RC(pp_set_own(p), 0);
    CHECK_RC(pthread_mutex_lock(&m2), 0);
    CHECK_RC(pthread_mutex_lock(&m), EINVAL);
    CHECK_EQ(kx_runs_at(), c + 1);
    CHECK_RC(pthread_mutex_unlock(&m2), 0);
    CHECK_EQ(kx_runs_at(), p);
    ut_step("a thread created while held starts at its creator's own");
    CHECK_RC(pthread_mutex_lock(&m), 0);
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setinheritsched(&at, PTHREAD_INHERIT_SCHED), 0);
    pthread_t th;
    CHECK_RC(pthread_create(&th, &at, pp_report, NULL), 0);
    void *got = NULL;
    CHECK_RC(pthread_join(th, &got), 0);
    CHECK_EQ((long)got, p);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m2), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

/*
 * POSIX pthread_mutexattr_setprotocol: a thread holding a PRIO_PROTECT
 * (or PRIO_INHERIT) mutex is not moved to the tail of its priority's
 * list when its own priority is changed. We hold one (running at its
 * ceiling hi), a probe waits at hi behind us, and we set our own priority
 * below: we keep the hart (log "01"; a plain setschedparam would put us
 * behind the probe, "10"); the unlock then lets the probe run.
 */
static int hq_log[4], hq_n;

static void *hq_probe(void *arg)
{
    int i = __atomic_fetch_add(&hq_n, 1, __ATOMIC_ACQ_REL);
    if (i < 4)
        hq_log[i] = (int)(long)arg;
    return NULL;
}

/* A PRIO_PROTECT mutex with ceiling ceil: in-process, or (robust) a
 * kernel mutex object, whose ceiling the kernel applies itself. */
static int pp_make(pthread_mutex_t *m, int robust, int ceil)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (!rc)
        rc = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
    if (!rc)
        rc = pthread_mutexattr_setprioceiling(&a, ceil);
    if (!rc && robust)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (!rc)
        rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

TEST(mutex_pp_holder_not_moved_to_tail)
{
    int pol0;
    struct sched_param sp0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    int lo = 10, hi = 16;
    long harts = sysconf(_SC_NPROCESSORS_ONLN);
    for (int robust = 0; robust < 2; robust++) {
        CHECK_RC(pp_set_own(lo), 0);
        pthread_mutex_t m;
        CHECK_RC(pp_make(&m, robust, hi), 0);
        hq_n = 0;
        CHECK_RC(pthread_mutex_lock(&m), 0);
        pthread_t q;
        CHECK_RC(pthread_create(&q, NULL, hq_probe, (void *)1L), 0);
        int r = pthread_setschedprio(q, hi); /* the tail of hi, behind us */
        CHECK(r == 0 || (harts > 1 && r == ESRCH));
        CHECK_RC(pp_set_own(lo + 1), 0);
        hq_probe((void *)0L);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_join(q, NULL), 0);
        CHECK_EQ(hq_n, 2);
        if (harts == 1)
            CHECKF(hq_log[0] == 0 && hq_log[1] == 1,
                   "robust %d: ran as %d%d, expected 01", robust, hq_log[0],
                   hq_log[1]);
        CHECK_RC(pthread_mutex_destroy(&m), 0);
    }
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

/*
 * The same rule for pthread_setschedprio, which would put a thread whose
 * priority rises at the tail: a ready holder raised above its ceiling
 * goes to the head of its new level. Probe h holds a mutex (ceiling 16)
 * and is preempted by us; probe r waits at 20; h raised to 20 runs first
 * (log "21"; without the rule "12"). One hart only: with more, h never
 * waits behind us.
 */
static volatile int hq_go;

static void *hq_holder(void *arg)
{
    pthread_mutex_t *m = arg;
    if (pthread_mutex_lock(m))
        return (void *)1L;
    __atomic_store_n(&hq_go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&hq_go, __ATOMIC_ACQUIRE) != 2)
        ; /* preempted here, holding m */
    hq_probe((void *)2L);
    pthread_mutex_unlock(m);
    return NULL;
}

TEST(mutex_pp_holder_raised_keeps_head)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
        return;
    int pol0;
    struct sched_param sp0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    CHECK_RC(pp_set_own(30), 0);
    pthread_mutex_t m;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_PROTECT, 16),
             0);
    hq_n = 0;
    hq_go = 0;
    pthread_t h, r;
    CHECK_RC(pthread_create(&h, NULL, hq_holder, &m), 0);
    CHECK_RC(pthread_setschedprio(h, 10), 0);
    /* Let h run and lock m; waking, we take the hart back from it. */
    while (!__atomic_load_n(&hq_go, __ATOMIC_ACQUIRE))
        ut_sleep_ms(2);
    CHECK_RC(pthread_create(&r, NULL, hq_probe, (void *)1L), 0);
    CHECK_RC(pthread_setschedprio(r, 20), 0); /* ready at 20 */
    CHECK_RC(pthread_setschedprio(h, 20), 0); /* above its ceiling */
    __atomic_store_n(&hq_go, 2, __ATOMIC_RELEASE);
    CHECK_RC(pp_set_own(5), 0); /* both run now, in their order */
    void *hv = NULL;
    CHECK_RC(pthread_join(h, &hv), 0);
    CHECK_RC(pthread_join(r, NULL), 0);
    CHECK(hv == NULL);
    CHECK_EQ(hq_n, 2);
    CHECKF(hq_log[0] == 2 && hq_log[1] == 1, "ran as %d%d, expected 21",
           hq_log[0], hq_log[1]);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

/* _POSIX_THREAD_PRIO_PROTECT and _POSIX_THREAD_PRIO_INHERIT are announced
 * and sysconf agrees (PRIO_INHERIT was not while an uncontended holder
 * could go to the tail: t_mutex_pi_place.c). */
TEST(mutex_pp_option_announced)
{
#ifndef _POSIX_THREAD_PRIO_PROTECT
    UT_FAIL("_POSIX_THREAD_PRIO_PROTECT is not defined");
#else
    CHECK_EQ(sysconf(_SC_THREAD_PRIO_PROTECT), _POSIX_THREAD_PRIO_PROTECT);
#endif
#if !defined(_POSIX_THREAD_PRIO_INHERIT) ||                                    \
    _POSIX_THREAD_PRIO_INHERIT != 200809L
    UT_FAIL("_POSIX_THREAD_PRIO_INHERIT is not defined as 200809L");
#else
    CHECK_EQ(sysconf(_SC_THREAD_PRIO_INHERIT), 200809L);
#endif
}

const struct utest ut_mutex_pp_tests[] = {
    UT_CASE(mutex_pp_own_priority_while_held),
    UT_CASE(mutex_pp_holder_not_moved_to_tail),
    UT_CASE(mutex_pp_holder_raised_keeps_head),
    UT_CASE(mutex_pp_option_announced),
    UT_END,
};
