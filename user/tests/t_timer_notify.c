/*
 * POSIX timers' notification targets (issue 9 item 2): the Keel
 * extension SIGEV_KEEL_MQ (<keel/timer.h>), a periodic task that waits on
 * a message queue with no signal and no helper thread; messages carry
 * sigev_value, the timer's slot and the overrun count; a full queue
 * turns expiries into overruns of the next message; the target's rights
 * (EACCES without WRITE, EINVAL for a slot that is not a queue); the
 * timer keeps its queue alive; no leak. Only lower bounds on times.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel/timer.h>

#include "utest.h"

#define NS 1000000000LL
#define MS 1000000LL

static long long tn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * NS + ts.tv_nsec;
}

static mqd_t tn_queue(const char *name, int oflag, long maxmsg)
{
    struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = 64};
    mq_unlink(name);
    return mq_open(name, oflag | O_CREAT | O_EXCL, 0600, &a);
}

static int tn_mq_timer(mqd_t q, int value, timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_KEEL_MQ;
    ev.sigev_signo = q;
    ev.sigev_value.sival_int = value;
    return timer_create(CLOCK_MONOTONIC, &ev, t);
}

static int tn_arm(timer_t t, int flags, long long value, long long interval)
{
    struct itimerspec its = {{(time_t)(interval / NS), (long)(interval % NS)},
                             {(time_t)(value / NS), (long)(value % NS)}};
    return timer_settime(t, flags, &its, NULL);
}

/* One message, waiting at most ~10 s: its length, or -1 (errno). */
static long tn_recv(mqd_t q, struct keel_timer_msg *m)
{
    char buf[64];
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    long n = (long)mq_timedreceive(q, buf, sizeof(buf), NULL, &dl);
    if (n == (long)sizeof(*m))
        memcpy(m, buf, sizeof(*m));
    return n;
}

/* The example: a periodic task on absolute 5 ms deadlines that
 * waits on its queue only. The k-th message never comes before the k-th
 * deadline. */
TEST(timer_periodic_task_waits_on_queue)
{
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    mqd_t q = tn_queue("/ut_timer_q", O_RDWR, 8);
    CHECK(q >= 0);
    timer_t t;
    CHECK_OK(tn_mq_timer(q, 4242, &t));
    long long start = tn_now() + 5 * MS;
    CHECK_OK(tn_arm(t, TIMER_ABSTIME, start, 5 * MS));
    for (int k = 0; k < 20; k++) {
        struct keel_timer_msg m;
        CHECK_EQ(tn_recv(q, &m), (long)sizeof(m));
        CHECK(tn_now() >= start + (long long)k * 5 * MS);
        CHECK_EQ(m.value, 4242);
        CHECK_EQ(m.slot, (uint32_t)(long)t);
    }
    CHECK_OK(timer_delete(t));
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink("/ut_timer_q"));
    CHECK_OK(ut_kstat_settle(&k0, &k1));
    CHECK_EQ(k1.pool_used[KEEL_POOL_OBJECTS], k0.pool_used[KEEL_POOL_OBJECTS]);
}

/* A full queue: expiries are lost, and the next message that gets in
 * counts them as overruns. */
TEST(timer_queue_full_counts_overruns)
{
    mqd_t q = tn_queue("/ut_timer_full", O_RDWR, 1);
    CHECK(q >= 0);
    timer_t t;
    CHECK_OK(tn_mq_timer(q, 1, &t));
    CHECK_OK(tn_arm(t, 0, MS, MS));
    ut_sleep_ms(100); /* >= 99 expiries: the first fills the queue */
    struct keel_timer_msg m;
    CHECK_EQ(tn_recv(q, &m), (long)sizeof(m)); /* the first */
    CHECK_EQ(tn_recv(q, &m), (long)sizeof(m)); /* one after the gap */
    CHECKF(m.overrun >= 50, "overrun %u", m.overrun);
    CHECK_OK(timer_delete(t));
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink("/ut_timer_full"));
}

/* The target needs WRITE (EACCES) and must be a queue (EINVAL). The
 * timer holds its queue: closing our slot and unlinking the name do not
 * stop the messages reaching a second descriptor. */
TEST(timer_queue_target_rights_and_lifetime)
{
    mqd_t ro = tn_queue("/ut_timer_rt", O_RDONLY, 4);
    CHECK(ro >= 0);
    timer_t t;
    CHECK_ERRNO(tn_mq_timer(ro, 0, &t), EACCES);
    CHECK_ERRNO(tn_mq_timer(1, 0, &t), EINVAL);  /* stdout: not a queue */
    CHECK_ERRNO(tn_mq_timer(-1, 0, &t), EINVAL); /* no slot */
    mqd_t wo = mq_open("/ut_timer_rt", O_WRONLY);
    CHECK(wo >= 0);
    CHECK_OK(tn_mq_timer(wo, 9, &t));
    CHECK_OK(mq_close(wo));
    CHECK_OK(mq_unlink("/ut_timer_rt"));
    CHECK_OK(tn_arm(t, 0, 2 * MS, 2 * MS));
    struct keel_timer_msg m;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(tn_recv(ro, &m), (long)sizeof(m));
        CHECK_EQ(m.value, 9);
    }
    CHECK_OK(timer_delete(t));
    CHECK_OK(mq_close(ro));
}

