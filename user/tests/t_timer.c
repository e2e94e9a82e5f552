/*
 * POSIX timers (issue 9 item 2, CAP_TYPE_TIMER): timer_create,
 * timer_settime, timer_gettime, timer_getoverrun and timer_delete on
 * CLOCK_MONOTONIC and CLOCK_REALTIME; one-shot and periodic, relative and
 * TIMER_ABSTIME; SIGEV_NONE and SIGEV_THREAD here (the signal, semaphore
 * and queue targets: t_timer_notify.c); overruns; the errors; the rights
 * (a READ-only copy in a peer); spawn inheritance; quota exhaustion and
 * recovery; forged and stale tokens; exit with armed timers.
 *
 * Times: only lower bounds (an expiry never comes before its time) and
 * counts derived from them. Waiting for an expiry is a bounded poll
 * (tm_poll, ~10 s) that fails the test rather than hanging.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <mqueue.h>

#include <keel/timer.h>

#include "ut_peer.h"

#define NS 1000000000LL
#define MS 1000000LL

static long long tm_now(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return -1;
    return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

static struct timespec tm_ts(long long ns)
{
    struct timespec ts = {(time_t)(ns / NS), (long)(ns % NS)};
    return ts;
}

static long long tm_ns(const struct timespec *ts)
{
    return (long long)ts->tv_sec * NS + ts->tv_nsec;
}

static int tm_set(timer_t t, int flags, long long value, long long interval)
{
    struct itimerspec its = {tm_ts(interval), tm_ts(value)};
    return timer_settime(t, flags, &its, NULL);
}

/* The time left (ns), or -1 if timer_gettime failed. */
static long long tm_left(timer_t t)
{
    struct itimerspec its;
    if (timer_gettime(t, &its) != 0)
        return -1;
    return tm_ns(&its.it_value);
}

static int tm_create_none(clockid_t c, timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    return timer_create(c, &ev, t);
}

static long raw3(long n, long a, long b, long c)
{
    return keel_syscall6(n, a, b, c, 0, 0, 0);
}

/* A kernel timer notifying a KEEL_TIMER_WAIT waiter (SIGEV_THREAD's
 * mechanism, without libc's helper thread). Slot or -errno. */
static long tm_raw_thread_timer(clockid_t c)
{
    struct keel_sigevent ev = {KEEL_SIGEV_THREAD, 0, 0};
    return raw3(SYS_timer_create, c, (long)&ev, 0);
}

static long tm_raw_set(long slot, int flags, long long value,
                       long long interval)
{
    struct keel_itimerspec its = {{interval / NS, interval % NS},
                                  {value / NS, value % NS}};
    return keel_syscall6(SYS_timer_settime, slot, flags, (long)&its, 0, 0, 0);
}

/* Polls (bounded, ~10 s) until *v >= want; the value seen. */
static int tm_poll(volatile int *v, int want)
{
    for (int i = 0; i < 2000 && __atomic_load_n(v, __ATOMIC_ACQUIRE) < want;
         i++)
        ut_sleep_ms(5);
    return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

/* Polls until a SIGEV_NONE timer shows disarmed (its one expiry passed);
 * 0 when it did. */
static int tm_poll_expired(timer_t t)
{
    for (int i = 0; i < 2000; i++) {
        if (tm_left(t) == 0)
            return 0;
        ut_sleep_ms(5);
    }
    return -1;
}

/* ---- one-shot and periodic, both clocks, SIGEV_NONE ---- */

TEST(timer_oneshot_relative_both_clocks)
{
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        timer_t t;
        CHECK_OK(tm_create_none(clocks[i], &t));
        CHECK_EQ(tm_left(t), 0); /* created disarmed */
        long long t0 = tm_now(CLOCK_MONOTONIC);
        CHECK_OK(tm_set(t, 0, 40 * MS, 0));
        long long left = tm_left(t);
        CHECKF(left > 0 && left <= 40 * MS, "left %lld", left);
        struct itimerspec its;
        CHECK_OK(timer_gettime(t, &its));
        CHECK_EQ(tm_ns(&its.it_interval), 0);
        CHECK_OK(tm_poll_expired(t));
        /* Never before its time. */
        CHECK(tm_now(CLOCK_MONOTONIC) - t0 >= 40 * MS);
        CHECK_EQ(timer_getoverrun(t), 0);
        CHECK_OK(timer_delete(t));
    }
}

