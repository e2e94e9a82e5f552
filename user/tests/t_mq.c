/*
 * Message queues and the named-object layer (issue 9 items 1-4, the
 * "mq" part): names in /dev/mqueue (open-or-create, O_EXCL, ENOENT, the
 * name rules, unlink while open), attributes and limits, priority order,
 * every error of send and receive, O_NONBLOCK, timeouts. t_mq_proc.c has
 * the cross-thread, cross-process, revoke, exit, quota and mq_notify
 * tests. Every test unlinks what it named and closes what it opened (the
 * leak check counts objects and inodes).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t_mq.h"

mqd_t mq_make(const char *name, int oflag, long maxmsg, long msgsize)
{
    struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
    mq_unlink(name); /* what a failed earlier run left */
    return mq_open(name, oflag | O_CREAT | O_EXCL, 0600, maxmsg ? &a : NULL);
}

struct timespec mq_abs_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Whether /dev/mqueue lists name (without its '/'). */
static int listed(const char *name)
{
    DIR *d = opendir("/dev/mqueue");
    if (!d)
        return -1;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (!strcmp(e->d_name, name + 1))
            found = 1;
    closedir(d);
    return found;
}

TEST(mq_name_open_create_excl_unlink)
{
    const char *n = "/ut_mq_names";
    mq_unlink(n);
    CHECK_ERRNO(mq_open(n, O_RDWR), ENOENT);
    mqd_t q = mq_open(n, O_RDWR | O_CREAT, 0600, NULL);
    CHECK_OK(q);
    CHECK_EQ(listed(n), 1); /* ls /dev/mqueue shows it */
    struct stat st;
    CHECK_OK(stat("/dev/mqueue/ut_mq_names", &st));
    CHECK_ERRNO(open("/dev/mqueue/ut_mq_names", O_RDONLY), ENXIO);
    CHECK_ERRNO(mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL), EEXIST);
    mqd_t q2 = mq_open(n, O_WRONLY); /* the same queue */
    CHECK_OK(q2);
    CHECK(q2 != q);
    CHECK_OK(mq_send(q2, "hi", 2, 3));
    char buf[1024];
    unsigned prio = 99;
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 2);
    CHECK_EQ(prio, 3);
    CHECK(!memcmp(buf, "hi", 2));
    /* O_CREAT on an existing name opens it (its attributes stay). */
    struct mq_attr big = {.mq_maxmsg = 3, .mq_msgsize = 8};
    mqd_t q3 = mq_open(n, O_RDONLY | O_CREAT, 0600, &big);
    CHECK_OK(q3);
    struct mq_attr a;
    CHECK_OK(mq_getattr(q3, &a));
    CHECK_EQ(a.mq_maxmsg, 10);
    CHECK_OK(mq_close(q3));
    /* Unlink: the name goes, the queue lives on for its holders. */
    CHECK_OK(mq_unlink(n));
    CHECK_EQ(listed(n), 0);
    CHECK_ERRNO(mq_unlink(n), ENOENT);
    CHECK_ERRNO(mq_open(n, O_RDWR), ENOENT);
    CHECK_OK(mq_send(q2, "after", 5, 0));
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 5);
    /* A new queue by the same name is another queue. */
    mqd_t q4 = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    CHECK_OK(q4);
    CHECK_OK(mq_send(q2, "old", 3, 0));
    CHECK_OK(mq_getattr(q4, &a));
    CHECK_EQ(a.mq_curmsgs, 0);
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(a.mq_curmsgs, 1);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_close(q2)); /* the old queue's last cap: freed */
    CHECK_ERRNO(mq_close(q2), EBADF);
    CHECK_OK(mq_close(q4));
    CHECK_OK(mq_unlink(n));
    /* unlink(2) takes a queue's name too. */
    q = mq_make(n, O_RDWR, 0, 0);
    CHECK_OK(q);
    CHECK_OK(unlink("/dev/mqueue/ut_mq_names"));
    CHECK_ERRNO(mq_unlink(n), ENOENT);
    CHECK_OK(mq_send(q, "x", 1, 0));
    CHECK_OK(mq_close(q));
}

