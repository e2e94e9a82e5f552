/*
 * Issue 8 item 7: the POSIX process-scheduling calls (sched_setscheduler,
 * sched_getscheduler, sched_setparam, sched_getparam,
 * sched_rr_get_interval) and their pid rules; SCHED_DEADLINE through
 * sched_setattr / sched_getattr: parameter checks, what is set is what
 * is read, admission (EBUSY past 95% on every hart, room again after a
 * thread leaves or exits). Running ahead, throttling, partitioning and
 * sched_yield: t_edf_run.c.
 *
 * Tests that change the calling thread's scheduling run isolated (in a
 * child process), so a failed check cannot leave the suite's own thread
 * at another policy. Thread functions use EXPECT, never CHECK. No check
 * compares against a time limit.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <keel/sched.h>

#include "t_edf.h"
#include "utest.h"

/* Mode "edf-exit": exits at once (a child the test holds a cap for). */
static int mode_exit(int argc, char **argv)
{
    (void)argc, (void)argv;
    return 0;
}

const struct ut_mode ut_edf_modes[] = {
    {"edf-exit", mode_exit},
    UT_MODE_END,
};

/* The POSIX calls on the calling thread agree with pthread_getschedparam
 * and with each other. */
TEST(edf_posix_sched_calls)
{
    int pol;
    struct sched_param sp;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    CHECK_EQ(sched_getscheduler(0), pol);
    CHECK_EQ(sched_getscheduler(getpid()), pol);
    struct sched_param got = {.sched_priority = -1};
    CHECK_OK(sched_getparam(0, &got));
    CHECK_EQ(got.sched_priority, sp.sched_priority);

    struct sched_param p30 = {.sched_priority = 30};
    CHECK_EQ(sched_setscheduler(0, SCHED_FIFO, &p30), pol); /* the old one */
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
    CHECK_OK(sched_getparam(getpid(), &got));
    CHECK_EQ(got.sched_priority, 30);
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    CHECK_EQ(pol, SCHED_FIFO);
    CHECK_EQ(sp.sched_priority, 30);

    /* setparam keeps the policy. */
    struct sched_param p25 = {.sched_priority = 25};
    CHECK_OK(sched_setparam(0, &p25));
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
    CHECK_OK(sched_getparam(0, &got));
    CHECK_EQ(got.sched_priority, 25);

    /* FIFO has no slice; RR's is the kernel's 10 ms quantum. */
    struct timespec ts = {7, 7};
    CHECK_OK(sched_rr_get_interval(0, &ts));
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
    CHECK_EQ(sched_setscheduler(getpid(), SCHED_RR, &p25), SCHED_FIFO);
    CHECK_OK(sched_rr_get_interval(getpid(), &ts));
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 10 * 1000 * 1000);

    /* SCHED_OTHER is accepted and runs as RR. */
    CHECK_EQ(sched_setscheduler(0, SCHED_OTHER, &p25), SCHED_RR);
    CHECK_EQ(sched_getscheduler(0), SCHED_OTHER); /* as asked for */
    CHECK_EQ(sched_setscheduler(0, SCHED_RR, &p25), SCHED_OTHER);
    CHECK_EQ(sched_getscheduler(0), SCHED_RR);
}

/* Bad policies and priorities: EINVAL (above the ceiling: EPERM, covered
 * by t_sched); nothing changes. */
TEST(edf_posix_sched_bad_args)
{
    struct sched_param sp = {.sched_priority = 20}, got;
    CHECK_EQ(sched_setscheduler(0, SCHED_FIFO, &sp) >= 0, 1);
    CHECK_ERRNO(sched_setscheduler(0, 99, &sp), EINVAL);
    CHECK_ERRNO(sched_setscheduler(0, -1, &sp), EINVAL);
    CHECK_ERRNO(sched_setscheduler(0, KEEL_SCHED_DEADLINE, &sp), EINVAL);
    CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, NULL), EINVAL);
    sp.sched_priority = 0;
    CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &sp), EINVAL);
    CHECK_ERRNO(sched_setparam(0, &sp), EINVAL);
    sp.sched_priority = KEEL_PRIO_MAX + 1;
    CHECK_ERRNO(sched_setparam(0, &sp), EINVAL);
    CHECK_ERRNO(sched_setparam(0, NULL), EINVAL);
    CHECK_ERRNO(sched_getparam(0, NULL), EINVAL);
    CHECK_ERRNO(sched_rr_get_interval(0, NULL), EFAULT);
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);
    CHECK_OK(sched_getparam(0, &got));
    CHECK_EQ(got.sched_priority, 20);
    /* A negative pid: EINVAL. */
    CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
    CHECK_ERRNO(sched_getparam(-5, &got), EINVAL);
}

