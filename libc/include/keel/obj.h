/*
 * Keel's kernel synchronisation objects seen from POSIX types: a
 * process-shared (or robust) pthread_mutex_t and a process-shared
 * pthread_cond_t are kernel objects named by a cap slot
 * (docs/syscalls.md "Kernel objects"). Keel has no shared memory between
 * processes, so "process-shared" means: another process reaches the same
 * object through a cap it received (cap_transfer, or spawn inheritance
 * of a cap with GRANT; pthread_mutexattr_setpshared and
 * pthread_condattr_setpshared mint the slot with GRANT) and attaches its
 * own pthread_mutex_t / pthread_cond_t to that slot.
 */
#ifndef KEEL_OBJ_H
#define KEEL_OBJ_H

#include <pthread.h>

/*
 * Makes *m (or *c) a handle of the kernel mutex (condvar) in this
 * process's slot `slot`: its type, protocol, ceiling and robustness (the
 * condvar's clock) are read from the object (the slot needs READ; using
 * it needs READ and WRITE: EACCES otherwise). 0, EBADF (not a mutex /
 * condvar cap), EACCES, EINVAL (m or c NULL). pthread_mutex_destroy /
 * pthread_cond_destroy on an attached handle closes the slot.
 */
int keel_mutex_attach(pthread_mutex_t *m, int slot);
int keel_cond_attach(pthread_cond_t *c, int slot);
/* The slot behind a kernel-object mutex or condvar, or -1 for one that
 * lives in user space (in-process, not robust). */
int keel_mutex_slot(const pthread_mutex_t *m);
int keel_cond_slot(const pthread_cond_t *c);

#endif
