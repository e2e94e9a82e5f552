/*
 * Issue 8 leftover, SCHED_DEADLINE and kill: a deadline thread throttled
 * (its budget spent, waiting for its next period) that is killed runs to
 * its exit at once; it does not wait out its period first.
 *
 * The helper process is one deadline thread that spins with 2 ms every
 * EDF_KILL_PERIOD (the longest period the kernel allows, 2^32 ns), so it
 * is throttled ~4.3 s per period. We kill it while it is throttled. Its
 * replenishment comes no earlier than one period after it set its
 * parameters, which was after we spawned it: a thread that waits for its
 * replenishment before dying is reaped only after spawn + period, so the
 * check is that the reap came before that. (Not a latency threshold:
 * that time is one the old behaviour cannot beat. A run in which seeing
 * the throttle took more than half the period is retried.)
 */
#include <signal.h>
#include <stdio.h>

#include "t_edf.h"

#define EDF_KILL_PERIOD (1ull << 32) /* ns: EDF_PERIOD_MAX_NS */
#define MAIN_TID CAP_THREAD_SLOT_BASE

/* edf-throttled-spin: becomes a deadline thread and spins (bounded by
 * 60 s); exits 2 + errno if sched_setattr fails. */
static int mode_edf_throttled_spin(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int r = set_dl(2 * MS, EDF_KILL_PERIOD, EDF_KILL_PERIOD);
    if (r)
        return 2 + r;
    uint64_t end = now_ns() + 60000 * MS;
    for (uint64_t i = 1;; i++)
        if (!(i & 0xffff) && now_ns() > end)
            return 1;
}

const struct ut_mode ut_edfk_modes[] = {
    {"edf-throttled-spin", mode_edf_throttled_spin},
    UT_MODE_END,
};

/* pid's main thread: 1 found (row in *ti), else 0. */
static int child_row(pid_t pid, struct keel_threadinfo *ti)
{
    for (int i = 0; i < 4096; i++) {
        if (keel_threadinfo(i, ti) <= 0)
            return 0;
        if (ti->pid == pid && ti->tid == MAIN_TID)
            return 1;
    }
    return 0;
}

/* Polls (bounded, ~20 s: a safety net) until pid's main thread is a
 * throttled deadline thread: READY with its budget spent at least once.
 * 1 when it is, 0 if it never was, -1 if it exited. */
static int wait_throttled(pid_t pid)
{
    struct keel_threadinfo ti;
    for (int tries = 0; tries < 4000; tries++) {
        if (!child_row(pid, &ti) || ti.state == KEEL_TSTATE_EXITED)
            return -1;
        if (ti.policy == SCHED_DEADLINE && ti.dl_throttled > 0 &&
            ti.state == KEEL_TSTATE_READY)
            return 1;
        ut_sleep_ms(5);
    }
    return 0;
}

TEST(edf_throttled_thread_killed_dies_at_once)
{
    EDF_NEEDS_TOP();
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t t0 = now_ns();
        pid_t pid;
        CHECK_OK(ut_spawn_self(&pid, NULL, NULL, "edf-throttled-spin", NULL,
                               NULL, NULL));
        int seen = wait_throttled(pid);
        uint64_t t_seen = now_ns();
        int k = kill(pid, SIGKILL);
        int st = ut_wait(pid);
        uint64_t t_reaped = now_ns();
        CHECKF(seen >= 0, "the helper exited (status %#x)", st);
        CHECKF(seen == 1, "the helper was never seen throttled");
        CHECK_OK(k);
        CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
        if (t_seen - t0 > EDF_KILL_PERIOD / 2)
            continue; /* too slow to tell: its period was nearly over */
        CHECKF(t_reaped < t0 + EDF_KILL_PERIOD,
               "reaped %llu ms after the spawn: it waited for its next "
               "period (killed %llu ms after the spawn)",
               (unsigned long long)((t_reaped - t0) / MS),
               (unsigned long long)((t_seen - t0) / MS));
        return;
    }
    CHECKF(0, "never saw the helper throttled early in its period");
}

const struct utest ut_edf_kill_tests[] = {
    UT_CASE(edf_throttled_thread_killed_dies_at_once),
    UT_END,
};
