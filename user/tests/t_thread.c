/*
 * Threads: create/join and their values, mutual exclusion, per-thread
 * errno, pthread_self, running on several harts, scheduling parameters
 * through thread capabilities (token 0 = self), time-slice preemption,
 * the per-process thread limit and join errors.
 *
 * Thread functions use EXPECT (records and goes on), never CHECK.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <keel/sched.h>

#include "utest.h"

/* Mode "threads-exit-together": four threads (main included) meet, then
 * all pthread_exit at once, so the process ends with several threads
 * leaving their harts at the same moment. */
static volatile int exit_arrived;

static void *exit_together(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&exit_arrived, 1, __ATOMIC_SEQ_CST);
    for (long i = 0;
         i < 1000000 && __atomic_load_n(&exit_arrived, __ATOMIC_SEQ_CST) < 4;
         i++)
        if (i > 1000)
            sched_yield();
    pthread_exit(NULL);
}

static int mode_threads_exit_together(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, exit_together, NULL);
    exit_together(NULL);
    return 0;
}

const struct ut_mode ut_thread_modes[] = {
    {"threads-exit-together", mode_threads_exit_together},
    UT_MODE_END,
};

/* Waits (bounded) until *v >= n, yielding; returns 1 if it got there. */
static int wait_for_count(volatile int *v, int n)
{
    for (long i = 0; i < 2000000; i++) {
        if (__atomic_load_n(v, __ATOMIC_ACQUIRE) >= n)
            return 1;
        if (i < 1000)
            sched_yield();
        else
            ut_sleep_ms(1);
    }
    return 0;
}

TEST(compute_longer_than_a_time_slice)
{
    /* Pure user-mode computation for many time slices, alone or not on
     * its hart: preemption must never stop it from making progress. */
    ut_step("spinning 100M iterations in user mode");
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 100000000ul; i++)
        x += i;
    CHECK_EQ(x, 100000000ul * (100000000ul - 1) / 2);
    ut_step("a syscall after the computation");
    CHECK(getpid() > 1);
}

static void *ret_value(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    return (void *)(i * 3 + 1);
}

TEST(thread_create_join_values)
{
    pthread_t th[8];
    for (uintptr_t i = 0; i < 8; i++)
        CHECK_RC(pthread_create(&th[i], NULL, ret_value, (void *)i), 0);
    for (int i = 7; i >= 0; i--) {
        void *v = NULL;
        CHECK_RC(pthread_join(th[i], &v), 0);
        CHECK_EQ((uintptr_t)v, (uintptr_t)i * 3 + 1);
    }
}

static void exit_deep(int depth)
{
    if (depth < 0)
        return;
    if (depth == 0)
        pthread_exit((void *)0x1234);
    exit_deep(depth - 1);
}

static void *exits_early(void *arg)
{
    exit_deep(5);
    return arg; /* not reached */
}

TEST(thread_exit_value)
{
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, exits_early, NULL), 0);
    void *v = NULL;
    CHECK_RC(pthread_join(th, &v), 0);
    CHECK_EQ((uintptr_t)v, 0x1234);
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *count_up(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&counter_lock);
        long c = counter;
        for (volatile int d = 0; d < 3; d++) /* widen the race window */
            ;
        counter = c + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

TEST(thread_mutex_counter)
{
    counter = 0;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, count_up, (void *)20000), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(counter, 80000);
    CHECK_RC(pthread_mutex_trylock(&counter_lock), 0);
    CHECK_RC(pthread_mutex_unlock(&counter_lock), 0);
}

static volatile int errno_done;

static void *errno_thread(void *arg)
{
    int which = (int)(intptr_t)arg;
    static const int want[4] = {EBADF, ENOENT, ESPIPE, EPERM};
    long r;
    errno = 0;
    switch (which) {
    case 0:
        r = close(-1);
        break;
    case 1:
        r = open("/ut_no_such_file", O_RDONLY);
        break;
    case 2:
        r = lseek(1, 0, SEEK_SET);
        break;
    default:
        r = kill(1, 0);
        break;
    }
    int mine = errno;
    __atomic_add_fetch(&errno_done, 1, __ATOMIC_ACQ_REL);
    /* Every thread has set its errno before any checks its own. */
    EXPECT(wait_for_count(&errno_done, 4));
    if (r != -1 || mine != want[which] || errno != want[which])
        UT_FAIL("thread %d: r %ld errno %d then %d, expected %d", which, r,
                mine, errno, want[which]);
    return NULL;
}

