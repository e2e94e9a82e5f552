/*
 * pthread mutexes on the futex (docs/realtime.md "Mutexes in libc";
 * the type is Keel's, <sys/_pthreadtypes.h>).
 *
 * __word is a lock word (lock.c): 0 free, else the owner's lock id, with
 * KEEL_FUTEX_WAITERS while others may sleep on it. Locking and unlocking
 * an uncontended mutex is one compare-and-swap each, in user space, for
 * every type and for PTHREAD_PRIO_NONE and PTHREAD_PRIO_INHERIT alike.
 * Contended, a PRIO_NONE mutex sleeps in FUTEX_WAIT and is woken by
 * FUTEX_WAKE (lock.c); a PRIO_INHERIT one uses the kernel's
 * KEEL_FUTEX_LOCK_PI / UNLOCK_PI on the same word format, so the owner
 * inherits the priority of the threads it blocks. PRIO_PROTECT needs
 * system calls on every lock and unlock (the priority changes).
 *
 * Types: the owner is checked on every unlock (EPERM for any other
 * thread, or an unlocked mutex, whatever the type). Relocking by the
 * owner: ERRORCHECK and DEFAULT give EDEADLK, RECURSIVE counts (__count,
 * owner only), NORMAL deadlocks as POSIX says (it sleeps until killed,
 * or until pthread_mutex_timedlock's time: ETIMEDOUT).
 *
 * PRIO_PROTECT: the thread's control block keeps the ceilings of the
 * protected mutexes it holds (at most KEEL_PP_MAX); the kernel keeps the
 * highest as the thread's floor (KEEL_SCHED_PROTECT, set on every lock
 * and on an unlock that lowers it): while it holds any, it runs at the
 * higher of that and its own priority, which pthread_setschedparam may
 * change meanwhile and pthread_getschedparam reports (POSIX).
 *
 * PRIO_INHERIT (in-process): the control block counts the ones the
 * thread holds (pi_held: +1 when it takes one, -1 when it gives one
 * back; a recursive relock counts nothing), so that the kernel, which
 * never sees a mutex taken without contention, can tell that its
 * priority being set must not move it to the tail of its list (POSIX
 * pthread_mutexattr_setprotocol; abi.h KEEL_TCB_PI_HELD). The count
 * follows the compare-and-swap that takes the mutex and the one (or the
 * UNLOCK_PI) that gives it back: for those few instructions a holder is
 * uncounted (docs/posix.md). Only PRIO_INHERIT mutexes leave the
 * one-compare-and-swap paths for it: the other protocols pay nothing.
 *
 * Process-shared and robust mutexes are kernel objects (kmutex.c): their
 * __word never matches the fast paths' compare-and-swap, and the slow
 * paths send them there first (K_KOBJ).
 */
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "internal.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* __kind: internal.h (K_*). */

#define TID KEEL_FUTEX_TID_MASK

/* ---- attributes ---- */

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    if (!a)
        return EINVAL;
    *a = (pthread_mutexattr_t){1,
                               PTHREAD_MUTEX_DEFAULT,
                               PTHREAD_PRIO_NONE,
                               KEEL_PRIO_MAX,
                               PTHREAD_MUTEX_STALLED,
                               PTHREAD_PROCESS_PRIVATE};
    return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    if (!a || !a->is_initialized)
        return EINVAL;
    a->is_initialized = 0;
    return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    if (!a || !a->is_initialized || type < PTHREAD_MUTEX_NORMAL ||
        type > PTHREAD_MUTEX_DEFAULT)
        return EINVAL;
    a->type = type;
    return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type)
{
    if (!a || !a->is_initialized || !type)
        return EINVAL;
    *type = a->type;
    return 0;
}

int pthread_mutexattr_setprotocol(pthread_mutexattr_t *a, int protocol)
{
    if (!a || !a->is_initialized)
        return EINVAL;
    if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
        protocol != PTHREAD_PRIO_PROTECT)
        return ENOTSUP;
    a->protocol = protocol;
    return 0;
}

