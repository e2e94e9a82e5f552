/* Helpers shared by the message-queue test files (t_mq.c, t_mq_proc.c). */
#ifndef UT_T_MQ_H
#define UT_T_MQ_H

#include <mqueue.h>
#include <time.h>

#include "utest.h"

/* A fresh queue `name` (any old one unlinked first), O_CREAT|O_EXCL with
 * oflag; maxmsg 0: the default attributes. */
mqd_t mq_make(const char *name, int oflag, long maxmsg, long msgsize);
/* CLOCK_REALTIME now + ms, for the timed calls. */
struct timespec mq_abs_in(long ms);

/* Exit codes of the helper modes (t_mq_modes.c). */
enum {
    MQX_ARGS = 20,
    MQX_OPEN,
    MQX_RECV,
    MQX_SEND,
    MQX_REVOKED, /* a receive failed with EBADF */
    MQX_TYPE,
    MQX_FILL,
    MQX_QUOTA,
    MQX_RECOVER,
};

#endif
