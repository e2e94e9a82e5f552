/*
 * Futexes (docs/realtime.md "Wait queues, futexes and priority
 * inheritance"). sys_futex (kernel/sync/futex.c) validates the word
 * (aligned: else -EINVAL; mapped and user-writable: else -EFAULT) and
 * runs WAIT and WAKE itself; the priority-inheriting commands go to
 * futex_pi (kernel/sync/futex_pi.c). dl is LOCK_PI's absolute deadline
 * on its clock (sched.h struct kdeadline), NULL for none.
 */
#ifndef KEEL_FUTEX_H
#define KEEL_FUTEX_H

#include "kernel.h"

/* op and val arrive as whole registers: sys_futex truncates them itself
 * (to int and uint32_t) rather than trusting the caller's extension. */
long sys_futex(uint64_t uaddr, long op, uint64_t val, uint64_t utimeout);
/* cmd: KEEL_FUTEX_LOCK_PI, UNLOCK_PI or TRYLOCK_PI (uaddr checked). */
struct kdeadline;
long futex_pi(uint64_t uaddr, int cmd, struct kdeadline *dl);
struct thread;
/* thread_exit, before leaving the address space: t (current) hands each
 * PI futex it owns with kernel waiters to its top waiter, OWNER_DIED. */
void futex_pi_exit(struct thread *t);

#endif
