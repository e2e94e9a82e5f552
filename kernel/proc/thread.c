/*
 * Threads: a fixed pool with a kernel stack each (thread_pool_lock guards
 * the pool). A thread's trapframe sits at the top of its kernel stack.
 * Kernel stacks: thread i's is the upper half of slot i of kstacks (slots
 * of KSTACK_SLOT bytes, aligned to it); the lower half is a guard that
 * thread_kstack_guards leaves unmapped, so an overflow faults (and
 * kernel_trap reports it) instead of running into the next stack.
 */
#include "../include/asm_offsets.h"
#include "../include/cap.h"
#include "../include/futex.h"
#include "../include/kmx.h"
#include "../include/krwlock.h"
#include "../include/pi.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../mm/pool.h"

static spinlock_t thread_pool_lock = SPINLOCK_INIT("thread_pool");
static struct thread thread_storage[MAX_THREADS];
static uint32_t thread_links[MAX_THREADS];
static struct pool thread_pool;
static uint8_t *kstacks;
static int next_tid = 1;
/* Threads between the start of thread_exit and thread_release: what a
 * reaped process or joined thread still holds (its struct thread, and
 * through t->acct its struct proc) is freed only once it is off its hart,
 * a moment after the reaper or joiner saw it end. kstat reports it, so a
 * leak check waits for 0 instead of sleeping. Atomic, no lock. */
static uint32_t threads_exiting;

void thread_init(void)
{
    pool_init(&thread_pool, "thread", thread_storage, thread_links,
              sizeof(struct thread), MAX_THREADS);
    /* One extra slot's worth so the slots can be aligned. */
    uint8_t *raw = page_alloc_boot((MAX_THREADS + 1) * KSTACK_SLOT / PAGE_SIZE);
    kstacks = (uint8_t *)ALIGN_UP((uint64_t)raw, KSTACK_SLOT);
}

void thread_kstack_guards(void)
{
    for (uint32_t i = 0; i < MAX_THREADS; i++)
        vm_kernel_unmap((uint64_t)thread_kstack_slot(i), KSTACK_SLOT / 2);
}

uint8_t *thread_kstack_slot(uint32_t idx)
{
    return kstacks + (uint64_t)idx * KSTACK_SLOT;
}

_Static_assert(KEEL_USER_TOP == USER_TOP && USTACK_MAX == KEEL_THREAD_STACK_MAX,
               "libc's KEEL_THREAD_STACK_TOP is thread_stack_top");

uint64_t thread_stack_top(int tslot)
{
    return USER_TOP - (uint64_t)tslot * (USTACK_MAX + PAGE_SIZE);
}

/* The entry is charged to p's account (quota.h) until thread_put frees
 * it: NULL when the quota or the pool says no. */
struct thread *thread_alloc(struct proc *p)
{
    if (quota_charge(p, KEEL_POOL_THREADS, 1) < 0)
        return NULL;
    spin_lock(&thread_pool_lock);
    struct thread *t = pool_alloc(&thread_pool);
    int tid = next_tid++;
    spin_unlock(&thread_pool_lock);
    if (!t) {
        quota_uncharge(p, KEEL_POOL_THREADS, 1);
        return NULL;
    }
    t->acct = p;
    if (p)
        proc_get(p);
    uint32_t idx = pool_index(&thread_pool, t);
    t->kstack = thread_kstack_slot(idx) + KSTACK_SLOT / 2;
    t->tf = (struct trapframe *)(t->kstack + KSTACK_SIZE -
                                 sizeof(struct trapframe));
    memset(t->tf, 0, sizeof(*t->tf));
    t->ctx.ra = (uint64_t)thread_user_entry;
    t->ctx.sp = (uint64_t)t->tf;
    t->proc = p;
    t->refs = 1;
    t->tid = tid;
    spin_init(&t->slock, "thread_sched");
    t->prio = KEEL_PRIO_DEFAULT;
    t->policy = KEEL_SCHED_RR;
    t->sched_other = false;
    t->ceiling = KEEL_PRIO_DEFAULT; /* the creator passes its own on */
    t->hart = this_hart()->id;
    timer_node_init(&t->sleep);
    t->ran_hart = -1;
    list_init(&t->rq_node);
    t->requeue_tail = false;
    list_init(&t->wait_node);
    list_init(&t->pi_held);
    t->pi_blocked_on = NULL;
    t->pi_base = 0;
    t->pp_floor = 0;
    t->futex_exited = false;
    t->exiting = false;
    list_init(&t->kmx_held);
    t->kmx_one = NULL;
    t->kmx_pi_listed = 0;
    t->bar_intr = NULL;
    edf_init_thread(t);
    sig_thread_init(t, NULL); /* thread_create passes the creator's mask */
    return t;
}

