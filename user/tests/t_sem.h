/*
 * The semaphore and barrier tests' shared helper (ut_sem_peer.c defines
 * it; t_sem*.c and t_barrier.c use it): utest in mode "sem-peer" runs
 * one command at a time from fd 0 on the semaphore or barrier it
 * attached, and answers each with one int on fd 1 (0 or a value, or
 * -errno), so a test can make another process wait, post or query
 * through a cap it received.
 */
#ifndef UT_T_SEM_H
#define UT_T_SEM_H

#include <sys/types.h>

#include "utest.h"

enum {
    SP_ATTACH_SEM = 1, /* arg: slot (keel_sem_attach) */
    SP_WAIT,           /* sem_wait */
    SP_TRYWAIT,        /* sem_trywait */
    SP_POST,           /* sem_post */
    SP_GETVALUE,       /* sem_getvalue -> value */
    SP_ATTACH_BAR,     /* arg: slot (keel_barrier_attach) */
    SP_BAR_WAIT,       /* pthread_barrier_wait: 1 serial, 0, -errno */
    SP_BAR_QUERY,      /* keel_barrier_query -> waiting, or -errno */
    SP_EXIT,           /* answers 0, then exits with arg */
};

struct sem_peer {
    pid_t pid;
    int cmd, rep;
};

/* Spawns a sem-peer: 0 or an errno value. */
int sem_peer_start(struct sem_peer *p);
/* Sends a command without waiting for its answer: 0 or -1. */
int sem_peer_send(struct sem_peer *p, int op, int arg);
/* The answer to the oldest command not yet answered (-10000 if none
 * came: the peer died). */
int sem_peer_recv(struct sem_peer *p);
/* send + recv. */
int sem_peer_call(struct sem_peer *p, int op, int arg);
/* Ends the peer (SP_EXIT 0) and reaps it: its wait status. */
int sem_peer_stop(struct sem_peer *p);
/* Threads of process pid (0: this one) BLOCKED on the wait queue named
 * wchan now. */
int sem_sleepers(pid_t pid, const char *wchan);
/* Polls (bounded, ~20 s: a safety net, not a time check) until exactly n
 * threads of pid sleep on wchan; 1 when they did. */
int sem_wait_sleepers(pid_t pid, const char *wchan, int n);
/* Transfers the cap in our slot `slot` (of `type`) to pid with rights;
 * the receiver's slot, or -1 (errno set); *deleg gets the delegate. */
int sem_xfer(pid_t pid, int slot, int type, unsigned rights,
             cap_token_t *deleg);
/* Modes sem-peer (ut_sem_peer.c), sem-named (t_sem_named.c) and
 * barrier-inherit (t_barrier.c). */
int ut_mode_sem_peer(int argc, char **argv);
int ut_mode_sem_named(int argc, char **argv);
int ut_mode_sem_inherit(int argc, char **argv); /* t_sem_proc.c */
int ut_mode_sem_quota(int argc, char **argv);
int ut_mode_barrier_inherit(int argc, char **argv);
/* Objects in use in the kernel pool (kstat). */
long sem_kobjs(void);

#endif
