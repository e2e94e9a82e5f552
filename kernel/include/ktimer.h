/*
 * POSIX timers as kernel objects (CAP_TYPE_TIMER, kernel/sched/ktimer.c;
 * the syscalls in kernel/sched/ktimer_sys.c; docs/syscalls.md "Kernel
 * objects"). A timer counts on CLOCK_MONOTONIC or CLOCK_REALTIME, fires
 * once or periodically from the per-hart timer heap (timer_arm), and
 * notifies by the sigevent it was created with; one on a CPU-time clock
 * is expired by kernel/sched/cputimer.c instead of the heap.
 *
 * Expiry runs in two steps: ktimer_fire (the heap's fire, timer interrupt,
 * the hart's sleep_lock held) re-arms a periodic timer from its absolute
 * next deadline and records the expiry; what needs other locks (waking a
 * waitq, posting a semaphore, sending to a queue, posting a signal) is
 * deferred to ktimer_deliver_deferred, which sched_tick calls on the same
 * hart right after it drops sleep_lock (interrupt context, no lock held:
 * no sleeping, no kobj_put).
 */
#ifndef KEEL_KTIMER_H
#define KEEL_KTIMER_H

#include <stdbool.h>
#include <stdint.h>

struct keel_sigevent;
struct proc;
struct cap_pin;
struct kobj;

/* The deferred half of expiry for hart `hid` (sched_tick, timer.c). */
void ktimer_init(void); /* clock_init, boot */
/* The timer worker thread (ktimer_notify.c): at boot, once threads can
 * be created and before any process runs. */
void ktimer_start_worker(void);
void ktimer_deliver_deferred(int hid);
/* CLOCK_REALTIME was set (clock.c, after the offset changed, no lock
 * held): absolute CLOCK_REALTIME timers move to the new time. */
void ktimer_realtime_changed(void);
/* Timers in existence (kstat, tests). */
uint32_t ktimer_count(void);

#endif
