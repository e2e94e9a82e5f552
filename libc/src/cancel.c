/*
 * Thread cancellation and cleanup handlers (POSIX pthread_cancel,
 * pthread_setcancelstate, pthread_setcanceltype, pthread_testcancel,
 * pthread_cleanup_push/pop).
 *
 * Each thread's control block (struct keel_tcb) carries its cancel word
 * (KEEL_CANCEL_* bits: state, type, a request pending, acting) and its
 * stack of cleanup handlers (newlib's struct _pthread_cleanup_context,
 * linked through _previous, pushed by the pthread_cleanup_push macro).
 * Only the thread itself touches its handler stack; the cancel word is
 * changed with atomic operations, by the thread and by pthread_cancel.
 *
 * A request is acted upon (pthread_exit(PTHREAD_CANCELED): the handlers
 * run, innermost first) when the target has cancellation enabled and
 * reaches a cancellation point: pthread_testcancel, pthread_join, read,
 * write, nanosleep, sleep, usleep, clock_nanosleep, waitpid, fsync,
 * fdatasync, sem_wait, sem_timedwait, pthread_cond_wait,
 * pthread_cond_timedwait (libc's wrappers call __keel_cancel_point
 * before they block and again when the call was interrupted; a condition
 * wait relocks its mutex first, through the control block's cv_unwind),
 * or when it
 * enables cancellation with the asynchronous type while a request is pending.
 * Waking the target: pthread_cancel also sends it KEEL_SIGCANCEL, whose
 * handler (installed with the first request) interrupts a blocking call:
 * the call returns -EINTR and its wrapper acts. The handler acts itself
 * when the thread has the asynchronous type (anywhere), or when it
 * interrupted a cancellation point between the check and its ecall
 * (cancel_entry.S), so a request arriving there is not lost.
 *
 * reg_tab maps a thread slot to the live thread's control block, so
 * pthread_cancel can find its target; pthread_create enters each thread
 * before returning its pthread_t (pthread.c), the thread replaces itself
 * with REG_EXITED in pthread_exit before its block is freed, and
 * pthread_join clears that once the slot is free (a request for an
 * exited thread not yet joined succeeds and does nothing; for a slot
 * with no thread it is ESRCH). Lock: reg_lock (a futex word lock, held
 * only for the table access).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <keel/cap.h>

#include "internal.h"

#define REG_EXITED ((struct keel_tcb *)1)

static uint32_t reg_lock;
static struct keel_tcb *reg_tab[CAP_THREAD_SLOTS] = {&__keel_main_tcb};

static void reg_take(uint32_t self)
{
    if (!keel_cas_acq(&reg_lock, 0, self))
        __keel_word_lock_slow(&reg_lock, self, NULL);
}

static void reg_drop(uint32_t self)
{
    if (!keel_cas_rel(&reg_lock, self, 0))
        __keel_word_unlock_slow(&reg_lock);
}

static int reg_index(long slot)
{
    long i = slot - CAP_THREAD_SLOT_BASE;
    return i >= 0 && i < CAP_THREAD_SLOTS ? (int)i : -1;
}

void __keel_cancel_register(long slot, struct keel_tcb *t)
{
    int i = reg_index(slot);
    if (i < 0)
        return;
    uint32_t self = keel_self_id();
    reg_take(self);
    reg_tab[i] = t;
    reg_drop(self);
}

void __keel_cancel_unregister(struct keel_tcb *t, uint32_t self)
{
    int i = reg_index(t->slot);
    if (i < 0)
        return;
    reg_take(self);
    if (reg_tab[i] == t)
        reg_tab[i] = (__atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE) &
                      KEEL_CANCEL_DETACHED)
                         ? NULL /* its slot is freed at once */
                         : REG_EXITED;
    reg_drop(self);
}

void __keel_cancel_detached(long slot)
{
    int i = reg_index(slot);
    if (i < 0)
        return;
    uint32_t self = keel_self_id();
    reg_take(self);
    struct keel_tcb *t = reg_tab[i];
    if (t == REG_EXITED)
        reg_tab[i] = NULL; /* the kernel freed the slot */
    else if (t)
        __atomic_or_fetch(&t->cancel, KEEL_CANCEL_DETACHED, __ATOMIC_ACQ_REL);
    reg_drop(self);
}

