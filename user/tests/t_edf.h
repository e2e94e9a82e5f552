/*
 * Helpers shared by the SCHED_DEADLINE tests (t_edf.c, t_edf_run.c).
 */
#ifndef T_EDF_H
#define T_EDF_H

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define MS (1000ull * 1000ull)

static inline int set_dl(uint64_t runtime, uint64_t deadline, uint64_t period)
{
    struct sched_attr a = {.size = sizeof(a),
                           .sched_policy = SCHED_DEADLINE,
                           .sched_runtime = runtime,
                           .sched_deadline = deadline,
                           .sched_period = period};
    return sched_setattr(0, &a, 0) == 0 ? 0 : errno;
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The threadinfo row of our thread `slot`: 1 found, else 0. */
static inline int my_row(pthread_t slot, struct keel_threadinfo *out)
{
    for (int i = 0; i < 4096; i++) {
        if (keel_threadinfo(i, out) <= 0)
            return 0;
        if (out->pid == getpid() && out->tid == (int)slot)
            return 1;
    }
    return 0;
}

static inline int harts_online(void)
{
    struct keel_kstat k;
    return keel_kstat(&k) == 0 && k.harts_online > 0 ? (int)k.harts_online : 1;
}

/*
 * SCHED_DEADLINE needs the caller's ceiling to be 63: under init (make
 * utest) the suite has it; typed at the interactive shell it runs below
 * the shell's ceiling, and then a deadline test checks that refusal
 * (EPERM) instead of the behaviour and ends.
 */
#define EDF_NEEDS_TOP()                                                        \
    do {                                                                       \
        if (ut_ceiling < KEEL_PRIO_MAX) {                                      \
            CHECK_EQ(set_dl(1 * MS, 10 * MS, 10 * MS), EPERM);                 \
            return;                                                            \
        }                                                                      \
    } while (0)

#endif
