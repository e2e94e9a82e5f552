/*
 * Harts, threads and the scheduler: per-hart run queues, fixed priorities
 * (higher runs first), SCHED_FIFO and SCHED_RR, timer preemption.
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "kernel.h"
#include "list.h"
#include "lockstat.h"
#include "riscv.h"
#include "spinlock.h"
#include "../../libc/include/keel/abi.h"
#include "../sched/timerq.h"
#include "edf.h"
#include "signal.h"

#define NPRIO 64

/* Saved by swtch: the callee-saved registers. */
struct context {
    uint64_t ra, sp;
    uint64_t s[12];
};

/* User registers saved on a trap from U-mode; lives at the top of the
 * thread's kernel stack. Offsets are used by arch/trap.S. */
struct trapframe {
    uint64_t regs[32]; /* x0..x31; regs[0] unused */
    uint64_t sepc;     /* 256 */
    uint64_t hart;     /* 264: struct hart * to load into tp on entry */
};
#define TF_RA 1
#define TF_SP 2
#define TF_GP 3
#define TF_TP 4
#define TF_A0 10
#define TF_A7 17

enum thread_state {
    T_FREE = 0,
    T_READY,   /* on a run queue */
    T_RUNNING, /* on a hart */
    T_BLOCKED, /* waiting; only sched_wake makes it READY */
    T_WAKING,  /* claimed by a waker, about to be queued */
    T_DEAD,    /* exited; freed once off its hart */
};

struct proc;
struct waitq;
struct pi_lock;

/*
 * A thread. Its scheduling state (state, prio, policy, ceiling, hart,
 * rq_node) follows the protocol written out at the top of
 * kernel/sched/sched.c: slock guards prio, policy and ceiling and every
 * entry into a run queue; the run queue lock of `hart` guards rq_node and
 * a queued thread's state; the thread itself moves RUNNING -> BLOCKED or
 * DEAD; a waker claims BLOCKED -> WAKING by compare-and-swap.
 */
struct thread {
    struct context ctx;
    struct trapframe *tf;
    uint8_t *kstack;
    volatile int state;
    volatile int on_cpu; /* still running on some hart's stack */
    spinlock_t slock;    /* the scheduling lock (see sched.c) */
    int prio;
    int policy;
    /* Asked for SCHED_OTHER, which runs as SCHED_RR (policy is RR) and is
     * reported back as SCHED_OTHER (sched_policy_report). Written by
     * thread_setschedparam under the caller's cap lock, or before the
     * thread first runs; read with READ_ONCE. */
    bool sched_other;
    int ceiling; /* highest priority it may give any thread (slock) */
    int hart;    /* run queue this thread belongs to */
    /* Its priority was set (SCHED_POS_SETPARAM) while it ran: its next
     * requeue goes to the tail even when it is a preemption. Written and
     * cleared under the rq lock of harts[hart] while it is RUNNING. */
    bool requeue_tail;
    struct list rq_node;
    struct list wait_node; /* on a waitq, guarded by that waitq's lock */
    /* In a hart's sleep queue (timer.c): sleep.owner is that hart (or
     * -1), sleep.deadline the wake time in ticks; its sleep_lock. */
    struct timer_node sleep;
    struct proc *proc;
    struct proc *acct; /* charged for this struct; referenced */
    int tslot;         /* 0..CAP_THREAD_SLOTS-1 within the process */
    int tid;
    volatile int killed;
    bool is_idle;
    uint64_t retval; /* thread_exit value */
    uint32_t refs;   /* atomic: caps naming it + 1 while it lives */
    /* Introspection (threadinfo). wchan: what a BLOCKED thread waits on
     * (a waitq's name, or sched_sleep_wchan in nanosleep), stored by the
     * thread itself before it becomes BLOCKED and read only then. */
    const char *volatile wchan;
    /* CPU time in timer ticks, one word written only by the hart that
     * switches the thread in or out (sched.c "CPU time"). */
    volatile uint64_t cpu_word;
    int ran_hart; /* the hart it last ran on, -1 before it first ran */
    /* Priority inheritance (sync/pi.c, under pi_glock; pi_base also
     * under slock): the PI locks it owns, the one it waits on, and its
     * base priority while a waiter lends it a higher one (0: not
     * boosted, prio is the base). */
    struct list pi_held;
    struct pi_lock *pi_blocked_on;
    int pi_base;
    /* PTHREAD_PRIO_PROTECT (sync/pi.c, pi_glock): the highest ceiling of
     * the protected mutexes it holds (0: none), set by the thread itself
     * (KEEL_SCHED_PROTECT); it runs at no less, like a lent priority. */
    int pp_floor;
    bool futex_exited; /* past futex_pi_exit: owns no PI futex (futex_pi.c) */
    bool exiting;      /* in thread_exit, not yet off its hart (thread.c) */
    struct list kmx_held; /* kernel mutex objects it owns (include/kmx.h) */
    /* SCHED_DEADLINE state (edf.h). */
    struct edf_thread dl;
    /* Signals (signal.h): mask, directed pending set, wait state. */
    struct thread_sig sig;
    /* A kernel mutex object it owns that is not on kmx_held (include/
     * kmx.h: the fast LOCK's record), or NULL. */
    struct kmx *kmx_one;
    /* How many mutexes on kmx_held are PTHREAD_PRIO_INHERIT ones (not
     * kmx_one, whose protocol is read from the object): include/kmx.h. */
    uint32_t kmx_pi_listed;
    /* A barrier wait a signal interrupted, still counted (its own; one
     * reference on the object), and its cycle: sync/kbarrier.c. */
    struct kobj *bar_intr;
    uint32_t bar_cycle;
};

