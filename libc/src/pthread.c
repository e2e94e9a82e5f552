/*
 * POSIX threads on Keel's thread calls. A pthread_t is the thread's cap
 * slot (in [CAP_THREAD_SLOT_BASE, CAP_SLOTS)), as SYS_thread_create and
 * SYS_thread_self return it.
 *
 * Each thread made here owns one malloc'ed struct keel_thread: its
 * control block (tp points at it), start routine, and its own struct
 * _reent, so errno and the other per-thread newlib state are private.
 * The stdio streams are shared: every thread's reent points at the main
 * thread's stdin/stdout/stderr, as POSIX has one stdout per process.
 * The thread frees the block itself when it exits.
 *
 * Stacks: the kernel reserves KEEL_THREAD_STACK_MAX (1 MiB) of address
 * space per thread slot above a guard page and maps the attribute's
 * stack size (64 KiB by default), so sizes from PTHREAD_STACK_MIN to
 * that maximum are honoured and others refused with EINVAL.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <keel/cap.h>
#include <keel/sched.h>

#include "internal.h"

struct keel_thread {
    struct keel_tcb tcb; /* first: tp points here */
    void *(*fn)(void *);
    void *arg;
    int32_t go;      /* GO_WAIT until the creator has set the priority */
    void *stack_top; /* pthread_attr_setstack's stack, else NULL */
    uint32_t reg;    /* REG_*: entered in cancel.c's table yet? */
    /* What pthread_getattr_np reports (set before the thread starts,
     * never changed): its stack, guard size and inheritsched. */
    void *stack_lo;
    size_t stack_size, guard_size;
    int inherit;
    struct _reent reent;
};

#define KEEL_PAGE 4096ul

#define GO_WAIT 0
#define GO_RUN 1
#define GO_ABANDON (-1) /* the creator failed to apply attr: exit at once */

/* t->reg: the creator enters the thread in cancel.c's table after
 * SYS_thread_create returns; a thread that exits first waits for that
 * (REG_WAITING), so the creator never enters a freed block. */
#define REG_NONE 0
#define REG_DONE 1
#define REG_WAITING 2

static void reg_done(struct keel_thread *t)
{
    if (!keel_cas_rel(&t->reg, REG_NONE, REG_DONE)) {
        __atomic_store_n(&t->reg, REG_DONE, __ATOMIC_RELEASE);
        keel_futex(&t->reg, KEEL_FUTEX_WAKE, 1, NULL);
    }
}

static void reg_wait(struct keel_thread *t)
{
    if (!keel_cas_acq(&t->reg, REG_NONE, REG_WAITING))
        return; /* REG_DONE already */
    while (__atomic_load_n(&t->reg, __ATOMIC_ACQUIRE) != REG_DONE)
        keel_futex(&t->reg, KEEL_FUTEX_WAIT, REG_WAITING, NULL);
}

void __keel_thread_main(struct keel_thread *t) __attribute__((noreturn));
/* thread_entry.S: calls fn(t) on the stack below top; never returns. */
void __keel_run_on_stack(void *top, void (*fn)(struct keel_thread *),
                         struct keel_thread *t) __attribute__((noreturn));

/* The start routine, on whichever stack the thread runs on. */
static void __attribute__((noreturn)) thread_run(struct keel_thread *t)
{
    pthread_exit(t->fn(t->arg));
}

/* The creator releases a thread waiting on t->go. The thread may already
 * have seen the new value, exited and freed t: the wake then finds no
 * waiter, or wakes a futex waiter that reused the memory, which rechecks
 * its word (every futex user in libc does). The heap is never unmapped,
 * so the address stays valid for the kernel. */
static void go_set(struct keel_thread *t, int32_t go)
{
    __atomic_store_n(&t->go, go, __ATOMIC_RELEASE);
    keel_futex((uint32_t *)&t->go, KEEL_FUTEX_WAKE, 1, NULL);
}

/* Thread reents never own streams, so there is nothing to clean up;
 * _reclaim_reent calls this because __sdidinit is set. */
static void no_cleanup(struct _reent *r)
{
    (void)r;
}

