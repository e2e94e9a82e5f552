/*
 * pthread condition variables (docs/posix.md; the type is Keel's,
 * <sys/_pthreadtypes.h>).
 *
 * In-process (the default): __seq is a futex word. A waiter reads it,
 * counts itself in __waiters, unlocks the mutex and sleeps in FUTEX_WAIT
 * on the value it read; signal and broadcast advance __seq and, if
 * anyone waits, FUTEX_WAKE one or all. A signal between the read and the
 * sleep changes __seq, so the sleep returns at once: no wake-up is lost.
 * __waiters counts the threads inside a wait, from before the mutex is
 * released until the futex call returned (cond_leave, its one touch of
 * the condvar after a wake-up). Destroy (POSIX: safe once no thread is
 * blocked, so right after a broadcast) sets CW_DESTROY there, advances
 * __seq so no waiter that looked at it before can fall asleep, and
 * FUTEX_WAKEs the sleepers: if there were any, threads were blocked and
 * destroy fails with EBUSY (they had a spurious wake-up). Otherwise every
 * thread still counted is on its way out of its wait, running (woken by
 * the broadcast, or just now by the sequence step) with nothing left
 * to block on before cond_leave: destroy sleeps on __waiters until the
 * last of them has left, which wakes it; so a condvar destroyed and freed
 * right after a broadcast is never written to again. A wait that begins
 * while CW_DESTROY is set fails with EINVAL (a destroy racing a wait is
 * undefined; this keeps destroy's wait bounded).
 * The futex queue wakes the highest-priority waiter first. Waking more
 * than one thread on a signal now and then is allowed (POSIX: "at least
 * one"), as are spurious wake-ups. The mutex is relocked with
 * pthread_mutex_lock after the wait, whatever its kind: a PI mutex
 * through KEEL_FUTEX_LOCK_PI, so once woken, waiters block on it with
 * priority inheritance as any locker does (there is no requeue: after a
 * broadcast every waiter contends for the mutex).
 *
 * Process-shared (pthread_condattr_setpshared): a kernel condvar object
 * (SYS_cond) in __slot. With a kernel mutex (process-shared or robust)
 * the kernel releases the mutex and queues the waiter atomically; with
 * an in-process mutex the kernel's sequence plays __seq's part, and the
 * waiter is counted in __waiters from after SEQ until WAIT returned, so
 * destroy (which closes the slot) waits for one that a broadcast found
 * between the two (cond_destroy_kobj); a woken waiter in the kernel keeps
 * the object alive by its own reference.
 *
 * Clocks: pthread_cond_timedwait's time is absolute on the condvar's
 * clock (pthread_condattr_setclock: CLOCK_REALTIME, the default, or
 * CLOCK_MONOTONIC).
 *
 * No lock of its own: __seq and __waiters are atomic, the rest is set
 * at initialisation.
 */
#include <keel/obj.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "internal.h"

#define C_MONO 0x1u /* timed waits on CLOCK_MONOTONIC */
#define C_KOBJ 0x2u /* a kernel condvar in __slot */

/* ---- attributes ---- */

int pthread_condattr_init(pthread_condattr_t *a)
{
    if (!a)
        return EINVAL;
    *a = (pthread_condattr_t){1, CLOCK_REALTIME, PTHREAD_PROCESS_PRIVATE};
    return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
    if (!a || !a->is_initialized)
        return EINVAL;
    a->is_initialized = 0;
    return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
    if (!a || !a->is_initialized ||
        (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC))
        return EINVAL;
    a->clock = (int)clock;
    return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *restrict a,
                              clockid_t *restrict clock)
{
    if (!a || !a->is_initialized || !clock)
        return EINVAL;
    *clock = (clockid_t)a->clock;
    return 0;
}

