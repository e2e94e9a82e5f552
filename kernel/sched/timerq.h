/*
 * A timer queue: a binary min-heap of timer nodes keyed by deadline, in a
 * caller-provided array of node pointers. Insert and remove (of any
 * queued node, found through the index it carries) are O(log n) in the
 * worst case: one sift along a root-to-leaf path, no list walk. Peeking
 * at the earliest deadline is O(1).
 *
 * Intrusive: the node (struct timer_node) is embedded in the object that
 * waits (struct thread's `sleep` today; issue 9's timer objects can embed
 * one the same way), so queueing allocates nothing and cannot fail while
 * the array has room for every object that can be queued at once.
 *
 * No locking here: the caller holds the lock that guards the queue (for
 * the per-hart sleep queues, that hart's sleep_lock; kernel/sched/timer.c)
 * and, while a node is queued, its deadline and idx belong to that lock.
 * Pure logic: the host tests (tests/host/test_timerq.c) build it too.
 *
 * Invariants (n nodes queued):
 *   - heap[i]->idx == i for every i < n; an unqueued node has idx -1;
 *   - heap[(i - 1) / 2]->deadline <= heap[i]->deadline for 0 < i < n.
 * Equal deadlines come out in no particular order.
 */
#ifndef KEEL_TIMERQ_H
#define KEEL_TIMERQ_H

#include <stdbool.h>
#include <stdint.h>

struct timer_node;
/* What expiry does with a node (called by the queue's owner, not here). */
typedef void (*timer_fire_fn)(struct timer_node *tn);

/*
 * The generic timer node. deadline and idx are the queue's (see above);
 * owner and fire are for the code that owns the queues (timer.c: the hart
 * whose queue holds the node, -1 if none, and the expiry action).
 */
struct timer_node {
    uint64_t deadline; /* absolute, timer ticks */
    int32_t idx;       /* slot in the heap, -1 when not queued */
    int32_t owner;     /* timer.c: the hart whose queue holds it, or -1 */
    timer_fire_fn fire;
};

struct timerq {
    struct timer_node **heap; /* cap slots */
    uint32_t n;
    uint32_t cap;
};

void timerq_init(struct timerq *q, struct timer_node **storage, uint32_t cap);
/* A node starts out unqueued. */
void timer_node_init(struct timer_node *tn);
static inline bool timer_node_queued(const struct timer_node *tn)
{
    return tn->idx >= 0;
}
/* Queues tn (not queued anywhere) at deadline; false if q is full. */
bool timerq_insert(struct timerq *q, struct timer_node *tn, uint64_t deadline);
/* Takes tn off q; tn must be queued in q. */
void timerq_remove(struct timerq *q, struct timer_node *tn);
/* The node with the earliest deadline, or 0 if q is empty. */
static inline struct timer_node *timerq_first(const struct timerq *q)
{
    return q->n ? q->heap[0] : 0;
}
/* Removes and returns the earliest node if its deadline is <= now, else
 * returns 0 and leaves q as it is. */
struct timer_node *timerq_pop_due(struct timerq *q, uint64_t now);
/* Checks the invariants (tests); true if they hold. O(n). */
bool timerq_valid(const struct timerq *q);

#endif