TEST(thread_errno_is_per_thread)
{
    errno_done = 0;
    errno = EINTR;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(
            pthread_create(&th[i], NULL, errno_thread, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    /* pthread calls return errors, they never touch errno */
    CHECK_EQ(errno, EINTR);
}

static pthread_t self_seen[4];

static void *record_self(void *arg)
{
    self_seen[(intptr_t)arg] = pthread_self();
    EXPECT(pthread_equal(pthread_self(), pthread_self()));
    return NULL;
}

TEST(thread_self_distinct)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, record_self, (void *)(intptr_t)i),
                 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    pthread_t me = pthread_self();
    for (int i = 0; i < 4; i++) {
        CHECKF(pthread_equal(self_seen[i], th[i]),
               "thread %d: pthread_self %lu, pthread_create gave %lu", i,
               (unsigned long)self_seen[i], (unsigned long)th[i]);
        CHECK(!pthread_equal(self_seen[i], me));
        for (int j = 0; j < i; j++)
            CHECK(!pthread_equal(self_seen[i], self_seen[j]));
    }
}

static volatile int spin_started;
static volatile long spin_iters[4];

static void *busy(void *arg)
{
    int me = (int)(intptr_t)arg;
    __atomic_add_fetch(&spin_started, 1, __ATOMIC_ACQ_REL);
    long i = 0;
    /* Spin without syscalls until all four run (or the cap is hit). */
    while (i < 200000000 &&
           __atomic_load_n(&spin_started, __ATOMIC_ACQUIRE) < 4)
        i++;
    spin_iters[me] = i;
    return NULL;
}

TEST(threads_run_on_several_harts)
{
    struct keel_kstat k;
    CHECK_OK(keel_kstat(&k));
    spin_started = 0;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, busy, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(spin_started, 4);
    CHECK_OK(keel_kstat(&k));
    unsigned want = k.harts_online < 4 ? k.harts_online : 4;
    CHECKF(k.nharts_ran_user >= want,
           "%u of %u harts ran user code, expected at least %u",
           (unsigned)k.nharts_ran_user, (unsigned)k.harts_online, want);
}

static volatile int preempt_flag;

static void *set_flag(void *arg)
{
    preempt_flag = 1;
    return arg;
}

TEST(thread_rr_preemption)
{
    /* Main spins without any syscall until another thread of the same
     * priority has run: on one hart only the timer can make that happen. */
    preempt_flag = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, set_flag, NULL), 0);
    unsigned long i = 0;
    while (!preempt_flag && i < (1ul << 31))
        i++;
    int seen = preempt_flag;
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECKF(seen, "the other thread never ran while main spun %lu times", i);
}

TEST(thread_sched_self)
{
    pthread_t me = pthread_self();
    int policy = -1;
    struct sched_param sp = {0};
    CHECK_RC(pthread_getschedparam(me, &policy, &sp), 0);
    CHECK_EQ(sp.sched_priority, KEEL_PRIO_DEFAULT);
    CHECK_EQ(policy, SCHED_RR);
    sp.sched_priority = KEEL_PRIO_DEFAULT;
    CHECK_RC(pthread_setschedparam(me, SCHED_FIFO, &sp), 0);
    CHECK_RC(pthread_getschedparam(me, &policy, &sp), 0);
    CHECK_EQ(policy, SCHED_FIFO);
    CHECK_EQ(sp.sched_priority, KEEL_PRIO_DEFAULT);
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), 0);
    /* Up to the caller's ceiling, which init's autorun program has at
     * the top (t_sched.c tests lower ceilings and EPERM above them). */
    int ceiling = 0;
    CHECK_RC(keel_pthread_getceiling(me, &ceiling), 0);
    CHECK_EQ(ceiling, ut_ceiling);
    sp.sched_priority = KEEL_PRIO_DEFAULT + 1;
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), 0);
    sp.sched_priority = ceiling;
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), 0);
    sp.sched_priority = KEEL_PRIO_DEFAULT;
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), 0);
    sp.sched_priority = 0;
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), EINVAL);
    sp.sched_priority = KEEL_PRIO_MAX + 1;
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), EINVAL);
    sp.sched_priority = KEEL_PRIO_DEFAULT;
    CHECK_RC(pthread_setschedparam(me, 99, &sp), EINVAL);
    CHECK_RC(pthread_getschedparam(me, &policy, &sp), 0);
    CHECK_EQ(policy, SCHED_RR);
    CHECK_EQ(sp.sched_priority, KEEL_PRIO_DEFAULT);
    for (int i = 0; i < 100; i++)
        CHECK_OK(sched_yield());
}