TEST(timer_absolute_both_clocks)
{
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        timer_t t;
        CHECK_OK(tm_create_none(clocks[i], &t));
        long long at = tm_now(clocks[i]) + 30 * MS;
        CHECK_OK(tm_set(t, TIMER_ABSTIME, at, 0));
        long long left = tm_left(t);
        CHECKF(left > 0 && left <= 30 * MS, "left %lld", left);
        CHECK_OK(tm_poll_expired(t));
        CHECK(tm_now(clocks[i]) >= at);
        /* An absolute time already past expires at once. */
        CHECK_OK(tm_set(t, TIMER_ABSTIME, 1, 0));
        CHECK_OK(tm_poll_expired(t));
        CHECK_OK(timer_delete(t));
    }
}

/* it_interval: a periodic timer stays armed, reports its interval, and
 * its next expiry is always within one interval. */
TEST(timer_periodic_gettime_and_old_value)
{
    timer_t t;
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t));
    CHECK_OK(tm_set(t, 0, 10 * MS, 10 * MS));
    ut_sleep_ms(35);
    struct itimerspec its;
    CHECK_OK(timer_gettime(t, &its));
    CHECK_EQ(tm_ns(&its.it_interval), 10 * MS);
    CHECKF(tm_ns(&its.it_value) > 0 && tm_ns(&its.it_value) <= 10 * MS,
           "value %lld", tm_ns(&its.it_value));
    /* Re-arming returns the old setting. */
    struct itimerspec nv = {tm_ts(0), tm_ts(5 * NS)}, ov;
    CHECK_OK(timer_settime(t, 0, &nv, &ov));
    CHECK_EQ(tm_ns(&ov.it_interval), 10 * MS);
    CHECK(tm_ns(&ov.it_value) > 0 && tm_ns(&ov.it_value) <= 10 * MS);
    /* A zero it_value disarms, and returns the one-shot 5 s. */
    struct itimerspec zero;
    memset(&zero, 0, sizeof(zero));
    zero.it_interval = tm_ts(MS); /* ignored when disarming */
    CHECK_OK(timer_settime(t, 0, &zero, &ov));
    CHECK_EQ(tm_ns(&ov.it_interval), 0);
    CHECK(tm_ns(&ov.it_value) > 4 * NS && tm_ns(&ov.it_value) <= 5 * NS);
    CHECK_OK(timer_gettime(t, &its));
    CHECK_EQ(tm_ns(&its.it_value), 0);
    CHECK_EQ(tm_ns(&its.it_interval), 0);
    /* A tiny interval is rounded up to the documented minimum. */
    CHECK_OK(tm_set(t, 0, NS, 1000));
    CHECK_OK(timer_gettime(t, &its));
    CHECK_EQ(tm_ns(&its.it_interval), KEEL_TIMER_MIN_INTERVAL_NS);
    CHECK_OK(timer_delete(t));
}

/* ---- SIGEV_THREAD ---- */

static volatile int th_calls;
static volatile int th_value;
static volatile long long th_first_ns;
static volatile int th_overrun;
static volatile int th_sleep_ms;
static timer_t th_timer;

static void th_notify(union sigval v)
{
    if (__atomic_load_n(&th_calls, __ATOMIC_RELAXED) == 0)
        th_first_ns = tm_now(CLOCK_MONOTONIC);
    th_value = v.sival_int;
    th_overrun = timer_getoverrun(th_timer);
    __atomic_fetch_add(&th_calls, 1, __ATOMIC_ACQ_REL);
    if (th_sleep_ms)
        ut_sleep_ms((unsigned)th_sleep_ms);
}

