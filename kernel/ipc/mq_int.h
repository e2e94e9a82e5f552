/*
 * Private to the message queues (mqueue.c: the object, its storage,
 * send and receive; mq_sys.c: the syscalls and mq_notify).
 *
 * Locking: mq->lock (a spinlock at the waitq level, S1) guards every
 * field below it and the whole control page; blocked receivers sleep on
 * rq, blocked senders on sq, SIGEV_THREAD helpers (KEEL_MQ_CTL_NOTIFY_WAIT)
 * on ctl->nq, each queued with mq->lock held (waitq_wait). Message data
 * is copied to and from user space under mq->lock (at most msgsize
 * bytes, a bounded step, as pipes do). Process references taken for a
 * notification are put, and signals posted, after unlocking.
 */
#ifndef KEEL_MQ_INT_H
#define KEEL_MQ_INT_H

#include "../include/kmq.h"
#include "../include/mm.h"
#include "../include/proc.h"

#define MQ_NIL 0xffffu
#define MQ_DATA_PAGES_MAX (KEEL_MQ_BYTES_MAX / PAGE_SIZE)

/* The control page: everything of a queue bigger than its object cell. */
struct mq_ctl {
    uint8_t *data[MQ_DATA_PAGES_MAX]; /* message i at i * msgsize */
    uint16_t head[KEEL_MQ_PRIO_MAX], tail[KEEL_MQ_PRIO_MAX]; /* or MQ_NIL */
    uint16_t next[KEEL_MQ_MAXMSG_MAX]; /* per message: next in its list */
    uint16_t len[KEEL_MQ_MAXMSG_MAX];
    struct waitq nq; /* SIGEV_THREAD helpers (NOTIFY_WAIT) */
};

struct mqueue {
    struct kobj hdr;
    spinlock_t lock;
    struct waitq rq, sq; /* blocked receivers, senders */
    uint32_t maxmsg, msgsize, curmsgs;
    uint32_t prio_map;     /* bit p: priority p's list is not empty */
    uint16_t free_head;    /* free message cells */
    uint16_t nrecv, nsend; /* threads blocked in receive / send */
    uint32_t npages;       /* charged to hdr.acct: data pages + the control */
    struct mq_ctl *ctl;
    /* mq_notify: the registered process (referenced) or NULL, how it is
     * told, and registration numbers: seq counts registrations, fired is
     * the last one that fired with KEEL_MQ_NOTIFY_WAKE (its helper thread
     * picks that up, ctl->nq). */
    struct proc *nproc;
    struct keel_mq_notify notify;
    uint32_t nseq, nfired;
    struct proc *nfired_proc; /* whose WAKE registration fired, ref'd */
};

/* What a blocking operation does when it would block. */
struct mq_wait {
    bool nonblock;   /* -EAGAIN */
    bool timed;      /* abstime is a CLOCK_REALTIME deadline */
    int ts_err;      /* abstime's error (EINVAL), reported only then */
    uint64_t abs_ns; /* the deadline */
};

/* A notification to deliver after unlocking (mq_notify_take). */
struct mq_fire {
    struct proc *p; /* NULL: none; else referenced */
    int signo;
    uint64_t value;
};

struct kobj *mq_make(void *attr, int *err); /* objname_make_fn */
static inline struct mqueue *mq_of(struct kobj *o)
{
    return (struct mqueue *)o;
}
/* Send from user buffer ubuf (kbuf NULL) or kernel buffer kbuf. */
int mq_send(struct mqueue *mq, uint64_t ubuf, const void *kbuf, size_t len,
            unsigned prio, const struct mq_wait *w, const struct cap_pin *pin);
long mq_receive(struct mqueue *mq, uint64_t ubuf, size_t len, uint64_t uprio,
                const struct mq_wait *w, const struct cap_pin *pin);

/* mq_sys.c. mq->lock held: the queue went from empty to one message with
 * no receiver blocked: take the registration (one-shot) into *f; WAKE
 * registrations wake their helper here. */
void mq_notify_take(struct mqueue *mq, struct mq_fire *f);
/* No lock held: deliver what mq_notify_take took. */
void mq_notify_deliver(struct mq_fire *f);
/* destroy: drop what the registration holds. */
void mq_notify_release(struct mqueue *mq);

#endif
