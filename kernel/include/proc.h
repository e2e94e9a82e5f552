/* Processes. */
#ifndef KEEL_PROC_H
#define KEEL_PROC_H

#include "../lib/bitmap.h"
#include "cap.h"
#include "kmutex.h"
#include "kobj.h"
#include "mm.h"
#include "quota.h"
#include "sched.h"

enum proc_state { P_FREE = 0, P_ALIVE, P_ZOMBIE, P_REAPED };

/* Words of a bitmap with a bit per thread slot. */
#define PROC_TSLOT_WORDS BITMAP_WORDS(CAP_THREAD_SLOTS)

/*
 * A process. Locks:
 *  - proc_tree_lock (global): parent, children, sibling, state,
 *    exit_status, pgid (written under it; READ_ONCE for a snapshot,
 *    proc/pgrp.c), and the pid table.
 *  - lock: threads[], thread_retval[], thread_exit[], thread_done,
 *    thread_detached, cpu_exited, nthreads, exiting.
 *  - vm_mutex (sleeping) then vm_lock: brk and stack_mapped[] change
 *    with both held; the page table changes under vm_lock, the heap's and
 *    the stacks' mappings only with vm_mutex held too (proc/vm_step.c:
 *    long changes run in steps, vm_lock dropped between them).
 *  - caps.lock: the cap_space (the "cap lock").
 *  - creator and quota.limit are set once at spawn; quota.used is
 *    atomic (include/quota.h).
 *  - ramfs_lock: cwd.
 * Two process locks of the same kind are taken in ascending pid order.
 */
struct proc {
    int pid;
    int state;
    /* atomic: 1 until reaped, + one per process cap, per object charged
     * to this account, per process it created that is still allocated */
    uint32_t refs;
    char name[KEEL_NAME_MAX + 1];
    struct proc *parent;
    struct list children;
    struct list sibling;
    int exit_status; /* wait status encoding */
    int pgid;        /* process group (proc/pgrp.c) */

    spinlock_t lock;
    struct thread *threads[CAP_THREAD_SLOTS];
    uint64_t thread_retval[CAP_THREAD_SLOTS];
    /* What threadinfo shows of an exited thread not yet joined. */
    struct thread_exit_info {
        uint64_t cpu_ticks;
        int8_t hart, policy, prio, ceiling, base_prio;
    } thread_exit[CAP_THREAD_SLOTS];
    /* Bitmaps over the thread slots (lib/bitmap.h): */
    uint64_t thread_done[PROC_TSLOT_WORDS];     /* exited, not yet joined */
    uint64_t thread_detached[PROC_TSLOT_WORDS]; /* its thread is detached */
    uint64_t cpu_exited; /* CPU ticks of its exited threads */
    /* CPU-time timers on its clocks (sched/cputimer.c): cpt_timers, the
     * timers (cpt_node: on cputimer.c's list of such processes) and
     * cpt_armed, how many are armed, under cpt_lock (cpt_armed is also
     * read without it at a switch); cpt_bound, those on a thread's clock,
     * under lock; cpt_due (atomic): a look at them is owed. */
    struct list cpt_timers;
    struct list cpt_node;
    uint32_t cpt_armed;
    uint32_t cpt_bound;
    uint32_t cpt_due;
    int nthreads;
    bool exiting;
    struct waitq join_wq; /* thread_join waiters */

    struct kmutex vm_mutex; /* held across the steps of brk, stacks */
    spinlock_t vm_lock;
    pagetable_t pagetable;
    uint64_t heap_base, brk;
    /* Bytes of thread slot t's stack mapped (from its top down); they
     * stay mapped for the next thread in the slot. */
    uint64_t stack_mapped[CAP_THREAD_SLOTS];

    struct cap_space caps;
    struct waitq child_wq; /* waitpid waiters (this process as parent) */

    struct proc *creator; /* referenced; charged for this struct */
    struct quota quota;
    /* Pages of the address space charged to this account (vm_lock, or
     * before the process is visible); given back when it is destroyed. */
    uint64_t pages_charged;
    /* The working directory (ramfs_lock; NULL is the root): counted in
     * its inode's ncwd from spawn (or chdir) until exit. */
    struct inode *cwd;
    /* Signals (signal.h; its own lock, proc_sig). */
    struct proc_sig sig;
};

#ifndef KEEL_LOCKCHECK
/* cap.h: the cap lock without the debug kernel's order check. */
static inline void cap_lock(struct proc *p)
{
    spin_lock(&p->caps.lock);
}
static inline void cap_unlock(struct proc *p)
{
    spin_unlock(&p->caps.lock);
}
#endif

/*
 * cap_kobj_get (include/kobj.h has the contract): the object in p's
 * slot, pinned by a new reference, looked up without the cap lock, as
 * the mutex fast path does (sync/kobj_mutex.c M7): the slot word is read
 * and checked (type and rights, one mask: constants here, the call being
 * inline), the object's reference taken only if it still has one, and
 * the word read again. A bit-identical word (a slot's generation moves
 * on whenever it is cleared, and never wraps: cap_word.h) means the slot
 * named this object, holding its reference, all the while, so the
 * reference is on that object; the acquire of the reference orders the
 * second read after it. Anything else takes the cap lock
 * (cap_kobj_get_locked, which also tells EBADF from EACCES). The pin
 * records the word and generation read, as before. No lock may be held
 * (a reference put back may be the last).
 */
