/* Host tests for kernel/sched/edf_cbs.h: the constant-bandwidth server's
 * arithmetic behind SCHED_DEADLINE. Times in ticks. */
#include "kernel/sched/edf_cbs.h"
#include "tests/host/harness.h"

/* runtime 2, deadline 8, period 10, a job started at 100. */
static struct edf_cbs job(void)
{
    struct edf_cbs c = {.runtime = 2, .rel_deadline = 8, .period = 10};
    edf_cbs_new_job(&c, 100);
    return c;
}

TEST(edf_cbs_bw_rounds_down_never_zero)
{
    CHECK_EQ(edf_cbs_bw(1, 2), 1ull << 19);
    CHECK_EQ(edf_cbs_bw(95, 100), (95ull << 20) / 100);
    CHECK_EQ(edf_cbs_bw(100, 100), 1ull << 20);
    CHECK_EQ(edf_cbs_bw(1, 1ull << 32), 1); /* rounds to 0: at least 1 */
}

TEST(edf_cbs_new_job_and_charge)
{
    struct edf_cbs c = job();
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 108);
    edf_cbs_charge(&c, 1);
    CHECK_EQ(c.budget, 1);
    edf_cbs_charge(&c, 2);
    CHECK_EQ(c.budget, -1); /* debt */
    edf_cbs_charge(&c, 1000);
    CHECK_EQ(c.budget, -2); /* at most one runtime of debt */
}

TEST(edf_cbs_replenish_next_period)
{
    struct edf_cbs c = job();
    edf_cbs_charge(&c, 2); /* exactly spent */
    CHECK_EQ(edf_cbs_periods_owed(&c), 1);
    CHECK_EQ(edf_cbs_repl_time(&c), 110); /* the next period's start */
    edf_cbs_replenish(&c, 110);
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 118); /* deadline moved by one period */
}

TEST(edf_cbs_replenish_pays_debt)
{
    struct edf_cbs c = job();
    edf_cbs_charge(&c, 3); /* one tick over */
    CHECK_EQ(edf_cbs_periods_owed(&c), 1);
    CHECK_EQ(edf_cbs_repl_time(&c), 110);
    edf_cbs_replenish(&c, 110);
    CHECK_EQ(c.budget, 1); /* the debt comes off the next job */
    CHECK_EQ(c.abs_deadline, 118);
    c = job();
    edf_cbs_charge(&c, 50); /* a stall: debt capped at one runtime */
    CHECK_EQ(edf_cbs_periods_owed(&c), 2);
    CHECK_EQ(edf_cbs_repl_time(&c), 120); /* skips one more period */
    edf_cbs_replenish(&c, 120);
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 128);
}

TEST(edf_cbs_late_replenish_starts_afresh)
{
    struct edf_cbs c = job();
    edf_cbs_charge(&c, 2);
    edf_cbs_replenish(&c, 500); /* long after: the moved deadline is past */
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 508);
}

TEST(edf_cbs_wake_keeps_or_resets)
{
    /* runtime 2 per 10: with 1 left and 6 to go, 1/6 <= 2/10: kept. */
    struct edf_cbs c = job();
    edf_cbs_charge(&c, 1);
    edf_cbs_wake(&c, 102);
    CHECK_EQ(c.budget, 1);
    CHECK_EQ(c.abs_deadline, 108);
    /* 1 left but only 4 to go: 1/4 > 2/10: a fresh job from now. */
    edf_cbs_wake(&c, 104);
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 112);
    /* Exactly at the bandwidth (2 left, 10 to go): kept. */
    c = job();
    c.rel_deadline = 10;
    edf_cbs_new_job(&c, 100);
    edf_cbs_wake(&c, 100);
    CHECK_EQ(c.abs_deadline, 110);
    /* A deadline already passed: a fresh job. */
    c = job();
    edf_cbs_charge(&c, 1);
    edf_cbs_wake(&c, 108);
    CHECK_EQ(c.budget, 2);
    CHECK_EQ(c.abs_deadline, 116);
}
