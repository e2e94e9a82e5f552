/*
 * Absolute CLOCK_REALTIME timeouts follow clock_settime in every timed
 * wait (POSIX clock_settime: "the new value of the clock shall be used to
 * determine the time of expiration for absolute time services based upon
 * the CLOCK_REALTIME clock"): pthread_mutex_timedlock (futex WAIT, PI
 * futex, kernel mutex plain and PI), pthread_cond_timedwait on a
 * CLOCK_REALTIME condvar (futex, kernel condvar), pthread_rwlock_timedrd/
 * wrlock (futex, kernel rwlock), sem_timedwait, mq_timedreceive and
 * mq_timedsend. (clock_nanosleep: t_clock.c.)
 *
 * Every case has two waiters blocked at once (26 in all, more than one
 * settime wake-up batch). A forward set past their deadline ends every
 * wait with ETIMEDOUT; a backward set keeps them waiting past the time
 * their deadline would have come on the old clock, and a later forward
 * set ends them. The suite holds init's system cap, which clock_settime
 * needs. The clock is put back (to what it would read) before any check.
 * The polls are safety nets, not time checks: a wait that does not end
 * is ended by releasing its object (it then returns 0, which fails).
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define NS 1000000000LL
#define PER_CASE 2

static long long rtw_now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

static struct timespec rtw_ts(long long ns)
{
    struct timespec ts = {(time_t)(ns / NS), (long)(ns % NS)};
    return ts;
}

/* ---- the objects: every wait blocks until released ---- */

enum { MX_NORMAL, MX_PI, MX_K, MX_KPI, MX_N };
static pthread_mutex_t rtw_mx[MX_N];
static pthread_rwlock_t rtw_rw[2]; /* private (futex), shared (kernel) */
static pthread_cond_t rtw_cv[2];
static pthread_mutex_t rtw_cvm[2];
static sem_t rtw_sem;
static mqd_t rtw_mq_empty = (mqd_t)-1, rtw_mq_full = (mqd_t)-1;
#define RTW_MQ_EMPTY "/rtw_empty"
#define RTW_MQ_FULL "/rtw_full"

static int rtw_mutex_init(pthread_mutex_t *m, int proto, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    int r = pthread_mutexattr_setprotocol(&a, proto);
    if (!r)
        r = pthread_mutexattr_setpshared(&a, pshared);
    if (!r)
        r = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return r;
}

