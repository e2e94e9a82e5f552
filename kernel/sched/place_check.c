/*
 * The placement sampler of the debug kernels (KEEL_LOCKCHECK; issue 8
 * item 4, docs/realtime.md "Placement on several harts"). Each
 * SYS_kstat call takes one sample: with every run-queue lock held (in
 * hart order; no other lock is held, and no rq-lock holder ever waits
 * for a second rq lock, so this cannot deadlock) it reads each online
 * hart's running priority (idle: 0), the best priority queued on it and
 * the hart's placement state (struct hart pl_*, kept by sched.c):
 *  - a hart is busy while inside make_ready, sched_set_prio, or
 *    schedule() up to the end of its switch (pl_busy), while its current
 *    thread is not RUNNING (blocking or exiting, about to schedule), and
 *    while its idle loop runs outside its last look before wfi;
 *  - a hart has a kick in flight while a reschedule request sent to it
 *    (sched_ipi) has not been taken up by a schedule() yet, or while its
 *    need_resched is set (a thread that lowered its own priority, an
 *    expired slice: it reschedules at its next preemption point or
 *    return to user).
 * A sample with no busy hart and no kick in flight is quiet. In a quiet
 * sample no thread may be queued above the lowest running priority:
 * every way a thread becomes ready (created, woken, requeued, given a new
 * priority) ends in the placement step that kicks a hart for it, and
 * that hart's schedule() takes the best thread anywhere. A quiet sample
 * that finds one is a violation. Transient states are never counted, so
 * host load cannot make a correct scheduler fail (no timing is involved),
 * and a violation is a state the kernel reached with nothing pending
 * that would ever fix it.
 *
 * Locking: every rq lock for the snapshot; the totals are atomics.
 */
#include "../include/sched.h"

#ifdef KEEL_LOCKCHECK
static uint64_t pl_samples, pl_quiet, pl_violations;

void sched_place_sample(struct keel_kstat *k)
{
    bool quiet = true;
    int min_run = NPRIO, max_queued = -1;
    for (int i = 0; i < nharts; i++)
        spin_lock(&harts[i].rq.lock);
    for (int i = 0; i < nharts; i++) {
        struct hart *h = &harts[i];
        if (!READ_ONCE(h->online))
            continue;
        if (__atomic_load_n(&h->pl_busy, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&h->pl_kicks, __ATOMIC_ACQUIRE) !=
                h->pl_kicks_seen ||
            READ_ONCE(h->need_resched))
            quiet = false;
        struct thread *c = READ_ONCE(h->cur);
        int run;
        if (!c || c->is_idle) {
            if (!READ_ONCE(h->pl_idle_wait))
                quiet = false;
            run = 0;
        } else {
            if (READ_ONCE(c->state) != T_RUNNING)
                quiet = false;
            run = READ_ONCE(c->prio);
        }
        min_run = MIN(min_run, run);
        uint64_t b = h->rq.bitmap;
        if (b)
            max_queued = MAX(max_queued, 63 - __builtin_clzll(b));
    }
    for (int i = nharts - 1; i >= 0; i--)
        spin_unlock(&harts[i].rq.lock);
    __atomic_fetch_add(&pl_samples, 1, __ATOMIC_RELAXED);
    if (quiet) {
        __atomic_fetch_add(&pl_quiet, 1, __ATOMIC_RELAXED);
        if (max_queued > min_run)
            __atomic_fetch_add(&pl_violations, 1, __ATOMIC_RELAXED);
    }
    k->place_samples = __atomic_load_n(&pl_samples, __ATOMIC_RELAXED);
    k->place_quiet = __atomic_load_n(&pl_quiet, __ATOMIC_RELAXED);
    k->place_violations = __atomic_load_n(&pl_violations, __ATOMIC_RELAXED);
}
#endif