int pthread_condattr_setpshared(pthread_condattr_t *a, int pshared)
{
    if (!a || !a->is_initialized ||
        (pshared != PTHREAD_PROCESS_PRIVATE &&
         pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int pthread_condattr_getpshared(const pthread_condattr_t *a, int *pshared)
{
    if (!a || !a->is_initialized || !pshared)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

/* ---- init, destroy, attach ---- */

#define CW_DESTROY 0x80000000u /* __waiters: a destroy waits for the rest */
#define CW_COUNT 0x7fffffffu   /* __waiters: the threads inside a wait */

static long cv_call(long op, int slot, long a, long b, long c)
{
    return keel_sc5(SYS_cond, op, slot, a, b, c);
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
    if (!c || (a && !a->is_initialized))
        return EINVAL;
    uint32_t kind = a && a->clock == CLOCK_MONOTONIC ? C_MONO : 0;
    int slot = -1;
    if (a && a->pshared == PTHREAD_PROCESS_SHARED) {
        long r = cv_call(KEEL_COND_CREATE, 0,
                         kind & C_MONO ? KEEL_CLOCKSEL_MONOTONIC
                                       : KEEL_CLOCKSEL_REALTIME,
                         KEEL_COND_F_GRANT, 0);
        if (r < 0)
            return keel_err(r); /* EAGAIN: out of objects or slots */
        kind |= C_KOBJ;
        slot = (int)r;
    }
    *c = (pthread_cond_t){0, kind, slot, 0};
    return 0;
}

int keel_cond_attach(pthread_cond_t *c, int slot)
{
    if (!c)
        return EINVAL;
    long r = cv_call(KEEL_COND_INFO, slot, 0, 0, 0);
    if (r < 0)
        return keel_err(r);
    uint32_t kind = C_KOBJ | (r == KEEL_CLOCKSEL_MONOTONIC ? C_MONO : 0);
    *c = (pthread_cond_t){0, kind, slot, 0};
    return 0;
}

int keel_cond_slot(const pthread_cond_t *c)
{
    return c && (c->__kind & C_KOBJ) ? c->__slot : -1;
}

/* A thread leaves its wait: the last one out wakes a destroy waiting
 * for that. After the decrement the condvar may be destroyed and its
 * memory reused: the wake-up names the address only (a spurious wake-up
 * at worst for whatever lives there then). */
static void cond_leave(pthread_cond_t *c)
{
    uint32_t old = __atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_ACQ_REL);
    if (old == (CW_DESTROY | 1))
        keel_futex(&c->__waiters, KEEL_FUTEX_WAKE, 1, NULL);
}

/* Destroy, CW_DESTROY set and no waiter left blocked: sleeps until every
 * counted thread has left its wait (the last one out wakes it). */
static void cond_drain(pthread_cond_t *c)
{
    for (;;) {
        uint32_t v = __atomic_load_n(&c->__waiters, __ATOMIC_ACQUIRE);
        if (!(v & CW_COUNT))
            return;
        /* Not a cancellation point (destroy is none): a plain futex. */
        keel_futex(&c->__waiters, KEEL_FUTEX_WAIT, v, NULL);
    }
}

/* The in-process condvar's destroy (the header comment): 0 or EBUSY. */
static int cond_destroy_local(pthread_cond_t *c)
{
    if (!(__atomic_load_n(&c->__waiters, __ATOMIC_ACQUIRE) & CW_COUNT))
        return 0;
    __atomic_fetch_or(&c->__waiters, CW_DESTROY, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&c->__seq, 1, __ATOMIC_ACQ_REL);
    if (keel_futex(&c->__seq, KEEL_FUTEX_WAKE, 0x7fffffff, NULL) > 0) {
        __atomic_fetch_and(&c->__waiters, ~CW_DESTROY, __ATOMIC_ACQ_REL);
        return EBUSY; /* they were blocked: destroying is not safe */
    }
    cond_drain(c);
    return 0;
}

/* A kernel condvar's destroy: its waiters of this process that use an
 * in-process mutex are counted in __waiters as an in-process condvar's
 * are (between SEQ and WAIT they still need the slot); BROADCAST (which
 * advances the sequence, so they do not block) says how many it woke
 * that were blocked. Then DESTROY closes the slot (EBUSY while a waiter
 * of any process is queued). 0 or the error. */
static int cond_destroy_kobj(pthread_cond_t *c)
{
    if (__atomic_load_n(&c->__waiters, __ATOMIC_ACQUIRE) & CW_COUNT) {
        __atomic_fetch_or(&c->__waiters, CW_DESTROY, __ATOMIC_ACQ_REL);
        long n = cv_call(KEEL_COND_BROADCAST, c->__slot, 0, 0, 0);
        if (n != 0) {
            __atomic_fetch_and(&c->__waiters, ~CW_DESTROY, __ATOMIC_ACQ_REL);
            return n > 0 ? EBUSY : keel_err(n);
        }
        cond_drain(c);
    }
    long r = cv_call(KEEL_COND_DESTROY, c->__slot, 0, 0, 0);
    __atomic_fetch_and(&c->__waiters, ~CW_DESTROY, __ATOMIC_ACQ_REL);
    return keel_err(r);
}

int pthread_cond_destroy(pthread_cond_t *c)
{
    if (!c)
        return EINVAL;
    int r = c->__kind & C_KOBJ ? cond_destroy_kobj(c) : cond_destroy_local(c);
    if (r)
        return r;
    *c = (pthread_cond_t){0, 0, -1, 0};
    return 0;
}

/* ---- signal, broadcast ---- */

static int cond_wake(pthread_cond_t *c, bool all)
{
    if (!c)
        return EINVAL;
    if (c->__kind & C_KOBJ)
        return keel_err(cv_call(all ? KEEL_COND_BROADCAST : KEEL_COND_SIGNAL,
                                c->__slot, 0, 0, 0));
    __atomic_fetch_add(&c->__seq, 1, __ATOMIC_ACQ_REL);
    if (__atomic_load_n(&c->__waiters, __ATOMIC_ACQUIRE))
        keel_futex(&c->__seq, KEEL_FUTEX_WAKE, all ? 0x7fffffff : 1, NULL);
    return 0;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    return cond_wake(c, false);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    return cond_wake(c, true);
}

/* ---- wait ---- */

/* Does the caller hold m? (EPERM otherwise, checked before waiting.) */
static bool mutex_held(const pthread_mutex_t *m)
{
    if (m->__kind & K_KOBJ)
        return true; /* the kernel or the unlock says */
    uint32_t v = __atomic_load_n(&m->__word, __ATOMIC_RELAXED);
    return (v & KEEL_FUTEX_TID_MASK) == keel_self_id();
}

/* Relocks m after a wait; the wait's own result unless the relock
 * reports the owner's death (the lock is held then) or fails. */
static int relock(pthread_mutex_t *m, uint32_t count, int waited)
{
    int r = pthread_mutex_lock(m);
    if (r && r != EOWNERDEAD)
        return r;
    m->__count = count;
    return r ? r : waited;
}

/*
 * Cancellation (cancel.c): both waits are cancellation points, and a
 * thread cancelled in one holds the mutex again before its first cleanup
 * handler runs. A request already due acts before the mutex is released;
 * one that comes during the wait interrupts it (-EINTR), the mutex is
 * relocked and the request acts; one that comes after the release but
 * before the system call is caught by the cancellation point's check or
 * by the cancellation signal's handler (the call is a __keel_cp_syscall),
 * which act through cond_unwind: the wait never started, so it uncounts
 * the waiter and relocks a mutex this thread released itself (a kernel
 * mutex that the kernel releases in the call is still held then).
 */
static struct keel_tcb *cond_self(void)
{
    struct keel_tcb *t = keel_tcb();
    return t ? t : &__keel_main_tcb;
}

static int relock(pthread_mutex_t *m, uint32_t count, int waited);

static void cond_unwind(struct keel_tcb *t)
{
    /* A mutex to relock: a counted waiter (not a kernel mutex's, C1). */
    if (t->cv_mutex) {
        cond_leave(t->cv_cond);
        relock(t->cv_mutex, t->cv_count, 0);
    }
}

/* The wait's system call, as a cancellation point that unwinds. */
static long cond_cp_call(struct keel_tcb *t, pthread_cond_t *c,
                         pthread_mutex_t *relock_m, uint32_t count, long n,
                         long a0, long a1, long a2, long a3, long a4)
{
    t->cv_cond = c;
    t->cv_mutex = relock_m;
    t->cv_count = count;
    __atomic_store_n(&t->cv_unwind, cond_unwind, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    long w = __keel_cp_syscall(a0, a1, a2, a3, a4, 0, &t->cancel, n);
    __atomic_store_n(&t->cv_unwind, NULL, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return w;
}

/* The in-process condvar: the futex on __seq. */
static int cond_wait_futex(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct keel_timespec *abs)
{
    struct keel_tcb *t = cond_self();
    keel_cancel_point(); /* a request already due: the mutex still held */
    uint32_t seq = __atomic_load_n(&c->__seq, __ATOMIC_ACQUIRE);
    int op = KEEL_FUTEX_WAIT;
    if (abs) {
        op |= KEEL_FUTEX_ABSTIME;
        if (!(c->__kind & C_MONO))
            op |= KEEL_FUTEX_CLOCK_REALTIME;
    }
    if (__atomic_fetch_add(&c->__waiters, 1, __ATOMIC_ACQ_REL) & CW_DESTROY) {
        cond_leave(c);
        return EINVAL; /* being destroyed */
    }
    uint32_t count = m->__count; /* a recursive mutex: all of it goes */
    m->__count = 0;
    int r = pthread_mutex_unlock(m);
    if (r) {
        cond_leave(c);
        m->__count = count;
        return r;
    }
    long w = cond_cp_call(t, c, m, count, SYS_futex, (long)&c->__seq, op, seq,
                          (long)abs, 0);
    cond_leave(c); /* its last touch of c */
    r = relock(m, count, w == -ETIMEDOUT ? ETIMEDOUT : 0);
    if (w == -EINTR)
        keel_cancel_point(); /* the mutex is held again */
    return r;
}

/* The kernel condvar (C1, C2 in kernel/sync/kobj_cond.c). */
static int cond_wait_kobj(pthread_cond_t *c, pthread_mutex_t *m,
                          const struct keel_timespec *abs)
{
    struct keel_tcb *t = cond_self();
    keel_cancel_point(); /* a request already due: the mutex still held */
    long w;
    uint32_t count = 0;
    if (m->__kind & K_KOBJ) {
        /* Not yet made, the call has not released the mutex: no relock. */
        w = cond_cp_call(t, c, NULL, 0, SYS_cond, KEEL_COND_WAIT, c->__slot,
                         KMX_SLOT(m), (long)abs, 0);
        if (w == -EPERM || w == -EINVAL || w == -EFAULT || w == -EACCES)
            return (int)-w; /* refused before the mutex was released */
        if (w == -EBADF) {  /* before the release, or revoked while waiting */
            struct keel_mutex_info in;
            long q = keel_sc5(SYS_mutex, KEEL_MUTEX_INFO, KMX_SLOT(m),
                              (long)&in, 0, 0);
            if (q == 0 && in.locked == 2)
                return EBADF;
        }
        if (m->__kind & K_PP) {
            struct keel_mutex_info in;
            if (keel_sc5(SYS_mutex, KEEL_MUTEX_INFO, KMX_SLOT(m), (long)&in, 0,
                         0) == 0)
                __keel_pp_leave(in.ceiling);
        }
    } else {
        /* Counted from just after SEQ until WAIT returned, as an
         * in-process condvar's waiter is from after its read of __seq
         * (destroy waits for it: cond_destroy_kobj); the slot is read
         * once, before. A SEQ that saw destroy's BROADCAST is followed
         * by a count that sees CW_DESTROY (SEQ reads under cv->lock). */
        int slot = c->__slot;
        long seq = cv_call(KEEL_COND_SEQ, slot, 0, 0, 0);
        if (seq < 0)
            return keel_err(seq);
        if (__atomic_fetch_add(&c->__waiters, 1, __ATOMIC_ACQ_REL) &
            CW_DESTROY) {
            cond_leave(c);
            return EINVAL; /* being destroyed */
        }
        count = m->__count;
        m->__count = 0;
        int r = pthread_mutex_unlock(m);
        if (r) {
            cond_leave(c);
            m->__count = count;
            return r;
        }
        w = cond_cp_call(t, c, m, count, SYS_cond, KEEL_COND_WAIT, slot, -1,
                         (long)abs, seq);
        cond_leave(c); /* its last touch of c */
    }
    int waited = 0;
    if (w == -ETIMEDOUT)
        waited = ETIMEDOUT;
    else if (w == -EBADF)
        waited = EBADF;
    /* 0, or -EINTR (a handler ran): a spurious wake-up */
    int r = relock(m, count, waited);
    if (w == -EINTR)
        keel_cancel_point(); /* the mutex is held again */
    return r;
}

static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                     const struct timespec *abs)
{
    if (!c || !m)
        return EINVAL;
    struct keel_timespec ts, *tsp = NULL;
    if (abs) {
        if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)
            return EINVAL;
        ts = (struct keel_timespec){abs->tv_sec < 0 ? 0 : abs->tv_sec,
                                    abs->tv_sec < 0 ? 0 : abs->tv_nsec};
        tsp = &ts;
    }
    if (!mutex_held(m))
        return EPERM;
    if (c->__kind & C_KOBJ)
        return cond_wait_kobj(c, m, tsp);
    return cond_wait_futex(c, m, tsp);
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(c, m, NULL);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abs)
{
    if (!abs)
        return EINVAL;
    return cond_wait(c, m, abs);
}