static volatile int release_flag;

static void *wait_release(void *arg)
{
    for (long i = 0; i < 20000 && !release_flag; i++) {
        if (i < 100)
            sched_yield();
        else
            ut_sleep_ms(1);
    }
    return arg;
}

TEST(thread_sched_other)
{
    release_flag = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, wait_release, NULL), 0);
    int policy = -1;
    struct sched_param sp = {0};
    int r1 = pthread_getschedparam(th, &policy, &sp);
    int inherited = sp.sched_priority;
    sp.sched_priority = 10;
    int r2 = pthread_setschedparam(th, SCHED_FIFO, &sp);
    int r3 = pthread_getschedparam(th, &policy, &sp);
    int low = sp.sched_priority, lowpol = policy;
    sp.sched_priority = 15; /* up again */
    int r4 = pthread_setschedparam(th, SCHED_RR, &sp);
    sp.sched_priority = KEEL_PRIO_DEFAULT + 1;
    int r5 = pthread_setschedparam(th, SCHED_RR, &sp);
    int r6 = pthread_getschedparam(th, &policy, &sp);
    int final = sp.sched_priority;
    release_flag = 1;
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(r1, 0);
    CHECK_EQ(inherited, KEEL_PRIO_DEFAULT);
    CHECK_RC(r2, 0);
    CHECK_RC(r3, 0);
    CHECK_EQ(low, 10);
    CHECK_EQ(lowpol, SCHED_FIFO);
    CHECK_RC(r4, 0);
    CHECK_RC(r5, 0); /* above ours: our ceiling allows it */
    CHECK_RC(r6, 0);
    CHECK_EQ(final, KEEL_PRIO_DEFAULT + 1);
    /* A joined thread is gone. */
    CHECK_RC(pthread_getschedparam(th, &policy, &sp), ESRCH);
}

static void *report_sched(void *arg)
{
    int *out = arg;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &out[0], &sp) == 0)
        out[1] = sp.sched_priority;
    return NULL;
}

TEST(thread_explicit_sched_attr)
{
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED), 0);
    CHECK_RC(pthread_attr_setschedpolicy(&at, SCHED_FIFO), 0);
    struct sched_param sp = {.sched_priority = 12};
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), 0);
    int got[2] = {-1, -1};
    pthread_t th;
    CHECK_RC(pthread_create(&th, &at, report_sched, got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(got[0], SCHED_FIFO);
    CHECK_EQ(got[1], 12);
    sp.sched_priority = KEEL_PRIO_DEFAULT + 5; /* within our ceiling */
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), 0);
    CHECK_RC(pthread_create(&th, &at, report_sched, got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(got[1], KEEL_PRIO_DEFAULT + 5);
    CHECK_RC(pthread_attr_destroy(&at), 0);
}

TEST(thread_limit_eagain)
{
    static pthread_t th[CAP_THREAD_SLOTS];
    release_flag = 0;
    int n = 0, rc = 0;
    while (n < CAP_THREAD_SLOTS &&
           (rc = pthread_create(&th[n], NULL, wait_release, NULL)) == 0)
        n++;
    release_flag = 1;
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    CHECKF(rc == EAGAIN, "thread %d: %s, expected EAGAIN", n + 1,
           ut_errname(rc));
    CHECKF(n >= 16 && n < CAP_THREAD_SLOTS, "%d threads before EAGAIN", n);
    /* The slots are reusable once joined. */
    pthread_t t;
    CHECK_RC(pthread_create(&t, NULL, ret_value, (void *)1), 0);
    CHECK_RC(pthread_join(t, NULL), 0);
}

TEST(thread_join_errors)
{
    CHECK_RC(pthread_join(pthread_self(), NULL), EDEADLK);
    CHECK_RC(pthread_join((pthread_t)(CAP_SLOTS - 1), NULL), ESRCH);
    CHECK_RC(pthread_join((pthread_t)5, NULL), ESRCH); /* an fd slot */
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, ret_value, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), ESRCH);
}

static void *malloc_churn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < 400; i++) {
        size_t len = 1 + (seed * 7919u + (unsigned)i * 104729u) % 3000;
        uint8_t *p = malloc(len);
        if (!p) {
            UT_FAIL("malloc(%lu) failed in a thread", (unsigned long)len);
            return NULL;
        }
        for (size_t j = 0; j < len; j++)
            p[j] = ut_pattern(j, seed);
        sched_yield();
        for (size_t j = 0; j < len; j++)
            if (p[j] != ut_pattern(j, seed)) {
                UT_FAIL("thread %u: heap block corrupted", seed);
                free(p);
                return NULL;
            }
        free(p);
    }
    return NULL;
}