int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *a, int *protocol)
{
    if (!a || !a->is_initialized || !protocol)
        return EINVAL;
    *protocol = a->protocol;
    return 0;
}

int pthread_mutexattr_setprioceiling(pthread_mutexattr_t *a, int ceiling)
{
    if (!a || !a->is_initialized || ceiling < KEEL_PRIO_MIN ||
        ceiling > KEEL_PRIO_MAX)
        return EINVAL;
    a->prio_ceiling = ceiling;
    return 0;
}

int pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *a, int *ceiling)
{
    if (!a || !a->is_initialized || !ceiling)
        return EINVAL;
    *ceiling = a->prio_ceiling;
    return 0;
}

/* ---- init, destroy ---- */

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    if (!m || (a && !a->is_initialized))
        return EINVAL;
    static const uint32_t type_kind[] = {
        [PTHREAD_MUTEX_NORMAL] = K_NORMAL,
        [PTHREAD_MUTEX_RECURSIVE] = K_RECURSIVE,
        [PTHREAD_MUTEX_ERRORCHECK] = K_ERRORCHECK,
        [PTHREAD_MUTEX_DEFAULT] = K_DEFAULT,
    };
    uint32_t kind = a ? type_kind[a->type] : K_DEFAULT;
    if (a && a->protocol == PTHREAD_PRIO_INHERIT)
        kind |= K_PI;
    if (a && a->protocol == PTHREAD_PRIO_PROTECT)
        kind |= K_PP;
    if (a && (a->robust == PTHREAD_MUTEX_ROBUST ||
              a->pshared == PTHREAD_PROCESS_SHARED))
        return __keel_kmx_init(m, a, kind); /* kmutex.c */
    *m = (pthread_mutex_t){0, kind, 0, a ? a->prio_ceiling : KEEL_PRIO_MAX};
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    if (m->__kind & K_KOBJ)
        return __keel_kmx_destroy(m);
    if (__atomic_load_n(&m->__word, __ATOMIC_RELAXED))
        return EBUSY;
    return 0;
}

/* ---- PRIO_PROTECT: the caller's priority while it holds such mutexes ---- */

static struct keel_tcb *self_tcb(void)
{
    struct keel_tcb *t = keel_tcb();
    return t ? t : &__keel_main_tcb;
}

/* The highest ceiling t holds (0: none): the floor the kernel keeps. */
static int pp_floor(const struct keel_tcb *t)
{
    int p = 0;
    for (int i = 0; i < t->pp_n; i++)
        if (t->pp_ceiling[i] > p)
            p = t->pp_ceiling[i];
    return p;
}

static int pp_set(int floor, int flags)
{
    return keel_err(keel_sc3(SYS_thread_setschedparam, 0,
                             KEEL_SCHED_PROTECT | flags, floor));
}

/* Before taking a protected mutex: EINVAL if the caller runs above the
 * ceiling (its own priority, or a ceiling it holds), EAGAIN with
 * KEEL_PP_MAX held, EPERM if the ceiling is above the thread's own
 * ceiling (docs/syscalls.md); else the kernel runs it at the ceiling at
 * least, its own priority untouched. */
int __keel_pp_enter(int ceiling)
{
    struct keel_tcb *t = self_tcb();
    if (t->pp_n == KEEL_PP_MAX)
        return EAGAIN;
    if (pp_floor(t) > ceiling)
        return EINVAL;
    /* Every ceiling held is at most this one: the floor becomes it. */
    int err = pp_set(ceiling, KEEL_SCHED_PROTECT_ENTER);
    if (err)
        return err;
    t->pp_ceiling[t->pp_n++] = ceiling;
    return 0;
}