/* A thread struct lives while it runs and while any thread cap names
 * it: refs counts the caps plus one for the running thread, dropped by
 * thread_release once it is off its hart. */
void thread_get(struct thread *t)
{
    ref_get(&t->refs);
}

static __attribute__((noinline)) void thread_free(struct thread *t)
{
    struct proc *acct = t->acct;
    spin_lock(&thread_pool_lock);
    t->state = T_FREE;
    pool_free(&thread_pool, t);
    spin_unlock(&thread_pool_lock);
    quota_uncharge(acct, KEEL_POOL_THREADS, 1);
    if (acct)
        proc_put(acct);
}

void thread_put(struct thread *t)
{
    if (ref_put(&t->refs) == 0)
        thread_free(t);
}

void thread_release(struct thread *t)
{
    bool exiting = t->exiting;
    thread_put(t); /* may free t */
    if (exiting)   /* after the frees, for thread_exiting_count's readers */
        __atomic_sub_fetch(&threads_exiting, 1, __ATOMIC_RELEASE);
}

uint32_t thread_exiting_count(void)
{
    return __atomic_load_n(&threads_exiting, __ATOMIC_ACQUIRE);
}

uint32_t thread_pool_index(struct thread *t)
{
    return pool_index(&thread_pool, t);
}

struct thread *thread_by_index(uint32_t idx)
{
    return pool_at(&thread_pool, idx);
}

uint32_t thread_count(void)
{
    return READ_ONCE(thread_pool.in_use);
}

void proc_teardown(struct proc *p);

/* Ends the calling thread; the last thread out tears the process down. */
void thread_exit(uint64_t retval)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    /* Counted before any joiner or reaper can see the end (kstat). */
    t->exiting = true;
    __atomic_add_fetch(&threads_exiting, 1, __ATOMIC_SEQ_CST);
    /* Leave the process's address space now: once nthreads drops, the
     * last thread may free the page table while this hart is still on
     * its way out. Nothing below touches user memory. */
    kmx_thread_exit(t);      /* robust: EOWNERDEAD for the next locker */
    futex_pi_exit(t);        /* it still writes the words it hands over */
    krwlock_thread_exit(t);  /* its process-shared rwlock holds go back */
    kbarrier_thread_exit(t); /* an interrupted barrier wait is left */
    vm_switch_kernel();
    /* Keep p's struct alive until we are done with its wait queue: the
     * last thread's teardown and a reap could otherwise free it. */
    proc_get(p);
    sig_thread_detach(p, t);
    cap_thread_remove(p, t->tslot);
    spin_lock(&p->lock);
    unsigned ts = (unsigned)t->tslot;
    p->threads[ts] = NULL;
    p->cpu_exited += sched_cpu_ticks(t); /* the process CPU clock */
    if (bitmap_test(p->thread_detached, ts)) {
        bitmap_clear(p->thread_detached, ts); /* nobody joins: slot free */
    } else {
        p->thread_retval[t->tslot] = retval;
        p->thread_exit[t->tslot] = (struct thread_exit_info){
            .cpu_ticks = sched_cpu_ticks(t),
            .hart = (int8_t)t->ran_hart,
            .policy = (int8_t)t->policy,
            .prio = (int8_t)t->prio,
            .base_prio = (int8_t)pi_base_prio(t),
            .ceiling = (int8_t)t->ceiling,
        };
        bitmap_set(p->thread_done, ts);
    }
    bool last = --p->nthreads == 0;
    bool cpt = p->cpt_bound != 0; /* a timer on its CPU clock */
    spin_unlock(&p->lock);
    if (cpt)
        cputimer_thread_exit(p, t);
    waitq_wake_all(&p->join_wq);
    if (last)
        proc_teardown(p);
    proc_put(p);
    edf_exit(t); /* a deadline thread's bandwidth goes back */
    sched_set_state(t, T_DEAD);
    schedule();
    panic("dead thread ran again");
}

