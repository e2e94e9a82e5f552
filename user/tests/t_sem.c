/*
 * POSIX semaphores on kernel semaphores (issue 9 items 2-4: <semaphore.h>,
 * libc/src/sem.c, kernel/sync/ksem.c): values and errors (EINVAL,
 * EAGAIN, ETIMEDOUT, EOVERFLOW, EBUSY, EBADF for stale and wrong-type
 * slots), wake-ups in priority order, sem_wait as a cancellation point,
 * and a bounded 4-thread stress run. Across processes (transfer, rights,
 * inheritance, revoke, exit, quota): t_sem_proc.c; named semaphores:
 * t_sem_named.c; the helper process: ut_sem_peer.c.
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
        CHECK_RC(ut_thread_at(&th[i], SCHED_FIFO, prios[i], ord_waiter, &a[i]),
                 0);
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

static sem_t cn_sem;
static volatile int cn_go;

static void *cn_thread(void *arg)
{
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    EXPECT(sem_post(&cn_sem) == 0); /* ready */
    while (!__atomic_load_n(&cn_go, __ATOMIC_ACQUIRE))
        sched_yield();
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    /* A cancellation point: exits before it takes the unit there. */
    int r = sem_wait(&cn_sem);
    EXPECT(!"sem_wait returned with a cancel request pending");
    (void)r;
    return NULL;
}

TEST(sem_wait_cancellation_point)
{
    CHECK_OK(sem_init(&cn_sem, 0, 0));
    cn_go = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, cn_thread, NULL), 0);
    CHECK_OK(sem_wait(&cn_sem));
    CHECK_RC(pthread_cancel(th), 0);
    CHECK_OK(sem_post(&cn_sem));
    __atomic_store_n(&cn_go, 1, __ATOMIC_RELEASE);
    void *r = NULL;
    CHECK_RC(pthread_join(th, &r), 0);
    CHECK(r == PTHREAD_CANCELED);
    int v = -1;
    CHECK_OK(sem_getvalue(&cn_sem, &v));
    CHECK_EQ(v, 1); /* untouched */
    CHECK_OK(sem_destroy(&cn_sem));
}

/* ---- signals ---- */

static volatile int sig_hits;

static void on_usr1(int sig)
{
    (void)sig;
    __atomic_add_fetch(&sig_hits, 1, __ATOMIC_RELAXED);
}

static sem_t in_sem;
static volatile int in_err;

static void *in_waiter(void *arg)
{
    struct timespec far = ts_at(rt_ns() + 60000 * MS);
    errno = 0;
    int r = arg ? sem_timedwait(&in_sem, &far) : sem_wait(&in_sem);
    in_err = r == 0 ? 0 : errno;
    return NULL;
}

TEST(sem_wait_eintr)
{
    /* sem_wait and sem_timedwait are interruptible (POSIX sigaction,
     * SA_RESTART): a handled signal without SA_RESTART ends them with
     * EINTR; with SA_RESTART the handler runs and the wait goes on, so
     * the waiter sleeps again and a later post ends it with 0. */
    struct sigaction old, sa;
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    for (int restart = 0; restart < 2; restart++) {
        for (long timed = 0; timed < 2; timed++) {
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_usr1;
            sa.sa_flags = restart ? SA_RESTART : 0;
            CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
            CHECK_OK(sem_init(&in_sem, 0, 0));
            sig_hits = 0;
            in_err = -1;
            pthread_t th;
            CHECK_RC(pthread_create(&th, NULL, in_waiter, (void *)timed), 0);
            CHECKF(sem_wait_sleepers(0, "sem_wait", 1),
                   "the waiter never slept");
            CHECK_RC(pthread_kill(th, SIGUSR1), 0);
            if (restart) {
                for (int i = 0; i < 2000 && !sig_hits; i++)
                    ut_sleep_ms(10);
                CHECK_EQ(sig_hits, 1);
                CHECKF(sem_wait_sleepers(0, "sem_wait", 1),
                       "the restarted wait never slept (timed %ld)", timed);
                CHECK_EQ(in_err, -1); /* still waiting */
                CHECK_OK(sem_post(&in_sem));
            }
            CHECK_RC(pthread_join(th, NULL), 0);
            CHECK_EQ(in_err, restart ? 0 : EINTR);
            CHECK_EQ(sig_hits, 1);
            int v = -1;
            CHECK_OK(sem_getvalue(&in_sem, &v));
            CHECK_EQ(v, 0);
            CHECK_OK(sem_destroy(&in_sem));
        }
    }
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
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
    UT_CASE(sem_wait_cancellation_point),
    UT_ISOLATED(sem_wait_eintr),
    UT_CASE(sem_stress_producers_consumers),
    UT_END,
};

const struct ut_mode ut_sem_modes[] = {
    {"sem-peer", ut_mode_sem_peer},
    {"sem-named", ut_mode_sem_named},
    {"sem-inherit", ut_mode_sem_inherit},
    {"sem-quota", ut_mode_sem_quota},
    {"barrier-inherit", ut_mode_barrier_inherit},
    UT_MODE_END,
};