static int th_create(clockid_t c, const pthread_attr_t *attr, int value)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = th_notify;
    ev.sigev_notify_attributes = (pthread_attr_t *)attr;
    ev.sigev_value.sival_int = value;
    th_calls = 0;
    th_value = 0;
    th_sleep_ms = 0;
    return timer_create(c, &ev, &th_timer);
}

TEST(timer_sigev_thread_oneshot_and_periodic)
{
    struct keel_kstat k0;
    CHECK_OK(ut_kstat_quiet(&k0));
    CHECK_OK(th_create(CLOCK_MONOTONIC, NULL, 77));
    long long t0 = tm_now(CLOCK_MONOTONIC);
    CHECK_OK(tm_set(th_timer, 0, 20 * MS, 0));
    CHECK_EQ(tm_poll(&th_calls, 1), 1);
    CHECK_EQ(th_value, 77);
    CHECK(th_first_ns - t0 >= 20 * MS);
    ut_sleep_ms(30);
    CHECK_EQ(th_calls, 1); /* one-shot: once */
    /* Periodic, absolute start. */
    CHECK_OK(
        tm_set(th_timer, TIMER_ABSTIME, tm_now(CLOCK_MONOTONIC) + MS, 5 * MS));
    CHECK(tm_poll(&th_calls, 5) >= 5);
    CHECK_OK(timer_delete(th_timer));
    /* Deleted: the calls stop (the helper exits), nothing leaks. */
    ut_sleep_ms(20);
    int n = th_calls;
    ut_sleep_ms(50);
    CHECK_EQ(th_calls, n);
    CHECK_KSTAT_BACK(k0);
}

/* The attributes of sigev_notify_attributes are used (a detached one
 * works too); the realtime clock too. */
TEST(timer_sigev_thread_attributes)
{
    struct keel_kstat k0;
    CHECK_OK(ut_kstat_quiet(&k0));
    pthread_attr_t a;
    CHECK_EQ(pthread_attr_init(&a), 0);
    CHECK_EQ(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED), 0);
    CHECK_OK(th_create(CLOCK_REALTIME, &a, 5));
    CHECK_OK(tm_set(th_timer, 0, 2 * MS, 2 * MS));
    CHECK(tm_poll(&th_calls, 3) >= 3);
    CHECK_EQ(th_value, 5);
    CHECK_OK(timer_delete(th_timer));
    pthread_attr_destroy(&a);
    CHECK_KSTAT_BACK(k0); /* the helper is gone */
}

/* ---- overruns ---- */

/* An expiry while the last notification is not yet accepted is an
 * overrun of it; timer_getoverrun reports the accepted one's count. */
TEST(timer_overrun_counts)
{
    long s = tm_raw_thread_timer(CLOCK_MONOTONIC);
    CHECK(s >= 0);
    CHECK_EQ(tm_raw_set(s, 0, MS, MS), 0);
    ut_sleep_ms(300); /* >= 299 expiries after the first: all overruns */
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_WAIT, 0), 0);
    long ov = raw3(SYS_timer_ctl, s, KEEL_TIMER_GETOVERRUN, 0);
    CHECKF(ov >= 250 && ov < KEEL_DELAYTIMER_MAX, "overrun %ld", ov);
    /* Counted up to DELAYTIMER_MAX only. */
    CHECK_EQ(tm_raw_set(s, 0, KEEL_TIMER_MIN_INTERVAL_NS,
                        KEEL_TIMER_MIN_INTERVAL_NS),
             0);
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_WAIT, 0), 0);
    ut_sleep_ms(600); /* >= 5999 expiries */
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_WAIT, 0), 0);
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_GETOVERRUN, 0),
             KEEL_DELAYTIMER_MAX);
    /* Shut down: waits end with ECANCELED, and the timer is disarmed. */
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_SHUTDOWN, 0), 0);
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_WAIT, 0), -ECANCELED);
    struct keel_itimerspec cur;
    CHECK_EQ(raw3(SYS_timer_gettime, s, (long)&cur, 0), 0);
    CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    CHECK_EQ(raw3(SYS_timer_ctl, s, KEEL_TIMER_DELETE, 0), 0);
}