struct runqueue {
    spinlock_t lock;
    uint64_t bitmap; /* bit p set: queue[p] non-empty */
    struct list queue[NPRIO];
    int nr_ready;
};

/* Per-hart state, reached through tp while in the kernel. */
struct hart {
    struct thread *cur;
    int id;
    volatile int need_resched;
    volatile int need_resched_preempt; /* resched is a preemption */
    struct runqueue rq;
    struct thread *idle;
    struct thread *prev; /* switched away from; finish_switch releases */
    spinlock_t sleep_lock;
    struct timerq sleepers; /* timer nodes by deadline (sleep_lock) */
    uint64_t slice_end;     /* timer tick when the RR slice ends */
    uint64_t timer_armed;   /* what this hart's timer is set to (own hart) */
    uint64_t spin_hints;    /* spin_wait_hint calls that armed it (own) */
    /* The timer expiry budget (timer.c sched_tick), this hart only:
     * exp_streak: when the current run of back-to-back expiring ticks
     * began (0: none); exp_floor: expiry is held back until this tick
     * (0: not held); exp_holds: how often it was held; ticks: timer
     * interrupts taken (sched_tick calls). The two counts are read
     * unlocked by kstat (make bench's notes per row). */
    uint64_t exp_streak;
    uint64_t exp_floor;
    uint64_t exp_holds;
    uint64_t ticks;
    volatile bool online;
    bool ran_user;
    uint64_t ticks_idle;
    int nlocks; /* KEEL_LOCKCHECK: spinlocks this hart holds */
    /* KEEL_LOCKCHECK: the placement sampler's view (place_check.c).
     * pl_busy: this hart is inside a placement step (make_ready,
     * sched_set_prio, schedule up to the end of the switch), written by
     * this hart only; pl_idle_wait: its idle loop is at its last look
     * before wfi; pl_kicks: reschedule requests sent to it (atomic, any
     * hart), pl_kicks_seen: the count its last schedule() started from. */
    volatile int pl_busy;
    volatile int pl_idle_wait;
    uint32_t pl_kicks;
    volatile uint32_t pl_kicks_seen;
    /* Its deadline threads (edf.h). */
    struct edf_rq edf;
    /* CPU-time timers (sched/cputimer.c), this hart only except
     * cpt_poke: when to look at the running thread's process's CPU-time
     * timers (ticks, UINT64_MAX: never; also what timer_program arms);
     * cpt_scan: a switched-out thread's process was marked due; cpt_poke
     * (any hart sets it, then an IPI): a CPU-time timer was armed. */
    uint64_t cpt_deadline;
    bool cpt_scan;
    volatile bool cpt_poke;
};

extern struct hart harts[MAX_HARTS];
extern int nharts;
extern uint64_t timebase_hz;

static inline struct hart *this_hart(void)
{
    struct hart *h;
    __asm__ volatile("mv %0, tp" : "=r"(h));
    return h;
}
static inline struct thread *current(void)
{
    return this_hart()->cur;
}

