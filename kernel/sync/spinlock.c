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

/* spin_lock's slow path (out of line: the inline fast path stays one
 * swap and a branch): test-and-test-and-set, with a hint every
 * SPIN_HINT_EVERY rounds (spinlock.h, sched/timer.c). */
void spin_lock_contended(spinlock_t *l)
{
    unsigned n = 0;
    do {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            if (++n % SPIN_HINT_EVERY == 0)
                spin_wait_hint();
    } while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE));
}

/* spin_lock_contended_asm: called from spin_lock with `jal t0` and the
 * lock in t1; saves every caller-saved register (the kernel has no FP
 * state), calls spin_lock_contended(t1) and returns through t0. */
__asm__(
    ".text\n"
    ".globl spin_lock_contended_asm\n"
    ".type spin_lock_contended_asm, @function\n"
    "spin_lock_contended_asm:\n"
    "  addi sp, sp, -128\n"
    "  sd ra, 0(sp)\n  sd t0, 8(sp)\n  sd t1, 16(sp)\n  sd t2, 24(sp)\n"
    "  sd t3, 32(sp)\n  sd t4, 40(sp)\n  sd t5, 48(sp)\n  sd t6, 56(sp)\n"
    "  sd a0, 64(sp)\n  sd a1, 72(sp)\n  sd a2, 80(sp)\n  sd a3, 88(sp)\n"
    "  sd a4, 96(sp)\n  sd a5, 104(sp)\n  sd a6, 112(sp)\n  sd a7, 120(sp)\n"
    "  mv a0, t1\n"
    "  call spin_lock_contended\n"
    "  ld ra, 0(sp)\n  ld t0, 8(sp)\n  ld t1, 16(sp)\n  ld t2, 24(sp)\n"
    "  ld t3, 32(sp)\n  ld t4, 40(sp)\n  ld t5, 48(sp)\n  ld t6, 56(sp)\n"
    "  ld a0, 64(sp)\n  ld a1, 72(sp)\n  ld a2, 80(sp)\n  ld a3, 88(sp)\n"
    "  ld a4, 96(sp)\n  ld a5, 104(sp)\n  ld a6, 112(sp)\n  ld a7, 120(sp)\n"
    "  addi sp, sp, 128\n"
    "  jr t0\n"
    ".size spin_lock_contended_asm, . - spin_lock_contended_asm\n");

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
