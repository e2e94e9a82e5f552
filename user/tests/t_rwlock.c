/*
 * POSIX read-write locks, in-process (issue 9 items 2, 3;
 * libc/src/rwlock.c): attributes; every error (EDEADLK, EBUSY, EPERM,
 * EINVAL, ETIMEDOUT); readers inside together; writers alone; writer
 * preference (a waiting writer holds back new readers of its priority,
 * not one of higher priority; a read-holder's recursion still passes; a
 * writer that times out lets the held-back readers in; priority order
 * at a write release); timed variants.
 * A signal handled while a writer waits does not end its wait (no
 * EINTR), for both kinds. The process-shared kind (the kernel object)
 * is otherwise in t_rwlock_k.c.
 * Thread functions use EXPECT only; no time limits, only lower bounds.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "t_rwlock.h"

#define MS 1000000ll

int rw_ti_self(int tid, struct keel_threadinfo *out)
{
    pid_t me = getpid();
    for (int i = 0; i < 4096; i++) {
        if (keel_threadinfo(i, out) != 1)
            return 0;
        if (out->pid == me && out->tid == tid)
            return 1;
    }
    return 0;
}

int rw_wait_blocked(int tid, const char *wchan)
{
    struct keel_threadinfo ti;
    size_t n = strlen(wchan);
    for (int i = 0; i < 2000; i++) {
        if (rw_ti_self(tid, &ti) && ti.state == KEEL_TSTATE_BLOCKED &&
            !strncmp(ti.wchan, wchan, n))
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

int rw_wait_blocked_pid(int pid, const char *wchan)
{
    struct keel_threadinfo ti;
    size_t n = strlen(wchan);
    for (int i = 0; i < 2000; i++) {
        for (int row = 0; row < 4096 && keel_threadinfo(row, &ti) == 1; row++)
            if (ti.pid == pid && ti.state == KEEL_TSTATE_BLOCKED &&
                !strncmp(ti.wchan, wchan, n))
                return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

int64_t rw_rt_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

struct timespec rw_ts_at(int64_t ns)
{
    return (struct timespec){ns / 1000000000ll, ns % 1000000000ll};
}

/* ---- a helper thread doing one operation on a lock ---- */

int rw_op(pthread_rwlock_t *l, int op)
{
    struct timespec past = rw_ts_at(0);
    switch (op) {
    case RW_RD:
        return pthread_rwlock_rdlock(l);
    case RW_TRYRD:
        return pthread_rwlock_tryrdlock(l);
    case RW_WR:
        return pthread_rwlock_wrlock(l);
    case RW_TRYWR:
        return pthread_rwlock_trywrlock(l);
    case RW_UNLOCK:
        return pthread_rwlock_unlock(l);
    case RW_TIMEDRD_PAST:
        return pthread_rwlock_timedrdlock(l, &past);
    case RW_TIMEDWR_PAST:
        return pthread_rwlock_timedwrlock(l, &past);
    }
    return -1;
}

struct rw_job {
    pthread_rwlock_t *l;
    int op;
    int rc;
};

static void *job_fn(void *arg)
{
    struct rw_job *j = arg;
    j->rc = rw_op(j->l, j->op);
    return NULL;
}

int rw_from_other(pthread_rwlock_t *l, int op)
{
    struct rw_job j = {l, op, -1};
    pthread_t th;
    if (pthread_create(&th, NULL, job_fn, &j) || pthread_join(th, NULL))
        return -1;
    return j.rc;
}

static void *holder_fn(void *arg)
{
    struct rw_holder *h = arg;
    h->rc = rw_op(h->l, h->op);
    __atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
        ut_sleep_ms(1);
    h->urc = h->rc ? 0 : pthread_rwlock_unlock(h->l);
    return NULL;
}

int rw_holder_start(struct rw_holder *h, pthread_rwlock_t *l, int op)
{
    *h = (struct rw_holder){.l = l, .op = op, .rc = -1, .urc = -1};
    int rc = pthread_create(&h->th, NULL, holder_fn, h);
    if (rc)
        return rc;
    for (int i = 0; i < 2000 && !h->held; i++)
        ut_sleep_ms(1);
    return h->held ? h->rc : -1;
}

int rw_holder_stop(struct rw_holder *h)
{
    __atomic_store_n(&h->release, 1, __ATOMIC_RELEASE);
    if (pthread_join(h->th, NULL))
        return -1;
    return h->urc;
}

/* ---- tests ---- */