/* Runs on the new thread's stack, called from __keel_thread_entry. */
void __keel_thread_main(struct keel_thread *t)
{
    /* First, before anything can take a lock: the owner id. */
    __keel_tcb_identify(&t->tcb);
    int32_t go;
    while ((go = __atomic_load_n(&t->go, __ATOMIC_ACQUIRE)) == GO_WAIT)
        keel_futex((uint32_t *)&t->go, KEEL_FUTEX_WAIT, GO_WAIT, NULL);
    if (go == GO_ABANDON)
        pthread_exit(NULL);
    if (t->stack_top)
        __keel_run_on_stack(t->stack_top, thread_run, t);
    thread_run(t);
}

void pthread_exit(void *retval)
{
    struct keel_tcb *tc = keel_tcb();
    __keel_cleanup_run_all(tc);
    __keel_tsd_exit(tc ? tc : &__keel_main_tcb); /* after the handlers */
    /* free() takes malloc's lock, which needs a control block; this one
     * outlives the block being freed (function scope: tp keeps pointing
     * at it until the thread is gone). */
    struct keel_tcb last;
    if (tc != &__keel_main_tcb) {
        struct keel_thread *t = (struct keel_thread *)tc;
        reg_wait(t);
        __keel_cancel_unregister(tc, tc->id);
        _reclaim_reent(&t->reent);
        last = (struct keel_tcb){
            .reent = _global_impure_ptr, .id = tc->id, .slot = tc->slot};
        __asm__ volatile("mv tp, %0" : : "r"(&last) : "memory");
        free(t);
    }
    for (;;) /* SYS_thread_exit does not return */
        keel_sc1(SYS_thread_exit, (long)retval);
}

/* Fills a new thread's reent: private errno etc., shared std streams. */
static void init_thread_reent(struct _reent *r)
{
    struct _reent *g = _global_impure_ptr;
    if (!g->__sdidinit)
        __sinit(g);
    _REENT_INIT_PTR(r);
    r->_stdin = g->_stdin;
    r->_stdout = g->_stdout;
    r->_stderr = g->_stderr;
    r->__sdidinit = 1; /* so newlib never gives it streams of its own */
    r->__cleanup = no_cleanup;
}

/* The token naming thread th for the sched calls: 0 means the caller. */
static int thread_token(pthread_t th, cap_token_t *tok)
{
    if (th == pthread_self()) {
        *tok = 0;
        return 0;
    }
    long r = keel_sc2(SYS_cap_get_token, (long)th, CAP_TYPE_THREAD);
    if (r < 0)
        return ESRCH;
    *tok = (cap_token_t)r;
    return 0;
}

