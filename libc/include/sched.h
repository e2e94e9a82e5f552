/*
 * Keel's <sched.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (sched_yield, sched_get_priority_min and
 * sched_get_priority_max, sched_setscheduler, sched_getscheduler,
 * sched_setparam, sched_getparam, sched_rr_get_interval), which are switched
 * off again afterwards: Keel does not announce these options (see
 * <sys/features.h> and docs/posix.md: pids name the calling thread).
 *
 * Also Linux's SCHED_DEADLINE interface: SCHED_DEADLINE, struct sched_attr
 * (Linux's field names and layout) and the sched_setattr / sched_getattr
 * wrappers (docs/realtime.md "SCHED_DEADLINE", docs/syscalls.md), unless
 * a strict standard mode hides the BSD and GNU extensions.
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

#if __BSD_VISIBLE || __GNU_VISIBLE
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCHED_DEADLINE 6 /* EDF with a constant-bandwidth budget */

/* Linux's struct sched_attr; times in ns. size: sizeof(struct sched_attr)
 * (48). SCHED_DEADLINE: 0 < sched_runtime <= sched_deadline <=
 * sched_period (a period of 0 means the deadline), sched_priority 0. */
struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags; /* 0 */
    int32_t sched_nice;   /* ignored */
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

/* pid as for sched_setscheduler: 0 or getpid() is the calling thread. */
int sched_setattr(pid_t pid, const struct sched_attr *attr, unsigned int flags);
int sched_getattr(pid_t pid, struct sched_attr *attr, unsigned int size,
                  unsigned int flags);

#ifdef __cplusplus
}
#endif
#endif

#endif