/* The helper thread's overrun count, seen from the notify function. */
TEST(timer_sigev_thread_overrun_in_function)
{
    struct keel_kstat k0;
    CHECK_OK(ut_kstat_quiet(&k0));
    CHECK_OK(th_create(CLOCK_MONOTONIC, NULL, 1));
    th_sleep_ms = 200; /* the first call holds the helper up */
    CHECK_OK(tm_set(th_timer, 0, MS, MS));
    CHECK(tm_poll(&th_calls, 2) >= 2);
    CHECKF(th_overrun >= 150, "overrun %d", th_overrun);
    th_sleep_ms = 0;
    CHECK_OK(timer_delete(th_timer));
    CHECK_KSTAT_BACK(k0); /* the helper is gone */
}

/* ---- errors ---- */

TEST(timer_bad_input)
{
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    CHECK_ERRNO(timer_create((clockid_t)5, &ev, &t), EINVAL);
    CHECK_ERRNO(timer_create((clockid_t)-1, &ev, &t), EINVAL);
    ev.sigev_notify = 99;
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
    ev.sigev_notify = SIGEV_THREAD; /* no function */
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
    CHECK_EQ(raw3(SYS_timer_create, CLOCK_MONOTONIC, 16, 0), -EFAULT);
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t));
    struct itimerspec its = {{0, 0}, {0, NS}}; /* tv_nsec out of range */
    CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
    its.it_value.tv_nsec = -1;
    CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
    its.it_value = tm_ts(-NS); /* negative */
    CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
    its.it_value = tm_ts(NS);
    its.it_interval.tv_nsec = NS;
    CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
    its.it_interval.tv_nsec = 0;
    CHECK_ERRNO(timer_settime(t, 0x100, &its, NULL), EINVAL);
    CHECK_EQ(tm_left(t), 0); /* nothing armed by a failed call */
    CHECK_ERRNO(timer_settime(t, 0, NULL, NULL), EFAULT);
    CHECK_ERRNO(timer_gettime(t, NULL), EFAULT);
    CHECK_EQ(raw3(SYS_timer_ctl, (long)t, 42, 0), -EINVAL);
    /* WAIT and SHUTDOWN are for SIGEV_THREAD timers only. */
    CHECK_EQ(raw3(SYS_timer_ctl, (long)t, KEEL_TIMER_WAIT, 0), -EINVAL);
    CHECK_EQ(raw3(SYS_timer_ctl, (long)t, KEEL_TIMER_SHUTDOWN, 0), -EINVAL);
    CHECK_OK(timer_delete(t));
    /* A deleted timer, a slot holding something else, a slot out of
     * range: EBADF from the kernel, EINVAL (POSIX) from libc. */
    CHECK_ERRNO(timer_gettime(t, &its), EINVAL);
    CHECK_ERRNO(timer_delete(t), EINVAL);
    CHECK_ERRNO(timer_getoverrun(t), EINVAL);
    CHECK_ERRNO(tm_set(t, 0, MS, 0), EINVAL);
    CHECK_EQ(raw3(SYS_timer_gettime, (long)t, (long)&its, 0), -EBADF);
    CHECK_EQ(raw3(SYS_timer_gettime, 1, (long)&its, 0), -EBADF); /* stdout */
    CHECK_EQ(raw3(SYS_timer_ctl, 1, KEEL_TIMER_DELETE, 0), -EBADF);
    CHECK(ut_fd_open(1));
    CHECK_EQ(raw3(SYS_timer_gettime, -1, (long)&its, 0), -EBADF);
    CHECK_EQ(raw3(SYS_timer_gettime, 100000, (long)&its, 0), -EBADF);
}

/* ---- delete, exit ---- */

