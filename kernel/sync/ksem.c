/*
 * Kernel semaphores: CAP_TYPE_SEMAPHORE objects and SYS_sem (the ops in
 * libc/include/keel/abi.h; docs/syscalls.md "Kernel objects"). Names in
 * /dev/sem (sem_open, sem_unlink) are ksem_named.c's.
 *
 * A semaphore is a count (0 .. KEEL_SEM_VALUE_MAX) and a waitq. Rights:
 * READ waits, WRITE posts, either lets a holder read the value. Waiting
 * takes one unit if the count is positive, else sleeps until a post;
 * waitq_wake_one wakes the highest-priority waiter (the earliest among
 * equals). A post does not hand its unit to the thread it wakes: the
 * woken thread takes it when it runs, so a thread that was already
 * running may take it first (it then goes on running, which the
 * priority order allows: it was not blocked). A waiter that leaves
 * without a unit (timeout, EINTR, a dead pin) while units are left and
 * others still wait wakes the next one, so no post is lost.
 *
 * Timed waits take an absolute CLOCK_REALTIME time (sem_timedwait), kept
 * as a time on that clock (sched.h struct kdeadline): a clock_settime
 * while the thread waits makes it look at the clock again, so a set past
 * the time ends the wait with ETIMEDOUT and a set back lengthens it.
 *
 * Revoke and exit: ops->cancel takes the lock (so no waiter is between
 * its pin check and its sleep) and wakes every waiter; one whose pin died
 * fails with EBADF, the others wait on. A thread being killed gets EINTR.
 *
 * Signals: sem_wait and sem_timedwait are interruptible functions (POSIX
 * sigaction, SA_RESTART): an interrupted wait returns ERESTARTSYS, so it
 * fails with EINTR when the handler that runs lacks SA_RESTART (as
 * libc's cancellation handler does) and is restarted otherwise; a
 * restarted sem_timedwait keeps its absolute deadline.
 *
 * Locking: ksem.lock guards count and nwait (S1: ksem.lock -> the waitq's
 * lock -> sleep_lock -> scheduler locks). The waitq's own lock guards its
 * list. Nothing here sleeps with ksem.lock held except through
 * waitq_wait*, which drops it.
 */
#include "../include/ksem.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

#define NSEC 1000000000ull

struct ksem {
    struct kobj hdr;
    spinlock_t lock;
    uint32_t count; /* ksem.lock */
    uint32_t nwait; /* threads inside a wait (ksem.lock) */
    struct waitq wq;
};
_Static_assert(sizeof(struct ksem) <= KOBJ_SIZE_MAX, "ksem fits a kobj cell");

static void ksem_destroy(struct kobj *o)
{
    (void)o; /* owns nothing beyond its cell */
}

static void ksem_cancel(struct kobj *o)
{
    struct ksem *s = (struct ksem *)o;
    /* Every waiter is either asleep on wq or holds the lock: after this
     * pair, a waiter that checked its pin before the revoke is asleep and
     * the wake-up below reaches it. */
    spin_lock(&s->lock);
    spin_unlock(&s->lock);
    waitq_wake_all(&s->wq);
}

static const struct kobj_ops ksem_ops = {"semaphore", ksem_destroy,
                                         ksem_cancel};

static long ksem_post(struct ksem *s)
{
    spin_lock(&s->lock);
    if (s->count >= KEEL_SEM_VALUE_MAX) {
        spin_unlock(&s->lock);
        return -EOVERFLOW;
    }
    s->count++;
    bool wake = s->nwait != 0;
    spin_unlock(&s->lock);
    if (wake)
        waitq_wake_one(&s->wq);
    return 0;
}

int ksem_post_obj(struct kobj *o)
{
    if (!o || o->type != CAP_TYPE_SEMAPHORE || o->ops != &ksem_ops)
        return -EINVAL;
    return (int)ksem_post((struct ksem *)o);
}

/* One unit if there is one (the uncontended path of every wait). */
static bool ksem_take(struct ksem *s)
{
    spin_lock(&s->lock);
    bool got = s->count != 0;
    if (got)
        s->count--;
    spin_unlock(&s->lock);
    return got;
}

/*
 * Waits for a unit. abs_ns: the CLOCK_REALTIME deadline in ns, or
 * UINT64_MAX for none (sem_wait). 0, -ETIMEDOUT, -EINTR or -EBADF.
 */
static long ksem_wait(struct ksem *s, const struct cap_pin *pin,
                      uint64_t abs_ns)
{
    long r;
    spin_lock(&s->lock);
    s->nwait++;
    for (;;) {
        if (!cap_pin_live(pin)) {
            r = -EBADF;
            break;
        }
        if (s->count) {
            s->count--;
            r = 0;
            break;
        }
        if (abs_ns == UINT64_MAX) {
            r = waitq_wait(&s->wq, &s->lock);
        } else {
            struct kdeadline dl;
            kdl_clock(&dl, true, abs_ns);
            r = waitq_wait_deadline(&s->wq, &s->lock, &dl);
        }
        if (r == -EINTR || r == -ETIMEDOUT)
            break;
    }
    s->nwait--;
    /* Leaving without a unit while units are left: pass the wake-up on. */
    bool pass = r != 0 && s->count != 0 && s->nwait != 0;
    spin_unlock(&s->lock);
    if (pass)
        waitq_wake_one(&s->wq);
    return r;
}

