/*
 * Waiting for signals: sigsuspend and sigtimedwait (sigwait and
 * sigwaitinfo are sigtimedwait without a timeout in libc). Both block
 * the way sleep_until does, with intr_wait set, so a post that makes a
 * signal deliverable wakes them (include/signal.h "Waking").
 *
 * sigtimedwait waits for signals it normally blocks: while it waits, its
 * set is taken out of the mask (so a post to it counts as deliverable and
 * wakes it) and kept in waitset (so a post does not discard an ignored
 * one); both change under proc_sig.lock and are put back before it
 * returns, without a pass through user mode in between. Neither call is
 * restarted after a handler (POSIX): both return EINTR then.
 * Locks: proc_sig.lock only, never across the block.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/signal.h"

static const char sig_wchan[] = "sigwait";

/* Block the calling thread until a signal interrupts it (-EINTR) or the
 * deadline in ticks passes (-ETIMEDOUT; 0: none). intr_wait is set. */
static int sig_block_until(struct thread *t, uint64_t deadline)
{
    for (;;) {
        if (sig_interrupted(t))
            return -EINTR;
        if (deadline && deadline <= time_now_ticks())
            return -ETIMEDOUT;
        t->wchan = sig_wchan; /* before BLOCKED: threadinfo */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        if (deadline)
            timer_sleep_insert(t, deadline);
        sched_set_state(t, T_BLOCKED);
        if (deadline)
            timer_program();
        sched_block(t); /* returns at once if a signal came meanwhile */
        if (deadline)
            timer_sleep_cancel(t);
    }
}

long sys_sigsuspend(uint64_t umask)
{
    struct thread *t = current();
    uint64_t m;
    if (copy_from_user(&m, umask, sizeof(m)) < 0)
        return -EFAULT;
    /* The mask comes back once the handler's frame holds the old one
     * (arch/signal_frame.c), or on the way out if no handler runs. */
    if (!t->sig.restore_mask)
        t->sig.saved_mask = t->sig.mask;
    t->sig.restore_mask = true;
    t->sig.attn = 1; /* the way out restores the mask */
    sig_set_mask(t, m);
    t->sig.intr_wait = 1;
    sig_block_until(t, 0);
    t->sig.intr_wait = 0;
    return -EINTR;
}

long sys_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts)
{
    struct thread *t = current();
    struct proc_sig *ps = &t->proc->sig;
    uint64_t set;
    if (copy_from_user(&set, uset, sizeof(set)) < 0)
        return -EFAULT;
    set &= ~SIG_UNBLOCKABLE;
    uint64_t deadline = 0;
    bool poll = false;
    if (uts) {
        struct keel_timespec ts;
        uint64_t ns;
        if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
            return -EFAULT;
        int neg = clock_ts_to_ns(&ts, &ns);
        if (neg) /* bad tv_nsec, or a negative time */
            return -EINVAL;
        poll = ns == 0;
        deadline = time_now_ticks() + clock_ns_to_ticks_ceil(ns);
        if (deadline < time_now_ticks())
            deadline = UINT64_MAX; /* saturate */
    }
    struct keel_siginfo info;
    int sig = sig_take(t, set, &info);
    if (!sig && !poll) {
        spin_lock(&ps->lock);
        uint64_t old = t->sig.mask;
        t->sig.waitset = set;
        __atomic_store_n(&t->sig.mask, old & ~set, __ATOMIC_RELAXED);
        spin_unlock(&ps->lock);
        t->sig.intr_wait = 1;
        int r = sig_block_until(t, deadline);
        t->sig.intr_wait = 0;
        spin_lock(&ps->lock);
        t->sig.waitset = 0;
        __atomic_store_n(&t->sig.mask, old, __ATOMIC_RELAXED);
        spin_unlock(&ps->lock);
        sig = sig_take(t, set, &info);
        if (!sig)
            return r == -ETIMEDOUT ? -EAGAIN : -EINTR;
    }
    if (!sig)
        return poll ? -EAGAIN : -EINTR;
    if (uinfo && copy_to_user(uinfo, &info, sizeof(info)) < 0)
        return -EFAULT;
    return sig;
}
