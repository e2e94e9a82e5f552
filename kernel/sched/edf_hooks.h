/*
 * The inline halves of EDF's scheduler hooks (kernel/sched/edf.c), for
 * sched.c and timer.c: each is a few loads and compares on a hart with
 * no deadline thread, so the context-switch path stays short (make
 * bench). Locking as in kernel/include/edf.h.
 */
#ifndef KEEL_EDF_HOOKS_H
#define KEEL_EDF_HOOKS_H

#include "../include/sched.h"

/* Whether h's schedule() has EDF work: cur is a deadline thread, some
 * deadline thread is assigned to h (a racy read of edf.nr: admission
 * raises it before the thread is queued here, and a thread leaving
 * SCHED_DEADLINE is taken off h's lists by the same call), one waits on
 * h's ready list (a thread admitted elsewhere while still on h's stack
 * waits here until it moves, edf_set), or the budget end of a thread
 * that just left SCHED_DEADLINE is still set. */
static inline bool edf_active(struct hart *h, struct thread *cur)
{
    return cur->policy == KEEL_SCHED_DEADLINE || READ_ONCE(h->edf.nr) ||
           !list_empty(&h->edf.ready) || h->edf.budget_end != UINT64_MAX;
}

static inline void edf_switch_in_hook(struct hart *h, struct thread *next,
                                      uint64_t now)
{
    if (unlikely(next->policy == KEEL_SCHED_DEADLINE ||
                 h->edf.budget_end != UINT64_MAX))
        edf_switch_in(h, next, now);
}

/* timer_program: the earliest EDF event of h. */
static inline uint64_t edf_timer_next(struct hart *h)
{
    return MIN(READ_ONCE(h->edf.budget_end), READ_ONCE(h->edf.next_repl));
}

/* True once if an EDF event moved since the idle paths last re-armed. */
static inline bool edf_rearm_hook(struct hart *h)
{
    return unlikely(READ_ONCE(h->edf.rearm)) && edf_take_rearm(h);
}

#endif
