/*
 * <mqueue.h>: POSIX message queues over SYS_mq_* (docs/syscalls.md
 * "Kernel objects"). The kernel maps a name "/x" to /dev/mqueue/x and
 * checks it; an mqd_t is the queue cap's slot.
 *
 * O_NONBLOCK belongs to the mqd_t and is kept here, one byte per slot
 * (mq_nonblock[], written by mq_open, mq_setattr and mq_close of that
 * slot; a byte store is atomic, so no lock), and passed to the kernel on
 * every send and receive.
 *
 * SIGEV_THREAD (mq_notify): the kernel registration is of kind
 * KEEL_MQ_NOTIFY_WAKE; a detached helper thread blocks in
 * KEEL_MQ_CTL_NOTIFY_WAIT for that registration and, when it fires, calls
 * sigev_notify_function(sigev_value) and exits; when the registration is
 * removed (mq_notify(NULL), mq_close) it exits without calling.
 */
#define _POSIX_THREADS 1 /* newlib's struct sigevent with the thread fields */
#include <mqueue.h>
#undef _POSIX_THREADS

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include <keel/cap.h>

#include "internal.h"

_Static_assert(MQ_PRIO_MAX == KEEL_MQ_PRIO_MAX, "MQ_PRIO_MAX");

static unsigned char mq_nonblock[CAP_FD_SLOTS];

static unsigned mq_flags_of(mqd_t mqd)
{
    return mqd >= 0 && mqd < CAP_FD_SLOTS && mq_nonblock[mqd] ? KEEL_MQ_NONBLOCK
                                                              : 0;
}

mqd_t mq_open(const char *name, int oflag, ...)
{
    struct keel_mq_attr ka, *kap = NULL;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        int mode = va_arg(ap, int);
        const struct mq_attr *a = va_arg(ap, const struct mq_attr *);
        va_end(ap);
        (void)mode; /* no permission bits */
        if (a) {
            ka.maxmsg = a->mq_maxmsg;
            ka.msgsize = a->mq_msgsize;
            ka.curmsgs = 0;
            kap = &ka;
        }
    }
    int kflags = oflag & (O_ACCMODE | O_CREAT | O_EXCL);
    long r = keel_sc6(SYS_mq_open, (long)name, kflags, 0, (long)kap, 0, 0);
    if (r >= 0 && r < CAP_FD_SLOTS)
        mq_nonblock[r] = (oflag & O_NONBLOCK) != 0;
    return (mqd_t)keel_ret(r);
}

int mq_close(mqd_t mqd)
{
    long r = keel_sc3(SYS_mq_ctl, mqd, KEEL_MQ_CTL_CLOSE, 0);
    if (r == 0 && mqd >= 0 && mqd < CAP_FD_SLOTS)
        mq_nonblock[mqd] = 0;
    return (int)keel_ret(r);
}

int mq_unlink(const char *name)
{
    return (int)keel_ret(keel_sc1(SYS_mq_unlink, (long)name));
}

int mq_timedsend(mqd_t mqd, const char *msg, size_t len, unsigned prio,
                 const struct timespec *abstime)
{
    return (int)keel_ret(keel_sc6(SYS_mq_send, mqd, (long)msg, (long)len,
                                  (long)prio, mq_flags_of(mqd), (long)abstime));
}

int mq_send(mqd_t mqd, const char *msg, size_t len, unsigned prio)
{
    return mq_timedsend(mqd, msg, len, prio, NULL);
}

ssize_t mq_timedreceive(mqd_t mqd, char *msg, size_t len, unsigned *prio,
                        const struct timespec *abstime)
{
    return (ssize_t)keel_ret(keel_sc6(SYS_mq_receive, mqd, (long)msg, (long)len,
                                      (long)prio, mq_flags_of(mqd),
                                      (long)abstime));
}

ssize_t mq_receive(mqd_t mqd, char *msg, size_t len, unsigned *prio)
{
    return mq_timedreceive(mqd, msg, len, prio, NULL);
}

int mq_getattr(mqd_t mqd, struct mq_attr *st)
{
    struct keel_mq_attr ka;
    long r = keel_sc3(SYS_mq_ctl, mqd, KEEL_MQ_CTL_GETATTR, (long)&ka);
    if (r < 0)
        return (int)keel_ret(r);
    st->mq_flags = mq_flags_of(mqd) ? O_NONBLOCK : 0;
    st->mq_maxmsg = (long)ka.maxmsg;
    st->mq_msgsize = (long)ka.msgsize;
    st->mq_curmsgs = (long)ka.curmsgs;
    return 0;
}

int mq_setattr(mqd_t mqd, const struct mq_attr *st, struct mq_attr *old)
{
    struct mq_attr cur;
    if (mq_getattr(mqd, &cur) < 0) /* EBADF for anything but a queue */
        return -1;
    if (old)
        *old = cur;
    mq_nonblock[mqd] = (st->mq_flags & O_NONBLOCK) != 0; /* only this */
    return 0;
}

struct mq_helper {
    mqd_t mqd;
    long seq;
    void (*fn)(union sigval);
    union sigval value;
};

static void *mq_notify_main(void *arg)
{
    struct mq_helper *h = arg;
    long r;
    do
        r = keel_sc3(SYS_mq_ctl, h->mqd, KEEL_MQ_CTL_NOTIFY_WAIT, h->seq);
    while (r == -EINTR);
    if (r == 0)
        h->fn(h->value);
    free(h);
    return NULL;
}

int mq_notify(mqd_t mqd, const struct sigevent *ev)
{
    if (!ev)
        return (int)keel_ret(keel_sc3(SYS_mq_ctl, mqd, KEEL_MQ_CTL_NOTIFY, 0));
    struct keel_mq_notify n = {0};
    switch (ev->sigev_notify) {
    case SIGEV_NONE:
        n.how = KEEL_MQ_NOTIFY_NONE;
        break;
    case SIGEV_SIGNAL:
        n.how = KEEL_MQ_NOTIFY_SIGNAL;
        n.signo = ev->sigev_signo;
        n.value = (uint64_t)(uintptr_t)ev->sigev_value.sival_ptr;
        break;
    case SIGEV_THREAD:
        if (!ev->sigev_notify_function) {
            errno = EINVAL;
            return -1;
        }
        n.how = KEEL_MQ_NOTIFY_WAKE;
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    struct mq_helper *h = NULL;
    if (n.how == KEEL_MQ_NOTIFY_WAKE) {
        h = malloc(sizeof(*h));
        if (!h) {
            errno = EAGAIN;
            return -1;
        }
    }
    long seq = keel_sc3(SYS_mq_ctl, mqd, KEEL_MQ_CTL_NOTIFY, (long)&n);
    if (seq < 0 || !h) {
        free(h);
        return seq < 0 ? (int)keel_ret(seq) : 0;
    }
    h->mqd = mqd;
    h->seq = seq;
    h->fn = ev->sigev_notify_function;
    h->value = ev->sigev_value;
    pthread_t t;
    int err =
        pthread_create(&t, ev->sigev_notify_attributes, mq_notify_main, h);
    if (err) {
        keel_sc3(SYS_mq_ctl, mqd, KEEL_MQ_CTL_NOTIFY, 0); /* undo */
        free(h);
        errno = EAGAIN;
        return -1;
    }
    pthread_detach(t);
    return 0;
}
