/*
 * Futex WAIT and WAKE (issue 8 item 5): argument checks (misaligned
 * EINVAL, unmapped or read-only EFAULT, unknown command ENOSYS, bad flags
 * and timeouts EINVAL), EAGAIN on a value mismatch, exact wake counts,
 * wake order by priority, relative and absolute timeouts (lower bounds
 * only), and a waiter killed with its process.
 *
 * Waiters are counted in the kernel's own view: threadinfo rows of this
 * process BLOCKED on the wait queue named "futex", so a wake is only
 * issued once the waiters really sleep. Thread functions use EXPECT,
 * never CHECK. No test compares against a time limit.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define MS 1000000ll

static long fx(volatile uint32_t *uaddr, int op, uint32_t val,
               const struct keel_timespec *ts)
{
    return keel_syscall6(SYS_futex, (long)uaddr, op, (long)val, (long)ts, 0, 0);
}

/* Threads of this process blocked in a futex wait now (-1 on error). */
static int futex_sleepers(void)
{
    pid_t me = getpid();
    int n = 0;
    struct keel_threadinfo ti;
    for (int i = 0; i < 4096; i++) {
        int r = keel_threadinfo(i, &ti);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        if (ti.pid == me && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, "futex"))
            n++;
    }
    return n;
}

/* Polls (bounded, ~20 s: a safety net, not a time check) until exactly
 * n threads sleep in a futex wait; 1 when they did. */
static int wait_sleepers(int n)
{
    for (int i = 0; i < 2000; i++) {
        if (futex_sleepers() == n)
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

static struct keel_timespec ts_of(int64_t ns)
{
    return (struct keel_timespec){ns / 1000000000ll, ns % 1000000000ll};
}

static int64_t clock_ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t))
        return -1;
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static const uint32_t ro_word = 7; /* .rodata: mapped, not writable */

TEST(futex_bad_args)
{
    static uint32_t words[2];
    volatile uint32_t *w = &words[0];
    *w = 5;
    char *mis = (char *)words + 1;
    CHECK_EQ(fx((uint32_t *)mis, KEEL_FUTEX_WAIT, 5, NULL), -EINVAL);
    CHECK_EQ(fx((uint32_t *)mis, KEEL_FUTEX_WAKE, 1, NULL), -EINVAL);
    CHECK_EQ(fx((uint32_t *)(mis + 1), KEEL_FUTEX_LOCK_PI, 0, NULL), -EINVAL);
    /* Below user space, and unmapped inside it. */
    CHECK_EQ(fx((uint32_t *)0x1000, KEEL_FUTEX_WAIT, 0, NULL), -EFAULT);
    CHECK_EQ(fx((uint32_t *)0x3f00000000ul, KEEL_FUTEX_WAIT, 0, NULL), -EFAULT);
    CHECK_EQ(fx((uint32_t *)0x3f00000000ul, KEEL_FUTEX_WAKE, 1, NULL), -EFAULT);
    CHECK_EQ(fx((uint32_t *)0x3f00000000ul, KEEL_FUTEX_UNLOCK_PI, 0, NULL),
             -EFAULT);
    /* Mapped read-only, whether or not the value matches. */
    volatile const uint32_t *ro = &ro_word;
    CHECK_EQ(fx((uint32_t *)ro, KEEL_FUTEX_WAIT, 7, NULL), -EFAULT);
    CHECK_EQ(fx((uint32_t *)ro, KEEL_FUTEX_WAIT, 8, NULL), -EFAULT);
    CHECK_EQ(fx((uint32_t *)ro, KEEL_FUTEX_WAKE, 1, NULL), -EFAULT);
    CHECK_EQ(*ro, 7);
    /* Unknown command, unknown flag bits, a negative wake count. */
    CHECK_EQ(fx(w, 2, 5, NULL), -ENOSYS);
    CHECK_EQ(fx(w, 0x7f, 5, NULL), -ENOSYS);
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT | 0x400, 5, NULL), -EINVAL);
    CHECK_EQ(fx(w, KEEL_FUTEX_WAKE, (uint32_t)-1, NULL), -EINVAL);
    /* Bad timeouts: tv_nsec out of range, negative, unreadable, a
     * realtime clock without an absolute time. */
    struct keel_timespec t = {0, 1000000000};
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT, 5, &t), -EINVAL);
    t = (struct keel_timespec){0, -1};
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT | KEEL_FUTEX_ABSTIME, 5, &t), -EINVAL);
    t = (struct keel_timespec){-1, 0};
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT, 5, &t), -EINVAL);
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT, 5, (struct keel_timespec *)0x3f00000000ul),
             -EFAULT);
    t = (struct keel_timespec){0, 1000};
    CHECK_EQ(fx(w, KEEL_FUTEX_WAIT | KEEL_FUTEX_CLOCK_REALTIME, 5, &t),
             -EINVAL);
    CHECK_EQ(*w, 5);
}

