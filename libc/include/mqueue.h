/*
 * <mqueue.h>: POSIX message queues (docs/posix.md; kernel side
 * docs/syscalls.md "Kernel objects"). An mqd_t is the slot of a
 * CAP_TYPE_MQUEUE cap: mq_open mints READ (O_RDONLY), WRITE (O_WRONLY)
 * or both (O_RDWR), always with GRANT, so the queue can be passed with
 * cap_transfer or inherited at spawn. Names "/x" live as
 * /dev/mqueue/x. O_NONBLOCK is the calling process's flag of the mqd_t
 * (kept by libc, reported by mq_getattr, changed by mq_setattr; a child
 * that inherits the slot starts without it).
 */
#ifndef KEEL_MQUEUE_H
#define KEEL_MQUEUE_H

#include <sys/features.h>
#include <sys/types.h>
#include <time.h>
/* struct sigevent: newlib declares sigev_notify_function only under
 * _POSIX_THREADS; opened here for <signal.h> if nothing included it yet,
 * then closed again (the threads helper's macros announce options). */
#if !defined(_SYS_SIGNAL_H) && !defined(_POSIX_THREADS)
#define _POSIX_THREADS 1
#define KEEL_GATE_MQUEUE_THREADS
#endif
#include <signal.h>
#ifdef KEEL_GATE_MQUEUE_THREADS
#undef _POSIX_THREADS
#undef KEEL_GATE_MQUEUE_THREADS
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int mqd_t;

struct mq_attr {
    long mq_flags;   /* 0 or O_NONBLOCK */
    long mq_maxmsg;  /* messages at most: 1 .. 256, default 10 */
    long mq_msgsize; /* bytes per message at most: 1 .. 16384, default 1024 */
    long mq_curmsgs; /* messages queued now */
};

#ifndef MQ_PRIO_MAX
#define MQ_PRIO_MAX 32 /* priorities 0 .. 31 */
#endif

mqd_t mq_open(const char *name, int oflag, ...);
int mq_close(mqd_t mqdes);
int mq_unlink(const char *name);
int mq_send(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
            unsigned msg_prio);
int mq_timedsend(mqd_t mqdes, const char *msg_ptr, size_t msg_len,
                 unsigned msg_prio, const struct timespec *abstime);
ssize_t mq_receive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
                   unsigned *msg_prio);
ssize_t mq_timedreceive(mqd_t mqdes, char *msg_ptr, size_t msg_len,
                        unsigned *msg_prio, const struct timespec *abstime);
int mq_getattr(mqd_t mqdes, struct mq_attr *mqstat);
int mq_setattr(mqd_t mqdes, const struct mq_attr *mqstat,
               struct mq_attr *omqstat);
int mq_notify(mqd_t mqdes, const struct sigevent *notification);

#ifdef __cplusplus
}
#endif

#endif
