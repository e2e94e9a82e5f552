/*
 * Message-queue syscalls (SYS_mq_open .. SYS_mq_ctl; docs/syscalls.md
 * "Kernel objects") and mq_notify registrations.
 *
 * Rights: mq_open mints READ for O_RDONLY, WRITE for O_WRONLY, both for
 * O_RDWR, and always GRANT. Send needs WRITE, receive READ; a slot
 * without the right gives EBADF (POSIX: "not open for writing/reading"),
 * not EACCES. getattr, close and notify need only a queue cap.
 *
 * Notification (mq->lock guards the registration; mq_int.h): one
 * process at a time may be registered (EBUSY for any other, unless the
 * registered one has exited: then the stale registration is replaced).
 * It fires once, when a send makes the queue go from empty to non-empty
 * while no receiver is blocked, and is then removed; mq_close by the
 * registered process and mq_notify(NULL) remove it too. KEEL_MQ_NOTIFY_
 * WAKE (libc's SIGEV_THREAD) wakes the helper thread blocked in
 * KEEL_MQ_CTL_NOTIFY_WAIT with the registration's number.
 */
#include "../include/objname.h"
#include "../include/signal.h"
#include "../include/syscall.h"
#include "mq_int.h"

/* ---- notification ---- */

static bool proc_gone(const struct proc *p)
{
    return READ_ONCE(p->state) != P_ALIVE || READ_ONCE(p->exiting);
}

/* mq->lock held: remove the registration; its process reference goes in
 * *put (for after unlocking); helpers waiting for it are woken. */
static void notify_clear(struct mqueue *mq, struct proc **put)
{
    *put = mq->nproc;
    mq->nproc = NULL;
    if (mq->notify.how == KEEL_MQ_NOTIFY_WAKE)
        waitq_wake_all(&mq->ctl->nq);
}

void mq_notify_take(struct mqueue *mq, struct mq_fire *f)
{
    struct proc *p = mq->nproc;
    mq->nproc = NULL;
    if (mq->notify.how == KEEL_MQ_NOTIFY_WAKE) {
        struct proc *old = mq->nfired_proc; /* a fire nobody picked up */
        mq->nfired = mq->nseq;
        mq->nfired_proc = p;
        waitq_wake_all(&mq->ctl->nq);
        f->p = old; /* only put */
        f->signo = 0;
        return;
    }
    f->p = p;
    f->signo = mq->notify.how == KEEL_MQ_NOTIFY_SIGNAL ? mq->notify.signo : 0;
    f->value = mq->notify.value;
}

void mq_notify_deliver(struct mq_fire *f)
{
    if (!f->p)
        return;
    if (f->signo) /* SIGEV_SIGNAL: queued with si_code SI_MESGQ */
        sig_post(f->p, f->signo, KEEL_SI_MESGQ, f->value);
    proc_put(f->p);
}

void mq_notify_release(struct mqueue *mq)
{
    if (mq->nproc)
        proc_put(mq->nproc);
    if (mq->nfired_proc)
        proc_put(mq->nfired_proc);
}

static long mq_notify_set(struct mqueue *mq, uint64_t uarg)
{
    struct proc *self = current()->proc;
    struct keel_mq_notify n;
    if (uarg) {
        if (copy_from_user(&n, uarg, sizeof(n)) < 0)
            return -EFAULT;
        if (n.how == KEEL_MQ_NOTIFY_SIGNAL && (n.signo < 1 || n.signo > 64))
            return -EINVAL;
        if (n.how != KEEL_MQ_NOTIFY_NONE && n.how != KEEL_MQ_NOTIFY_WAKE &&
            n.how != KEEL_MQ_NOTIFY_SIGNAL)
            return -EINVAL;
    }
    struct proc *put = NULL;
    long r = 0;
    spin_lock(&mq->lock);
    if (!uarg) {
        if (mq->nproc == self)
            notify_clear(mq, &put);
    } else if (mq->nproc && !proc_gone(mq->nproc)) {
        r = -EBUSY;
    } else {
        put = mq->nproc; /* a registrant that exited without mq_close */
        proc_get(self);
        mq->nproc = self;
        mq->notify = n;
        r = ++mq->nseq & 0x7fffffff;
        mq->nseq = (uint32_t)r;
    }
    spin_unlock(&mq->lock);
    if (put)
        proc_put(put);
    return r;
}

/* The SIGEV_THREAD helper: wait until registration seq fires (0) or is
 * gone (-ECANCELED); -EBADF when its slot is revoked, -EINTR. */
static long mq_notify_wait(struct mqueue *mq, uint32_t seq,
                           const struct cap_pin *pin)
{
    struct proc *self = current()->proc;
    struct proc *put = NULL;
    long r;
    spin_lock(&mq->lock);
    for (;;) {
        if (!cap_pin_live(pin)) {
            r = -EBADF;
            break;
        }
        if (mq->nfired == seq && mq->nfired_proc == self) {
            put = mq->nfired_proc;
            mq->nfired_proc = NULL;
            r = 0;
            break;
        }
        if (mq->nproc != self || mq->nseq != seq ||
            mq->notify.how != KEEL_MQ_NOTIFY_WAKE) {
            r = -ECANCELED;
            break;
        }
        r = waitq_wait(&mq->ctl->nq, &mq->lock);
        if (r)
            break;
    }
    spin_unlock(&mq->lock);
    if (put)
        proc_put(put);
    return r;
}

/* ---- syscalls ---- */

