/*
 * Delivery of POSIX timer notifications to their targets (ktimer.c's
 * opening comment has the two-step expiry): a signal to the creating
 * process (SIGEV_SIGNAL), a post of a semaphore cap (SIGEV_KEEL_SEM) and
 * a message to a queue cap (SIGEV_KEEL_MQ).
 *
 * Contexts. ktimer_deliver_deferred runs at the end of the timer
 * interrupt with no lock held; sig_post, callable from any context, runs
 * there. kmq_send_obj may drop a process reference (mq_notify's
 * registration), which can free, and ksem_post_obj asks for thread
 * context: they run on the timer worker, a kernel thread created at boot
 * (ktimer_start_worker) at priority KEEL_PRIO_MAX, SCHED_FIFO, which
 * sleeps on kt_worker_wq until the deferred step hands it a timer
 * (list KT_WORKER of the defer lists, same protocol).
 *
 * Locking: a SIGEV_SIGNAL delivery posts under k->lock (k->lock ->
 * proc_sig.lock, ktimer.c). kt_defer_lock[KT_WORKER] (ktimer.c) guards
 * the worker's list;
 * the worker waits on kt_worker_wq holding it (order: that lock ->
 * kt_worker_wq's lock). Targets are used with no lock held.
 */
#include "../include/kmq.h"
#include "../include/kobj.h"
#include "../include/ksem.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../include/signal.h"
#include "ktimer_impl.h"

static struct waitq kt_worker_wq;

/* Sends n recorded expiries of a SIGEV_KEEL_MQ timer (thread context). */
static void kt_send_mq(struct ktimer *k, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        spin_lock(&k->lock);
        struct keel_timer_msg m = {k->value, k->pend_overrun,
                                   (uint32_t)k->slot};
        spin_unlock(&k->lock);
        int r = kmq_send_obj(k->target, &m, sizeof(m), 0);
        spin_lock(&k->lock);
        if (r == 0) { /* this message carries the overruns so far */
            k->overrun = m.overrun;
            k->pend_overrun =
                k->pend_overrun > m.overrun ? k->pend_overrun - m.overrun : 0;
        } else { /* the queue is full (or the message too big): lost */
            k->pend_overrun = ktimer_sat(k->pend_overrun, 1);
        }
        spin_unlock(&k->lock);
    }
}

void ktimer_sig_settle(struct ktimer *k)
{
    if (k->sig_out && k->hdr.acct &&
        !sig_timer_pending(k->hdr.acct, k->signo, k->sig_tag)) {
        k->overrun = k->pend_overrun;
        k->pend_overrun = 0;
        k->sig_out = 0;
    }
}

/* n recorded SIGEV_SIGNAL expiries (and the periods folded into them):
 * the first one not merged into the still pending instance is queued,
 * every other one is an overrun of the instance it found pending. */
static void kt_signal(struct ktimer *k, uint32_t n)
{
    spin_lock(&k->lock);
    uint32_t e = ktimer_sat(n, k->sig_missed);
    k->sig_missed = 0;
    int r = k->hdr.acct
                ? sig_post_timer(k->hdr.acct, k->signo, k->value, k->sig_tag)
                : -ESRCH;
    switch (r) {
    case SIG_TIMER_QUEUED: /* the previous instance was accepted */
        /* Settled here, not by ktimer_sig_settle: the instance just
         * queued carries the same tag, so that would see it pending and
         * keep the old count while its overruns were overwritten below
         * (timer_getoverrun after sigwaitinfo and one more expiry
         * reported 0). */
        if (k->sig_out)
            k->overrun = k->pend_overrun;
        k->sig_out = 1;
        k->pend_overrun = e - 1;
        break;
    case SIG_TIMER_DISCARDED: /* ignored: never pending, nothing to count */
        ktimer_sig_settle(k);
        k->pend_overrun = 0;
        break;
    default: /* merged into the pending one (or lost: queue full) */
        k->pend_overrun = ktimer_sat(k->pend_overrun, e);
        break;
    }
    spin_unlock(&k->lock);
}

/* The overruns so far become those of this notification (k->lock). */
static void kt_accept(struct ktimer *k)
{
    spin_lock(&k->lock);
    k->overrun = k->pend_overrun;
    k->pend_overrun = 0;
    spin_unlock(&k->lock);
}

void ktimer_notify_target(struct ktimer *k, uint32_t n)
{
    switch (k->notify) {
    case KEEL_SIGEV_SIGNAL: /* any context (signal.h); to the creator */
        kt_signal(k, n);
        break;
    case KEEL_SIGEV_KEEL_SEM: /* thread context (ksem.h): the worker */
        kt_accept(k);
        for (uint32_t i = 0; i < n; i++)
            if (ksem_post_obj(k->target) < 0) { /* at SEM_VALUE_MAX */
                spin_lock(&k->lock);
                k->overrun = ktimer_sat(k->overrun, 1);
                spin_unlock(&k->lock);
            }
        break;
    case KEEL_SIGEV_KEEL_MQ:
        kt_send_mq(k, n);
        break;
    }
}

void ktimer_worker_kick(void)
{
    waitq_wake_one(&kt_worker_wq);
}

static void kt_worker_main(void)
{
    spinlock_t *l = &kt_defer_lock[KT_WORKER];
    spin_lock(l);
    for (;;) {
        if (list_empty(&kt_defer[KT_WORKER])) {
            waitq_wait(&kt_worker_wq, l); /* never killed */
            continue;
        }
        struct ktimer *k =
            list_entry(kt_defer[KT_WORKER].next, struct ktimer, defer_node);
        list_remove(&k->defer_node);
        k->defer_hart = -1;
        k->delivering = KT_WORKER + 1;
        spin_unlock(l);
        ktimer_deliver(k, true);
        spin_lock(l);
        k->delivering = 0;
    }
}

/* swtch lands here (ctx.ra) the first time the worker runs. */
void ktimer_worker_entry(void);
__asm__(".text\n.globl ktimer_worker_entry\nktimer_worker_entry:\n"
        "  call ktimer_worker_start\n");

void ktimer_worker_start(void)
{
    sched_finish_switch();
    kt_worker_main();
}

void ktimer_start_worker(void)
{
    waitq_init(&kt_worker_wq, "ktimer_worker");
    struct thread *t = thread_alloc(NULL);
    if (!t)
        panic("ktimer: no thread for the timer worker");
    t->ctx.ra = (uint64_t)ktimer_worker_entry;
    t->prio = KEEL_PRIO_MAX;
    t->policy = KEEL_SCHED_FIFO;
    t->ceiling = KEEL_PRIO_MAX;
    sched_enqueue_new(t);
}
