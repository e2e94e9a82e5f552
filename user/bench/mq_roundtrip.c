/*
 * /bin/bench row mq_roundtrip: a 16-byte message there and back between
 * two processes through two message queues (issue 9; compare
 * pipe_pingpong). The child (`bench mq-echo`) opens the queues by name
 * and sends every message back until one starts with 'q'.
 * Single-threaded on each side: no locks.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define MQB_REQ "/bench_mq_req"
#define MQB_REP "/bench_mq_rep"
#define MQB_SIZE 16

int mq_echo_main(void)
{
    mqd_t rq = mq_open(MQB_REQ, O_RDONLY);
    mqd_t rp = mq_open(MQB_REP, O_WRONLY);
    if (rq < 0 || rp < 0)
        return 1;
    char buf[MQB_SIZE];
    for (;;) {
        if (mq_receive(rq, buf, sizeof(buf), NULL) < 0)
            return 2;
        if (buf[0] == 'q')
            return 0;
        if (mq_send(rp, buf, sizeof(buf), 0) < 0)
            return 3;
    }
}

void bench_mq_roundtrip(const char *self)
{
    const int n = 2000;
    struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = MQB_SIZE};
    mq_unlink(MQB_REQ);
    mq_unlink(MQB_REP);
    mqd_t rq = mq_open(MQB_REQ, O_WRONLY | O_CREAT | O_EXCL, 0600, &a);
    mqd_t rp = mq_open(MQB_REP, O_RDONLY | O_CREAT | O_EXCL, 0600, &a);
    struct holder h;
    if (rq < 0 || rp < 0 || holder_start(self, "mq-echo", &h)) {
        printf("bench: mq_roundtrip setup failed\n");
        return;
    }
    char buf[MQB_SIZE];
    memset(buf, 'x', sizeof(buf));
    mq_send(rq, buf, sizeof(buf), 0); /* warm up; the child has opened both */
    mq_receive(rp, buf, sizeof(buf), NULL);
    mq_unlink(MQB_REQ);
    mq_unlink(MQB_REP);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        mq_send(rq, buf, sizeof(buf), 0);
        mq_receive(rp, buf, sizeof(buf), NULL);
    }
    uint64_t total = instret() - t0;
    buf[0] = 'q';
    mq_send(rq, buf, sizeof(buf), 0);
    holder_stop(&h);
    mq_close(rq);
    mq_close(rp);
    report("mq_roundtrip", total, n);
}