TEST(timer_delete_while_armed)
{
    struct keel_kstat k0;
    CHECK_OK(ut_kstat_quiet(&k0));
    long base = (long)k0.pool_used[KEEL_POOL_OBJECTS];
    timer_t t[8];
    for (int i = 0; i < 8; i++) {
        CHECK_OK(
            tm_create_none(i & 1 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &t[i]));
        CHECK_OK(tm_set(t[i], i & 2 ? TIMER_ABSTIME : 0,
                        i & 2 ? tm_now(CLOCK_MONOTONIC) + MS : MS,
                        KEEL_TIMER_MIN_INTERVAL_NS));
    }
    struct keel_kstat k1;
    CHECK_OK(keel_kstat(&k1));
    CHECK((long)k1.pool_used[KEEL_POOL_OBJECTS] >= base + 8);
    ut_sleep_ms(10);
    for (int i = 0; i < 8; i++)
        CHECK_OK(timer_delete(t[i]));
    CHECK_KSTAT_BACK(k0);
    CHECK_OK(ut_kstat_settle(&k0, &k1));
    CHECK_EQ(k1.pool_used[KEEL_POOL_OBJECTS], k0.pool_used[KEEL_POOL_OBJECTS]);
}

/* ktimer-armed: arms 24 timers of every kind, fast and periodic, one
 * with a helper thread, one sending to a queue only it keeps, and exits
 * without deleting any. */
static int mode_ktimer_armed(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 24; i++) {
        timer_t t;
        long s = i % 3 == 0 ? tm_raw_thread_timer(CLOCK_MONOTONIC) : -1;
        if (s >= 0)
            t = (timer_t)s;
        else if (tm_create_none(i & 1 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &t))
            return 10;
        if (tm_set(t, 0, KEEL_TIMER_MIN_INTERVAL_NS,
                   KEEL_TIMER_MIN_INTERVAL_NS))
            return 11;
    }
    if (th_create(CLOCK_MONOTONIC, NULL, 3) ||
        tm_set(th_timer, 0, MS, KEEL_TIMER_MIN_INTERVAL_NS))
        return 12;
    /* A queue target only the timer keeps once the name is gone. */
    struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 64};
    mq_unlink("/ut_timer_exit");
    mqd_t q = mq_open("/ut_timer_exit", O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_KEEL_MQ;
    ev.sigev_signo = q;
    timer_t tq;
    if (q < 0 || timer_create(CLOCK_MONOTONIC, &ev, &tq) ||
        mq_unlink("/ut_timer_exit") || mq_close(q) ||
        tm_set(tq, 0, KEEL_TIMER_MIN_INTERVAL_NS, KEEL_TIMER_MIN_INTERVAL_NS))
        return 13;
    ut_sleep_ms(5);
    return 0;
}

TEST(timer_exit_with_armed_timers)
{
    /* On one hart this hung about one run in ten until the timer
     * expiry budget (kernel/sched/timer.c; t_timer_storm.c is its
     * regression test): 26 timers at the minimum interval could cost
     * more to expire than their period, and threads never ran again. */
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    for (int round = 0; round < 4; round++) {
        pid_t pid;
        CHECK_RC(
            ut_spawn_self(&pid, NULL, NULL, "ktimer-armed", NULL, NULL, NULL),
            0);
        int st = ut_wait(pid);
        CHECK_EXITED(st, 0);
    }
    CHECK_KSTAT_BACK(k0);
    CHECK_OK(ut_kstat_settle(&k0, &k1));
    CHECK_EQ(k1.pool_used[KEEL_POOL_OBJECTS], k0.pool_used[KEEL_POOL_OBJECTS]);
}

/* ---- rights, transfer, inheritance ---- */

enum { TP_GET = 1, TP_SET, TP_OVERRUN, TP_DELETE, TP_INFO, TP_EXIT };

/* ktimer-peer CMDFD REPFD: runs timer calls on its own slots (pcmd.a is
 * the slot, .b a relative time in ms) and answers each (ut_peer.h). */