TEST(thread_malloc_concurrent)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, malloc_churn,
                                (void *)(uintptr_t)(i + 1)),
                 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
}

static void *sleeper(void *arg)
{
    uint64_t t0 = ut_now_ns();
    for (int i = 0; i < 3; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        EXPECT(nanosleep(&ts, NULL) == 0);
    }
    uint64_t dt = ut_now_ns() - t0;
    EXPECT(dt >= 60ull * 1000000ull);
    return arg;
}

TEST(thread_sleepers)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, sleeper, NULL), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
}

TEST(thread_caps)
{
    /* Each thread has a CAP_TYPE_THREAD cap in the reserved slots. */
    pthread_t me = pthread_self();
    CHECK((long)me >= CAP_THREAD_SLOT_BASE && (long)me < CAP_SLOTS);
    struct cap_info ci;
    CHECK_OK(cap_info((int)me, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_THREAD);
    release_flag = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, wait_release, NULL), 0);
    int r = cap_info((int)th, &ci);
    int type = ci.type;
    cap_token_t tok = 0;
    int r2 = cap_get_token((int)th, CAP_TYPE_THREAD, &tok);
    release_flag = 1;
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(r, 0);
    CHECK_EQ(type, CAP_TYPE_THREAD);
    CHECK_EQ(r2, 0);
    /* After the thread is gone its cap is too, and the token is stale. */
    CHECK_ERRNO(cap_info((int)th, &ci), EBADF);
    CHECK_ERRNO(cap_drop(tok), EBADF);
}

static int handoff_pipe[2];

static void *pipe_reader(void *arg)
{
    static uint8_t buf[3000];
    long got = ut_read_full(handoff_pipe[0], buf, sizeof(buf));
    if (got != (long)sizeof(buf)) {
        UT_FAIL("reader thread got %ld bytes", got);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != ut_pattern(i, 8)) {
            UT_FAIL("reader thread: byte %lu differs", (unsigned long)i);
            break;
        }
    return arg;
}

TEST(thread_pipe_handoff)
{
    /* A thread blocked reading a pipe is woken by writes from another
     * thread of the same process (1-byte writes: many wake-ups). */
    CHECK_OK(pipe(handoff_pipe));
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, pipe_reader, NULL), 0);
    long bad = -1;
    for (size_t i = 0; i < 3000 && bad < 0; i++) {
        uint8_t c = ut_pattern(i, 8);
        if (write(handoff_pipe[1], &c, 1) != 1)
            bad = (long)i;
    }
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_OK(close(handoff_pipe[0]));
    CHECK_OK(close(handoff_pipe[1]));
    CHECKF(bad < 0, "write %ld failed", bad);
}

/* Regression: a process whose threads all exit at once (its last thread
 * frees the address space while the others are still leaving their
 * harts). Repeated so the race gets a chance; any panic ends the suite. */
TEST(threads_exit_together_storm)
{
    for (int round = 0; round < 60; round++) {
        pid_t pids[3];
        for (int k = 0; k < 3; k++)
            CHECK_RC(ut_spawn_self(&pids[k], NULL, NULL,
                                   "threads-exit-together", NULL, NULL, NULL),
                     0);
        for (int k = 0; k < 3; k++)
            CHECK_EXITED(ut_wait(pids[k]), 0);
    }
}

const struct utest ut_thread_tests[] = {
    UT_CASE(threads_exit_together_storm),
    UT_CASE(compute_longer_than_a_time_slice),
    UT_CASE(thread_create_join_values),
    UT_CASE(thread_exit_value),
    UT_CASE(thread_mutex_counter),
    UT_CASE(thread_errno_is_per_thread),
    UT_CASE(thread_self_distinct),
    UT_CASE(threads_run_on_several_harts),
    UT_CASE(thread_rr_preemption),
    UT_CASE(thread_sched_self),
    UT_CASE(thread_sched_other),
    UT_CASE(thread_explicit_sched_attr),
    UT_CASE(thread_limit_eagain),
    UT_CASE(thread_join_errors),
    UT_CASE(thread_malloc_concurrent),
    UT_CASE(thread_sleepers),
    UT_CASE(thread_caps),
    UT_CASE(thread_pipe_handoff),
    UT_END,
};
