/*
 * Thread cancellation (issue 9 item 6): deferred requests acted upon at
 * pthread_testcancel and at the cancellation points libc provides
 * (nanosleep, read, write, pthread_join, waitpid, fsync, clock_nanosleep)
 * when the request is already pending there; PTHREAD_CANCELED for the
 * joiner; cleanup handlers run innermost first on cancellation and on
 * pthread_exit, pthread_cleanup_pop(1) runs one and pop(0) does not;
 * disabled cancellation keeps a request pending; the asynchronous type
 * acts at once when enabled with a request pending; self-cancellation;
 * errors; many threads cancelled at once give every slot back.
 *
 * A target already blocked when the request arrives is woken by the
 * cancellation signal: interrupted in nanosleep, clock_nanosleep, read
 * and pthread_join it exits there (each blocked call ends by itself
 * after 20 s, so a target not woken makes the test fail, not hang);
 * asynchronous cancellation stops a thread spinning without any
 * cancellation point, a deferred one runs on to its end. Thread
 * functions use EXPECT, never CHECK.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

/* ---- a target that waits (without cancellation points) until the
 * request has been made, then does what arg says ---- */

enum point {
    P_TESTCANCEL,
    P_NANOSLEEP,
    P_SLEEP,
    P_READ,
    P_WRITE,
    P_JOIN,
    P_WAITPID,
    P_FSYNC,
    P_CLOCK_NANOSLEEP,
    P_N
};

struct target {
    enum point point;
    volatile int ready;     /* the target is running */
    volatile int requested; /* pthread_cancel has returned */
    volatile int after;     /* the target got past its point */
    int fds[2];
    pthread_t other; /* P_JOIN: the thread it joins */
    int order[4];
    volatile int norder;
};

static void record(void *arg)
{
    struct target *tg = *(struct target **)arg;
    int v = (int)((long *)arg)[1];
    if (tg->norder < 4)
        tg->order[tg->norder++] = v;
}

static void wait_flag(volatile int *f)
{
    while (!__atomic_load_n(f, __ATOMIC_ACQUIRE))
        sched_yield(); /* not a cancellation point */
}

static void *never_ends(void *arg)
{
    (void)arg;
    for (;;)
        ut_sleep_ms(1000);
    return NULL;
}

static void *target_fn(void *arg)
{
    struct target *tg = arg;
    long h1[2] = {(long)tg, 1}, h2[2] = {(long)tg, 2};
    pthread_cleanup_push(record, h1);
    pthread_cleanup_push(record, h2);
    __atomic_store_n(&tg->ready, 1, __ATOMIC_RELEASE);
    wait_flag(&tg->requested);
    struct timespec ts = {5, 0};
    char c;
    switch (tg->point) {
    case P_TESTCANCEL:
        pthread_testcancel();
        break;
    case P_NANOSLEEP:
        nanosleep(&ts, NULL);
        break;
    case P_SLEEP:
        sleep(5);
        break;
    case P_READ: /* the pipe is empty: it would block for ever */
        (void)!read(tg->fds[0], &c, 1);
        break;
    case P_WRITE:
        (void)!write(tg->fds[1], "x", 1);
        break;
    case P_JOIN: {
        pthread_join(tg->other, NULL);
        break;
    }
    case P_WAITPID:
        waitpid(-1, NULL, 0);
        break;
    case P_FSYNC:
        fsync(tg->fds[1]);
        break;
    case P_CLOCK_NANOSLEEP:
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        break;
    default:
        break;
    }
    __atomic_store_n(&tg->after, 1, __ATOMIC_RELEASE);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

/* Starts a target for point p, cancels it, joins: 0 when it ended with
 * PTHREAD_CANCELED at the point, its handlers run 2 then 1. */
static int cancel_at(enum point p)
{
    struct target tg = {.point = p};
    if (pipe(tg.fds) != 0)
        return -1;
    pthread_t other = 0;
    if (p == P_JOIN) {
        if (pthread_create(&other, NULL, never_ends, NULL) != 0)
            return -2;
        tg.other = other;
    }
    pthread_t th;
    int rc = pthread_create(&th, NULL, target_fn, &tg);
    if (rc != 0)
        return -3;
    wait_flag(&tg.ready);
    rc = pthread_cancel(th);
    __atomic_store_n(&tg.requested, 1, __ATOMIC_RELEASE);
    void *ret = NULL;
    int jr = pthread_join(th, &ret);
    int res = 0;
    if (rc != 0 || jr != 0)
        res = -4;
    else if (ret != PTHREAD_CANCELED || tg.after)
        res = -5;
    else if (tg.norder != 2 || tg.order[0] != 2 || tg.order[1] != 1)
        res = -6;
    if (other) {
        pthread_cancel(other); /* it sleeps in steps of a second */
        pthread_join(other, NULL);
    }
    close(tg.fds[0]);
    close(tg.fds[1]);
    return res;
}

TEST(cancel_at_each_point)
{
    static const char *const names[P_N] = {
        "testcancel", "nanosleep", "sleep", "read",           "write",
        "join",       "waitpid",   "fsync", "clock_nanosleep"};
    for (int p = 0; p < P_N; p++) {
        int r = cancel_at((enum point)p);
        CHECKF(r == 0, "cancel at %s: %d", names[p], r);
    }
}

static void *disabled_fn(void *arg)
{
    struct target *tg = arg;
    int old = -1;
    EXPECT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) == 0);
    EXPECT(old == PTHREAD_CANCEL_ENABLE);
    __atomic_store_n(&tg->ready, 1, __ATOMIC_RELEASE);
    wait_flag(&tg->requested);
    pthread_testcancel(); /* disabled: stays pending */
    ut_sleep_ms(1);
    tg->order[0] = 1; /* got here */
    /* Enabling (deferred) does not act; the next point does. */
    EXPECT(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old) == 0);
    EXPECT(old == PTHREAD_CANCEL_DISABLE);
    tg->order[1] = 1;
    pthread_testcancel();
    tg->order[2] = 1; /* must not get here */
    return NULL;
}

