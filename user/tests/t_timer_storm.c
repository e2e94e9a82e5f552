/*
 * A storm of fast periodic POSIX timers must not take a hart away from
 * its threads (the timer expiry budget, docs/realtime.md; kernel/sched/
 * timer.c sched_tick). The defect: on one hart, dozens of periodic
 * timers at the minimum interval (KEEL_TIMER_MIN_INTERVAL_NS) cost more
 * to expire than their period on a slow host (the debug kernel, virtual
 * time = host time), so every timer interrupt left a deadline already
 * past, the next came at once and no thread ran again: the utest
 * timer_exit_with_armed_timers hung about one run in ten.
 *
 * The test arms as many such timers as the child's quota allows (up to
 * TS_MAX) and then needs threads to run: the parent sleeps, computes and
 * talks to the child while they are all armed, the child answers, exits
 * with them armed, and the parent reaps it. Without the budget this
 * hangs on one hart (the runner's time limit fails it); no timing is
 * measured. The timers' expiries then come late, as overruns, which
 * timer_getoverrun still counts (a blocked SIGEV_SIGNAL one here).
 * Also kstat's timer counters (ticks, expiry holds), which make bench
 * notes per real-time row.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel/timer.h>

#include "ut_peer.h"

#define TS_MAX 64 /* timers the child arms (fewer if its quota ends first) */

static int ts_arm(timer_t t)
{
    struct itimerspec its;
    its.it_value.tv_sec = its.it_interval.tv_sec = 0;
    its.it_value.tv_nsec = its.it_interval.tv_nsec = KEEL_TIMER_MIN_INTERVAL_NS;
    return timer_settime(t, 0, &its, NULL);
}

/*
 * ktimer-storm CMDFD REPFD: one SIGEV_SIGNAL timer (SIGUSR1, blocked)
 * and SIGEV_NONE ones up to TS_MAX or the quota, all periodic at the
 * minimum interval; sends the count, waits for the parent's byte, checks
 * the signal timer's overruns, answers and exits with every timer armed.
 */
static int mode_ktimer_storm(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int cmd = atoi(argv[2]), rep = atoi(argv[3]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, NULL))
        return 1;
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t ts;
    if (timer_create(CLOCK_MONOTONIC, &ev, &ts) || ts_arm(ts))
        return 2;
    int n = 1;
    ev.sigev_notify = SIGEV_NONE;
    for (; n < TS_MAX; n++) {
        timer_t t;
        if (timer_create(CLOCK_MONOTONIC, &ev, &t))
            break; /* the quota: as many as it allows */
        if (ts_arm(t))
            return 3;
    }
    if (ut_write_full(rep, &n, sizeof(n)) != (long)sizeof(n))
        return 4;
    char c;
    if (ut_read_full(cmd, &c, 1) != 1)
        return 5;
    /* The first expiry's signal stayed pending (blocked) while the
     * parent slept 20 times 1 ms at least; the budget holds expiry back
     * for 1 ms at most (TIMER_EXPIRY_HOLD_MAX_NS), so later expiries
     * came meanwhile: overruns of it, counted once it is accepted. */
    siginfo_t si;
    if (sigwaitinfo(&set, &si) != SIGUSR1 || si.si_code != SI_TIMER)
        return 6;
    if (timer_getoverrun(ts) < 1)
        return 7;
    if (ut_write_full(rep, &n, sizeof(n)) != (long)sizeof(n))
        return 8;
    return 0; /* exit with all of them armed */
}

TEST(timer_storm_threads_progress)
{
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    for (int round = 0; round < 2; round++) {
        ut_step("spawn the child");
        struct peer p;
        CHECK_RC(ut_start_helper(&p, "ktimer-storm", NULL), 0);
        int n = 0;
        ut_step("the child arms its timers");
        CHECK_EQ(ut_read_full(p.rep, &n, sizeof(n)), (long)sizeof(n));
        CHECK(n >= 32); /* enough to load the hart (quota is 80 slots) */
        /* All armed: this thread must still sleep, wake and compute. */
        ut_step("run beside the armed timers");
        unsigned long sum = 0;
        for (int i = 0; i < 20; i++) {
            ut_sleep_ms(1);
            for (int j = 0; j < 1000; j++)
                sum += (unsigned long)getpid();
        }
        CHECK(sum > 0);
        CHECK_EQ(ut_write_full(p.cmd, "g", 1), 1);
        ut_step("the child answers");
        int back = 0;
        long got = ut_read_full(p.rep, &back, sizeof(back));
        ut_step("reap the child");
        int st = ut_wait(p.pid);
        CHECK_EXITED(st, 0);
        CHECK_EQ(got, (long)sizeof(back));
        CHECK_EQ(back, n);
        close(p.cmd);
        close(p.rep);
    }
    CHECK_KSTAT_BACK(k0);
    CHECK_OK(ut_kstat_settle(&k0, &k1));
    CHECK_EQ(k1.pool_used[KEEL_POOL_OBJECTS], k0.pool_used[KEEL_POOL_OBJECTS]);
}

/* kstat's timer counters (make bench's notes): a sleep ends only by a
 * timer interrupt on its hart, so timer_ticks moves across one; holds
 * never go back. */
TEST(timer_kstat_counts_ticks)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    ut_sleep_ms(1);
    CHECK_OK(keel_kstat(&k1));
    CHECK(k1.timer_ticks > k0.timer_ticks);
    CHECK(k1.timer_exp_holds >= k0.timer_exp_holds);
}

const struct ut_mode ut_timer_storm_modes[] = {
    {"ktimer-storm", mode_ktimer_storm},
    UT_MODE_END,
};

const struct utest ut_timer_storm_tests[] = {
    UT_CASE(timer_storm_threads_progress),
    UT_CASE(timer_kstat_counts_ticks),
    UT_END,
};