/* After giving one back (or failing to take it): drop its ceiling. */
void __keel_pp_leave(int ceiling)
{
    struct keel_tcb *t = self_tcb();
    int before = pp_floor(t);
    int i = t->pp_n - 1;
    while (i > 0 && t->pp_ceiling[i] != ceiling)
        i--;
    for (; i + 1 < t->pp_n; i++)
        t->pp_ceiling[i] = t->pp_ceiling[i + 1];
    t->pp_n--;
    int after = pp_floor(t);
    if (after != before)
        pp_set(after, 0); /* a lower floor is never refused */
}

#define pp_enter __keel_pp_enter
#define pp_leave __keel_pp_leave

/* The caller holds a protected mutex whose ceiling goes from old to
 * ceiling: its floor follows at once. EPERM (nothing changed) for a
 * floor above the thread's own ceiling. */
int __keel_pp_receil(int old, int ceiling)
{
    struct keel_tcb *t = self_tcb();
    int before = pp_floor(t);
    int i = t->pp_n - 1;
    while (i >= 0 && t->pp_ceiling[i] != old)
        i--;
    if (i < 0)
        return 0;
    t->pp_ceiling[i] = ceiling;
    int after = pp_floor(t);
    int err = after != before ? pp_set(after, 0) : 0;
    if (err)
        t->pp_ceiling[i] = old;
    return err;
}

/* ---- lock, trylock, timedlock, unlock ---- */

/* A NORMAL mutex relocked by its owner: sleep on a word nobody wakes. */
int __keel_mutex_deadlock(const struct keel_timespec *abs)
{
    uint32_t never = 0;
    int op = KEEL_FUTEX_WAIT;
    if (abs)
        op |= KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME;
    for (;;)
        if (keel_futex(&never, op, 0, abs) == -ETIMEDOUT)
            return ETIMEDOUT;
}

/* A PRIO_INHERIT mutex taken (or given back): the count the kernel reads. */
static void pi_count(int d)
{
    struct keel_tcb *t = self_tcb();
    __atomic_store_n(&t->pi_held, t->pi_held + d, __ATOMIC_RELAXED);
}

static int mutex_lock_pi(pthread_mutex_t *m, uint32_t self,
                         const struct keel_timespec *abs)
{
    int op = KEEL_FUTEX_LOCK_PI;
    if (abs)
        op |= KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME;
    for (;;) {
        if (keel_cas_acq(&m->__word, 0, self))
            return 0;
        long r = keel_futex(&m->__word, op, 0, abs);
        if (r == 0)
            return 0;
        if (r != -EAGAIN && r != -EINTR)
            return keel_err(r); /* ETIMEDOUT, EDEADLK */
    }
}

/* The contended path of lock and timedlock; abs (CLOCK_REALTIME) is NULL
 * for lock. */
__attribute__((noinline)) static int
mutex_lock_contended(pthread_mutex_t *m, uint32_t self,
                     const struct timespec *abs)
{
    uint32_t kind = m->__kind;
    uint32_t v = __atomic_load_n(&m->__word, __ATOMIC_RELAXED);
    struct keel_timespec ts, *tsp = NULL;
    if (abs) {
        /* Checked only now that the call would block (POSIX). */
        if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)
            return EINVAL;
        ts = (struct keel_timespec){abs->tv_sec < 0 ? 0 : abs->tv_sec,
                                    abs->tv_sec < 0 ? 0 : abs->tv_nsec};
        tsp = &ts;
    }
    if ((v & TID) == self) {
        switch (kind & K_TYPE) {
        case K_RECURSIVE:
            if (m->__count == UINT32_MAX)
                return EAGAIN;
            m->__count++;
            return 0;
        case K_NORMAL:
            return __keel_mutex_deadlock(tsp);
        default:
            return EDEADLK;
        }
    }
    int r;
    if (kind & K_PP) {
        r = pp_enter(m->__ceiling);
        if (r)
            return r;
    }
    if (kind & K_PI) {
        r = mutex_lock_pi(m, self, tsp);
        if (!r)
            pi_count(1);
    } else
        r = __keel_word_lock_slow(&m->__word, self, tsp);
    if (r && (kind & K_PP))
        pp_leave(m->__ceiling);
    return r;
}

