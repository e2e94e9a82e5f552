/*
 * The SMP capability stress (t_stress.c): its sizes and the messages
 * between the test and its helper processes (ut_stress.c).
 */
#ifndef UT_STRESS_H
#define UT_STRESS_H

#include "ut_peer.h"

#define NNODES 3
#define MIN_OPS 100000ull
#define BUDGET_NS (20ull * 1000000000ull)

#define SEND_KEEP 10 /* outstanding per sender: two exceed the quota */
#define RECV_KEEP 8  /* dup copies a receiver keeps */
#define PRIV_BASE 88 /* receiver's dup2 targets: never the lowest free */
#define NPRIV 8
#define DEVNULL_FD 20 /* /dev/null with GRANT, from a spawn open action */
/* Iterations per thread. Measured under QEMU on a 2-core host: 4.8-8
 * million operations in 5-14 s with 4 harts; with 1 hart the 20 s budget
 * ends the run first, after 6-8 million. */
#define SEND_ITERS 30000
#define RECV_ITERS (50 * SEND_ITERS) /* bounds; both stop with the senders */
#define CHURN_ITERS (10 * SEND_ITERS)
#define SPAWN_ITERS 1000
#define VICTIM_ITERS 300 /* transfers by one short-lived victim */
#define VICTIM_KEEP 12

/* The test's commands to a node; each gets a struct srep back. */
enum { S_SETUP = 1, S_GO, S_CHECK, S_QUOTA, S_EXIT };

struct smsg {
    int op;
    int npeers;
    pid_t peers[NNODES];
    uint64_t deadline; /* S_GO: stop by then (ut_now_ns) */
};

/* What the races did, for the report line. */
enum {
    ST_XFER,
    ST_NOSPC,
    ST_REVOKED,
    ST_USES,
    ST_RACED,
    ST_AMBIG,
    ST_SPAWNS,
    ST_N
};

struct srep {
    int op;
    int bad;
    uint64_t ops;
    uint64_t stat[ST_N];
    long value;     /* S_CHECK, S_QUOTA: the result */
    char what[120]; /* the first bad result */
};

#endif