/* Another pid: EPERM while the caller holds a process cap for it (a
 * process cap gives no authority over its scheduling), ESRCH once it
 * holds none. */
TEST(edf_posix_sched_other_pid)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "edf-exit", NULL, NULL, NULL), 0);
    struct sched_param sp = {.sched_priority = 10};
    struct timespec ts;
    /* Its cap lives until it is reaped, whether it has exited or not. */
    CHECK_ERRNO(sched_getscheduler(pid), EPERM);
    CHECK_ERRNO(sched_getparam(pid, &sp), EPERM);
    CHECK_ERRNO(sched_setscheduler(pid, SCHED_RR, &sp), EPERM);
    CHECK_ERRNO(sched_setparam(pid, &sp), EPERM);
    CHECK_ERRNO(sched_rr_get_interval(pid, &ts), EPERM);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_ERRNO(sched_getscheduler(pid), ESRCH);
    CHECK_ERRNO(sched_setparam(pid, &sp), ESRCH);
    CHECK_ERRNO(sched_rr_get_interval(pid, &ts), ESRCH);
    /* init: the suite holds no cap for it. */
    CHECK_ERRNO(sched_getscheduler(1), ESRCH);
}

/* ---- SCHED_DEADLINE ---- */

/* Reports a new thread's policy and priority (inherited). */
static void *report_sched(void *arg)
{
    int *out = arg;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &out[0], &sp))
        out[0] = -1;
    out[1] = sp.sched_priority;
    return NULL;
}

/* Lowers its own ceiling below the top, then asks for SCHED_DEADLINE. */
static void *dl_below_top(void *arg)
{
    int *out = arg;
    int below = ut_ceiling < KEEL_PRIO_MAX ? ut_ceiling : KEEL_PRIO_MAX - 1;
    *out = keel_pthread_setceiling(pthread_self(), below);
    if (!*out)
        *out = set_dl(1 * MS, 10 * MS, 10 * MS);
    return NULL;
}

/* Every malformed sched_setattr / sched_getattr is refused and changes
 * nothing. */
TEST(edf_bad_params)
{
    struct sched_param sp = {.sched_priority = 20};
    CHECK(sched_setscheduler(0, SCHED_RR, &sp) >= 0);
    CHECK_EQ(set_dl(2 * MS, 1 * MS, 10 * MS), EINVAL);  /* runtime > dl */
    CHECK_EQ(set_dl(1 * MS, 20 * MS, 10 * MS), EINVAL); /* dl > period */
    CHECK_EQ(set_dl(0, 10 * MS, 10 * MS), EINVAL);      /* zero runtime */
    CHECK_EQ(set_dl(1000, 10 * MS, 10 * MS), EINVAL);   /* under 1024 ns */
    CHECK_EQ(set_dl(1 * MS, 0, 0), EINVAL);
    CHECK_EQ(set_dl(10000, 50000, 50000), EINVAL); /* period under 100 us */
    CHECK_EQ(set_dl(1 * MS, 10 * MS, (1ull << 32) + 1), EINVAL);
    struct sched_attr a = {.size = sizeof(a),
                           .sched_policy = SCHED_DEADLINE,
                           .sched_runtime = 1 * MS,
                           .sched_deadline = 10 * MS,
                           .sched_period = 10 * MS};
    a.sched_priority = 1;
    CHECK_ERRNO(sched_setattr(0, &a, 0), EINVAL);
    a.sched_priority = 0;
    a.sched_flags = 1;
    CHECK_ERRNO(sched_setattr(0, &a, 0), EINVAL);
    a.sched_flags = 0;
    CHECK_ERRNO(sched_setattr(0, &a, 1), EINVAL); /* flags */
    a.size = 40;
    CHECK_ERRNO(sched_setattr(0, &a, 0), EINVAL); /* too small */
    a.size = sizeof(a);
    CHECK_ERRNO(sched_setattr(0, NULL, 0), EINVAL);
    CHECK_ERRNO(sched_setattr(0, (struct sched_attr *)8, 0), EFAULT);
    /* Larger than ours: the bytes past it must be zero (else E2BIG, and
     * our size is written back). */
    struct {
        struct sched_attr a;
        uint64_t more;
    } big = {.a = a, .more = 1};
    big.a.size = sizeof(big);
    big.a.sched_runtime = 20 * MS; /* would be EINVAL: E2BIG comes first */
    CHECK_ERRNO(sched_setattr(0, &big.a, 0), E2BIG);
    CHECK_EQ(big.a.size, sizeof(struct sched_attr));
    /* Fixed policies through sched_setattr: their own rules. */
    struct sched_attr f = {.size = sizeof(f), .sched_policy = SCHED_FIFO};
    CHECK_ERRNO(sched_setattr(0, &f, 0), EINVAL); /* priority 0 */
    f.sched_policy = 99;
    f.sched_priority = 10;
    CHECK_ERRNO(sched_setattr(0, &f, 0), EINVAL);
    /* sched_getattr: size below ours, flags, NULL. */
    struct sched_attr g;
    CHECK_ERRNO(sched_getattr(0, &g, 40, 0), EINVAL);
    CHECK_ERRNO(sched_getattr(0, &g, sizeof(g), 1), EINVAL);
    CHECK_ERRNO(sched_getattr(0, NULL, sizeof(g), 0), EINVAL);
    /* The caller's ceiling below the top: EPERM. */
    pthread_t th;
    int rc = -1;
    CHECK_RC(pthread_create(&th, NULL, dl_below_top, &rc), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rc, EPERM);
    /* Nothing changed. */
    CHECK_EQ(sched_getscheduler(0), SCHED_RR);
    struct sched_param got;
    CHECK_OK(sched_getparam(0, &got));
    CHECK_EQ(got.sched_priority, 20);
}

