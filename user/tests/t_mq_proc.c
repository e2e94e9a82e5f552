/*
 * Message queues across threads and processes (issue 9 items 2-4):
 * blocking send and receive woken from other harts, a producer and a
 * consumer in two processes through a name, through spawn inheritance
 * and through cap_transfer (no shared memory), revoke while blocked,
 * exit of the last other holder, page-quota exhaustion and recovery,
 * slot exhaustion, forged and stale tokens, mq_notify. Helper processes:
 * t_mq_modes.c.
 */
#define _POSIX_THREADS 1 /* struct sigevent with its thread fields */
#include <mqueue.h>
#undef _POSIX_THREADS

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "t_mq.h"
#include "t_quota.h"
#include "ut_peer.h"

struct mq_thr {
    mqd_t q;
    int op; /* 0 receive, 1 send, 2 timed receive */
    char msg[64];
    ssize_t r;
    int err;
    volatile int done;
};

static void *mq_thr_main(void *arg)
{
    struct mq_thr *t = arg;
    struct timespec dl = mq_abs_in(20000);
    if (t->op == 1)
        t->r = mq_send(t->q, t->msg, strlen(t->msg), 7);
    else if (t->op == 2)
        t->r = mq_timedreceive(t->q, t->msg, sizeof(t->msg), NULL, &dl);
    else
        t->r = mq_receive(t->q, t->msg, sizeof(t->msg), NULL);
    t->err = errno;
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int thr_done(struct mq_thr *t)
{
    return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

TEST(mq_threads_block_and_wake)
{
    const char *n = "/ut_mq_thr";
    mqd_t q = mq_make(n, O_RDWR, 1, 16);
    CHECK_OK(q);
    CHECK_OK(mq_unlink(n));
    /* Three receivers on an empty queue, woken one message each. */
    struct mq_thr rt[3] = {{.q = q, .op = 0}, {.q = q, .op = 2}, {.q = q}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_create(&th[i], NULL, mq_thr_main, &rt[i]), 0);
    ut_sleep_ms(30);
    for (int i = 0; i < 3; i++)
        CHECK(!thr_done(&rt[i])); /* nothing to receive yet */
    unsigned seen = 0;
    for (int i = 0; i < 3; i++) {
        char m[2] = {(char)('a' + i), 0};
        CHECK_OK(mq_send(q, m, 1, 0)); /* blocks while the queue is full */
    }
    for (int i = 0; i < 3; i++) {
        CHECK_RC(pthread_join(th[i], NULL), 0);
        CHECK_EQ(rt[i].r, 1);
        seen |= 1u << (rt[i].msg[0] - 'a');
    }
    CHECK_EQ(seen, 7u); /* each message went to exactly one receiver */
    /* A sender on a full queue, woken by a receive. */
    CHECK_OK(mq_send(q, "full", 4, 1));
    struct mq_thr st = {.q = q, .op = 1, .msg = "late"};
    CHECK_RC(pthread_create(&th[0], NULL, mq_thr_main, &st), 0);
    ut_sleep_ms(30);
    CHECK(!thr_done(&st));
    char buf[16];
    unsigned prio;
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 4);
    CHECK_EQ(prio, 1);
    CHECK_RC(pthread_join(th[0], NULL), 0);
    CHECK_EQ(st.r, 0);
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 4);
    CHECK(!memcmp(buf, "late", 4) && prio == 7);
    CHECK_OK(mq_close(q));
}

/* n round trips through the echo child: varied sizes and priorities. */
static int roundtrips(mqd_t rq, mqd_t rp, int n)
{
    for (int i = 0; i < n; i++) {
        char out[64], in[64];
        size_t len = (size_t)(i % 60) + 1;
        for (size_t k = 0; k < len; k++)
            out[k] = (char)ut_pattern(k, (unsigned)i);
        if (mq_send(rq, out, len, (unsigned)(i % MQ_PRIO_MAX)) < 0)
            return -1000 - errno;
        unsigned prio;
        ssize_t r = mq_receive(rp, in, sizeof(in), &prio);
        if (r != (ssize_t)len || memcmp(in, out, len) ||
            prio != (unsigned)(i % MQ_PRIO_MAX))
            return -(i + 1);
    }
    return 0;
}

