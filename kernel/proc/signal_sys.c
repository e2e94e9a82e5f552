/*
 * Sending signals: kill, sigqueue, pthread_kill (SYS_thread_kill) and
 * the signal allow-list of process caps (SYS_cap_signal_limit).
 *
 * Authority (docs/capabilities.md "Signals"): signalling another process
 * needs a process cap for it with WRITE whose allow-list holds the
 * signal; a process may always signal itself; a thread is signalled
 * through a thread cap with WRITE. The allow-list is a per-slot word of
 * the cap table (cap_table.sigdeny, stored inverted so a fresh slot
 * allows everything), changed only under the cap lock, only ever
 * narrowed, copied by cap_transfer (cap_deleg.c).
 * Locks: the cap lock, then (sig_post_from) proc_sig.lock.
 */
#include "../include/cap.h"
#include "../include/proc.h"
#include "../include/signal.h"

/* The process pid through one of self's process caps with WRITE that
 * allow sig (0: any), referenced; NULL with -EPERM (no such cap, or
 * only ones that do not allow sig) or -ESRCH (no live process). */
static struct proc *sig_target(struct proc *self, int pid, int sig, int *err)
{
    struct proc *target = NULL;
    bool some = false;
    uint64_t bit = sig ? KEEL_SIGBIT(sig) : 0;
    cap_lock(self);
    for (int s = 0; s < CAP_FD_SLOTS && !target; s++) {
        cap_word_t w = self->caps.t.words[s];
        if (!capw_valid(w) || capw_type(w) != CAP_TYPE_PROCESS ||
            proc_by_index(capw_obj(w))->pid != pid)
            continue;
        some = true;
        if ((capw_rights(w) & CAP_RIGHT_WRITE) &&
            !(self->caps.t.sigdeny[s] & bit)) {
            target = proc_by_index(capw_obj(w));
            proc_get(target);
        }
    }
    cap_unlock(self);
    if (!target) {
        if (some) {
            *err = -EPERM;
            return NULL;
        }
        /* No cap at all: the error cap_proc_lookup gives. */
        target = cap_proc_lookup(self, pid, CAP_RIGHT_WRITE, err);
        if (target) { /* a cap arrived meanwhile: not counted now */
            proc_put(target);
            *err = -EPERM;
        }
        return NULL;
    }
    if (READ_ONCE(target->state) != P_ALIVE) {
        proc_put(target);
        *err = -ESRCH;
        return NULL;
    }
    return target;
}

long sys_kill(int pid, int sig)
{
    struct proc *self = current()->proc;
    if (sig < 0 || sig > KEEL_NSIG)
        return -EINVAL;
    if (pid == 0)
        return pgrp_kill(READ_ONCE(self->pgid), sig);
    if (pid < -1)
        return pid == INT32_MIN ? -ESRCH : pgrp_kill(-pid, sig);
    if (pid == self->pid) {
        sig_send(self, sig, KEEL_SI_USER);
        return 0;
    }
    int err;
    struct proc *p = sig_target(self, pid, sig, &err);
    if (!p)
        return err;
    sig_send(p, sig, KEEL_SI_USER);
    proc_put(p);
    return 0;
}

long sys_sigqueue(int pid, int sig, uint64_t value)
{
    struct proc *self = current()->proc;
    if (sig < 0 || sig > KEEL_NSIG)
        return -EINVAL;
    struct proc *p = self;
    int err = 0;
    if (pid != self->pid) {
        if (pid <= 0)
            return -ESRCH; /* sigqueue names one process */
        p = sig_target(self, pid, sig, &err);
        if (!p)
            return err;
    }
    bool fatal = sig == KEEL_SIGKILL;
    if (sig && !fatal)
        err = sig_post_fatal(p, NULL, sig, KEEL_SI_QUEUE, self->pid, value,
                             &fatal);
    if (fatal)
        proc_kill(p, sig); /* at once, as kill */
    if (p != self)
        proc_put(p);
    return err;
}

long sys_thread_kill(uint64_t tok, int sig)
{
    struct proc *self = current()->proc;
    if (sig < 0 || sig > KEEL_NSIG)
        return -EINVAL;
    int err = 0;
    cap_lock(self);
    /* The cap keeps the thread struct allocated while the lock is held;
     * a thread past sig_thread_detach answers ESRCH. */
    struct thread *t =
        cap_thread_lookup_locked(self, tok, CAP_RIGHT_WRITE, &err);
    if (t && sig == KEEL_SIGKILL) {
        cap_unlock(self);
        proc_kill(t->proc, sig); /* POSIX: it ends the whole process */
        return 0;
    }
    bool fatal = false;
    struct proc *tp = t ? t->proc : NULL; /* a static struct: stays */
    if (t && sig)
        err = sig_post_fatal(tp, t, sig, KEEL_SI_USER, self->pid, 0, &fatal);
    else if (t)
        err = READ_ONCE(tp->sig.threads[t->tslot]) == t ? 0 : -ESRCH;
    cap_unlock(self);
    if (fatal)
        proc_kill(tp, sig); /* POSIX: the whole process ends */
    return err;
}

long sys_cap_signal_limit(int slot, uint64_t allowed)
{
    struct proc *self = current()->proc;
    if (slot < 0 || slot >= CAP_FD_SLOTS)
        return -EBADF;
    int r = 0;
    cap_lock(self);
    cap_word_t w = self->caps.t.words[slot];
    if (!capw_valid(w))
        r = -EBADF;
    else if (capw_type(w) != CAP_TYPE_PROCESS)
        r = -EINVAL;
    else
        self->caps.t.sigdeny[slot] |= ~allowed; /* never wider */
    cap_unlock(self);
    return r;
}
