/*
 * POSIX semaphores on kernel semaphores (issue 9 items 2-4: <semaphore.h>,
 * libc/src/sem.c, kernel/sync/ksem.c): values and errors (EINVAL,
 * EAGAIN, ETIMEDOUT, EOVERFLOW, EBUSY, EACCES through a READ-only or
 * WRITE-only cap, EBADF for stale and wrong-type slots), wake-ups in
 * priority order, one process posting and another waiting through
 * cap_transfer and through spawn inheritance (no shared memory), revoke
 * while blocked (EBADF; the object lives on), a holder's exit, quota
 * exhaustion and recovery, and a bounded 4-thread stress run.
 *
 * Waiters are counted in the kernel's own view (threadinfo rows BLOCKED
 * on the wait queue "sem_wait"), so a post is only issued once they
 * really sleep. Thread functions use EXPECT, never CHECK. No test
 * compares against a time limit (only lower bounds of sleeps).
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <keel/barrier.h>

#include "t_sem.h"
#include "utest.h"

#define MS 1000000ll

/* ---- the sem-peer helper (t_sem.h) ---- */

struct sp_cmd {
    int op, arg;
};

static int mode_sem_peer(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sem_t s = {-1, 0};
    pthread_barrier_t b = {-1};
    struct sp_cmd c;
    while (ut_read_full(0, &c, sizeof(c)) == sizeof(c)) {
        int r = 0, v = 0;
        unsigned cnt, waiting;
        errno = 0;
        switch (c.op) {
        case SP_ATTACH_SEM:
            r = keel_sem_attach(&s, c.arg) < 0 ? -errno : 0;
            break;
        case SP_WAIT:
            r = sem_wait(&s) < 0 ? -errno : 0;
            break;
        case SP_TRYWAIT:
            r = sem_trywait(&s) < 0 ? -errno : 0;
            break;
        case SP_POST:
            r = sem_post(&s) < 0 ? -errno : 0;
            break;
        case SP_GETVALUE:
            r = sem_getvalue(&s, &v) < 0 ? -errno : v;
            break;
        case SP_ATTACH_BAR:
            r = -keel_barrier_attach(&b, c.arg);
            break;
        case SP_BAR_WAIT:
            r = pthread_barrier_wait(&b);
            r = r == PTHREAD_BARRIER_SERIAL_THREAD ? 1 : -r;
            break;
        case SP_BAR_QUERY:
            r = keel_barrier_query(&b, &cnt, &waiting);
            r = r ? -r : (int)waiting;
            break;
        case SP_EXIT:
            ut_write_full(1, &r, sizeof(r));
            return c.arg;
        default:
            r = -EINVAL;
        }
        if (ut_write_full(1, &r, sizeof(r)) != sizeof(r))
            return 3;
    }
    return 0;
}

int sem_peer_start(struct sem_peer *p)
{
    return ut_spawn_cmd(&p->pid, &p->cmd, &p->rep, "sem-peer", NULL, NULL,
                        NULL);
}

int sem_peer_send(struct sem_peer *p, int op, int arg)
{
    struct sp_cmd c = {op, arg};
    return ut_write_full(p->cmd, &c, sizeof(c)) == sizeof(c) ? 0 : -1;
}

int sem_peer_recv(struct sem_peer *p)
{
    int r;
    return ut_read_full(p->rep, &r, sizeof(r)) == sizeof(r) ? r : -10000;
}

int sem_peer_call(struct sem_peer *p, int op, int arg)
{
    if (sem_peer_send(p, op, arg) < 0)
        return -10000;
    return sem_peer_recv(p);
}

int sem_peer_stop(struct sem_peer *p)
{
    sem_peer_call(p, SP_EXIT, 0);
    close(p->cmd);
    close(p->rep);
    return ut_wait(p->pid);
}

int sem_sleepers(pid_t pid, const char *wchan)
{
    if (!pid)
        pid = getpid();
    int n = 0;
    struct keel_threadinfo ti;
    for (int i = 0; i < 4096 && keel_threadinfo(i, &ti) == 1; i++)
        if (ti.pid == pid && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, wchan))
            n++;
    return n;
}

