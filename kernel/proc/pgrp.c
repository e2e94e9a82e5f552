/*
 * Process groups: setpgid, getpgid, a spawned child's group, signals to a
 * group (kill(0, sig), kill(-pgid, sig), the console's ^C) and waitpid's
 * group forms.
 *
 * Every process has a pgid: init's is its pid, a spawned child inherits
 * its parent's unless the spawn asks for KEEL_SPAWN_SETPGROUP. A group g
 * "exists" while a process that is alive or a zombie (not yet reaped: a
 * process's lifetime ends when it is reaped, POSIX) has pgid g; there is
 * no group object, so nothing is allocated and nothing can leak. The pid
 * allocator skips a number still used as a pgid (pid_taken_locked).
 *
 * Locking: proc.pgid is written only under proc_tree_lock, and the check
 * that a group exists is made in the same hold as the write, so a process
 * never joins a group whose last member has gone. Readers that need a
 * consistent view (group membership, waitpid) hold proc_tree_lock; a
 * reader that only needs a snapshot of one process's pgid (getpgid, the
 * scan of the caller's process caps under its cap lock) uses READ_ONCE.
 * Signals are sent after the locks are dropped, on referenced processes.
 */
#include "../include/proc.h"

/* Does a live or zombie process have pgid g? proc_tree_lock held.
 * O(MAX_PROCS). */
bool pgrp_exists_locked(int g)
{
    for (uint32_t i = 0; i < MAX_PROCS; i++) {
        const struct proc *p = &proc_storage[i];
        if ((p->state == P_ALIVE || p->state == P_ZOMBIE) && p->pgid == g)
            return true;
    }
    return false;
}

/* Is p a member of g that a group signal reaches? A child still being
 * spawned (no parent yet; init has none but is never half-made) is not:
 * its main thread does not exist yet to be killed. proc_tree_lock held,
 * or a snapshot (READ_ONCE) under the caller's cap lock. */
static bool pgrp_signalled(struct proc *p, int g)
{
    return READ_ONCE(p->state) == P_ALIVE && READ_ONCE(p->pgid) == g &&
           (READ_ONCE(p->parent) || p == init_proc);
}

/* A new child's group (spawn, before the child can run): the parent's,
 * or with `set` group g (0: a new group led by the child; else g must
 * exist: EPERM). */
int pgrp_spawn_join(struct proc *child, struct proc *parent, bool set, int g)
{
    int err = 0;
    spin_lock(&proc_tree_lock);
    if (!set)
        child->pgid = parent->pgid;
    else if (g == 0 || g == child->pid)
        child->pgid = child->pid;
    else if (pgrp_exists_locked(g))
        child->pgid = g;
    else
        err = -EPERM;
    spin_unlock(&proc_tree_lock);
    return err;
}

/* The target of setpgid/getpgid: the caller for pid 0 or its own pid,
 * else a process the caller holds a process cap with `need` for. Returns
 * a referenced process or NULL with *err (-EPERM, -ESRCH). */
static struct proc *pgrp_target(int pid, unsigned need, int *err)
{
    struct proc *self = current()->proc;
    if (pid == 0 || pid == self->pid) {
        proc_get(self);
        return self;
    }
    return cap_proc_lookup(self, pid, need, err);
}

long sys_setpgid(int pid, int pgid)
{
    if (pid < 0 || pgid < 0)
        return -EINVAL;
    int err = 0;
    struct proc *t = pgrp_target(pid, CAP_RIGHT_WRITE, &err);
    if (!t)
        return err;
    spin_lock(&proc_tree_lock);
    if (t->state != P_ALIVE)
        err = -ESRCH;
    else if (pgid == 0 || pgid == t->pid)
        t->pgid = t->pid;
    else if (pgrp_exists_locked(pgid))
        t->pgid = pgid;
    else
        err = -EPERM; /* POSIX: no such group to join */
    spin_unlock(&proc_tree_lock);
    proc_put(t);
    return err;
}

long sys_getpgid(int pid)
{
    if (pid < 0)
        return -EINVAL;
    int err = 0;
    struct proc *t = pgrp_target(pid, CAP_RIGHT_READ, &err);
    if (!t)
        return err;
    long g = READ_ONCE(t->pgid);
    proc_put(t);
    return g;
}

