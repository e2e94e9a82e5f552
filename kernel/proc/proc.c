/*
 * Processes: a fixed pool, pids, the process tree under proc_tree_lock,
 * exit, kill and wait.
 *
 * Pids count up from 1; after PID_MAX (INT_MAX) the counter wraps to 2 (1 stays
 * init's) and from then on skips every pid a pool entry still holds
 * (alive, zombie, or reaped but named by a process cap), so a pid names
 * at most one struct proc at any time. A child's pid is therefore NOT
 * always above its parent's: code that takes two processes' locks
 * orders them by pid through cap_lock_pair, never by parent and child.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "../mm/pool.h"

spinlock_t proc_tree_lock = SPINLOCK_INIT("proc_tree");
struct proc *init_proc;
struct proc proc_storage[MAX_PROCS];
static uint32_t proc_links[MAX_PROCS];
static struct pool proc_pool; /* guarded by proc_tree_lock */
static int next_pid = 1;      /* guarded by proc_tree_lock */
static bool pids_wrapped;     /* next_pid passed INT_MAX once */
#define PID_MAX __INT_MAX__
#define PID_WRAP_TO 2
static uint32_t gen_seed = 0x2545f491u;

void proc_init(void)
{
    pool_init(&proc_pool, "proc", proc_storage, proc_links, sizeof(struct proc),
              MAX_PROCS);
}

uint32_t proc_count(void)
{
    return READ_ONCE(proc_pool.in_use);
}

/* Does a pool entry other than `self` hold pid, as its pid or its
 * process group (a group outlives its leader: pgrp.c)? Every allocated
 * entry does, from proc_alloc (state may not be set yet) until its last
 * reference goes. proc_tree_lock held. */
static bool pid_taken_locked(int pid, const struct proc *self)
{
    for (uint32_t i = 0; i < MAX_PROCS; i++) {
        const struct proc *p = &proc_storage[i];
        if (p != self && pool_allocated(&proc_pool, p) &&
            (p->pid == pid || p->pgid == pid))
            return true;
    }
    return false;
}

/* The next pid for p. Before the first wrap every pid is fresh; after
 * it, one scan per candidate, and at most MAX_PROCS candidates are
 * taken, far fewer than the pid range. proc_tree_lock held. */
static int pid_next_locked(const struct proc *p)
{
    for (;;) {
        int pid = next_pid;
        if (next_pid == PID_MAX) {
            next_pid = PID_WRAP_TO;
            pids_wrapped = true;
        } else {
            next_pid++;
        }
        if (!pids_wrapped || !pid_taken_locked(pid, p))
            return pid;
    }
}

#ifdef KEEL_KTEST
/* Tests: move the pid counter (near the wrap, or onto a live pid after
 * a wrap); returns the old value. */
int proc_test_set_next_pid(int next, bool wrapped)
{
    spin_lock(&proc_tree_lock);
    int old = next_pid;
    next_pid = next;
    pids_wrapped = wrapped;
    spin_unlock(&proc_tree_lock);
    return old;
}
#endif

struct proc *proc_alloc(const char *name)
{
    spin_lock(&proc_tree_lock);
    struct proc *p = pool_alloc(&proc_pool);
    if (p) {
        p->pid = pid_next_locked(p);
        p->pgid = p->pid; /* its own group until spawn says otherwise */
        /* xorshift step mixed with the time: generation bases differ
         * between processes, including a later one with a reused slot. */
        gen_seed ^= gen_seed << 13;
        gen_seed ^= gen_seed >> 17;
        gen_seed ^= gen_seed << 5;
        gen_seed += (uint32_t)time_now_ticks();
    }
    uint32_t seed = gen_seed;
    spin_unlock(&proc_tree_lock);
    if (!p)
        return NULL;
    p->state = P_ALIVE;
    p->refs = 1;
    p->cpu_exited = 0;
    list_init(&p->cpt_timers); /* sched/cputimer.c */
    list_init(&p->cpt_node);
    p->cpt_armed = 0;
    p->cpt_bound = 0;
    p->cpt_due = 0;
    strlcpy(p->name, name, sizeof(p->name));
    list_init(&p->children);
    list_init(&p->sibling);
    spin_init(&p->lock, "proc");
    kmutex_init(&p->vm_mutex, "proc_vm_mutex");
    spin_init(&p->vm_lock, "proc_vm");
    waitq_init(&p->join_wq, "join");
    waitq_init(&p->child_wq, "child");
    cap_space_init(&p->caps, seed);
    sig_proc_init(p);
    quota_init_root(p); /* a root account; spawn derives a child's */
    return p;
}