TEST(mq_name_rules)
{
    CHECK_ERRNO(mq_open("noslash", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_open("", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_open("/", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_open("/..", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_open("/.", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    char longname[64];
    longname[0] = '/';
    memset(longname + 1, 'n', 32); /* one more than NAME_MAX (31) */
    longname[33] = '\0';
    CHECK_ERRNO(mq_open(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG);
    CHECK_ERRNO(mq_unlink(longname), ENAMETOOLONG);
    longname[32] = '\0'; /* exactly 31: fine */
    mqd_t q = mq_open(longname, O_RDWR | O_CREAT, 0600, NULL);
    CHECK_OK(q);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(longname));
    CHECK_ERRNO(mq_unlink("noslash"), ENOENT); /* no queue has it */
    CHECK_ERRNO(mq_unlink(""), ENOENT);
    CHECK_ERRNO(mq_unlink("/a/b"), ENOENT);
    CHECK_ERRNO(mq_unlink("/nonexistent_mq"), ENOENT);
    CHECK_ERRNO(mq_open((const char *)8, O_RDWR), EFAULT);
    CHECK_ERRNO(mq_open("/ut_mq_acc", 3 | O_CREAT, 0600, NULL), EINVAL);
    /* A plain file in /dev/mqueue is not a queue. */
    int fd = open("/dev/mqueue/ut_mq_file", O_RDWR | O_CREAT, 0600);
    CHECK_OK(fd);
    CHECK_OK(close(fd));
    CHECK_ERRNO(mq_open("/ut_mq_file", O_RDWR | O_CREAT, 0600, NULL), EINVAL);
    CHECK_ERRNO(mq_unlink("/ut_mq_file"), ENOENT);
    CHECK_OK(unlink("/dev/mqueue/ut_mq_file"));
    /* The directories are the boot's. */
    CHECK_ERRNO(rmdir("/dev/mqueue"), EROFS);
    CHECK_ERRNO(rmdir("/dev/sem"), EROFS);
}

TEST(mq_attr_defaults_limits)
{
    const char *n = "/ut_mq_attr";
    mqd_t q = mq_make(n, O_RDWR, 0, 0);
    CHECK_OK(q);
    struct mq_attr a;
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(a.mq_maxmsg, 10);
    CHECK_EQ(a.mq_msgsize, 1024);
    CHECK_EQ(a.mq_curmsgs, 0);
    CHECK_EQ(a.mq_flags, 0);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
    long bad[][2] = {{0, 8},   {-1, 8},    {8, 0},      {8, -5},
                     {257, 8}, {8, 16385}, {256, 16384}};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mq_attr b = {.mq_maxmsg = bad[i][0], .mq_msgsize = bad[i][1]};
        errno = 0;
        CHECKF(mq_open(n, O_RDWR | O_CREAT, 0600, &b) == -1 && errno == EINVAL,
               "attr %ld/%ld: errno %d", bad[i][0], bad[i][1], errno);
        CHECK_ERRNO(mq_unlink(n), ENOENT); /* nothing left behind */
    }
    q = mq_make(n, O_RDWR, 256, 1024); /* the maxima together */
    CHECK_OK(q);
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(a.mq_maxmsg, 256);
    CHECK_EQ(a.mq_msgsize, 1024);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
    q = mq_make(n, O_RDWR, 1, 16384);
    CHECK_OK(q);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
    CHECK_ERRNO(mq_getattr(-1, &a), EBADF);
    CHECK_ERRNO(mq_getattr(CAP_FD_SLOTS, &a), EBADF);
    CHECK_ERRNO(mq_getattr(1, &a), EBADF); /* stdout: an fd, not a queue */
}

TEST(mq_priority_order_fifo)
{
    const char *n = "/ut_mq_prio";
    mqd_t q = mq_make(n, O_RDWR, 8, 16);
    CHECK_OK(q);
    static const struct {
        const char *m;
        unsigned p;
    } in[] = {{"one", 1},   {"fiveA", 5}, {"zero", 0},
              {"fiveB", 5}, {"top", 31},  {"fiveC", 5}};
    for (unsigned i = 0; i < 6; i++)
        CHECK_OK(mq_send(q, in[i].m, strlen(in[i].m), in[i].p));
    static const char *const want[] = {"top",   "fiveA", "fiveB",
                                       "fiveC", "one",   "zero"};
    static const unsigned wantp[] = {31, 5, 5, 5, 1, 0};
    for (unsigned i = 0; i < 6; i++) {
        char buf[16];
        unsigned p = 77;
        ssize_t r = mq_receive(q, buf, sizeof(buf), &p);
        CHECK_EQ(r, (long)strlen(want[i]));
        CHECKF(!memcmp(buf, want[i], (size_t)r), "message %u", i);
        CHECK_EQ(p, wantp[i]);
    }
    CHECK_ERRNO(mq_send(q, "x", 1, MQ_PRIO_MAX), EINVAL);
    CHECK_ERRNO(mq_send(q, "x", 1, 1000), EINVAL);
    /* Zero-length messages are messages. */
    CHECK_OK(mq_send(q, "", 0, 2));
    char buf[16];
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 0);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
}

TEST(mq_errors_badf_msgsize_fault)
{
    const char *n = "/ut_mq_err";
    mqd_t rw = mq_make(n, O_RDWR, 2, 32);
    CHECK_OK(rw);
    mqd_t ro = mq_open(n, O_RDONLY);
    mqd_t wo = mq_open(n, O_WRONLY);
    CHECK_OK(ro);
    CHECK_OK(wo);
    char buf[64];
    CHECK_ERRNO(mq_send(ro, "x", 1, 0), EBADF);        /* not for writing */
    CHECK_ERRNO(mq_receive(wo, buf, 64, NULL), EBADF); /* not for reading */
    CHECK_ERRNO(mq_send(rw, buf, 33, 0), EMSGSIZE);
    CHECK_OK(mq_send(wo, buf, 32, 0));
    CHECK_ERRNO(mq_receive(ro, buf, 31, NULL), EMSGSIZE); /* < msgsize */
    CHECK_ERRNO(mq_send(-1, "x", 1, 0), EBADF);
    CHECK_ERRNO(mq_send(0, "x", 1, 0), EBADF); /* stdin: an fd */
    CHECK_ERRNO(mq_receive(500, buf, 64, NULL), EBADF);
    CHECK_ERRNO(mq_close(0), EBADF); /* stays open */
    CHECK(ut_fd_open(0));
    CHECK_ERRNO(close(rw), EBADF); /* a queue is not an fd */
    /* Bad buffers: EFAULT, and the message stays queued. */
    CHECK_ERRNO(mq_send(rw, (const char *)16, 4, 0), EFAULT);
    CHECK_ERRNO(mq_receive(rw, (char *)16, 64, NULL), EFAULT);
    CHECK_ERRNO(mq_receive(rw, buf, 64, (unsigned *)16), EFAULT);
    struct mq_attr a;
    CHECK_OK(mq_getattr(ro, &a));
    CHECK_EQ(a.mq_curmsgs, 1);
    CHECK_EQ(mq_receive(ro, buf, 64, NULL), 32);
    /* A closed slot is gone for every call. */
    CHECK_OK(mq_close(wo));
    CHECK_ERRNO(mq_send(wo, "x", 1, 0), EBADF);
    CHECK_ERRNO(mq_getattr(wo, &a), EBADF);
    CHECK_OK(mq_close(ro));
    CHECK_OK(mq_close(rw));
    CHECK_OK(mq_unlink(n));
}

TEST(mq_nonblock_setattr_timeouts)
{
    const char *n = "/ut_mq_nb";
    mqd_t q = mq_make(n, O_RDWR | O_NONBLOCK, 2, 8);
    CHECK_OK(q);
    struct mq_attr a, old;
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(a.mq_flags, O_NONBLOCK);
    char buf[8];
    CHECK_ERRNO(mq_receive(q, buf, 8, NULL), EAGAIN);
    CHECK_OK(mq_send(q, "a", 1, 0));
    CHECK_OK(mq_send(q, "b", 1, 0));
    CHECK_ERRNO(mq_send(q, "c", 1, 0), EAGAIN);
    /* setattr changes only O_NONBLOCK; the old attributes come back. */
    struct mq_attr set = {.mq_flags = 0, .mq_maxmsg = 99, .mq_msgsize = 99};
    CHECK_OK(mq_setattr(q, &set, &old));
    CHECK_EQ(old.mq_flags, O_NONBLOCK);
    CHECK_EQ(old.mq_curmsgs, 2);
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(a.mq_flags, 0);
    CHECK_EQ(a.mq_maxmsg, 2);
    CHECK_EQ(a.mq_msgsize, 8);
    CHECK_ERRNO(mq_setattr(-1, &set, NULL), EBADF);
    /* Full and blocking: a deadline in the past times out at once; a
     * bad timespec is EINVAL only when the call would block. */
    struct timespec past = {.tv_sec = 0, .tv_nsec = 0};
    struct timespec badts = {.tv_sec = 0, .tv_nsec = 1000000000L};
    CHECK_ERRNO(mq_timedsend(q, "c", 1, 0, &past), ETIMEDOUT);
    CHECK_ERRNO(mq_timedsend(q, "c", 1, 0, &badts), EINVAL);
    struct timespec soon = mq_abs_in(30);
    uint64_t t0 = ut_now_ns();
    CHECK_ERRNO(mq_timedsend(q, "c", 1, 0, &soon), ETIMEDOUT);
    CHECK(ut_now_ns() - t0 >= 20000000ull); /* a lower bound only */
    CHECK_EQ(mq_timedreceive(q, buf, 8, NULL, &badts), 1); /* not empty */
    CHECK_EQ(mq_timedreceive(q, buf, 8, NULL, &past), 1);
    CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &past), ETIMEDOUT);
    CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &badts), EINVAL);
    struct timespec neg = {.tv_sec = -1, .tv_nsec = 0};
    CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &neg), ETIMEDOUT);
    CHECK_OK(mq_timedsend(q, "d", 1, 0, &badts)); /* room: no wait */
    soon = mq_abs_in(30);
    CHECK_EQ(mq_timedreceive(q, buf, 8, NULL, &soon), 1);
    soon = mq_abs_in(30);
    t0 = ut_now_ns();
    CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &soon), ETIMEDOUT);
    CHECK(ut_now_ns() - t0 >= 20000000ull);
    CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, (struct timespec *)16),
                EFAULT);
    /* Back to non-blocking through setattr. */
    set.mq_flags = O_NONBLOCK;
    CHECK_OK(mq_setattr(q, &set, NULL));
    CHECK_ERRNO(mq_receive(q, buf, 8, NULL), EAGAIN);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
}

