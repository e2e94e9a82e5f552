/*
 * Signals: generation, the pending sets and the real-time queue, actions
 * and masks (include/signal.h has the state, its locks and the waking
 * rule). Delivery on the way back to user mode and sigreturn are in
 * arch/signal_frame.c, the waiting calls in signal_wait.c, kill and the
 * capability checks in signal_sys.c.
 *
 * Order of delivery: the lowest-numbered deliverable signal first; a
 * real-time signal's queued instances in the order they were posted.
 * Standard signals are not queued: one pending instance (the first
 * one's siginfo) per target. An ignored signal is discarded when it is
 * generated unless the target blocks it (then it stays pending, for
 * sigwait), and when its action becomes ignore.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/signal.h"

bool sig_default_terminates(int sig)
{
    switch (sig) {
    case KEEL_SIGURG:
    case KEEL_SIGCONT:
    case KEEL_SIGCHLD:
    case KEEL_SIGWINCH:
    /* Keel has no job control: the stop signals are ignored by default
     * (docs/syscalls.md "Signals"). */
    case KEEL_SIGSTOP:
    case KEEL_SIGTSTP:
    case KEEL_SIGTTIN:
    case KEEL_SIGTTOU:
        return false;
    default:
        return sig >= 1 && sig <= KEEL_NSIG;
    }
}

/* The action of sig ignores it (lock held). */
static bool sig_ignored_locked(const struct proc_sig *ps, int sig)
{
    uint64_t h = ps->act[sig - 1].handler;
    return h == KEEL_SIG_IGN ||
           (h == KEEL_SIG_DFL && !sig_default_terminates(sig));
}

void sig_proc_init(struct proc *p)
{
    struct proc_sig *ps = &p->sig;
    memset(ps, 0, sizeof(*ps));
    spin_init(&ps->lock, "proc_sig");
    timer_node_init(&ps->alarm);
}

void sig_thread_init(struct thread *t, const struct thread *creator)
{
    memset(&t->sig, 0, sizeof(t->sig));
    t->sig.altstack.flags = KEEL_SS_DISABLE;
    if (creator && creator->proc)
        t->sig.mask = READ_ONCE(creator->sig.mask); /* pthread_create */
}

void sig_thread_attach(struct proc *p, struct thread *t)
{
    spin_lock(&p->sig.lock);
    p->sig.threads[t->tslot] = t;
    spin_unlock(&p->sig.lock);
}

/* Drop queue entry i (lock held). */
static void rtq_remove_locked(struct proc_sig *ps, int i)
{
    for (int j = i + 1; j < ps->rtq_n; j++)
        ps->rtq[j - 1] = ps->rtq[j];
    ps->rtq_n--;
}

/* Recompute the pending bits of real-time sig from the queue. */
static void rtq_settle_locked(struct proc *p, int sig)
{
    struct proc_sig *ps = &p->sig;
    uint64_t bit = KEEL_SIGBIT(sig);
    ps->pending &= ~bit;
    for (int s = 0; s < CAP_THREAD_SLOTS; s++)
        if (ps->threads[s])
            ps->threads[s]->sig.pending &= ~bit;
    for (int i = 0; i < ps->rtq_n; i++) {
        if (ps->rtq[i].sig != sig)
            continue;
        if (ps->rtq[i].tslot < 0)
            ps->pending |= bit;
        else if (ps->threads[ps->rtq[i].tslot])
            ps->threads[ps->rtq[i].tslot]->sig.pending |= bit;
    }
}

void sig_thread_detach(struct proc *p, struct thread *t)
{
    struct proc_sig *ps = &p->sig;
    spin_lock(&ps->lock);
    ps->threads[t->tslot] = NULL;
    for (int i = 0; i < ps->rtq_n;)
        if (ps->rtq[i].tslot == t->tslot)
            rtq_remove_locked(ps, i);
        else
            i++;
    t->sig.pending = 0;
    spin_unlock(&ps->lock);
}

/* Discard every pending instance of sig in p (its action became ignore;
 * lock held). */
static void sig_discard_locked(struct proc *p, int sig)
{
    struct proc_sig *ps = &p->sig;
    uint64_t bit = KEEL_SIGBIT(sig);
    for (int i = 0; i < ps->rtq_n;)
        if (ps->rtq[i].sig == sig)
            rtq_remove_locked(ps, i);
        else
            i++;
    ps->pending &= ~bit;
    for (int s = 0; s < CAP_THREAD_SLOTS; s++)
        if (ps->threads[s])
            ps->threads[s]->sig.pending &= ~bit;
}

/* Make t notice a signal it can take: wake it from an interruptible
 * wait, or interrupt the hart running it (lock held; see signal.h). */
