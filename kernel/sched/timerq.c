/*
 * The timer queue's binary min-heap; see timerq.h for the invariants and
 * the locking (none here: the caller holds the queue's lock). Each
 * operation moves one node along one root-to-leaf path: at most
 * log2(cap) + 1 steps.
 */
#include "timerq.h"

void timerq_init(struct timerq *q, struct timer_node **storage, uint32_t cap)
{
    q->heap = storage;
    q->n = 0;
    q->cap = cap;
}

void timer_node_init(struct timer_node *tn)
{
    tn->deadline = 0;
    tn->idx = -1;
    tn->owner = -1;
    tn->fire = 0;
}

static inline void timerq_put(struct timerq *q, uint32_t i,
                              struct timer_node *tn)
{
    q->heap[i] = tn;
    tn->idx = (int32_t)i;
}

/* Moves the node at i towards the root while its parent is later. */
static void timerq_sift_up(struct timerq *q, uint32_t i)
{
    struct timer_node *tn = q->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (q->heap[p]->deadline <= tn->deadline)
            break;
        timerq_put(q, i, q->heap[p]);
        i = p;
    }
    timerq_put(q, i, tn);
}

/* Moves the node at i towards the leaves while a child is earlier. */
static void timerq_sift_down(struct timerq *q, uint32_t i)
{
    struct timer_node *tn = q->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && q->heap[c + 1]->deadline < q->heap[c]->deadline)
            c++;
        if (tn->deadline <= q->heap[c]->deadline)
            break;
        timerq_put(q, i, q->heap[c]);
        i = c;
    }
    timerq_put(q, i, tn);
}

bool timerq_insert(struct timerq *q, struct timer_node *tn, uint64_t deadline)
{
    if (q->n >= q->cap)
        return false;
    tn->deadline = deadline;
    timerq_put(q, q->n++, tn);
    timerq_sift_up(q, q->n - 1);
    return true;
}

void timerq_remove(struct timerq *q, struct timer_node *tn)
{
    uint32_t i = (uint32_t)tn->idx;
    struct timer_node *last = q->heap[--q->n];
    tn->idx = -1;
    if (last == tn)
        return;
    /* The last leaf fills the hole; it may belong above or below it. */
    timerq_put(q, i, last);
    if (i > 0 && q->heap[(i - 1) / 2]->deadline > last->deadline)
        timerq_sift_up(q, i);
    else
        timerq_sift_down(q, i);
}

struct timer_node *timerq_pop_due(struct timerq *q, uint64_t now)
{
    struct timer_node *tn = timerq_first(q);
    if (!tn || tn->deadline > now)
        return 0;
    timerq_remove(q, tn);
    return tn;
}

bool timerq_valid(const struct timerq *q)
{
    if (q->n > q->cap)
        return false;
    for (uint32_t i = 0; i < q->n; i++) {
        if (q->heap[i]->idx != (int32_t)i)
            return false;
        if (i > 0 && q->heap[(i - 1) / 2]->deadline > q->heap[i]->deadline)
            return false;
    }
    return true;
}
