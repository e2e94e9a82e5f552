/*
 * The helper processes of the message-queue tests (t_mq_proc.c): utest
 * in one of these modes. A queue argument is "/name" (mq_open by name),
 * "#N" (slot N, inherited at spawn) or "?" (a slot number read from fd 0,
 * for a cap the test hands over with cap_transfer). Exit codes name the
 * step that failed (MQX_*), 0 when all went as expected.
 */
#define _POSIX_THREADS 1 /* struct sigevent with its thread fields */
#include <mqueue.h>
#undef _POSIX_THREADS

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t_mq.h"
#include "t_quota.h"

static mqd_t queue_arg(const char *spec, int oflag)
{
    if (spec[0] == '/')
        return mq_open(spec, oflag);
    if (spec[0] == '#')
        return atoi(spec + 1);
    int slot;
    if (read(0, &slot, sizeof(slot)) != (ssize_t)sizeof(slot))
        return -1;
    return slot;
}

/* mq-echo REQ REP: every message of REQ back to REP with its priority,
 * until "quit". A receive failing with EBADF (a revoked slot) exits
 * MQX_REVOKED. */
static int mode_echo(int argc, char **argv)
{
    if (argc < 4)
        return MQX_ARGS;
    mqd_t rq = queue_arg(argv[2], O_RDONLY);
    mqd_t rp = queue_arg(argv[3], O_WRONLY);
    if (rq < 0 || rp < 0)
        return MQX_OPEN;
    static char buf[KEEL_MQ_MSGSIZE_MAX];
    for (;;) {
        unsigned prio;
        ssize_t n = mq_receive(rq, buf, sizeof(buf), &prio);
        if (n < 0)
            return errno == EBADF ? MQX_REVOKED : MQX_RECV;
        if (n == 4 && !memcmp(buf, "quit", 4))
            return 0;
        if (mq_send(rp, buf, (size_t)n, prio) < 0)
            return MQX_SEND;
    }
}

/* mq-hold Q: holds the queue until fd 0 reaches EOF, then exits (its
 * caps go with it). */
static int mode_hold(int argc, char **argv)
{
    if (argc < 3 || queue_arg(argv[2], O_RDWR) < 0)
        return MQX_OPEN;
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

/* mq-rights #N: exits with the rights of slot N (an inherited queue). */
static int mode_rights(int argc, char **argv)
{
    struct cap_info ci;
    if (argc < 3 || cap_info(atoi(argv[2] + 1), &ci) < 0)
        return MQX_OPEN;
    return ci.type == CAP_TYPE_MQUEUE ? (int)ci.rights : MQX_TYPE;
}

/* mq-notify Q KEEP: registers SIGEV_NONE on Q, reports (one int on fd 1)
 * 0 or the errno; with KEEP "exit" exits without mq_close (a stale
 * registration), else unregisters and closes first. */
static int mode_notify(int argc, char **argv)
{
    if (argc < 4)
        return MQX_ARGS;
    mqd_t q = queue_arg(argv[2], O_RDWR);
    if (q < 0)
        return MQX_OPEN;
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    int r = mq_notify(q, &ev) == 0 ? 0 : errno;
    q_report(r);
    if (!strcmp(argv[3], "exit"))
        return 0;
    if (r == 0 && mq_notify(q, NULL) < 0)
        return MQX_SEND;
    return mq_close(q) == 0 ? 0 : MQX_OPEN;
}

/* mq-quota: fills this process's page quota with files, frees one file
 * and then creates large queues until the page quota says no, checking
 * that each refusal (ENOSPC) comes exactly when fewer pages are left
 * than a queue needs; then closes one and creates again (recovery), and
 * cleans everything up. Reports the number of queues made (fd 1). */
#define MQQ_MAX 64
static int mode_quota(int argc, char **argv)
{
    (void)argc, (void)argv;
    int nfiles = 0, err = 0;
    char path[32];
    for (; !err && nfiles < 200; nfiles++) {
        snprintf(path, sizeof(path), "/ut_mqq%d", nfiles);
        err = q_fill_file(path);
    }
    if (err != ENOSPC)
        return MQX_FILL;
    snprintf(path, sizeof(path), "/ut_mqq%d", 0);
    unlink(path);              /* ~512 pages free again */
    const long pages = 1 + 64; /* control page + 64 data pages */
    static mqd_t qs[MQQ_MAX];
    int nq = 0, rc = 0;
    for (;;) {
        struct keel_quota q;
        keel_quota_info(0, &q);
        long left = (long)(q.limit[KEEL_POOL_PAGES] - q.used[KEEL_POOL_PAGES]);
        char name[32];
        snprintf(name, sizeof(name), "/ut_mqq_%d", nq);
        struct mq_attr a = {.mq_maxmsg = 16, .mq_msgsize = 16384};
        mq_unlink(name);
        mqd_t m = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        if (m >= 0)
            mq_unlink(name); /* keeps no inode: only the cap names it */
        if (m < 0 && (errno != ENOSPC || left >= pages)) {
            rc = MQX_QUOTA; /* refused with room, or with another error */
            break;
        }
        if (m >= 0 && left < pages) {
            rc = MQX_QUOTA; /* made beyond the quota */
            break;
        }
        if (m < 0)
            break;
        if (nq == MQQ_MAX) {
            rc = MQX_QUOTA;
            break;
        }
        qs[nq++] = m;
    }
    if (!rc && nq == 0)
        rc = MQX_QUOTA;
    if (!rc) { /* recovery: one queue's pages back, one more fits */
        mq_close(qs[--nq]);
        struct mq_attr a = {.mq_maxmsg = 16, .mq_msgsize = 16384};
        mq_unlink("/ut_mqq_again");
        mqd_t m = mq_open("/ut_mqq_again", O_RDWR | O_CREAT, 0600, &a);
        if (m < 0 || mq_send(m, "back", 4, 0) < 0)
            rc = MQX_RECOVER;
        mq_unlink("/ut_mqq_again");
        if (m >= 0)
            qs[nq++] = m;
    }
    q_report(nq);
    for (int i = 0; i < nq; i++)
        mq_close(qs[i]);
    for (int i = 1; i < nfiles; i++) {
        snprintf(path, sizeof(path), "/ut_mqq%d", i);
        unlink(path);
    }
    return rc;
}

const struct ut_mode ut_mq_modes[] = {
    {"mq-echo", mode_echo},     {"mq-hold", mode_hold},
    {"mq-rights", mode_rights}, {"mq-notify", mode_notify},
    {"mq-quota", mode_quota},   UT_MODE_END,
};