TEST(mq_two_processes_by_name)
{
    mqd_t rq = mq_make("/ut_mq_rq", O_RDWR, 4, 64);
    mqd_t rp = mq_make("/ut_mq_rp", O_RDWR, 4, 64);
    CHECK_OK(rq);
    CHECK_OK(rp);
    mqd_t rq2 = mq_open("/ut_mq_rq", O_WRONLY), rp2 = mq_open("/ut_mq_rp", 0);
    CHECK_OK(rq2);
    CHECK_OK(rp2);
    CHECK_OK(mq_close(rq));
    CHECK_OK(mq_close(rp));
    /* Our queues' caps are inherited too; the child opens by name. */
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-echo", "/ut_mq_rq", "/ut_mq_rp",
                          NULL),
             0);
    int r = roundtrips(rq2, rp2, 100);
    CHECK_OK(mq_send(rq2, "quit", 4, 0));
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(r == 0, "round trip failed: %d", r);
    CHECK_OK(mq_unlink("/ut_mq_rq"));
    CHECK_OK(mq_unlink("/ut_mq_rp"));
    CHECK_OK(mq_close(rq2));
    CHECK_OK(mq_close(rp2));
}

TEST(mq_two_processes_inherited)
{
    mqd_t rq = mq_make("/ut_mq_irq", O_RDWR, 2, 64);
    mqd_t rp = mq_make("/ut_mq_irp", O_RDWR, 2, 64);
    CHECK_OK(rq);
    CHECK_OK(rp);
    CHECK_OK(mq_unlink("/ut_mq_irq")); /* no names: only caps reach them */
    CHECK_OK(mq_unlink("/ut_mq_irp"));
    char a1[8], a2[8];
    snprintf(a1, sizeof(a1), "#%d", rq);
    snprintf(a2, sizeof(a2), "#%d", rp);
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "mq-rights", a1, NULL, NULL), 0);
    /* Inherited with GRANT stripped: READ and WRITE stay. */
    CHECK_EXITED(ut_wait(pid), CAP_RIGHT_READ | CAP_RIGHT_WRITE);
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-echo", a1, a2, NULL), 0);
    int r = roundtrips(rq, rp, 50);
    CHECK_OK(mq_send(rq, "quit", 4, 0));
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(r == 0, "round trip failed: %d", r);
    CHECK_OK(mq_close(rq));
    CHECK_OK(mq_close(rp));
}

TEST(mq_transfer_and_revoke_while_blocked)
{
    ut_revoke_all();
    mqd_t rq = mq_make("/ut_mq_xrq", O_RDWR, 2, 64);
    mqd_t rp = mq_make("/ut_mq_xrp", O_RDWR, 2, 64);
    CHECK_OK(rq);
    CHECK_OK(rp);
    CHECK_OK(mq_unlink("/ut_mq_xrq"));
    CHECK_OK(mq_unlink("/ut_mq_xrp"));
    /* Spawned before the queues could be inherited? No: they are, but
     * the child uses only the slots it is sent. */
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-echo", "?", "?", NULL), 0);
    cap_token_t t1, t2, d1, d2;
    int s1 = -1, s2 = -1;
    CHECK_OK(cap_get_token(rq, CAP_TYPE_MQUEUE, &t1));
    CHECK_OK(cap_get_token(rp, CAP_TYPE_MQUEUE, &t2));
    CHECK_EQ(ut_tok_type(t1), CAP_TYPE_MQUEUE);
    CHECK_EQ(ut_tok_rights(t1), CAP_RIGHTS_ALL & ~CAP_RIGHT_EXEC);
    CHECK_OK(cap_transfer(pid, t1, CAP_RIGHT_READ, &d1, &s1));
    CHECK_OK(cap_transfer(pid, t2, CAP_RIGHT_WRITE, &d2, &s2));
    CHECK(ut_write_full(cmd, &s1, sizeof(s1)) == (long)sizeof(s1));
    CHECK(ut_write_full(cmd, &s2, sizeof(s2)) == (long)sizeof(s2));
    int r = roundtrips(rq, rp, 30);
    CHECKF(r == 0, "round trip failed: %d", r);
    /* Our own receiver on the same queue waits through our slot. */
    struct mq_thr mine = {.q = rq, .op = 2};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, mq_thr_main, &mine), 0);
    ut_sleep_ms(30); /* the child and our thread block in mq_receive */
    CHECK_OK(cap_revoke_delegate(d1));
    CHECK_EXITED(ut_wait(pid), MQX_REVOKED); /* its receive: EBADF */
    CHECK(!thr_done(&mine)); /* ours waits on: the queue lives */
    CHECK_OK(mq_send(rq, "still", 5, 0));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(mine.r, 5);
    CHECK_OK(cap_revoke_delegate(d2));
    close(cmd);
    close(rep);
    CHECK_OK(mq_close(rq));
    CHECK_OK(mq_close(rp));
}