/* Waits for thread slot th; retries if interrupted, as POSIX wants. */
static long join_slot(long th, uint64_t *value)
{
    long r;
    do
        r = keel_sc2(SYS_thread_join, th, (long)value);
    while (r == -EINTR);
    return r;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*fn)(void *), void *arg)
{
    if (!thread || !fn || (attr && !attr->is_initialized))
        return EINVAL;
    int explicit = attr && attr->inheritsched == PTHREAD_EXPLICIT_SCHED;
    int policy = 0, prio = 0;
    if (explicit) {
        policy = attr->schedpolicy;
        prio = attr->schedparam.sched_priority;
        int perr = keel_policy_check(policy);
        if (perr)
            return perr;
        if (prio < KEEL_PRIO_MIN || prio > KEEL_PRIO_MAX)
            return EINVAL;
    }

    struct keel_thread *t = malloc(sizeof(*t));
    if (!t)
        return EAGAIN;
    memset(&t->tcb, 0, sizeof(t->tcb));
    init_thread_reent(&t->reent);
    t->tcb.reent = &t->reent;
    t->tcb.id = 0; /* the thread sets id and slot before taking a lock */
    t->tcb.slot = -1;
    t->tcb.pp_n = 0;
    t->tcb.cancel = attr && attr->detachstate == PTHREAD_CREATE_DETACHED
                        ? KEEL_CANCEL_DETACHED
                        : 0;
    t->tcb.cleanup = NULL;
    t->reg = REG_NONE;
    t->fn = fn;
    t->arg = arg;
    t->go = explicit ? GO_WAIT : GO_RUN;

    /* 0: the kernel's default. With the caller's own stack the kernel
     * maps only a page, for the code before the switch to it. */
    long stack = attr ? (long)attr->stacksize : 0;
    t->stack_top = NULL;
    if (attr && attr->stackaddr) {
        t->stack_top = (char *)attr->stackaddr + attr->stacksize;
        stack = 4096;
    }
    t->guard_size = attr ? attr->guardsize : KEEL_PAGE;
    t->inherit = explicit ? PTHREAD_EXPLICIT_SCHED : PTHREAD_INHERIT_SCHED;
    if (t->stack_top) {
        t->stack_lo = attr->stackaddr;
        t->stack_size = attr->stacksize;
        t->guard_size = 0; /* POSIX: none on the caller's stack */
    } else {
        t->stack_size = ((stack ? (size_t)stack : KEEL_THREAD_STACK_DEFAULT) +
                         KEEL_PAGE - 1) &
                        ~(size_t)(KEEL_PAGE - 1);
        t->stack_lo = NULL; /* known once the slot is: the thread's own */
    }
    long flags = attr && attr->detachstate == PTHREAD_CREATE_DETACHED
                     ? KEEL_THREAD_DETACHED
                     : 0;
    long slot = keel_sc5(SYS_thread_create, (long)__keel_thread_entry, (long)t,
                         (long)t, stack, flags);
    if (slot < 0) {
        _reclaim_reent(&t->reent);
        free(t);
        return keel_err(slot);
    }
    /* From here t belongs to the thread, which may already have exited
     * and freed it, except while it waits on t->go. */
    if (explicit) {
        /* Set from here, not by the thread, so errors reach the caller;
         * the thread waits so that fn never runs with the wrong priority. */
        long r = keel_sc2(SYS_cap_get_token, slot, CAP_TYPE_THREAD);
        if (r >= 0) /* r is the thread's token */
            r = keel_sc3(SYS_thread_setschedparam, r, policy, prio);
        if (r < 0) {
            reg_done(t); /* not entered: it exits at once */
            go_set(t, GO_ABANDON);
            if (!flags) /* a detached one frees its slot itself */
                join_slot(slot, NULL);
            return keel_err(r);
        }
        __keel_cancel_register(slot, &t->tcb);
        reg_done(t);
        go_set(t, GO_RUN);
    } else {
        __keel_cancel_register(slot, &t->tcb);
        reg_done(t);
    }
    *thread = (pthread_t)slot;
    return 0;
}

int pthread_join(pthread_t thread, void **retval)
{
    uint64_t v = 0;
    long r;
    /* A cancellation point: before waiting and when interrupted. */
    do {
        keel_cancel_point();
        r = keel_cp4(SYS_thread_join, (long)thread, (long)&v, 0, 0);
    } while (r == -EINTR);
    if (r < 0)
        return keel_err(r);
    __keel_cancel_forget((long)thread);
    if (retval)
        *retval = (void *)(uintptr_t)v;
    return 0;
}

int pthread_detach(pthread_t thread)
{
    long r = keel_sc1(SYS_thread_detach, (long)thread);
    if (r == 0)
        __keel_cancel_detached((long)thread);
    return keel_err(r);
}

pthread_t pthread_self(void)
{
    struct keel_tcb *t = keel_tcb();
    if (t && t->slot >= 0)
        return (pthread_t)t->slot;
    return (pthread_t)keel_sc0(SYS_thread_self);
}

int pthread_equal(pthread_t a, pthread_t b)
{
    return a == b;
}

int pthread_setschedparam(pthread_t thread, int policy,
                          const struct sched_param *param)
{
    if (!param)
        return EINVAL;
    cap_token_t tok;
    int err = thread_token(thread, &tok);
    if (err)
        return err;
    return keel_err(keel_sc3(SYS_thread_setschedparam, (long)tok, policy,
                             param->sched_priority));
}

int pthread_getschedparam(pthread_t thread, int *policy,
                          struct sched_param *param)
{
    if (!policy || !param)
        return EINVAL;
    cap_token_t tok;
    int err = thread_token(thread, &tok);
    if (err)
        return err;
    int pol, prio;
    long r =
        keel_sc3(SYS_thread_getschedparam, (long)tok, (long)&pol, (long)&prio);
    if (r < 0)
        return keel_err(r);
    *policy = pol;
    memset(param, 0, sizeof(*param));
    param->sched_priority = prio;
    return 0;
}

