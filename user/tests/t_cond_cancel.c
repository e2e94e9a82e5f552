/*
 * pthread_cond_wait and pthread_cond_timedwait are cancellation points
 * (POSIX; libc/src/cond.c, cancel.c): a thread cancelled while it waits
 * holds the mutex again (with a recursive mutex's whole count) before
 * its first cleanup handler runs, is no longer counted as a waiter (the
 * condvar can be destroyed), and a request already pending when it
 * calls the wait acts at once with the mutex held. In-process condvars
 * and kernel ones (process-shared), with in-process and kernel mutexes.
 * Thread functions use EXPECT only.
 */
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "utest.h"

static pthread_mutex_t cc_m;
static pthread_cond_t cc_c;
static sem_t cc_ready, cc_go;
static int cc_timed, cc_depth, cc_pending_first;
static volatile int cc_never;
static int cc_unlocks[4]; /* what the cleanup handler's unlocks gave */

static void cc_cleanup(void *arg)
{
    (void)arg;
    for (int i = 0; i < cc_depth + 1; i++)
        cc_unlocks[i] = pthread_mutex_unlock(&cc_m);
}

static void *cc_waiter(void *arg)
{
    (void)arg;
    int old;
    if (cc_pending_first)
        EXPECT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) == 0);
    for (int i = 0; i < cc_depth; i++)
        EXPECT(pthread_mutex_lock(&cc_m) == 0);
    pthread_cleanup_push(cc_cleanup, NULL);
    EXPECT(sem_post(&cc_ready) == 0);
    if (cc_pending_first) {
        /* The request came while cancellation was off: it is pending. */
        while (sem_wait(&cc_go) != 0)
            ;
        EXPECT(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old) == 0);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 60;
    while (!cc_never) {
        if (cc_timed)
            pthread_cond_timedwait(&cc_c, &cc_m, &ts);
        else
            pthread_cond_wait(&cc_c, &cc_m);
    }
    pthread_cleanup_pop(0);
    return NULL;
}

/* Runs one case; 0 when the waiter was cancelled with the mutex held. */
static int cc_run(int type, int pshared, int timed, int pending_first)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    int bad = 0;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, type);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pshared) {
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    }
    if (pthread_mutex_init(&cc_m, &ma) || pthread_cond_init(&cc_c, &ca) ||
        sem_init(&cc_ready, 0, 0) || sem_init(&cc_go, 0, 0))
        return -1;
    cc_timed = timed;
    cc_pending_first = pending_first;
    cc_depth = type == PTHREAD_MUTEX_RECURSIVE ? 2 : 1;
    for (int i = 0; i < 4; i++)
        cc_unlocks[i] = -1;
    pthread_t th;
    void *res = NULL;
    if (pthread_create(&th, NULL, cc_waiter, NULL))
        return -1;
    while (sem_wait(&cc_ready) != 0)
        ;
    if (pending_first) {
        bad |= pthread_cancel(th) != 0;
        bad |= sem_post(&cc_go) != 0;
    } else {
        /* The mutex is free only once the waiter is inside the wait. */
        bad |= pthread_mutex_lock(&cc_m) != 0;
        bad |= pthread_cancel(th) != 0;
        bad |= pthread_mutex_unlock(&cc_m) != 0;
    }
    bad |= pthread_join(th, &res) != 0;
    bad |= res != PTHREAD_CANCELED;
    for (int i = 0; i < cc_depth; i++) /* it held every level */
        bad |= cc_unlocks[i] != 0;
    bad |= cc_unlocks[cc_depth] != EPERM;    /* and no more */
    bad |= pthread_cond_destroy(&cc_c) != 0; /* no waiter left */
    bad |= pthread_mutex_destroy(&cc_m) != 0;
    sem_destroy(&cc_ready);
    sem_destroy(&cc_go);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
    return bad;
}

TEST(cond_wait_cancel_relocks_mutex)
{
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 0, 0, 0), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 0, 1, 0), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_RECURSIVE, 0, 0, 0), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_RECURSIVE, 0, 1, 0), 0);
}

TEST(cond_wait_cancel_pending_acts_with_mutex_held)
{
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 0, 0, 1), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_RECURSIVE, 0, 1, 1), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 1, 0, 1), 0);
}

TEST(cond_wait_cancel_kernel_objects)
{
    /* A kernel condvar with a kernel (process-shared) mutex. */
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 1, 0, 0), 0);
    CHECK_EQ(cc_run(PTHREAD_MUTEX_ERRORCHECK, 1, 1, 0), 0);
}

const struct utest ut_cond_cancel_tests[] = {
    UT_CASE(cond_wait_cancel_relocks_mutex),
    UT_CASE(cond_wait_cancel_pending_acts_with_mutex_held),
    UT_CASE(cond_wait_cancel_kernel_objects),
    UT_END,
};