/* Maps the stack of thread slot `slot` down to `size` bytes below its
 * top, unless an earlier thread in the slot mapped that much already. */
static int thread_map_stack(struct proc *p, int slot, uint64_t size)
{
    uint64_t top = thread_stack_top(slot);
    int err = 0;
    kmutex_lock(&p->vm_mutex); /* in steps: proc/vm_step.c */
    uint64_t have = p->stack_mapped[slot];
    if (size > have) {
        err = proc_vm_grow(p, top - size, size - have, PTE_R | PTE_W);
        if (!err) {
            spin_lock(&p->vm_lock);
            p->stack_mapped[slot] = size;
            spin_unlock(&p->vm_lock);
        }
    }
    kmutex_unlock(&p->vm_mutex);
    return err;
}

/* Syscalls. */
long sys_thread_create(uint64_t entry, uint64_t arg, uint64_t tls,
                       uint64_t stack_size, unsigned flags)
{
    struct proc *p = current()->proc;
    if (!user_range_ok(entry, 4))
        return -EFAULT;
    if ((flags & ~KEEL_THREAD_DETACHED) || stack_size > USTACK_MAX)
        return -EINVAL;
    stack_size = stack_size ? ALIGN_UP(stack_size, PAGE_SIZE) : USTACK_SIZE;
    struct thread *t = thread_alloc(p);
    if (!t)
        return -EAGAIN;
    spin_lock(&p->lock);
    int slot = -1;
    for (int i = 1; i < CAP_THREAD_SLOTS; i++) {
        /* A thread slot whose cap slot retired (generations exhausted)
         * is skipped for good. */
        if (!p->threads[i] && !bitmap_test(p->thread_done, (unsigned)i) &&
            cap_table_usable(&p->caps.t, CAP_THREAD_SLOT_BASE + i)) {
            slot = i;
            break;
        }
    }
    if (slot < 0 || p->exiting) {
        spin_unlock(&p->lock);
        thread_release(t);
        return -EAGAIN;
    }
    p->threads[slot] = t; /* reserve the slot */
    spin_unlock(&p->lock);
    t->tslot = slot;
    uint64_t top = thread_stack_top(slot);
    int err = thread_map_stack(p, slot, stack_size);
    if (err) {
        spin_lock(&p->lock);
        p->threads[slot] = NULL;
        spin_unlock(&p->lock);
        waitq_wake_all(&p->join_wq); /* a join on this slot: ESRCH now */
        thread_release(t);
        return -EAGAIN;
    }
    struct thread *self = current();
    t->prio = pi_base_prio(self); /* not a boost it has now */
    t->policy = edf_inherit_policy(self->policy);
    t->sched_other = READ_ONCE(self->sched_other);
    t->ceiling = READ_ONCE(self->ceiling); /* inherited, never raised */
    t->tf->sepc = entry;
    t->tf->regs[TF_A0] = arg;
    t->tf->regs[TF_SP] = top;
    t->tf->regs[TF_TP] = tls;
    /* The creator's gp (one value per program): a signal may be delivered
     * before the thread's first instruction, and its handler addresses
     * globals through gp (the entry code's own `la gp` comes too late). */
    t->tf->regs[TF_GP] = self->tf->regs[TF_GP];
    /* Its cap becomes visible now: until it is queued, a concurrent
     * setschedparam must wait (WAKING), not race the enqueue. */
    sched_set_state(t, T_WAKING);
    sig_thread_init(t, self);
    sig_thread_attach(p, t);
    cap_thread_install(p, slot, t);
    spin_lock(&p->lock);
    p->nthreads++;
    if (flags & KEEL_THREAD_DETACHED)
        bitmap_set(p->thread_detached, (unsigned)slot);
    spin_unlock(&p->lock);
    sched_enqueue_new(t);
    return CAP_THREAD_SLOT_BASE + slot;
}