static void sig_notify(struct thread *t)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (t == current())
        return; /* on its way back to user mode: it looks then */
    if (READ_ONCE(t->sig.intr_wait) && sched_wake(t))
        return;
    if (READ_ONCE(t->state) == T_RUNNING)
        sched_ipi(READ_ONCE(t->hart));
}

static bool sig_any_thread_locked(const struct proc_sig *ps)
{
    for (int s = 0; s < CAP_THREAD_SLOTS; s++)
        if (ps->threads[s])
            return true;
    return false;
}

/* The thread a process-directed sig goes to: the caller if it is one of
 * p's and does not block sig, else the first that does not (or waits
 * for it in sigtimedwait); NULL if all block it. */
static struct thread *sig_pick_locked(struct proc *p, uint64_t bit)
{
    struct proc_sig *ps = &p->sig;
    struct thread *self = current();
    if (self && self->proc == p && ps->threads[self->tslot] == self &&
        !(self->sig.mask & bit))
        return self;
    for (int s = 0; s < CAP_THREAD_SLOTS; s++) {
        struct thread *t = ps->threads[s];
        if (t && !(t->sig.mask & bit))
            return t;
    }
    return NULL;
}

/* The tagged instance of timer `tag` pending for p (lock held). */
static bool sig_timer_pending_locked(const struct proc_sig *ps, int sig,
                                     uint32_t tag)
{
    if (sig < KEEL_SIGRTMIN)
        return (ps->pending & KEEL_SIGBIT(sig)) && ps->info[sig].timer == tag;
    for (int i = 0; i < ps->rtq_n; i++)
        if (ps->rtq[i].sig == sig && ps->rtq[i].timer == tag)
            return true;
    return false;
}

/* sig_post_fatal with a timer's tag (0: none); *how: SIG_TIMER_*. */
static int sig_post_core(struct proc *p, struct thread *t, int sig, int code,
                         int pid, uint64_t value, uint32_t tag, bool *fatal,
                         int *how)
{
    *fatal = false;
    *how = SIG_TIMER_QUEUED;
    if (sig < 1 || sig > KEEL_NSIG)
        return -EINVAL;
    struct proc_sig *ps = &p->sig;
    uint64_t bit = KEEL_SIGBIT(sig);
    int r = 0;
    spin_lock(&ps->lock);
    if (t && ps->threads[t->tslot] != t) {
        r = -ESRCH; /* exited */
        goto out;
    }
    struct thread *target = t ? t : sig_pick_locked(p, bit);
    /* Blocked for delivery: by the target, or by every thread (a process
     * with no thread that takes signals blocks nothing). A thread in
     * sigtimedwait for sig has it unmasked and in waitset. */
    bool blocked = target
                       ? ((target->sig.mask | target->sig.waitset) & bit) != 0
                       : sig_any_thread_locked(ps);
    if (!blocked && sig_ignored_locked(ps, sig)) {
        *how = SIG_TIMER_DISCARDED;
        goto out;
    }
    if (tag && sig_timer_pending_locked(ps, sig, tag)) {
        *how = SIG_TIMER_MERGED; /* the timer's one instance */
        goto out;
    }
    if (sig < KEEL_SIGRTMIN) {
        uint64_t *pend = t ? &t->sig.pending : &ps->pending;
        struct sig_info *inf = t ? &t->sig.info[sig] : &ps->info[sig];
        if (*pend & bit) {
            *how = SIG_TIMER_MERGED;
            goto out; /* not queued: one instance */
        }
        *inf = (struct sig_info){
            .code = (int16_t)code, .pid = pid, .timer = tag, .value = value};
        __atomic_store_n(pend, *pend | bit, __ATOMIC_RELAXED);
    } else {
        if (ps->rtq_n == KEEL_SIGQUEUE_MAX) {
            r = -EAGAIN;
            goto out;
        }
        ps->rtq[ps->rtq_n++] = (struct sig_rtq_entry){
            .sig = (uint8_t)sig,
            .tslot = (int8_t)(t ? t->tslot : -1),
            .code = (int16_t)code,
            .pid = pid,
            .timer = tag,
            .value = value,
        };
        uint64_t *pend = t ? &t->sig.pending : &ps->pending;
        __atomic_store_n(pend, *pend | bit, __ATOMIC_RELAXED);
    }
    if (target && !(target->sig.mask & bit)) {
        __atomic_store_n(&target->sig.attn, 1, __ATOMIC_RELAXED);
        sig_notify(target);
    }
    /* Uncaught and unblocked: the process ends (the caller may end it at
     * once, as kill always did, instead of on a thread's way out). */
    *fatal = !blocked && ps->act[sig - 1].handler == KEEL_SIG_DFL &&
             sig_default_terminates(sig);
out:
    spin_unlock(&ps->lock);
    return r;
}

