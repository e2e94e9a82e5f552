/*
 * The run-queue primitives and the placement entry points shared by
 * sched.c (switching, the scheduling-state protocol S1-S11) and place.c
 * (which hart a ready thread goes to, pulls and kicks). Internal to
 * kernel/sched: not for other subsystems (they use include/sched.h).
 *
 * Locking: each function says what it needs: rq_add, rq_del and rq_pop
 * run under the lock of h's run queue (S2-S5 in sched.c); rq_top and the
 * place_* readers of other harts' state read without locks (hints,
 * re-checked by whoever acts on them).
 */
#ifndef KEEL_SCHED_RUNQ_H
#define KEEL_SCHED_RUNQ_H

#include "../include/sched.h"
#include "edf_hooks.h"

#ifdef KEEL_LOCKCHECK
#define RQ_CHECK(c) KASSERT(c)
/* The bitmap bit of level p says whether the level is non-empty. */
static inline void rq_check_level(struct runqueue *rq, int p)
{
    bool bit = (rq->bitmap >> p) & 1;
    if (bit == list_empty(&rq->queue[p]))
        panic("run queue: level %d bit %d but list %s", p, bit,
              bit ? "empty" : "non-empty");
}
#else
#define RQ_CHECK(c)                                                            \
    do {                                                                       \
    } while (0)
#define rq_check_level(rq, p)                                                  \
    do {                                                                       \
    } while (0)
#endif

#ifdef KEEL_KTEST
#define TEST_PICK_HOOK(c, n)                                                   \
    do {                                                                       \
        if (sched_test_pick_hook)                                              \
            sched_test_pick_hook(c, n);                                        \
    } while (0)
#define TEST_PLACE_HOOK(t)                                                     \
    do {                                                                       \
        if (sched_test_place_hook)                                             \
            sched_test_place_hook(t);                                          \
    } while (0)
#define TEST_HOOK()                                                            \
    do {                                                                       \
        if (sched_test_hook)                                                   \
            sched_test_hook();                                                 \
    } while (0)
#else
#define TEST_HOOK()                                                            \
    do {                                                                       \
    } while (0)
#define TEST_PLACE_HOOK(t)                                                     \
    do {                                                                       \
    } while (0)
#define TEST_PICK_HOOK(c, n)                                                   \
    do {                                                                       \
    } while (0)
#endif

static inline int rq_top(const struct runqueue *rq)
{
    uint64_t b = READ_ONCE(rq->bitmap);
    return b ? 63 - __builtin_clzll(b) : -1;
}

static inline void rq_add(struct hart *h, struct thread *t, bool front)
{
    struct runqueue *rq = &h->rq;
    RQ_CHECK(spin_held(&rq->lock) &&
             (spin_held(&t->slock) || t == this_hart()->cur));
    RQ_CHECK(list_empty(&t->rq_node) && t->hart == h->id);
    RQ_CHECK(t->prio >= 1 && t->prio < NPRIO);
    if (t->policy == KEEL_SCHED_DEADLINE) {
        edf_rq_add(h, t); /* S9 */
        return;
    }
    if (front)
        list_push_front(&rq->queue[t->prio], &t->rq_node);
    else
        list_push_back(&rq->queue[t->prio], &t->rq_node);
    rq->bitmap |= 1ull << t->prio;
    rq->nr_ready++;
    rq_check_level(rq, t->prio);
}

static inline void rq_del(struct hart *h, struct thread *t)
{
    struct runqueue *rq = &h->rq;
    RQ_CHECK(spin_held(&rq->lock) && t->state == T_READY && t->hart == h->id);
    if (t->policy == KEEL_SCHED_DEADLINE) {
        edf_rq_del(h, t); /* S9 */
        return;
    }
    RQ_CHECK(!list_empty(&t->rq_node) && rq->nr_ready > 0);
    list_remove(&t->rq_node);
    if (list_empty(&rq->queue[t->prio]))
        rq->bitmap &= ~(1ull << t->prio);
    rq->nr_ready--;
    rq_check_level(rq, t->prio);
}

/* Take the best thread off h's queue (lock held) for hart `self`; it is
 * RUNNING at once, so nothing treats it as queued once it is off. With
 * !oncpu_ok a best thread still on some hart's stack is left alone. */
static inline struct thread *rq_pop(struct hart *h, struct hart *self,
                                    bool oncpu_ok)
{
    struct runqueue *rq = &h->rq;
    if (!rq->bitmap)
        return NULL;
    int p = 63 - __builtin_clzll(rq->bitmap);
    rq_check_level(rq, p);
    struct list *first = rq->queue[p].next;
    RQ_CHECK(first != &rq->queue[p]); /* never the list head */
    struct thread *t = list_entry(first, struct thread, rq_node);
    RQ_CHECK(t->prio == p);
    if (!oncpu_ok && __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
        return NULL;
    rq_del(h, t);
    sched_set_state(t, T_RUNNING);
    t->hart = self->id;
    return t;
}

/* place.c: the placement steps schedule() and the priority setters use. */
/* A thread of priority prio waits on h's queue: kick a hart to run it. */
void place_kick_for(int prio, struct hart *h);
/* Some other hart's queue holds a thread above `mine`. */
bool place_remote_better(struct hart *self, int mine);
/* Once h->cur is stored: look at every queue and hart again (ourselves
 * or a stranded thread). */
void place_recheck(struct hart *h);
/* Take the best thread of another queue if it outranks `mine`. */
struct thread *place_pull(struct hart *self, int mine, bool oncpu_ok);
/* Any thread queued on any hart (a racy read). */
bool place_work_anywhere(void);

#endif