TEST(cancel_disabled_stays_pending)
{
    struct target tg = {0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, disabled_fn, &tg), 0);
    wait_flag(&tg.ready);
    CHECK_RC(pthread_cancel(th), 0);
    __atomic_store_n(&tg.requested, 1, __ATOMIC_RELEASE);
    void *ret = NULL;
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_EQ(tg.order[0], 1);
    CHECK_EQ(tg.order[1], 1);
    CHECK_EQ(tg.order[2], 0);
}

static void *async_fn(void *arg)
{
    struct target *tg = arg;
    EXPECT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL) == 0);
    int old = -1;
    EXPECT(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old) == 0);
    EXPECT(old == PTHREAD_CANCEL_DEFERRED);
    __atomic_store_n(&tg->ready, 1, __ATOMIC_RELEASE);
    wait_flag(&tg->requested);
    tg->order[0] = 1;
    /* Asynchronous and pending: enabling acts at once. */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    tg->order[1] = 1; /* must not get here */
    return NULL;
}

TEST(cancel_async_acts_when_enabled)
{
    struct target tg = {0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, async_fn, &tg), 0);
    wait_flag(&tg.ready);
    CHECK_RC(pthread_cancel(th), 0);
    __atomic_store_n(&tg.requested, 1, __ATOMIC_RELEASE);
    void *ret = NULL;
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_EQ(tg.order[0], 1);
    CHECK_EQ(tg.order[1], 0);
}

static void *self_fn(void *arg)
{
    struct target *tg = arg;
    EXPECT(pthread_cancel(pthread_self()) == 0);
    tg->order[0] = 1; /* deferred: goes on */
    pthread_testcancel();
    tg->order[1] = 1;
    return NULL;
}

