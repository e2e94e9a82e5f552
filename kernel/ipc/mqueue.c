/*
 * Message queues: the object (creation with its pages, destroy, revoke's
 * cancel), the message lists and blocking send and receive (mq_int.h has
 * the layout and the locking rules: mq->lock guards the queue state and
 * its control page; rq/sq are its waiters).
 *
 * Storage: one control page (struct mq_ctl) plus ceil(maxmsg * msgsize /
 * PAGE_SIZE) data pages, all charged to the creator's KEEL_POOL_PAGES
 * quota at creation and given back in destroy. Message cell i's bytes
 * start at offset i * msgsize of the data pages (a cell may straddle two
 * pages). Each priority has a FIFO list of cells; prio_map says which
 * lists are non-empty, so send and receive are O(1) plus the copy.
 *
 * Waiting: a receiver finding the queue empty (a sender finding it full)
 * counts itself in nrecv (nsend) and sleeps on rq (sq) with mq->lock
 * (waitq_wait, or waitq_wait_deadline for an absolute CLOCK_REALTIME
 * deadline, which follows clock_settime). A send wakes one receiver, a receive
 * one sender, only when one is counted. A woken waiter that leaves
 * without taking its turn (revoked pin: EBADF, EINTR, ETIMEDOUT) passes
 * the wake-up on, so a message never sits unseen by a blocked receiver.
 * After every wake-up the pin is checked under mq->lock (revoke O2).
 */
#include "../include/kernel.h"
#include "../include/quota.h"
#include "mq_int.h"

_Static_assert(sizeof(struct mqueue) <= KOBJ_SIZE_MAX, "mqueue cell");
_Static_assert(sizeof(struct mq_ctl) <= PAGE_SIZE, "mqueue control page");
_Static_assert(KEEL_MQ_MAXMSG_MAX < MQ_NIL, "cell numbers fit");
_Static_assert(KEEL_MQ_MSGSIZE_MAX <= 0xffff, "lengths fit");

static void mq_free_pages(struct mq_ctl *ctl, uint32_t ndata)
{
    for (uint32_t i = 0; i < ndata; i++)
        page_free(ctl->data[i]);
    page_free(ctl);
}

static void mq_destroy(struct kobj *o)
{
    struct mqueue *mq = mq_of(o);
    mq_notify_release(mq);
    mq_free_pages(mq->ctl, mq->npages - 1);
    quota_uncharge(o->acct, KEEL_POOL_PAGES, mq->npages);
}

/* R2: a slot naming the queue was revoked: every waiter re-checks its
 * pin (those of the revoked slot leave with EBADF, the others wait on). */
static void mq_cancel(struct kobj *o)
{
    struct mqueue *mq = mq_of(o);
    spin_lock(&mq->lock);
    waitq_wake_all(&mq->rq);
    waitq_wake_all(&mq->sq);
    waitq_wake_all(&mq->ctl->nq);
    spin_unlock(&mq->lock);
}

static const struct kobj_ops mq_ops = {
    .name = "mqueue", .destroy = mq_destroy, .cancel = mq_cancel};

struct kobj *mq_make(void *arg, int *err)
{
    const struct keel_mq_attr *a = arg;
    uint64_t maxmsg = a ? (uint64_t)a->maxmsg : KEEL_MQ_DEF_MAXMSG;
    uint64_t msgsize = a ? (uint64_t)a->msgsize : KEEL_MQ_DEF_MSGSIZE;
    /* Negative values are huge as unsigned: one check each. */
    if (maxmsg == 0 || maxmsg > KEEL_MQ_MAXMSG_MAX || msgsize == 0 ||
        msgsize > KEEL_MQ_MSGSIZE_MAX || maxmsg * msgsize > KEEL_MQ_BYTES_MAX) {
        *err = -EINVAL;
        return NULL;
    }
    uint32_t ndata = (uint32_t)((maxmsg * msgsize + PAGE_SIZE - 1) / PAGE_SIZE);
    struct proc *acct = current()->proc;
    if (quota_charge(acct, KEEL_POOL_PAGES, ndata + 1) < 0) {
        *err = -ENOSPC;
        return NULL;
    }
    struct mq_ctl *ctl = page_alloc();
    uint32_t got = 0;
    while (ctl && got < ndata && (ctl->data[got] = page_alloc()) != NULL)
        got++;
    struct mqueue *mq =
        ctl && got == ndata
            ? kobj_create(CAP_TYPE_MQUEUE, &mq_ops, sizeof(struct mqueue))
            : NULL;
    if (!mq) {
        if (ctl)
            mq_free_pages(ctl, got);
        quota_uncharge(acct, KEEL_POOL_PAGES, ndata + 1);
        *err = -ENOSPC; /* the object quota or pool, or no pages */
        return NULL;
    }
    spin_init(&mq->lock, "mqueue");
    waitq_init(&mq->rq, "mq_receive");
    waitq_init(&mq->sq, "mq_send");
    waitq_init(&ctl->nq, "mq_notify");
    mq->maxmsg = (uint32_t)maxmsg;
    mq->msgsize = (uint32_t)msgsize;
    mq->npages = ndata + 1;
    mq->ctl = ctl;
    for (int p = 0; p < KEEL_MQ_PRIO_MAX; p++)
        ctl->head[p] = ctl->tail[p] = MQ_NIL;
    for (uint32_t i = 0; i < maxmsg; i++)
        ctl->next[i] = (uint16_t)(i + 1 < maxmsg ? i + 1 : MQ_NIL);
    mq->free_head = 0;
    return &mq->hdr;
}

