/* Spinlocks: test-and-test-and-set with acquire/release ordering. */
#include "../include/kernel.h"
#include "../include/sched.h"
#include "../include/spinlock.h"

void spin_init(spinlock_t *l, const char *name)
{
    l->locked = 0;
    l->owner = -1;
    l->name = name;
}

void spin_lock(spinlock_t *l)
{
    for (;;) {
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
            break;
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            ;
    }
    l->owner = this_hart()->id;
}

bool spin_trylock(spinlock_t *l)
{
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        return false;
    l->owner = this_hart()->id;
    return true;
}

void spin_unlock(spinlock_t *l)
{
    l->owner = -1;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

bool spin_held(const spinlock_t *l)
{
    return l->locked && l->owner == this_hart()->id;
}
