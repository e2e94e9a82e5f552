/*
 * Process-shared read-write locks: CAP_TYPE_RWLOCK kernel objects
 * (kernel/sync/krwlock.c, docs/syscalls.md "Read-write locks").
 */
#ifndef KEEL_KRWLOCK_H
#define KEEL_KRWLOCK_H

#include <stdint.h>

struct thread;

long sys_rwlock(long op, long slot, uint64_t arg);
/* thread_exit: give back every hold t has on any rwlock (no lock held;
 * O(1) while no thread holds any). */
void krwlock_thread_exit(struct thread *t);

#endif