int sem_wait_sleepers(pid_t pid, const char *wchan, int n)
{
    for (int i = 0; i < 2000; i++) {
        if (sem_sleepers(pid, wchan) == n)
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

int sem_xfer(pid_t pid, int slot, int type, unsigned rights, cap_token_t *deleg)
{
    cap_token_t t;
    int dst = -1;
    if (cap_get_token(slot, type, &t) < 0 ||
        cap_transfer(pid, t, rights, deleg, &dst) < 0)
        return -1;
    return dst;
}

long sem_kobjs(void)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0)
        return -1;
    return (long)k.pool_used[KEEL_POOL_OBJECTS];
}

static struct timespec ts_at(int64_t ns)
{
    return (struct timespec){ns / 1000000000ll, ns % 1000000000ll};
}

static int64_t rt_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* ---- single-process semantics ---- */

TEST(sem_values_and_errors)
{
    long k0 = sem_kobjs();
    sem_t s;
    int v = -1;
    CHECK_OK(sem_init(&s, 0, 2));
    CHECK_EQ(sem_kobjs(), k0 + 1);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 2);
    CHECK_OK(sem_trywait(&s));
    CHECK_OK(sem_wait(&s));
    CHECK_ERRNO(sem_trywait(&s), EAGAIN);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1);
    /* The cap: READ|WRITE, no GRANT for a process-private semaphore. */
    struct cap_info ci;
    CHECK_OK(cap_info(keel_sem_slot(&s), &ci));
    CHECK_EQ(ci.type, CAP_TYPE_SEMAPHORE);
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE);
    CHECK_OK(sem_destroy(&s));
    CHECK_EQ(sem_kobjs(), k0);
    /* A destroyed sem_t is no semaphore. */
    CHECK_ERRNO(sem_post(&s), EINVAL);
    CHECK_ERRNO(sem_wait(&s), EINVAL);
    CHECK_ERRNO(sem_destroy(&s), EINVAL);
    /* Values: above SEM_VALUE_MAX is EINVAL; a post at it EOVERFLOW. */
    CHECK_ERRNO(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u), EINVAL);
    CHECK_ERRNO(sem_init(NULL, 0, 1), EINVAL);
    CHECK_OK(sem_init(&s, 1, SEM_VALUE_MAX));
    CHECK_OK(cap_info(keel_sem_slot(&s), &ci));
    CHECK_EQ(ci.rights,
             CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT); /* pshared */
    CHECK_ERRNO(sem_post(&s), EOVERFLOW);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, SEM_VALUE_MAX);
    CHECK_OK(sem_trywait(&s));
    CHECK_OK(sem_post(&s));
    CHECK_ERRNO(sem_post(&s), EOVERFLOW);
    CHECK_ERRNO(sem_getvalue(&s, NULL), EINVAL);
    CHECK_OK(sem_destroy(&s));
    /* The system call itself: unknown op, unknown create flags. */
    CHECK_EQ(keel_syscall6(SYS_sem, 99, 0, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_sem, -1, 0, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_sem, KEEL_SEM_CREATE, 0, 0, 0x10, 0, 0),
             -EINVAL);
    CHECK_EQ(sem_kobjs(), k0);
}

