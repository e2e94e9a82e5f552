/*
 * Process-shared and robust pthread mutexes: kernel mutex objects
 * (SYS_mutex, docs/syscalls.md "Kernel objects"), reached through a cap
 * slot kept in the pthread_mutex_t (__word = KMX_MARK | slot, __kind has
 * K_KOBJ; internal.h). mutex.c's fast paths never match such a word and
 * send every call here. Every lock and unlock is a system call: the
 * kernel holds the owner, recursion count, waiters (priority-ordered,
 * priority inheritance for PTHREAD_PRIO_INHERIT) and the robust state.
 * PTHREAD_PRIO_PROTECT's ceiling is read from the object at each lock
 * and applied here as for in-process mutexes (mutex.c).
 *
 * Also the attributes that choose this (robust, pshared),
 * pthread_mutex_consistent and the Keel calls of <keel/obj.h>.
 *
 * No locks of its own: the pthread_mutex_t's fields are written at
 * initialisation (or attach) only.
 */
#include <keel/obj.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "internal.h"

static long kmx_call(long op, int slot, long a, long b)
{
    return keel_sc5(SYS_mutex, op, slot, a, b, 0);
}

/* ---- attributes ---- */

int pthread_mutexattr_setrobust(pthread_mutexattr_t *a, int robust)
{
    if (!a || !a->is_initialized ||
        (robust != PTHREAD_MUTEX_STALLED && robust != PTHREAD_MUTEX_ROBUST))
        return EINVAL;
    a->robust = robust;
    return 0;
}

int pthread_mutexattr_getrobust(const pthread_mutexattr_t *a, int *robust)
{
    if (!a || !a->is_initialized || !robust)
        return EINVAL;
    *robust = a->robust;
    return 0;
}

int pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
    if (!a || !a->is_initialized ||
        (pshared != PTHREAD_PROCESS_PRIVATE &&
         pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int pthread_mutexattr_getpshared(const pthread_mutexattr_t *a, int *pshared)
{
    if (!a || !a->is_initialized || !pshared)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

/* ---- the object ---- */

/* libc's type bits <-> the kernel's (DEFAULT: errorcheck, as in-process). */
static uint32_t kind_to_kernel(uint32_t kind)
{
    static const uint32_t ty[] = {
        [K_DEFAULT] = KEEL_MUTEX_ERRORCHECK,
        [K_NORMAL] = KEEL_MUTEX_NORMAL,
        [K_ERRORCHECK] = KEEL_MUTEX_ERRORCHECK,
        [K_RECURSIVE] = KEEL_MUTEX_RECURSIVE,
    };
    uint32_t f = ty[kind & K_TYPE];
    if (kind & K_PI)
        f |= KEEL_MUTEX_PROTO_INHERIT;
    if (kind & K_PP)
        f |= KEEL_MUTEX_PROTO_PROTECT;
    if (kind & K_ROBUST)
        f |= KEEL_MUTEX_F_ROBUST;
    if (kind & K_MX_PSHARED)
        f |= KEEL_MUTEX_F_GRANT;
    return f;
}

int __keel_kmx_init(pthread_mutex_t *m, const pthread_mutexattr_t *a,
                    uint32_t kind)
{
    kind |= K_KOBJ;
    if (a->robust == PTHREAD_MUTEX_ROBUST)
        kind |= K_ROBUST;
    if (a->pshared == PTHREAD_PROCESS_SHARED)
        kind |= K_MX_PSHARED;
    long slot =
        kmx_call(KEEL_MUTEX_CREATE, 0, kind_to_kernel(kind), a->prio_ceiling);
    if (slot < 0)
        return keel_err(slot); /* EAGAIN: out of objects or slots */
    *m = (pthread_mutex_t){KMX_MARK | (uint32_t)slot, kind, 0, a->prio_ceiling};
    return 0;
}

int keel_mutex_attach(pthread_mutex_t *m, int slot)
{
    if (!m)
        return EINVAL;
    struct keel_mutex_info in;
    long r = kmx_call(KEEL_MUTEX_INFO, slot, (long)&in, 0);
    if (r < 0)
        return keel_err(r);
    static const uint32_t ty[] = {
        [KEEL_MUTEX_NORMAL] = K_NORMAL,
        [KEEL_MUTEX_ERRORCHECK] = K_ERRORCHECK,
        [KEEL_MUTEX_RECURSIVE] = K_RECURSIVE,
    };
    uint32_t kind = K_KOBJ | ty[in.flags & KEEL_MUTEX_TYPE_MASK];
    uint32_t proto = in.flags & KEEL_MUTEX_PROTO_MASK;
    if (proto == KEEL_MUTEX_PROTO_INHERIT)
        kind |= K_PI;
    if (proto == KEEL_MUTEX_PROTO_PROTECT)
        kind |= K_PP;
    if (in.flags & KEEL_MUTEX_F_ROBUST)
        kind |= K_ROBUST;
    *m = (pthread_mutex_t){KMX_MARK | (uint32_t)slot, kind, 0, in.ceiling};
    return 0;
}

int keel_mutex_slot(const pthread_mutex_t *m)
{
    return m && (m->__kind & K_KOBJ) ? KMX_SLOT(m) : -1;
}

int __keel_kmx_destroy(pthread_mutex_t *m)
{
    long r = kmx_call(KEEL_MUTEX_DESTROY, KMX_SLOT(m), 0, 0);
    if (r < 0)
        return keel_err(r);
    *m = (pthread_mutex_t){0, 0, 0, 0};
    return 0;
}

static int kmx_info(const pthread_mutex_t *m, struct keel_mutex_info *in)
{
    return keel_err(kmx_call(KEEL_MUTEX_INFO, KMX_SLOT(m), (long)in, 0));
}

/*
 * lock, timedlock (abs: CLOCK_REALTIME, checked by the kernel only when
 * the call would block) and trylock. The kernel's -EINTR (a signal
 * handler ran) is retried: pthread_mutex_lock never fails with EINTR.
 * PRIO_PROTECT: the ceiling is entered unless the caller holds the mutex
 * already (a recursive relock, or EDEADLK).
 */
__attribute__((noinline)) int
__keel_kmx_lock_general(pthread_mutex_t *m, const struct timespec *abs, int try,
                        long r)
{
    struct keel_mutex_info in = {0};
    bool pp = false;
    int err;
    struct keel_timespec ts, *tsp = NULL;
    if (abs) {
        ts = (struct keel_timespec){abs->tv_sec, abs->tv_nsec};
        tsp = &ts;
    }
    if (r > 0 && (m->__kind & K_PP)) {
        err = kmx_info(m, &in);
        if (!err && in.locked != 2) {
            err = __keel_pp_enter(in.ceiling);
            pp = !err;
        }
        if (err)
            return err;
    }
    while (r > 0 || r == -EINTR)
        r = kmx_call(try ? KEEL_MUTEX_TRYLOCK : KEEL_MUTEX_LOCK, KMX_SLOT(m),
                     (long)tsp, KEEL_CLOCKSEL_REALTIME);
    if (r == -EDEADLK && !try && (m->__kind & K_TYPE) == K_NORMAL) {
        /* A normal mutex relocked by its owner deadlocks, as POSIX says
         * (not a PI chain, which the kernel refuses the same way). */
        struct keel_mutex_info me;
        if (kmx_info(m, &me) == 0 && me.locked == 2) {
            if (tsp && (tsp->tv_nsec < 0 || tsp->tv_nsec >= 1000000000))
                r = -EINVAL;
            else
                r = -__keel_mutex_deadlock(tsp);
        }
    }
    err = r == -EOWNERDEAD ? EOWNERDEAD : keel_err(r);
    if (err && err != EOWNERDEAD && pp)
        __keel_pp_leave(in.ceiling);
    return err;
}

/* The common case first (internal.h): one system call; r > 0 tells the
 * general path that no attempt was made yet. */
int __keel_kmx_lock_plain(pthread_mutex_t *m)
{
    return __keel_kmx_lock_call(m);
}

int __keel_kmx_lock(pthread_mutex_t *m, const struct timespec *abs, int try)
{
    if (!abs && !try && !(m->__kind & K_PP))
        return __keel_kmx_lock_call(m);
    return __keel_kmx_lock_general(m, abs, try, 1);
}

int __keel_kmx_unlock(pthread_mutex_t *m)
{
    if (!(m->__kind & K_PP))
        return keel_err(keel_sc2(SYS_mutex, KEEL_MUTEX_UNLOCK, KMX_SLOT(m)));
    struct keel_mutex_info in;
    if (kmx_info(m, &in))
        return EINVAL;
    long r = kmx_call(KEEL_MUTEX_UNLOCK, KMX_SLOT(m), 0, 0);
    if (r < 0)
        return keel_err(r);
    struct keel_mutex_info now;
    /* Still held (recursive): the ceiling stays. */
    if (kmx_info(m, &now) == 0 && now.locked != 2)
        __keel_pp_leave(in.ceiling);
    return 0;
}

int pthread_mutex_consistent(pthread_mutex_t *m)
{
    if (!m || !(m->__kind & K_KOBJ))
        return EINVAL; /* in-process mutexes are never robust */
    return keel_err(kmx_call(KEEL_MUTEX_CONSISTENT, KMX_SLOT(m), 0, 0));
}

int __keel_kmx_getceiling(const pthread_mutex_t *m, int *ceiling)
{
    struct keel_mutex_info in;
    int err = kmx_info(m, &in);
    if (!err)
        *ceiling = in.ceiling;
    return err;
}

int __keel_kmx_setceiling(pthread_mutex_t *m, int ceiling, int *old)
{
    long r = kmx_call(KEEL_MUTEX_SETCEIL, KMX_SLOT(m), ceiling, 0);
    if (r < 0)
        return keel_err(r);
    struct keel_mutex_info in;
    if (kmx_info(m, &in) == 0 && in.locked == 2)
        __keel_pp_receil((int)r, ceiling);
    m->__ceiling = ceiling;
    if (old)
        *old = (int)r;
    return 0;
}