static volatile int sig_seen, sig_code, sig_value, sig_no;

static void on_mq_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    sig_no = sig;
    sig_code = si->si_code;
    sig_value = si->si_value.sival_int;
    __atomic_add_fetch(&sig_seen, 1, __ATOMIC_RELEASE);
}

TEST(mq_notify_sigev_signal)
{
    const char *n = "/ut_mq_sig";
    mqd_t q = mq_make(n, O_RDWR, 2, 8);
    CHECK_OK(q);
    struct sigaction sa = {0}, old;
    sa.sa_sigaction = on_mq_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    sig_seen = 0;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    ev.sigev_value.sival_ptr = NULL;
    ev.sigev_value.sival_int = 777;
    CHECK_OK(mq_notify(q, &ev));
    CHECK_OK(mq_send(q, "s", 1, 0));
    for (int i = 0; i < 500 && !sig_seen; i++)
        ut_sleep_ms(10);
    int seen = sig_seen, code = sig_code, value = sig_value, no = sig_no;
    CHECK_OK(mq_send(q, "t", 1, 0)); /* one-shot (and not empty) */
    char buf[8];
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    CHECK_OK(mq_send(q, "u", 1, 0)); /* empty again, but unregistered */
    ut_sleep_ms(20);
    int seen2 = sig_seen;
    ev.sigev_signo = 0;
    int e0 = mq_notify(q, &ev) == -1 ? errno : 0;
    ev.sigev_signo = 65;
    int e65 = mq_notify(q, &ev) == -1 ? errno : 0;
    sigaction(SIGUSR1, &old, NULL);
    CHECK_OK(mq_close(q));
    CHECK_OK(mq_unlink(n));
    CHECK_EQ(seen, 1);
    CHECK_EQ(no, SIGUSR1);
    CHECK_EQ(code, SI_MESGQ);
    CHECK_EQ(value, 777);
    CHECK_EQ(seen2, 1);
    CHECK_EQ(e0, EINVAL);
    CHECK_EQ(e65, EINVAL);
}

