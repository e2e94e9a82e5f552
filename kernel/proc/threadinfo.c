/*
 * threadinfo: one row per thread for `ps`, system information like the
 * process list (a system cap with READ, else EPERM).
 *
 * Rows go process by process (pool order), then by thread slot: every
 * live thread, and every exited thread not yet joined (a zombie's
 * threads among them), of processes linked into the tree (a child spawn
 * is still building is left out). Locks: proc_tree_lock only to pin a
 * process (state, parent and a reference), then the process's lock, under which
 * p->threads[] keeps each thread allocated while sched_thread_snapshot
 * takes its slock and one rq lock (the p->lock -> slock -> rq lock order
 * proc_kill uses). Each call is a fresh walk: rows may shift between
 * calls as threads come and go, like procinfo's.
 */
#include "../include/cap.h"
#include "../include/proc.h"

/* Row `want` among p's threads into *out: true, or false and *want
 * lowered by the rows p has. */
static bool proc_thread_row(struct proc *p, int *want,
                            struct keel_threadinfo *out)
{
    bool found = false;
    spin_lock(&p->lock);
    for (int ts = 0; ts < CAP_THREAD_SLOTS && !found; ts++) {
        struct thread *t = p->threads[ts];
        bool done = bitmap_test(p->thread_done, (unsigned)ts);
        if (!t && !done)
            continue;
        if ((*want)-- > 0)
            continue;
        memset(out, 0, sizeof(*out));
        out->pid = p->pid;
        out->tid = CAP_THREAD_SLOT_BASE + ts;
        out->pgid = READ_ONCE(p->pgid); /* a snapshot (proc/pgrp.c) */
        strlcpy(out->name, p->name, sizeof(out->name));
        if (t) {
            sched_thread_snapshot(t, out);
            out->cpu_ns = ticks_to_ns(sched_cpu_ticks(t));
        } else {
            const struct thread_exit_info *e = &p->thread_exit[ts];
            out->state = KEEL_TSTATE_EXITED;
            out->hart = e->hart;
            out->policy = e->policy;
            out->priority = e->prio;
            out->base_priority = e->base_prio;
            out->ceiling = e->ceiling;
            out->cpu_ns = ticks_to_ns(e->cpu_ticks);
        }
        found = true;
    }
    spin_unlock(&p->lock);
    return found;
}

long sys_threadinfo(int index, uint64_t uout)
{
    if (!cap_system_held(current()->proc, CAP_RIGHT_READ))
        return -EPERM;
    if (index < 0)
        return 0;
    struct keel_threadinfo info;
    int want = index;
    bool found = false;
    for (uint32_t i = 0; i < MAX_PROCS && !found; i++) {
        struct proc *p = &proc_storage[i];
        int st = READ_ONCE(p->state);
        if (st != P_ALIVE && st != P_ZOMBIE)
            continue;
        spin_lock(&proc_tree_lock);
        st = p->state;
        /* Linked into the tree (init or a parent): fully set up, so its
         * lock is initialised; a process spawn is still building is left
         * out. Alive or zombie: refs >= 1 (not reaped). */
        bool live =
            (st == P_ALIVE || st == P_ZOMBIE) && (p->parent || p == init_proc);
        if (live)
            proc_get(p);
        spin_unlock(&proc_tree_lock);
        if (!live)
            continue;
        found = proc_thread_row(p, &want, &info);
        proc_put(p);
    }
    if (!found)
        return 0;
    return copy_to_user(uout, &info, sizeof(info)) < 0 ? -EFAULT : 1;
}