/* Retire a process that never ran, or a reaped zombie: the struct itself
 * stays while process caps still name it (they then answer ESRCH). */
void proc_free(struct proc *p)
{
    ramfs_cwd_drop(p); /* a spawn that failed: nothing left behind */
    if (p->pagetable)
        vm_user_destroy(p->pagetable);
    p->pagetable = NULL;
    proc_vm_uncharge(p);
    spin_lock(&proc_tree_lock);
    p->state = P_REAPED;
    spin_unlock(&proc_tree_lock);
    proc_put(p);
}

void proc_get(struct proc *p)
{
    ref_get(&p->refs);
}

/* The last reference frees the struct and gives its pool entry back to
 * the creator's account; that drops the reference the struct held on its
 * creator, which may free that one too (a loop, not recursion). */
static __attribute__((noinline)) void proc_release(struct proc *p)
{
    for (;;) {
        struct proc *creator = p->creator;
        /* Files outlive their creator: its heir pays for them now. */
        if (p->quota.used[KEEL_POOL_INODES] || p->quota.used[KEEL_POOL_PAGES])
            ramfs_disown(p, creator);
#ifdef KEEL_LOCKCHECK
        for (int i = 0; i < QUOTA_NPOOLS; i++)
            if (p->quota.used[i])
                panic("proc %d freed with %lu units of pool %d charged", p->pid,
                      (unsigned long)p->quota.used[i], i);
#endif
        spin_lock(&proc_tree_lock);
        p->state = P_FREE;
        pool_free(&proc_pool, p);
        spin_unlock(&proc_tree_lock);
        if (!creator)
            return;
        quota_uncharge(creator, KEEL_POOL_PROCS, 1);
        p = creator;
        if (ref_put(&p->refs) != 0)
            return;
    }
}

void proc_put(struct proc *p)
{
    if (ref_put(&p->refs) == 0)
        proc_release(p);
}

uint32_t proc_index(struct proc *p)
{
    return pool_index(&proc_pool, p);
}

struct proc *proc_by_index(uint32_t idx)
{
    return pool_at(&proc_pool, idx);
}

struct proc *proc_find_locked(int pid)
{
    for (uint32_t i = 0; i < MAX_PROCS; i++) {
        struct proc *p = &proc_storage[i];
        if (p->state != P_FREE && p->state != P_REAPED && p->pid == pid)
            return p;
    }
    return NULL;
}

/* The last thread of p is leaving: drop every capability now (so pipe
 * readers see EOF at once), free the address space, become a zombie. */
void proc_teardown(struct proc *p)
{
    sig_proc_exit(p); /* no alarm fires once it is a zombie */
    cap_space_teardown(p);
    ramfs_cwd_drop(p); /* rmdir may take it from now on */
    vm_switch_kernel();
    spin_lock(&p->vm_lock);
    pagetable_t pt = p->pagetable;
    p->pagetable = NULL;
    spin_unlock(&p->vm_lock);
    if (pt)
        vm_user_destroy(pt); /* flushes any hart that may still cache it */
    proc_vm_uncharge(p);

    spin_lock(&proc_tree_lock);
    bool wake_init = false;
    list_for_each_safe(it, tmp, &p->children)
    {
        struct proc *c = list_entry(it, struct proc, sibling);
        list_remove(&c->sibling);
        c->parent = init_proc;
        list_push_back(&init_proc->children, &c->sibling);
        wake_init |= c->state == P_ZOMBIE;
    }
    p->state = P_ZOMBIE;
    struct proc *parent = p->parent;
    if (parent)
        proc_get(parent); /* it may be reaped once the lock drops */
    spin_unlock(&proc_tree_lock);
    if (parent) {
        waitq_wake_all(&parent->child_wq);
        sig_child_exited(parent, p); /* ignored unless caught or blocked */
        proc_put(parent);
    }
    if (wake_init)
        waitq_wake_all(&init_proc->child_wq);
    if (p == init_proc) {
        printk("keel: init exited, status %x\n", p->exit_status);
        board_poweroff(p->exit_status ? 1 : 0);
    }
}

/* Mark every thread of p killed and make it notice: blocked threads are
 * woken, running ones get an IPI. */
