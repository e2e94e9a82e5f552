/*
 * Keel's <pthread.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (pthread_create, pthread_join,
 * pthread_self, pthread_mutex_*, pthread_attr_*, pthread_setschedparam,
 * pthread_getschedparam, pthread_setschedprio, pthread_getcpuclockid;
 * the mutex attributes of the UNIX 98 types, the
 * priority protocols and ceilings, pthread_mutex_timedlock; the
 * read-write and spin locks; the pthread_barrier* functions), which are
 * switched off again afterwards: Keel does not provide these options in
 * full (see <sys/features.h> and docs/posix.md). The mutex and condvar
 * types are Keel's own (<sys/_pthreadtypes.h>); the robust-mutex calls,
 * which newlib lacks, are declared below.
 */
#ifndef KEEL_PTHREAD_H
#define KEEL_PTHREAD_H

#include <sys/features.h>
#ifndef _POSIX_THREADS
#define _POSIX_THREADS 1
#define KEEL_GATE_PTHREAD_THREADS
#endif
#ifndef _POSIX_THREAD_PRIORITY_SCHEDULING
#define _POSIX_THREAD_PRIORITY_SCHEDULING 1
#define KEEL_GATE_PTHREAD_THREAD_PRIORITY_SCHEDULING
#endif
#ifndef _UNIX98_THREAD_MUTEX_ATTRIBUTES
#define _UNIX98_THREAD_MUTEX_ATTRIBUTES 1
#define KEEL_GATE_PTHREAD_UNIX98_MUTEX
#endif
#ifndef _POSIX_THREAD_PRIO_PROTECT
#define _POSIX_THREAD_PRIO_PROTECT 1
#define KEEL_GATE_PTHREAD_PRIO_PROTECT
#endif
#ifndef _POSIX_TIMEOUTS
#define _POSIX_TIMEOUTS 1
#define KEEL_GATE_PTHREAD_TIMEOUTS
#endif
#ifndef _POSIX_THREAD_CPUTIME
#define _POSIX_THREAD_CPUTIME 1
#define KEEL_GATE_PTHREAD_THREAD_CPUTIME
#endif

#ifndef _POSIX_READER_WRITER_LOCKS
#define _POSIX_READER_WRITER_LOCKS 1
#define KEEL_GATE_PTHREAD_RWLOCK
#endif
#ifndef _POSIX_SPIN_LOCKS
#define _POSIX_SPIN_LOCKS 1
#define KEEL_GATE_PTHREAD_SPIN
#endif
#ifndef _POSIX_BARRIERS
#define _POSIX_BARRIERS 1
#define KEEL_GATE_PTHREAD_BARRIERS
#endif

#include_next <pthread.h>

#ifdef KEEL_GATE_PTHREAD_RWLOCK
#undef _POSIX_READER_WRITER_LOCKS
#undef KEEL_GATE_PTHREAD_RWLOCK
#endif
#ifdef KEEL_GATE_PTHREAD_SPIN
#undef _POSIX_SPIN_LOCKS
#undef KEEL_GATE_PTHREAD_SPIN
#endif
#ifdef KEEL_GATE_PTHREAD_BARRIERS
#undef _POSIX_BARRIERS
#undef KEEL_GATE_PTHREAD_BARRIERS
#endif
/* GNU's pthread_getattr_np (libc/src/pthread.c), declared whatever the
 * feature-test macros (newlib declares it only for __GNU_VISIBLE). */
int pthread_getattr_np(pthread_t __th, pthread_attr_t *__attr);

/* Robust mutexes (POSIX 2008; newlib does not declare them). */
int pthread_mutexattr_getrobust(const pthread_mutexattr_t *__attr,
                                int *__robust);
int pthread_mutexattr_setrobust(pthread_mutexattr_t *__attr, int __robust);
int pthread_mutex_consistent(pthread_mutex_t *__mutex);

#ifdef KEEL_GATE_PTHREAD_THREADS
#undef _POSIX_THREADS
#undef KEEL_GATE_PTHREAD_THREADS
#endif
#ifdef KEEL_GATE_PTHREAD_THREAD_PRIORITY_SCHEDULING
#undef _POSIX_THREAD_PRIORITY_SCHEDULING
#undef KEEL_GATE_PTHREAD_THREAD_PRIORITY_SCHEDULING
#endif
#ifdef KEEL_GATE_PTHREAD_UNIX98_MUTEX
#undef _UNIX98_THREAD_MUTEX_ATTRIBUTES
#undef KEEL_GATE_PTHREAD_UNIX98_MUTEX
#endif
#ifdef KEEL_GATE_PTHREAD_PRIO_PROTECT
#undef _POSIX_THREAD_PRIO_PROTECT
#undef KEEL_GATE_PTHREAD_PRIO_PROTECT
#endif
#ifdef KEEL_GATE_PTHREAD_TIMEOUTS
#undef _POSIX_TIMEOUTS
#undef KEEL_GATE_PTHREAD_TIMEOUTS
#endif
#ifdef KEEL_GATE_PTHREAD_THREAD_CPUTIME
#undef _POSIX_THREAD_CPUTIME
#undef KEEL_GATE_PTHREAD_THREAD_CPUTIME
#endif

/* ---- Keel: process-shared rwlocks by capability ---- */

/*
 * A process-shared rwlock (PTHREAD_PROCESS_SHARED) is a CAP_TYPE_RWLOCK
 * kernel object in a cap slot, minted with GRANT, so cap_transfer and
 * spawn inheritance can hand it to another process. That process makes
 * it usable with keel_rwlock_attach: l then names the cap in `slot`
 * (docs/syscalls.md "Read-write locks"). 0, or EBADF (no rwlock cap in slot),
 * EINVAL (l NULL). pthread_rwlock_destroy on it closes the slot.
 */
int keel_rwlock_attach(pthread_rwlock_t *l, int slot);
/* The slot of a process-shared rwlock (-1 for an in-process one). */
int keel_rwlock_slot(const pthread_rwlock_t *l);

#endif