static inline int cap_kobj_get(struct proc *p, int slot, unsigned type,
                               unsigned need, struct kobj **out,
                               struct cap_pin *pin)
{
    if (unlikely((unsigned)slot >= CAP_FD_SLOTS))
        return -EBADF;
    const cap_word_t *wp = &p->caps.t.words[slot];
    cap_word_t w = __atomic_load_n(wp, __ATOMIC_RELAXED);
    if (unlikely(!capw_is(w, type, need)))
        return cap_kobj_get_locked(p, slot, type, need, out, pin);
    struct kobj *o = kobj_by_index(capw_obj(w));
    if (unlikely(!kobj_get_live(o)))
        return cap_kobj_get_locked(p, slot, type, need, out, pin);
    kobj_test_lookup_hit();
    /* Relaxed: the acquire of the reference orders it. */
    if (unlikely(__atomic_load_n(wp, __ATOMIC_RELAXED) != w))
        return cap_kobj_get_retry(o, p, slot, type, need, out, pin);
    if (pin) { /* O1: the slot and generation this operation came through */
        pin->word = wp;
        pin->gen = capw_gen(w);
        kobj_test_window_hit();
    }
    *out = o;
    return 0;
}

/* signal.h: a kill, or a signal t would handle now, ends its wait. */
static inline bool sig_interrupted(struct thread *t)
{
    if (READ_ONCE(t->killed))
        return true;
    return t->proc && sig_deliverable(t, &t->proc->sig, &t->sig) != 0;
}

extern spinlock_t proc_tree_lock;
extern struct proc *init_proc;

void proc_init(void);
struct proc *proc_alloc(const char *name);
void proc_free(struct proc *p);
void proc_get(struct proc *p);
void proc_put(struct proc *p);
uint32_t proc_index(struct proc *p);
/* The same as proc_index/proc_by_index, inline, for hot paths. */
extern struct proc proc_storage[MAX_PROCS];
static inline uint32_t proc_slot_of(const struct proc *p)
{
    return (uint32_t)(p - proc_storage);
}
static inline struct proc *proc_at_slot(uint32_t idx)
{
    return &proc_storage[idx];
}
struct proc *proc_by_index(uint32_t idx);
struct proc *proc_find_locked(int pid); /* proc_tree_lock held */
/* A new program's arguments and environment (kernel copies). */
struct proc_args {
    char *const *argv; /* argc strings, then NULL */
    int argc;
    char *const *envp; /* envc strings, then NULL */
    int envc;
};
/* Load ELF `path` (relative: from the caller's working directory) into a
 * fresh address space of p with pa's argv and environment; creates the
 * main thread (not yet runnable). */
int proc_load(struct proc *p, const char *path, const struct proc_args *pa,
              struct thread **main_out);
/* The most pages mapping [va, va+len) can add (pages and tables): what
 * a mapping charges to the quota first, giving back what it did not use
 * (proc/vm_step.c V4, load.c). */
uint64_t proc_vm_bound(uint64_t len);
/* p's address space is gone: give its pages back to the quota. */
void proc_vm_uncharge(struct proc *p);
/* Bounded steps over p's live address space (proc/vm_step.c, protocol
 * V1-V4): the caller holds p->vm_mutex and no spinlock. grow maps fresh
 * zeroed pages over [va, va+len), all or nothing, charged to p's quota;
 * shrink unmaps the pages of [va, va+len) and frees them, returning how
 * many. proc_vm_free_pages frees a page chain (the undo lists) with a
 * preemption point every few pages; no spinlock held. */
int proc_vm_grow(struct proc *p, uint64_t va, uint64_t len, uint64_t perm);
uint64_t proc_vm_shrink(struct proc *p, uint64_t va, uint64_t len);
void proc_vm_free_pages(void *list);
void proc_exit(int status) __attribute__((noreturn)); /* whole process */
void proc_kill(struct proc *p, int sig);
void proc_start_init(void);
/* Send sig from the calling process to p (kill, the console's ^C with
 * code KEEL_SI_KERNEL): SIGKILL ends p at once, others are posted
 * (signal.h). */
void sig_send(struct proc *p, int sig, int code);

/* Process groups (proc/pgrp.c). */
bool pgrp_exists_locked(int g); /* proc_tree_lock held */
/* A new child's group: the parent's, or with set group g (0: its own);
 * -EPERM when g names no live group. */
int pgrp_spawn_join(struct proc *child, struct proc *parent, bool set, int g);
/* sig to every live member of g (no authority check: the console's ^C);
 * returns how many. */
int pgrp_signal(int g, int sig);
/* May the caller make g the console's foreground group: 0, -EPERM,
 * -ESRCH. */
int pgrp_may_foreground(int g);
/* kill(0 / -g, sig) for the caller: 0, -ESRCH, -EPERM. */
long pgrp_kill(int g, int sig);
uint32_t proc_count(void);

/* Threads. */
void thread_init(void);
/* Boot, after vm_kernel_init: unmap the guard under every kernel stack. */
void thread_kstack_guards(void);
/* Slot idx of the kernel stack area: guard half, then the stack. */
uint8_t *thread_kstack_slot(uint32_t idx);
struct thread *thread_alloc(struct proc *p);
void thread_release(struct thread *t); /* after it left its hart */
void thread_get(struct thread *t);
void thread_put(struct thread *t);
uint32_t thread_pool_index(struct thread *t);
struct thread *thread_by_index(uint32_t idx);
uint32_t thread_count(void);
/* Threads that began thread_exit and are not yet off their hart (read
 * with acquire: every free such a thread made once off its hart is seen
 * by pool counts read after a 0). */
uint32_t thread_exiting_count(void);
void thread_exit(uint64_t retval) __attribute__((noreturn));
void thread_user_entry(void); /* first return to user (arch) */
uint64_t thread_stack_top(int tslot);

#endif