void proc_kill(struct proc *p, int sig)
{
    uint32_t ipi = 0;
    spin_lock(&p->lock);
    if (!p->exiting) {
        p->exiting = true;
        p->exit_status = sig ? KEEL_WSTATUS_SIGNALED(sig) : p->exit_status;
    }
    for (int i = 0; i < CAP_THREAD_SLOTS; i++) {
        struct thread *t = p->threads[i];
        if (!t)
            continue;
        t->killed = 1;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!sched_wake(t) && t->state == T_RUNNING)
            ipi |= 1u << t->hart;
        edf_kill(t); /* throttled: runs to its exit now */
    }
    spin_unlock(&p->lock);
    for (int h = 0; h < nharts; h++)
        if (ipi & (1u << h))
            sched_ipi(h);
}

void proc_exit(int status)
{
    struct proc *p = current()->proc;
    spin_lock(&p->lock);
    if (!p->exiting)
        p->exit_status = KEEL_WSTATUS_EXITED(status);
    spin_unlock(&p->lock);
    proc_kill(p, 0);
    thread_exit(0);
}

long sys_exit(int status)
{
    proc_exit(status);
}

long sys_getpid(void)
{
    return current()->proc->pid;
}

long sys_getppid(void)
{
    struct proc *p = current()->proc;
    spin_lock(&proc_tree_lock);
    int pid = p->parent ? p->parent->pid : 0;
    spin_unlock(&proc_tree_lock);
    return pid;
}

long sys_waitpid(int pid, uint64_t ustatus, int options)
{
    struct proc *self = current()->proc;
    if (options & ~KEEL_WNOHANG)
        return -EINVAL;
    /* 0: a child in the caller's group; below -1: one in group -pid. */
    int group = 0;
    if (pid == 0 || pid < -1) {
        if (pid == INT32_MIN)
            return -ECHILD; /* no group has that number */
        group = pid == 0 ? READ_ONCE(self->pgid) : -pid;
    }
    if (pid > 0) {
        /* Waiting on one process needs a process cap for it. */
        int err;
        struct proc *target = cap_proc_lookup(self, pid, CAP_RIGHT_READ, &err);
        if (!target && err == -EPERM)
            return err;
        if (target)
            proc_put(target);
        /* A reaped or exited-and-reaped child: ECHILD below. */
    }
    spin_lock(&proc_tree_lock);
    for (;;) {
        bool any = false;
        struct proc *found = NULL;
        list_for_each(it, &self->children)
        {
            struct proc *c = list_entry(it, struct proc, sibling);
            if (pid > 0 && c->pid != pid)
                continue;
            if (group && c->pgid != group)
                continue;
            any = true;
            if (c->state == P_ZOMBIE) {
                found = c;
                break;
            }
        }
        if (found) {
            list_remove(&found->sibling);
            int cpid = found->pid, st = found->exit_status;
            spin_unlock(&proc_tree_lock);
            cap_proc_forget(self, found);
            proc_free(found);
            if (ustatus && copy_to_user(ustatus, &st, sizeof(st)) < 0)
                return -EFAULT;
            return cpid;
        }
        if (!any) {
            spin_unlock(&proc_tree_lock);
            return -ECHILD;
        }
        if (options & KEEL_WNOHANG) {
            spin_unlock(&proc_tree_lock);
            return 0;
        }
        int err = waitq_wait(&self->child_wq, &proc_tree_lock);
        if (err < 0) {
            spin_unlock(&proc_tree_lock);
            return -ERESTARTSYS; /* EINTR, or restarted (SA_RESTART) */
        }
    }
}

/* The process list is system information: a system cap with READ. */
long sys_procinfo(int index, uint64_t uout)
{
    if (!cap_system_held(current()->proc, CAP_RIGHT_READ))
        return -EPERM;
    struct keel_procinfo info;
    int seen = 0;
    bool found = false;
    spin_lock(&proc_tree_lock);
    for (uint32_t i = 0; i < MAX_PROCS && !found; i++) {
        struct proc *p = &proc_storage[i];
        if (p->state == P_FREE || p->state == P_REAPED || seen++ != index)
            continue;
        memset(&info, 0, sizeof(info));
        info.pid = p->pid;
        info.ppid = p->parent ? p->parent->pid : 0;
        info.state = p->state == P_ZOMBIE;
        info.nthreads = p->nthreads;
        strlcpy(info.name, p->name, sizeof(info.name));
        found = true;
    }
    spin_unlock(&proc_tree_lock);
    if (!found)
        return 0;
    return copy_to_user(uout, &info, sizeof(info)) < 0 ? -EFAULT : 1;
}
