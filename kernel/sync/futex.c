/*
 * Futex WAIT and WAKE (docs/syscalls.md "SYS_futex", docs/realtime.md
 * "Wait queues, futexes and priority inheritance"). A futex is a 32-bit
 * aligned word of one address space; it is keyed by (process, address),
 * so threads of one process share it and no other process sees it.
 *
 * Waiters hash by key into FUTEX_BUCKETS buckets. A waiter is a
 * struct futex_waiter on its own kernel stack: it is linked on its
 * bucket's list, in priority order (highest first, FIFO within one
 * priority, the priority it had when it started to wait), and sleeps on
 * a wait queue of its own (w->wq) that only it ever joins.
 *
 * Locking: a bucket's lock guards its list and every waiter's node, key
 * and woken flag on it. Order: bucket lock -> w->wq lock -> (sched_wake)
 * thread slock -> rq lock. The protocol:
 *  F1. WAIT reads the word with an atomic read-modify-write (which also
 *      proves it is mapped and writable) under the bucket lock, and if it
 *      still holds val, links w and joins w->wq before dropping the lock:
 *      a WAKE, which takes the same lock after the user changed the word,
 *      either runs before the read (the waiter sees the new value) or
 *      finds the waiter queued. No wake-up is lost.
 *  F2. WAKE unlinks a waiter, wakes it through w->wq and, if that woke a
 *      thread still blocked, sets w->woken and counts it. A waiter that a
 *      timeout or a kill had already woken is unlinked and not counted.
 *  F3. the waiter returns only after relocking the bucket (waitq_wait*
 *      relock it) and unlinking itself if no waker did, so a waker never
 *      touches a waiter record that has gone. Its result follows w->woken,
 *      so the wake count and the waiters that return 0 always agree.
 * Bounds: a section walks one bucket's list (at most MAX_THREADS
 * waiters, in practice a few); WAKE wakes at most FUTEX_WAKE_BATCH
 * threads per section and passes a preemption point between batches.
 */
#include "../include/futex.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

#define FUTEX_BUCKETS 64 /* a power of two */
#define FUTEX_WAKE_BATCH 8

struct futex_bucket {
    spinlock_t lock;
    struct list waiters; /* struct futex_waiter.node; NULL until first use */
};

struct futex_waiter {
    struct list node; /* on its bucket's list while linked (bucket lock) */
    const struct proc *as;
    uint64_t uaddr;
    int prio;
    bool woken;      /* set by the waker that unlinked it (bucket lock) */
    struct waitq wq; /* only this waiter's thread ever waits here */
};

static struct futex_bucket futex_buckets[FUTEX_BUCKETS] = {
    [0 ... FUTEX_BUCKETS - 1] = {SPINLOCK_INIT("futex_bucket"), {0, 0}},
};

static struct futex_bucket *futex_bucket_lock(const struct proc *as,
                                              uint64_t uaddr)
{
    uint64_t h = (uaddr >> 2) ^ ((uint64_t)as >> 4);
    h *= 0x9e3779b97f4a7c15ull;
    struct futex_bucket *b = &futex_buckets[h >> (64 - 6)];
    _Static_assert(FUTEX_BUCKETS == 1 << 6, "hash width");
    spin_lock(&b->lock);
    if (!b->waiters.next)
        list_init(&b->waiters);
    return b;
}

/* The timeout as a deadline in *dl; *out is dl, or NULL for none
 * (utimeout 0). Relative unless KEEL_FUTEX_ABSTIME (then a monotonic
 * tick, now + the interval); absolute ones are on CLOCK_MONOTONIC, or
 * CLOCK_REALTIME with KEEL_FUTEX_CLOCK_REALTIME (which follows
 * clock_settime while the thread waits: struct kdeadline). */
