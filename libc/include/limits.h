/*
 * Keel's <limits.h>: newlib's, plus what POSIX puts here and newlib's
 * riscv64-unknown-elf build leaves out: the _POSIX_* minimum values every
 * conforming system must meet, and Keel's own invariant limits where
 * they are fixed at build time. Limits that depend on the running system
 * (processors, pages, quotas) come from sysconf (libc/src/sysconf.c).
 */
#ifndef KEEL_LIMITS_H
#define KEEL_LIMITS_H

#include_next <limits.h>
#include <sys/features.h>

/* POSIX.1-2008 minimum values (<limits.h> "Minimum Values"). */
#define _POSIX_AIO_LISTIO_MAX 2
#define _POSIX_AIO_MAX 1
#define _POSIX_ARG_MAX 4096
#define _POSIX_CHILD_MAX 25
#define _POSIX_CLOCKRES_MIN 20000000
#define _POSIX_DELAYTIMER_MAX 32
#define _POSIX_HOST_NAME_MAX 255
#define _POSIX_LINK_MAX 8
#define _POSIX_LOGIN_NAME_MAX 9
#define _POSIX_MAX_CANON 255
#define _POSIX_MAX_INPUT 255
#define _POSIX_MQ_OPEN_MAX 8
#define _POSIX_MQ_PRIO_MAX 32
#define _POSIX_NAME_MAX 14
#define _POSIX_NGROUPS_MAX 8
#define _POSIX_OPEN_MAX 20
#define _POSIX_PATH_MAX 256
#define _POSIX_PIPE_BUF 512
#define _POSIX_RE_DUP_MAX 255
#define _POSIX_RTSIG_MAX 8
#define _POSIX_SEM_NSEMS_MAX 256
#define _POSIX_SEM_VALUE_MAX 32767
#define _POSIX_SIGQUEUE_MAX 32
#define _POSIX_SSIZE_MAX 32767
#define _POSIX_STREAM_MAX 8
#define _POSIX_SYMLOOP_MAX 8
#define _POSIX_THREAD_DESTRUCTOR_ITERATIONS 4
#define _POSIX_THREAD_KEYS_MAX 128
#define _POSIX_THREAD_THREADS_MAX 64
#define _POSIX_TIMER_MAX 32
#define _POSIX_TTY_NAME_MAX 9
#define _POSIX_TZNAME_MAX 6

/* Keel's invariant limits. PTHREAD_STACK_MIN is in <sys/features.h>
 * (newlib's <pthread.h> wants it too). PTHREAD_THREADS_MAX is what POSIX
 * says, the threads a process can create: besides its initial thread
 * (a process has 65 thread slots, <keel/cap.h> CAP_THREAD_SLOTS). */
#ifndef PTHREAD_THREADS_MAX
#define PTHREAD_THREADS_MAX 64
#endif
/* Message-queue priorities 0 .. 31 (<mqueue.h> has the same). */
#ifndef MQ_PRIO_MAX
#define MQ_PRIO_MAX 32
#endif
/* Timer overruns are counted up to this (the timers' <keel/abi.h>
 * KEEL_DELAYTIMER_MAX; libc/src/sysconf.c checks they agree). */
#ifndef DELAYTIMER_MAX
#define DELAYTIMER_MAX 4096
#endif
/* Bytes in a file name component, and in the name of a named semaphore
 * or message queue after its '/' (<keel/abi.h> KEEL_NAME_MAX; longer:
 * ENAMETOOLONG). newlib's <sys/syslimits.h>, read above, says 255. */
#undef NAME_MAX
#define NAME_MAX 31
/* Bytes in a path with its terminating NUL (<keel/abi.h> KEEL_PATH_MAX;
 * longer: ENAMETOOLONG). newlib's <limits.h> says 4096. */
#undef PATH_MAX
#define PATH_MAX 256
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif
/* Signals: the real-time range SIGRTMIN 32 .. SIGRTMAX 64, and the
 * queued instances a process can hold (<keel/abi.h> KEEL_SIGQUEUE_MAX,
 * checked in libc/src/signal.c): one of every real-time signal at once
 * fits. */
#ifndef RTSIG_MAX
#define RTSIG_MAX 33
#endif
#ifndef SIGQUEUE_MAX
#define SIGQUEUE_MAX 64
#endif

#endif
