/*
 * Spinlocks. The kernel runs with interrupts off (only the idle loop
 * enables them, holding no lock), so a spinlock never needs to mask
 * interrupts. Never sleep or free pages while holding one.
 */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct spinlock {
    volatile uint32_t locked;
    int32_t owner; /* hart id holding it, -1 when free (debug aid) */
    const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) {0, -1, n}

void spin_init(spinlock_t *l, const char *name);
void spin_lock(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_held(const spinlock_t *l); /* held by this hart */

#endif
