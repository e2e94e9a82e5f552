/*
 * POSIX timers: the CAP_TYPE_TIMER kernel object (include/ktimer.h; the
 * syscalls are in ktimer_sys.c).
 *
 * A timer keeps its next expiry in nanoseconds of its domain: the
 * realtime clock for an absolute CLOCK_REALTIME arming (which follows
 * clock_settime, ktimer_realtime_changed), the monotonic clock otherwise
 * (CLOCK_MONOTONIC, and relative CLOCK_REALTIME armings, which POSIX
 * leaves alone when the clock is set). Its timer_node sits in one hart's
 * timer heap at the tick of that expiry, rounded up. A periodic timer's
 * next expiry is always the previous one plus the interval (no drift);
 * periods that passed entirely before the fire ran are counted as
 * overruns. A fire before the expiry (realtime rounding, a clock moved
 * back) re-queues the node instead of expiring.
 *
 * Notification: SIGEV_NONE does nothing. The others are recorded by the
 * fire and done by ktimer_deliver_deferred on the same hart once the
 * timer interrupt has dropped sleep_lock (per-hart defer lists), or, for
 * a target that needs thread context, by the timer worker
 * (ktimer_notify.c, list KT_WORKER).
 * SIGEV_THREAD wakes the waiter in KEEL_TIMER_WAIT (libc's helper thread);
 * an expiry that finds the previous one not yet accepted is an overrun
 * of it (POSIX), counted up to KEEL_DELAYTIMER_MAX. timer_getoverrun
 * reports the count of the last accepted notification. SIGEV_SIGNAL
 * likewise: the signal carries the timer's tag (sig_post_timer), an
 * expiry while it is still pending queues nothing and is an overrun of
 * it, and the instance counts as accepted once it is no longer pending
 * (delivered, taken by sigwait, or discarded), which the next expiry and
 * timer_getoverrun check (ktimer_notify.c). An expiry whose signal is
 * discarded at once (ignored and not blocked) was never pending: it
 * leaves the count of the last accepted one. SEM and MQ send every
 * expiry; their overruns are the whole periods the fire itself found
 * past (and, for a queue, the messages that found it full).
 *
 * Lifetime: no reference is held for the heap or the defer list. The
 * last reference's destroy disarms under kt_arm_lock (timer_cancel returns
 * only after any fire in progress is over, so no fire runs later), takes
 * the timer off its defer list and waits out a delivery in progress on
 * another hart; only then are the target's reference and the cell freed.
 *
 * Locking (S1 order, kernel/sched/timer.c):
 *   kt_arm_lock -> sleep_lock -> k->lock -> kt_defer_lock[h]
 *   -> (sched_wake) thread slock -> rq lock;  k->lock -> k->wq's lock.
 * kt_arm_lock (global) serializes every arming and disarming (timer_arm
 * and timer_cancel of one node must not race): settime, delete, destroy
 * and the realtime re-arm; it also guards kt_rt_list and each timer's
 * rt_node and on_rt. Held for one cancel and one arm, O(log n), except by
 * ktimer_realtime_changed (clock_settime), which re-arms every absolute
 * CLOCK_REALTIME timer under it: O(n log n), n <= KEEL_TIMERS_MAX.
 * k->lock guards the timer's state (armed, expiry, interval, overrun
 * counts, pending, notify_n, sig_missed, sig_out, shutdown) and is what
 * the fire takes; SIGNAL delivery and timer_getoverrun take a process's
 * proc_sig.lock under it (k->lock -> proc_sig.lock).
 * kt_defer_lock[h] guards hart h's defer list, and defer_hart,
 * delivering and defer_node of the timers on it.
 */
#include "../include/kobj.h"
#include "../include/ktimer.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "ktimer_impl.h"

static spinlock_t kt_arm_lock = SPINLOCK_INIT("ktimer_arm");
static struct list kt_rt_list = LIST_INIT(kt_rt_list);
static uint32_t kt_count; /* atomic: timers in existence */
static uint32_t kt_tags;  /* atomic: the last SIGNAL tag given */

spinlock_t kt_defer_lock[KT_LISTS];
struct list kt_defer[KT_LISTS];

static void ktimer_fire(struct timer_node *tn);

void ktimer_init(void)
{
    for (int i = 0; i < KT_LISTS; i++) {
        spin_init(&kt_defer_lock[i], "ktimer_defer");
        list_init(&kt_defer[i]);
    }
}

uint32_t ktimer_count(void)
{
    return __atomic_load_n(&kt_count, __ATOMIC_RELAXED);
}