void sched_init_hart(struct hart *h, int id);
void sched_start(void) __attribute__((noreturn)); /* enter the idle loop */
void sched_enqueue_new(struct thread *t);         /* place a new thread */
void schedule(void);               /* switch away; current state decides how */
void sched_preempt(void);          /* on the way back to user: need_resched */
bool sched_wake(struct thread *t); /* BLOCKED -> READY; false if not blocked */
/* Where a READY or RUNNING thread goes in the list of its new priority
 * when its priority or policy is set (POSIX XSH 2.8.4, SCHED_FIFO rules
 * 7 and 8):
 *  SCHED_POS_INHERIT   a lent priority comes or goes (sync/pi.c), and
 *                      the kernel's own callers: a READY thread goes to
 *                      the tail; the running one, lowered, gives up its
 *                      hart as if preempted (it keeps the head);
 *  SCHED_POS_SETPRIO   pthread_setschedprio: raised, the tail; the same
 *                      priority, it keeps its place; lowered, the head
 *                      (the running one: as if preempted);
 *  SCHED_POS_SETPARAM  pthread_setschedparam, sched_setparam,
 *                      sched_setscheduler: the tail, ready or running,
 *                      whatever the change (the running one gives up its
 *                      hart to any thread ready at its new priority);
 *  SCHED_POS_HELD      SETPARAM or SETPRIO on a thread that holds a PI
 *                      lock the kernel knows of or a PRIO_PROTECT mutex
 *                      (POSIX pthread_mutexattr_setprotocol: not moved to
 *                      the tail when its own priority changes): it keeps
 *                      its place if the priority it runs at stays, else
 *                      goes to the head of its new level. */
enum sched_pos {
    SCHED_POS_INHERIT,
    SCHED_POS_SETPRIO,
    SCHED_POS_SETPARAM,
    SCHED_POS_HELD, /* SETPARAM/SETPRIO on a PI or PP holder: above */
};
/* Sets t's base priority and policy (sync/pi.c): the priority it runs
 * at is the base or a higher one inherited through PI locks. Takes
 * pi_glock, then slock and rq locks: call it holding none of those.
 * Queue position: SCHED_POS_INHERIT. */
void sched_set_prio(struct thread *t, int policy, int prio);
/* The same with the queue rule pos. */
void sched_set_prio_pos(struct thread *t, int policy, int prio,
                        enum sched_pos pos);
/* The raw setter under it (sched.c, protocol S8): t runs at prio from
 * now on, re-queued (at the tail) if it is READY; _pos: the rule pos. */
void sched_requeue_prio(struct thread *t, int policy, int prio);
/* The calling thread's PRIO_PROTECT floor becomes floor (sync/pi.c;
 * KEEL_SCHED_PROTECT): 0, or -EINVAL when enter and its own priority is
 * above floor. Locks as sched_set_prio. */
int sched_set_pp_floor(struct thread *t, int floor, bool enter);
void sched_requeue_prio_pos(struct thread *t, int policy, int prio,
                            enum sched_pos pos);
/* The policy to report for t, which runs under `policy` (its own). */
static inline int sched_policy_report(const struct thread *t, int policy)
{
    return policy == KEEL_SCHED_RR && READ_ONCE(t->sched_other)
               ? KEEL_SCHED_OTHER
               : policy;
}
/* t's base priority (its own, not inherited); t->slock held or t not
 * yet running. */
static inline int sched_base_prio(const struct thread *t)
{
    return t->pi_base ? t->pi_base : t->prio;
}
void sched_tick(void); /* timer interrupt */
void sched_ipi(int hart);
void sched_finish_switch(void);
void sched_block(struct thread *t);
/* Moves t to state `to`; with KEEL_LOCKCHECK an illegal transition
 * panics (the legal ones are listed in sched.c). */
#ifdef KEEL_LOCKCHECK
void sched_check_transition(struct thread *t, int to);
#endif
static inline void sched_set_state(struct thread *t, int to)
{
#ifdef KEEL_LOCKCHECK
    sched_check_transition(t, to);
#endif
    t->state = to;
}
void sched_set_ceiling(struct thread *t, int ceiling);

