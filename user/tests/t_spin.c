/*
 * POSIX spin locks (issue 9 item 3, libc/src/spin.c): every error
 * (EINVAL, EDEADLK, EBUSY, EPERM) and mutual exclusion of four threads
 * on every hart, with one hart too (the spinner yields, so a preempted
 * holder of its priority runs). Thread functions use EXPECT only.
 */
#include <pthread.h>

#include "utest.h"

static pthread_spinlock_t sl;

static void *other_try(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_spin_trylock(&sl);
}

static void *other_unlock(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_spin_unlock(&sl);
}

static int from_other(void *(*fn)(void *))
{
    pthread_t th;
    void *r = (void *)-1;
    if (pthread_create(&th, NULL, fn, NULL) || pthread_join(th, &r))
        return -1;
    return (int)(intptr_t)r;
}

TEST(spin_errors)
{
    CHECK_RC(pthread_spin_init(NULL, PTHREAD_PROCESS_PRIVATE), EINVAL);
    CHECK_RC(pthread_spin_init(&sl, 7), EINVAL);
    CHECK_RC(pthread_spin_init(&sl, PTHREAD_PROCESS_SHARED), 0);
    CHECK_RC(pthread_spin_destroy(&sl), 0);
    CHECK_RC(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE), 0);
    CHECK_RC(pthread_spin_unlock(&sl), EPERM); /* not held */
    CHECK_RC(pthread_spin_lock(&sl), 0);
    CHECK_RC(pthread_spin_lock(&sl), EDEADLK);
    CHECK_RC(pthread_spin_trylock(&sl), EBUSY);
    CHECK_EQ(from_other(other_try), EBUSY);
    CHECK_EQ(from_other(other_unlock), EPERM);
    CHECK_RC(pthread_spin_destroy(&sl), EBUSY);
    CHECK_RC(pthread_spin_unlock(&sl), 0);
    CHECK_RC(pthread_spin_unlock(&sl), EPERM);
    CHECK_EQ(from_other(other_try), 0); /* that thread exits holding it */
    CHECK_RC(pthread_spin_trylock(&sl), EBUSY);
    sl = 0;
    CHECK_RC(pthread_spin_trylock(&sl), 0);
    CHECK_RC(pthread_spin_unlock(&sl), 0);
    CHECK_RC(pthread_spin_destroy(&sl), 0);
    CHECK_RC(pthread_spin_lock(NULL), EINVAL);
    CHECK_RC(pthread_spin_trylock(NULL), EINVAL);
    CHECK_RC(pthread_spin_unlock(NULL), EINVAL);
    CHECK_RC(pthread_spin_destroy(NULL), EINVAL);
}

#define SPIN_THREADS 4
#define SPIN_ITERS 20000

static volatile long spin_count;
static volatile int spin_inside;

static void *spin_worker(void *arg)
{
    int use_try = (int)(intptr_t)arg & 1;
    for (int i = 0; i < SPIN_ITERS; i++) {
        if (use_try) {
            while (pthread_spin_trylock(&sl) == EBUSY)
                ;
        } else if (pthread_spin_lock(&sl)) {
            EXPECT(!"spin_lock failed");
            return NULL;
        }
        if (spin_inside++)
            EXPECT(!"two threads inside the spin lock");
        spin_count = spin_count + 1;
        spin_inside--;
        EXPECT(pthread_spin_unlock(&sl) == 0);
    }
    return NULL;
}

TEST(spin_counter_exclusive)
{
    CHECK_RC(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE), 0);
    spin_count = 0;
    pthread_t th[SPIN_THREADS];
    for (intptr_t i = 0; i < SPIN_THREADS; i++)
        CHECK_RC(pthread_create(&th[i], NULL, spin_worker, (void *)i), 0);
    for (int i = 0; i < SPIN_THREADS; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(spin_count, (long)SPIN_THREADS * SPIN_ITERS);
    CHECK_RC(pthread_spin_destroy(&sl), 0);
}

const struct utest ut_spin_tests[] = {
    UT_CASE(spin_errors),
    UT_CASE(spin_counter_exclusive),
    UT_END,
};
