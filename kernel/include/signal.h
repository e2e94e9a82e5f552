/*
 * Signals (kernel/proc/signal.c, signal_wait.c, arch/signal_frame.c;
 * docs/syscalls.md "Signals").
 *
 * State. Per process (struct proc_sig, in struct proc): the actions, the
 * process-directed pending set with one siginfo per standard signal, the
 * queue of real-time signals (KEEL_SIGQUEUE_MAX preallocated entries, in
 * posting order, each for the process or for one thread), and the
 * threads that can take a signal. Per thread (struct thread_sig, in
 * struct thread): the mask, the thread-directed pending set and its
 * standard siginfos, the alternate stack, the sigsuspend / sigtimedwait
 * state.
 *
 * Locks. proc_sig.lock ("proc_sig") guards all of it except a thread's
 * own mask, altstack and wait state, which only the thread itself writes
 * (the mask also under the lock, so posters read a settled value). Lock
 * order: p->lock -> proc_sig.lock, and sleep_lock -> proc_sig.lock ->
 * (sched_wake) t->slock -> rq lock, so sig_post may be called from a
 * timer's fire. No waitq lock is taken under proc_sig.lock.
 *
 * Waking. A thread in an interruptible wait (waitq_wait*, sleep_until,
 * sigsuspend, sigtimedwait) has intr_wait set; a poster that makes a
 * signal deliverable to it (pending and not blocked) wakes it, or sends
 * an IPI when it runs on another hart; sched_block re-checks after the
 * thread became BLOCKED (a fence on both sides), so no wake-up is lost.
 * A stale intr_wait can wake a thread in another wait: every kernel wait
 * loops on its own condition, so such a wake-up is only spurious.
 */
#ifndef KEEL_SIGNAL_H
#define KEEL_SIGNAL_H

#include "kernel.h"
#include "spinlock.h"
#include "../sched/timerq.h"
#include "../../libc/include/keel/abi.h"
#include "../../libc/include/keel/cap.h"

/* Internal syscall results turned into a restart or EINTR on the way out
 * (arch/signal_frame.c): ERESTARTSYS restarts when the handler that runs
 * has SA_RESTART (or none runs), else EINTR; ERESTARTNOINTR always
 * restarts (calls POSIX never lets fail with EINTR). Never seen by user
 * space. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513

#define SIG_STD_MASK 0x7fffffffull /* signals 1..31 */
#define SIG_RT_MASK (~SIG_STD_MASK)
#define SIG_UNBLOCKABLE (KEEL_SIGBIT(KEEL_SIGKILL) | KEEL_SIGBIT(KEEL_SIGSTOP))

struct thread;
struct proc;
struct trapframe;

/* What is kept of a pending standard signal (its siginfo). */
struct sig_info {
    int16_t code;
    int32_t pid;
    uint32_t timer; /* sig_post_timer's tag, 0: not from a timer */
    uint64_t value; /* sigval, or the fault address */
};

struct sig_rtq_entry {
    uint8_t sig;
    int8_t tslot; /* -1: the process; else the thread in that slot */
    int16_t code;
    int32_t pid;
    uint32_t timer; /* sig_post_timer's tag, 0: not from a timer */
    uint64_t value;
};

struct proc_sig {
    spinlock_t lock;
    struct keel_sigaction act[KEEL_NSIG]; /* act[sig - 1] */
    uint64_t pending;                     /* process-directed */
    struct sig_info info[32];             /* info[sig] for sig 1..31 */
    struct sig_rtq_entry rtq[KEEL_SIGQUEUE_MAX];
    int rtq_n;
    struct thread *threads[CAP_THREAD_SLOTS]; /* those that take signals */
    /* alarm() (signal_alarm.c): armed and cancelled under p->lock. */
    struct timer_node alarm;
    uint64_t alarm_deadline; /* ticks; 0: not armed */
};

struct thread_sig {
    uint64_t mask;    /* blocked (written by the thread, under the lock) */
    uint64_t pending; /* thread-directed (lock) */
    struct sig_info info[32];
    /* sigsuspend: the mask to restore once the handler was set up. */
    uint64_t saved_mask;
    bool restore_mask;
    /* sigtimedwait: the set it waits for (blocked though unmasked). */
    uint64_t waitset;
    volatile int intr_wait; /* in an interruptible wait */
    /* Something may be deliverable (the one word the way back to user
     * mode reads): set by a post that chose this thread, a fault, a mask
     * change that unblocks a pending signal, sigsuspend; cleared by the
     * thread before it delivers. */
    volatile int attn;
    struct keel_stack altstack;
};

/* Boot-time and lifetime hooks. sig_proc_exit: the last thread is
 * leaving (the alarm is cancelled). */
void sig_proc_init(struct proc *p);
void sig_proc_exit(struct proc *p);
void sig_thread_init(struct thread *t, const struct thread *creator);
/* t can take signals from now on / no more (its directed ones dropped). */
void sig_thread_attach(struct proc *p, struct thread *t);
void sig_thread_detach(struct proc *p, struct thread *t);