TEST(futex_value_mismatch)
{
    static volatile uint32_t w = 1;
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT, 2, NULL), -EAGAIN);
    /* The value is checked before an (expired) timeout is. */
    struct keel_timespec zero = {0, 0};
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT, 0, &zero), -EAGAIN);
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT, 1, &zero), -ETIMEDOUT);
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAKE, 1, NULL), 0); /* nobody waits */
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAKE, 0, NULL), 0);
    CHECK_EQ(w, 1);
}

static volatile uint32_t cnt_word, cnt_other;
static volatile int cnt_returned;

static void *cnt_waiter(void *arg)
{
    long r = fx(&cnt_word, KEEL_FUTEX_WAIT, 0, NULL);
    *(long *)arg = r;
    __atomic_fetch_add(&cnt_returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST(futex_wake_counts)
{
    pthread_t th[3];
    long rc[3] = {1, 1, 1};
    cnt_word = 0;
    cnt_returned = 0;
    ut_step("three waiters");
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_create(&th[i], NULL, cnt_waiter, &rc[i]), 0);
    CHECKF(wait_sleepers(3), "3 waiters never slept (%d)", futex_sleepers());
    ut_step("waking another word, then one waiter");
    CHECK_EQ(fx(&cnt_other, KEEL_FUTEX_WAKE, INT_MAX, NULL), 0);
    CHECK_EQ(fx(&cnt_word, KEEL_FUTEX_WAKE, 1, NULL), 1);
    CHECKF(wait_sleepers(2), "not 2 sleepers after wake(1): %d",
           futex_sleepers());
    for (int i = 0; i < 200 && cnt_returned < 1; i++)
        ut_sleep_ms(10);
    CHECK_EQ(cnt_returned, 1);
    ut_step("waking the rest");
    CHECK_EQ(fx(&cnt_word, KEEL_FUTEX_WAKE, INT_MAX, NULL), 2);
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(cnt_returned, 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(rc[i], 0);
    CHECK_EQ(fx(&cnt_word, KEEL_FUTEX_WAKE, INT_MAX, NULL), 0);
}

static volatile uint32_t ord_word;
static volatile int ord_seq;

struct ord_arg {
    int prio;
    int order; /* 1-based rank of its return */
    long r;
};

static void *ord_waiter(void *arg)
{
    struct ord_arg *a = arg;
    a->r = fx(&ord_word, KEEL_FUTEX_WAIT, 0, NULL);
    a->order = __atomic_add_fetch(&ord_seq, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST(futex_wake_priority_order)
{
    /* Waiters at priorities p-2, p, p-1 (p: ours), queued in that
     * order: wake(1) three times releases them highest first. */
    struct sched_param sp;
    int pol;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    int p = sp.sched_priority;
    CHECK(p >= 3);
    static struct ord_arg a[3];
    int prios[3] = {p - 2, p, p - 1};
    pthread_t th[3];
    ord_word = 0;
    ord_seq = 0;
    for (int i = 0; i < 3; i++) {
        a[i] = (struct ord_arg){prios[i], 0, 1};
        CHECK_RC(ut_thread_at(&th[i], SCHED_FIFO, prios[i], ord_waiter, &a[i]),
                 0);
        CHECKF(wait_sleepers(i + 1), "waiter %d never slept", i);
    }
    for (int k = 1; k <= 3; k++) {
        CHECK_EQ(fx(&ord_word, KEEL_FUTEX_WAKE, 1, NULL), 1);
        CHECKF(wait_sleepers(3 - k), "not %d sleepers", 3 - k);
        for (int i = 0; i < 500 && ord_seq < k; i++)
            ut_sleep_ms(10);
        CHECK_EQ(ord_seq, k);
    }
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(a[1].order, 1); /* p */
    CHECK_EQ(a[2].order, 2); /* p - 1 */
    CHECK_EQ(a[0].order, 3); /* p - 2 */
    for (int i = 0; i < 3; i++)
        CHECK_EQ(a[i].r, 0);
}

TEST(futex_timeouts)
{
    static volatile uint32_t w = 3;
    ut_step("relative 20 ms");
    struct keel_timespec t = ts_of(20 * MS);
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT, 3, &t), -ETIMEDOUT);
    CHECK(clock_ns(CLOCK_MONOTONIC) - t0 >= 20 * MS);
    ut_step("absolute monotonic, 20 ms ahead and in the past");
    int64_t dl = clock_ns(CLOCK_MONOTONIC) + 20 * MS;
    t = ts_of(dl);
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT | KEEL_FUTEX_ABSTIME, 3, &t), -ETIMEDOUT);
    CHECK(clock_ns(CLOCK_MONOTONIC) >= dl);
    t = ts_of(dl - 1000 * MS > 0 ? dl - 1000 * MS : 0);
    CHECK_EQ(fx(&w, KEEL_FUTEX_WAIT | KEEL_FUTEX_ABSTIME, 3, &t), -ETIMEDOUT);
    ut_step("absolute realtime, 20 ms ahead and in the past");
    dl = clock_ns(CLOCK_REALTIME) + 20 * MS;
    t = ts_of(dl);
    CHECK_EQ(
        fx(&w, KEEL_FUTEX_WAIT | KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME,
           3, &t),
        -ETIMEDOUT);
    CHECK(clock_ns(CLOCK_REALTIME) >= dl);
    t = ts_of(0);
    CHECK_EQ(
        fx(&w, KEEL_FUTEX_WAIT | KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME,
           3, &t),
        -ETIMEDOUT);
    CHECK_EQ(w, 3);
}