/* What sched_setattr set, sched_getattr, sched_getscheduler, threadinfo
 * and a new thread see. */
TEST(edf_setattr_getattr)
{
    EDF_NEEDS_TOP();
    struct sched_attr f = {
        .size = sizeof(f), .sched_policy = SCHED_FIFO, .sched_priority = 30};
    CHECK_OK(sched_setattr(0, &f, 0));
    struct sched_attr g;
    memset(&g, 0xff, sizeof(g));
    CHECK_OK(sched_getattr(0, &g, sizeof(g), 0));
    CHECK_EQ(g.size, sizeof(g));
    CHECK_EQ(g.sched_policy, SCHED_FIFO);
    CHECK_EQ(g.sched_priority, 30);
    CHECK_EQ(sched_getscheduler(0), SCHED_FIFO);

    /* Period 0 means period = deadline; size 0 means ours. */
    struct sched_attr a = {.size = 0,
                           .sched_policy = SCHED_DEADLINE,
                           .sched_runtime = 2 * MS,
                           .sched_deadline = 15 * MS,
                           .sched_period = 0};
    CHECK_OK(sched_setattr(getpid(), &a, 0));
    CHECK_OK(sched_getattr(0, &g, sizeof(g) + 16, 0));
    CHECK_EQ(g.sched_policy, SCHED_DEADLINE);
    CHECK_EQ(g.sched_priority, 0);
    CHECK_EQ(g.sched_runtime, 2 * MS);
    CHECK_EQ(g.sched_deadline, 15 * MS);
    CHECK_EQ(g.sched_period, 15 * MS);
    CHECK_EQ(sched_getscheduler(0), SCHED_DEADLINE);
    struct sched_param sp = {.sched_priority = 7};
    CHECK_OK(sched_getparam(0, &sp));
    CHECK_EQ(sp.sched_priority, 0);
    CHECK_ERRNO(sched_setparam(0, &sp), EINVAL);
    CHECK_ERRNO(sched_setscheduler(0, SCHED_DEADLINE, &sp), EINVAL);
    struct timespec ts = {1, 1};
    CHECK_OK(sched_rr_get_interval(0, &ts));
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
    struct keel_threadinfo ti;
    CHECK_EQ(my_row(pthread_self(), &ti), 1);
    CHECK_EQ(ti.policy, SCHED_DEADLINE);

    /* New parameters for a deadline thread. */
    CHECK_EQ(set_dl(1 * MS, 5 * MS, 20 * MS), 0);
    CHECK_OK(sched_getattr(0, &g, sizeof(g), 0));
    CHECK_EQ(g.sched_runtime, 1 * MS);
    CHECK_EQ(g.sched_deadline, 5 * MS);
    CHECK_EQ(g.sched_period, 20 * MS);

    /* A thread it creates starts as FIFO 63: no bandwidth is inherited. */
    int got[2] = {-1, -1};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, report_sched, got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(got[0], SCHED_FIFO);
    CHECK_EQ(got[1], KEEL_PRIO_MAX);

    /* Leaving SCHED_DEADLINE: the former policy comes back from
     * sched_setscheduler. */
    sp.sched_priority = 20;
    CHECK_EQ(sched_setscheduler(0, SCHED_RR, &sp), SCHED_DEADLINE);
    CHECK_OK(sched_getattr(0, &g, sizeof(g), 0));
    CHECK_EQ(g.sched_policy, SCHED_RR);
    CHECK_EQ(g.sched_priority, 20);
}