static long futex_deadline(uint64_t utimeout, int flags, bool absolute,
                           struct kdeadline *dl, struct kdeadline **out)
{
    *out = NULL;
    if (!utimeout)
        return 0;
    struct keel_timespec ts;
    if (copy_from_user(&ts, utimeout, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return -EINVAL;
    /* Saturate: a huge timeout waits "forever", it does not wrap. */
    uint64_t ns =
        (uint64_t)ts.tv_sec > UINT64_MAX / 1000000000ull / 2
            ? UINT64_MAX / 2
            : (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (!absolute)
        kdl_ticks(dl, time_now_ticks() + clock_ns_to_ticks_ceil(ns));
    else
        kdl_clock(dl, flags & KEEL_FUTEX_CLOCK_REALTIME, ns);
    *out = dl;
    return 0;
}

/* Links w into b's list before the first waiter of lower priority. */
static void futex_link(struct futex_bucket *b, struct futex_waiter *w)
{
    list_for_each(it, &b->waiters)
    {
        struct futex_waiter *o = list_entry(it, struct futex_waiter, node);
        if (o->prio < w->prio) {
            list_insert_between(&w->node, it->prev, it);
            return;
        }
    }
    list_push_back(&b->waiters, &w->node);
}

static long futex_wait(uint64_t uaddr, uint32_t val, struct kdeadline *dl)
{
    struct thread *t = current();
    struct futex_waiter w = {
        .as = t->proc, .uaddr = uaddr, .prio = READ_ONCE(t->prio)};
    list_init(&w.node);
    waitq_init(&w.wq, "futex");
    struct futex_bucket *b = futex_bucket_lock(t->proc, uaddr);
    uint32_t cur;
    long r = uaccess_cmpxchg32(uaddr, val, val, &cur);
    if (r == 0 && cur != val)
        r = -EAGAIN;
    if (r < 0) {
        spin_unlock(&b->lock);
        return r;
    }
    futex_link(b, &w);
    if (dl)
        r = waitq_wait_deadline(&w.wq, &b->lock, dl);
    else
        r = waitq_wait(&w.wq, &b->lock);
    list_remove(&w.node); /* no-op if a waker unlinked it */
    spin_unlock(&b->lock);
    if (w.woken)
        return 0;
    if (t->killed || r == -EINTR)
        return -EINTR; /* killed, or a signal to handle */
    /* Timed out, even if a waker then took it off w.wq (F2). */
    if (r == -ETIMEDOUT || kdl_passed(dl))
        return -ETIMEDOUT;
    return 0; /* a spurious wake-up: the caller looks at its word */
}

static long futex_wake(uint64_t uaddr, int n)
{
    struct proc *as = current()->proc;
    long woken = 0;
    bool more = true;
    while (more && woken < n) {
        struct futex_bucket *b = futex_bucket_lock(as, uaddr);
        int batch = 0;
        more = false;
        list_for_each_safe(it, tmp, &b->waiters)
        {
            struct futex_waiter *w = list_entry(it, struct futex_waiter, node);
            if (w->as != as || w->uaddr != uaddr)
                continue;
            if (woken == n || batch == FUTEX_WAKE_BATCH) {
                more = true; /* one more matching waiter: next round */
                break;
            }
            list_remove(&w->node);
            if (waitq_wake_one(&w->wq)) {
                w->woken = true;
                woken++;
            }
            batch++;
        }
        spin_unlock(&b->lock);
        if (more && woken < n)
            sched_preempt_point();
    }
    return woken;
}

long sys_futex(uint64_t uaddr, long op_reg, uint64_t val_reg, uint64_t utimeout)
{
    int op = (int)op_reg;
    uint32_t val = (uint32_t)val_reg;
    int cmd = op & KEEL_FUTEX_CMD_MASK;
    if (op &
        ~(KEEL_FUTEX_CMD_MASK | KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME))
        return -EINVAL;
    if (uaddr & 3)
        return -EINVAL;
    if (!user_range_ok(uaddr, sizeof(uint32_t)))
        return -EFAULT;
    struct kdeadline dls, *dl;
    long r;
    uint32_t cur;
    switch (cmd) {
    case KEEL_FUTEX_WAIT:
        if ((op & KEEL_FUTEX_CLOCK_REALTIME) && !(op & KEEL_FUTEX_ABSTIME))
            return -EINVAL; /* a relative timeout has no clock */
        r = futex_deadline(utimeout, op, op & KEEL_FUTEX_ABSTIME, &dls, &dl);
        return r < 0 ? r : futex_wait(uaddr, val, dl);
    case KEEL_FUTEX_WAKE:
        if ((int)val < 0)
            return -EINVAL;
        /* Mapped and writable, as for every command (an atomic no-op). */
        r = uaccess_cmpxchg32(uaddr, 0, 0, &cur);
        return r < 0 ? r : futex_wake(uaddr, (int)val);
    case KEEL_FUTEX_LOCK_PI:
    case KEEL_FUTEX_TRYLOCK_PI:
    case KEEL_FUTEX_UNLOCK_PI:
        r = uaccess_cmpxchg32(uaddr, 0, 0, &cur);
        if (r < 0)
            return r;
        /* LOCK_PI's timeout is always absolute. */
        dl = NULL;
        if (cmd == KEEL_FUTEX_LOCK_PI) {
            r = futex_deadline(utimeout, op, true, &dls, &dl);
            if (r < 0)
                return r;
        }
        return futex_pi(uaddr, cmd, dl);
    default:
        return -ENOSYS;
    }
}