TEST(rwlock_attr)
{
    pthread_rwlockattr_t a;
    int v = -1;
    CHECK_RC(pthread_rwlockattr_init(NULL), EINVAL);
    CHECK_RC(pthread_rwlockattr_init(&a), 0);
    CHECK_RC(pthread_rwlockattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_RC(pthread_rwlockattr_setpshared(&a, 2), EINVAL);
    CHECK_RC(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_RC(pthread_rwlockattr_getpshared(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_rwlockattr_getpshared(&a, NULL), EINVAL);
    CHECK_RC(pthread_rwlockattr_destroy(&a), 0);
    CHECK_RC(pthread_rwlockattr_destroy(&a), EINVAL);
    CHECK_RC(pthread_rwlockattr_getpshared(&a, &v), EINVAL);
    CHECK_RC(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE),
             EINVAL);
    pthread_rwlock_t l;
    CHECK_RC(pthread_rwlock_init(&l, &a), EINVAL); /* destroyed attribute */
    CHECK_RC(pthread_rwlock_init(NULL, NULL), EINVAL);
    CHECK_RC(pthread_rwlockattr_init(&a), 0);
    CHECK_RC(pthread_rwlock_init(&l, &a), 0);
    CHECK_EQ(keel_rwlock_slot(&l), -1);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
    CHECK_RC(pthread_rwlockattr_destroy(&a), 0);
}

TEST(rwlock_errors)
{
    static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    CHECK_RC(pthread_rwlock_unlock(&l), EPERM); /* nothing held */
    /* Read: recursion counts; a read-holder's wrlock would wait for
     * itself. */
    CHECK_RC(pthread_rwlock_rdlock(&l), 0);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), 0);
    CHECK_RC(pthread_rwlock_wrlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TRYRD), 0); /* exits holding a read */
    CHECK_EQ(rw_from_other(&l, RW_TRYWR), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TIMEDWR_PAST), ETIMEDOUT);
    CHECK_EQ(rw_from_other(&l, RW_UNLOCK), EPERM); /* holds none */
    CHECK_RC(pthread_rwlock_destroy(&l), EBUSY);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), EPERM); /* the other's is left */
    l = (pthread_rwlock_t)PTHREAD_RWLOCK_INITIALIZER;
    /* Write. */
    CHECK_RC(pthread_rwlock_wrlock(&l), 0);
    CHECK_RC(pthread_rwlock_wrlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_rdlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), EBUSY);
    struct timespec far = rw_ts_at(rw_rt_ns() + 60000 * MS);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &far), EDEADLK);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &far), EDEADLK);
    CHECK_EQ(rw_from_other(&l, RW_TRYRD), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TRYWR), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TIMEDRD_PAST), ETIMEDOUT);
    CHECK_EQ(rw_from_other(&l, RW_UNLOCK), EPERM);
    CHECK_RC(pthread_rwlock_destroy(&l), EBUSY);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), EPERM);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
    CHECK_RC(pthread_rwlock_rdlock(NULL), EINVAL);
    CHECK_RC(pthread_rwlock_wrlock(NULL), EINVAL);
    CHECK_RC(pthread_rwlock_unlock(NULL), EINVAL);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, NULL), EINVAL);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, NULL), EINVAL);
}

TEST(rwlock_timed)
{
    pthread_rwlock_t l;
    CHECK_RC(pthread_rwlock_init(&l, NULL), 0);
    /* Free: taken without looking at the time, even a bad one. */
    struct timespec bad = {0, 1000000000};
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &bad), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &bad), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    struct rw_holder h;
    CHECK_RC(rw_holder_start(&h, &l, RW_WR), 0);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &bad), EINVAL);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &bad), EINVAL);
    struct timespec neg = {-5, 0};
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &neg), ETIMEDOUT);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &neg), ETIMEDOUT);
    int64_t t0 = rw_rt_ns();
    struct timespec soon = rw_ts_at(t0 + 50 * MS);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &soon), ETIMEDOUT);
    CHECK(rw_rt_ns() >= t0 + 50 * MS);
    t0 = rw_rt_ns();
    soon = rw_ts_at(t0 + 50 * MS);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &soon), ETIMEDOUT);
    CHECK(rw_rt_ns() >= t0 + 50 * MS);
    CHECK_RC(rw_holder_stop(&h), 0);
    /* Held for reading: timed reads pass, timed writes time out. */
    CHECK_RC(rw_holder_start(&h, &l, RW_RD), 0);
    struct timespec far = rw_ts_at(rw_rt_ns() + 60000 * MS);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &far), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    t0 = rw_rt_ns();
    soon = rw_ts_at(t0 + 30 * MS);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &soon), ETIMEDOUT);
    CHECK(rw_rt_ns() >= t0 + 30 * MS);
    CHECK_RC(rw_holder_stop(&h), 0);
    /* Nothing left behind: a writer gets it at once. */
    CHECK_RC(pthread_rwlock_trywrlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
}