/* Not taken in user space: a kernel mutex (kmutex.c), before any frame
 * is set up, or the contended path. */
__attribute__((noinline)) static int
mutex_lock_slow(pthread_mutex_t *m, uint32_t self, const struct timespec *abs)
{
    uint32_t kind = m->__kind;
    if ((kind & (K_KOBJ | K_PP)) == K_KOBJ && !abs)
        return __keel_kmx_lock_plain(m); /* one system call (kmutex.c) */
    if (kind & K_KOBJ)
        return __keel_kmx_lock(m, abs, 0);
    return mutex_lock_contended(m, self, abs);
}

/* One test of __kind sends the exceptions to the user-space CAS aside,
 * here (ex: __kind's K_PP, K_KOBJ and K_PI bits): a ceiling to enter
 * (K_PP), a kernel mutex (K_KOBJ, whose word is never 0: no CAS would
 * take it) and an in-process PI mutex (K_PI alone: the CAS, counted). A
 * kernel mutex without a ceiling is one system call (kmutex.c, inline;
 * with K_PI too, through mutex_lock_slow: the kernel counts those
 * itself), the rest mutex_lock_slow's. */
__attribute__((noinline)) static int
mutex_lock_other(pthread_mutex_t *m, uint32_t self, uint32_t ex)
{
    if (ex == K_KOBJ)
        return __keel_kmx_lock_call(m);
    if (ex == K_PI && keel_cas_acq(&m->__word, 0, self)) {
        pi_count(1);
        return 0;
    }
    return mutex_lock_slow(m, self, NULL);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    uint32_t self = keel_self_id();
    uint32_t ex = m->__kind & (K_PP | K_KOBJ | K_PI);
    if (likely(!ex) && likely(keel_cas_acq(&m->__word, 0, self)))
        return 0;
    return mutex_lock_other(m, self, ex);
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
    if (!m || !abs)
        return EINVAL;
    uint32_t self = keel_self_id();
    uint32_t kind = m->__kind;
    if (!(kind & K_PP) && keel_cas_acq(&m->__word, 0, self)) {
        if (kind & K_PI) /* never K_KOBJ: its word is never 0 */
            pi_count(1);
        return 0; /* abs is looked at only if the call would block */
    }
    return mutex_lock_slow(m, self, abs);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    uint32_t self = keel_self_id();
    uint32_t kind = m->__kind;
    if (!(kind & K_PP) && keel_cas_acq(&m->__word, 0, self)) {
        if (kind & K_PI) /* never K_KOBJ: its word is never 0 */
            pi_count(1);
        return 0;
    }
    if (kind & K_KOBJ)
        return __keel_kmx_lock(m, NULL, 1);
    uint32_t v = __atomic_load_n(&m->__word, __ATOMIC_RELAXED);
    if ((v & TID) == self) {
        if ((kind & K_TYPE) != K_RECURSIVE)
            return EBUSY;
        if (m->__count == UINT32_MAX)
            return EAGAIN;
        m->__count++;
        return 0;
    }
    if (kind & K_PP) {
        int r = pp_enter(m->__ceiling);
        if (r)
            return r;
        if (keel_cas_acq(&m->__word, 0, self))
            return 0;
        pp_leave(m->__ceiling);
        return EBUSY;
    }
    /* A PI word whose owner died is the kernel's to give (TRYLOCK_PI). */
    if ((kind & K_PI) && v != 0 &&
        keel_futex(&m->__word, KEEL_FUTEX_TRYLOCK_PI, 0, NULL) == 0) {
        pi_count(1);
        return 0;
    }
    return EBUSY;
}