static volatile int mq_usr2_hits;

static void on_usr2(int sig)
{
    (void)sig;
    __atomic_add_fetch(&mq_usr2_hits, 1, __ATOMIC_RELAXED);
}

struct mq_intr {
    mqd_t q;
    int send;
    long r;
    int err;
    int done; /* release-stored after r and err */
};

static void *mq_intr_main(void *arg)
{
    struct mq_intr *m = arg;
    char buf[8] = "x";
    struct timespec dl = mq_abs_in(20000);
    errno = 0;
    m->r = m->send ? mq_send(m->q, buf, 1, 0)
                   : mq_timedreceive(m->q, buf, sizeof(buf), NULL, &dl);
    m->err = errno;
    __atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Starts a blocked send (full queue) or receive (empty queue) in a thread,
 * interrupts it with SIGUSR2 and waits until the handler has run. */
static int mq_intr_start(pthread_t *th, struct mq_intr *m)
{
    int hits = __atomic_load_n(&mq_usr2_hits, __ATOMIC_RELAXED);
    if (pthread_create(th, NULL, mq_intr_main, m))
        return -1;
    ut_sleep_ms(30); /* blocked on the queue */
    if (pthread_kill(*th, SIGUSR2))
        return -1;
    uint64_t end = ut_now_ns() + 20000000000ull;
    while (__atomic_load_n(&mq_usr2_hits, __ATOMIC_RELAXED) == hits &&
           ut_now_ns() < end)
        ut_sleep_ms(1);
    return __atomic_load_n(&mq_usr2_hits, __ATOMIC_RELAXED) == hits ? -1 : 0;
}

/* POSIX: mq_send, mq_timedsend, mq_receive and mq_timedreceive are
 * interruptible functions: a handled signal ends their wait with EINTR,
 * unless the handler has SA_RESTART, which restarts them. */
TEST(mq_blocked_calls_eintr)
{
    const char *n = "/ut_mq_intr";
    mqd_t q = mq_make(n, O_RDWR, 1, 8);
    CHECK_OK(q);
    CHECK_OK(mq_unlink(n));
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr2;
    sa.sa_flags = 0; /* no SA_RESTART: EINTR */
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR2, &sa, &old));
    struct mq_intr rm = {.q = q, .send = 0}, sm = {.q = q, .send = 1};
    pthread_t th;
    CHECK_OK(mq_intr_start(&th, &rm));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_OK(mq_send(q, "f", 1, 0)); /* full now */
    CHECK_OK(mq_intr_start(&th, &sm));
    CHECK_RC(pthread_join(th, NULL), 0);
    struct mq_attr a;
    CHECK_OK(mq_getattr(q, &a));
    CHECK_EQ(rm.r, -1);
    CHECK_EQ(rm.err, EINTR);
    CHECK_EQ(sm.r, -1);
    CHECK_EQ(sm.err, EINTR);
    CHECK_EQ(a.mq_curmsgs, 1); /* the interrupted send added nothing */
    /* SA_RESTART: the send waits on after the handler and completes once
     * a receive makes room. */
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    struct mq_intr rs = {.q = q, .send = 1};
    CHECK_OK(mq_intr_start(&th, &rs));
    ut_sleep_ms(30);
    int early = __atomic_load_n(&rs.done, __ATOMIC_ACQUIRE);
    char buf[8];
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK(!early); /* it was restarted, not ended by the signal */
    CHECK_EQ(rs.r, 0);
    /* And the receive (timed: the same absolute deadline) waits on until
     * the message comes. */
    CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 1); /* empty again */
    struct mq_intr rr = {.q = q, .send = 0};
    CHECK_OK(mq_intr_start(&th, &rr));
    ut_sleep_ms(30);
    early = __atomic_load_n(&rr.done, __ATOMIC_ACQUIRE);
    CHECK_OK(mq_send(q, "g", 1, 0));
    CHECK_RC(pthread_join(th, NULL), 0);
    sigaction(SIGUSR2, &old, NULL);
    CHECK_OK(mq_close(q));
    CHECK(!early);
    CHECK_EQ(rr.r, 1);
}

