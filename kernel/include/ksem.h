/*
 * Kernel semaphores (CAP_TYPE_SEMAPHORE, kernel/sync/ksem.c): a counting
 * semaphore behind a cap, for POSIX sem_* (libc/src/sem.c) and for other
 * kernel code that signals one (the timer area's "post a semaphore cap"
 * notification).
 *
 * Locking: each semaphore's own spinlock (S1, at the waitq level: it is
 * taken before its waitq's lock, which comes before sleep_lock and the
 * scheduler's locks).
 */
#ifndef KEEL_KSEM_H
#define KEEL_KSEM_H

#include "kobj.h"

/*
 * Posts the semaphore o (a struct kobj of type CAP_TYPE_SEMAPHORE; the
 * caller holds a reference): its count goes up by one and the
 * highest-priority waiter, if any, is woken. 0, -EOVERFLOW when the
 * count is already KEEL_SEM_VALUE_MAX (nothing changes), -EINVAL when o
 * is not a semaphore.
 *
 * Context: thread context with no spinlock held, or holding only locks
 * that come before the waitq level. NOT safe from a timer fire (timer
 * interrupt, sleep_lock held): it takes the semaphore's lock and its
 * waitq's lock, which come before sleep_lock in S1, so a fire must defer
 * the post to thread context (and must not drop its reference there
 * either: kobj_put may free). It never sleeps and never frees.
 */
int ksem_post_obj(struct kobj *o);

/* Inside the semaphore code (ksem.c, ksem_named.c): a new semaphore
 * with count `value` (<= KEEL_SEM_VALUE_MAX) and one reference for the
 * caller, charged to the calling process; NULL when its object quota or
 * the pool is used up. */
struct kobj *ksem_new(uint32_t value);
/* SYS_sem KEEL_SEM_OPEN and KEEL_SEM_UNLINK (ksem_named.c). */
long ksem_open(uint64_t uname, uint64_t oflags, uint64_t value);
long ksem_unlink(uint64_t uname);

#endif
