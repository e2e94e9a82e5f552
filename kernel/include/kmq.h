/*
 * Message queues (kernel/ipc/mqueue.c, mq_sys.c; docs/syscalls.md
 * "Kernel objects"): CAP_TYPE_MQUEUE objects, the POSIX <mqueue.h> queues.
 * A queue holds at most maxmsg messages of at most msgsize bytes each,
 * ordered by priority (0 .. KEEL_MQ_PRIO_MAX-1, highest first, FIFO
 * within one); its message storage is pages charged to its creator's
 * KEEL_POOL_PAGES quota, given back when the queue is freed.
 */
#ifndef KEEL_KMQ_H
#define KEEL_KMQ_H

#include "kobj.h"

/*
 * A non-blocking send from kernel context (the timer helper's
 * "notify by sending to a queue"): copies len bytes from the kernel
 * buffer msg as one message of priority prio into queue o (which the
 * caller keeps referenced). 0, or -EINVAL (o is not a queue, prio out of
 * range), -EMSGSIZE (len > msgsize), -EAGAIN (the queue is full).
 * Wakes a blocked receiver and fires a pending mq_notify registration.
 *
 * Context: a thread with no spinlock held (any process's, or a kernel
 * thread). NOT safe from a timer fire in interrupt context with
 * sleep_lock held: it takes the queue's lock and waitq locks, which come
 * BEFORE sleep_lock in S1 (and a signal notification takes process
 * locks). A timer's fire must hand the send to thread context (wake a
 * thread that then calls this), never call it directly.
 */
int kmq_send_obj(struct kobj *o, const void *msg, size_t len, unsigned prio);

#endif
