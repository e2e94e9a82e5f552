/*
 * Keel's wrapper around newlib's <sys/features.h>: the POSIX option
 * macros announce only what Keel's libc really provides (docs/posix.md
 * lists every function). newlib announces no option for
 * riscv64-unknown-elf. Keel does not announce the options it provides
 * only in part (spawn is partial), so only these are defined:
 *  _POSIX_THREADS                every pthread_* call of the base option,
 *                                pthread_atfork included (its handlers
 *                                run around Keel's failing fork());
 *  _POSIX_THREAD_PRIORITY_SCHEDULING  thread policies and priorities
 *                                (attributes, pthread_setschedparam,
 *                                pthread_setschedprio); only
 *                                PTHREAD_SCOPE_SYSTEM (POSIX allows one);
 *  _POSIX_PRIORITY_SCHEDULING    sched_* on the calling thread; another
 *                                pid is EPERM or ESRCH (no ambient
 *                                authority: POSIX allows both);
 *  _POSIX_THREAD_ATTR_STACKSIZE  pthread_attr_setstacksize/getstacksize;
 *  _POSIX_MONOTONIC_CLOCK        CLOCK_MONOTONIC in clock_gettime,
 *                                clock_getres and clock_nanosleep
 *                                (clock_settime refuses it: EINVAL);
 *  _POSIX_THREAD_ATTR_STACKADDR  pthread_attr_setstack/getstack;
 *  _POSIX_MEMLOCK                mlockall/munlockall (<sys/mman.h>);
 *  _POSIX_MEMLOCK_RANGE          mlock/munlock (Keel never pages: every
 *                                mapped page is always resident);
 *  _POSIX_FSYNC                  fsync (the ramfs lives in memory);
 *  _POSIX_BARRIERS               pthread_barrier_*, pthread_barrierattr_*;
 *  _POSIX_SPIN_LOCKS             pthread_spin_*;
 *  _POSIX_READER_WRITER_LOCKS    pthread_rwlock_*, pthread_rwlockattr_*;
 *  _POSIX_SEMAPHORES             sem_* (unnamed and named in /dev/sem);
 *  _POSIX_MESSAGE_PASSING        mq_* (named in /dev/mqueue);
 *  _POSIX_REALTIME_SIGNALS       SIGRTMIN..SIGRTMAX queued with values,
 *                                sigqueue, sigwaitinfo, sigtimedwait,
 *                                SA_SIGINFO;
 *  _POSIX_TIMERS                 clock_gettime, clock_getres,
 *                                clock_settime (CLOCK_REALTIME), nanosleep,
 *                                timer_create .. timer_delete with
 *                                SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD;
 *  _POSIX_CPUTIME                CLOCK_PROCESS_CPUTIME_ID and
 *                                clock_getcpuclockid's ids in
 *                                clock_gettime, clock_getres and
 *                                timer_create (kernel/sched/cputimer.c);
 *  _POSIX_THREAD_CPUTIME         CLOCK_THREAD_CPUTIME_ID and
 *                                pthread_getcpuclockid's ids likewise
 *                                (clock_nanosleep on the calling thread's
 *                                clock is EINVAL, on another CPU-time
 *                                clock ENOTSUP; clock_settime EPERM, as
 *                                POSIX allows);
 *  _POSIX_CLOCK_SELECTION        clock_nanosleep, pthread_condattr_
 *                                setclock/getclock;
 *  _POSIX_TIMEOUTS               pthread_mutex_timedlock, pthread_rwlock_
 *                                timedrdlock/timedwrlock, sem_timedwait,
 *                                mq_timedsend/timedreceive (absolute
 *                                CLOCK_REALTIME times that follow
 *                                clock_settime; no tracing, so no
 *                                posix_trace_timedgetnext_event);
 *  _POSIX_THREAD_PROCESS_SHARED  PTHREAD_PROCESS_SHARED mutexes, condvars,
 *                                rwlocks and barriers: kernel objects
 *                                another process uses through a cap
 *                                (Keel has no shared memory);
 *  _POSIX_THREAD_PRIO_PROTECT    PTHREAD_PRIO_PROTECT mutexes: the holder
 *                                runs at the higher of its own priority
 *                                and the highest ceiling it holds (the
 *                                kernel's floor, KEEL_SCHED_PROTECT), its
 *                                own priority stays what getschedparam
 *                                reports; locking above the ceiling is
 *                                EINVAL; pthread_mutexattr_setprotocol/
 *                                getprotocol/setprioceiling/getprioceiling,
 *                                pthread_mutex_setprioceiling/
 *                                getprioceiling;
 *  _POSIX_THREAD_PRIO_INHERIT    PTHREAD_PRIO_INHERIT mutexes: the owner
 *                                runs at least at the priority of every
 *                                thread it blocks, transitively (the
 *                                kernel's PI); a holder whose own priority
 *                                is set keeps its place in its list (or
 *                                goes to the head of a new level), never
 *                                the tail: the kernel counts the kernel
 *                                mutex objects it holds, libc the
 *                                in-process ones (a word the kernel reads,
 *                                <keel/abi.h> KEEL_TCB_PI_HELD;
 *                                docs/posix.md says where that can race).
 *  _POSIX_THREAD_ROBUST_PRIO_INHERIT  the same for robust PRIO_INHERIT
 *                                mutexes (kernel mutex objects): the
 *                                owner inherits from its waiters, also
 *                                across processes; its death gives the
 *                                next locker EOWNERDEAD;
 *  _POSIX_THREAD_ROBUST_PRIO_PROTECT  the same for robust PRIO_PROTECT
 *                                mutexes: the owner runs at the ceiling.
 * Defined as -1 (POSIX: the option is not supported, and a program can
 * test that at compile time): _POSIX_SPORADIC_SERVER and
 * _POSIX_THREAD_SPORADIC_SERVER (SCHED_SPORADIC is refused with
 * ENOTSUP). Keel's <sys/sched.h> replaces newlib's, which gives struct
 * sched_param the sched_ss_* members and defines SCHED_SPORADIC whenever
 * either macro is defined at all.
 * sysconf answers each option's _SC_ name with these values (and -1 for
 * every option not defined here).
 *
 * newlib gates the declarations of the functions Keel does provide
 * (pthread_create, sched_yield, clock_gettime, nanosleep, ...) on the
 * option macros themselves: Keel's <pthread.h>, <sched.h> and <time.h>
 * (libc/include, searched before newlib's headers) turn the gates on
 * only while newlib's header is read, then off again, so a program sees
 * the declarations but no false announcement. Functions declared that
 * way but not provided (pthread_cond_wait, timer_create, ...) fail at
 * link time; docs/posix.md marks them missing.
 */