/* ---- admission ---- */

#define ADM_MAX 12
enum { ADM_WAIT, ADM_TRY, ADM_LEAVE, ADM_EXIT };
static struct adm {
    pthread_t th;
    volatile int cmd;    /* ADM_* from the test */
    volatile int seq;    /* bumped with each command */
    volatile int result; /* -1 until answered, else 0 or an errno */
    uint64_t runtime;
} adm[ADM_MAX];

/* Asks for SCHED_DEADLINE (runtime of 10 ms) on each ADM_TRY, leaves it
 * on ADM_LEAVE, exits on ADM_EXIT; answers in result. Waits sleeping. */
static void *adm_thread(void *arg)
{
    struct adm *a = arg;
    int last = 0;
    for (int i = 0; i < 200000; i++) {
        int seq = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);
        int c = a->cmd;
        if (c == ADM_EXIT)
            break;
        if (seq != last) {
            struct sched_param sp = {.sched_priority = 20};
            int r =
                c == ADM_TRY
                    ? set_dl(a->runtime, 10 * MS, 10 * MS)
                    : (sched_setscheduler(0, SCHED_RR, &sp) < 0 ? errno : 0);
            last = seq;
            __atomic_store_n(&a->result, r, __ATOMIC_RELEASE);
        }
        ut_sleep_ms(1);
    }
    return NULL;
}

/* Sends cmd to thread i and waits (bounded) for its answer. */
static int adm_do(int i, int cmd)
{
    adm[i].result = -1;
    adm[i].cmd = cmd;
    __atomic_add_fetch(&adm[i].seq, 1, __ATOMIC_RELEASE);
    for (int tries = 0; tries < 20000; tries++) {
        int r = __atomic_load_n(&adm[i].result, __ATOMIC_ACQUIRE);
        if (r >= 0)
            return r;
        ut_sleep_ms(1);
    }
    return -1;
}

static int adm_start(int i, uint64_t runtime)
{
    adm[i].cmd = ADM_WAIT;
    adm[i].seq = 0;
    adm[i].result = -1;
    adm[i].runtime = runtime;
    return pthread_create(&adm[i].th, NULL, adm_thread, &adm[i]);
}

static void adm_stop(int i)
{
    adm[i].cmd = ADM_EXIT;
    pthread_join(adm[i].th, NULL);
}

/* Per hart at most 95%: one 60% thread per hart fits, one more does not
 * (EBUSY) until a thread leaves SCHED_DEADLINE or exits; with all gone,
 * 95% fits on every hart, and 1% more on top of that does not. */
TEST(edf_admission)
{
    EDF_NEEDS_TOP();
    int n = harts_online();
    CHECK(n + 2 <= ADM_MAX);
    for (int i = 0; i < n + 2; i++)
        CHECK_RC(adm_start(i, 6 * MS), 0);
    for (int i = 0; i < n; i++)
        CHECKF(adm_do(i, ADM_TRY) == 0, "60%% thread %d of %d refused", i, n);
    CHECK_EQ(adm_do(n, ADM_TRY), EBUSY);
    CHECK_EQ(adm_do(0, ADM_LEAVE), 0); /* back to SCHED_RR */
    CHECK_EQ(adm_do(n, ADM_TRY), 0);
    CHECK_EQ(adm_do(n + 1, ADM_TRY), EBUSY);
    adm_stop(1); /* exits as a deadline thread */
    CHECK_EQ(adm_do(n + 1, ADM_TRY), 0);
    for (int i = 0; i < n + 2; i++)
        if (i != 1)
            adm_stop(i);
    /* Everything came back: 95% on every hart, exactly the bound. */
    for (int i = 0; i < n + 1; i++)
        CHECK_RC(adm_start(i, 9500 * 1000), 0);
    for (int i = 0; i < n; i++)
        CHECKF(adm_do(i, ADM_TRY) == 0, "95%% thread %d of %d refused", i, n);
    adm[n].runtime = 100 * 1000; /* 1% */
    CHECK_EQ(adm_do(n, ADM_TRY), EBUSY);
    for (int i = 0; i < n + 1; i++)
        adm_stop(i);
}

const struct utest ut_edf_tests[] = {
    UT_ISOLATED(edf_posix_sched_calls),
    UT_ISOLATED(edf_posix_sched_bad_args),
    UT_CASE(edf_posix_sched_other_pid),
    UT_ISOLATED(edf_bad_params),
    UT_ISOLATED(edf_setattr_getattr),
    UT_ISOLATED(edf_admission),
    UT_END,
};
