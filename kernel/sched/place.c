/*
 * Global fixed-priority placement (issue 8 item 4; docs/realtime.md
 * "Placement on several harts"): the idle / lowest-priority rule. A hart's load
 * is the higher of the priority it runs (idle: 0) and the best priority queued
 * on it. When a thread becomes ready (new, woken, requeued because it was
 * preempted or yielded, or given a new priority) and some hart's load is
 * below the thread's priority, the hart with the lowest load is kicked
 * (IPI): a woken thread is queued there; a requeued thread stays queued
 * where it is and the kicked hart pulls it. In schedule() a hart takes
 * the best thread on any queue if it outranks its own best, so the
 * kicked hart finds it; an idle hart never waits in wfi while any run
 * queue holds a thread. The loads are read again after the thread is
 * queued (a fence on each side with the idle loop), so a hart that went
 * idle while the waker chose its queue is kicked too; symmetrically a hart
 * looks at the queues again once its new thread is h->cur (place_recheck),
 * so a thread queued while it picked is not missed, and kicks the hart
 * running the lowest priority if a thread queued anywhere outranks it
 * (a kick used up on another thread is passed on). A thread still on another
 * hart's stack (on_cpu) is only pulled by a hart whose own outgoing thread is
 * not queued, so two harts never wait for each other's outgoing thread.
 *
 * Locking: make_ready takes t->slock and then the chosen hart's rq lock
 * (S1, S3 in sched.c); place_pull takes one rq lock; the loads of other
 * harts (h->cur, its priority, rq_top) are read without locks: hints,
 * read again (after a fence) once the thread is queued, and re-checked
 * by the kicked hart's own schedule().
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "runq.h"

void sched_ipi(int hart)
{
    PL_KICK(hart);
    if (hart == this_hart()->id) {
        this_hart()->need_resched = 1;
        this_hart()->need_resched_preempt = 1;
    } else
        sbi_send_ipi(hart);
}

static int hart_cur_prio(struct hart *h)
{
    struct thread *c = READ_ONCE(h->cur);
    return c ? READ_ONCE(c->prio) : 0;
}

/* The online hart (other than `skip`) with the lowest load below prio,
 * scanning from `start` so that ties go to it; NULL if none. */
static struct hart *kick_target(int prio, int start, int skip)
{
    struct hart *best = NULL;
    int best_load = prio;
    for (int i = 0; i < nharts; i++) {
        struct hart *h = &harts[(start + i) % nharts];
        if (!h->online || h->id == skip)
            continue;
        int load = MAX(hart_cur_prio(h), rq_top(&h->rq));
        if (load < best_load) {
            best = h;
            best_load = load;
        }
    }
    return best;
}

/* A thread of priority prio waits on h's queue: interrupt h if it runs
 * something lower, else the lowest-loaded other hart, which pulls it. */
void place_kick_for(int prio, struct hart *h)
{
    if (prio > hart_cur_prio(h)) {
        sched_ipi(h->id);
        return;
    }
    struct hart *o = kick_target(prio, h->id, h->id);
    if (o)
        sched_ipi(o->id);
}

/* Queue a thread that is on no hart and no queue (WAKING), where it runs
 * soonest, and interrupt that hart if the thread outranks what it runs. */
