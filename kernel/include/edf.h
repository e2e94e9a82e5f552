/*
 * SCHED_DEADLINE: partitioned EDF with a constant-bandwidth server per
 * thread (kernel/sched/edf.c; docs/realtime.md "SCHED_DEADLINE").
 *
 * Locking, extending the protocol at the top of kernel/sched/sched.c:
 *  - a deadline thread's parameters (runtime, deadline, period, bw,
 *    hart) change under t->slock, and while t is READY or RUNNING also
 *    under the rq lock of harts[t->hart] (S2);
 *  - its CBS state (budget, abs_deadline, repl, throttled) and its place
 *    on a hart's EDF lists are guarded by the rq lock of harts[t->hart]
 *    (the queue it is on, or the hart it runs on); run_start is written
 *    by the hart that runs it (at switch-in, without a lock, and when
 *    charging, under its rq lock);
 *  - each hart's reserved bandwidth (edf_rq.bw, edf_rq.nr) is guarded by
 *    edf_bw_lock, a leaf lock (nothing is taken under it);
 *  - edf_rq.budget_end is written by its own hart only; next_repl under
 *    the rq lock; timer_program reads both with one load each. rearm
 *    is set (atomically) by whoever moves one of them, and taken by the
 *    hart's idle paths, which then re-program its timer.
 */
#ifndef KEEL_EDF_H
#define KEEL_EDF_H

#include "kernel.h"
#include "list.h"
#include "../sched/edf_cbs.h"
#include "../../libc/include/keel/abi.h"

/* Bandwidth is runtime/period in fixed point, 1 << EDF_BW_SHIFT = 100%. */
#define EDF_BW_SHIFT EDF_CBS_BW_SHIFT
#define EDF_BW_ONE (1ull << EDF_BW_SHIFT)
/* Admission bound per hart: the deadline threads of one hart may reserve
 * at most 95% of it, so fixed-priority threads keep at least 5%. */
#define EDF_BW_LIMIT_PERCENT 95
#define EDF_BW_LIMIT (EDF_BW_ONE * EDF_BW_LIMIT_PERCENT / 100)
/* At most this many deadline threads per hart (keeps the sorted lists,
 * and so every EDF step under an rq lock, short and bounded). */
#define EDF_MAX_PER_HART 16
/* Parameter limits (ns): runtime at least 1024 ns (Linux's minimum);
 * period (or deadline when period is 0) between 100 us and 2^32 ns
 * (about 4.29 s). */
#define EDF_RUNTIME_MIN_NS 1024ull
#define EDF_PERIOD_MIN_NS 100000ull
#define EDF_PERIOD_MAX_NS (1ull << 32)

/* Per thread (struct thread's dl). */
struct edf_thread {
    /* Parameters: ns as set; in ticks in cbs, with the CBS state. */
    uint64_t runtime_ns, deadline_ns, period_ns;
    uint64_t bw;         /* reserved on harts[hart] */
    int hart;            /* the hart it is assigned to; -1: none */
    struct edf_cbs cbs;  /* budget and deadline of the current job */
    uint64_t repl;       /* throttled: when the budget comes back */
    uint64_t run_start;  /* running: charged up to here */
    bool throttled;      /* on its hart's throttled list */
    bool yielded;        /* sched_yield: end the job at the next charge */
    bool exited;         /* thread_exit gave its bandwidth back */
    uint64_t nthrottled; /* times its budget ran out (threadinfo) */
};

/* Per hart (struct hart's edf). */
struct edf_rq {
    struct list ready;        /* by abs_deadline, earliest first */
    struct list throttled;    /* by repl, earliest first */
    uint64_t next_repl;       /* repl of the throttled list's head, or ~0 */
    uint64_t budget_end;      /* when the running deadline thread's budget
                                 runs out, or ~0 */
    int rearm;                /* an EDF event moved: re-program the timer */
    uint64_t bw;              /* reserved bandwidth (edf_bw_lock) */
    int nr;                   /* deadline threads assigned (edf_bw_lock) */
    struct thread *migrating; /* S10: to hand over after the switch */
};

struct thread;
struct hart;

/* Validated parameters for edf_set, in ns (period already defaulted). */
struct edf_params {
    uint64_t runtime_ns, deadline_ns, period_ns;
};

void edf_init_hart(struct hart *h);
void edf_init_thread(struct thread *t);
/* The policy a new thread or child inherits from a creator running
 * `policy`: a deadline creator's children start as SCHED_FIFO (at the
 * creator's priority, 63): bandwidth is never inherited. */
static inline int edf_inherit_policy(int policy)
{
    return policy == KEEL_SCHED_DEADLINE ? KEEL_SCHED_FIFO : policy;
}
/* Checks a sched_attr's deadline parameters: 0 or -EINVAL. */
int edf_check(uint64_t runtime, uint64_t deadline, uint64_t *period);
/* Makes t a deadline thread with p (admission: -EBUSY when no online
 * hart can take its bandwidth). No slock or rq lock may be held. */
int edf_set(struct thread *t, const struct edf_params *p);
/* t leaves SCHED_DEADLINE (policy change, exit): gives its bandwidth
 * back. t->slock held. */
void edf_release_locked(struct thread *t);
/* thread_exit: the calling thread gives its bandwidth back. */
void edf_exit(struct thread *t);
/* proc_kill, after setting t->killed (no rq or slock held): a deadline
 * thread throttled until its next period gets its budget back now, so it
 * runs to its exit at once rather than at the replenishment. */
void edf_kill(struct thread *t);

/* Hooks of sched.c; h's rq lock held unless said otherwise. */
/* t (a deadline thread, t->hart == h->id) joins h's ready list, or its
 * throttled list when its budget is spent; a WAKING t first gets the
 * CBS wake-up rule. */
void edf_rq_add(struct hart *h, struct thread *t);
void edf_rq_del(struct hart *h, struct thread *t);
/* The earliest-deadline ready thread of h, taken off and RUNNING; NULL
 * if none. */
struct thread *edf_pick(struct hart *h);
/* Charges h's running thread cur if it is a deadline thread, and gives
 * the due throttled threads their budget back. */
void edf_update(struct hart *h, struct thread *cur);
/* cur is a deadline thread assigned to another hart: it must move. */
bool edf_elsewhere(struct hart *h, struct thread *cur);
/* No lock held: queue cur (just switched away from, still on this
 * hart's stack) on its assigned hart and kick that hart. */
void edf_migrate(struct thread *cur);
/* switch_to (no lock): next starts running now. */
void edf_switch_in(struct hart *h, struct thread *next, uint64_t now);
/* schedule() keeps cur running (no lock): its budget may be new (spent
 * and replenished at once in the requeue), so its end is set again. */
void edf_resume(struct hart *h, struct thread *cur);
/* The timer interrupt (no lock): charge, replenish, ask for a resched. */
void edf_tick(struct hart *h);
/* True once if an EDF event moved since the timer was last programmed. */
bool edf_take_rearm(struct hart *h);

/* From sched.c, for edf.c: rq_add / rq_del (S9), with the same locks. */
void sched_rq_add(struct hart *h, struct thread *t);
void sched_rq_del(struct hart *h, struct thread *t);

#endif