int sig_post_fatal(struct proc *p, struct thread *t, int sig, int code, int pid,
                   uint64_t value, bool *fatal)
{
    int how;
    return sig_post_core(p, t, sig, code, pid, value, 0, fatal, &how);
}

int sig_post_timer(struct proc *p, int sig, uint64_t value, uint32_t tag)
{
    if (READ_ONCE(p->exiting))
        return -ESRCH;
    bool fatal;
    int how;
    int r =
        sig_post_core(p, NULL, sig, KEEL_SI_TIMER, 0, value, tag, &fatal, &how);
    return r < 0 ? r : how;
}

bool sig_timer_pending(struct proc *p, int sig, uint32_t tag)
{
    if (sig < 1 || sig > KEEL_NSIG || !tag)
        return false;
    struct proc_sig *ps = &p->sig;
    spin_lock(&ps->lock);
    bool r = sig_timer_pending_locked(ps, sig, tag);
    spin_unlock(&ps->lock);
    return r;
}

int sig_post_from(struct proc *p, struct thread *t, int sig, int code, int pid,
                  uint64_t value)
{
    bool fatal;
    return sig_post_fatal(p, t, sig, code, pid, value, &fatal);
}

int sig_post(struct proc *p, int sig, int code, uint64_t value)
{
    if (READ_ONCE(p->exiting))
        return -ESRCH;
    return sig_post_from(p, NULL, sig, code, 0, value);
}

void sig_send(struct proc *p, int sig, int code)
{
    if (sig == 0)
        return;
    if (sig == KEEL_SIGKILL) {
        proc_kill(p, sig);
        return;
    }
    struct thread *self = current();
    int pid = code == KEEL_SI_USER && self->proc ? self->proc->pid : 0;
    bool fatal;
    sig_post_fatal(p, NULL, sig, code, pid, 0, &fatal);
    if (fatal)
        proc_kill(p, sig); /* at once, as an uncaught kill always did */
}

void sig_child_exited(struct proc *parent, struct proc *child)
{
    int st = READ_ONCE(child->exit_status);
    int term = st & 0x7f;
    sig_post_from(parent, NULL, KEEL_SIGCHLD,
                  term ? KEEL_CLD_KILLED : KEEL_CLD_EXITED, child->pid,
                  term ? (uint64_t)term : (uint64_t)((st >> 8) & 0xff));
}

/* Take the lowest signal of `allowed` pending for t into *info; 0 when
 * none (lock held). */
static inline __attribute__((always_inline)) int
sig_take_locked(struct thread *t, uint64_t allowed, struct keel_siginfo *info)
{
    struct proc *p = t->proc;
    struct proc_sig *ps = &p->sig;
    uint64_t d = (t->sig.pending | ps->pending) & allowed;
    if (!d)
        return 0;
    int sig = __builtin_ctzll(d) + 1;
    uint64_t bit = KEEL_SIGBIT(sig);
    *info = (struct keel_siginfo){.signo = sig}; /* word stores */
    if (sig < KEEL_SIGRTMIN) {
        bool thr = t->sig.pending & bit;
        struct sig_info *in = thr ? &t->sig.info[sig] : &ps->info[sig];
        if (thr)
            t->sig.pending &= ~bit;
        else
            ps->pending &= ~bit;
        info->code = in->code;
        info->pid = in->pid;
        if (in->code >= KEEL_CLD_EXITED)
            info->status = (int32_t)in->value; /* SIGCHLD */
        else if (in->code >= KEEL_SEGV_MAPERR)
            info->addr = in->value; /* a fault */
        else
            info->value = in->value;
        return sig;
    }
    for (int i = 0; i < ps->rtq_n; i++) {
        struct sig_rtq_entry *e = &ps->rtq[i];
        if (e->sig != sig || (e->tslot >= 0 && e->tslot != t->tslot))
            continue;
        info->code = e->code;
        info->pid = e->pid;
        info->value = e->value;
        rtq_remove_locked(ps, i);
        break;
    }
    rtq_settle_locked(p, sig);
    return sig;
}

int sig_take(struct thread *t, uint64_t allowed, struct keel_siginfo *info)
{
    struct proc_sig *ps = &t->proc->sig;
    spin_lock(&ps->lock);
    int sig = sig_take_locked(t, allowed, info);
    spin_unlock(&ps->lock);
    return sig;
}

/* t's mask becomes mask; attn again if something is deliverable under
 * it (ps->lock held). */
static void sig_set_mask_locked(struct thread *t, struct proc_sig *ps,
                                uint64_t mask)
{
    mask &= ~SIG_UNBLOCKABLE;
    __atomic_store_n(&t->sig.mask, mask, __ATOMIC_RELAXED);
    if ((t->sig.pending | ps->pending) & ~mask)
        __atomic_store_n(&t->sig.attn, 1, __ATOMIC_RELAXED);
}

