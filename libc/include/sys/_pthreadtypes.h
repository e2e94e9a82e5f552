/*
 * Keel's wrapper around newlib's <sys/_pthreadtypes.h>: the same types,
 * except the two that Keel's mutexes (libc/src/mutex.c, docs/realtime.md
 * "Mutexes in libc") need larger, and pthread_attr_t, which needs a guard
 * size newlib's lacks (libc/src/pthread_attr.c). newlib's pthread_mutex_t is
 * one 32-bit word, which leaves no room beside the futex word for a type, a
 * protocol, a ceiling or a recursion count, and its pthread_mutexattr_t
 * changes its layout with the option macros in force where it is first
 * read (a program and libc could disagree). newlib's compiled library
 * uses neither type (its own locks are the retargetable ones in
 * libc/src/lock.c), so they are renamed out of the way while newlib's
 * header is read and Keel's take their names.
 *
 * The constants below (mutex types and protocols) are defined whatever
 * option macros are in force: newlib defines them only under the options
 * Keel does not announce (<sys/features.h>).
 */
#ifndef KEEL_SYS__PTHREADTYPES_H
#define KEEL_SYS__PTHREADTYPES_H

#define pthread_mutex_t __newlib_pthread_mutex_t
#define pthread_mutexattr_t __newlib_pthread_mutexattr_t
#define pthread_attr_t __newlib_pthread_attr_t
#define pthread_rwlock_t __newlib_pthread_rwlock_t
#define pthread_rwlockattr_t __newlib_pthread_rwlockattr_t
#define pthread_spinlock_t __newlib_pthread_spinlock_t
#define pthread_barrier_t __newlib_pthread_barrier_t
#define pthread_barrierattr_t __newlib_pthread_barrierattr_t
#define pthread_cond_t __newlib_pthread_cond_t
#define pthread_condattr_t __newlib_pthread_condattr_t
#include_next <sys/_pthreadtypes.h>
#undef pthread_mutex_t
#undef pthread_mutexattr_t
#undef pthread_attr_t
#undef pthread_rwlock_t
#undef pthread_rwlockattr_t
#undef pthread_spinlock_t
#undef pthread_barrier_t
#undef pthread_barrierattr_t
#undef pthread_cond_t
#undef pthread_condattr_t

#if defined(_POSIX_THREADS) || __POSIX_VISIBLE >= 199506

/*
 * A mutex. __word is the futex (KEEL_FUTEX_* in <keel/abi.h>): 0 when
 * free, else the owner's lock id, with KEEL_FUTEX_WAITERS while threads
 * may be blocked on it. The other fields are set at initialisation and
 * then touched only by the owner. All zero is a valid default mutex.
 * A process-shared or robust mutex is a kernel mutex object instead
 * (libc/src/kmutex.c): __word then holds its cap slot with a mark that
 * no lock id has, so the user-space fast paths never match it.
 */
typedef struct {
    __uint32_t __word;
    __uint32_t __kind;   /* type | protocol << 4 (libc/src/mutex.c) */
    __uint32_t __count;  /* PTHREAD_MUTEX_RECURSIVE: depth beyond one */
    __int32_t __ceiling; /* PTHREAD_PRIO_PROTECT: the priority ceiling */
} pthread_mutex_t;

typedef struct {
    int is_initialized;
    int type;
    int protocol;
    int prio_ceiling;
    int robust;  /* PTHREAD_MUTEX_STALLED or PTHREAD_MUTEX_ROBUST */
    int pshared; /* PTHREAD_PROCESS_PRIVATE or PTHREAD_PROCESS_SHARED */
} pthread_mutexattr_t;

/*
 * Thread attributes (libc/src/pthread_attr.c). newlib's fields and names,
 * in a layout that does not change with the option macros, plus the
 * guard size. stackaddr is the lowest byte of a caller-supplied stack
 * (pthread_attr_setstack), NULL for a stack the kernel maps.
 */
typedef struct {
    int is_initialized;
    void *stackaddr;
    unsigned long stacksize;
    int contentionscope;
    int inheritsched;
    int schedpolicy;
    struct sched_param schedparam;
    int detachstate;
    unsigned long guardsize;
} pthread_attr_t;

