/*
 * Issue 8 item 7: the POSIX process-scheduling calls (sched_setscheduler,
 * sched_getscheduler, sched_setparam, sched_getparam,
 * sched_rr_get_interval) and their pid rules.
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

const struct utest ut_edf_tests[] = {
    UT_ISOLATED(edf_posix_sched_calls),
    UT_ISOLATED(edf_posix_sched_bad_args),
    UT_CASE(edf_posix_sched_other_pid),
    UT_END,
};