int sig_dequeue_deliverable(struct thread *t, struct keel_siginfo *info,
                            struct keel_sigaction *act, uint64_t *frame_mask)
{
    struct proc_sig *ps = &t->proc->sig;
    int sig;
    spin_lock(&ps->lock);
    /* Each pass takes one pending instance off, so this ends. */
    while ((sig = sig_take_locked(t, ~t->sig.mask, info)) != 0) {
        if (sig_ignored_locked(ps, sig))
            continue; /* became ignored while blocked */
        *act = ps->act[sig - 1];
        if (act->handler == KEEL_SIG_DFL)
            break; /* a terminating default action: no frame, no mask */
        if (act->flags & KEEL_SA_RESETHAND) {
            ps->act[sig - 1].handler = KEEL_SIG_DFL;
            ps->act[sig - 1].flags &= ~(uint64_t)KEEL_SA_SIGINFO;
        }
        uint64_t m = t->sig.mask;
        *frame_mask = t->sig.restore_mask ? t->sig.saved_mask : m;
        m |= act->mask;
        if (!(act->flags & KEEL_SA_NODEFER))
            m |= KEEL_SIGBIT(sig);
        sig_set_mask_locked(t, ps, m);
        break;
    }
    spin_unlock(&ps->lock);
    return sig;
}

void sig_set_mask(struct thread *t, uint64_t mask)
{
    struct proc_sig *ps = &t->proc->sig;
    spin_lock(&ps->lock);
    sig_set_mask_locked(t, ps, mask);
    spin_unlock(&ps->lock);
}

bool sig_fault(struct thread *t, int sig, int code, uint64_t addr)
{
    struct proc_sig *ps = &t->proc->sig;
    uint64_t bit = KEEL_SIGBIT(sig);
    bool caught = false;
    spin_lock(&ps->lock);
    uint64_t h = ps->act[sig - 1].handler;
    /* A blocked or ignored fault signal cannot be taken: the process
     * dies as without a handler. */
    if (h != KEEL_SIG_DFL && h != KEEL_SIG_IGN && !(t->sig.mask & bit) &&
        !(t->sig.pending & bit)) {
        t->sig.info[sig] =
            (struct sig_info){.code = (int16_t)code, .pid = 0, .value = addr};
        t->sig.pending |= bit;
        t->sig.attn = 1;
        caught = true;
    }
    spin_unlock(&ps->lock);
    return caught;
}

/* ---- syscalls: actions, masks, pending ---- */

long sys_sigaction(int sig, uint64_t unew, uint64_t uold)
{
    struct proc *p = current()->proc;
    if (sig < 1 || sig > KEEL_NSIG)
        return -EINVAL;
    struct keel_sigaction na, oa;
    if (unew) {
        if (sig == KEEL_SIGKILL || sig == KEEL_SIGSTOP)
            return -EINVAL;
        if (copy_from_user(&na, unew, sizeof(na)) < 0)
            return -EFAULT;
        if (na.flags & ~(uint64_t)KEEL_SA_ALL)
            return -EINVAL;
        na.mask &= ~SIG_UNBLOCKABLE;
    }
    struct proc_sig *ps = &p->sig;
    spin_lock(&ps->lock);
    oa = ps->act[sig - 1];
    if (unew) {
        ps->act[sig - 1] = na;
        if (sig_ignored_locked(ps, sig))
            sig_discard_locked(p, sig);
    }
    spin_unlock(&ps->lock);
    if (uold && copy_to_user(uold, &oa, sizeof(oa)) < 0)
        return -EFAULT;
    return 0;
}

long sys_sigprocmask(int how, uint64_t uset, uint64_t uold)
{
    struct thread *t = current();
    uint64_t set = 0,
             old = t->sig.restore_mask ? t->sig.saved_mask : t->sig.mask;
    if (uset) {
        if (copy_from_user(&set, uset, sizeof(set)) < 0)
            return -EFAULT;
        uint64_t cur = t->sig.mask, nm;
        switch (how) {
        case KEEL_SIG_BLOCK:
            nm = cur | set;
            break;
        case KEEL_SIG_UNBLOCK:
            nm = cur & ~set;
            break;
        case KEEL_SIG_SETMASK:
            nm = set;
            break;
        default:
            return -EINVAL;
        }
        sig_set_mask(t, nm);
    }
    if (uold && copy_to_user(uold, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_sigpending(uint64_t uout)
{
    struct thread *t = current();
    struct proc_sig *ps = &t->proc->sig;
    spin_lock(&ps->lock);
    uint64_t set = (t->sig.pending | ps->pending) & t->sig.mask;
    spin_unlock(&ps->lock);
    return copy_to_user(uout, &set, sizeof(set)) < 0 ? -EFAULT : 0;
}