long sys_mq_open(uint64_t uname, int oflags, int mode, uint64_t uattr)
{
    (void)mode; /* no permission bits in this file system */
    char name[KEEL_NAME_MAX + 1];
    int err = objname_copy_in(uname, name);
    if (err)
        return err;
    int acc = oflags & KEEL_O_ACCMODE;
    if ((oflags & ~(KEEL_O_ACCMODE | KEEL_O_CREAT | KEEL_O_EXCL)) ||
        acc == KEEL_O_ACCMODE)
        return -EINVAL;
    struct keel_mq_attr a, *ap = NULL;
    if ((oflags & KEEL_O_CREAT) && uattr) {
        if (copy_from_user(&a, uattr, sizeof(a)) < 0)
            return -EFAULT;
        ap = &a;
    }
    struct kobj *o;
    bool created;
    err =
        objname_open(CAP_TYPE_MQUEUE, name, oflags, mq_make, ap, &o, &created);
    if (err)
        return err;
    unsigned rights = CAP_RIGHT_GRANT;
    if (acc != KEEL_O_WRONLY)
        rights |= CAP_RIGHT_READ;
    if (acc != KEEL_O_RDONLY)
        rights |= CAP_RIGHT_WRITE;
    int slot = cap_kobj_install(current()->proc, o, rights, 0);
    if (slot < 0 && created)
        objname_unlink_obj(CAP_TYPE_MQUEUE, name, o); /* leave no trace */
    kobj_put(o);
    return slot;
}

/* A name no queue can have ("", no leading '/', a second '/') names no
 * queue: ENOENT, the one error POSIX gives mq_unlink for it. */
long sys_mq_unlink(uint64_t uname)
{
    char name[KEEL_NAME_MAX + 1];
    int err = objname_copy_in(uname, name);
    if (err == -EINVAL)
        return -ENOENT;
    return err ? err : objname_unlink(CAP_TYPE_MQUEUE, name);
}

/* The queue in slot mqd with `need`; EBADF also for a missing right.
 * Inline: need is a constant at each call, and so the lookup's mask. */
static inline __attribute__((always_inline)) int
mq_get(int mqd, unsigned need, struct kobj **o, struct cap_pin *pin)
{
    int r = cap_kobj_get(current()->proc, mqd, CAP_TYPE_MQUEUE, need, o, pin);
    return likely(r == 0) ? 0 : r == -EACCES ? -EBADF : r;
}

static int mq_wait_in(struct mq_wait *w, unsigned flags, uint64_t uts)
{
    w->nonblock = flags & KEEL_MQ_NONBLOCK;
    w->timed = uts != 0;
    w->ts_err = 0;
    w->abs_ns = 0;
    if (!uts)
        return 0;
    struct keel_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (clock_ts_to_ns(&ts, &w->abs_ns) < 0)
        w->ts_err = -EINVAL; /* reported only if the call would block */
    return 0;
}

long sys_mq_send(int mqd, uint64_t ubuf, size_t len, unsigned prio,
                 unsigned flags, uint64_t uts)
{
    struct kobj *o;
    struct cap_pin pin;
    struct mq_wait w;
    int r = mq_get(mqd, CAP_RIGHT_WRITE, &o, &pin);
    if (r)
        return r;
    r = mq_wait_in(&w, flags, uts);
    if (!r)
        r = mq_send(mq_of(o), ubuf, NULL, len, prio, &w, &pin);
    kobj_put(o);
    /* mq_send and mq_timedsend are interruptible functions (POSIX
     * sigaction, SA_RESTART): an interrupted wait sent nothing, so it is
     * restarted after a handler with SA_RESTART (a timed one with the same
     * absolute deadline) and fails with EINTR after any other. */
    return r == -EINTR ? -ERESTARTSYS : r;
}

long sys_mq_receive(int mqd, uint64_t ubuf, size_t len, uint64_t uprio,
                    unsigned flags, uint64_t uts)
{
    struct kobj *o;
    struct cap_pin pin;
    struct mq_wait w;
    int r = mq_get(mqd, CAP_RIGHT_READ, &o, &pin);
    if (r)
        return r;
    long n = mq_wait_in(&w, flags, uts);
    if (!n)
        n = mq_receive(mq_of(o), ubuf, len, uprio, &w, &pin);
    kobj_put(o);
    return n == -EINTR ? -ERESTARTSYS : n; /* as sys_mq_send */
}

long sys_mq_ctl(int mqd, int op, uint64_t arg)
{
    struct kobj *o;
    struct cap_pin pin;
    int r = mq_get(mqd, 0, &o, &pin);
    if (r)
        return r;
    struct mqueue *mq = mq_of(o);
    long ret = 0;
    switch (op) {
    case KEEL_MQ_CTL_GETATTR: {
        struct keel_mq_attr a;
        spin_lock(&mq->lock);
        a.maxmsg = mq->maxmsg;
        a.msgsize = mq->msgsize;
        a.curmsgs = mq->curmsgs;
        spin_unlock(&mq->lock);
        ret = copy_to_user(arg, &a, sizeof(a)) < 0 ? -EFAULT : 0;
        break;
    }
    case KEEL_MQ_CTL_CLOSE: {
        struct proc *put = NULL;
        spin_lock(&mq->lock);
        if (mq->nproc == current()->proc)
            notify_clear(mq, &put);
        spin_unlock(&mq->lock);
        if (put)
            proc_put(put);
        ret = cap_kobj_close(current()->proc, mqd, CAP_TYPE_MQUEUE);
        break;
    }
    case KEEL_MQ_CTL_NOTIFY:
        ret = mq_notify_set(mq, arg);
        break;
    case KEEL_MQ_CTL_NOTIFY_WAIT:
        ret = mq_notify_wait(mq, (uint32_t)arg, &pin);
        break;
    default:
        ret = -EINVAL;
    }
    kobj_put(o);
    return ret;
}
