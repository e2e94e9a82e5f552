/*
 * mlock, munlock, mlockall, munlockall (SYS_mlock). Keel never pages: a
 * mapped user page stays resident until it is unmapped, so locking has
 * nothing to do and the calls only validate what POSIX lets them check
 * (docs/syscalls.md "Memory locking"). POSIX lets an implementation
 * require a page-aligned address; Keel does not: mlock and munlock act on
 * every page holding a byte of [addr, addr + len), so a buffer from
 * malloc can be locked as it is.
 *
 * Locking: the range check holds p->vm_mutex (the heap's and the stacks'
 * mappings do not change meanwhile: proc/vm_step.c V1) and takes
 * p->vm_lock for at most MLOCK_STEP pages at a time, passing a
 * preemption point between steps, so no spinlock is held for long
 * however large the range (docs/realtime.md "Bounded kernel latency").
 */
#include "../include/proc.h"

#define MLOCK_STEP 64

/* 0 when every page of [va, va + len) is mapped in p, else -ENOMEM. */
static long mlock_range_mapped(struct proc *p, uint64_t va, uint64_t len)
{
    if (len == 0)
        return 0;
    if (!user_range_ok(va, len))
        return -ENOMEM;
    uint64_t end = va + len; /* no wrap: user_range_ok */
    long r = 0;
    kmutex_lock(&p->vm_mutex);
    while (va < end && r == 0) {
        spin_lock(&p->vm_lock);
        for (int i = 0; i < MLOCK_STEP && va < end; i++, va += PAGE_SIZE) {
            if (!vm_user_translate(p->pagetable, va)) {
                r = -ENOMEM;
                break;
            }
        }
        spin_unlock(&p->vm_lock);
        sched_preempt_point();
    }
    kmutex_unlock(&p->vm_mutex);
    return r;
}

long sys_mlock(int op, uint64_t a1, uint64_t a2)
{
    struct proc *p = current()->proc;
    switch (op) {
    case KEEL_MLOCK_LOCK:
    case KEEL_MLOCK_UNLOCK: {
        if (a2 == 0)
            return 0;
        /* From the start of addr's page (a range reaching past the top
         * of the address space is not user memory: ENOMEM). */
        uint64_t off = a1 & (PAGE_SIZE - 1);
        if (a2 > UINT64_MAX - off)
            return -ENOMEM;
        return mlock_range_mapped(p, a1 - off, a2 + off);
    }
    case KEEL_MLOCK_ALL:
        if (a1 == 0 || (a1 & ~(uint64_t)(KEEL_MCL_CURRENT | KEEL_MCL_FUTURE)))
            return -EINVAL;
        return 0;
    case KEEL_MLOCK_UNLOCK_ALL:
        return 0;
    default:
        return -EINVAL;
    }
}
