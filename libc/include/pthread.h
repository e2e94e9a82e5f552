/*
 * Keel's <pthread.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (pthread_create, pthread_join,
 * pthread_self, pthread_mutex_*, pthread_attr_*, pthread_setschedparam and
 * pthread_getschedparam), which are switched off again afterwards: Keel does
 * not provide these options in full (see <sys/features.h> and docs/posix.md).
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

#include_next <pthread.h>

#ifdef KEEL_GATE_PTHREAD_THREADS
#undef _POSIX_THREADS
#undef KEEL_GATE_PTHREAD_THREADS
#endif
#ifdef KEEL_GATE_PTHREAD_THREAD_PRIORITY_SCHEDULING
#undef _POSIX_THREAD_PRIORITY_SCHEDULING
#undef KEEL_GATE_PTHREAD_THREAD_PRIORITY_SCHEDULING
#endif

#endif
