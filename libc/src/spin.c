/*
 * POSIX spin locks, entirely in user space (docs/posix.md): a
 * pthread_spinlock_t is a word, 0 when free, else the holder's lock id
 * (keel_self_id), taken with one compare-and-swap. A locker that finds it
 * held polls it; every SPIN_YIELD_AFTER polls it yields the hart
 * (sched_yield), so a holder of the same priority preempted on the same
 * hart (one hart, or SCHED_FIFO) gets to run and release it. A holder of
 * lower priority on the same hart still cannot run while a higher one
 * spins: that is what spin locks are, use a mutex instead.
 *
 * PTHREAD_PROCESS_SHARED is accepted and behaves as PRIVATE: processes
 * share no memory on Keel, so no other process can reach the word.
 * Errors: EDEADLK when the holder locks again, EBUSY from trylock while
 * held (the holder included), EPERM from unlock by a thread that does
 * not hold it, EBUSY from destroy while held, EINVAL for a NULL lock or
 * an unknown pshared value.
 *
 * Locking: the word itself; nothing else is shared.
 */
#include <pthread.h>

#include "internal.h"

#define SPIN_YIELD_AFTER 256

int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    if (!l || (pshared != PTHREAD_PROCESS_PRIVATE &&
               pshared != PTHREAD_PROCESS_SHARED))
        return EINVAL;
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
    return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    if (__atomic_load_n(l, __ATOMIC_RELAXED))
        return EBUSY;
    return 0;
}

int pthread_spin_lock(pthread_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    uint32_t self = keel_self_id();
    if (keel_cas_acq(l, 0, self))
        return 0;
    if (__atomic_load_n(l, __ATOMIC_RELAXED) == self)
        return EDEADLK;
    for (unsigned i = 1;; i++) {
        if (__atomic_load_n(l, __ATOMIC_RELAXED) == 0 &&
            keel_cas_acq(l, 0, self))
            return 0;
        if (i % SPIN_YIELD_AFTER == 0)
            keel_sc0(SYS_sched_yield);
        else
            __asm__ volatile("nop");
    }
}

int pthread_spin_trylock(pthread_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    return keel_cas_acq(l, 0, keel_self_id()) ? 0 : EBUSY;
}

int pthread_spin_unlock(pthread_spinlock_t *l)
{
    if (!l)
        return EINVAL;
    return keel_cas_rel(l, keel_self_id(), 0) ? 0 : EPERM;
}