static uint64_t kt_add(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* Now in k's domain (k->lock held or k not armed). */
static uint64_t kt_now(const struct ktimer *k)
{
    return k->rt_abs ? time_realtime_ns() : time_now_ns();
}

/* The heap deadline (ticks) for expiry `exp` of k's domain, rounded up;
 * never before `floor`. */
static uint64_t kt_ticks(const struct ktimer *k, uint64_t exp, uint64_t floor)
{
    uint64_t dl;
    if (!k->rt_abs) {
        dl = clock_ns_to_ticks_ceil(exp);
    } else {
        uint64_t now = time_realtime_ns(), t = time_now_ticks();
        dl = exp <= now ? t : kt_add(t, clock_ns_to_ticks_ceil(exp - now));
    }
    return dl < floor ? floor : dl;
}

/* ---- expiry (timer interrupt, sleep_lock held) ---- */

/* Records one expiry (k->lock held) that folds in `missed` whole periods. */
static bool kt_record(struct ktimer *k, uint64_t missed)
{
    switch (k->notify) {
    case KEEL_SIGEV_NONE:
        return false;
    case KEEL_SIGEV_THREAD:
        if (k->pending) { /* the last one not accepted yet: an overrun */
            k->pend_overrun = ktimer_sat(k->pend_overrun, 1 + missed);
            return false;
        }
        k->pending = 1;
        k->pend_overrun = ktimer_sat(0, missed);
        k->notify_n = 1;
        return true;
    case KEEL_SIGEV_SIGNAL: /* delivery decides what is an overrun */
        k->sig_missed = ktimer_sat(k->sig_missed, missed);
        if (k->notify_n < KEEL_DELAYTIMER_MAX)
            k->notify_n++;
        else
            k->sig_missed = ktimer_sat(k->sig_missed, 1);
        return true;
    default: /* KEEL_SEM, KEEL_MQ: every expiry is sent */
        k->pend_overrun = ktimer_sat(k->pend_overrun, missed);
        if (k->notify_n < KEEL_DELAYTIMER_MAX)
            k->notify_n++;
        else
            k->pend_overrun = ktimer_sat(k->pend_overrun, 1);
        return true;
    }
}

/* Queues k for delivery on list l, unless it is queued already (then
 * that delivery takes the expiries recorded since). */
static void kt_defer_push(struct ktimer *k, int l)
{
    spin_lock(&kt_defer_lock[l]);
    if (k->defer_hart < 0) {
        k->defer_hart = l;
        list_push_back(&kt_defer[l], &k->defer_node);
    }
    spin_unlock(&kt_defer_lock[l]);
}

/* Expiry `now` >= k->expiry_ns (k->lock held): a periodic timer's next
 * expiry is the previous one plus whole intervals (no drift), a one-shot
 * one is disarmed; the whole periods passed meanwhile come back. */
static uint64_t kt_advance(struct ktimer *k, uint64_t now)
{
    if (!k->interval_ns) {
        k->armed = 0;
        return 0;
    }
    uint64_t missed = (now - k->expiry_ns) / k->interval_ns;
    uint64_t step = missed + 1;
    uint64_t adv =
        step > UINT64_MAX / k->interval_ns ? UINT64_MAX : step * k->interval_ns;
    k->expiry_ns = kt_add(k->expiry_ns, adv);
    return missed;
}

static void ktimer_fire(struct timer_node *tn)
{
    struct ktimer *k = container_of(tn, struct ktimer, tn);
    uint64_t now_t = time_now_ticks();
    spin_lock(&k->lock);
    if (!k->armed) { /* disarmed while this fire waited for k->lock */
        spin_unlock(&k->lock);
        return;
    }
    uint64_t now = kt_now(k);
    if (now < k->expiry_ns) { /* early: wait on */
        timer_rearm_in_fire(tn, kt_ticks(k, k->expiry_ns, now_t + 1));
        spin_unlock(&k->lock);
        return;
    }
    uint64_t missed = kt_advance(k, now);
    if (k->armed)
        timer_rearm_in_fire(tn, kt_ticks(k, k->expiry_ns, now_t + 1));
    if (kt_record(k, missed))
        kt_defer_push(k, this_hart()->id);
    spin_unlock(&k->lock);
}

bool ktimer_cpu_expire(struct ktimer *k, uint64_t now)
{
    spin_lock(&k->lock);
    bool off = false;
    if (k->armed && now >= k->expiry_ns) {
        uint64_t missed = kt_advance(k, now);
        off = !k->armed;
        if (kt_record(k, missed))
            kt_defer_push(k, this_hart()->id);
    }
    spin_unlock(&k->lock);
    return off;
}

/* ---- deferred delivery (timer interrupt, no lock held) ---- */

void ktimer_deliver(struct ktimer *k, bool worker)
{
    if (!worker && ktimer_needs_worker(k)) {
        kt_defer_push(k, KT_WORKER);
        ktimer_worker_kick();
        return;
    }
    spin_lock(&k->lock);
    uint32_t n = k->notify_n;
    k->notify_n = 0;
    spin_unlock(&k->lock);
    if (!n)
        return;
    if (k->notify == KEEL_SIGEV_THREAD)
        waitq_wake_one(&k->wq);
    else
        ktimer_notify_target(k, n);
}

void ktimer_deliver_deferred(int hid)
{
    if (list_empty(&kt_defer[hid])) /* racy peek: pushed on this hart only */
        return;
    spin_lock(&kt_defer_lock[hid]);
    while (!list_empty(&kt_defer[hid])) {
        struct ktimer *k =
            list_entry(kt_defer[hid].next, struct ktimer, defer_node);
        list_remove(&k->defer_node);
        k->defer_hart = -1;
        k->delivering = hid + 1;
        spin_unlock(&kt_defer_lock[hid]);
        ktimer_deliver(k, false);
        spin_lock(&kt_defer_lock[hid]);
        k->delivering = 0;
    }
    spin_unlock(&kt_defer_lock[hid]);
}

/* k is off every defer list and no delivery of it runs (no fire can run:
 * the caller disarmed it). */
static void kt_defer_cancel(struct ktimer *k)
{
    for (;;) {
        int h = __atomic_load_n(&k->defer_hart, __ATOMIC_ACQUIRE);
        int d = __atomic_load_n(&k->delivering, __ATOMIC_ACQUIRE);
        if (h < 0 && !d)
            return;
        int lh = h >= 0 ? h : d - 1;
        spin_lock(&kt_defer_lock[lh]);
        if (k->defer_hart == lh) {
            list_remove(&k->defer_node);
            k->defer_hart = -1;
        }
        bool busy = k->delivering == lh + 1;
        spin_unlock(&kt_defer_lock[lh]);
        if (busy)
            cpu_relax();
    }
}

/* ---- arming (process context) ---- */

static void kt_op_lock(struct ktimer *k)
{
    (void)k;
    spin_lock(&kt_arm_lock);
}

static void kt_op_unlock(struct ktimer *k)
{
    (void)k;
    spin_unlock(&kt_arm_lock);
}

/* The current setting (k->lock held). */
static void kt_current(const struct ktimer *k, uint64_t *value,
                       uint64_t *interval)
{
    *interval = k->interval_ns;
    *value = 0;
    if (k->armed) {
        uint64_t now = kt_now(k);
        /* Due but not yet fired: still armed, so never 0. */
        *value = k->expiry_ns > now ? k->expiry_ns - now : 1;
    }
}

/* Disarms k (op lock held): no fire of it runs afterwards. */
static void kt_disarm_locked(struct ktimer *k)
{
    if (ktimer_is_cpu(k)) {
        cputimer_disarm(k);
        return;
    }
    spin_lock(&k->lock);
    k->armed = 0;
    spin_unlock(&k->lock);
    timer_cancel(&k->tn);
    if (k->on_rt) {
        list_remove(&k->rt_node);
        k->on_rt = 0;
    }
}

int ktimer_settime(struct ktimer *k, bool abs, uint64_t value,
                   uint64_t interval, uint64_t *ovalue, uint64_t *ointerval)
{
    if (interval && interval < KEEL_TIMER_MIN_INTERVAL_NS)
        interval = KEEL_TIMER_MIN_INTERVAL_NS;
    kt_op_lock(k);
    if (ktimer_is_cpu(k)) {
        int r = cputimer_settime(k, abs, value, interval, ovalue, ointerval);
        kt_op_unlock(k);
        return r;
    }
    spin_lock(&k->lock);
    kt_current(k, ovalue, ointerval);
    spin_unlock(&k->lock);
    kt_disarm_locked(k);
    if (value || abs) {
        spin_lock(&k->lock);
        k->rt_abs = abs && k->clock == KEEL_CLOCK_REALTIME;
        k->interval_ns = interval;
        k->expiry_ns = abs ? value : kt_add(time_now_ns(), value);
        k->armed = 1;
        uint64_t dl = kt_ticks(k, k->expiry_ns, 0);
        spin_unlock(&k->lock);
        timer_arm(&k->tn, dl, ktimer_fire);
        timer_program(); /* it may be this hart's earliest event now */
        if (k->rt_abs) {
            list_push_back(&kt_rt_list, &k->rt_node);
            k->on_rt = 1;
        }
    } else {
        spin_lock(&k->lock);
        k->interval_ns = 0;
        spin_unlock(&k->lock);
    }
    kt_op_unlock(k);
    return 0;
}

void ktimer_gettime(struct ktimer *k, uint64_t *value, uint64_t *interval)
{
    if (ktimer_is_cpu(k)) {
        cputimer_gettime(k, value, interval);
        return;
    }
    spin_lock(&k->lock);
    kt_current(k, value, interval);
    spin_unlock(&k->lock);
}

uint32_t ktimer_getoverrun(struct ktimer *k)
{
    spin_lock(&k->lock);
    if (k->notify == KEEL_SIGEV_SIGNAL)
        ktimer_sig_settle(k);
    uint32_t r = k->overrun;
    spin_unlock(&k->lock);
    return r;
}

void ktimer_disarm(struct ktimer *k)
{
    kt_op_lock(k);
    kt_disarm_locked(k);
    kt_op_unlock(k);
}

void ktimer_realtime_changed(void)
{
    spin_lock(&kt_arm_lock);
    list_for_each(it, &kt_rt_list)
    {
        struct ktimer *k = list_entry(it, struct ktimer, rt_node);
        timer_cancel(&k->tn); /* only kt_arm_lock's holder arms it again */
        spin_lock(&k->lock);
        bool armed = k->armed;
        uint64_t dl = armed ? kt_ticks(k, k->expiry_ns, 0) : 0;
        spin_unlock(&k->lock);
        if (armed)
            timer_arm(&k->tn, dl, ktimer_fire);
    }
    timer_program();
    spin_unlock(&kt_arm_lock);
}

/* ---- SIGEV_THREAD's waiter ---- */

int ktimer_wait(struct ktimer *k, const struct cap_pin *pin)
{
    if (k->notify != KEEL_SIGEV_THREAD)
        return -EINVAL;
    int r;
    spin_lock(&k->lock);
    for (;;) {
        if (!cap_pin_live(pin)) {
            r = -EBADF;
            break;
        }
        if (k->shutdown) {
            r = -ECANCELED;
            break;
        }
        if (k->pending) { /* accept it: its overruns become the count */
            k->pending = 0;
            k->overrun = k->pend_overrun;
            k->pend_overrun = 0;
            r = 0;
            break;
        }
        r = waitq_wait(&k->wq, &k->lock);
        if (r)
            break;
    }
    spin_unlock(&k->lock);
    return r;
}

int ktimer_shutdown(struct ktimer *k)
{
    if (k->notify != KEEL_SIGEV_THREAD)
        return -EINVAL;
    ktimer_disarm(k);
    spin_lock(&k->lock);
    k->shutdown = 1;
    spin_unlock(&k->lock);
    waitq_wake_all(&k->wq);
    return 0;
}

/* ---- the object ---- */

static void ktimer_destroy(struct kobj *o)
{
    struct ktimer *k = (struct ktimer *)o;
    ktimer_disarm(k);
    kt_defer_cancel(k);
    if (ktimer_is_cpu(k))
        cputimer_unbind(k);
    if (k->target)
        kobj_put(k->target);
    __atomic_fetch_sub(&kt_count, 1, __ATOMIC_RELAXED);
}

/* R2: KEEL_TIMER_WAIT checks its pin and queues under k->lock, so the
 * lock pair first: a waiter that checked before the revoke's generation
 * bump is queued once the pair is through, and the wake-up reaches it. */
static void ktimer_cancel_waiters(struct kobj *o)
{
    struct ktimer *k = (struct ktimer *)o;
    spin_lock(&k->lock);
    spin_unlock(&k->lock);
    waitq_wake_all(&k->wq);
}

static const struct kobj_ops ktimer_ops = {
    .name = "timer",
    .destroy = ktimer_destroy,
    .cancel = ktimer_cancel_waiters,
};

int ktimer_create(int clock, int notify, int signo, uint64_t value,
                  struct kobj *target, struct ktimer **out)
{
    if (__atomic_add_fetch(&kt_count, 1, __ATOMIC_RELAXED) > KEEL_TIMERS_MAX) {
        __atomic_fetch_sub(&kt_count, 1, __ATOMIC_RELAXED);
        return -EAGAIN;
    }
    struct ktimer *k = kobj_create(CAP_TYPE_TIMER, &ktimer_ops, sizeof(*k));
    if (!k) {
        __atomic_fetch_sub(&kt_count, 1, __ATOMIC_RELAXED);
        return -EAGAIN;
    }
    spin_init(&k->lock, "ktimer");
    waitq_init(&k->wq, "timer_wait");
    list_init(&k->rt_node); /* or cpt_node */
    if (ktimer_is_cpu_clock(clock))
        k->cpt_thread = NULL; /* cputimer_bind names it */
    else
        timer_node_init(&k->tn);
    list_init(&k->defer_node);
    k->defer_hart = -1;
    k->clock = (uint8_t)clock;
    k->notify = (uint8_t)notify;
    k->signo = signo;
    if (notify == KEEL_SIGEV_SIGNAL) {
        uint32_t tag;
        while (!(tag = __atomic_add_fetch(&kt_tags, 1, __ATOMIC_RELAXED)))
            ; /* 0 is "no timer" */
        k->sig_tag = tag;
    }
    k->value = value;
    k->target = target; /* the caller's reference passes to k */
    *out = k;
    return 0;
}
