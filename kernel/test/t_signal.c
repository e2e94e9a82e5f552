/* In-kernel tests of the signal API other subsystems use (signal.h):
 * sig_post from a timer's fire (interrupt context, sleep_lock held)
 * queues real-time signals with their code and value in order, says
 * -EAGAIN once the bounded queue is full, and wakes a thread of the
 * process from an interruptible sleep (sleep_until: -EINTR). The test
 * thread borrows a process (kt_world) and takes signals for it. */
#include "../include/proc.h"
#include "../include/signal.h"
#include "kt_world.h"
#include "ktest.h"

struct post_node {
    struct timer_node tn;
    struct proc *p;
    int sig;
    uint64_t value;
    volatile int result;
    volatile int fired;
};

static struct post_node posts[KEEL_SIGQUEUE_MAX + 2];

static void post_fire(struct timer_node *tn)
{
    struct post_node *n = container_of(tn, struct post_node, tn);
    n->result = sig_post(n->p, n->sig, KEEL_SI_TIMER, n->value);
    __atomic_store_n(&n->fired, 1, __ATOMIC_RELEASE);
}

static void arm_post(struct post_node *n, struct proc *p, int sig,
                     uint64_t value, uint64_t at)
{
    timer_node_init(&n->tn);
    n->p = p;
    n->sig = sig;
    n->value = value;
    n->result = 1;
    n->fired = 0;
    timer_arm(&n->tn, at, post_fire);
}

static bool all_fired(int from, int to)
{
    for (int i = from; i < to; i++)
        if (!__atomic_load_n(&posts[i].fired, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

KTEST(sig_post_from_timer_fire)
{
    struct kt_world w;
    kt_world_begin(&w);
    struct thread *t = current();
    int old_tslot = t->tslot;
    t->tslot = 0;
    uint64_t old_mask = t->sig.mask;
    t->sig.mask = 0;
    sig_thread_attach(w.p, t);
    /* A sleep of a second ends early with -EINTR: the fire's post wakes
     * this thread from interrupt context. */
    uint64_t now = time_now_ticks();
    arm_post(&posts[0], w.p, KEEL_SIGRTMIN + 1, 77, now + ns_to_ticks(2000000));
    int r = sleep_until(now + ns_to_ticks(1000000000ull));
    KT_CHECK_EQ(r, -EINTR);
    KT_CHECK(all_fired(0, 1));
    KT_CHECK_EQ(posts[0].result, 0);
    KT_CHECK(time_now_ticks() < now + ns_to_ticks(1000000000ull));
    struct keel_siginfo info;
    KT_CHECK_EQ(sig_take(t, ~0ull, &info), KEEL_SIGRTMIN + 1);
    KT_CHECK_EQ(info.code, KEEL_SI_TIMER);
    KT_CHECK_EQ(info.value, 77);
    KT_CHECK_EQ(info.pid, 0);
    /* Blocked: the queue fills in order, then -EAGAIN from the fire. */
    t->sig.mask = ~0ull & ~SIG_UNBLOCKABLE;
    now = time_now_ticks();
    int n = KEEL_SIGQUEUE_MAX + 2;
    for (int i = 0; i < n; i++)
        arm_post(&posts[i], w.p, KEEL_SIGRTMIN + 3, 100 + (uint64_t)i,
                 now + ns_to_ticks(1000000) + (uint64_t)i);
    for (int tries = 0; tries < 2000 && !all_fired(0, n); tries++)
        sleep_until(time_now_ticks() + ns_to_ticks(1000000));
    KT_CHECK(all_fired(0, n));
    int ok = 0, full = 0;
    for (int i = 0; i < n; i++) {
        ok += posts[i].result == 0;
        full += posts[i].result == -EAGAIN;
    }
    KT_CHECK_EQ(ok, KEEL_SIGQUEUE_MAX);
    KT_CHECK_EQ(full, 2);
    for (int i = 0; i < KEEL_SIGQUEUE_MAX; i++) {
        KT_CHECK_EQ(sig_take(t, ~0ull, &info), KEEL_SIGRTMIN + 3);
        KT_CHECK_EQ(info.value, 100 + (uint64_t)i);
    }
    KT_CHECK_EQ(sig_take(t, ~0ull, &info), 0);
    /* Bad numbers; an ignored signal is discarded. */
    KT_CHECK_EQ(sig_post(w.p, 0, KEEL_SI_TIMER, 0), -EINVAL);
    KT_CHECK_EQ(sig_post(w.p, KEEL_NSIG + 1, KEEL_SI_TIMER, 0), -EINVAL);
    t->sig.mask = 0;
    KT_CHECK_EQ(sig_post(w.p, KEEL_SIGCHLD, KEEL_SI_TIMER, 0), 0);
    KT_CHECK_EQ(sig_take(t, ~0ull, &info), 0);
    sig_thread_detach(w.p, t);
    t->sig.mask = old_mask;
    t->tslot = old_tslot;
    kt_world_end(&w);
}