static int mode_ktimer_peer(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int cmd = atoi(argv[2]), rep = atoi(argv[3]);
    for (;;) {
        struct pcmd c;
        struct prep o;
        if (ut_read_full(cmd, &c, sizeof(c)) != (long)sizeof(c))
            return 3;
        memset(&o, 0, sizeof(o));
        struct keel_itimerspec its;
        switch (c.op) {
        case TP_GET:
            o.r = raw3(SYS_timer_gettime, c.a, (long)&its, 0);
            o.tok = (uint64_t)(its.it_value.tv_sec * NS + its.it_value.tv_nsec);
            break;
        case TP_SET:
            o.r = tm_raw_set(c.a, 0, c.b * MS, 0);
            break;
        case TP_OVERRUN:
            o.r = raw3(SYS_timer_ctl, c.a, KEEL_TIMER_GETOVERRUN, 0);
            break;
        case TP_DELETE:
            o.r = raw3(SYS_timer_ctl, c.a, KEEL_TIMER_DELETE, 0);
            break;
        case TP_INFO:
            o.r = cap_info(c.a, &o.ci);
            break;
        }
        if (ut_write_full(rep, &o, sizeof(o)) != (long)sizeof(o))
            return 4;
        if (c.op == TP_EXIT)
            return c.a;
    }
}

/* A READ-only copy: reads work, arming gives EACCES, delete only drops
 * the copy (the timer stays armed for us); a READ|WRITE copy arms it. */
TEST(timer_transfer_rights)
{
    ut_revoke_all();
    timer_t t;
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t));
    struct cap_info ci;
    CHECK_OK(cap_info((int)t, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_TIMER);
    CHECK_EQ(ci.rights, R | W | G);
    CHECK_OK(tm_set(t, 0, 30 * NS, 0));
    struct peer c;
    struct prep o;
    CHECK_RC(ut_start_helper(&c, "ktimer-peer", NULL), 0);
    cap_token_t tok, d = 0, d2 = 0;
    CHECK_OK(cap_get_token((int)t, CAP_TYPE_TIMER, &tok));
    int slot = -1, slot2 = -1;
    CHECK_OK(cap_transfer(c.pid, tok, R, &d, &slot));
    CHECK_OK(PC(&c, TP_INFO, slot, 0));
    CHECK_EQ(o.ci.type, CAP_TYPE_TIMER);
    CHECK_EQ(o.ci.rights, R);
    CHECK_EQ(PC(&c, TP_GET, slot, 0), 0);
    CHECK(o.tok > 0 && o.tok <= (uint64_t)(30 * NS));
    CHECK_EQ(PC(&c, TP_OVERRUN, slot, 0), 0);
    CHECK_EQ(PC(&c, TP_SET, slot, 5), -EACCES);
    CHECK_EQ(PC(&c, TP_DELETE, slot, 0), 0); /* no WRITE: no disarm */
    CHECK_EQ(PC(&c, TP_GET, slot, 0), -EBADF);
    CHECK(tm_left(t) > 20 * NS);
    /* READ|WRITE: the peer re-arms our timer (one object). */
    CHECK_OK(cap_transfer(c.pid, tok, R | W, &d2, &slot2));
    CHECK_EQ(PC(&c, TP_SET, slot2, 2), 0);
    CHECK_OK(tm_poll_expired(t));
    /* Revoked: the peer's copy is gone; ours works on. */
    CHECK_OK(cap_revoke_delegate(d2));
    CHECK_EQ(PC(&c, TP_GET, slot2, 0), -EBADF);
    CHECK_OK(tm_set(t, 0, NS, 0));
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EQ(PC(&c, TP_EXIT, 0, 0), 0);
    close(c.cmd);
    close(c.rep);
    CHECK_EXITED(ut_wait(c.pid), 0);
    CHECK_OK(timer_delete(t));
}

/* ktimer-child SLOT: the inherited copy is a timer without GRANT that
 * the child can arm (READ|WRITE): exits 0, or the failing step. */
static int mode_ktimer_child(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    int s = atoi(argv[2]);
    struct cap_info ci;
    if (cap_info(s, &ci) || ci.type != CAP_TYPE_TIMER)
        return 1;
    if (ci.rights != (R | W))
        return 2;
    if (tm_raw_set(s, 0, 60 * NS, 0) != 0)
        return 3;
    return 0;
}

