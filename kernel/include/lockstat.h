/*
 * The debug kernel's bound counters (docs/realtime.md "Spinlocks,
 * sleeping locks and the recorded bounds"): per spinlock class (locks
 * sharing a name) the acquisitions and the longest hold, per hart the
 * longest stretch with interrupts off. Only KEEL_LOCKCHECK kernels
 * record anything; in release kernels every hook below is an empty
 * inline, so spin_lock, spin_unlock and the trap path are unchanged.
 *
 * An interrupts-off stretch starts at trap entry (from user mode, or an
 * interrupt taken inside a window) and at the end of every interrupt
 * window; it ends at the return to user mode, at a window (a preemption
 * point's intr_on, the idle loop's intr_on and wfi) and at the end of a
 * kernel interrupt handler. Times are read from the time CSR (the
 * board's timebase, 100 ns on QEMU virt) and reported in ns.
 *
 * Locking: none. Each hart writes only its own stretch slots; a class's
 * maximum and count are updated with atomics by whoever holds a lock of
 * the class; the class table grows under a bare test-and-set flag (it
 * cannot use a spinlock_t: spin_lock calls in here).
 */
#ifndef KEEL_LOCKSTAT_H
#define KEEL_LOCKSTAT_H

#include "spinlock.h"

#ifdef KEEL_LOCKCHECK
void lockstat_acquired(spinlock_t *l); /* l just taken by this hart */
void lockstat_releasing(spinlock_t *l);
void lockstat_irqoff_begin(void);
void lockstat_irqoff_end(void);
#else
static inline void lockstat_irqoff_begin(void) {}
static inline void lockstat_irqoff_end(void) {}
#endif

struct keel_kstat;
struct keel_lockstat;
/* Fill the bound fields of *k (zero in release kernels); with `reset`
 * zero every recorded maximum afterwards (a stretch or hold in progress
 * is still recorded when it ends). */
void lockstat_kstat(struct keel_kstat *k, bool reset);
/* Row `index` of the class table: 1 when stored, 0 past the end. */
int lockstat_row(int index, struct keel_lockstat *out);

#endif