/*
 * A condition variable (libc/src/cond.c). In-process: __seq is a futex
 * word advanced by every signal, __waiters counts the threads waiting
 * (so an idle signal makes no system call). Process-shared: a kernel
 * condvar object in slot __slot. __kind: the clock and which of the two.
 * All zero (PTHREAD_COND_INITIALIZER) is an in-process condvar on
 * CLOCK_REALTIME.
 */
typedef struct {
    __uint32_t __seq;
    __uint32_t __kind;
    __int32_t __slot;
    __uint32_t __waiters;
} pthread_cond_t;

typedef struct {
    int is_initialized;
    int clock;   /* clockid_t: CLOCK_REALTIME or CLOCK_MONOTONIC */
    int pshared; /* PTHREAD_PROCESS_PRIVATE or PTHREAD_PROCESS_SHARED */
} pthread_condattr_t;

#undef _PTHREAD_COND_INITIALIZER
#define _PTHREAD_COND_INITIALIZER                                              \
    {                                                                          \
        0, 0, 0, 0                                                             \
    }

#undef _PTHREAD_MUTEX_INITIALIZER
#define _PTHREAD_MUTEX_INITIALIZER                                             \
    {                                                                          \
        0, 0, 0, 0                                                             \
    }

#ifndef PTHREAD_PRIO_NONE
#define PTHREAD_PRIO_NONE 0
#define PTHREAD_PRIO_INHERIT 1
#define PTHREAD_PRIO_PROTECT 2
#endif
#ifndef PTHREAD_MUTEX_NORMAL
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT 3
#endif
#ifndef PTHREAD_MUTEX_STALLED
#define PTHREAD_MUTEX_STALLED 0
#define PTHREAD_MUTEX_ROBUST 1
#endif
#ifndef PTHREAD_PROCESS_PRIVATE
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
#endif

/*
 * Read-write locks, spin locks and their attributes (libc/src/rwlock.c,
 * libc/src/spin.c; docs/posix.md). newlib declares these types only
 * under _POSIX_READER_WRITER_LOCKS / _POSIX_SPIN_LOCKS, which may not be
 * in force when this header is first read, so Keel's are unconditional.
 *
 * An in-process rwlock lives in user space: __word is the state (reader
 * count, waiting writers, the writer bit), readers sleep on it, writers
 * sleep on __wseq; __owner is the write holder's lock id; __wprio and
 * __rprio count the blocked writers and readers of each priority. A
 * PTHREAD_PROCESS_SHARED one is a CAP_TYPE_RWLOCK kernel object: __kind is 1
 * and __slot its cap slot. All zero (PTHREAD_RWLOCK_INITIALIZER) is a default
 * in-process rwlock.
 */
typedef struct {
    __uint32_t __word;
    __uint32_t __wseq;
    __uint32_t __owner;
    __uint32_t __kind; /* 0 in-process, 1 process-shared (kernel object) */
    __int32_t __slot;  /* __kind 1: the CAP_TYPE_RWLOCK slot */
    /* In-process: the blocked writers and readers by priority, four
     * 8-bit counts a word (priorities 0..63). */
    __uint32_t __wprio[16];
    __uint32_t __rprio[16];
} pthread_rwlock_t;

typedef struct {
    int is_initialized;
    int process_shared;
} pthread_rwlockattr_t;

#undef _PTHREAD_RWLOCK_INITIALIZER
#define _PTHREAD_RWLOCK_INITIALIZER                                            \
    {                                                                          \
        0, 0, 0, 0, 0, {0},                                                    \
        {                                                                      \
            0                                                                  \
        }                                                                      \
    }

/* 0 when free, else the holder's lock id. */
typedef __uint32_t pthread_spinlock_t;

/*
 * Barriers (libc/src/barrier.c): each one a kernel barrier
 * (CAP_TYPE_BARRIER) behind the slot __slot; newlib's types are gated on
 * _POSIX_BARRIERS and its attribute changes layout with
 * _POSIX_THREAD_PROCESS_SHARED, so Keel's take their names always.
 */
typedef struct {
    int __slot;
} pthread_barrier_t;

typedef struct {
    int is_initialized;
    int process_shared;
} pthread_barrierattr_t;

#ifndef PTHREAD_PROCESS_PRIVATE
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
#endif

#endif /* _POSIX_THREADS || __POSIX_VISIBLE >= 199506 */

#endif
