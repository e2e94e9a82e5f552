/*
 * Issue 9: condition variables. In-process ones (a futex word in libc)
 * and process-shared ones (CAP_TYPE_CONDVAR kernel objects), with
 * in-process and kernel mutexes in every combination: signal and
 * broadcast, timed waits on CLOCK_REALTIME and CLOCK_MONOTONIC, every
 * error, priority-ordered wake-up, a condvar shared with another process
 * through spawn inheritance, revoke while blocked, no leaks. The helper
 * process is t_kmutex.c's "kmx" (t_kobj_util.h).
 */
#include <keel/obj.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "t_kobj_util.h"
#include "ut_peer.h"

/* A condvar: pshared or not, on clk. */
static int cv_make(pthread_cond_t *c, int pshared, clockid_t clk)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setpshared(&a, pshared);
    pthread_condattr_setclock(&a, clk);
    int rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

/* The 4 combinations: condvar pshared (bit 0), mutex a kernel one (bit 1). */
static int cv_pair(int combo, pthread_cond_t *c, pthread_mutex_t *m,
                   clockid_t clk)
{
    int rc = cv_make(
        c, combo & 1 ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE, clk);
    if (rc)
        return rc;
    return kx_mutex(
        m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE, PTHREAD_MUTEX_STALLED,
        combo & 2 ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
}

static const char *cv_wchan(int combo)
{
    return combo & 1 ? "condvar_obj" : "futex";
}

TEST(cond_attrs)
{
    pthread_condattr_t a;
    clockid_t clk;
    int v;
    CHECK_RC(pthread_condattr_init(&a), 0);
    CHECK_RC(pthread_condattr_getclock(&a, &clk), 0);
    CHECK_EQ(clk, CLOCK_REALTIME);
    CHECK_RC(pthread_condattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_RC(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
    CHECK_RC(pthread_condattr_getclock(&a, &clk), 0);
    CHECK_EQ(clk, CLOCK_MONOTONIC);
    CHECK_RC(pthread_condattr_setclock(&a, (clockid_t)99), EINVAL);
    CHECK_RC(pthread_condattr_setpshared(&a, 2), EINVAL);
    CHECK_RC(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_RC(pthread_condattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_condattr_getclock(&a, NULL), EINVAL);
    CHECK_RC(pthread_condattr_destroy(&a), 0);
    CHECK_RC(pthread_condattr_setclock(&a, CLOCK_REALTIME), EINVAL);
    CHECK_RC(pthread_cond_init(&(pthread_cond_t){0}, &a), EINVAL);

    long o0 = kx_objects();
    pthread_cond_t s = PTHREAD_COND_INITIALIZER, k;
    CHECK_EQ(keel_cond_slot(&s), -1);
    CHECK_RC(pthread_cond_signal(&s), 0); /* nobody waits */
    CHECK_RC(pthread_cond_broadcast(&s), 0);
    CHECK_RC(pthread_cond_destroy(&s), 0);
    CHECK_RC(cv_make(&k, PTHREAD_PROCESS_SHARED, CLOCK_MONOTONIC), 0);
    CHECK_EQ(kx_objects(), o0 + 1);
    struct cap_info ci;
    int slot = keel_cond_slot(&k);
    CHECK_OK(cap_info(slot, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_CONDVAR);
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
    pthread_cond_t k2;
    CHECK_RC(keel_cond_attach(&k2, slot), 0);
    CHECK_RC(pthread_cond_signal(&k2), 0);
    CHECK_RC(pthread_cond_broadcast(&k), 0);
    CHECK_RC(pthread_cond_destroy(&k), 0);
    CHECK_ERRNO(cap_info(slot, &ci), EBADF);
    CHECK_RC(pthread_cond_signal(&k2), EBADF); /* stale */
    CHECK_EQ(kx_objects(), o0);
}

/* ---- signal and broadcast ---- */

static pthread_cond_t sb_c;
static pthread_mutex_t sb_m;
static int sb_tokens, sb_woken; /* under sb_m */

struct sb_waiter {
    pthread_t th;
    volatile int tid;
    int r;
    int order; /* when it got its token: 1, 2, ... */
};

static void *sb_wait(void *p)
{
    struct sb_waiter *w = p;
    w->tid = (int)keel_syscall6(SYS_thread_self, 0, 0, 0, 0, 0, 0);
    w->r = pthread_mutex_lock(&sb_m);
    while (w->r == 0 && sb_tokens == 0)
        w->r = pthread_cond_wait(&sb_c, &sb_m);
    if (w->r == 0) {
        sb_tokens--;
        w->order = ++sb_woken;
        w->r = pthread_mutex_unlock(&sb_m);
    }
    return NULL;
}

static int sb_woken_now(void)
{
    pthread_mutex_lock(&sb_m);
    int n = sb_woken;
    pthread_mutex_unlock(&sb_m);
    return n;
}

static int sb_wait_woken(int n)
{
    for (int i = 0; i < 2000 && sb_woken_now() < n; i++)
        ut_sleep_ms(5);
    return sb_woken_now() >= n;
}

TEST(cond_signal_broadcast_all_kinds)
{
    long o0 = kx_objects();
    for (int combo = 0; combo < 4; combo++) {
        CHECK_RC(cv_pair(combo, &sb_c, &sb_m, CLOCK_REALTIME), 0);
        sb_tokens = sb_woken = 0;
        struct sb_waiter w[3];
        for (int i = 0; i < 3; i++) {
            w[i] = (struct sb_waiter){.tid = -1};
            CHECK_RC(pthread_create(&w[i].th, NULL, sb_wait, &w[i]), 0);
            while (w[i].tid < 0)
                ut_sleep_ms(2);
            CHECKF(kx_wait_blocked(getpid(), w[i].tid, cv_wchan(combo)),
                   "combo %d: waiter %d never blocked", combo, i);
        }
        CHECK_RC(pthread_mutex_lock(&sb_m), 0);
        sb_tokens = 1;
        CHECK_RC(pthread_cond_signal(&sb_c), 0);
        CHECK_RC(pthread_mutex_unlock(&sb_m), 0);
        CHECKF(sb_wait_woken(1), "combo %d: a signal woke nobody", combo);
        ut_sleep_ms(20);
        CHECK_EQ(sb_woken_now(), 1); /* the others still wait */
        CHECK_RC(pthread_mutex_lock(&sb_m), 0);
        sb_tokens = 2;
        CHECK_RC(pthread_cond_broadcast(&sb_c), 0);
        CHECK_RC(pthread_mutex_unlock(&sb_m), 0);
        for (int i = 0; i < 3; i++) {
            CHECK_RC(pthread_join(w[i].th, NULL), 0);
            CHECK_EQ(w[i].r, 0);
        }
        CHECK_EQ(sb_woken, 3);
        CHECK_RC(pthread_cond_destroy(&sb_c), 0);
        CHECK_RC(pthread_mutex_destroy(&sb_m), 0);
    }
    CHECK_EQ(kx_objects(), o0);
}

/* ---- priority order ---- */

TEST(cond_signal_wakes_highest_priority)
{
    long o0 = kx_objects();
    for (int combo = 0; combo < 4; combo++) {
        CHECK_RC(cv_pair(combo, &sb_c, &sb_m, CLOCK_REALTIME), 0);
        sb_tokens = sb_woken = 0;
        struct sb_waiter w[2];
        const int prio[2] = {12, 25};
        for (int i = 0; i < 2; i++) {
            pthread_attr_t at;
            struct sched_param sp = {.sched_priority = prio[i]};
            pthread_attr_init(&at);
            pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
            pthread_attr_setschedpolicy(&at, SCHED_FIFO);
            pthread_attr_setschedparam(&at, &sp);
            w[i] = (struct sb_waiter){.tid = -1};
            CHECK_RC(pthread_create(&w[i].th, &at, sb_wait, &w[i]), 0);
            pthread_attr_destroy(&at);
            for (int k = 0; k < 2000 && w[i].tid < 0; k++)
                ut_sleep_ms(2);
            CHECK(kx_wait_blocked(getpid(), w[i].tid, cv_wchan(combo)));
        }
        CHECK_RC(pthread_mutex_lock(&sb_m), 0);
        sb_tokens = 1;
        CHECK_RC(pthread_cond_signal(&sb_c), 0);
        CHECK_RC(pthread_mutex_unlock(&sb_m), 0);
        CHECK(sb_wait_woken(1));
        CHECKF(w[1].order == 1, "combo %d: the low waiter woke first", combo);
        CHECK_RC(pthread_mutex_lock(&sb_m), 0);
        sb_tokens = 1;
        CHECK_RC(pthread_cond_signal(&sb_c), 0);
        CHECK_RC(pthread_mutex_unlock(&sb_m), 0);
        for (int i = 0; i < 2; i++)
            CHECK_RC(pthread_join(w[i].th, NULL), 0);
        CHECK_EQ(w[0].order, 2);
        CHECK_RC(pthread_cond_destroy(&sb_c), 0);
        CHECK_RC(pthread_mutex_destroy(&sb_m), 0);
    }
    CHECK_EQ(kx_objects(), o0);
}

/* ---- timed waits on both clocks ---- */

TEST(cond_timedwait_both_clocks)
{
    long o0 = kx_objects();
    for (int combo = 0; combo < 4; combo++) {
        for (int ck = 0; ck < 2; ck++) {
            clockid_t clk = ck ? CLOCK_MONOTONIC : CLOCK_REALTIME;
            pthread_cond_t c;
            pthread_mutex_t m;
            CHECK_RC(cv_pair(combo, &c, &m, clk), 0);
            CHECK_RC(pthread_mutex_lock(&m), 0);
            uint64_t t0 = ut_now_ns();
            struct timespec ts = kx_in(clk, 20 * MS);
            CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
            /* a lower bound only: the time was read on the right clock */
            CHECKF(ut_now_ns() - t0 >= 19 * MS, "combo %d clock %d: early",
                   combo, ck);
            CHECK_RC(kx_other(&m, 'T'), EBUSY); /* relocked */
            ts = kx_in(clk, -5 * MS);
            CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
            ts = (struct timespec){-1, 0};
            CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
            ts = kx_in(clk, 5 * MS);
            ts.tv_nsec = 1000000000;
            CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), EINVAL);
            ts.tv_nsec = -1;
            CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), EINVAL);
            CHECK_RC(pthread_cond_timedwait(&c, &m, NULL), EINVAL);
            CHECK_RC(pthread_mutex_unlock(&m), 0); /* still ours */
            CHECK_RC(pthread_cond_destroy(&c), 0);
            CHECK_RC(pthread_mutex_destroy(&m), 0);
        }
    }
    CHECK_EQ(kx_objects(), o0);
}

/* ---- errors ---- */

static pthread_cond_t eb_c;
static pthread_mutex_t eb_m;
static volatile int eb_tid = -1;
static int eb_r = -1;

static void *eb_wait(void *p)
{
    (void)p;
    pthread_mutex_lock(&eb_m);
    eb_tid = (int)keel_syscall6(SYS_thread_self, 0, 0, 0, 0, 0, 0);
    eb_r = pthread_cond_wait(&eb_c, &eb_m);
    pthread_mutex_unlock(&eb_m);
    return NULL;
}

TEST(cond_errors)
{
    long o0 = kx_objects();
    for (int combo = 0; combo < 4; combo++) {
        CHECK_RC(cv_pair(combo, &eb_c, &eb_m, CLOCK_REALTIME), 0);
        struct timespec ts = kx_in(CLOCK_REALTIME, 5 * MS);
        CHECK_RC(pthread_cond_wait(&eb_c, &eb_m), EPERM); /* not held */
        CHECK_RC(pthread_cond_timedwait(&eb_c, &eb_m, &ts), EPERM);
        CHECK_RC(pthread_cond_wait(NULL, &eb_m), EINVAL);
        CHECK_RC(pthread_cond_wait(&eb_c, NULL), EINVAL);
        CHECK_RC(pthread_cond_signal(NULL), EINVAL);
        /* destroy while a thread waits */
        eb_tid = -1;
        pthread_t t;
        CHECK_RC(pthread_create(&t, NULL, eb_wait, NULL), 0);
        while (eb_tid < 0)
            ut_sleep_ms(2);
        CHECK(kx_wait_blocked(getpid(), eb_tid, cv_wchan(combo)));
        CHECK_RC(pthread_cond_destroy(&eb_c), EBUSY);
        CHECK_RC(pthread_mutex_lock(&eb_m), 0);
        CHECK_RC(pthread_cond_signal(&eb_c), 0);
        CHECK_RC(pthread_mutex_unlock(&eb_m), 0);
        CHECK_RC(pthread_join(t, NULL), 0);
        CHECK_EQ(eb_r, 0);
        CHECK_RC(pthread_cond_destroy(&eb_c), 0);
        CHECK_RC(pthread_mutex_destroy(&eb_m), 0);
    }
    /* a recursive mutex held twice is released whole, then restored */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    CHECK_RC(pthread_mutex_init(&eb_m, &a), 0);
    pthread_mutexattr_destroy(&a);
    CHECK_RC(cv_make(&eb_c, PTHREAD_PROCESS_PRIVATE, CLOCK_MONOTONIC), 0);
    CHECK_RC(pthread_mutex_lock(&eb_m), 0);
    CHECK_RC(pthread_mutex_lock(&eb_m), 0);
    struct timespec ts = kx_in(CLOCK_MONOTONIC, 10 * MS);
    CHECK_RC(pthread_cond_timedwait(&eb_c, &eb_m, &ts), ETIMEDOUT);
    CHECK_RC(pthread_mutex_unlock(&eb_m), 0);
    CHECK_RC(kx_other(&eb_m, 'T'), EBUSY); /* still held once */
    CHECK_RC(pthread_mutex_unlock(&eb_m), 0);
    CHECK_RC(pthread_mutex_unlock(&eb_m), EPERM);
    CHECK_RC(pthread_cond_destroy(&eb_c), 0);
    CHECK_RC(pthread_mutex_destroy(&eb_m), 0);
    /* raw: a mutex slot that is not a mutex, a bad op */
    CHECK_RC(cv_make(&eb_c, PTHREAD_PROCESS_SHARED, CLOCK_REALTIME), 0);
    CHECK_EQ(keel_syscall6(SYS_cond, KEEL_COND_WAIT, keel_cond_slot(&eb_c),
                           keel_cond_slot(&eb_c), 0, 0, 0),
             -EBADF);
    CHECK_EQ(keel_syscall6(SYS_cond, 42, keel_cond_slot(&eb_c), 0, 0, 0, 0),
             -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_cond, KEEL_COND_CREATE, 0, 7, 0, 0, 0), -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_cond, KEEL_COND_SIGNAL, 0, 0, 0, 0, 0), -EBADF);
    CHECK_RC(pthread_cond_destroy(&eb_c), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* ---- across processes ---- */

TEST(cond_pshared_across_processes)
{
    long o0 = kx_objects();
    pthread_cond_t c;
    pthread_mutex_t m;
    CHECK_RC(cv_pair(3, &c, &m, CLOCK_MONOTONIC), 0);
    struct kx h;
    CHECK_RC(kx_start(&h), 0); /* inherits both (GRANT) */
    CHECK_EQ(kx_call(&h, 'A', keel_mutex_slot(&m)), 0);
    CHECK_EQ(kx_call(&h, 'a', keel_cond_slot(&c)), 0);
    for (int round = 0; round < 2; round++) {
        CHECK_EQ(kx_call(&h, 'L', 0), 0);
        CHECK_OK(kx_send(&h, 'W', 0));
        /* we get the mutex only once the helper waits (atomic release) */
        CHECK_RC(pthread_mutex_lock(&m), 0);
        CHECK(kx_wait_blocked(h.pid, -1, "condvar_obj"));
        CHECK_RC(round ? pthread_cond_broadcast(&c) : pthread_cond_signal(&c),
                 0);
        CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_EQ(kx_recv(&h), 0); /* woken, the mutex relocked */
        CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
        CHECK_EQ(kx_call(&h, 'U', 0), 0);
    }
    CHECK_EXITED(kx_end(&h), 0);
    CHECK_RC(pthread_cond_destroy(&c), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

TEST(cond_revoke_while_blocked)
{
    ut_revoke_all();
    long o0 = kx_objects();
    struct kx h;
    CHECK_RC(kx_start(&h), 0); /* first: it inherits neither */
    pthread_cond_t c;
    pthread_mutex_t m;
    CHECK_RC(cv_pair(3, &c, &m, CLOCK_REALTIME), 0);
    cap_token_t tm, tc, dm, dc;
    int sm = -1, sc = -1;
    CHECK_OK(cap_get_token(keel_mutex_slot(&m), CAP_TYPE_MUTEX, &tm));
    CHECK_OK(cap_get_token(keel_cond_slot(&c), CAP_TYPE_CONDVAR, &tc));
    CHECK_OK(
        cap_transfer(h.pid, tm, CAP_RIGHT_READ | CAP_RIGHT_WRITE, &dm, &sm));
    CHECK_OK(
        cap_transfer(h.pid, tc, CAP_RIGHT_READ | CAP_RIGHT_WRITE, &dc, &sc));
    CHECK_EQ(kx_call(&h, 'A', sm), 0);
    CHECK_EQ(kx_call(&h, 'a', sc), 0);
    CHECK_EQ(kx_call(&h, 'L', 0), 0);
    CHECK_OK(kx_send(&h, 'W', 0));
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK(kx_wait_blocked(h.pid, -1, "condvar_obj"));
    CHECK_OK(cap_revoke_delegate(dc));
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(kx_recv(&h), EBADF); /* its wait ends, the mutex relocked */
    CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
    CHECK_EQ(kx_call(&h, 'S', 0), EBADF);
    CHECK_EQ(kx_call(&h, 'U', 0), 0);
    /* the condvar lives on for us */
    CHECK_RC(pthread_mutex_lock(&m), 0);
    struct timespec ts = kx_in(CLOCK_REALTIME, 5 * MS);
    CHECK_RC(pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_OK(cap_revoke_delegate(dm));
    CHECK_EXITED(kx_end(&h), 0);
    CHECK_RC(pthread_cond_destroy(&c), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

const struct utest ut_cond_tests[] = {
    UT_CASE(cond_attrs),
    UT_CASE(cond_signal_broadcast_all_kinds),
    UT_CASE(cond_signal_wakes_highest_priority),
    UT_CASE(cond_timedwait_both_clocks),
    UT_CASE(cond_errors),
    UT_CASE(cond_pshared_across_processes),
    UT_CASE(cond_revoke_while_blocked),
    UT_END,
};
