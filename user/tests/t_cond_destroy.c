/*
 * Destroying an in-process condvar (libc/src/cond.c): POSIX makes it safe
 * once no thread is blocked on it, so pthread_cond_destroy right after a
 * broadcast succeeds before the woken threads have run, and none of them
 * writes the condvar's memory afterwards (it may be reused at once);
 * EBUSY while a thread is blocked on it. KEEL_FUTEX_COUNT, which destroy
 * asks, counts the threads asleep on a word. Thread functions use EXPECT
 * only.
 */
#include <pthread.h>
#include <time.h>

#include "utest.h"

#define CD_N 4

static pthread_mutex_t cd_m = PTHREAD_MUTEX_INITIALIZER;
static union {
    pthread_cond_t c;
    unsigned char bytes[sizeof(pthread_cond_t)];
} cd_u;
static int cd_count, cd_pred;

static void *cd_waiter(void *arg)
{
    int timed = (int)(intptr_t)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    EXPECT(pthread_mutex_lock(&cd_m) == 0);
    cd_count++;
    int r = 0;
    while (!cd_pred && r == 0)
        r = timed ? pthread_cond_timedwait(&cd_u.c, &cd_m, &ts)
                  : pthread_cond_wait(&cd_u.c, &cd_m);
    EXPECT(r == 0);
    cd_count--;
    EXPECT(pthread_mutex_unlock(&cd_m) == 0);
    return NULL;
}

TEST(cond_destroy_right_after_broadcast)
{
    for (int round = 0; round < 20; round++) {
        CHECK_RC(pthread_cond_init(&cd_u.c, NULL), 0);
        cd_pred = 0;
        pthread_t th[CD_N];
        for (int i = 0; i < CD_N; i++)
            CHECK_RC(pthread_create(&th[i], NULL, cd_waiter,
                                    (void *)(intptr_t)(i & 1)),
                     0);
        CHECK_RC(pthread_mutex_lock(&cd_m), 0);
        while (cd_count < CD_N) { /* each one is inside its wait */
            CHECK_RC(pthread_mutex_unlock(&cd_m), 0);
            sched_yield();
            CHECK_RC(pthread_mutex_lock(&cd_m), 0);
        }
        cd_pred = 1;
        CHECK_RC(pthread_cond_broadcast(&cd_u.c), 0);
        CHECK_RC(pthread_mutex_unlock(&cd_m), 0);
        /* No thread is blocked on it any more: safe, at once. */
        CHECK_RC(pthread_cond_destroy(&cd_u.c), 0);
        memset(cd_u.bytes, 0xa5, sizeof cd_u.bytes);
        for (int i = 0; i < CD_N; i++)
            CHECK_RC(pthread_join(th[i], NULL), 0);
        for (size_t i = 0; i < sizeof cd_u.bytes; i++)
            CHECKF(cd_u.bytes[i] == 0xa5,
                   "byte %d of the destroyed condvar "
                   "was written after the broadcast",
                   (int)i);
        CHECK_EQ(cd_count, 0);
    }
}

static void *cd_blocked(void *arg)
{
    (void)arg;
    EXPECT(pthread_mutex_lock(&cd_m) == 0);
    cd_count++;
    while (!cd_pred)
        EXPECT(pthread_cond_wait(&cd_u.c, &cd_m) == 0);
    cd_count--;
    EXPECT(pthread_mutex_unlock(&cd_m) == 0);
    return NULL;
}

TEST(cond_destroy_busy_while_blocked)
{
    CHECK_RC(pthread_cond_init(&cd_u.c, NULL), 0);
    cd_pred = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, cd_blocked, NULL), 0);
    CHECK_RC(pthread_mutex_lock(&cd_m), 0);
    while (cd_count < 1) {
        CHECK_RC(pthread_mutex_unlock(&cd_m), 0);
        sched_yield();
        CHECK_RC(pthread_mutex_lock(&cd_m), 0);
    }
    CHECK_RC(pthread_mutex_unlock(&cd_m), 0);
    /* Asleep in the wait (or about to be): destroy waits for the count to
     * settle and then refuses. */
    CHECK_RC(pthread_cond_destroy(&cd_u.c), EBUSY);
    CHECK_EQ(keel_syscall6(SYS_futex, (long)&cd_u.c.__seq, KEEL_FUTEX_COUNT, 0,
                           0, 0, 0),
             1);
    CHECK_RC(pthread_mutex_lock(&cd_m), 0);
    cd_pred = 1;
    CHECK_RC(pthread_cond_signal(&cd_u.c), 0);
    CHECK_RC(pthread_mutex_unlock(&cd_m), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(keel_syscall6(SYS_futex, (long)&cd_u.c.__seq, KEEL_FUTEX_COUNT, 0,
                           0, 0, 0),
             0);
    CHECK_RC(pthread_cond_destroy(&cd_u.c), 0);
    CHECK_EQ(keel_syscall6(SYS_futex, 0x1000, KEEL_FUTEX_COUNT, 0, 0, 0, 0),
             -EFAULT);
    CHECK_EQ(keel_syscall6(SYS_futex, (long)&cd_u.c.__seq + 1, KEEL_FUTEX_COUNT,
                           0, 0, 0, 0),
             -EINVAL);
}

const struct utest ut_cond_destroy_tests[] = {
    UT_CASE(cond_destroy_right_after_broadcast),
    UT_CASE(cond_destroy_busy_while_blocked),
    UT_END,
};