/* pthread_getattr_np: fills a (pthread.c) from the live thread in slot
 * while reg_lock keeps its block allocated; ESRCH if there is none. */
int __keel_thread_attr_of(long slot, pthread_attr_t *a)
{
    int i = reg_index(slot);
    if (i < 0)
        return ESRCH;
    uint32_t self = keel_self_id();
    reg_take(self);
    struct keel_tcb *t = reg_tab[i];
    int err = ESRCH;
    if (t && t != REG_EXITED) {
        __keel_thread_attr(t, slot, a);
        err = 0;
    }
    reg_drop(self);
    return err;
}

void __keel_cancel_forget(long slot)
{
    int i = reg_index(slot);
    if (i < 0)
        return;
    uint32_t self = keel_self_id();
    reg_take(self);
    if (reg_tab[i] == REG_EXITED)
        reg_tab[i] = NULL;
    reg_drop(self);
}

/* Runs and pops every cleanup handler, innermost first (pthread_exit). */
void __keel_cleanup_run_all(struct keel_tcb *t)
{
    struct _pthread_cleanup_context *c;
    while ((c = t->cleanup) != NULL) {
        t->cleanup = c->_previous;
        c->_routine(c->_arg);
    }
}

static void __attribute__((noreturn)) cancel_act(struct keel_tcb *t)
{
    /* Handlers run with cancellation off, so one that reaches a
     * cancellation point does not start the exit again. */
    __atomic_or_fetch(&t->cancel, KEEL_CANCEL_ACTING | KEEL_CANCEL_DISABLE,
                      __ATOMIC_ACQ_REL);
    /* Acting inside a condition wait: the mutex is relocked first. */
    void (*unwind)(struct keel_tcb *) = t->cv_unwind;
    if (unwind) {
        t->cv_unwind = NULL;
        unwind(t);
    }
    pthread_exit(PTHREAD_CANCELED);
}

static int cancel_due(uint32_t c)
{
    return (c & (KEEL_CANCEL_PENDING | KEEL_CANCEL_DISABLE |
                 KEEL_CANCEL_ACTING)) == KEEL_CANCEL_PENDING;
}

/* cancel_entry.S: the window in which a cancellation point has checked
 * for a request but not yet made its call. */
extern const char __keel_cp_begin[], __keel_cp_ecall[];
void __keel_sigreturn(void); /* sigreturn.S */

static void cancel_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    struct keel_tcb *t = keel_tcb();
    uint32_t c = __atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE);
    if (!cancel_due(c))
        return;
    uintptr_t pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.__pc;
    if ((c & KEEL_CANCEL_ASYNC) ||
        (pc >= (uintptr_t)__keel_cp_begin && pc <= (uintptr_t)__keel_cp_ecall))
        cancel_act(t);
    /* Else deferred: the interrupted call returns EINTR and its wrapper
     * acts, or the thread acts at its next cancellation point. */
}

/* 0 not yet, 1 being installed, 2 installed (then for good). */
static uint32_t sig_state;

