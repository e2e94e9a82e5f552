/*
 * Spinlocks. The kernel runs with interrupts off (only the idle loop
 * enables them, holding no lock), so a spinlock never needs to mask
 * interrupts. Never sleep or free pages while holding one.
 *
 * With KEEL_LOCKCHECK every hart counts the spinlocks it holds
 * (struct hart.nlocks, only touched by its own hart), so schedule() can
 * assert that nothing is held across a switch, and every lock records
 * its acquisitions and longest hold in its class (locks sharing a name:
 * include/lockstat.h). Release kernels have neither: their spin_lock and
 * spin_unlock are the bare atomics below.
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct spinlock {
    volatile uint32_t locked;
    uintptr_t owner; /* tp (struct hart *) of the holder, 0 when free */
    const char *name;
#ifdef KEEL_LOCKCHECK
    struct lockclass *cls; /* lockstat class, looked up by the first holder */
    uint64_t t_acq;        /* time CSR when the holder took it */
#endif
} spinlock_t;

#ifdef KEEL_LOCKCHECK
#define SPINLOCK_INIT(n)                                                       \
    {                                                                          \
        0, 0, n, NULL, 0                                                       \
    }
#else
#define SPINLOCK_INIT(n)                                                       \
    {                                                                          \
        0, 0, n                                                                \
    }
#endif

void spin_init(spinlock_t *l, const char *name);
bool spin_trylock(spinlock_t *l);
bool spin_held(const spinlock_t *l); /* held by this hart */
#ifdef KEEL_LOCKCHECK
void spin_count(int delta); /* this hart's held-lock count += delta */
int spin_depth(void);       /* spinlocks this hart holds */
void lockstat_acquired(spinlock_t *l);  /* lockstat.c */
void lockstat_releasing(spinlock_t *l); /* lockstat.c */
#else
static inline void spin_count(int delta)
{
    (void)delta;
}
#endif

/* A hart that has spun SPIN_HINT_EVERY times on a held lock (or on
 * another hart's outgoing thread) calls spin_wait_hint (sched/timer.c):
 * it arms its own timer a moment ahead, which under QEMU's round-robin
 * TCG ends the spinning vCPU's turn so the lock holder gets to run
 * (docs/performance.md "Four harts"). Off the uncontended path. */
#define SPIN_HINT_EVERY 1024u
void spin_wait_hint(void);
void spin_lock_contended(spinlock_t *l); /* spins until it has l */

/* Test-and-test-and-set with acquire/release ordering; inline because
 * every syscall's cap lookup takes one. */
/* The acquiring swap as RVWMO maps an acquire exchange (amoswap.w.aq),
 * written out so that its result needs no sign extension before the
 * test (the compiler's builtin adds one). */
static inline long spin_swap_acquire(spinlock_t *l)
{
    long old;
    __asm__ volatile("amoswap.w.aq %0, %2, %1"
                     : "=r"(old), "+A"(l->locked)
                     : "r"(1L)
                     : "memory");
    return old;
}

static inline void spin_lock(spinlock_t *l)
{
    if (__builtin_expect(spin_swap_acquire(l), 0)) {
        /* The slow path through a wrapper that saves every register it
         * uses (spinlock.c): to the compiler this is no call, so callers
         * keep their leaf-function code. */
        register spinlock_t *t1 __asm__("t1") = l;
        __asm__ volatile("jal t0, spin_lock_contended_asm"
                         :
                         : "r"(t1)
                         : "t0", "memory");
    }
    uintptr_t tp;
    __asm__("mv %0, tp" : "=r"(tp));
    l->owner = tp;
    spin_count(1);
#ifdef KEEL_LOCKCHECK
    lockstat_acquired(l);
#endif
}

static inline void spin_unlock(spinlock_t *l)
{
#ifdef KEEL_LOCKCHECK
    lockstat_releasing(l);
#endif
    spin_count(-1);
    l->owner = 0;
    /* The release store: the compiler's own is the same fence followed
     * by an amoswap, which needs the word's address in a register of its
     * own; a plain store after the fence is the same release (RVWMO), and
     * iorw,ow keeps device accesses in the critical section before it. */
    __asm__ volatile("fence iorw, ow\n\tsw zero, %0"
                     : "=m"(l->locked)
                     :
                     : "memory");
}

#endif