long sys_thread_exit(uint64_t retval)
{
    thread_exit(retval);
}

long sys_thread_join(int64_t slot, uint64_t uretval)
{
    struct thread *self = current();
    struct proc *p = self->proc;
    int ts = (int)(slot - CAP_THREAD_SLOT_BASE);
    if (slot < CAP_THREAD_SLOT_BASE || slot >= CAP_SLOTS)
        return -ESRCH;
    if (ts == self->tslot)
        return -EDEADLK;
    spin_lock(&p->lock);
    for (;;) {
        if (bitmap_test(p->thread_done, (unsigned)ts))
            break;
        if (bitmap_test(p->thread_detached, (unsigned)ts)) {
            spin_unlock(&p->lock);
            return -EINVAL; /* not joinable */
        }
        if (!p->threads[ts]) {
            spin_unlock(&p->lock);
            return -ESRCH;
        }
        int err = waitq_wait(&p->join_wq, &p->lock);
        if (err < 0) {
            spin_unlock(&p->lock);
            return -ERESTARTNOINTR; /* never EINTR: join again after */
        }
    }
    uint64_t rv = p->thread_retval[ts];
    bitmap_clear(p->thread_done, (unsigned)ts);
    spin_unlock(&p->lock);
    if (uretval && copy_to_user(uretval, &rv, sizeof(rv)) < 0)
        return -EFAULT;
    return 0;
}

/* Detach thread slot `slot`: its slot is freed when it exits (at once
 * if it has exited already), and it can no longer be joined. */
long sys_thread_detach(int64_t slot)
{
    struct proc *p = current()->proc;
    if (slot < CAP_THREAD_SLOT_BASE || slot >= CAP_SLOTS)
        return -ESRCH;
    unsigned ts = (unsigned)(slot - CAP_THREAD_SLOT_BASE);
    long r = 0;
    spin_lock(&p->lock);
    if (bitmap_test(p->thread_done, ts))
        bitmap_clear(p->thread_done, ts); /* exited, never joined: free it */
    else if (!p->threads[ts])
        r = -ESRCH;
    else if (bitmap_test(p->thread_detached, ts))
        r = -EINVAL;
    else
        bitmap_set(p->thread_detached, ts);
    spin_unlock(&p->lock);
    if (r == 0)
        waitq_wake_all(&p->join_wq); /* joiners of it: EINVAL now */
    return r;
}

long sys_thread_self(void)
{
    return CAP_THREAD_SLOT_BASE + current()->tslot;
}

long sys_sched_yield(void)
{
    struct thread *self = current();
    if (self->policy == KEEL_SCHED_DEADLINE)
        self->dl.yielded = true; /* ends the job: the rest of its budget */
    schedule();
    return 0;
}

/* KEEL_SCHED_PROTECT: the caller's own PRIO_PROTECT floor (abi.h). */
static long thread_set_protect(struct thread *self, uint64_t tok, int policy,
                               int floor)
{
    if (tok != 0 ||
        (policy & ~(KEEL_SCHED_PROTECT | KEEL_SCHED_PROTECT_ENTER)) ||
        floor < 0 || floor > KEEL_PRIO_MAX)
        return -EINVAL;
    if (floor > READ_ONCE(self->pp_floor) && floor > READ_ONCE(self->ceiling))
        return -EPERM; /* a mutex grants no authority */
    return sched_set_pp_floor(self, floor, policy & KEEL_SCHED_PROTECT_ENTER);
}

/*
 * Whether t holds an in-process PTHREAD_PRIO_INHERIT mutex: its libc
 * counts them in the word KEEL_TCB_PI_HELD bytes past its thread pointer
 * (abi.h), since one taken without contention is a user-space
 * compare-and-swap the kernel never sees. Read in t's own address space:
 * the caller's (copy_from_user: a fault is caught), or another process's
 * (a thread cap received from it) through its table under its vm_lock
 * (cap lock -> vm_lock; nothing is taken under it). A word that cannot
 * be read counts as none. A lock or unlock by t racing this read may be
 * seen or not: the call then counts as before or after it, except for
 * the few instructions between libc's compare-and-swap and its count
 * (libc/src/mutex.c), where t holds the mutex uncounted.
 */