static void cancel_signal_install(void)
{
    if (__atomic_load_n(&sig_state, __ATOMIC_ACQUIRE) == 2)
        return;
    if (keel_cas_acq(&sig_state, 0, 1)) {
        /* The raw call, not sigaction(): libc's signal.o would clash with
         * newlib's signal() and raise() in programs that use abort(). No
         * SA_RESTART: interrupted calls return EINTR. */
        struct keel_sigaction k = {
            .handler = (uint64_t)(uintptr_t)cancel_signal,
            .flags = KEEL_SA_SIGINFO,
            .mask = 0,
            .restorer = (uint64_t)(uintptr_t)__keel_sigreturn,
        };
        keel_sc3(SYS_sigaction, KEEL_SIGCANCEL, (long)&k, 0);
        __atomic_store_n(&sig_state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&sig_state, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
}

void __keel_cancel_point(void)
{
    struct keel_tcb *t = keel_tcb();
    if (cancel_due(__atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE)))
        cancel_act(t);
}

void pthread_testcancel(void)
{
    __keel_cancel_point();
}

int pthread_cancel(pthread_t thread)
{
    struct keel_tcb *me = keel_tcb();
    /* Before any request exists: the cancellation points reach this file
     * only through the hook (internal.h). */
    __atomic_store_n(&__keel_cancel_hook, __keel_cancel_point,
                     __ATOMIC_RELEASE);
    if (thread == pthread_self()) {
        uint32_t c = __atomic_or_fetch(&me->cancel, KEEL_CANCEL_PENDING,
                                       __ATOMIC_ACQ_REL);
        if (cancel_due(c) && (c & KEEL_CANCEL_ASYNC))
            cancel_act(me);
        return 0;
    }
    int i = reg_index((long)thread);
    if (i < 0)
        return ESRCH;
    cancel_signal_install();
    uint32_t self = keel_self_id();
    int rc = ESRCH;
    reg_take(self);
    struct keel_tcb *t = reg_tab[i];
    if (t && t != REG_EXITED) {
        __atomic_or_fetch(&t->cancel, KEEL_CANCEL_PENDING, __ATOMIC_ACQ_REL);
        /* Under reg_lock: the target cannot leave the table, so its slot
         * still names it (no other thread gets the signal). */
        long tok = keel_sc2(SYS_cap_get_token, (long)thread, CAP_TYPE_THREAD);
        if (tok >= 0)
            keel_sc2(SYS_thread_kill, tok, KEEL_SIGCANCEL);
    }
    if (t)
        rc = 0; /* an exited thread: nothing left to do */
    reg_drop(self);
    return rc;
}

int pthread_setcancelstate(int state, int *oldstate)
{
    if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
        return EINVAL;
    struct keel_tcb *t = keel_tcb();
    uint32_t c = __atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE), n;
    do {
        n = state == PTHREAD_CANCEL_DISABLE ? c | KEEL_CANCEL_DISABLE
                                            : c & ~KEEL_CANCEL_DISABLE;
    } while (!__atomic_compare_exchange_n(&t->cancel, &c, n, 0,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    if (oldstate)
        *oldstate = (c & KEEL_CANCEL_DISABLE) ? PTHREAD_CANCEL_DISABLE
                                              : PTHREAD_CANCEL_ENABLE;
    if (cancel_due(n) && (n & KEEL_CANCEL_ASYNC))
        cancel_act(t);
    return 0;
}

int pthread_setcanceltype(int type, int *oldtype)
{
    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return EINVAL;
    struct keel_tcb *t = keel_tcb();
    uint32_t c = __atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE), n;
    do {
        n = type == PTHREAD_CANCEL_ASYNCHRONOUS ? c | KEEL_CANCEL_ASYNC
                                                : c & ~KEEL_CANCEL_ASYNC;
    } while (!__atomic_compare_exchange_n(&t->cancel, &c, n, 0,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    if (oldtype)
        *oldtype = (c & KEEL_CANCEL_ASYNC) ? PTHREAD_CANCEL_ASYNCHRONOUS
                                           : PTHREAD_CANCEL_DEFERRED;
    if (cancel_due(n) && (n & KEEL_CANCEL_ASYNC))
        cancel_act(t);
    return 0;
}

void _pthread_cleanup_push(struct _pthread_cleanup_context *ctx,
                           void (*routine)(void *), void *arg)
{
    struct keel_tcb *t = keel_tcb();
    ctx->_routine = routine;
    ctx->_arg = arg;
    ctx->_canceltype = 0;
    ctx->_previous = t->cleanup;
    t->cleanup = ctx;
}

void _pthread_cleanup_pop(struct _pthread_cleanup_context *ctx, int execute)
{
    struct keel_tcb *t = keel_tcb();
    t->cleanup = ctx->_previous;
    if (execute)
        ctx->_routine(ctx->_arg);
}