static void make_ready(struct thread *t)
{
    bool smp = nharts > 1;
    PL_BUSY(1);
    spin_lock(&t->slock);
    struct hart *h = this_hart(); /* the only hart if !smp */
    bool dl = t->policy == KEEL_SCHED_DEADLINE;
    if (dl) {
        h = &harts[t->dl.hart]; /* its own hart (S10) */
    } else if (smp) {
        struct hart *k = kick_target(t->prio, t->hart, -1);
        if (k)
            h = k;
        else if (harts[t->hart].online)
            h = &harts[t->hart];
    }
    TEST_PLACE_HOOK(t);
    spin_lock(&h->rq.lock);
    t->hart = h->id;
    rq_add(h, t, false);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    sched_set_state(t, T_READY);
    int prio = t->prio;
    spin_unlock(&h->rq.lock);
    spin_unlock(&t->slock);
    if (dl) {
        sched_ipi(h->id); /* EDF order (or a new timer event) there */
    } else if (smp) {
        /* The loads read above may be stale: a hart may have gone idle
         * (or dropped below prio) since. Look again now that t is
         * queued; the fence pairs with the idle loop's, so either we see
         * that hart idle or it sees t queued. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        place_kick_for(prio, h);
    } else if (prio > hart_cur_prio(h))
        sched_ipi(h->id);
    PL_BUSY(-1);
}

void sched_enqueue_new(struct thread *t)
{
    if (t->state == T_FREE)
        sched_set_state(t, T_WAKING);
    make_ready(t);
}

bool sched_wake(struct thread *t)
{
    /* Claim the wake-up first (BLOCKED -> WAKING): only one waker wins,
     * and the thread's own schedule() leaves a WAKING thread alone. */
    int expected = T_BLOCKED;
    if (!__atomic_compare_exchange_n(&t->state, &expected, T_WAKING, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    /* Let it finish switching out on its old hart before anyone may pick
     * it (S7): then a thread on a run queue is never on a hart's stack
     * unless it is that hart's own outgoing thread. No lock is held. */
    for (unsigned n = 0; __atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE);) {
        cpu_relax();
        if (++n % SPIN_HINT_EVERY == 0)
            spin_wait_hint(); /* spinlock.h */
    }
    TEST_HOOK();
    make_ready(t);
    return true;
}

/* Some other queue's best outranks `mine` (racy reads: a hint). */
bool place_remote_better(struct hart *self, int mine)
{
    for (int i = 1; i < nharts; i++)
        if (rq_top(&harts[(self->id + i) % nharts].rq) > mine)
            return true;
    return false;
}

/* Once this hart's running priority is set (at the end of a switch, or
 * when it keeps its thread, which may have lowered itself), look at every
 * queue again, our own included, and at what every other hart runs.
 *
 * Ourselves: a thread queued while we picked was missed both by our pick
 * (it read that queue before the thread was there) and by its waker's
 * kick (which read our old priority: h->cur is stored only at the switch,
 * after the pick); the waker stores the queue and then loads h->cur, we
 * store h->cur and then load the queues, so with a fence on each side at
 * least one of us sees the other. If a queued thread outranks what we
 * now run, we reschedule (need_resched, taken at the next preemption
 * point or return to user), and that pick takes it.
 *
 * The others (a stranded thread): otherwise, if the best thread queued
 * on any queue outranks what some other hart runs, kick the hart running
 * the lowest priority. A kick names no thread: the kicked hart takes the
 * best it finds, which may be another thread (one queued on its own
 * queue meanwhile, or a better one elsewhere), and two kicks sent to one
 * hart are taken up by one pick; the thread a kick was meant for is then
 * left queued, on any hart's queue, while some hart runs below it, and
 * nobody else would look. The look here passes the kick on: every hart
 * that was kicked picks and then looks, so as long as a queued thread
 * outranks a running one some hart has a kick in flight, until one pulls
 * it. (Racy reads, hints as every load: a thread we miss was queued or
 * raised after our fence, and its own placement step kicks for it.)
 *
 * Not for the idle thread: a hart that found nothing to run pulled from
 * every queue, and the idle loop makes its own last look before wfi. */
void place_recheck(struct hart *h)
{
    struct thread *cur = h->cur;
    if (cur->is_idle)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int mine = READ_ONCE(cur->prio), top = -1, low_prio = NPRIO;
    struct hart *low = NULL;
    for (int i = 0; i < nharts; i++) {
        struct hart *o = &harts[i];
        top = MAX(top, rq_top(&o->rq));
        if (o == h || !READ_ONCE(o->online))
            continue;
        int p = hart_cur_prio(o);
        if (p < low_prio) {
            low = o;
            low_prio = p;
        }
    }
    if (top > mine) {
        PL_KICK(h->id);
        h->need_resched = 1;
        h->need_resched_preempt = 1;
    } else if (low && top > low_prio) {
        sched_ipi(low->id); /* a stranded thread: pass the kick on */
    }
}

/* Pull the best thread of any queue if it outranks `mine` (the best
 * priority on our own queue, -1 if empty). */
struct thread *place_pull(struct hart *self, int mine, bool oncpu_ok)
{
    struct hart *best = NULL;
    int best_prio = mine;
    for (int i = 1; i < nharts; i++) {
        struct hart *o = &harts[(self->id + i) % nharts];
        int p = rq_top(&o->rq);
        if (p > best_prio) {
            best = o;
            best_prio = p;
        }
    }
    if (!best)
        return NULL;
    struct thread *t = NULL;
    spin_lock(&best->rq.lock);
    if (rq_top(&best->rq) > mine)
        t = rq_pop(best, self, oncpu_ok);
    spin_unlock(&best->rq.lock);
    return t;
}

/* Any queued thread on any hart (a racy read; the caller retries). */
bool place_work_anywhere(void)
{
    for (int i = 0; i < nharts; i++)
        if (READ_ONCE(harts[i].rq.nr_ready))
            return true;
    return false;
}