#ifndef KEEL_SYS_FEATURES_H
#define KEEL_SYS_FEATURES_H

#include_next <sys/features.h>

#ifndef _POSIX_THREADS
#define _POSIX_THREADS 200809L
#endif
#ifndef _POSIX_THREAD_PRIORITY_SCHEDULING
#define _POSIX_THREAD_PRIORITY_SCHEDULING 200809L
#endif
#ifndef _POSIX_PRIORITY_SCHEDULING
#define _POSIX_PRIORITY_SCHEDULING 200809L
#endif

#ifndef _POSIX_THREAD_ATTR_STACKSIZE
#define _POSIX_THREAD_ATTR_STACKSIZE 200809L
#endif
#ifndef _POSIX_MONOTONIC_CLOCK
#define _POSIX_MONOTONIC_CLOCK 200809L
#endif
#ifndef _POSIX_THREAD_ATTR_STACKADDR
#define _POSIX_THREAD_ATTR_STACKADDR 200809L
#endif
#ifndef _POSIX_MEMLOCK
#define _POSIX_MEMLOCK 200809L
#endif
#ifndef _POSIX_MEMLOCK_RANGE
#define _POSIX_MEMLOCK_RANGE 200809L
#endif
#ifndef _POSIX_FSYNC
#define _POSIX_FSYNC 200809L
#endif
#ifndef _POSIX_BARRIERS
#define _POSIX_BARRIERS 200809L
#endif
#ifndef _POSIX_SPIN_LOCKS
#define _POSIX_SPIN_LOCKS 200809L
#endif
#ifndef _POSIX_READER_WRITER_LOCKS
#define _POSIX_READER_WRITER_LOCKS 200809L
#endif
#ifndef _POSIX_SEMAPHORES
#define _POSIX_SEMAPHORES 200809L
#endif
#ifndef _POSIX_MESSAGE_PASSING
#define _POSIX_MESSAGE_PASSING 200809L
#endif
#ifndef _POSIX_REALTIME_SIGNALS
#define _POSIX_REALTIME_SIGNALS 200809L
#endif
#ifndef _POSIX_TIMERS
#define _POSIX_TIMERS 200809L
#endif
#ifndef _POSIX_CLOCK_SELECTION
#define _POSIX_CLOCK_SELECTION 200809L
#endif
#ifndef _POSIX_CPUTIME
#define _POSIX_CPUTIME 200809L
#endif
#ifndef _POSIX_THREAD_CPUTIME
#define _POSIX_THREAD_CPUTIME 200809L
#endif
#ifndef _POSIX_THREAD_PROCESS_SHARED
#define _POSIX_THREAD_PROCESS_SHARED 200809L
#endif
#ifndef _POSIX_TIMEOUTS
#define _POSIX_TIMEOUTS 200809L
#endif
#ifndef _POSIX_THREAD_PRIO_PROTECT
#define _POSIX_THREAD_PRIO_PROTECT 200809L
#endif
#ifndef _POSIX_THREAD_PRIO_INHERIT
#define _POSIX_THREAD_PRIO_INHERIT 200809L
#endif
#ifndef _POSIX_THREAD_ROBUST_PRIO_INHERIT
#define _POSIX_THREAD_ROBUST_PRIO_INHERIT 200809L
#endif
#ifndef _POSIX_THREAD_ROBUST_PRIO_PROTECT
#define _POSIX_THREAD_ROBUST_PRIO_PROTECT 200809L
#endif
#ifndef _POSIX_SPORADIC_SERVER
#define _POSIX_SPORADIC_SERVER -1
#endif
#ifndef _POSIX_THREAD_SPORADIC_SERVER
#define _POSIX_THREAD_SPORADIC_SERVER -1
#endif
/* newlib defines PTHREAD_STACK_MIN only for Xilinx's XMK; <limits.h> and
 * <pthread.h> both include this file. Four pages: the kernel maps stacks
 * in whole pages (pthread_attr_setstacksize accepts up to 1 MiB), and a
 * thread that calls printf (newlib's vfprintf and its number conversion
 * take a few KiB) still fits in the smallest stack one may ask for. */
#ifndef PTHREAD_STACK_MIN
#define PTHREAD_STACK_MIN 16384
#endif
/* Thread-specific data (libc/src/tsd.c): keys per process, and rounds of
 * destructor calls at thread exit (the POSIX minimums). */
#ifndef PTHREAD_KEYS_MAX
#define PTHREAD_KEYS_MAX 128
#endif
#ifndef PTHREAD_DESTRUCTOR_ITERATIONS
#define PTHREAD_DESTRUCTOR_ITERATIONS 4
#endif

#endif
