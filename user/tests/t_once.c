/*
 * pthread_once (issue 9 item 6, libc/src/once.c): the routine runs
 * exactly once when four threads race for it, no caller returns before
 * it has finished, and a caller that arrives while it runs blocks in the
 * kernel (threadinfo: BLOCKED on a futex queue) instead of spinning; a
 * routine cancelled while it runs leaves the control as never called.
 * Thread functions use EXPECT only.
 */
#include <pthread.h>
#include <unistd.h>

#include "utest.h"

#define ONCE_THREADS 4
#define ONCE_ROUNDS 20

static pthread_once_t race_once;
static volatile int race_runs, race_finished, race_go;

static void race_init(void)
{
    __atomic_fetch_add(&race_runs, 1, __ATOMIC_RELAXED);
    ut_sleep_ms(2); /* let the others arrive while it runs */
    __atomic_store_n(&race_finished, 1, __ATOMIC_RELEASE);
}

static void *race_fn(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&race_go, __ATOMIC_ACQUIRE))
        ;
    EXPECT(pthread_once(&race_once, race_init) == 0);
    EXPECT(__atomic_load_n(&race_finished, __ATOMIC_ACQUIRE) == 1);
    EXPECT(pthread_once(&race_once, race_init) == 0);
    return NULL;
}

TEST(once_race_runs_once)
{
    for (int round = 0; round < ONCE_ROUNDS; round++) {
        race_once = (pthread_once_t)PTHREAD_ONCE_INIT;
        race_runs = race_finished = race_go = 0;
        pthread_t th[ONCE_THREADS];
        for (int i = 0; i < ONCE_THREADS; i++)
            CHECK_RC(pthread_create(&th[i], NULL, race_fn, NULL), 0);
        __atomic_store_n(&race_go, 1, __ATOMIC_RELEASE);
        for (int i = 0; i < ONCE_THREADS; i++)
            CHECK_RC(pthread_join(th[i], NULL), 0);
        CHECK_EQ(race_runs, 1);
        CHECK(!ut_failed());
    }
}

/* The threadinfo row of this process's thread tid: 1 found, else 0. */
static int ti_self(int tid, struct keel_threadinfo *out)
{
    pid_t me = getpid();
    for (int i = 0; i < 4096; i++) {
        if (keel_threadinfo(i, out) != 1)
            return 0;
        if (out->pid == me && out->tid == tid)
            return 1;
    }
    return 0;
}

static pthread_once_t slow_once = PTHREAD_ONCE_INIT;
static volatile int slow_waiter_tid, slow_saw_blocked, slow_runs;

/* Runs in the first caller: waits (bounded) until the second caller is
 * asleep in the futex, which it can only be while the routine runs. */
static void slow_init(void)
{
    slow_runs++;
    while (!__atomic_load_n(&slow_waiter_tid, __ATOMIC_ACQUIRE))
        ut_sleep_ms(1);
    struct keel_threadinfo ti;
    for (int i = 0; i < 2000 && !slow_saw_blocked; i++) {
        if (ti_self(slow_waiter_tid, &ti) && ti.state == KEEL_TSTATE_BLOCKED &&
            !strncmp(ti.wchan, "futex", 5))
            slow_saw_blocked = 1;
        else
            ut_sleep_ms(10);
    }
}

static void *slow_first(void *arg)
{
    (void)arg;
    EXPECT(pthread_once(&slow_once, slow_init) == 0);
    return NULL;
}

static void *slow_second(void *arg)
{
    (void)arg;
    while (!slow_runs)
        ut_sleep_ms(1);
    __atomic_store_n(&slow_waiter_tid, (int)pthread_self(), __ATOMIC_RELEASE);
    EXPECT(pthread_once(&slow_once, slow_init) == 0);
    return NULL;
}

TEST(once_waiter_blocks)
{
    pthread_t a, b;
    CHECK_RC(pthread_create(&a, NULL, slow_first, NULL), 0);
    CHECK_RC(pthread_create(&b, NULL, slow_second, NULL), 0);
    CHECK_RC(pthread_join(a, NULL), 0);
    CHECK_RC(pthread_join(b, NULL), 0);
    CHECK_EQ(slow_runs, 1);
    CHECKF(slow_saw_blocked, "the second caller never blocked in the kernel");
}

static pthread_once_t cancel_once = PTHREAD_ONCE_INIT;
static volatile int cancel_started, cancel_runs_after;

/* Runs until cancelled (pthread_testcancel is a cancellation point). */
static void cancel_init(void)
{
    cancel_started = 1;
    for (;;) {
        pthread_testcancel();
        ut_sleep_ms(1);
    }
}

static void after_init(void)
{
    cancel_runs_after++;
}

static void *cancel_fn(void *arg)
{
    (void)arg;
    pthread_once(&cancel_once, cancel_init);
    return NULL; /* not reached */
}

TEST(once_cancelled_routine_starts_over)
{
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, cancel_fn, NULL), 0);
    for (int i = 0; i < 4000 && !cancel_started; i++)
        ut_sleep_ms(1);
    CHECK(cancel_started);
    CHECK_RC(pthread_cancel(th), 0);
    void *r = NULL;
    CHECK_RC(pthread_join(th, &r), 0);
    CHECK(r == PTHREAD_CANCELED);
    CHECK_RC(pthread_once(&cancel_once, after_init), 0);
    CHECK_RC(pthread_once(&cancel_once, after_init), 0);
    CHECK_EQ(cancel_runs_after, 1);
}

static void nop_init(void) {}

TEST(once_errors)
{
    pthread_once_t o = PTHREAD_ONCE_INIT;
    CHECK_RC(pthread_once(NULL, nop_init), EINVAL);
    CHECK_RC(pthread_once(&o, NULL), EINVAL);
    CHECK_RC(pthread_once(&o, nop_init), 0);
    CHECK_RC(pthread_once(&o, NULL), EINVAL);
}

const struct utest ut_once_tests[] = {
    UT_CASE(once_race_runs_once),
    UT_CASE(once_waiter_blocks),
    UT_CASE(once_cancelled_routine_starts_over),
    UT_CASE(once_errors),
    UT_END,
};