TEST(sem_timedwait_semantics)
{
    sem_t s;
    CHECK_OK(sem_init(&s, 0, 1));
    /* A unit is there: the timeout is not looked at (POSIX). */
    struct timespec bad = {0, 1000000000};
    CHECK_OK(sem_timedwait(&s, &bad));
    /* It would block: a bad tv_nsec is EINVAL, a past time ETIMEDOUT. */
    CHECK_ERRNO(sem_timedwait(&s, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_ERRNO(sem_timedwait(&s, &bad), EINVAL);
    struct timespec t = ts_at(0);
    CHECK_ERRNO(sem_timedwait(&s, &t), ETIMEDOUT);
    t = (struct timespec){-5, 0};
    CHECK_ERRNO(sem_timedwait(&s, &t), ETIMEDOUT);
    t = ts_at(rt_ns() - 1000 * MS);
    CHECK_ERRNO(sem_timedwait(&s, &t), ETIMEDOUT);
    /* 30 ms ahead on CLOCK_REALTIME: never ends before it. */
    int64_t dl = rt_ns() + 30 * MS;
    t = ts_at(dl);
    CHECK_ERRNO(sem_timedwait(&s, &t), ETIMEDOUT);
    CHECK(rt_ns() >= dl);
    CHECK_ERRNO(sem_timedwait(&s, (struct timespec *)0x3f00000000ul), EFAULT);
    /* A timeout leaves the count as it was. */
    int v = -1;
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_destroy(&s));
}

static sem_t wk_sem;
static volatile int wk_done;

static void *wk_waiter(void *arg)
{
    const struct timespec *abs = arg;
    int r = abs ? sem_timedwait(&wk_sem, abs) : sem_wait(&wk_sem);
    EXPECT(r == 0);
    __atomic_store_n(&wk_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

TEST(sem_post_wakes_waiter)
{
    static struct timespec far;
    CHECK_OK(sem_init(&wk_sem, 0, 0));
    for (int timed = 0; timed < 2; timed++) {
        wk_done = 0;
        far = ts_at(rt_ns() + 60000 * MS);
        pthread_t th;
        CHECK_RC(pthread_create(&th, NULL, wk_waiter, timed ? &far : NULL), 0);
        CHECKF(sem_wait_sleepers(0, "sem_wait", 1), "the waiter never slept");
        CHECK_EQ(wk_done, 0);
        /* sem_destroy with one of our threads blocked: EBUSY. */
        CHECK_ERRNO(sem_destroy(&wk_sem), EBUSY);
        CHECK_OK(sem_post(&wk_sem));
        CHECK_RC(pthread_join(th, NULL), 0);
        CHECK_EQ(wk_done, 1);
    }
    int v = -1;
    CHECK_OK(sem_getvalue(&wk_sem, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_destroy(&wk_sem));
}

static sem_t ord_sem;
static volatile int ord_seq;

struct ord_arg {
    int order;
};

static void *ord_waiter(void *arg)
{
    struct ord_arg *a = arg;
    EXPECT(sem_wait(&ord_sem) == 0);
    a->order = __atomic_add_fetch(&ord_seq, 1, __ATOMIC_ACQ_REL);
    return NULL;
}

static int start_at(pthread_t *th, int prio, void *(*fn)(void *), void *arg)
{
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = prio};
    int rc = pthread_attr_init(&at);
    if (!rc)
        rc = pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    if (!rc)
        rc = pthread_attr_setschedpolicy(&at, SCHED_FIFO);
    if (!rc)
        rc = pthread_attr_setschedparam(&at, &sp);
    if (!rc)
        rc = pthread_create(th, &at, fn, arg);
    pthread_attr_destroy(&at);
    return rc;
}

TEST(sem_wake_priority_order)
{
    /* Waiters at p-2, p, p-1 (p: ours), queued in that order: three
     * posts, one at a time, release them highest first. */
    struct sched_param sp;
    int pol;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    int p = sp.sched_priority;
    CHECK(p >= 3);
    static struct ord_arg a[3];
    int prios[3] = {p - 2, p, p - 1};
    pthread_t th[3];
    ord_seq = 0;
    CHECK_OK(sem_init(&ord_sem, 0, 0));
    for (int i = 0; i < 3; i++) {
        a[i].order = 0;
        CHECK_RC(start_at(&th[i], prios[i], ord_waiter, &a[i]), 0);
        CHECKF(sem_wait_sleepers(0, "sem_wait", i + 1), "waiter %d never slept",
               i);
    }
    for (int k = 1; k <= 3; k++) {
        CHECK_OK(sem_post(&ord_sem));
        for (int i = 0; i < 2000 && ord_seq < k; i++)
            ut_sleep_ms(10);
        CHECK_EQ(ord_seq, k);
    }
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(a[1].order, 1); /* p */
    CHECK_EQ(a[2].order, 2); /* p - 1 */
    CHECK_EQ(a[0].order, 3); /* p - 2 */
    CHECK_OK(sem_destroy(&ord_sem));
}

TEST(sem_stale_and_wrong_type)
{
    sem_t s, copy;
    CHECK_OK(sem_init(&s, 1, 1));
    copy = s;
    int slot = keel_sem_slot(&s);
    cap_token_t tok;
    CHECK_OK(cap_get_token(slot, CAP_TYPE_SEMAPHORE, &tok));
    /* A token naming the slot as another type. */
    cap_token_t wrong;
    CHECK_ERRNO(cap_get_token(slot, CAP_TYPE_BARRIER, &wrong), EINVAL);
    /* A forged token: the same slot, another generation. */
    cap_token_t forged = tok ^ (1ull << CAP_TOK_GEN_SHIFT);
    cap_token_t d;
    pid_t me = getpid();
    CHECK_ERRNO(cap_transfer(me, forged, CAP_RIGHT_READ, &d, NULL), EBADF);
    CHECK_OK(sem_destroy(&s));
    /* The copy names an empty slot now: EBADF from the kernel. */
    CHECK_ERRNO(sem_post(&copy), EBADF);
    CHECK_ERRNO(sem_trywait(&copy), EBADF);
    CHECK_ERRNO(cap_transfer(me, tok, CAP_RIGHT_READ, &d, NULL), EBADF);
    /* The slot reused by an fd: still no semaphore. */
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    sem_t onfd;
    CHECK_ERRNO(keel_sem_attach(&onfd, fd), EBADF);
    onfd = (sem_t){fd, 0};
    CHECK_ERRNO(sem_post(&onfd), EBADF);
    CHECK_ERRNO(sem_wait(&onfd), EBADF);
    int v;
    CHECK_ERRNO(sem_getvalue(&onfd, &v), EBADF);
    CHECK_ERRNO(sem_destroy(&onfd), EBADF);
    CHECK(ut_fd_open(fd)); /* sem_destroy did not close the fd */
    CHECK_OK(close(fd));
    CHECK_ERRNO(keel_sem_attach(&onfd, -1), EBADF);
    CHECK_ERRNO(keel_sem_attach(&onfd, CAP_SLOTS), EBADF);
    CHECK_EQ(keel_syscall6(SYS_sem, KEEL_SEM_POST, 5000, 0, 0, 0, 0), -EBADF);
    CHECK_EQ(keel_syscall6(SYS_sem, KEEL_SEM_POST, -3, 0, 0, 0, 0), -EBADF);
    /* A barrier's slot is no semaphore either. */
    pthread_barrier_t b;
    CHECK_RC(pthread_barrier_init(&b, NULL, 2), 0);
    sem_t onbar = {keel_barrier_slot(&b), 0};
    CHECK_ERRNO(sem_post(&onbar), EBADF);
    CHECK_ERRNO(keel_sem_attach(&onbar, keel_barrier_slot(&b)), EBADF);
    CHECK_RC(pthread_barrier_destroy(&b), 0);
}

/* ---- across processes ---- */

TEST(sem_transfer_post_and_wait)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    ut_step("the peer waits, we post");
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    CHECK_OK(sem_post(&s));
    CHECK_EQ(sem_peer_recv(&pe), 0);
    ut_step("the peer posts, we wait");
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 2);
    CHECK_OK(sem_wait(&s));
    CHECK_OK(sem_trywait(&s));
    CHECK_ERRNO(sem_trywait(&s), EAGAIN);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EAGAIN);
    CHECK_OK(cap_drop(d));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

TEST(sem_rights_eacces)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 1));
    cap_token_t d1, d2;
    ut_step("a READ-only cap waits but cannot post");
    int r = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                     CAP_RIGHT_READ, &d1);
    CHECK(r >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, r), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EAGAIN);
    ut_step("a WRITE-only cap posts but cannot wait");
    int w = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                     CAP_RIGHT_WRITE, &d2);
    CHECK(w >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, w), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_WAIT, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    int v = -1;
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1);
    ut_step("a process-private semaphore cannot be handed on");
    sem_t priv;
    CHECK_OK(sem_init(&priv, 0, 0));
    cap_token_t d3;
    CHECK_ERRNO(sem_xfer(pe.pid, keel_sem_slot(&priv), CAP_TYPE_SEMAPHORE,
                         CAP_RIGHT_READ, &d3),
                EACCES);
    CHECK_OK(sem_destroy(&priv));
    CHECK_OK(cap_drop(d1));
    CHECK_OK(cap_drop(d2));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

