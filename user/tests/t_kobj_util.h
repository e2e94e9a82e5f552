/*
 * Helpers shared by the kernel mutex and condvar tests (t_kobj_util.c
 * defines them; t_kmutex.c, t_kmutex_xproc.c, t_cond.c, t_mutex.c and
 * t_mutex_pp.c use them): the "kmx"
 * helper process and small utilities. Helper protocol: fd 0 carries struct
 * kx_cmd from the test, fd 1 one int reply per command (t_kobj_util.c,
 * mode_kmx).
 */
#ifndef UT_T_KOBJ_UTIL_H
#define UT_T_KOBJ_UTIL_H

#include <pthread.h>
#include <time.h>

#include "utest.h"

#define MS 1000000ll

struct kx_cmd {
    int op, arg;
};

struct kx {
    pid_t pid;
    int cmd, rep;
};

/* Spawns a kmx helper (inheriting every cap with GRANT): 0 or errno. */
int kx_start(struct kx *h);
int kx_send(struct kx *h, int op, int arg); /* 0 or -1 */
int kx_recv(struct kx *h);                  /* the reply, -1000 if none */
int kx_call(struct kx *h, int op, int arg);
/* Closes the pipes (the helper exits on EOF) and waits: its status. */
int kx_end(struct kx *h);
/* KEEL_POOL_OBJECTS in use (keel_kstat). */
long kx_objects(void);
/* The threadinfo row of pid's thread tid (-1: its first): 1, or 0. */
int kx_ti(int pid, int tid, struct keel_threadinfo *out);
/* Polls (bounded, ~10 s) until that thread is blocked on wchan: 1. */
int kx_wait_blocked(int pid, int tid, const char *wchan);
/* Now on clk plus ns, as an absolute timespec. */
struct timespec kx_in(clockid_t clk, int64_t ns);
/* pthread_mutex_init with these attributes. */
int kx_mutex(pthread_mutex_t *m, int type, int proto, int robust, int pshared);
/* pthread_mutex_init with a type, a protocol and a ceiling (0: the
 * default) (t_mutex.c, t_mutex_pp.c): 0 or the error. */
int kx_make_mutex(pthread_mutex_t *m, int type, int protocol, int ceil);
/* The calling thread's own priority (pthread_getschedparam), and the one
 * it runs at (threadinfo: a lent priority or a ceiling included). */
int kx_own_prio(void);
int kx_runs_at(void);
/* Runs op on m in a new thread (t_kobj_util.c kt_thread): its result. */
int kx_other(pthread_mutex_t *m, int op);

#endif