/*
 * A preemption point (docs/realtime.md). The kernel runs with interrupts
 * off; long work (copies, page zeroing, teardown loops) calls this between
 * bounded steps, holding no spinlock. Pending interrupts are taken here,
 * and if one of them asked for a reschedule the thread gives up the hart
 * as if preempted in user mode, resuming later (maybe on another hart).
 */
void sched_preempt_point_slow(void);
static inline void sched_preempt_point(void)
{
#ifdef KEEL_LOCKCHECK
    KASSERT(spin_depth() == 0);
#endif
    lockstat_irqoff_end();
    intr_on();
    intr_off();
    lockstat_irqoff_begin();
    if (unlikely(this_hart()->need_resched))
        sched_preempt_point_slow();
}
/* The wchan of a thread sleeping in nanosleep (sleep_until). */
extern const char sched_sleep_wchan[];
/* t's CPU time so far in timer ticks (any hart, no lock: one load). */
uint64_t sched_cpu_ticks(const struct thread *t);
/* A consistent snapshot of t's scheduling state as threadinfo reports it
 * (state, hart, policy, priority, ceiling, wchan; not the ids). Takes
 * t->slock and the rq lock of t's hart (S1 order); no other thread
 * slock or rq lock may be held, and t must stay allocated. */
void sched_thread_snapshot(struct thread *t, struct keel_threadinfo *out);
/* A policy from user space: FIFO or RR (SCHED_OTHER runs as RR), or
 * -EINVAL (unknown) / -ENOTSUP (known, unsupported). */
int sched_policy_check(int policy);
#ifdef KEEL_KTEST
/* Test hook: called inside the windows the item-4 race needed. */
extern void (*volatile sched_test_hook)(void);
/* Test hook: called in make_ready after the target hart is chosen and
 * before t is queued (t->slock held). */
extern void (*volatile sched_test_place_hook)(struct thread *t);
/* Test hook: called in schedule() after the pick, before the switch from
 * cur to next (no lock held). */
extern void (*volatile sched_test_pick_hook)(struct thread *cur,
                                             struct thread *next);
#endif

#ifdef KEEL_LOCKCHECK
/* Placement sampling (place_check.c): one sample into *k (the running
 * totals since boot). */
struct keel_kstat;
void sched_place_sample(struct keel_kstat *k);
#define PL_BUSY(d)                                                             \
    __atomic_store_n(&this_hart()->pl_busy, this_hart()->pl_busy + (d),        \
                     __ATOMIC_RELEASE)
#define PL_KICK(hart)                                                          \
    __atomic_fetch_add(&harts[hart].pl_kicks, 1, __ATOMIC_SEQ_CST)
#define PL_KICKS_SEEN(h)                                                       \
    ((h)->pl_kicks_seen = __atomic_load_n(&(h)->pl_kicks, __ATOMIC_SEQ_CST))
#define PL_IDLE_WAIT(h, v)                                                     \
    __atomic_store_n(&(h)->pl_idle_wait, v, __ATOMIC_SEQ_CST)
#else
#define PL_BUSY(d)                                                             \
    do {                                                                       \
    } while (0)
#define PL_KICK(hart)                                                          \
    do {                                                                       \
    } while (0)
#define PL_KICKS_SEEN(h)                                                       \
    do {                                                                       \
    } while (0)
#define PL_IDLE_WAIT(h, v)                                                     \
    do {                                                                       \
    } while (0)
#endif

/* Wait queues: the waiter adds itself under the object's lock, then
 * sleeps; wakers remove and wake, the highest-priority waiter first
 * (FIFO within a priority; chosen at wake time, so a priority changed
 * while waiting counts; O(waiters), at most MAX_THREADS). */
struct waitq {
    spinlock_t lock;
    struct list waiters;
};
void waitq_init(struct waitq *wq, const char *name);
/* Called with `held` locked: queues the current thread, unlocks `held`,
 * sleeps, relocks `held`. Returns -EINTR if the thread is being killed. */
int waitq_wait(struct waitq *wq, spinlock_t *held);
/* As waitq_wait, but gives up at the absolute time deadline (timer
 * ticks): -ETIMEDOUT then (and the thread is off the queue), -EINTR when
 * killed, 0 when woken. */
int waitq_wait_until(struct waitq *wq, spinlock_t *held, uint64_t deadline);

