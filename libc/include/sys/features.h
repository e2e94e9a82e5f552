/*
 * Keel's wrapper around newlib's <sys/features.h>. newlib only announces
 * the POSIX options for the systems it knows (RTEMS, Cygwin, ...), so for
 * riscv64-unknown-elf <pthread.h>, sched_yield(), clock_gettime(),
 * nanosleep() and CLOCK_MONOTONIC would stay undeclared. libc/include comes
 * before newlib's include directory on the search path, so every newlib
 * header picks up this file, which adds the options Keel's libc provides.
 *
 * These options only add declarations, except that _POSIX_THREADS adds
 * two members to struct sigevent, which no code in newlib's libc.a uses
 * (it has no timer_create or mq_notify), so the library's ABI is unchanged.
 */
#ifndef KEEL_SYS_FEATURES_H
#define KEEL_SYS_FEATURES_H

#include_next <sys/features.h>

#ifndef _POSIX_THREADS
#define _POSIX_THREADS 1
#endif
#ifndef _POSIX_THREAD_PRIORITY_SCHEDULING
#define _POSIX_THREAD_PRIORITY_SCHEDULING 1
#endif
#ifndef _POSIX_PRIORITY_SCHEDULING
#define _POSIX_PRIORITY_SCHEDULING 1
#endif
#ifndef _POSIX_TIMERS
#define _POSIX_TIMERS 1
#endif
#ifndef _POSIX_MONOTONIC_CLOCK
#define _POSIX_MONOTONIC_CLOCK 200112L
#endif
#ifndef _POSIX_SPAWN
#define _POSIX_SPAWN 1
#endif
#ifndef _POSIX_THREAD_ATTR_STACKSIZE
#define _POSIX_THREAD_ATTR_STACKSIZE 1
#endif
/* newlib defines PTHREAD_STACK_MIN only for Xilinx's XMK; <limits.h> and
 * <pthread.h> both include this file. One page: the kernel maps stacks in
 * whole pages (pthread_attr_setstacksize accepts up to 1 MiB). */
#ifndef PTHREAD_STACK_MIN
#define PTHREAD_STACK_MIN 4096
#endif

#endif
