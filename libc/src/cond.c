/*
 * pthread condition variables (docs/posix.md; the type is Keel's,
 * <sys/_pthreadtypes.h>).
 *
 * In-process (the default): __seq is a futex word. A waiter reads it,
 * counts itself in __waiters, unlocks the mutex and sleeps in FUTEX_WAIT
 * on the value it read; signal and broadcast advance __seq and, if
 * anyone waits, FUTEX_WAKE one or all. A signal between the read and the
 * sleep changes __seq, so the sleep returns at once: no wake-up is lost.
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
 * an in-process mutex the kernel's sequence plays __seq's part.
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

int pthread_cond_destroy(pthread_cond_t *c)
{
    if (!c)
        return EINVAL;
    if (c->__kind & C_KOBJ) {
        long r = cv_call(KEEL_COND_DESTROY, c->__slot, 0, 0, 0);
        if (r < 0)
            return keel_err(r);
    } else if (__atomic_load_n(&c->__waiters, __ATOMIC_ACQUIRE)) {
        return EBUSY;
    }
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
    pthread_cond_t *c = t->cv_cond;
    if (!(c->__kind & C_KOBJ))
        __atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_ACQ_REL);
    if (t->cv_mutex)
        relock(t->cv_mutex, t->cv_count, 0);
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
    uint32_t count = m->__count; /* a recursive mutex: all of it goes */
    m->__count = 0;
    __atomic_fetch_add(&c->__waiters, 1, __ATOMIC_ACQ_REL);
    int r = pthread_mutex_unlock(m);
    if (r) {
        __atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_ACQ_REL);
        m->__count = count;
        return r;
    }
    long w = cond_cp_call(t, c, m, count, SYS_futex, (long)&c->__seq, op, seq,
                          (long)abs, 0);
    __atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_ACQ_REL);
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
        long seq = cv_call(KEEL_COND_SEQ, c->__slot, 0, 0, 0);
        if (seq < 0)
            return keel_err(seq);
        count = m->__count;
        m->__count = 0;
        int r = pthread_mutex_unlock(m);
        if (r) {
            m->__count = count;
            return r;
        }
        w = cond_cp_call(t, c, m, count, SYS_cond, KEEL_COND_WAIT, c->__slot,
                         -1, (long)abs, seq);
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
