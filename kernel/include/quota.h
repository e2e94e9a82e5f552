/*
 * Hierarchical quotas (docs/capabilities.md "Quotas"). Every process has
 * an account with a used and a limit counter per shared pool. Charging n
 * units to p adds n at p and at every process on its creator chain (the
 * spawner, fixed at spawn; reparenting does not change it), and fails,
 * undoing what it added, when any level would pass its limit. So what a
 * process's descendants hold is charged to it, a child's default limit
 * is a fixed fraction of its creator's, and no tree can take a pool that
 * its root's limit does not cover.
 *
 * Locking: none. used[] is changed only by compare-and-swap (a charge
 * never overshoots a limit, even transiently); limit[] is written once,
 * before the process becomes visible. Whoever charged an account keeps
 * the process struct alive (a reference, or for a process's own address
 * space the process itself) until it uncharges, so an uncharge always
 * finds a valid chain: a struct proc holds a reference on its creator.
 */
#ifndef KEEL_QUOTA_H
#define KEEL_QUOTA_H

#include "kernel.h"
#include "../../libc/include/keel/abi.h"

#define QUOTA_NPOOLS KEEL_POOL_N
/* A child's default limit: QUOTA_CHILD_NUM/QUOTA_CHILD_DEN of its
 * creator's, per pool. With 3/4 the process limit falls to 0 within 16
 * levels, which bounds the creator chain (and so every charge) to
 * QUOTA_MAX_DEPTH levels. */
#define QUOTA_CHILD_NUM 3
#define QUOTA_CHILD_DEN 4
#define QUOTA_MAX_DEPTH 20
/* Pages kept back from init's limit for the kernel's own allocations
 * that no process is charged for (boot-time objects made after init's
 * limits are set, the slack of in-flight bounds). */
#define QUOTA_PAGE_RESERVE 256

struct quota {
    uint64_t used[QUOTA_NPOOLS];
    uint64_t limit[QUOTA_NPOOLS];
};

struct proc;

/* 0, or -1 when some level of p's creator chain would pass its limit
 * (nothing charged then). p may be NULL (the kernel itself): no charge.
 * Limits stay far below 2^63, so used + n cannot wrap. */
int quota_charge(struct proc *p, int pool, uint64_t n);
void quota_uncharge(struct proc *p, int pool, uint64_t n);
/* A child's limits from its creator's (spawn, before it runs). */
void quota_init_child(struct proc *child, struct proc *creator);
/* init's limits: what is free in each pool when it starts. */
void quota_init_root(struct proc *init);

#endif
