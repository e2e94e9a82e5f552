/*
 * The mixed stress test's protocol between the test process
 * (t_objstress.c) and its peer process (ut_objstress_peer.c, mode
 * "objstress-peer"): commands on the peer's fd 0, replies on its fd 1,
 * one fixed-size struct each.
 */
#ifndef UT_T_OBJSTRESS_H
#define UT_T_OBJSTRESS_H

#include "utest.h"

#define OS_NW 3      /* workers */
#define OS_ITER 150  /* iterations per worker */
#define OS_ROUNDS 10 /* revoke rounds with the peer */
#define OS_PEER_N 16 /* posts and messages the peer makes per round */
#define OS_TICKS 30  /* timer expiries each timer thread waits for */
#define OS_SIGQ 6    /* queued signals to the peer per round */
#define OS_NBLOCK 6  /* peer threads blocked per round */
#define OS_QNAME "/ut_objstress"

enum { OP_SHARED = 1, OP_BLOCK, OP_REPORT, OP_QUIT, OP_READY };

struct os_cmd {
    int op, round;
    int slot[OS_NBLOCK]; /* OP_BLOCK: sem, mutex, rwlock, barrier, mq, cond */
};

struct os_rep {
    int op, round;
    int r[OS_NBLOCK]; /* OP_BLOCK: each wait's result (0 or an errno) */
    long a, b;        /* OP_REPORT: queued signals received, value sum */
};

/* SIGUSR1 handler (a count, SA_RESTART) for the test process and the
 * peer. */
void os_handlers(void);

#endif