/* The priority only, the policy kept (a deadline thread has none:
 * EINVAL); a thread that is ready to run moves to the tail of its new
 * priority's list when raised, stays where it is when the priority does
 * not change, and goes to the head when lowered (POSIX). */
int pthread_setschedprio(pthread_t thread, int prio)
{
    cap_token_t tok;
    int err = thread_token(thread, &tok);
    if (err)
        return err;
    return keel_err(keel_sc3(SYS_thread_setschedparam, (long)tok,
                             KEEL_SCHED_SETPRIO, prio));
}

int keel_pthread_setceiling(pthread_t thread, int ceiling)
{
    cap_token_t tok;
    int err = thread_token(thread, &tok);
    if (err)
        return err;
    return keel_err(keel_sc2(SYS_thread_setceiling, (long)tok, ceiling));
}

int keel_pthread_getceiling(pthread_t thread, int *ceiling)
{
    if (!ceiling)
        return EINVAL;
    cap_token_t tok;
    int err = thread_token(thread, &tok);
    if (err)
        return err;
    long r = keel_sc1(SYS_thread_getceiling, (long)tok);
    if (r < 0)
        return keel_err(r);
    *ceiling = (int)r;
    return 0;
}

/* Fills a with what thread t (its control block; the main thread's is
 * __keel_main_tcb) was created with; cancel.c calls it under reg_lock,
 * which keeps the block from being freed. */
void __keel_thread_attr(struct keel_tcb *tc, long slot, pthread_attr_t *a)
{
    int ts = (int)(slot - CAP_THREAD_SLOT_BASE);
    uintptr_t top = KEEL_THREAD_STACK_TOP(ts);
    a->detachstate =
        (__atomic_load_n(&tc->cancel, __ATOMIC_ACQUIRE) & KEEL_CANCEL_DETACHED)
            ? PTHREAD_CREATE_DETACHED
            : PTHREAD_CREATE_JOINABLE;
    if (tc == &__keel_main_tcb) {
        a->stacksize = KEEL_THREAD_STACK_DEFAULT;
        a->stackaddr = (void *)(top - KEEL_THREAD_STACK_DEFAULT);
        return; /* the rest as pthread_attr_init left it */
    }
    struct keel_thread *t = (struct keel_thread *)tc;
    a->stacksize = t->stack_size;
    a->stackaddr = t->stack_lo ? t->stack_lo : (void *)(top - t->stack_size);
    a->guardsize = t->guard_size;
    a->inheritsched = t->inherit;
}

/*
 * GNU's pthread_getattr_np: a fresh attribute object describing thread
 * as it runs: its stack (address of the lowest byte and size), guard
 * size, detach state, inheritsched as created, and its present policy
 * and priority. ESRCH for a slot with no live thread of this process
 * (an exited thread not yet joined, too); the caller destroys attr.
 * Another thread is looked up in cancel.c's table; the caller itself
 * reads its own block.
 */
int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    pthread_attr_t a;
    pthread_attr_init(&a);
    int err = 0;
    if (thread == pthread_self()) {
        /* Its own block, which may not be in cancel.c's table yet (the
         * creator enters it after SYS_thread_create returns). */
        struct keel_tcb *tc = keel_tcb();
        __keel_thread_attr(tc ? tc : &__keel_main_tcb, (long)thread, &a);
    } else {
        err = __keel_thread_attr_of((long)thread, &a);
    }
    if (!err)
        err = pthread_getschedparam(thread, &a.schedpolicy, &a.schedparam);
    if (err)
        return err;
    *attr = a;
    return 0;
}

/* Keel threads are all kernel-scheduled (PTHREAD_SCOPE_SYSTEM), so the
 * level is only a hint: recorded and reported back, as POSIX allows. */
static int concurrency_level;

int pthread_setconcurrency(int level)
{
    if (level < 0)
        return EINVAL;
    __atomic_store_n(&concurrency_level, level, __ATOMIC_RELAXED);
    return 0;
}

int pthread_getconcurrency(void)
{
    return __atomic_load_n(&concurrency_level, __ATOMIC_RELAXED);
}