static void *exit_fn(void *arg)
{
    struct target *tg = arg;
    long h1[2] = {(long)tg, 1}, h2[2] = {(long)tg, 2}, h3[2] = {(long)tg, 3};
    pthread_cleanup_push(record, h1);
    pthread_cleanup_push(record, h2);
    pthread_cleanup_push(record, h3);
    pthread_cleanup_pop(1); /* runs 3 */
    pthread_cleanup_push(record, h3);
    pthread_cleanup_pop(0);  /* does not */
    pthread_exit((void *)7); /* runs 2, then 1 */
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

TEST(cancel_self_and_cleanup_on_exit)
{
    struct target tg = {0};
    pthread_t th;
    void *ret = NULL;
    CHECK_RC(pthread_create(&th, NULL, self_fn, &tg), 0);
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_EQ(tg.order[0], 1);
    CHECK_EQ(tg.order[1], 0);

    struct target t2 = {0};
    CHECK_RC(pthread_create(&th, NULL, exit_fn, &t2), 0);
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK_EQ((long)ret, 7);
    CHECK_EQ(t2.norder, 3);
    CHECK_EQ(t2.order[0], 3);
    CHECK_EQ(t2.order[1], 2);
    CHECK_EQ(t2.order[2], 1);
}

static void *quick_fn(void *arg)
{
    return arg;
}

TEST(cancel_errors)
{
    CHECK_RC(pthread_setcancelstate(7, NULL), EINVAL);
    CHECK_RC(pthread_setcanceltype(7, NULL), EINVAL);
    CHECK_RC(pthread_cancel((pthread_t)(CAP_SLOTS - 1)), ESRCH);
    CHECK_RC(pthread_cancel((pthread_t)5), ESRCH); /* an fd slot */
    CHECK_RC(pthread_cancel((pthread_t)100000), ESRCH);
    /* A thread that has ended but is not joined: accepted, no effect. */
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, quick_fn, (void *)3), 0);
    ut_sleep_ms(20);
    for (int i = 0; i < 100; i++) {
        struct keel_threadinfo ti;
        int ended = 0;
        for (int r = 0; keel_threadinfo(r, &ti) == 1; r++)
            if (ti.pid == getpid() && ti.tid == (int)th)
                ended = ti.state == KEEL_TSTATE_EXITED;
        if (ended)
            break;
        ut_sleep_ms(5);
    }
    CHECK_RC(pthread_cancel(th), 0);
    void *ret = NULL;
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK_EQ((long)ret, 3);
    CHECK_RC(pthread_cancel(th), ESRCH); /* joined: gone */
    /* The caller's own state round-trips. */
    int old = -1;
    CHECK_RC(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old), 0);
    CHECK_EQ(old, PTHREAD_CANCEL_DEFERRED);
    CHECK_RC(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old), 0);
    CHECK_EQ(old, PTHREAD_CANCEL_ENABLE);
}

/* Many targets on every hart, cancelled while they run testcancel loops
 * or sleep in short steps; every one ends with PTHREAD_CANCELED and every
 * slot comes back. */
static void *loop_fn(void *arg)
{
    long kind = (long)arg;
    for (;;) {
        if (kind & 1)
            ut_sleep_ms(1);
        else
            sched_yield();
        pthread_testcancel();
    }
    return NULL;
}

TEST(cancel_many_threads)
{
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    for (int round = 0; round < 4; round++) {
        pthread_t th[16];
        int n = 0;
        for (; n < 16; n++)
            if (pthread_create(&th[n], NULL, loop_fn, (void *)(long)n) != 0)
                break;
        CHECK(n >= 8);
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad += pthread_cancel(th[i]) != 0;
        for (int i = 0; i < n; i++) {
            void *ret = NULL;
            bad += pthread_join(th[i], &ret) != 0 || ret != PTHREAD_CANCELED;
        }
        CHECK_EQ(bad, 0);
    }
    CHECKF(ut_kstat_settle(&k0, &k1) == 0, "threads in use %u, expected %u",
           k1.threads_in_use, k0.threads_in_use);
}

/* ---- waking a target (KEEL_SIGCANCEL) ---- */

enum wake_kind {
    W_NANOSLEEP,
    W_CLOCK_NANOSLEEP,
    W_READ,
    W_JOIN,
    W_SIGTIMEDWAIT,
    W_N
};

struct waker {
    enum wake_kind kind;
    int fds[2];
    pthread_t helper;     /* ends the wait by itself after 20 s */
    volatile int blocked; /* the target is about to block */
    volatile int after;   /* the target got past its call */
    volatile int cleaned; /* its cleanup handler ran */
};

static void mark_cleaned(void *arg)
{
    ((struct waker *)arg)->cleaned = 1;
}

static void *sleep_20s(void *arg)
{
    struct timespec ts = {20, 0};
    nanosleep(&ts, NULL);
    return arg;
}

static void *write_after_20s(void *arg)
{
    struct waker *w = arg;
    struct timespec ts = {20, 0};
    nanosleep(&ts, NULL);
    (void)!write(w->fds[1], "x", 1);
    return NULL;
}

static void *wake_target(void *arg)
{
    struct waker *w = arg;
    pthread_cleanup_push(mark_cleaned, w);
    __atomic_store_n(&w->blocked, 1, __ATOMIC_RELEASE);
    struct timespec ts = {20, 0};
    char c;
    switch (w->kind) {
    case W_NANOSLEEP:
        nanosleep(&ts, NULL);
        break;
    case W_CLOCK_NANOSLEEP:
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        break;
    case W_READ:
        (void)!read(w->fds[0], &c, 1);
        break;
    case W_JOIN:
        pthread_join(w->helper, NULL);
        break;
    case W_SIGTIMEDWAIT: {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        sigtimedwait(&set, NULL, &ts);
        break;
    }
    default:
        break;
    }
    __atomic_store_n(&w->after, 1, __ATOMIC_RELEASE);
    pthread_cleanup_pop(0);
    return NULL;
}

