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
    int32_t go; /* GO_WAIT until the creator has set the priority */
    struct _reent reent;
};

#define GO_WAIT 0
#define GO_RUN 1
#define GO_ABANDON (-1) /* the creator failed to apply attr: exit at once */

void __keel_thread_main(struct keel_thread *t) __attribute__((noreturn));

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
    pthread_exit(t->fn(t->arg));
}

void pthread_exit(void *retval)
{
    struct keel_tcb *tc = keel_tcb();
    /* free() takes malloc's lock, which needs a control block; this one
     * outlives the block being freed (function scope: tp keeps pointing
     * at it until the thread is gone). */
    struct keel_tcb last;
    if (tc != &__keel_main_tcb) {
        struct keel_thread *t = (struct keel_thread *)tc;
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
    init_thread_reent(&t->reent);
    t->tcb.reent = &t->reent;
    t->tcb.id = 0; /* the thread sets id and slot before taking a lock */
    t->tcb.slot = -1;
    t->tcb.pp_n = 0;
    t->fn = fn;
    t->arg = arg;
    t->go = explicit ? GO_WAIT : GO_RUN;

    long stack = attr ? attr->stacksize : 0; /* 0: the kernel's default */
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
            go_set(t, GO_ABANDON);
            if (!flags) /* a detached one frees its slot itself */
                join_slot(slot, NULL);
            return keel_err(r);
        }
        go_set(t, GO_RUN);
    }
    *thread = (pthread_t)slot;
    return 0;
}

int pthread_join(pthread_t thread, void **retval)
{
    uint64_t v = 0;
    long r = join_slot((long)thread, &v);
    if (r < 0)
        return keel_err(r);
    if (retval)
        *retval = (void *)(uintptr_t)v;
    return 0;
}

int pthread_detach(pthread_t thread)
{
    return keel_err(keel_sc1(SYS_thread_detach, (long)thread));
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

/* ---- attributes ---- */

int pthread_attr_init(pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    memset(attr, 0, sizeof(*attr));
    attr->is_initialized = 1;
    attr->contentionscope = PTHREAD_SCOPE_SYSTEM;
    attr->inheritsched = PTHREAD_INHERIT_SCHED;
    attr->schedpolicy = SCHED_RR; /* the kernel's default policy */
    attr->schedparam.sched_priority = KEEL_PRIO_DEFAULT;
    attr->detachstate = PTHREAD_CREATE_JOINABLE;
    attr->stacksize = KEEL_THREAD_STACK_DEFAULT;
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *attr)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    attr->is_initialized = 0;
    return 0;
}

/* The kernel maps this much (rounded up to pages) for the thread. */
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    if (!attr || !attr->is_initialized || size < PTHREAD_STACK_MIN ||
        size > KEEL_THREAD_STACK_MAX)
        return EINVAL;
    attr->stacksize = (int)size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size)
{
    if (!attr || !attr->is_initialized || !size)
        return EINVAL;
    *size = (size_t)attr->stacksize;
    return 0;
}

/* The priority must be valid for the attribute's policy. */
int pthread_attr_setschedparam(pthread_attr_t *attr,
                               const struct sched_param *param)
{
    if (!attr || !attr->is_initialized || !param)
        return EINVAL;
    int lo = sched_get_priority_min(attr->schedpolicy);
    int hi = sched_get_priority_max(attr->schedpolicy);
    if (lo < 0 || hi < 0 || param->sched_priority < lo ||
        param->sched_priority > hi)
        return EINVAL;
    attr->schedparam = *param;
    return 0;
}

int pthread_attr_getschedparam(const pthread_attr_t *attr,
                               struct sched_param *param)
{
    if (!attr || !attr->is_initialized || !param)
        return EINVAL;
    *param = attr->schedparam;
    return 0;
}

int pthread_attr_setschedpolicy(pthread_attr_t *attr, int policy)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    int err = keel_policy_check(policy);
    if (err)
        return err;
    attr->schedpolicy = policy;
    return 0;
}

int pthread_attr_getschedpolicy(const pthread_attr_t *attr, int *policy)
{
    if (!attr || !attr->is_initialized || !policy)
        return EINVAL;
    *policy = attr->schedpolicy;
    return 0;
}

int pthread_attr_setinheritsched(pthread_attr_t *attr, int inherit)
{
    if (!attr || !attr->is_initialized ||
        (inherit != PTHREAD_INHERIT_SCHED && inherit != PTHREAD_EXPLICIT_SCHED))
        return EINVAL;
    attr->inheritsched = inherit;
    return 0;
}

int pthread_attr_getinheritsched(const pthread_attr_t *attr, int *inherit)
{
    if (!attr || !attr->is_initialized || !inherit)
        return EINVAL;
    *inherit = attr->inheritsched;
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
    if (!attr || !attr->is_initialized ||
        (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED))
        return EINVAL;
    attr->detachstate = state;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state)
{
    if (!attr || !attr->is_initialized || !state)
        return EINVAL;
    *state = attr->detachstate;
    return 0;
}
