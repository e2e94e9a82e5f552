/*
 * Kernel barriers: CAP_TYPE_BARRIER objects and SYS_barrier (the ops in
 * libc/include/keel/abi.h; docs/syscalls.md "Kernel objects"), what
 * pthread_barrier_* uses (libc/src/barrier.c).
 *
 * A barrier counts the threads arrived in its current cycle; the
 * count-th arrival ends the cycle: it resets the count, advances the
 * cycle number, wakes every waiter and gets 1 (its caller is the
 * PTHREAD_BARRIER_SERIAL_THREAD of that cycle); every other waiter gets
 * 0 once it sees the cycle number move. Rights: waiting needs READ and
 * WRITE, READ alone lets a holder query the count and the number waiting.
 *
 * A waiter that leaves before its cycle completed (EINTR: a signal or a
 * kill; EBADF: its slot was revoked) is no longer counted, so the cycle
 * still needs `count` arrivals; libc calls WAIT again after EINTR, as
 * pthread_barrier_wait never fails with EINTR. One whose cycle completed
 * while it was being interrupted returns the cycle's result instead.
 *
 * Revoke: ops->cancel takes the lock (no waiter is between its pin check
 * and its sleep) and wakes every waiter; those whose pin died fail with
 * EBADF, the others see their cycle unfinished and sleep again.
 *
 * Locking: kbarrier.lock guards arrived and cycle (S1: kbarrier.lock ->
 * the waitq's lock -> scheduler locks); count is fixed at creation.
 */
#include "../include/kobj.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

struct kbarrier {
    struct kobj hdr;
    spinlock_t lock;
    uint32_t count;   /* threads per cycle, >= 1, fixed */
    uint32_t arrived; /* in the current cycle (kbarrier.lock) */
    uint32_t cycle;   /* completed cycles, modulo 2^32 (kbarrier.lock) */
    struct waitq wq;
};
_Static_assert(sizeof(struct kbarrier) <= KOBJ_SIZE_MAX,
               "kbarrier fits a kobj cell");

static void kbarrier_destroy(struct kobj *o)
{
    (void)o; /* owns nothing beyond its cell */
}

static void kbarrier_cancel(struct kobj *o)
{
    struct kbarrier *b = (struct kbarrier *)o;
    spin_lock(&b->lock);
    spin_unlock(&b->lock);
    waitq_wake_all(&b->wq);
}

static const struct kobj_ops kbarrier_ops = {"barrier", kbarrier_destroy,
                                             kbarrier_cancel};

/* 1 (the serial thread), 0, -EINTR or -EBADF. */
static long kbarrier_wait(struct kbarrier *b, const struct cap_pin *pin)
{
    spin_lock(&b->lock);
    if (!cap_pin_live(pin)) {
        spin_unlock(&b->lock);
        return -EBADF;
    }
    if (++b->arrived == b->count) {
        b->arrived = 0;
        b->cycle++;
        spin_unlock(&b->lock);
        waitq_wake_all(&b->wq);
        return 1;
    }
    uint32_t mine = b->cycle;
    long r;
    for (;;) {
        r = waitq_wait(&b->wq, &b->lock);
        if (b->cycle != mine) {
            r = 0; /* the cycle completed, whatever else happened */
            break;
        }
        if (!cap_pin_live(pin)) {
            r = -EBADF;
            b->arrived--;
            break;
        }
        if (r == -EINTR) {
            b->arrived--;
            break;
        }
    }
    spin_unlock(&b->lock);
    return r;
}

static long kbarrier_create(uint64_t count, uint64_t flags)
{
    if (flags & ~(uint64_t)KEEL_BARRIER_PSHARED)
        return -EINVAL;
    if (count == 0 || count > UINT32_MAX)
        return -EINVAL;
    struct kbarrier *b =
        kobj_create(CAP_TYPE_BARRIER, &kbarrier_ops, sizeof(*b));
    if (!b)
        return -EAGAIN; /* pthread_barrier_init: "lacks the resources" */
    spin_init(&b->lock, "kbarrier");
    waitq_init(&b->wq, "barrier_wait");
    b->count = (uint32_t)count;
    unsigned rights = CAP_RIGHT_READ | CAP_RIGHT_WRITE;
    if (flags & KEEL_BARRIER_PSHARED)
        rights |= CAP_RIGHT_GRANT;
    int slot = cap_kobj_install(current()->proc, &b->hdr, rights, 0);
    kobj_put(&b->hdr);
    return slot;
}

long sys_barrier(long op, long slot, uint64_t a, uint64_t b)
{
    if (op == KEEL_BARRIER_CREATE)
        return kbarrier_create(a, b);
    struct proc *p = current()->proc;
    struct kobj *o;
    struct cap_pin pin;
    long r;
    switch (op) {
    case KEEL_BARRIER_WAIT:
        r = cap_kobj_get(p, (int)slot, CAP_TYPE_BARRIER,
                         CAP_RIGHT_READ | CAP_RIGHT_WRITE, &o, &pin);
        if (r < 0)
            return r;
        r = kbarrier_wait((struct kbarrier *)o, &pin);
        kobj_put(o);
        return r;
    case KEEL_BARRIER_QUERY: {
        r = cap_kobj_get(p, (int)slot, CAP_TYPE_BARRIER, CAP_RIGHT_READ, &o,
                         NULL);
        if (r < 0)
            return r;
        struct kbarrier *kb = (struct kbarrier *)o;
        spin_lock(&kb->lock);
        uint32_t out[2] = {kb->count, kb->arrived};
        spin_unlock(&kb->lock);
        kobj_put(o);
        return copy_to_user(a, out, sizeof(out)) < 0 ? -EFAULT : 0;
    }
    case KEEL_BARRIER_DESTROY: {
        r = cap_kobj_get(p, (int)slot, CAP_TYPE_BARRIER, 0, &o, NULL);
        if (r < 0)
            return r;
        struct kbarrier *kb = (struct kbarrier *)o;
        spin_lock(&kb->lock);
        bool busy = kb->arrived != 0;
        spin_unlock(&kb->lock);
        kobj_put(o);
        return busy ? -EBUSY : cap_kobj_close(p, (int)slot, CAP_TYPE_BARRIER);
    }
    default:
        return -EINVAL;
    }
}