/*
 * An absolute deadline on a clock: what every timed wait carries
 * (kernel/sched/clock.c). A CLOCK_MONOTONIC one is a timer tick. A
 * CLOCK_REALTIME one stays a time on that clock: each time its thread
 * blocks, kdl_block_prepare computes the tick from the clock's current
 * offset and puts the deadline on the realtime waiters' list, and
 * clock_settime wakes every thread on that list, so the wait looks at the
 * clock again: a set past the time ends it (-ETIMEDOUT), a set back
 * lengthens it (POSIX clock_settime: "the new value of the clock shall be
 * used to determine the time of expiration for absolute time services").
 * It lives on the waiter's stack for the whole wait. NULL means none.
 */
struct kdeadline {
    uint64_t at;      /* ticks (monotonic) or ns since the epoch (realtime) */
    bool realtime;    /* on CLOCK_REALTIME */
    struct thread *t; /* the waiter while node is linked */
    struct list node; /* on the realtime waiters (clock.c's realtime_lock) */
};
/* A CLOCK_MONOTONIC deadline at tick `ticks`. */
void kdl_ticks(struct kdeadline *dl, uint64_t ticks);
/* An absolute time in ns on CLOCK_REALTIME (realtime) or MONOTONIC. */
void kdl_clock(struct kdeadline *dl, bool realtime, uint64_t ns);
/* The deadline's clock reads at least its time (false for NULL). */
bool kdl_passed(const struct kdeadline *dl);
/* The timed-block step every timed wait uses, with a spinlock held
 * (interrupts off) and t's wchan set: arms t's sleep for dl (a realtime
 * one also joins the realtime waiters) and sets t BLOCKED; false, with
 * nothing done, if dl has passed. dl NULL: only sets t BLOCKED. The
 * caller then drops its locks, calls timer_program and sched_block, and
 * after every wake-up kdl_block_finish. Lock order: any waitq or object
 * lock -> realtime_lock -> sleep_lock. */
bool kdl_block_prepare(struct thread *t, struct kdeadline *dl);
void kdl_block_finish(struct thread *t, struct kdeadline *dl);
/* As waitq_wait_until, with the deadline on its clock (NULL: none):
 * 0 when woken, -ETIMEDOUT once the clock has reached it, -EINTR. A
 * wake-up by the timer, by clock_settime or a stale signal wake-up that
 * finds the deadline not yet reached sleeps on inside. */
int waitq_wait_deadline(struct waitq *wq, spinlock_t *held,
                        struct kdeadline *dl);
/* Sleeps until dl has passed: 0, or -EINTR (killed, a signal). */
int kdl_sleep(struct kdeadline *dl, const char *wchan);
/* Wakes every waiter (the run queues then order them by priority); how
 * many were still blocked (not already woken by a timeout, a kill or a
 * signal). */
unsigned waitq_wake_all(struct waitq *wq);
/* Wakes the highest-priority thread still blocked on wq (the earliest
 * queued among equals; one that a timeout or a kill already woke is
 * passed over and left to take itself off); true if one was woken. */
bool waitq_wake_one(struct waitq *wq);

/* Timers and sleep. */
uint64_t time_now_ticks(void);
uint64_t time_now_ns(void);
/* The clocks (kernel/sched/clock.c). CLOCK_REALTIME is time_now_ns()
 * plus one offset word: time_set_realtime records "now is ns since the
 * epoch" (at boot from the board's RTC; without one the clock starts at
 * the epoch; later by clock_settime, which also wakes the absolute
 * CLOCK_REALTIME sleepers to re-arm). Any hart, any time after
 * clock_init (boot). */
void clock_init(void);
void time_set_realtime(uint64_t ns);
uint64_t time_realtime_ns(void);
/* The clocks' resolution in ns: one timer tick, rounded up. */
uint64_t clock_res_ns(void);
/* CPU-time clocks (sched/cpuclock.c): is clock one; its time in ns (0,
 * or -EINVAL for a thread slot's clock with no thread behind it). */