TEST(timer_spawn_inherits)
{
    timer_t t;
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t));
    char a[16];
    snprintf(a, sizeof(a), "%d", (int)t);
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "ktimer-child", a, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    /* The child armed our timer; its exit dropped only its copy. */
    CHECK(tm_left(t) > 50 * NS);
    CHECK_OK(timer_delete(t));
}

/* ---- quota, tokens ---- */

TEST(timer_quota_exhaustion_and_recovery)
{
    static timer_t ts[KEEL_TIMERS_MAX + 1];
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    int n = 0;
    while (n <= KEEL_TIMERS_MAX && tm_create_none(CLOCK_MONOTONIC, &ts[n]) == 0)
        n++;
    int err = errno;
    CHECK_OK(keel_quota_info(0, &q1));
    for (int i = 0; i < n; i++) /* armed, so the deletes disarm */
        tm_set(ts[i], 0, 10 * NS, 0);
    CHECKF(n > 0 && n <= KEEL_TIMERS_MAX, "created %d", n);
    CHECK_EQ(err, EAGAIN);
    CHECK_EQ(q1.used[KEEL_POOL_OBJECTS], q0.used[KEEL_POOL_OBJECTS] + n);
    /* Recovery: one freed, one more fits, exactly. */
    CHECK_OK(timer_delete(ts[n - 1]));
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &ts[n - 1]));
    timer_t extra;
    CHECK_ERRNO(tm_create_none(CLOCK_MONOTONIC, &extra), EAGAIN);
    for (int i = 0; i < n; i++)
        CHECK_OK(timer_delete(ts[i]));
    CHECK_OK(keel_quota_info(0, &q1));
    CHECK_EQ(q1.used[KEEL_POOL_OBJECTS], q0.used[KEEL_POOL_OBJECTS]);
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &extra));
    CHECK_OK(timer_delete(extra));
}

TEST(timer_forged_and_stale_tokens)
{
    timer_t t;
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t));
    cap_token_t tok, other;
    CHECK_OK(cap_get_token((int)t, CAP_TYPE_TIMER, &tok));
    CHECK_EQ(ut_tok_type(tok), CAP_TYPE_TIMER);
    CHECK_EQ(ut_tok_slot(tok), (unsigned)(long)t);
    CHECK_ERRNO(cap_get_token((int)t, CAP_TYPE_MUTEX, &other), EINVAL);
    /* Forged: a flipped bit in the generation; the type. */
    CHECK_ERRNO(cap_drop(tok ^ (1ull << 40)), EBADF);
    CHECK_ERRNO(cap_drop(tok ^ (1ull << 60)), EBADF);
    CHECK_OK(timer_delete(t));
    /* Stale: the slot was closed (and may be reused by a new timer). */
    timer_t t2;
    CHECK_OK(tm_create_none(CLOCK_MONOTONIC, &t2));
    CHECK_ERRNO(cap_drop(tok), EBADF);
    CHECK_OK(tm_set(t2, 0, NS, 0));
    CHECK(tm_left(t2) > 0);
    CHECK_OK(timer_delete(t2));
}

const struct ut_mode ut_timer_modes[] = {
    {"ktimer-armed", mode_ktimer_armed},
    {"ktimer-peer", mode_ktimer_peer},
    {"ktimer-child", mode_ktimer_child},
    UT_MODE_END,
};

const struct utest ut_timer_tests[] = {
    UT_CASE(timer_oneshot_relative_both_clocks),
    UT_CASE(timer_absolute_both_clocks),
    UT_CASE(timer_periodic_gettime_and_old_value),
    UT_CASE(timer_sigev_thread_oneshot_and_periodic),
    UT_CASE(timer_sigev_thread_attributes),
    UT_CASE(timer_overrun_counts),
    UT_CASE(timer_sigev_thread_overrun_in_function),
    UT_ISOLATED(timer_bad_input),
    UT_CASE(timer_delete_while_armed),
    UT_CASE(timer_exit_with_armed_timers),
    UT_CASE(timer_transfer_rights),
    UT_CASE(timer_spawn_inherits),
    UT_CASE(timer_quota_exhaustion_and_recovery),
    UT_CASE(timer_forged_and_stale_tokens),
    UT_END,
};