/* The highest set bit of x (x != 0): no libgcc call (rv64gc has no clz). */
static inline unsigned mq_hibit(uint32_t x)
{
    unsigned r = 0;
    if (x >> 16) {
        x >>= 16;
        r += 16;
    }
    if (x >> 8) {
        x >>= 8;
        r += 8;
    }
    if (x >> 4) {
        x >>= 4;
        r += 4;
    }
    if (x >> 2) {
        x >>= 2;
        r += 2;
    }
    return r + (x >> 1);
}

/* mq->lock held: copy n bytes between cell c's data and user (or
 * kernel) memory; to_cell: into the cell. 0 or -EFAULT. */
static __attribute__((noinline)) int cell_copy_slow(struct mqueue *mq,
                                                    uint32_t c, bool to_cell,
                                                    uint64_t ubuf,
                                                    const void *ksrc, size_t n)
{
    uint64_t off = (uint64_t)c * mq->msgsize;
    size_t done = 0;

    while (done < n) {
        uint8_t *page = mq->ctl->data[off / PAGE_SIZE];
        size_t po = off % PAGE_SIZE;
        size_t chunk = MIN(n - done, PAGE_SIZE - po);
        int r = 0;
        if (!to_cell)
            r = copy_to_user(ubuf + done, page + po, chunk);
        else if (ksrc)
            memcpy(page + po, (const uint8_t *)ksrc + done, chunk);
        else
            r = copy_from_user(page + po, ubuf + done, chunk);
        if (r < 0)
            return -EFAULT;
        done += chunk;
        off += chunk;
    }
    return 0;
}

/* cell_copy_slow, with the common case inline: a user copy within one
 * page. */
static inline int cell_copy(struct mqueue *mq, uint32_t c, bool to_cell,
                            uint64_t ubuf, const void *ksrc, size_t n)
{
    uint64_t off = (uint64_t)c * mq->msgsize;
    size_t po = off % PAGE_SIZE;
    if (unlikely(ksrc || po + n > PAGE_SIZE))
        return cell_copy_slow(mq, c, to_cell, ubuf, ksrc, n);
    uint8_t *p = mq->ctl->data[off / PAGE_SIZE] + po;
    int r = to_cell ? copy_from_user(p, ubuf, n) : copy_to_user(ubuf, p, n);
    return r < 0 ? -EFAULT : 0;
}

/* mq->lock held: wait on wq (counted in *count) as w says: 0 when woken,
 * -EAGAIN, -EINVAL (bad timespec), -ETIMEDOUT, -EINTR. */
static int mq_block(struct mqueue *mq, struct waitq *wq, uint16_t *count,
                    const struct mq_wait *w)
{
    if (w->nonblock)
        return -EAGAIN;
    int r;
    (*count)++;
    if (w->timed) {
        if (w->ts_err) {
            r = w->ts_err;
        } else {
            struct kdeadline dl; /* follows clock_settime */
            kdl_clock(&dl, true, w->abs_ns);
            r = waitq_wait_deadline(wq, &mq->lock, &dl);
        }
    } else {
        r = waitq_wait(wq, &mq->lock);
    }
    (*count)--;
    return r;
}

/* mq->lock held, the fast check failed: wait until there is room (0,
 * lock held) or fail (the error, lock released, a wake-up we may have
 * taken passed on to the next sender: a spare one only makes it look
 * again). Out of line: the fast path keeps few registers. */
