/*
 * Keel's <sched.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (sched_yield, sched_get_priority_min and
 * sched_get_priority_max, sched_setscheduler, sched_getscheduler,
 * sched_setparam, sched_getparam, sched_rr_get_interval), which are switched
 * off again afterwards: Keel does not announce these options (see
 * <sys/features.h> and docs/posix.md: pids name the calling thread).
 */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include <sys/features.h>
#ifndef _POSIX_PRIORITY_SCHEDULING
#define _POSIX_PRIORITY_SCHEDULING 1
#define KEEL_GATE_SCHED_PRIORITY_SCHEDULING
#endif

#include_next <sched.h>

#ifdef KEEL_GATE_SCHED_PRIORITY_SCHEDULING
#undef _POSIX_PRIORITY_SCHEDULING
#undef KEEL_GATE_SCHED_PRIORITY_SCHEDULING
#endif

#endif