/* ---- SIGEV_SIGNAL ---- */

static volatile int sg_count, sg_code, sg_value;
static void sg_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    sg_code = si->si_code;
    sg_value = si->si_value.sival_int;
    __atomic_fetch_add(&sg_count, 1, __ATOMIC_ACQ_REL);
}

static int sg_poll(int want)
{
    for (int i = 0;
         i < 2000 && __atomic_load_n(&sg_count, __ATOMIC_ACQUIRE) < want; i++)
        ut_sleep_ms(5);
    return __atomic_load_n(&sg_count, __ATOMIC_ACQUIRE);
}

static int sg_install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sg_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sg_count = sg_code = sg_value = 0;
    return sigaction(sig, &sa, NULL);
}

/* A periodic timer signals its creator with SI_TIMER and sigev_value. */
TEST(timer_sigev_signal)
{
    CHECK_OK(sg_install(SIGUSR1));
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 616;
    timer_t t;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &t));
    CHECK_OK(tn_arm(t, 0, 2 * MS, 2 * MS));
    CHECK(sg_poll(3) >= 3);
    CHECK_OK(timer_delete(t));
    CHECK_EQ(sg_code, SI_TIMER);
    CHECK_EQ(sg_value, 616);
    ev.sigev_signo = 0; /* no such signal */
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
    ev.sigev_signo = 65;
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
    signal(SIGUSR1, SIG_DFL);
}

/* A NULL sigevent: SIGALRM carrying the timer's id (POSIX). */
TEST(timer_null_sigevent_is_sigalrm)
{
    CHECK_OK(sg_install(SIGALRM));
    timer_t t;
    CHECK_OK(timer_create(CLOCK_REALTIME, NULL, &t));
    long long t0 = tn_now();
    CHECK_OK(tn_arm(t, 0, 5 * MS, 0));
    CHECK_EQ(sg_poll(1), 1);
    CHECK(tn_now() - t0 >= 5 * MS);
    CHECK_EQ(sg_code, SI_TIMER);
    CHECK_EQ(sg_value, (int)(long)t);
    CHECK_OK(timer_delete(t));
    signal(SIGALRM, SIG_DFL);
}

/* A periodic SIGEV_SIGNAL timer whose signal stays blocked for at least
 * 200 ms (>= 40 expiries at 5 ms): one instance is pending, every later
 * expiry is an overrun of it (POSIX timer_settime/timer_getoverrun), so
 * after sigwaitinfo takes it, timer_getoverrun counts them. `sig` is a
 * standard or a real-time signal (which would otherwise be queued). */
static int tn_overrun_case(int sig, long *ov_out)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0)
        return -1;
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 77;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0)
        return -2;
    int r = -3;
    if (tn_arm(t, 0, 5 * MS, 5 * MS) != 0)
        goto out;
    r = -4;
    if (timer_getoverrun(t) != 0) /* nothing accepted yet */
        goto out;
    ut_sleep_ms(200);
    r = -5;
    if (tn_arm(t, 0, 0, 0) != 0) /* disarm: the pending one stays */
        goto out;
    siginfo_t si;
    struct timespec zero = {0, 0};
    r = -6;
    if (sigtimedwait(&set, &si, &zero) != sig || si.si_code != SI_TIMER ||
        si.si_value.sival_int != 77)
        goto out;
    r = -7; /* one instance only: nothing else pending */
    if (sigtimedwait(&set, &si, &zero) != -1 || errno != EAGAIN)
        goto out;
    *ov_out = timer_getoverrun(t);
    r = -8; /* accepted again: a new one-shot expiry has no overrun */
    if (tn_arm(t, 0, MS, 0) != 0 || sigwaitinfo(&set, &si) != sig ||
        timer_getoverrun(t) != 0)
        goto out;
    r = 0;
out:
    timer_delete(t);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}

TEST(timer_signal_overrun_while_pending)
{
    long ov = -1;
    CHECK_EQ(tn_overrun_case(SIGUSR2, &ov), 0);
    CHECKF(ov >= 38 && ov <= KEEL_DELAYTIMER_MAX, "overrun %ld", ov);
    ov = -1;
    CHECK_EQ(tn_overrun_case(SIGRTMIN + 1, &ov), 0);
    CHECKF(ov >= 38 && ov <= KEEL_DELAYTIMER_MAX, "overrun %ld", ov);
}

/* The count is that of the last signal delivered to a handler: a blocked
 * SIGUSR1 with at least 2 expiries merged, then unblocked (the handler
 * runs once). */