static __attribute__((noinline)) int mq_send_wait(struct mqueue *mq,
                                                  const struct mq_wait *w,
                                                  const struct cap_pin *pin)
{
    int err = 0;
    for (;;) {
        if (unlikely(!cap_pin_live(pin))) {
            err = -EBADF;
            break;
        }
        if (mq->curmsgs < mq->maxmsg)
            return 0;
        err = mq_block(mq, &mq->sq, &mq->nsend, w);
        if (err)
            break;
    }
    bool pass = mq->nsend && mq->curmsgs < mq->maxmsg;
    spin_unlock(&mq->lock);
    if (pass)
        waitq_wake_one(&mq->sq);
    return err;
}

int mq_send(struct mqueue *mq, uint64_t ubuf, const void *kbuf, size_t len,
            unsigned prio, const struct mq_wait *w, const struct cap_pin *pin)
{
    if (len > mq->msgsize)
        return -EMSGSIZE;
    if (prio >= KEEL_MQ_PRIO_MAX)
        return -EINVAL;
    struct mq_ctl *ctl = mq->ctl;
    spin_lock(&mq->lock);
    if (unlikely(!cap_pin_live(pin) || mq->curmsgs >= mq->maxmsg)) {
        int err = mq_send_wait(mq, w, pin);
        if (err)
            return err;
    }
    uint32_t c = mq->free_head;
    if (cell_copy(mq, c, true, ubuf, kbuf, len) < 0) {
        spin_unlock(&mq->lock);
        return -EFAULT;
    }
    mq->free_head = ctl->next[c];
    ctl->next[c] = MQ_NIL;
    ctl->len[c] = (uint16_t)len;
    if (ctl->tail[prio] == MQ_NIL)
        ctl->head[prio] = (uint16_t)c;
    else
        ctl->next[ctl->tail[prio]] = (uint16_t)c;
    ctl->tail[prio] = (uint16_t)c;
    mq->prio_map |= 1u << prio;
    bool wake = mq->nrecv != 0;
    if (unlikely(mq->curmsgs++ == 0 && !wake && mq->nproc)) {
        struct mq_fire fire = {0};
        mq_notify_take(mq, &fire);
        spin_unlock(&mq->lock);
        mq_notify_deliver(&fire);
        return 0;
    }
    spin_unlock(&mq->lock);
    if (wake)
        waitq_wake_one(&mq->rq);
    return 0;
}

long mq_receive(struct mqueue *mq, uint64_t ubuf, size_t len, uint64_t uprio,
                const struct mq_wait *w, const struct cap_pin *pin)
{
    if (len < mq->msgsize)
        return -EMSGSIZE;
    struct mq_ctl *ctl = mq->ctl;
    long err = 0;
    spin_lock(&mq->lock);
    for (;;) {
        if (unlikely(!cap_pin_live(pin))) {
            err = -EBADF;
            break;
        }
        if (mq->curmsgs)
            break;
        err = mq_block(mq, &mq->rq, &mq->nrecv, w);
        if (err)
            break;
    }
    if (err) {
        bool pass = mq->nrecv && mq->curmsgs;
        spin_unlock(&mq->lock);
        if (pass)
            waitq_wake_one(&mq->rq);
        return err;
    }
    unsigned prio = mq_hibit(mq->prio_map);
    uint32_t c = ctl->head[prio];
    size_t n = ctl->len[c];
    uint32_t p32 = prio;
    /* Copy out first: on a fault the message stays queued. */
    if (cell_copy(mq, c, false, ubuf, NULL, n) < 0 ||
        (uprio && copy_to_user(uprio, &p32, sizeof(p32)) < 0)) {
        spin_unlock(&mq->lock);
        return -EFAULT;
    }
    ctl->head[prio] = ctl->next[c];
    if (ctl->head[prio] == MQ_NIL) {
        ctl->tail[prio] = MQ_NIL;
        mq->prio_map &= ~(1u << prio);
    }
    ctl->next[c] = mq->free_head;
    mq->free_head = (uint16_t)c;
    mq->curmsgs--;
    bool wake = mq->nsend != 0;
    spin_unlock(&mq->lock);
    if (wake)
        waitq_wake_one(&mq->sq);
    return (long)n;
}

int kmq_send_obj(struct kobj *o, const void *msg, size_t len, unsigned prio)
{
    if (!o || o->type != CAP_TYPE_MQUEUE)
        return -EINVAL;
    struct mq_wait w = {.nonblock = true};
    return mq_send(mq_of(o), 0, msg, len, prio, &w, NULL);
}
