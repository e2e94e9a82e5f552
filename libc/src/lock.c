/*
 * User-space locks on the futex (docs/realtime.md "Mutexes in libc"):
 * the lock word that newlib's retargetable locks (malloc, stdio streams,
 * atexit, the environment, ...) and the non-PI pthread mutexes
 * (mutex.c) share, and newlib's locks themselves.
 *
 * A lock word is 0 when free, else the owner's lock id (its thread cap
 * slot, keel_self_id) with KEEL_FUTEX_WAITERS set while threads may be
 * asleep on it. Locking is one compare-and-swap 0 -> id, unlocking one
 * compare-and-swap id -> 0: no system call unless contended. A contended
 * locker spins briefly (the owner may be running on another hart), sets
 * WAITERS and sleeps in FUTEX_WAIT on the word's value; once it has slept
 * it takes the word with WAITERS set, as others may still sleep. An
 * unlocker that finds WAITERS clears the word and wakes one waiter (the
 * kernel picks the highest-priority one). A wake-up cannot be lost: the
 * kernel's WAIT sleeps only while the word still holds the value the
 * waiter saw, and any unlock changes it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/lock.h>

#include "internal.h"

#define LOCK_SPINS 100 /* polls before sleeping, unless others sleep */

int __keel_word_lock_slow(uint32_t *w, uint32_t self,
                          const struct keel_timespec *abs_rt)
{
    uint32_t v;
    for (int i = 0; i < LOCK_SPINS; i++) {
        v = __atomic_load_n(w, __ATOMIC_RELAXED);
        if (v == 0 && keel_cas_acq(w, 0, self))
            return 0;
        if (v & KEEL_FUTEX_WAITERS)
            break; /* others already sleep: join them */
        __asm__ volatile("nop");
    }
    int op = KEEL_FUTEX_WAIT;
    if (abs_rt)
        op |= KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME;
    for (;;) {
        v = __atomic_load_n(w, __ATOMIC_RELAXED);
        if (v == 0) {
            if (keel_cas_acq(w, 0, self | KEEL_FUTEX_WAITERS))
                return 0;
            continue;
        }
        if (!(v & KEEL_FUTEX_WAITERS)) {
            if (!keel_cas_acq(w, v, v | KEEL_FUTEX_WAITERS))
                continue;
            v |= KEEL_FUTEX_WAITERS;
        }
        long r = keel_futex(w, op, v, abs_rt);
        if (r == -ETIMEDOUT)
            return ETIMEDOUT;
        /* 0 (woken), EAGAIN (the word changed), EINTR (being killed). */
    }
}

void __keel_word_unlock_slow(uint32_t *w)
{
    uint32_t v = __atomic_exchange_n(w, 0, __ATOMIC_RELEASE);
    if (v & KEEL_FUTEX_WAITERS)
        keel_futex(w, KEEL_FUTEX_WAKE, 1, NULL);
}

/* ---- newlib's retargetable locks ---- */

/*
 * A lock word and a recursion count, touched only by the owner. Every
 * lock is treated as recursive: a non-recursive one re-taken by its owner
 * would be a newlib bug, and deadlocking on it helps nobody.
 */
struct __lock {
    uint32_t word;
    uint32_t count; /* depth beyond the first */
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
    if (keel_cas_acq(&l->word, 0, self))
        return true;
    uint32_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
    if ((v & KEEL_FUTEX_TID_MASK) == self) {
        l->count++;
        return true;
    }
    return false;
}

static void lock_take(struct __lock *l)
{
    uint32_t self = keel_self_id();
    if (!lock_try(l, self))
        __keel_word_lock_slow(&l->word, self, NULL);
}

static void lock_give(struct __lock *l)
{
    uint32_t self = keel_self_id();
    uint32_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
    if ((v & KEEL_FUTEX_TID_MASK) != self)
        return; /* not ours: ignore rather than corrupt */
    if (l->count) {
        l->count--;
        return;
    }
    /* Not with WAITERS set: then the slow path must wake one. */
    if (!keel_cas_rel(&l->word, self, 0))
        __keel_word_unlock_slow(&l->word);
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
