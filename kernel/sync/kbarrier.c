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
 * A waiter interrupted by a signal before its cycle completed stays
 * counted (POSIX: it resumes waiting after its handler unless the cycle
 * completed meanwhile, then it continues from that completed wait). The
 * kernel records the barrier and cycle in the thread (bar_intr,
 * bar_cycle, one reference on the object) and returns -EINTR; libc then
 * calls RESUME, which returns 0 at once if the cycle moved past the
 * recorded one (the final arrival of that cycle was its serial thread),
 * else sleeps again without counting again. A waiter that leaves for
 * good is counted out unless its cycle completed: a kill while blocked,
 * revoke (EBADF, also seen by RESUME once the slot is gone), and an
 * interrupted waiter that never resumes: its thread exits (pthread_exit
 * or cancel in the handler, a kill; kbarrier_thread_exit) or it starts
 * another WAIT (it left the handler by longjmp). A thread that longjmps
 * out and never waits again stays counted until it exits (it arrived).
 *
 * Revoke: ops->cancel takes the lock (no waiter is between its pin check
 * and its sleep) and wakes every waiter; those whose pin died fail with
 * EBADF, the others see their cycle unfinished and sleep again.
 *
 * Locking: kbarrier.lock guards arrived and cycle (S1: kbarrier.lock ->
 * the waitq's lock -> scheduler locks); count is fixed at creation.
 * A thread's bar_intr and bar_cycle are its own (read and written only
 * by itself, or by thread_exit on its way out); the reference they hold
 * is dropped with no lock held (the last one frees the cell).
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

/* Sleeps (b->lock held, released on return) until cycle `mine` of b
 * completes: 0; -EBADF (revoked; counted out); -EINTR: a kill (counted
 * out) or a signal (still counted: recorded in the thread for RESUME). */
static long kbarrier_sleep(struct kbarrier *b, const struct cap_pin *pin,
                           uint32_t mine)
{
    struct thread *t = current();
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
            if (READ_ONCE(t->killed)) {
                b->arrived--; /* it never comes back */
            } else {
                kobj_get(&b->hdr);
                t->bar_intr = &b->hdr;
                t->bar_cycle = mine;
            }
            break;
        }
    }
    spin_unlock(&b->lock);
    return r;
}

/* Drops t's record of an interrupted wait: counts it out unless its
 * cycle completed meanwhile (then true). No lock held. */
static bool kbarrier_abandon(struct thread *t)
{
    struct kbarrier *b = (struct kbarrier *)t->bar_intr;
    t->bar_intr = NULL;
    spin_lock(&b->lock);
    bool done = b->cycle != t->bar_cycle;
    if (!done)
        b->arrived--;
    spin_unlock(&b->lock);
    kobj_put(&b->hdr);
    return done;
}

void kbarrier_thread_exit(struct thread *t)
{
    if (unlikely(t->bar_intr))
        (void)kbarrier_abandon(t);
}

/* 1 (the serial thread), 0, -EINTR or -EBADF. */
static long kbarrier_wait(struct kbarrier *b, const struct cap_pin *pin)
{
    struct thread *t = current();
    if (unlikely(t->bar_intr))
        (void)kbarrier_abandon(t); /* it left that wait by longjmp */
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
    return kbarrier_sleep(b, pin, b->cycle);
}

/* After -EINTR from WAIT or RESUME, the handler has run: 0 if the
 * recorded cycle completed, else waits on (uncounted again): 0, -EINTR,
 * -EBADF. -EINVAL without a record; a slot that no longer holds the
 * recorded barrier counts the waiter out (-EBADF). */
static long kbarrier_resume(struct proc *p, int slot)
{
    struct thread *t = current();
    struct kobj *rec = t->bar_intr, *o;
    struct cap_pin pin;
    if (!rec)
        return -EINVAL;
    long r = cap_kobj_get(p, slot, CAP_TYPE_BARRIER,
                          CAP_RIGHT_READ | CAP_RIGHT_WRITE, &o, &pin);
    if (r == 0 && o != rec) {
        kobj_put(o);
        r = -EBADF;
    }
    if (r < 0)
        return kbarrier_abandon(t) ? 0 : r;
    struct kbarrier *b = (struct kbarrier *)rec;
    uint32_t mine = t->bar_cycle;
    t->bar_intr = NULL; /* its reference is dropped below */
    spin_lock(&b->lock);
    if (b->cycle != mine) {
        spin_unlock(&b->lock);
        r = 0;
    } else if (!cap_pin_live(&pin)) {
        b->arrived--;
        spin_unlock(&b->lock);
        r = -EBADF;
    } else {
        r = kbarrier_sleep(b, &pin, mine);
    }
    kobj_put(rec);
    kobj_put(o);
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
    case KEEL_BARRIER_RESUME:
        return kbarrier_resume(p, (int)slot);
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