/* sem_destroy's EBUSY: a thread of p is blocked on s. */
static bool ksem_busy_for(struct ksem *s, struct proc *p)
{
    bool busy = false;
    spin_lock(&s->wq.lock);
    list_for_each(it, &s->wq.waiters)
    {
        struct thread *t = list_entry(it, struct thread, wait_node);
        if (t->proc == p) {
            busy = true;
            break;
        }
    }
    spin_unlock(&s->wq.lock);
    return busy;
}

struct kobj *ksem_new(uint32_t value)
{
    struct ksem *s = kobj_create(CAP_TYPE_SEMAPHORE, &ksem_ops, sizeof(*s));
    if (!s)
        return NULL;
    spin_init(&s->lock, "ksem");
    waitq_init(&s->wq, "sem_wait");
    s->count = value;
    return &s->hdr;
}

static long ksem_create(uint64_t value, uint64_t flags)
{
    if (flags & ~(uint64_t)KEEL_SEM_PSHARED)
        return -EINVAL;
    if (value > KEEL_SEM_VALUE_MAX)
        return -EINVAL;
    struct kobj *o = ksem_new((uint32_t)value);
    if (!o)
        return -ENOSPC;
    unsigned rights = CAP_RIGHT_READ | CAP_RIGHT_WRITE;
    if (flags & KEEL_SEM_PSHARED)
        rights |= CAP_RIGHT_GRANT;
    int slot = cap_kobj_install(current()->proc, o, rights, 0);
    kobj_put(o); /* the slot holds it now, or nothing does */
    return slot;
}

/* The CLOCK_REALTIME deadline of a timed wait, in ns: 0, -EFAULT or
 * -EINVAL (tv_nsec out of range). Before the epoch counts as passed. */
static long ksem_deadline(uint64_t uts, uint64_t *abs_ns)
{
    struct keel_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    int r = clock_ts_to_ns(&ts, abs_ns);
    if (r < 0)
        return r;
    if (*abs_ns == UINT64_MAX)
        *abs_ns = UINT64_MAX - 1; /* a real deadline, never "none" */
    return 0;
}

static const unsigned ksem_need[] = {
    [KEEL_SEM_WAIT] = CAP_RIGHT_READ,
    [KEEL_SEM_TRYWAIT] = CAP_RIGHT_READ,
    [KEEL_SEM_TIMEDWAIT] = CAP_RIGHT_READ,
    [KEEL_SEM_POST] = CAP_RIGHT_WRITE,
    [KEEL_SEM_GETVALUE] = 0,
    [KEEL_SEM_DESTROY] = 0,
};

long sys_sem(long op, long slot, uint64_t a, uint64_t b)
{
    struct proc *p = current()->proc;
    switch (op) {
    case KEEL_SEM_CREATE:
        return ksem_create(a, b);
    case KEEL_SEM_OPEN: /* (op, name, oflags, value): ksem_named.c */
        return ksem_open((uint64_t)slot, a, b);
    case KEEL_SEM_UNLINK:
        return ksem_unlink((uint64_t)slot);
    case KEEL_SEM_CLOSE:
        return cap_kobj_close(p, (int)slot, CAP_TYPE_SEMAPHORE);
    }
    if (op < KEEL_SEM_WAIT || op > KEEL_SEM_DESTROY)
        return -EINVAL;
    if (op == KEEL_SEM_DESTROY) {
        struct kobj *o;
        long r = cap_kobj_get(p, (int)slot, CAP_TYPE_SEMAPHORE, 0, &o, NULL);
        if (r < 0)
            return r;
        bool busy = ksem_busy_for((struct ksem *)o, p);
        kobj_put(o);
        return busy ? -EBUSY : cap_kobj_close(p, (int)slot, CAP_TYPE_SEMAPHORE);
    }
    struct kobj *o;
    struct cap_pin pin;
    long r =
        cap_kobj_get(p, (int)slot, CAP_TYPE_SEMAPHORE, ksem_need[op], &o, &pin);
    if (r < 0)
        return r;
    struct ksem *s = (struct ksem *)o;
    uint64_t abs_ns;
    switch (op) {
    case KEEL_SEM_WAIT:
        r = ksem_take(s) ? 0 : ksem_wait(s, &pin, UINT64_MAX);
        if (r == -EINTR)
            r = -ERESTARTSYS; /* EINTR, or restarted (SA_RESTART) */
        break;
    case KEEL_SEM_TRYWAIT:
        r = ksem_take(s) ? 0 : -EAGAIN;
        break;
    case KEEL_SEM_TIMEDWAIT:
        /* POSIX: the timeout is not looked at when no wait is needed. */
        if (ksem_take(s)) {
            r = 0;
            break;
        }
        r = ksem_deadline(a, &abs_ns);
        if (r == 0)
            r = ksem_wait(s, &pin, abs_ns);
        if (r == -EINTR)
            r = -ERESTARTSYS; /* the same absolute deadline again */
        break;
    case KEEL_SEM_POST:
        r = ksem_post(s);
        break;
    default: /* KEEL_SEM_GETVALUE */
        r = (long)READ_ONCE(s->count);
        break;
    }
    kobj_put(o);
    return r;
}