TEST(mq_exit_of_last_other_holder)
{
    mqd_t q = mq_make("/ut_mq_exit", O_RDWR, 2, 16);
    CHECK_OK(q);
    CHECK_OK(mq_unlink("/ut_mq_exit"));
    char a1[8];
    snprintf(a1, sizeof(a1), "#%d", q);
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-hold", a1, NULL, NULL), 0);
    struct mq_thr recv = {.q = q, .op = 0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, mq_thr_main, &recv), 0);
    ut_sleep_ms(20);
    close(cmd); /* the other holder exits */
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    ut_sleep_ms(20);
    /* Documented: the receiver waits on (its slot keeps the queue). */
    CHECK(!thr_done(&recv));
    char buf[16];
    struct timespec soon = mq_abs_in(20);
    CHECK_ERRNO(mq_timedreceive(q, buf, sizeof(buf), NULL, &soon), ETIMEDOUT);
    CHECK_OK(mq_send(q, "wake", 4, 0));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(recv.r, 4);
    /* A holder killed while blocked in mq_receive: the queue is fine. */
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-echo", a1, a1, NULL), 0);
    ut_sleep_ms(20);
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    close(cmd);
    close(rep);
    CHECK_OK(mq_send(q, "ok", 2, 0));
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 2);
    CHECK_OK(mq_close(q));
}

TEST(mq_page_quota_exhaustion_and_recovery)
{
    struct keel_quota q0, q1;
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-quota", NULL, NULL, NULL), 0);
    int made = q_read_report(rep);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(made > 0, "queues made before ENOSPC: %d", made);
    q_settle(&q0, &q1);
    CHECK_OK(keel_quota_info(0, &q1));
    CHECK_EQ(q1.used[KEEL_POOL_OBJECTS], q0.used[KEEL_POOL_OBJECTS]);
    CHECKF(q1.used[KEEL_POOL_PAGES] <= q0.used[KEEL_POOL_PAGES] + 16,
           "pages still charged: %lu, %lu before",
           (unsigned long)q1.used[KEEL_POOL_PAGES],
           (unsigned long)q0.used[KEEL_POOL_PAGES]);
}

TEST(mq_slots_full_emfile_leaves_no_name)
{
    int fds[CAP_FD_SLOTS], n = 0;
    mq_unlink("/ut_mq_emfile");
    while (n < CAP_FD_SLOTS && (fds[n] = dup(1)) >= 0)
        n++;
    errno = 0;
    mqd_t q = mq_open("/ut_mq_emfile", O_RDWR | O_CREAT, 0600, NULL);
    int e = errno;
    for (int i = 0; i < n; i++)
        close(fds[i]);
    CHECK(q == -1 && e == EMFILE);
    CHECK_ERRNO(mq_unlink("/ut_mq_emfile"), ENOENT); /* nothing left */
}

TEST(mq_forged_stale_wrong_type)
{
    ut_revoke_all();
    mqd_t q = mq_make("/ut_mq_tok", O_RDWR, 2, 8);
    CHECK_OK(q);
    CHECK_OK(mq_unlink("/ut_mq_tok"));
    cap_token_t t, d;
    CHECK_ERRNO(cap_get_token(q, CAP_TYPE_FD, &t), EINVAL); /* wrong type */
    CHECK_OK(cap_get_token(q, CAP_TYPE_MQUEUE, &t));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-hold", "#0", NULL, NULL), 0);
    cap_token_t forged = t ^ (1ull << CAP_TOK_GEN_SHIFT); /* generation */
    CHECK_ERRNO(cap_transfer(pid, forged, CAP_RIGHT_READ, &d, NULL), EBADF);
    forged = (t & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)) |
             ((cap_token_t)CAP_TYPE_SEMAPHORE << CAP_TOK_TYPE_SHIFT);
    CHECK_ERRNO(cap_transfer(pid, forged, CAP_RIGHT_READ, &d, NULL), EBADF);
    /* A slot closed and reused by a file: the old mqd_t is no queue. */
    CHECK_OK(mq_close(q));
    CHECK_ERRNO(cap_transfer(pid, t, CAP_RIGHT_READ, &d, NULL), EBADF);
    int fd = open("/dev/null", O_RDWR);
    CHECK_OK(fd);
    int same = fd == q;
    CHECK_ERRNO(mq_send(fd, "x", 1, 0), EBADF);
    CHECK_ERRNO(mq_close(fd), EBADF);
    CHECK_OK(close(fd));
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK(same); /* the lowest free slot: the queue's old one */
}

static volatile int note_calls;
static volatile long note_value;

static void on_note(union sigval v)
{
    note_value = (long)v.sival_int;
    __atomic_add_fetch(&note_calls, 1, __ATOMIC_RELEASE);
}