/* sem-inherit PING PONG PRIV: the child got the pshared semaphores PING
 * and PONG at those slots (rights without GRANT) and not the private
 * one at PRIV; it posts PING, waits on PONG. Exit 0 when all held. */
static int mode_sem_inherit(int argc, char **argv)
{
    if (argc < 5)
        return 10;
    sem_t ping, pong, priv;
    struct cap_info ci;
    if (keel_sem_attach(&ping, atoi(argv[2])) ||
        keel_sem_attach(&pong, atoi(argv[3])))
        return 11;
    if (cap_info(atoi(argv[2]), &ci) ||
        ci.rights != (CAP_RIGHT_READ | CAP_RIGHT_WRITE))
        return 12;
    if (keel_sem_attach(&priv, atoi(argv[4])) == 0 || errno != EBADF)
        return 13;
    for (int i = 0; i < 3; i++) {
        if (sem_post(&ping))
            return 14;
        if (sem_wait(&pong))
            return 15;
    }
    return sem_destroy(&ping) || sem_destroy(&pong) ? 16 : 0;
}

TEST(sem_spawn_inherited)
{
    long k0 = sem_kobjs();
    sem_t ping, pong, priv;
    CHECK_OK(sem_init(&ping, 1, 0));
    CHECK_OK(sem_init(&pong, 1, 0));
    CHECK_OK(sem_init(&priv, 0, 0));
    char a1[12], a2[12], a3[12];
    snprintf(a1, sizeof(a1), "%d", keel_sem_slot(&ping));
    snprintf(a2, sizeof(a2), "%d", keel_sem_slot(&pong));
    snprintf(a3, sizeof(a3), "%d", keel_sem_slot(&priv));
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "sem-inherit", a1, a2, a3), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(sem_wait(&ping));
        CHECK_OK(sem_post(&pong));
    }
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(sem_destroy(&ping));
    CHECK_OK(sem_destroy(&pong));
    CHECK_OK(sem_destroy(&priv));
    CHECK_EQ(sem_kobjs(), k0);
}