/* Creates everything and takes what the waiters will wait for. */
static int rtw_setup(void)
{
    int r = 0;
    r |= rtw_mutex_init(&rtw_mx[MX_NORMAL], PTHREAD_PRIO_NONE,
                        PTHREAD_PROCESS_PRIVATE);
    r |= rtw_mutex_init(&rtw_mx[MX_PI], PTHREAD_PRIO_INHERIT,
                        PTHREAD_PROCESS_PRIVATE);
    r |= rtw_mutex_init(&rtw_mx[MX_K], PTHREAD_PRIO_NONE,
                        PTHREAD_PROCESS_SHARED);
    r |= rtw_mutex_init(&rtw_mx[MX_KPI], PTHREAD_PRIO_INHERIT,
                        PTHREAD_PROCESS_SHARED);
    for (int i = 0; i < 2; i++) {
        int ps = i ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
        pthread_rwlockattr_t ra;
        pthread_rwlockattr_init(&ra);
        r |= pthread_rwlockattr_setpshared(&ra, ps);
        r |= pthread_rwlock_init(&rtw_rw[i], &ra);
        pthread_rwlockattr_destroy(&ra);
        pthread_condattr_t ca; /* the default clock: CLOCK_REALTIME */
        pthread_condattr_init(&ca);
        r |= pthread_condattr_setpshared(&ca, ps);
        r |= pthread_cond_init(&rtw_cv[i], &ca);
        pthread_condattr_destroy(&ca);
        r |= rtw_mutex_init(&rtw_cvm[i], PTHREAD_PRIO_NONE, ps);
    }
    if (r)
        return -1;
    if (sem_init(&rtw_sem, 0, 0))
        return -2;
    mq_unlink(RTW_MQ_EMPTY);
    mq_unlink(RTW_MQ_FULL);
    struct mq_attr qa = {.mq_maxmsg = PER_CASE, .mq_msgsize = 8};
    rtw_mq_empty = mq_open(RTW_MQ_EMPTY, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
    qa.mq_maxmsg = 1;
    rtw_mq_full = mq_open(RTW_MQ_FULL, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
    if (rtw_mq_empty == (mqd_t)-1 || rtw_mq_full == (mqd_t)-1)
        return -3;
    if (mq_send(rtw_mq_full, "full", 4, 0))
        return -4;
    for (int i = 0; i < MX_N; i++)
        if (pthread_mutex_lock(&rtw_mx[i]))
            return -5;
    for (int i = 0; i < 2; i++)
        if (pthread_rwlock_wrlock(&rtw_rw[i]))
            return -6;
    return 0;
}

/* The safety net: makes every wait still blocked succeed. */
static void rtw_release(void)
{
    for (int i = 0; i < MX_N; i++)
        pthread_mutex_unlock(&rtw_mx[i]);
    for (int i = 0; i < 2; i++) {
        pthread_rwlock_unlock(&rtw_rw[i]);
        pthread_cond_broadcast(&rtw_cv[i]);
    }
    for (int i = 0; i < PER_CASE; i++) {
        sem_post(&rtw_sem);
        mq_send(rtw_mq_empty, "go", 2, 0);
    }
    char buf[8];
    for (int i = 0; i < PER_CASE + 1; i++) {
        struct timespec soon = rtw_ts(rtw_now(CLOCK_REALTIME) + NS / 5);
        mq_timedreceive(rtw_mq_full, buf, sizeof(buf), NULL, &soon);
    }
}

static void rtw_teardown(bool released)
{
    if (!released) {
        for (int i = 0; i < MX_N; i++)
            pthread_mutex_unlock(&rtw_mx[i]);
        for (int i = 0; i < 2; i++)
            pthread_rwlock_unlock(&rtw_rw[i]);
    }
    for (int i = 0; i < MX_N; i++)
        pthread_mutex_destroy(&rtw_mx[i]);
    for (int i = 0; i < 2; i++) {
        pthread_rwlock_destroy(&rtw_rw[i]);
        pthread_cond_destroy(&rtw_cv[i]);
        pthread_mutex_destroy(&rtw_cvm[i]);
    }
    sem_destroy(&rtw_sem);
    mq_close(rtw_mq_empty);
    mq_close(rtw_mq_full);
    mq_unlink(RTW_MQ_EMPTY);
    mq_unlink(RTW_MQ_FULL);
}

/* ---- the timed calls: each returns an error number (0: it got in) ---- */

static int rtw_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
    int r = pthread_mutex_timedlock(m, abs);
    if (!r)
        pthread_mutex_unlock(m);
    return r;
}
static int w_mx_normal(const struct timespec *a)
{
    return rtw_timedlock(&rtw_mx[MX_NORMAL], a);
}
static int w_mx_pi(const struct timespec *a)
{
    return rtw_timedlock(&rtw_mx[MX_PI], a);
}
static int w_mx_k(const struct timespec *a)
{
    return rtw_timedlock(&rtw_mx[MX_K], a);
}
static int w_mx_kpi(const struct timespec *a)
{
    return rtw_timedlock(&rtw_mx[MX_KPI], a);
}
static int rtw_condwait(int i, const struct timespec *a)
{
    pthread_mutex_lock(&rtw_cvm[i]);
    int r = pthread_cond_timedwait(&rtw_cv[i], &rtw_cvm[i], a);
    pthread_mutex_unlock(&rtw_cvm[i]);
    return r;
}
static int w_cond(const struct timespec *a)
{
    return rtw_condwait(0, a);
}
static int w_kcond(const struct timespec *a)
{
    return rtw_condwait(1, a);
}
static int rtw_rwwait(int i, bool wr, const struct timespec *a)
{
    int r = wr ? pthread_rwlock_timedwrlock(&rtw_rw[i], a)
               : pthread_rwlock_timedrdlock(&rtw_rw[i], a);
    if (!r)
        pthread_rwlock_unlock(&rtw_rw[i]);
    return r;
}
static int w_rd(const struct timespec *a)
{
    return rtw_rwwait(0, false, a);
}
static int w_wr(const struct timespec *a)
{
    return rtw_rwwait(0, true, a);
}
static int w_krd(const struct timespec *a)
{
    return rtw_rwwait(1, false, a);
}
static int w_kwr(const struct timespec *a)
{
    return rtw_rwwait(1, true, a);
}
static int w_sem(const struct timespec *a)
{
    return sem_timedwait(&rtw_sem, a) ? errno : 0;
}
static int w_mq_recv(const struct timespec *a)
{
    char buf[8];
    return mq_timedreceive(rtw_mq_empty, buf, sizeof(buf), NULL, a) < 0 ? errno
                                                                        : 0;
}
static int w_mq_send(const struct timespec *a)
{
    return mq_timedsend(rtw_mq_full, "more", 4, 0, a) ? errno : 0;
}

static const struct rtw_case {
    const char *name;
    int (*wait)(const struct timespec *abs);
} rtw_cases[] = {
    {"pthread_mutex_timedlock (futex)", w_mx_normal},
    {"pthread_mutex_timedlock (PI futex)", w_mx_pi},
    {"pthread_mutex_timedlock (kernel mutex)", w_mx_k},
    {"pthread_mutex_timedlock (kernel PI mutex)", w_mx_kpi},
    {"pthread_cond_timedwait (futex)", w_cond},
    {"pthread_cond_timedwait (kernel condvar)", w_kcond},
    {"pthread_rwlock_timedrdlock (futex)", w_rd},
    {"pthread_rwlock_timedwrlock (futex)", w_wr},
    {"pthread_rwlock_timedrdlock (kernel rwlock)", w_krd},
    {"pthread_rwlock_timedwrlock (kernel rwlock)", w_kwr},
    {"sem_timedwait", w_sem},
    {"mq_timedreceive", w_mq_recv},
    {"mq_timedsend", w_mq_send},
};
#define NCASES ((int)(sizeof(rtw_cases) / sizeof(rtw_cases[0])))
#define NWAITERS (NCASES * PER_CASE)

struct rtw_waiter {
    const struct rtw_case *c;
    struct timespec abs;
    pthread_t th;
    int created;
    int started, done, rc; /* atomic */
    int early;             /* done when rtw_mark_early looked */
};
static struct rtw_waiter rtw_w[NWAITERS];

static void *rtw_thread(void *arg)
{
    struct rtw_waiter *w = arg;
    __atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
    int rc = w->c->wait(&w->abs);
    __atomic_store_n(&w->rc, rc, __ATOMIC_SEQ_CST);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Starts every waiter with deadline abs; the number started. */
static int rtw_start(struct timespec abs)
{
    int n = 0;
    for (int i = 0; i < NWAITERS; i++) {
        struct rtw_waiter *w = &rtw_w[i];
        memset(w, 0, sizeof(*w));
        w->c = &rtw_cases[i / PER_CASE];
        w->abs = abs;
        w->created = pthread_create(&w->th, NULL, rtw_thread, w) == 0;
        n += w->created;
    }
    return n;
}

/* The waiter is in its call and blocked there. */
static bool rtw_blocked(const struct rtw_waiter *w)
{
    if (!__atomic_load_n(&w->started, __ATOMIC_SEQ_CST))
        return false;
    struct keel_threadinfo ti;
    for (int i = 0; i < 4096; i++) {
        if (keel_threadinfo(i, &ti) != 1)
            return false;
        if (ti.pid == getpid() && ti.tid == (int)w->th)
            return ti.state == KEEL_TSTATE_BLOCKED;
    }
    return false;
}

/* Polls (bounded, ~20 s: a safety net) until every waiter is blocked. */
static bool rtw_all_blocked(void)
{
    for (int tries = 0; tries < 2000; tries++) {
        int n = 0;
        for (int i = 0; i < NWAITERS; i++)
            n += rtw_w[i].created && (rtw_w[i].done || rtw_blocked(&rtw_w[i]));
        if (n == NWAITERS)
            return true;
        ut_sleep_ms(10);
    }
    return false;
}

static int rtw_ndone(void)
{
    int n = 0;
    for (int i = 0; i < NWAITERS; i++)
        n += __atomic_load_n(&rtw_w[i].done, __ATOMIC_SEQ_CST);
    return n;
}

/* Records which waiters are done now; how many. */
static int rtw_mark_early(void)
{
    int n = 0;
    for (int i = 0; i < NWAITERS; i++)
        n += rtw_w[i].early = __atomic_load_n(&rtw_w[i].done, __ATOMIC_SEQ_CST);
    return n;
}

/* Polls (bounded, ~20 s: a safety net) until every waiter returned. */
static bool rtw_all_done(void)
{
    for (int tries = 0; tries < 2000; tries++) {
        if (rtw_ndone() == NWAITERS)
            return true;
        ut_sleep_ms(10);
    }
    return false;
}

/* Joins every waiter, releasing the objects first if some still wait;
 * returns whether it had to. */
static bool rtw_finish(void)
{
    bool release = !rtw_all_done();
    if (release)
        rtw_release();
    for (int i = 0; i < NWAITERS; i++)
        if (rtw_w[i].created)
            pthread_join(rtw_w[i].th, NULL);
    return release;
}

/* The first waiter whose result is not ETIMEDOUT, or -1. */
static int rtw_first_not_timedout(void)
{
    for (int i = 0; i < NWAITERS; i++)
        if (rtw_w[i].rc != ETIMEDOUT)
            return i;
    return -1;
}

/* A deadline an hour ahead; the clock is set a second past it: every
 * wait ends with ETIMEDOUT. */
TEST(rtwait_settime_forward_times_out)
{
    long long rt0 = rtw_now(CLOCK_REALTIME), m0 = rtw_now(CLOCK_MONOTONIC);
    int su = rtw_setup();
    long long dl = rt0 + 3600 * NS;
    int started = su ? 0 : rtw_start(rtw_ts(dl));
    bool blocked = started == NWAITERS && rtw_all_blocked();
    int early = rtw_ndone();
    struct timespec to = rtw_ts(dl + NS);
    int rc = started ? clock_settime(CLOCK_REALTIME, &to) : -1;
    bool released = started ? rtw_finish() : false;
    to = rtw_ts(rt0 + (rtw_now(CLOCK_MONOTONIC) - m0));
    int back = clock_settime(CLOCK_REALTIME, &to);
    rtw_teardown(released);
    CHECK_EQ(su, 0);
    CHECK_EQ(started, NWAITERS);
    CHECKF(blocked, "not every waiter blocked");
    CHECK_EQ(early, 0);
    CHECK_OK(rc);
    CHECK_OK(back);
    int bad = rtw_first_not_timedout();
    CHECKF(bad < 0,
           "%s returned %d, not ETIMEDOUT, after the clock was set "
           "past its deadline%s",
           rtw_cases[bad / PER_CASE].name, rtw_w[bad].rc,
           released ? " (it did not end: released)" : "");
}

/*
 * A deadline `margin` ahead; the clock is set back by an hour, and the
 * waits must still be blocked a second after the deadline would have
 * come on the old clock (monotonic time). Then a set past the deadline
 * ends them with ETIMEDOUT. Returns 1 when the waiters blocked only after
 * their deadline (load: the caller tries a longer margin), 0 otherwise
 * with the outcome in *out.
 */
struct rtw_back {
    int su, started, blocked, early, rc, rc2, back, released;
};
static int rtw_backward_once(long long margin, struct rtw_back *o)
{
    memset(o, 0, sizeof(*o));
    long long rt0 = rtw_now(CLOCK_REALTIME), m0 = rtw_now(CLOCK_MONOTONIC);
    o->su = rtw_setup();
    long long dl = rt0 + margin;
    o->started = o->su ? 0 : rtw_start(rtw_ts(dl));
    o->blocked = o->started == NWAITERS && rtw_all_blocked();
    long long rt1 = rtw_now(CLOCK_REALTIME);
    struct timespec to = rtw_ts(rt1 - 3600 * NS);
    o->rc = o->started ? clock_settime(CLOCK_REALTIME, &to) : -1;
    bool late = rt1 + NS / 10 >= dl; /* the set came (nearly) too late */
    while (rtw_now(CLOCK_MONOTONIC) < m0 + margin + NS)
        ut_sleep_ms(20);
    o->early = rtw_mark_early();
    to = rtw_ts(dl + NS);
    o->rc2 = o->started ? clock_settime(CLOCK_REALTIME, &to) : -1;
    o->released = o->started ? rtw_finish() : false;
    to = rtw_ts(rt0 + (rtw_now(CLOCK_MONOTONIC) - m0));
    o->back = clock_settime(CLOCK_REALTIME, &to);
    rtw_teardown(o->released);
    return late && o->su == 0 ? 1 : 0;
}

TEST(rtwait_settime_backward_extends)
{
    struct rtw_back o;
    long long margin = 2 * NS;
    int late = 1;
    for (int tries = 0; tries < 3 && late; tries++, margin *= 4)
        late = rtw_backward_once(margin, &o);
    CHECKF(!late, "the waiters never blocked before their deadline");
    CHECK_EQ(o.su, 0);
    CHECK_EQ(o.started, NWAITERS);
    CHECKF(o.blocked, "not every waiter blocked");
    CHECK_OK(o.rc);
    CHECK_OK(o.rc2);
    CHECK_OK(o.back);
    int first_early = -1;
    for (int i = 0; i < NWAITERS && o.early; i++)
        if (rtw_w[i].early) {
            first_early = i;
            break;
        }
    CHECKF(o.early == 0,
           "%d waits ended after the clock was set back (first: %s)", o.early,
           first_early >= 0 ? rtw_cases[first_early / PER_CASE].name : "?");
    int bad = rtw_first_not_timedout();
    CHECKF(bad < 0,
           "%s returned %d, not ETIMEDOUT, after the clock was set "
           "forward again%s",
           rtw_cases[bad / PER_CASE].name, rtw_w[bad].rc,
           o.released ? " (it did not end: released)" : "");
}

const struct utest ut_rtwait_tests[] = {
    UT_CASE(rtwait_settime_forward_times_out),
    UT_CASE(rtwait_settime_backward_extends),
    UT_END,
};