/* Waits (bounded, ~5 s) until on_note ran `want` times. */
static int wait_notes(int want)
{
    for (int i = 0; i < 500 && note_calls < want; i++)
        ut_sleep_ms(10);
    return note_calls;
}

TEST(mq_notify_rules_and_thread)
{
    mqd_t q = mq_make("/ut_mq_note", O_RDWR, 4, 16);
    CHECK_OK(q);
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    CHECK_OK(mq_notify(q, &ev));
    CHECK_ERRNO(mq_notify(q, &ev), EBUSY); /* we are registered already */
    /* Another process: EBUSY while we are registered. */
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-notify", "/ut_mq_note", "close",
                          NULL),
             0);
    CHECK_EQ(q_read_report(rep), EBUSY);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(mq_notify(q, NULL));
    CHECK_OK(mq_notify(q, NULL)); /* not registered: nothing to remove */
    /* A registrant that exits without mq_close leaves a stale one. */
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mq-notify", "/ut_mq_note", "exit",
                          NULL),
             0);
    CHECK_EQ(q_read_report(rep), 0);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(mq_notify(q, &ev)); /* it is gone: ours replaces it */
    /* SIGEV_NONE fires silently and is one-shot. */
    CHECK_OK(mq_send(q, "a", 1, 0));
    CHECK_OK(mq_notify(q, &ev)); /* free again */
    CHECK_OK(mq_notify(q, NULL));
    char buf[16];
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    /* SIGEV_THREAD: the function runs once, on empty -> non-empty. */
    note_calls = 0;
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_note;
    ev.sigev_notify_attributes = NULL;
    ev.sigev_value.sival_int = 4242;
    CHECK_OK(mq_notify(q, &ev));
    CHECK_OK(mq_send(q, "b", 1, 0));
    CHECK_EQ(wait_notes(1), 1);
    CHECK_EQ(note_value, 4242);
    CHECK_OK(mq_receive(q, buf, sizeof(buf), NULL));
    CHECK_OK(mq_send(q, "c", 1, 0)); /* one-shot: no second call */
    ut_sleep_ms(30);
    CHECK_EQ(note_calls, 1);
    /* Not fired when the queue was not empty. */
    CHECK_OK(mq_notify(q, &ev));
    CHECK_OK(mq_send(q, "d", 1, 0));
    ut_sleep_ms(30);
    CHECK_EQ(note_calls, 1);
    CHECK_ERRNO(mq_notify(q, &ev), EBUSY); /* still registered */
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    /* Not fired while a receiver is blocked: it gets the message and
     * the registration stays. */
    struct mq_thr rt = {.q = q, .op = 0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, mq_thr_main, &rt), 0);
    ut_sleep_ms(30);
    CHECK_OK(mq_send(q, "e", 1, 0));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rt.r, 1);
    ut_sleep_ms(30);
    CHECK_EQ(note_calls, 1);
    CHECK_ERRNO(mq_notify(q, &ev), EBUSY);
    CHECK_OK(mq_send(q, "f", 1, 0)); /* empty, nobody waiting: fires */
    CHECK_EQ(wait_notes(2), 2);
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    /* mq_close removes the registration (its helper thread ends). */
    mqd_t q2 = mq_open("/ut_mq_note", O_RDWR);
    CHECK_OK(q2);
    CHECK_OK(mq_notify(q, &ev));
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_notify(q2, &ev)); /* free after the close */
    CHECK_OK(mq_notify(q2, NULL));
    CHECK_OK(mq_send(q2, "g", 1, 0));
    ut_sleep_ms(30);
    CHECK_EQ(note_calls, 2);
    /* Errors. */
    ev.sigev_notify = 99;
    CHECK_ERRNO(mq_notify(q2, &ev), EINVAL);
    ev.sigev_notify = SIGEV_NONE;
    CHECK_ERRNO(mq_notify(-1, &ev), EBADF);
    CHECK_ERRNO(mq_notify(1, &ev), EBADF);
    CHECK_OK(mq_close(q2));
    CHECK_OK(mq_unlink("/ut_mq_note"));
    ut_sleep_ms(20); /* the helper threads are gone before the checks */
}

const struct utest ut_mq_proc_tests[] = {
    UT_CASE(mq_threads_block_and_wake),
    UT_CASE(mq_two_processes_by_name),
    UT_CASE(mq_two_processes_inherited),
    UT_CASE(mq_transfer_and_revoke_while_blocked),
    UT_CASE(mq_exit_of_last_other_holder),
    UT_CASE(mq_page_quota_exhaustion_and_recovery),
    UT_CASE(mq_slots_full_emfile_leaves_no_name),
    UT_CASE(mq_forged_stale_wrong_type),
    UT_CASE(mq_notify_rules_and_thread),
    UT_END,
};