TEST(sem_revoke_while_blocked)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    /* A waiter of ours on the same semaphore stays blocked. */
    wk_sem = s;
    wk_done = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, wk_waiter, NULL), 0);
    CHECKF(sem_wait_sleepers(0, "sem_wait", 1), "our waiter never slept");
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EQ(sem_peer_recv(&pe), -EBADF);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), -EBADF);
    ut_sleep_ms(20);
    CHECK_EQ(wk_done, 0);
    CHECK_EQ(sem_sleepers(0, "sem_wait"), 1);
    /* The object lives on for us. */
    CHECK_OK(sem_post(&s));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(wk_done, 1);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_trywait(&s));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

TEST(sem_holder_exits)
{
    long k0 = sem_kobjs();
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    ut_step("the holder dies blocked");
    CHECK_OK(kill(pe.pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pe.pid), SIGKILL);
    close(pe.cmd);
    close(pe.rep);
    CHECK_OK(cap_drop(d)); /* the delegation record keeps the receiver */
    CHECK_OK(sem_post(&s));
    int v = -1;
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1); /* the dead waiter took nothing */
    ut_step("the creator exits, the receiver keeps it");
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t t;
    CHECK_OK(sem_init(&t, 1, 0));
    dst = sem_xfer(pe.pid, keel_sem_slot(&t), CAP_TYPE_SEMAPHORE,
                   CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_OK(cap_drop(d));
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_destroy(&t));
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
}

/* sem-quota: spawns itself one level deeper until its KEEL_POOL_OBJECTS
 * limit is below 60 (each level gets 3/4 of its creator's), then fills
 * the quota with semaphores and barriers. Exit 0 when the first failure
 * was ENOSPC (sem_init) / EAGAIN (pthread_barrier_init) exactly at the
 * limit, and freeing one made room again. */