__attribute__((noinline)) static int mutex_unlock_contended(pthread_mutex_t *m,
                                                            uint32_t self)
{
    uint32_t v = __atomic_load_n(&m->__word, __ATOMIC_RELAXED);
    if ((v & TID) != self)
        return EPERM;
    if (m->__count) {
        m->__count--;
        return 0;
    }
    uint32_t kind = m->__kind;
    if (!keel_cas_rel(&m->__word, self, 0)) {
        if (kind & K_PI) {
            long r = keel_futex(&m->__word, KEEL_FUTEX_UNLOCK_PI, 0, NULL);
            if (r < 0)
                return keel_err(r);
        } else {
            __keel_word_unlock_slow(&m->__word);
        }
    }
    if (kind & K_PI)
        pi_count(-1);
    if (kind & K_PP)
        pp_leave(m->__ceiling);
    return 0;
}

__attribute__((noinline)) static int mutex_unlock_slow(pthread_mutex_t *m,
                                                       uint32_t self)
{
    if (m->__kind & K_KOBJ)
        return __keel_kmx_unlock(m); /* kmutex.c */
    return mutex_unlock_contended(m, self);
}

/* A failed kernel-mutex call's error number, out of line. */
__attribute__((noinline)) static int mutex_kmx_err(long r)
{
    return keel_err(r);
}

/* pthread_mutex_unlock's way aside, as mutex_lock_other's: one test for
 * the exceptions to the CAS, a kernel mutex without a ceiling straight
 * to its system call. */
__attribute__((noinline)) static int
mutex_unlock_other(pthread_mutex_t *m, uint32_t self, uint32_t ex)
{
    if (ex == K_KOBJ) {
        long r = keel_sc2(SYS_mutex, KEEL_MUTEX_UNLOCK, KMX_SLOT(m));
        if (unlikely(r))
            return mutex_kmx_err(r);
        return 0;
    }
    return mutex_unlock_slow(m, self);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    uint32_t self = keel_self_id();
    uint32_t ex = m->__kind & (K_PP | K_KOBJ | K_PI);
    if (likely(!ex && m->__count == 0) &&
        likely(keel_cas_rel(&m->__word, self, 0)))
        return 0;
    return mutex_unlock_other(m, self, ex);
}

/* ---- ceilings of PRIO_PROTECT mutexes ---- */

int pthread_mutex_getprioceiling(const pthread_mutex_t *m, int *ceiling)
{
    if (!m || !ceiling || !(m->__kind & K_PP))
        return EINVAL;
    if (m->__kind & K_KOBJ)
        return __keel_kmx_getceiling(m, ceiling);
    *ceiling = m->__ceiling;
    return 0;
}

/*
 * Locks the mutex (without the ceiling protocol, as POSIX allows), sets
 * the ceiling and unlocks it. The owner itself may change it: then its
 * own priority follows the new ceiling at once.
 */
int pthread_mutex_setprioceiling(pthread_mutex_t *m, int ceiling, int *old)
{
    if (!m || !(m->__kind & K_PP) || ceiling < KEEL_PRIO_MIN ||
        ceiling > KEEL_PRIO_MAX)
        return EINVAL;
    if (m->__kind & K_KOBJ)
        return __keel_kmx_setceiling(m, ceiling, old);
    uint32_t self = keel_self_id();
    uint32_t v = __atomic_load_n(&m->__word, __ATOMIC_RELAXED);
    int prev = m->__ceiling;
    if ((v & TID) == self) {
        int err = __keel_pp_receil(prev, ceiling);
        if (err)
            return err;
        m->__ceiling = ceiling;
    } else {
        if (!keel_cas_acq(&m->__word, 0, self))
            __keel_word_lock_slow(&m->__word, self, NULL);
        m->__ceiling = ceiling;
        if (!keel_cas_rel(&m->__word, self, 0))
            __keel_word_unlock_slow(&m->__word);
    }
    if (old)
        *old = prev;
    return 0;
}