static bool thread_user_pi_held(struct thread *t)
{
    uint64_t ua = READ_ONCE(t->tf->regs[TF_TP]) + KEEL_TCB_PI_HELD;
    uint32_t n = 0;
    if ((ua & 3) || !user_range_ok(ua, sizeof(n)))
        return false;
    struct proc *p = t->proc;
    if (p == current()->proc)
        return copy_from_user(&n, ua, sizeof(n)) == 0 && n;
    spin_lock(&p->vm_lock);
    uint64_t pa = p->pagetable ? vm_user_translate(p->pagetable, ua) : 0;
    if (pa)
        n = READ_ONCE(*(const uint32_t *)pa);
    spin_unlock(&p->vm_lock);
    return n != 0;
}

long sys_thread_setschedparam(uint64_t tok, int policy, int prio)
{
    struct thread *self = current();
    struct proc *p = self->proc;
    if (policy & KEEL_SCHED_PROTECT)
        return thread_set_protect(self, tok, policy, prio);
    bool setprio = policy == KEEL_SCHED_SETPRIO;
    int asked = policy;
    if (!setprio)
        policy = sched_policy_check(policy);
    if (policy < 0)
        return policy;
    if (prio < KEEL_PRIO_MIN || prio > KEEL_PRIO_MAX)
        return -EINVAL;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_WRITE, &err);
    long r = 0;
    if (t && setprio) /* the thread's own policy (the cap lock pins t) */
        policy = READ_ONCE(t->policy);
    if (!t)
        r = err;
    else if (policy == KEEL_SCHED_DEADLINE)
        r = -EINVAL; /* setprio: a deadline thread has no priority */
    else if (prio > READ_ONCE(self->ceiling))
        r = -EPERM; /* the caller's ceiling is its authority */
    else {
        /* A holder of PI or PP mutexes the kernel knows of is found
         * by sched_set_prio_pos; the user-space ones only here. */
        enum sched_pos pos = setprio ? SCHED_POS_SETPRIO : SCHED_POS_SETPARAM;
        if (thread_user_pi_held(t))
            pos = SCHED_POS_HELD;
        sched_set_prio_pos(t, policy, prio, pos);
        if (!setprio) /* setprio keeps the policy as it was asked for */
            WRITE_ONCE(t->sched_other, asked == KEEL_SCHED_OTHER);
    }
    cap_unlock(p);
    return r;
}

long sys_thread_getschedparam(uint64_t tok, uint64_t upolicy, uint64_t uprio)
{
    struct proc *p = current()->proc;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_READ, &err);
    int policy = t ? sched_policy_report(t, t->policy) : 0;
    int prio = t ? pi_base_prio(t) : 0;
    cap_unlock(p);
    if (!t)
        return err;
    if (copy_to_user(upolicy, &policy, sizeof(int)) < 0 ||
        copy_to_user(uprio, &prio, sizeof(int)) < 0)
        return -EFAULT;
    return 0;
}

/* Lowers the ceiling of the thread tok names (never raises it). */
long sys_thread_setceiling(uint64_t tok, int ceiling)
{
    struct proc *p = current()->proc;
    if (ceiling < KEEL_PRIO_MIN || ceiling > KEEL_PRIO_MAX)
        return -EINVAL;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_WRITE, &err);
    long r = 0;
    if (!t)
        r = err;
    else if (ceiling > READ_ONCE(t->ceiling))
        r = -EPERM;
    else
        sched_set_ceiling(t, ceiling);
    cap_unlock(p);
    return r;
}

long sys_thread_getceiling(uint64_t tok)
{
    struct proc *p = current()->proc;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_READ, &err);
    long r = t ? READ_ONCE(t->ceiling) : err;
    cap_unlock(p);
    return r;
}