static int mode_sem_quota(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct keel_quota q;
    if (keel_quota_info(0, &q) < 0)
        return 20;
    uint64_t room = q.limit[KEEL_POOL_OBJECTS] - q.used[KEEL_POOL_OBJECTS];
    if (room >= 60) {
        /* Inherited fds carry no GRANT: a spawn that would hand them on
         * fails with EACCES, so they stay behind. */
        for (int fd = 0; fd < 3; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        pid_t pid;
        int rc = ut_spawn_self(&pid, NULL, NULL, "sem-quota", NULL, NULL, NULL);
        if (rc)
            return 21;
        int st = ut_wait(pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 22;
    }
    static sem_t s[80];
    uint64_t n = 0;
    while (n < 80 && sem_init(&s[n], 0, 0) == 0)
        n++;
    if (n != room || errno != ENOSPC)
        return 23;
    pthread_barrier_t b;
    if (pthread_barrier_init(&b, NULL, 1) != EAGAIN)
        return 24;
    if (sem_destroy(&s[--n]))
        return 25;
    if (pthread_barrier_init(&b, NULL, 1) || pthread_barrier_destroy(&b))
        return 26;
    if (sem_init(&s[n++], 0, 0))
        return 27;
    if (sem_post(&s[0]) || sem_wait(&s[0]))
        return 28;
    while (n)
        if (sem_destroy(&s[--n]))
            return 29;
    if (keel_quota_info(0, &q) < 0 || q.used[KEEL_POOL_OBJECTS] != 0)
        return 30;
    return 0;
}

TEST(sem_quota_exhausted_and_recovered)
{
    long k0 = sem_kobjs();
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "sem-quota", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
    /* We can still make one. */
    sem_t s;
    CHECK_OK(sem_init(&s, 0, 0));
    CHECK_OK(sem_destroy(&s));
}

/* ---- 4 threads at once ---- */

static sem_t st_items, st_slots;
static volatile int st_sum;

static void *st_producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        EXPECT(sem_wait(&st_slots) == 0);
        __atomic_add_fetch(&st_sum, 1, __ATOMIC_RELAXED);
        EXPECT(sem_post(&st_items) == 0);
    }
    return NULL;
}

static void *st_consumer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        if (i & 1) {
            while (sem_trywait(&st_items) != 0) {
                EXPECT(errno == EAGAIN);
                sched_yield();
            }
        } else {
            EXPECT(sem_wait(&st_items) == 0);
        }
        EXPECT(sem_post(&st_slots) == 0);
    }
    return NULL;
}

TEST(sem_stress_producers_consumers)
{
    CHECK_OK(sem_init(&st_items, 0, 0));
    CHECK_OK(sem_init(&st_slots, 0, 3));
    st_sum = 0;
    pthread_t th[4];
    CHECK_RC(pthread_create(&th[0], NULL, st_producer, NULL), 0);
    CHECK_RC(pthread_create(&th[1], NULL, st_producer, NULL), 0);
    CHECK_RC(pthread_create(&th[2], NULL, st_consumer, NULL), 0);
    CHECK_RC(pthread_create(&th[3], NULL, st_consumer, NULL), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(st_sum, 600);
    int v = -1;
    CHECK_OK(sem_getvalue(&st_items, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_getvalue(&st_slots, &v));
    CHECK_EQ(v, 3);
    CHECK_OK(sem_destroy(&st_items));
    CHECK_OK(sem_destroy(&st_slots));
}

const struct utest ut_sem_tests[] = {
    UT_CASE(sem_values_and_errors),
    UT_CASE(sem_timedwait_semantics),
    UT_CASE(sem_post_wakes_waiter),
    UT_CASE(sem_wake_priority_order),
    UT_CASE(sem_stale_and_wrong_type),
    UT_CASE(sem_transfer_post_and_wait),
    UT_CASE(sem_rights_eacces),
    UT_CASE(sem_spawn_inherited),
    UT_CASE(sem_revoke_while_blocked),
    UT_CASE(sem_holder_exits),
    UT_CASE(sem_quota_exhausted_and_recovered),
    UT_CASE(sem_stress_producers_consumers),
    UT_END,
};

const struct ut_mode ut_sem_modes[] = {
    {"sem-peer", mode_sem_peer},
    {"sem-inherit", mode_sem_inherit},
    {"sem-quota", mode_sem_quota},
    {"barrier-inherit", ut_mode_barrier_inherit},
    UT_MODE_END,
};
