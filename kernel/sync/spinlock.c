/* Spinlocks: test-and-test-and-set with acquire/release ordering. */
#include "../include/kernel.h"
#include "../include/sched.h"
#include "../include/spinlock.h"

void spin_init(spinlock_t *l, const char *name)
{
    l->locked = 0;
    l->owner = 0;
    l->name = name;
#ifdef KEEL_LOCKCHECK
    l->cls = NULL;
    l->t_acq = 0;
#endif
}

bool spin_trylock(spinlock_t *l)
{
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        return false;
    l->owner = (uintptr_t)this_hart();
    spin_count(1);
#ifdef KEEL_LOCKCHECK
    lockstat_acquired(l);
#endif
    return true;
}

bool spin_held(const spinlock_t *l)
{
    return l->locked && l->owner == (uintptr_t)this_hart();
}

#ifdef KEEL_LOCKCHECK
void spin_count(int delta)
{
    struct hart *h = this_hart();
    h->nlocks += delta;
    KASSERT(h->nlocks >= 0);
}

int spin_depth(void)
{
    return this_hart()->nlocks;
}
#endif
