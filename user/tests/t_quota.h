/*
 * Helpers shared by the two quota test files (t_quota.c defines them,
 * t_quota_tree.c uses them too). Helper protocol: a helper's fd 0 is the
 * read end of a pipe from its parent (EOF: clean up and exit), fd 1 the
 * write end of a report pipe (one int per report).
 */
#ifndef UT_T_QUOTA_H
#define UT_T_QUOTA_H

#include <sys/types.h>

#include "utest.h"

/* One int to the parent (fd 1): 0 or -1. */
int q_report(int v);
/* One int from a helper, or -1000 - errno when it sent none. */
int q_read_report(int fd);
/* fds 0-2 close-on-exec, so a helper's own children do not get them. */
void q_child_init(void);
/* Reads fd 0 until EOF. */
void q_wait_eof(void);
/* Set to end every q_sleeper thread of this process. */
extern volatile int q_stop;
void *q_sleeper(void *arg);
/* Writes path up to 2 MiB: 0, or the errno of the failing open or write. */
int q_fill_file(const char *path);
/* A q-idle k child (no fds at all): its pid or -1 with errno. */
pid_t q_spawn_sleeper(void);
/* Waits (bounded) until this process's account is back at *want in
 * every pool but pages: 0 when it is. */
int q_settle(const struct keel_quota *want, struct keel_quota *got);
/* The probe, run outside an attacking tree: 0 when it could use every
 * pool, else the failing step * 1000 + errno (negative: spawn failed). */
int q_run_probe(void);

#endif
