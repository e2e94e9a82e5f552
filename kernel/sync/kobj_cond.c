/*
 * Kernel condition-variable objects (CAP_TYPE_CONDVAR, include/kmx.h):
 * SYS_cond, the object behind a process-shared pthread_cond_t
 * (docs/syscalls.md "Kernel objects").
 *
 * Protocol:
 *  C1. wait with a kernel mutex: under cv->lock, the caller releases the
 *      mutex (it must own it) and queues on cv->wq before cv->lock is
 *      dropped, so a signal sent after the release (which needs
 *      cv->lock) finds it queued: release and block are atomic. The
 *      mutex is relocked by libc afterwards (an ordinary lock: priority
 *      inheritance, EOWNERDEAD and EINTR retries apply as for any lock).
 *  C2. wait without one (a pshared condvar used with an in-process
 *      mutex): the caller read the sequence (SEQ) before unlocking its
 *      mutex; WAIT blocks only if it is unchanged, under cv->lock, so a
 *      signal in between is not lost.
 *  C3. signal advances the sequence and wakes the highest-priority
 *      waiter still blocked; broadcast wakes every waiter. A wake-up for
 *      another reason (revoke's cancel, a signal handler) returns 0: a
 *      spurious wake-up, which POSIX allows; a dead pin gives -EBADF.
 *  C4. revoke: the pin is checked under cv->lock before the mutex is
 *      released and the waiter queued, and again after every wake-up;
 *      ops->cancel takes cv->lock before it wakes the queue, so a revoke
 *      cannot fall between the check and the sleep (a waiter either saw
 *      the dead pin or was queued when the wake-up came).
 *  C5. destroy (POSIX: safe once no thread is blocked, so right after a
 *      broadcast): EBUSY while a waiter is queued on wq, not while a
 *      woken one is still on its way out (its pin keeps the object).
 *      BROADCAST returns how many it woke that were still blocked, so
 *      libc's destroy can tell blocked threads (EBUSY) from those of its
 *      process between SEQ and WAIT, which it waits for (libc/src/cond.c).
 * Locking: cv->lock -> m->lock (include/kmx.h); cv->lock -> cv->wq.lock.
 * References are put only after every lock is released.
 */
#include "../include/kmx.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

struct kcv {
    struct kobj hdr;
    spinlock_t lock;
    struct waitq wq; /* the waiters (cv->lock, then wq.lock) */
    uint32_t seq;    /* advanced by every signal and broadcast (lock) */
    uint32_t nwait;  /* threads inside WAIT (lock) */
    int clock;       /* KEEL_CLOCKSEL_* for timed waits; fixed */
};

static void kcv_destroy(struct kobj *o)
{
    (void)o; /* nothing beyond the cell: no waiter holds no reference */
}

/* R2: every waiter looks at its pin again. The lock pair first: a
 * waiter checks its pin and queues under cv->lock, so once the pair is
 * through, one that checked before the revoke's generation bump is on
 * wq and the wake-up below reaches it, and any later one sees the bump. */
static void kcv_cancel(struct kobj *o)
{
    struct kcv *cv = (struct kcv *)o;
    spin_lock(&cv->lock);
    spin_unlock(&cv->lock);
    waitq_wake_all(&cv->wq);
}

static const struct kobj_ops kcv_ops = {"condvar", kcv_destroy, kcv_cancel};

static long kcv_create(uint64_t clock, uint64_t flags)
{
    if ((clock != KEEL_CLOCKSEL_REALTIME && clock != KEEL_CLOCKSEL_MONOTONIC) ||
        (flags & ~(uint64_t)KEEL_COND_F_GRANT))
        return -EINVAL;
    struct kcv *cv = kobj_create(CAP_TYPE_CONDVAR, &kcv_ops, sizeof(*cv));
    if (!cv)
        return -EAGAIN;
    spin_init(&cv->lock, "condvar_obj");
    waitq_init(&cv->wq, "condvar_obj");
    cv->clock = (int)clock;
    unsigned rights = CAP_RIGHT_READ | CAP_RIGHT_WRITE;
    if (flags & KEEL_COND_F_GRANT)
        rights |= CAP_RIGHT_GRANT;
    int slot = cap_kobj_install(current()->proc, &cv->hdr, rights, 0);
    kobj_put(&cv->hdr);
    return slot < 0 ? -EAGAIN : slot;
}

