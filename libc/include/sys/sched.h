/*
 * Keel's <sys/sched.h>, in place of newlib's (same include guard, so
 * newlib's is never read): the scheduling policies and struct
 * sched_param. newlib's adds the sporadic-server members and
 * SCHED_SPORADIC whenever _POSIX_SPORADIC_SERVER or
 * _POSIX_THREAD_SPORADIC_SERVER is defined, even as -1; Keel defines
 * both as -1 (<sys/features.h>: the option is not supported), so neither
 * the members nor the policy name exist here (POSIX marks them [SS|TSP]).
 * The policy values are newlib's (libc/include/keel/abi.h's
 * KEEL_SCHED_*). No state, no locks.
 */
#ifndef _SYS_SCHED_H_
#define _SYS_SCHED_H_

#include <sys/_timespec.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2

struct sched_param {
    int sched_priority; /* the thread's (process's) priority */
};

#ifdef __cplusplus
}
#endif

#endif
