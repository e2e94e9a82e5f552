/*
 * Keel's additions to the POSIX barriers (libc/src/barrier.c): using a
 * barrier whose cap arrived by cap_transfer or was inherited at spawn
 * (it keeps its slot number; a PTHREAD_PROCESS_SHARED barrier's cap has
 * GRANT), and reading one with a READ-only cap.
 */
#ifndef KEEL_BARRIER_H
#define KEEL_BARRIER_H

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes *b name the barrier whose cap is in the caller's slot `slot`.
 * 0, EBADF (no barrier cap there) or EINVAL (NULL b). Waiting needs the
 * cap's READ and WRITE (EACCES otherwise). pthread_barrier_destroy on it
 * closes the slot. */
int keel_barrier_attach(pthread_barrier_t *b, int slot);
/* The threads per cycle and the number waiting now (READ suffices);
 * either pointer may be NULL. 0 or an errno value. */
int keel_barrier_query(const pthread_barrier_t *b, unsigned *count,
                       unsigned *waiting);
/* The slot behind *b (to hand it on), or -1 for a destroyed one. */
static inline int keel_barrier_slot(const pthread_barrier_t *b)
{
    return b->__slot;
}

#ifdef __cplusplus
}
#endif

#endif