/* TIOCSPGRP's authority over group g: the caller's own group, or one
 * with a live member the caller holds a process cap for. 0, -EPERM, or
 * -ESRCH when g has no live member. */
int pgrp_may_foreground(int g)
{
    struct proc *self = current()->proc;
    if (READ_ONCE(self->pgid) == g)
        return 0;
    bool held = false;
    cap_lock(self);
    for (int s = 0; s < CAP_FD_SLOTS && !held; s++) {
        cap_word_t w = self->caps.t.words[s];
        if (!capw_valid(w) || capw_type(w) != CAP_TYPE_PROCESS)
            continue;
        struct proc *p = proc_by_index(capw_obj(w));
        held = READ_ONCE(p->state) == P_ALIVE && READ_ONCE(p->pgid) == g;
    }
    cap_unlock(self);
    if (held)
        return 0;
    spin_lock(&proc_tree_lock);
    bool exists = pgrp_exists_locked(g);
    spin_unlock(&proc_tree_lock);
    return exists ? -EPERM : -ESRCH;
}

/* The console's ^C: sig to every live member of group g, no cap needed
 * (the console's foreground group is the authority, set through
 * TIOCSPGRP's checks). Returns how many were signalled. */
int pgrp_signal(int g, int sig)
{
    struct proc *hit[MAX_PROCS];
    int n = 0;
    if (g <= 0)
        return 0;
    spin_lock(&proc_tree_lock);
    for (uint32_t i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &proc_storage[i];
        if (pgrp_signalled(p, g)) {
            proc_get(p);
            hit[n++] = p;
        }
    }
    spin_unlock(&proc_tree_lock);
    for (int i = 0; i < n; i++) {
        sig_send(hit[i], sig, KEEL_SI_KERNEL);
        proc_put(hit[i]);
    }
    return n;
}

/* kill(0, sig) and kill(-g, sig): each member of g the caller holds a
 * process cap with WRITE for, and the caller itself when it is one.
 * A zombie member the caller holds such a cap for counts as signalled (a
 * signal to it has no effect). ESRCH when g has no member, EPERM when the
 * caller may signal none of them. */
long pgrp_kill(int g, int sig)
{
    struct proc *self = current()->proc;
    struct proc *hit[CAP_FD_SLOTS + 1];
    int n = 0;
    bool zombie_held = false;
    spin_lock(&proc_tree_lock);
    bool exists = pgrp_exists_locked(g);
    spin_unlock(&proc_tree_lock);
    if (!exists)
        return -ESRCH;
    cap_lock(self);
    for (int s = 0; s < CAP_FD_SLOTS; s++) {
        cap_word_t w = self->caps.t.words[s];
        if (!capw_valid(w) || capw_type(w) != CAP_TYPE_PROCESS ||
            !(capw_rights(w) & CAP_RIGHT_WRITE))
            continue;
        /* The slot's signal allow-list (signal_sys.c): outside it the
         * cap does not count for this signal. */
        if (sig && (self->caps.t.sigdeny[s] & KEEL_SIGBIT(sig)))
            continue;
        struct proc *p = proc_by_index(capw_obj(w));
        if (p != self && READ_ONCE(p->state) == P_ZOMBIE &&
            READ_ONCE(p->pgid) == g)
            zombie_held = true;
        if (p == self || !pgrp_signalled(p, g))
            continue;
        bool dup = false; /* two caps for one process: signal it once */
        for (int i = 0; i < n && !dup; i++)
            dup = hit[i] == p;
        if (!dup) {
            proc_get(p); /* the slot holds a reference: p stays allocated */
            hit[n++] = p;
        }
    }
    cap_unlock(self);
    bool me = READ_ONCE(self->pgid) == g;
    if (n == 0 && !me && !zombie_held)
        return -EPERM;
    for (int i = 0; i < n; i++) {
        sig_send(hit[i], sig, KEEL_SI_USER);
        proc_put(hit[i]);
    }
    if (me)
        sig_send(self, sig, KEEL_SI_USER); /* last: handled on the way out */
    return 0;
}