TEST(timer_signal_overrun_after_handler)
{
    CHECK_OK(sg_install(SIGUSR1));
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t t;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &t));
    /* Expiries at 10, 30 and 50 ms (and more if the sleep runs long). */
    CHECK_OK(tn_arm(t, 0, 10 * MS, 20 * MS));
    ut_sleep_ms(60);
    CHECK_OK(tn_arm(t, 0, 0, 0));
    CHECK_EQ(sg_count, 0);
    CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
    CHECK_EQ(sg_count, 1);
    int ov = timer_getoverrun(t);
    CHECKF(ov >= 2, "overrun %d", ov);
    CHECK_OK(timer_delete(t));
    signal(SIGUSR1, SIG_DFL);
}

/* An expiry whose signal is discarded at once (SIGCONT: ignored by
 * default, and no longer blocked) is never pending, so it is not a
 * notification of its own: the count stays that of the last accepted
 * one (here the instance that was pending while SIGCONT was blocked,
 * discarded when unblocked), however many such expiries follow. */
TEST(timer_signal_overrun_ignored_expiries_keep_count)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCONT);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGCONT;
    timer_t t;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &t));
    CHECK_OK(tn_arm(t, 0, 2 * MS, 2 * MS));
    ut_sleep_ms(100); /* >= 50 expiries, one instance pending */
    CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL)); /* discarded now */
    int ov = timer_getoverrun(t);
    CHECKF(ov >= 40, "overrun %d", ov);
    ut_sleep_ms(20); /* >= 10 more expiries, each discarded at once */
    int ov2 = timer_getoverrun(t);
    CHECK_OK(timer_delete(t));
    CHECKF(ov2 == ov, "overrun %d then %d", ov, ov2);
}

/* The count stays the accepted instance's after the next expiry queued
 * a new one: a 2 ms periodic SIGUSR2 blocked for >= 40 ms (>= 19 expiries
 * before the sleep ends, the first pending, the rest its overruns), taken
 * by sigwaitinfo, then >= 10 ms more still armed (a new instance queued,
 * still blocked). The post of that new one used to overwrite the count:
 * timer_getoverrun said 0. */
TEST(timer_signal_overrun_kept_after_next_queued)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    timer_t t;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &t));
    CHECK_OK(tn_arm(t, 0, 2 * MS, 2 * MS));
    ut_sleep_ms(40);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    ut_sleep_ms(10);
    int ov = timer_getoverrun(t);
    sigset_t pend;
    sigemptyset(&pend);
    sigpending(&pend);
    CHECK_OK(timer_delete(t));
    struct timespec zero = {0, 0};
    siginfo_t si2;
    int next = sigtimedwait(&set, &si2, &zero); /* before unblocking */
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ(sig, SIGUSR2);
    CHECK_EQ(next, SIGUSR2);
    CHECK_EQ(si.si_code, SI_TIMER);
    CHECK(sigismember(&pend, SIGUSR2)); /* the next instance */
    CHECKF(ov >= 15 && ov <= KEEL_DELAYTIMER_MAX, "overrun %d", ov);
}

/* ---- SIGEV_KEEL_SEM ---- */

/* A periodic task waits on a semaphore the timer posts, no signals. */
TEST(timer_periodic_task_waits_on_semaphore)
{
    sem_t s;
    CHECK_OK(sem_init(&s, 0, 0));
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_KEEL_SEM;
    ev.sigev_signo = keel_sem_slot(&s);
    timer_t t;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &t));
    long long start = tn_now() + 5 * MS;
    CHECK_OK(tn_arm(t, TIMER_ABSTIME, start, 5 * MS));
    for (int k = 0; k < 10; k++) {
        CHECK_OK(sem_wait(&s));
        CHECK(tn_now() >= start + (long long)k * 5 * MS);
    }
    CHECK_OK(timer_delete(t));
    CHECK_OK(sem_destroy(&s));
    /* The target must be a semaphore (a queue is not). */
    mqd_t q = tn_queue("/ut_timer_semq", O_RDWR, 2);
    CHECK(q >= 0);
    ev.sigev_signo = q;
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink("/ut_timer_semq"));
}

const struct utest ut_timer_notify_tests[] = {
    UT_CASE(timer_sigev_signal),
    UT_ISOLATED(timer_null_sigevent_is_sigalrm),
    UT_ISOLATED(timer_signal_overrun_while_pending),
    UT_ISOLATED(timer_signal_overrun_after_handler),
    UT_ISOLATED(timer_signal_overrun_ignored_expiries_keep_count),
    UT_ISOLATED(timer_signal_overrun_kept_after_next_queued),
    UT_CASE(timer_periodic_task_waits_on_semaphore),
    UT_CASE(timer_periodic_task_waits_on_queue),
    UT_CASE(timer_queue_full_counts_overruns),
    UT_CASE(timer_queue_target_rights_and_lifetime),
    UT_END,
};
