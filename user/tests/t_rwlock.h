/*
 * Helpers shared by the rwlock tests (t_rwlock.c: in-process,
 * t_rwlock_k.c: the process-shared kernel object).
 */
#ifndef T_RWLOCK_H
#define T_RWLOCK_H

#include <pthread.h>
#include <time.h>

#include "utest.h"

/* One lock operation: its pthread_rwlock_* result. */
enum {
    RW_RD,
    RW_TRYRD,
    RW_WR,
    RW_TRYWR,
    RW_UNLOCK,
    RW_TIMEDRD_PAST,
    RW_TIMEDWR_PAST
};
int rw_op(pthread_rwlock_t *l, int op);
/* rw_op in a new thread of this process (which then exits). */
int rw_from_other(pthread_rwlock_t *l, int op);
/* threadinfo of this process's thread tid (1 found); polls (bounded,
 * ~20 s, a safety net) until tid is BLOCKED on a queue whose name starts
 * with wchan (1), else 0. */
int rw_ti_self(int tid, struct keel_threadinfo *out);
int rw_wait_blocked(int tid, const char *wchan);
/* The same for any thread of process pid. */
int rw_wait_blocked_pid(int pid, const char *wchan);
int64_t rw_rt_ns(void);
struct timespec rw_ts_at(int64_t ns);

/* A thread that takes the lock (op), holds it until release, unlocks:
 * rw_holder_start returns op's result once it has one (-1: no answer),
 * rw_holder_stop the unlock's. */
struct rw_holder {
    pthread_rwlock_t *l;
    int op;
    volatile int held, release;
    int rc, urc;
    pthread_t th;
};
int rw_holder_start(struct rw_holder *h, pthread_rwlock_t *l, int op);
int rw_holder_stop(struct rw_holder *h);

#endif