/* Readers inside together: each waits (bounded) until all are in. */
#define PAR_READERS 4
static pthread_rwlock_t par_l = PTHREAD_RWLOCK_INITIALIZER;
static volatile int par_inside, par_max;

static void *par_reader(void *arg)
{
    (void)arg;
    EXPECT(pthread_rwlock_rdlock(&par_l) == 0);
    int n = __atomic_add_fetch(&par_inside, 1, __ATOMIC_ACQ_REL);
    for (int i = 0; i < 4000 && n < PAR_READERS; i++) {
        ut_sleep_ms(1);
        n = __atomic_load_n(&par_inside, __ATOMIC_ACQUIRE);
    }
    if (n > par_max)
        par_max = n;
    EXPECT(pthread_rwlock_unlock(&par_l) == 0);
    return NULL;
}

TEST(rwlock_readers_in_parallel)
{
    par_inside = par_max = 0;
    pthread_t th[PAR_READERS];
    for (int i = 0; i < PAR_READERS; i++)
        CHECK_RC(pthread_create(&th[i], NULL, par_reader, NULL), 0);
    for (int i = 0; i < PAR_READERS; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(par_max, PAR_READERS);
}

/* Writers alone: 2 writers and 2 readers on every hart. */
#define MIX_ITERS 3000
static pthread_rwlock_t mix_l = PTHREAD_RWLOCK_INITIALIZER;
static volatile int mix_readers, mix_writers;
static volatile long mix_count;

static void *mix_fn(void *arg)
{
    int writer = (int)(intptr_t)arg & 1, timed = (int)(intptr_t)arg & 2;
    struct timespec far = rw_ts_at(rw_rt_ns() + 600000 * MS);
    for (int i = 0; i < MIX_ITERS; i++) {
        if (writer) {
            int rc = timed ? pthread_rwlock_timedwrlock(&mix_l, &far)
                           : pthread_rwlock_wrlock(&mix_l);
            EXPECT(rc == 0);
            if (__atomic_add_fetch(&mix_writers, 1, __ATOMIC_ACQ_REL) != 1 ||
                __atomic_load_n(&mix_readers, __ATOMIC_ACQUIRE))
                EXPECT(!"a writer was not alone");
            mix_count = mix_count + 1;
            __atomic_sub_fetch(&mix_writers, 1, __ATOMIC_ACQ_REL);
        } else {
            int rc = timed ? pthread_rwlock_timedrdlock(&mix_l, &far)
                           : pthread_rwlock_rdlock(&mix_l);
            EXPECT(rc == 0);
            __atomic_add_fetch(&mix_readers, 1, __ATOMIC_ACQ_REL);
            if (__atomic_load_n(&mix_writers, __ATOMIC_ACQUIRE))
                EXPECT(!"a reader inside with a writer");
            __atomic_sub_fetch(&mix_readers, 1, __ATOMIC_ACQ_REL);
        }
        EXPECT(pthread_rwlock_unlock(&mix_l) == 0);
        if (ut_failed())
            break;
    }
    return NULL;
}

TEST(rwlock_writers_exclusive)
{
    mix_count = 0;
    pthread_t th[4];
    for (intptr_t i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, mix_fn, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(mix_count, 2L * MIX_ITERS);
    CHECK_EQ(pthread_rwlock_destroy(&mix_l), 0);
}

/* Writer preference: main reads; a writer waits; a new reader of equal
 * priority is held back (tryrdlock EBUSY, rdlock blocks), main's own
 * recursion passes, a reader of higher priority passes; main's unlocks
 * let the writer in before the held-back reader. */
static pthread_rwlock_t pref_l = PTHREAD_RWLOCK_INITIALIZER;
static volatile int pref_seq, pref_writer_at, pref_reader_at;

static void *pref_writer(void *arg)
{
    (void)arg;
    EXPECT(pthread_rwlock_wrlock(&pref_l) == 0);
    pref_writer_at = __atomic_add_fetch(&pref_seq, 1, __ATOMIC_ACQ_REL);
    ut_sleep_ms(20);
    EXPECT(pthread_rwlock_unlock(&pref_l) == 0);
    return NULL;
}

static void *pref_reader(void *arg)
{
    (void)arg;
    EXPECT(pthread_rwlock_rdlock(&pref_l) == 0);
    pref_reader_at = __atomic_add_fetch(&pref_seq, 1, __ATOMIC_ACQ_REL);
    EXPECT(pthread_rwlock_unlock(&pref_l) == 0);
    return NULL;
}

static void *pref_high_try(void *arg)
{
    *(int *)arg = pthread_rwlock_tryrdlock(&pref_l);
    if (*(int *)arg == 0)
        EXPECT(pthread_rwlock_unlock(&pref_l) == 0);
    return NULL;
}

static int my_prio(void)
{
    struct sched_param sp;
    int pol;
    return pthread_getschedparam(pthread_self(), &pol, &sp) ? -1
                                                            : sp.sched_priority;
}

TEST(rwlock_writer_preference)
{
    int prio = my_prio();
    CHECK(prio > 1 && prio < ut_ceiling);
    pref_seq = pref_writer_at = pref_reader_at = 0;
    CHECK_RC(pthread_rwlock_rdlock(&pref_l), 0);
    pthread_t w, r, hi;
    CHECK_RC(ut_thread_at(&w, SCHED_RR, prio, pref_writer, NULL), 0);
    CHECKF(rw_wait_blocked((int)w, "futex"), "the writer never blocked");
    CHECK_EQ(rw_from_other(&pref_l, RW_TRYRD), EBUSY);
    CHECK_RC(ut_thread_at(&r, SCHED_RR, prio, pref_reader, NULL), 0);
    CHECKF(rw_wait_blocked((int)r, "futex"), "the reader was not held back");
    CHECK_EQ(pref_seq, 0);
    int hi_rc = -1;
    CHECK_RC(ut_thread_at(&hi, SCHED_RR, prio + 1, pref_high_try, &hi_rc), 0);
    CHECK_RC(pthread_join(hi, NULL), 0);
    CHECK_RC(hi_rc, 0); /* above every waiting writer: it passes */
    CHECK_RC(pthread_rwlock_rdlock(&pref_l), 0); /* recursion passes */
    CHECK_RC(pthread_rwlock_unlock(&pref_l), 0);
    CHECK_RC(pthread_rwlock_unlock(&pref_l), 0);
    CHECK_RC(pthread_join(w, NULL), 0);
    CHECK_RC(pthread_join(r, NULL), 0);
    CHECK_EQ(pref_writer_at, 1);
    CHECK_EQ(pref_reader_at, 2);
    CHECK_RC(pthread_rwlock_destroy(&pref_l), 0);
}

/* Priority order at a write release (POSIX: blocked threads get the
 * lock in priority order, writers before readers of equal priority):
 * main write-holds; a writer and a reader of main's priority and a
 * writer of lower priority block; main's unlock lets the first writer
 * in, then the reader (above the writer still waiting), then the low
 * writer. */
static pthread_rwlock_t ord_l = PTHREAD_RWLOCK_INITIALIZER;
static int ord_seq, ord_at[3]; /* writer 1, reader, writer 2 */

static void *ord_fn(void *arg)
{
    long who = (long)arg;
    EXPECT((who == 1 ? pthread_rwlock_rdlock(&ord_l)
                     : pthread_rwlock_wrlock(&ord_l)) == 0);
    __atomic_store_n(&ord_at[who],
                     __atomic_add_fetch(&ord_seq, 1, __ATOMIC_ACQ_REL),
                     __ATOMIC_RELEASE);
    ut_sleep_ms(20);
    EXPECT(pthread_rwlock_unlock(&ord_l) == 0);
    return NULL;
}

TEST(rwlock_priority_order_at_release)
{
    int prio = my_prio();
    CHECK(prio > 1 && prio < ut_ceiling);
    ord_seq = ord_at[0] = ord_at[1] = ord_at[2] = 0;
    CHECK_RC(pthread_rwlock_wrlock(&ord_l), 0);
    pthread_t th[3];
    static const char *const what[3] = {"writer 1", "the reader", "writer 2"};
    for (long i = 0; i < 3; i++) {
        CHECK_RC(ut_thread_at(&th[i], SCHED_RR, i == 2 ? prio - 1 : prio,
                              ord_fn, (void *)i),
                 0);
        CHECKF(rw_wait_blocked((int)th[i], "futex"), "%s never blocked",
               what[i]);
    }
    CHECK_RC(pthread_rwlock_unlock(&ord_l), 0);
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(ord_at[0], 1);
    CHECK_EQ(ord_at[1], 2); /* before writer 2, of lower priority */
    CHECK_EQ(ord_at[2], 3);
    CHECK_RC(pthread_rwlock_destroy(&ord_l), 0);
}

/* A waiting writer that times out lets the readers it held back in. */
static void *tw_writer(void *arg)
{
    struct timespec soon = rw_ts_at(rw_rt_ns() + 300 * MS);
    *(int *)arg = pthread_rwlock_timedwrlock(&pref_l, &soon);
    return NULL;
}

TEST(rwlock_writer_timeout_releases_readers)
{
    int prio = my_prio();
    pref_seq = pref_reader_at = 0;
    CHECK_RC(pthread_rwlock_rdlock(&pref_l), 0);
    int wrc = -1;
    pthread_t w, r;
    CHECK_RC(ut_thread_at(&w, SCHED_RR, prio, tw_writer, &wrc), 0);
    CHECKF(rw_wait_blocked((int)w, "futex"), "the writer never blocked");
    CHECK_RC(ut_thread_at(&r, SCHED_RR, prio, pref_reader, NULL), 0);
    CHECK_RC(pthread_join(w, NULL), 0);
    CHECK_RC(wrc, ETIMEDOUT);
    CHECK_RC(pthread_join(r, NULL), 0); /* main still reads: no hang */
    CHECK_EQ(pref_reader_at, 1);
    CHECK_RC(pthread_rwlock_unlock(&pref_l), 0);
    CHECK_RC(pthread_rwlock_trywrlock(&pref_l), 0);
    CHECK_RC(pthread_rwlock_unlock(&pref_l), 0);
}

/* A handled signal interrupts the waiter's sleep: the handler runs, the
 * call waits on (it is retried), and returns 0 once it has the lock. */
static volatile int sig_hits;

static void on_usr1(int s)
{
    (void)s;
    __atomic_add_fetch(&sig_hits, 1, __ATOMIC_RELAXED);
}

static void *sig_writer(void *arg)
{
    int rc = pthread_rwlock_wrlock(arg);
    if (rc == 0)
        EXPECT(pthread_rwlock_unlock(arg) == 0);
    return (void *)(intptr_t)rc;
}

TEST(rwlock_signal_does_not_end_the_wait)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    for (int shared = 0; shared < 2; shared++) {
        pthread_rwlock_t l;
        pthread_rwlockattr_t a;
        CHECK_RC(pthread_rwlockattr_init(&a), 0);
        CHECK_RC(
            pthread_rwlockattr_setpshared(&a, shared ? PTHREAD_PROCESS_SHARED
                                                     : PTHREAD_PROCESS_PRIVATE),
            0);
        CHECK_RC(pthread_rwlock_init(&l, &a), 0);
        CHECK_RC(pthread_rwlockattr_destroy(&a), 0);
        const char *wchan = shared ? "rwlock_w" : "futex";
        CHECK_RC(pthread_rwlock_wrlock(&l), 0);
        pthread_t th;
        CHECK_RC(pthread_create(&th, NULL, sig_writer, &l), 0);
        CHECKF(rw_wait_blocked((int)th, wchan), "the writer never blocked");
        int hits = sig_hits;
        CHECK_RC(pthread_kill(th, SIGUSR1), 0);
        for (int i = 0; i < 4000 && sig_hits == hits; i++)
            ut_sleep_ms(1);
        CHECKF(sig_hits > hits, "the handler never ran");
        CHECKF(rw_wait_blocked((int)th, wchan), "the writer did not wait on");
        CHECK_RC(pthread_rwlock_unlock(&l), 0);
        void *rc = (void *)-1;
        CHECK_RC(pthread_join(th, &rc), 0);
        CHECK_EQ((int)(intptr_t)rc, 0); /* not EINTR */
        CHECK_RC(pthread_rwlock_destroy(&l), 0);
    }
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
}

const struct utest ut_rwlock_tests[] = {
    UT_CASE(rwlock_attr),
    UT_CASE(rwlock_errors),
    UT_CASE(rwlock_timed),
    UT_CASE(rwlock_readers_in_parallel),
    UT_CASE(rwlock_writers_exclusive),
    UT_CASE(rwlock_writer_preference),
    UT_CASE(rwlock_priority_order_at_release),
    UT_CASE(rwlock_writer_timeout_releases_readers),
    UT_CASE(rwlock_signal_does_not_end_the_wait),
    UT_END,
};
