/*
 * Keel's scheduling extensions: priority ceilings (seL4's maximum
 * controlled priority). Every thread carries a ceiling, the highest
 * priority it may give any thread (itself included) through
 * pthread_setschedparam, pthread_attr_setschedparam + create, or
 * posix_spawnattr_setschedparam. The first process has the whole range
 * (KEEL_PRIO_MIN..KEEL_PRIO_MAX); threads and spawned children inherit
 * their creator's ceiling; a ceiling can only ever be lowered.
 */
#ifndef KEEL_SCHED_EXT_H
#define KEEL_SCHED_EXT_H

#include <pthread.h>
#include <spawn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lowers thread th's ceiling (EPERM if that would raise it, EINVAL
 * outside KEEL_PRIO_MIN..KEEL_PRIO_MAX, ESRCH for no such thread). Its
 * current priority is left as it is. Returns 0 or an errno value. */
int keel_pthread_setceiling(pthread_t th, int ceiling);
/* Stores th's ceiling in *ceiling; 0 or an errno value. */
int keel_pthread_getceiling(pthread_t th, int *ceiling);
/* The spawned child's ceiling: at most the caller's (EPERM at spawn if
 * higher); without this it is the caller's own. 0 or EINVAL. */
int keel_spawnattr_setceiling(posix_spawnattr_t *attr, int ceiling);

#ifdef __cplusplus
}
#endif

#endif