/* C1, C2. mslot < 0: no mutex (compare seq). */
static long kcv_wait(struct kcv *cv, const struct cap_pin *pin, long mslot,
                     uint64_t uts, uint32_t seq)
{
    struct thread *t = current();
    struct kdeadline dls, *dl = NULL; /* on the condvar's clock */
    struct kobj *mo = NULL;
    bool put_owner = false;
    long r = 0;
    if (uts) {
        r = kmx_deadline(uts, cv->clock, &dls);
        if (r < 0)
            return r;
        dl = &dls;
    }
    if (mslot >= 0) {
        r = cap_kobj_get(t->proc, (int)mslot, CAP_TYPE_MUTEX,
                         CAP_RIGHT_READ | CAP_RIGHT_WRITE, &mo, NULL);
        if (r < 0)
            return r;
    }
    spin_lock(&cv->lock);
    if (!cap_pin_live(pin)) {
        r = -EBADF; /* revoked since the lookup: no release, no sleep */
    } else if (mo) {
        struct kmx *m = (struct kmx *)mo;
        spin_lock(&m->lock);
        if (m->owner != t)
            r = -EPERM;
        else if (m->count)
            r = -EINVAL; /* a recursive mutex locked more than once */
        else
            put_owner = kmx_release(m, false);
        spin_unlock(&m->lock);
    } else if (cv->seq != seq) {
        r = 1; /* signalled since the caller looked: woken */
    }
    if (r == 0) {
        cv->nwait++;
        r = dl ? waitq_wait_deadline(&cv->wq, &cv->lock, dl)
               : waitq_wait(&cv->wq, &cv->lock);
        cv->nwait--;
        if (!cap_pin_live(pin))
            r = -EBADF;
    }
    spin_unlock(&cv->lock);
    if (put_owner)
        kobj_put(mo);
    if (mo)
        kobj_put(mo);
    return r > 0 ? 0 : r;
}

long sys_cond(long op, long slot, uint64_t a, uint64_t b, uint64_t c)
{
    if (op == KEEL_COND_CREATE)
        return kcv_create(a, b);
    if ((unsigned long)op > KEEL_COND_DESTROY)
        return -EINVAL;
    unsigned need = CAP_RIGHT_READ;
    if (op != KEEL_COND_INFO && op != KEEL_COND_SEQ)
        need |= CAP_RIGHT_WRITE;
    struct kobj *o;
    struct cap_pin pin;
    struct proc *p = current()->proc;
    long r = cap_kobj_get(p, (int)slot, CAP_TYPE_CONDVAR, need, &o, &pin);
    if (r < 0)
        return r;
    struct kcv *cv = (struct kcv *)o;
    switch (op) {
    case KEEL_COND_WAIT:
        r = kcv_wait(cv, &pin, (long)a, b, (uint32_t)c);
        break;
    case KEEL_COND_SIGNAL:
    case KEEL_COND_BROADCAST:
        spin_lock(&cv->lock);
        cv->seq++;
        r = 0;
        if (cv->nwait) {
            if (op == KEEL_COND_SIGNAL)
                waitq_wake_one(&cv->wq);
            else
                r = waitq_wake_all(&cv->wq); /* the count: C5 */
        }
        spin_unlock(&cv->lock);
        break;
    case KEEL_COND_SEQ:
        /* Under the lock: a SEQ that sees a BROADCAST's advance comes
         * after all the broadcaster did before it (libc's destroy). */
        spin_lock(&cv->lock);
        r = cv->seq;
        spin_unlock(&cv->lock);
        break;
    case KEEL_COND_INFO:
        r = cv->clock;
        break;
    case KEEL_COND_DESTROY:
        /* C5: EBUSY only while a waiter is still queued (blocked); one
         * that a broadcast or signal woke keeps the object alive by its
         * pin until it has left, so destroy need not wait for it. */
        spin_lock(&cv->lock);
        spin_lock(&cv->wq.lock);
        r = list_empty(&cv->wq.waiters) ? 0 : -EBUSY;
        spin_unlock(&cv->wq.lock);
        spin_unlock(&cv->lock);
        if (!r)
            r = cap_kobj_close(p, (int)slot, CAP_TYPE_CONDVAR);
        break;
    default:
        r = -EINVAL;
    }
    kobj_put(o);
    return r;
}