static volatile uint32_t tw_word;

static void *timed_waiter(void *arg)
{
    struct keel_timespec t = ts_of(60000 * MS); /* a minute: never hit */
    *(long *)arg = fx(&tw_word, KEEL_FUTEX_WAIT, 0, &t);
    return NULL;
}

TEST(futex_wake_before_timeout)
{
    tw_word = 0;
    long r = 1;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, timed_waiter, &r), 0);
    CHECKF(wait_sleepers(1), "the timed waiter never slept");
    CHECK_EQ(fx(&tw_word, KEEL_FUTEX_WAKE, 1, NULL), 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(r, 0);
}

/* Waiters with 1 ms timeouts against a waker calling wake(1) in a loop:
 * a timeout racing a wake must never count as both, so the waker's total
 * equals the number of waits that returned 0. */
#define RACE_WAITERS 3
#define RACE_WAITS 300
static volatile uint32_t race_word;
static volatile int race_done;
static long race_zero[RACE_WAITERS], race_other[RACE_WAITERS];

static void *race_waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int k = 0; k < RACE_WAITS; k++) {
        struct keel_timespec t = ts_of(MS);
        long r = fx(&race_word, KEEL_FUTEX_WAIT, 0, &t);
        if (r == 0)
            race_zero[i]++;
        else if (r != -ETIMEDOUT)
            race_other[i]++;
    }
    __atomic_fetch_add(&race_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

TEST(futex_wake_timeout_race)
{
    pthread_t th[RACE_WAITERS];
    race_word = 0;
    race_done = 0;
    for (int i = 0; i < RACE_WAITERS; i++) {
        race_zero[i] = race_other[i] = 0;
        CHECK_RC(pthread_create(&th[i], NULL, race_waiter, (void *)(intptr_t)i),
                 0);
    }
    long woken = 0;
    while (__atomic_load_n(&race_done, __ATOMIC_SEQ_CST) < RACE_WAITERS) {
        long r = fx(&race_word, KEEL_FUTEX_WAKE, 1, NULL);
        CHECK(r == 0 || r == 1);
        woken += r;
        if ((woken & 7) == 0)
            sched_yield();
    }
    long zeros = 0;
    for (int i = 0; i < RACE_WAITERS; i++) {
        CHECK_RC(pthread_join(th[i], NULL), 0);
        CHECK_EQ(race_other[i], 0);
        zeros += race_zero[i];
    }
    CHECK_EQ(woken, zeros);
}

/* Mode "futex-sleeper": one thread waits forever, the main thread too. */
static volatile uint32_t forever_word;

static void *forever(void *arg)
{
    (void)arg;
    fx(&forever_word, KEEL_FUTEX_WAIT, 0, NULL);
    return NULL;
}

static int mode_futex_sleeper(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_t th;
    if (pthread_create(&th, NULL, forever, NULL))
        return 2;
    struct keel_timespec t = ts_of(30000 * MS);
    fx(&forever_word, KEEL_FUTEX_WAIT, 0, &t);
    return 3;
}

static int count_pid_sleepers(pid_t pid)
{
    int n = 0;
    struct keel_threadinfo ti;
    for (int i = 0; i < 4096 && keel_threadinfo(i, &ti) == 1; i++)
        if (ti.pid == pid && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, "futex"))
            n++;
    return n;
}

TEST(futex_waiters_killed)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "futex-sleeper", NULL, NULL, NULL),
             0);
    int i;
    for (i = 0; i < 2000 && count_pid_sleepers(pid) != 2; i++)
        ut_sleep_ms(10);
    CHECKF(i < 2000, "the child's two waiters never slept");
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
}

const struct utest ut_futex_tests[] = {
    UT_CASE(futex_bad_args),
    UT_CASE(futex_value_mismatch),
    UT_CASE(futex_wake_counts),
    UT_CASE(futex_wake_priority_order),
    UT_CASE(futex_timeouts),
    UT_CASE(futex_wake_before_timeout),
    UT_CASE(futex_wake_timeout_race),
    UT_CASE(futex_waiters_killed),
    UT_END,
};

const struct ut_mode ut_futex_modes[] = {
    {"futex-sleeper", mode_futex_sleeper},
    UT_MODE_END,
};
