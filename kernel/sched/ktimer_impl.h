/*
 * The timer object's layout and the calls between ktimer.c (the object,
 * expiry, arming), ktimer_notify.c (delivery to signal, semaphore and
 * queue targets) and ktimer_sys.c (the syscalls). Locking: ktimer.c's
 * opening comment.
 */
#ifndef KEEL_KTIMER_IMPL_H
#define KEEL_KTIMER_IMPL_H

#include "../include/kobj.h"
#include "../include/sched.h"

struct ktimer {
    struct kobj hdr; /* first (kobj.h) */
    spinlock_t lock; /* the state below, unless noted */
    struct waitq wq; /* KEEL_TIMER_WAIT's waiters (SIGEV_THREAD) */
    union {
        struct timer_node tn; /* the heap's (sleep_lock while queued) */
        /* A thread CPU-time clock's thread, NULL once it exited
         * (cputimer.c, cpt_lock); a CPU-time timer has no heap node. */
        struct thread *cpt_thread;
    };
    /* on kt_rt_list while on_rt (kt_arm_lock); a CPU-time timer's
     * cpt_node instead: on its process's cpt_timers (cpt_lock) */
    union {
        struct list rt_node;
        struct list cpt_node;
    };
    struct list defer_node; /* kt_defer_lock[defer_hart] */
    uint64_t interval_ns;   /* 0: one-shot */
    uint64_t expiry_ns;     /* next expiry, in the domain's ns */
    uint64_t value;         /* sigev_value (fixed) */
    struct kobj *target;    /* KEEL_SEM / KEEL_MQ target, referenced */
    int32_t slot;           /* the slot timer_create gave (fixed) */
    uint32_t overrun;       /* of the last accepted notification */
    uint32_t pend_overrun;  /* folded into the pending one so far */
    uint32_t notify_n;      /* expiries recorded, not yet delivered */
    uint32_t sig_missed;    /* SIGNAL: whole periods folded in, ditto */
    uint32_t sig_tag;       /* SIGNAL: sig_post_timer's tag (fixed) */
    int32_t signo;          /* SIGEV_SIGNAL's signal (fixed) */
    int32_t defer_hart;     /* defer list it is on, -1 (kt_defer_lock) */
    int32_t delivering;     /* 1 + hart delivering it, 0 (kt_defer_lock) */
    uint8_t clock;          /* KEEL_CLOCK_* (fixed) */
    uint8_t notify;         /* KEEL_SIGEV_* (fixed) */
    uint8_t armed;
    uint8_t rt_abs;   /* domain: realtime (absolute CLOCK_REALTIME) */
    uint8_t pending;  /* SIGNAL/THREAD: notified, not yet accepted */
    uint8_t shutdown; /* THREAD: KEEL_TIMER_SHUTDOWN done */
    uint8_t sig_out;  /* SIGNAL: an instance posted, not seen accepted */
    uint8_t on_rt;    /* on kt_rt_list (kt_arm_lock) */
};
/* CPU-time clocks (cputimer.c): clock is KEEL_CLOCK_PROCESS_CPUTIME or
 * KEEL_CLOCK_THREAD_CPUTIME, the clock's process is hdr.acct (the
 * creator); expiry_ns and interval_ns are in that clock's ns. */
_Static_assert(sizeof(struct ktimer) <= KOBJ_SIZE_MAX, "ktimer too big");

/* The defer lists (ktimer.c): one per hart, and the worker's. */
#define KT_WORKER MAX_HARTS
#define KT_LISTS (MAX_HARTS + 1)
extern spinlock_t kt_defer_lock[KT_LISTS];
extern struct list kt_defer[KT_LISTS];

static inline uint32_t ktimer_sat(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s > KEEL_DELAYTIMER_MAX || s < a ? KEEL_DELAYTIMER_MAX : (uint32_t)s;
}

/* Targets whose delivery needs thread context (ktimer_notify.c). */
static inline bool ktimer_needs_worker(const struct ktimer *k)
{
    return k->notify == KEEL_SIGEV_KEEL_MQ || k->notify == KEEL_SIGEV_KEEL_SEM;
}
/* Delivers k's recorded expiries (deferred step or worker). */
void ktimer_deliver(struct ktimer *k, bool worker);
/* SIGNAL / KEEL_SEM / KEEL_MQ delivery of n expiries (ktimer_notify.c),
 * no lock held; KEEL_MQ only on the worker. */
void ktimer_notify_target(struct ktimer *k, uint32_t n);
/* SIGNAL: if the posted instance is no longer pending it was accepted,
 * and its overruns become the count (k->lock held). */
void ktimer_sig_settle(struct ktimer *k);
void ktimer_worker_kick(void); /* the worker has work (no lock held) */

/* A new timer (one reference for the caller) or -EAGAIN (quota, pool or
 * KEEL_TIMERS_MAX). target's reference passes to the timer. */
int ktimer_create(int clock, int notify, int signo, uint64_t value,
                  struct kobj *target, struct ktimer **out);
/* Arms (value or abs nonzero: expiry `value` ns, absolute or from now)
 * or disarms; the previous setting comes back in *ovalue, *ointerval.
 * -EINVAL: a CPU-time timer whose thread exited. */
int ktimer_settime(struct ktimer *k, bool abs, uint64_t value,
                   uint64_t interval, uint64_t *ovalue, uint64_t *ointerval);
void ktimer_gettime(struct ktimer *k, uint64_t *value, uint64_t *interval);
uint32_t ktimer_getoverrun(struct ktimer *k);
void ktimer_disarm(struct ktimer *k);
int ktimer_wait(struct ktimer *k, const struct cap_pin *pin);
int ktimer_shutdown(struct ktimer *k);

/* CPU-time timers (cputimer.c). */
static inline bool ktimer_is_cpu_clock(int clock)
{
    return clock == KEEL_CLOCK_PROCESS_CPUTIME ||
           clock == KEEL_CLOCK_THREAD_CPUTIME;
}
static inline bool ktimer_is_cpu(const struct ktimer *k)
{
    return ktimer_is_cpu_clock(k->clock);
}
/* Expiry at clock value `now` (ns) of an armed CPU-time timer (cpt_lock
 * held, ktimer.c): the fire's work; true if it is disarmed now. */
bool ktimer_cpu_expire(struct ktimer *k, uint64_t now);
/* timer_create: binds k to `clock` of the calling thread's process (0, or
 * -EINVAL: no such clock). cputimer_unbind: destroy, after disarming. */
int cputimer_bind(struct ktimer *k, int clock);
void cputimer_unbind(struct ktimer *k);
/* settime (-EINVAL: its thread exited), gettime and disarm of a CPU-time
 * timer, as ktimer_settime etc. (kt_arm_lock held by the caller). */
int cputimer_settime(struct ktimer *k, bool abs, uint64_t value,
                     uint64_t interval, uint64_t *ovalue, uint64_t *ointerval);
void cputimer_gettime(struct ktimer *k, uint64_t *value, uint64_t *interval);
void cputimer_disarm(struct ktimer *k);
#endif