bool cpuclock_is(int clock);
int cpuclock_read(int clock, uint64_t *ns);
/* CPU-time timers (sched/cputimer.c). cputimer_switch: from switch_to
 * when h->cpt_deadline is set or next's process has armed CPU-time
 * timers, no lock held, lock-free (true: timer_program is needed).
 * cputimer_tick: sched_tick once now >= h->cpt_deadline (no lock held).
 * cputimer_poked: the IPI of cpt_poke. cputimer_thread_exit: thread_exit
 * of a thread some timer's clock names (p->cpt_bound), no lock held. */
bool cputimer_switch(struct hart *h, struct thread *cur, struct thread *next,
                     uint64_t now);
void cputimer_tick(struct hart *h, uint64_t now);
void cputimer_poked(struct hart *h);
void cputimer_thread_exit(struct proc *p, struct thread *t);
/* ns in timer ticks, rounded up (UINT64_MAX if it does not fit). */
uint64_t clock_ns_to_ticks_ceil(uint64_t ns);
/* A timespec as ns: -EINVAL for tv_nsec outside [0, 1e9); 1 (and *ns 0)
 * for a negative tv_sec; 0 otherwise (saturating at UINT64_MAX). */
int clock_ts_to_ns(const struct keel_timespec *ts, uint64_t *ns);
/* Sleeps: 0, or -EINTR when killed. Never woken before the deadline.
 * clock_sleep_relative puts the time left (0 unless interrupted) in
 * *left_ns if left_ns is not 0. */
int clock_sleep_relative(uint64_t ns, uint64_t *left_ns);
int clock_sleep_monotonic_until(uint64_t ns);
int clock_sleep_realtime_until(uint64_t ns); /* follows time_set_realtime */
uint64_t ns_to_ticks(uint64_t ns);
uint64_t ticks_to_ns(uint64_t ticks);
int sleep_until(uint64_t ticks); /* -EINTR when killed */
/* The sleep structure under sleep_until and waitq_wait_until: t (the
 * current thread) joins this hart's sleepers, to be woken with sched_wake
 * at `deadline`; the caller sets t BLOCKED before it can take an
 * interrupt. timer_sleep_cancel takes t off wherever it still is (no-op
 * if the timer already fired). Lock order: callers may hold a waitq lock
 * (S1: waitq lock -> sleep_lock). */
void timer_sleep_insert(struct thread *t, uint64_t deadline);
void timer_sleep_cancel(struct thread *t);
/*
 * The generic per-hart timer (timer.c; what timer_sleep_* use, for any
 * object embedding a struct timer_node). timer_arm queues tn (not queued)
 * on this hart at `deadline` (ticks); fire(tn) then runs from this hart's
 * timer interrupt with its sleep_lock held (so it may only take locks
 * after sleep_lock in S1, and must not sleep). timer_cancel dequeues tn if
 * still queued (true) and otherwise returns once any fire of it is over
 * (false). Arming and cancelling one node must not race each other (its
 * owner serializes them; for a sleeping thread, the thread itself).
 * O(log n) each. At most TIMER_HART_CAP nodes per hart.
 */
/* Room for every thread's sleep and every POSIX timer (ktimer.c). */
#define TIMER_HART_CAP                                                         \
    (MAX_THREADS + KEEL_TIMERS_MAX + MAX_PROCS) /* alarms                      \
                                                 */
#define TIMER_EXPIRE_BATCH 16 /* nodes popped per timer interrupt */
/* The timer expiry budget (timer.c timer_expiry_budget, docs/realtime.md
 * "The timer expiry budget"): back-to-back expiry a hart may spend before
 * its threads get a turn as long, at most TIMER_EXPIRY_HOLD_MAX_NS (a
 * host that stopped the guest inside the run made it look longer). */
#define TIMER_EXPIRY_BUDGET_NS 100000u
#define TIMER_EXPIRY_HOLD_MAX_NS 1000000u
void timer_init_hart(struct hart *h);
void timer_arm(struct timer_node *tn, uint64_t deadline, timer_fire_fn fire);
bool timer_cancel(struct timer_node *tn);
/* From inside tn's fire only: queue tn again on this hart at deadline
 * (a periodic timer's next expiry; ktimer.c). */
void timer_rearm_in_fire(struct timer_node *tn, uint64_t deadline);
void timer_program(void); /* arm this hart's next timer event */
/* 0, or the longest a busy hart goes without a timer event (ticks; the
 * bootargs word keel.turn_us, several harts only: timer.c). */
extern uint64_t sched_turn_bound_ticks;

#endif