TEST(mq_messages_straddling_pages)
{
    /* 3000-byte cells: cells 1 and 2 cross a page boundary. */
    const char *n = "/ut_mq_big";
    mqd_t q = mq_make(n, O_RDWR, 4, 3000);
    CHECK_OK(q);
    CHECK_OK(mq_unlink(n));
    static char out[3000], in[3000];
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 4; i++) {
            for (unsigned k = 0; k < sizeof(out); k++)
                out[k] = (char)ut_pattern(k, i + 7 * round);
            CHECK_OK(mq_send(q, out, sizeof(out) - i, 3));
        }
        for (unsigned i = 0; i < 4; i++) {
            CHECK_EQ(mq_receive(q, in, sizeof(in), NULL),
                     (long)(sizeof(in) - i));
            for (unsigned k = 0; k < sizeof(in) - i; k++)
                CHECKF(in[k] == (char)ut_pattern(k, i + 7 * round),
                       "message %u byte %u", i, k);
        }
    }
    CHECK_OK(mq_close(q));
}

const struct utest ut_mq_tests[] = {
    UT_CASE(mq_name_open_create_excl_unlink),
    UT_CASE(mq_name_rules),
    UT_CASE(mq_attr_defaults_limits),
    UT_CASE(mq_priority_order_fifo),
    UT_CASE(mq_errors_badf_msgsize_fault),
    UT_CASE(mq_nonblock_setattr_timeouts),
    UT_CASE(mq_messages_straddling_pages),
    UT_CASE(mq_notify_sigev_signal),
    UT_CASE(mq_blocked_calls_eintr),
    UT_END,
};