/*
 * Kernel API for other subsystems. sig_post queues signal sig (1..64) for
 * process p with si_code `code` (KEEL_SI_TIMER, KEEL_SI_MESGQ, ...) and
 * sigval `value`; si_pid is 0. The caller keeps p referenced. Callable
 * from any context, including a timer's fire (interrupt context,
 * sleep_lock held): it takes only proc_sig.lock and sched_wake's locks
 * and sends IPIs. Returns 0 (queued, already pending for a standard
 * signal, or discarded because p ignores it), -EAGAIN (the real-time
 * queue of p is full), -EINVAL (bad sig), -ESRCH (p is exiting).
 * A default action that terminates ends p on a thread's way back to
 * user mode.
 */
int sig_post(struct proc *p, int sig, int code, uint64_t value);
/*
 * A POSIX timer's signal (KEEL_SI_TIMER, process-directed; ktimer_notify.c).
 * `tag` (nonzero) names the timer: only one instance with that tag is
 * pending at a time (POSIX: an expiry while the timer's signal is still
 * pending queues none and is an overrun). Same contexts as sig_post.
 * Returns SIG_TIMER_QUEUED (a new instance is pending), SIG_TIMER_MERGED
 * (the tagged one, or for a standard signal any instance, is still
 * pending: nothing queued), SIG_TIMER_DISCARDED (p ignores sig and does
 * not block it: nothing queued), or sig_post's negative errors.
 * sig_timer_pending says whether the tagged instance is still pending
 * (neither delivered, nor taken by sigwait, nor discarded).
 */
#define SIG_TIMER_QUEUED 0
#define SIG_TIMER_MERGED 1
#define SIG_TIMER_DISCARDED 2
int sig_post_timer(struct proc *p, int sig, uint64_t value, uint32_t tag);
bool sig_timer_pending(struct proc *p, int sig, uint32_t tag);
/* SIGCHLD to parent for child, now a zombie (CLD_EXITED with the exit
 * code, or CLD_KILLED with the signal, as si_status). */
void sig_child_exited(struct proc *parent, struct proc *child);
/* The same with a sender pid, to one thread (t != NULL) or to p. */
int sig_post_from(struct proc *p, struct thread *t, int sig, int code, int pid,
                  uint64_t value);
/* sig_post_from that also says (*fatal) whether the signal is neither
 * caught nor blocked and terminates by default: process-context callers
 * (kill) then end p at once with proc_kill (which takes p->lock: never
 * from a timer's fire). */
int sig_post_fatal(struct proc *p, struct thread *t, int sig, int code, int pid,
                   uint64_t value, bool *fatal);

/* Signals deliverable to t now: pending for it or its process and not
 * blocked. One load each, no lock (a racing post wakes or IPIs t). */
static inline uint64_t sig_deliverable(const struct thread *t,
                                       const struct proc_sig *ps,
                                       const struct thread_sig *ts)
{
    (void)t;
    return (READ_ONCE(ts->pending) | READ_ONCE(ps->pending)) &
           ~READ_ONCE(ts->mask);
}
/* Should the current thread's interruptible wait end (a signal to handle
 * or a kill)? sig_interrupted is inline in proc.h (it needs struct proc):
 * every interruptible wait asks it twice. */

/* The way back to user mode (arch/signal_frame.c): user_return_prepare
 * calls sig_deliver_all when t->sig.attn is set. */
void sig_deliver_all(struct trapframe *tf);
/* A syscall returned ERESTARTSYS / ERESTARTNOINTR: rewind or EINTR. */
void sig_syscall_restart(struct trapframe *tf, long ret);
/* A user fault: caught by a handler (true: delivered on the way out) or
 * not (false: the caller ends the process as before). */
bool sig_fault(struct thread *t, int sig, int code, uint64_t addr);

/* For signal_frame.c: take the lowest deliverable signal of t into *info
 * (its action in *act, SA_RESETHAND applied); 0 when none, else sig. For
 * a handler it also, under the same lock, gives the mask the frame saves
 * in *frame_mask (the sigsuspend mask to restore, else the current one)
 * and sets t's mask to the handler's (t's | sa_mask | sig unless
 * SA_NODEFER), as sig_set_mask would (t->sig.attn set again if something
 * is still deliverable under it). */
int sig_dequeue_deliverable(struct thread *t, struct keel_siginfo *info,
                            struct keel_sigaction *act, uint64_t *frame_mask);
/* Take the lowest pending signal of t in `allowed` (0: none). */
int sig_take(struct thread *t, uint64_t allowed, struct keel_siginfo *info);
/* The calling thread t's mask becomes mask (SIGKILL, SIGSTOP never). */
void sig_set_mask(struct thread *t, uint64_t mask);
/* Default action of sig: true if it ends the process. */
bool sig_default_terminates(int sig);

#endif