/* The target's thread row says it is blocked or sleeping (tid th). */
static int is_waiting(pthread_t th)
{
    struct keel_threadinfo ti;
    for (int r = 0; keel_threadinfo(r, &ti) == 1; r++)
        if (ti.pid == getpid() && ti.tid == (int)th)
            return ti.state == KEEL_TSTATE_BLOCKED ||
                   ti.state == KEEL_TSTATE_SLEEPING;
    return 0;
}

static int wake_once(enum wake_kind k)
{
    struct waker w = {.kind = k};
    if (pipe(w.fds) != 0)
        return -1;
    int rc = 0;
    if (k == W_READ)
        rc = pthread_create(&w.helper, NULL, write_after_20s, &w);
    else if (k == W_JOIN)
        rc = pthread_create(&w.helper, NULL, sleep_20s, NULL);
    if (rc)
        return -2;
    pthread_t th;
    if (pthread_create(&th, NULL, wake_target, &w) != 0)
        return -3;
    while (!__atomic_load_n(&w.blocked, __ATOMIC_ACQUIRE))
        sched_yield();
    /* Wait (no bound needed: the call ends by itself) until it sleeps in
     * the kernel, so the request finds it blocked. */
    while (!is_waiting(th) && !__atomic_load_n(&w.after, __ATOMIC_ACQUIRE))
        ut_sleep_ms(2);
    int res = 0;
    if (pthread_cancel(th) != 0)
        res = -4;
    void *ret = NULL;
    if (pthread_join(th, &ret) != 0)
        res = -5;
    else if (ret != PTHREAD_CANCELED)
        res = -6;
    else if (w.after)
        res = -7; /* not woken: the call ran to its end */
    else if (!w.cleaned)
        res = -8;
    if (k == W_READ || k == W_JOIN) {
        pthread_cancel(w.helper); /* it sleeps: woken the same way */
        pthread_join(w.helper, NULL);
    }
    close(w.fds[0]);
    close(w.fds[1]);
    return res;
}

TEST(cancel_wakes_blocked_target)
{
    static const char *const names[W_N] = {
        "nanosleep", "clock_nanosleep", "read", "pthread_join", "sigtimedwait"};
    for (int k = 0; k < W_N; k++) {
        int r = wake_once((enum wake_kind)k);
        CHECKF(r == 0, "blocked in %s: %d", names[k], r);
    }
}

/* Spins without any cancellation point for n rounds. */
struct spinner {
    int async;
    unsigned long n; /* rounds to spin */
    volatile int running;
    volatile int finished;
    volatile unsigned long rounds;
};

static void *spin_fn(void *arg)
{
    struct spinner *s = arg;
    if (s->async)
        EXPECT(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL) == 0);
    __atomic_store_n(&s->running, 1, __ATOMIC_RELEASE);
    for (unsigned long i = 0; i < s->n; i++)
        s->rounds = i;
    s->finished = 1;
    if (s->async)
        pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
    return NULL;
}

TEST(cancel_async_stops_a_spinner)
{
    struct spinner s = {.async = 1, .n = 1ul << 30};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, spin_fn, &s), 0);
    while (!__atomic_load_n(&s.running, __ATOMIC_ACQUIRE))
        sched_yield();
    CHECK_RC(pthread_cancel(th), 0);
    void *ret = NULL;
    CHECK_RC(pthread_join(th, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_EQ(s.finished, 0);
}

TEST(cancel_deferred_spinner_runs_to_a_point)
{
    /* Deferred: the signal interrupts it, but it goes on to the end of its
     * loop and returns normally (no cancellation point on the way). */
    struct spinner s = {.async = 0, .n = 1ul << 24};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, spin_fn, &s), 0);
    while (!__atomic_load_n(&s.running, __ATOMIC_ACQUIRE))
        sched_yield();
    CHECK_RC(pthread_cancel(th), 0);
    void *ret = &ret;
    CHECK_RC(pthread_join(th, &ret), 0); /* join: the thread is done */
    CHECK(ret == NULL);
    CHECK_EQ(s.finished, 1);
}

const struct utest ut_cancel_tests[] = {
    UT_CASE(cancel_at_each_point),
    UT_CASE(cancel_disabled_stays_pending),
    UT_CASE(cancel_async_acts_when_enabled),
    UT_CASE(cancel_self_and_cleanup_on_exit),
    UT_CASE(cancel_errors),
    UT_CASE(cancel_many_threads),
    UT_CASE(cancel_wakes_blocked_target),
    UT_CASE(cancel_async_stops_a_spinner),
    UT_CASE(cancel_deferred_spinner_runs_to_a_point),
    UT_END,
};
