/*
 * User-space locks: newlib's retargetable lock API (which guards malloc,
 * stdio streams, atexit, the environment, ...) and pthread mutexes.
 *
 * Both are spin-then-yield-then-sleep locks on one atomic word holding
 * the owner's id (its thread slot, from the control block at tp). Keel
 * has no futex, so a waiter cannot block on the lock itself; the short
 * sleeps in __keel_backoff are what let a lower-priority holder preempted
 * on the same hart run again and release it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/lock.h>

#include "internal.h"

#define SPIN_ROUNDS 100   /* busy polls: the holder may be on another hart */
#define YIELD_ROUNDS 20   /* then yields: lets an equal-priority holder in */
#define BACKOFF_NS 100000 /* then 100 us sleeps: lets any holder run */

void __keel_backoff(unsigned iteration)
{
    if (iteration < SPIN_ROUNDS) {
        __asm__ volatile("nop");
    } else if (iteration < SPIN_ROUNDS + YIELD_ROUNDS) {
        keel_sc0(SYS_sched_yield);
    } else {
        struct keel_timespec ts = {0, BACKOFF_NS};
        keel_sc1(SYS_nanosleep, (long)&ts);
    }
}

/* ---- newlib's retargetable locks ---- */

/*
 * owner 0 means free. count is touched only by the owner. Every lock is
 * treated as recursive: a non-recursive one re-taken by its owner would
 * be a newlib bug, and deadlocking on it helps nobody.
 */
struct __lock {
    uint32_t owner;
    uint32_t count;
};

/* The static locks newlib names (all of lib_a-lock.o's symbols). */
struct __lock __lock___sinit_recursive_mutex;
struct __lock __lock___sfp_recursive_mutex;
struct __lock __lock___atexit_recursive_mutex;
struct __lock __lock___at_quick_exit_mutex;
struct __lock __lock___malloc_recursive_mutex;
struct __lock __lock___env_recursive_mutex;
struct __lock __lock___tz_mutex;
struct __lock __lock___dd_hash_mutex;
struct __lock __lock___arc4random_mutex;

/* Stands in for a dynamic lock malloc could not provide: correct, only
 * coarser (it serialises everything that fell back to it). */
static struct __lock fallback_lock;

static bool lock_try(struct __lock *l, uint32_t self)
{
    uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    if (owner == self) {
        l->count++;
        return true;
    }
    uint32_t expected = 0;
    if (owner == 0 &&
        __atomic_compare_exchange_n(&l->owner, &expected, self, false,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        l->count = 1;
        return true;
    }
    return false;
}

static void lock_take(struct __lock *l)
{
    uint32_t self = keel_self_id();
    for (unsigned i = 0; !lock_try(l, self); i++)
        __keel_backoff(i);
}

static void lock_give(struct __lock *l)
{
    if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != keel_self_id())
        return; /* not ours: ignore rather than corrupt */
    if (--l->count == 0)
        __atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

static void lock_new(_LOCK_T *lock)
{
    struct __lock *l = calloc(1, sizeof(*l));
    *lock = l ? l : &fallback_lock;
}

static void lock_free(_LOCK_T lock)
{
    if (lock && lock != &fallback_lock)
        free(lock);
}

void __retarget_lock_init(_LOCK_T *lock)
{
    lock_new(lock);
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
    lock_new(lock);
}

void __retarget_lock_close(_LOCK_T lock)
{
    lock_free(lock);
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
    lock_free(lock);
}

void __retarget_lock_acquire(_LOCK_T lock)
{
    lock_take(lock);
}

void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
    lock_take(lock);
}

void __retarget_lock_release(_LOCK_T lock)
{
    lock_give(lock);
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
    lock_give(lock);
}

/* 0 when acquired, as ftrylockfile() and RTEMS's newlib expect. */
int __retarget_lock_try_acquire(_LOCK_T lock)
{
    return lock_try(lock, keel_self_id()) ? 0 : 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
    return lock_try(lock, keel_self_id()) ? 0 : 1;
}

/* ---- pthread mutexes ---- */

/*
 * newlib's pthread_mutex_t is one 32-bit word and its static initialiser
 * is 0xFFFFFFFF. The word is MUTEX_FREE (or 0, for zeroed memory) when
 * unlocked, else the owner's id. Mutexes are error-checking: relocking
 * gives EDEADLK and unlocking another thread's mutex EPERM.
 */
#define MUTEX_FREE 0xFFFFFFFFu

static bool mutex_is_free(uint32_t v)
{
    return v == MUTEX_FREE || v == 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    (void)attr;
    if (!m)
        return EINVAL;
    __atomic_store_n(m, MUTEX_FREE, __ATOMIC_RELAXED);
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    if (!mutex_is_free(__atomic_load_n(m, __ATOMIC_RELAXED)))
        return EBUSY;
    return 0;
}

/* One attempt: 0, EBUSY (someone else has it) or EDEADLK (we do). */
static int mutex_try(pthread_mutex_t *m, uint32_t self)
{
    uint32_t v = __atomic_load_n(m, __ATOMIC_RELAXED);
    if (v == self)
        return EDEADLK;
    if (mutex_is_free(v) &&
        __atomic_compare_exchange_n(m, &v, self, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return 0;
    return EBUSY;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    uint32_t self = keel_self_id();
    for (unsigned i = 0;; i++) {
        int r = mutex_try(m, self);
        if (r != EBUSY)
            return r;
        __keel_backoff(i);
    }
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    int r = mutex_try(m, keel_self_id());
    return r == EDEADLK ? EBUSY : r;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (!m)
        return EINVAL;
    if (__atomic_load_n(m, __ATOMIC_RELAXED) != keel_self_id())
        return EPERM;
    __atomic_store_n(m, MUTEX_FREE, __ATOMIC_RELEASE);
    return 0;
}
