/*
 * The constant-bandwidth server's arithmetic (kernel/sched/edf.c): pure
 * functions on one thread's budget and deadline, no locks and no kernel
 * state (the caller holds what edf.h says), so tests/host/test_edf_cbs.c
 * checks them on the host. Times are timer ticks; bandwidths are fixed
 * point with 1 << EDF_CBS_BW_SHIFT = 100%.
 */
#ifndef KEEL_EDF_CBS_H
#define KEEL_EDF_CBS_H

#include <stdbool.h>
#include <stdint.h>

#define EDF_CBS_BW_SHIFT 20

struct edf_cbs {
    uint64_t runtime, rel_deadline, period; /* the parameters, >= 1 */
    int64_t budget;        /* left in this job; <= 0: spent (>= -runtime) */
    uint64_t abs_deadline; /* of the current job */
};

/* runtime/period in fixed point, rounded down (so 95% exactly fits a
 * 95% bound), never 0. */
static inline uint64_t edf_cbs_bw(uint64_t runtime, uint64_t period)
{
    uint64_t bw = (runtime << EDF_CBS_BW_SHIFT) / period;
    return bw ? bw : 1;
}

/* A fresh job starting at now. */
static inline void edf_cbs_new_job(struct edf_cbs *c, uint64_t now)
{
    c->budget = (int64_t)c->runtime;
    c->abs_deadline = now + c->rel_deadline;
}

/* Charges `ran` ticks. An overrun is kept as debt of at most one runtime
 * (one more period skipped); more than that cannot come from the job
 * (the timer stops it at its budget's end) but from a non-preemptible
 * kernel stretch or a stalled hart, and is forgiven. */
static inline void edf_cbs_charge(struct edf_cbs *c, uint64_t ran)
{
    c->budget -= (int64_t)ran;
    if (c->budget < -(int64_t)c->runtime)
        c->budget = -(int64_t)c->runtime;
}

/* A spent budget (<= 0): periods to skip until it is positive: 1 or 2. */
static inline uint64_t edf_cbs_periods_owed(const struct edf_cbs *c)
{
    return (uint64_t)(-c->budget) / c->runtime + 1;
}

/* A spent budget: the start of the period in which it comes back. */
static inline uint64_t edf_cbs_repl_time(const struct edf_cbs *c)
{
    return c->abs_deadline - c->rel_deadline +
           edf_cbs_periods_owed(c) * c->period;
}

/* The replenishment (at or after edf_cbs_repl_time): the debt is paid
 * with whole periods; a job whose deadline is already past (a late
 * replenishment) starts afresh. */
static inline void edf_cbs_replenish(struct edf_cbs *c, uint64_t now)
{
    if (c->budget <= 0) {
        uint64_t k = edf_cbs_periods_owed(c);
        c->budget += (int64_t)(k * c->runtime);
        c->abs_deadline += k * c->period;
    }
    if (c->abs_deadline <= now)
        edf_cbs_new_job(c, now);
}

/* The CBS wake-up rule (budget > 0): keep the current deadline only if
 * the budget left fits in the time left at the reserved bandwidth, i.e.
 * unless budget / (deadline - now) > runtime / period; else a fresh job.
 * Both products stay below 2^64: budget, runtime and the time left are
 * at most a period (at most 2^32 ns) in ticks. */
static inline void edf_cbs_wake(struct edf_cbs *c, uint64_t now)
{
    if (c->abs_deadline <= now ||
        (uint64_t)c->budget * c->period > (c->abs_deadline - now) * c->runtime)
        edf_cbs_new_job(c, now);
}

#endif
