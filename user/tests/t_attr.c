/*
 * Thread attributes (issue 9 item 6): every pthread_attr_* default, setter
 * and error; a thread on a caller-supplied stack (pthread_attr_setstack)
 * really runs there; PTHREAD_INHERIT_SCHED takes the creator's policy and
 * priority whatever the attribute's own say; detached threads; the guard
 * below a kernel-mapped stack stops an overflow (the process dies of
 * SIGSEGV); pthread_equal and the concurrency hint.
 *
 * Thread functions use EXPECT (records and goes on), never CHECK.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

TEST(attr_defaults_and_errors)
{
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    int v = -1;
    size_t sz = 0;
    void *addr = &v;
    CHECK_RC(pthread_attr_getdetachstate(&at, &v), 0);
    CHECK_EQ(v, PTHREAD_CREATE_JOINABLE);
    CHECK_RC(pthread_attr_getscope(&at, &v), 0);
    CHECK_EQ(v, PTHREAD_SCOPE_SYSTEM);
    CHECK_RC(pthread_attr_getinheritsched(&at, &v), 0);
    CHECK_EQ(v, PTHREAD_INHERIT_SCHED);
    CHECK_RC(pthread_attr_getstacksize(&at, &sz), 0);
    CHECK_EQ(sz, KEEL_THREAD_STACK_DEFAULT);
    CHECK_RC(pthread_attr_getguardsize(&at, &sz), 0);
    CHECK_EQ(sz, 4096);
    CHECK_RC(pthread_attr_getstack(&at, &addr, &sz), 0);
    CHECK(addr == NULL);

    /* Each setter refuses what POSIX names as invalid. */
    CHECK_RC(pthread_attr_setdetachstate(&at, 7), EINVAL);
    CHECK_RC(pthread_attr_setscope(&at, PTHREAD_SCOPE_PROCESS), ENOTSUP);
    CHECK_RC(pthread_attr_setscope(&at, 99), EINVAL);
    CHECK_RC(pthread_attr_setscope(&at, PTHREAD_SCOPE_SYSTEM), 0);
    CHECK_RC(pthread_attr_setinheritsched(&at, 5), EINVAL);
    CHECK_RC(pthread_attr_setschedpolicy(&at, 77), EINVAL);
    struct sched_param sp = {.sched_priority = KEEL_PRIO_MAX + 1};
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), EINVAL);
    sp.sched_priority = 0;
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), EINVAL);
    CHECK_RC(pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN - 1), EINVAL);
    CHECK_RC(pthread_attr_setstacksize(&at, KEEL_THREAD_STACK_MAX + 1), EINVAL);
    CHECK_RC(pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN), 0);
    CHECK_RC(pthread_attr_getstacksize(&at, &sz), 0);
    CHECK_EQ(sz, PTHREAD_STACK_MIN);
    static char stk[PTHREAD_STACK_MIN] __attribute__((aligned(16)));
    CHECK_RC(pthread_attr_setstack(&at, stk, PTHREAD_STACK_MIN - 16), EINVAL);
    CHECK_RC(pthread_attr_setstack(&at, NULL, PTHREAD_STACK_MIN), EINVAL);
    CHECK_RC(pthread_attr_setstack(&at, stk + 1, PTHREAD_STACK_MIN - 16),
             EINVAL);
    CHECK_RC(pthread_attr_setstack(&at, stk, sizeof(stk)), 0);
    CHECK_RC(pthread_attr_getstack(&at, &addr, &sz), 0);
    CHECK(addr == stk);
    CHECK_EQ(sz, sizeof(stk));
    CHECK_RC(pthread_attr_setguardsize(&at, 3 * 4096 + 1), 0);
    CHECK_RC(pthread_attr_getguardsize(&at, &sz), 0);
    CHECK_EQ(sz, 3 * 4096 + 1);
    CHECK_RC(pthread_attr_setguardsize(&at, 0), 0);

    /* A destroyed attribute object is refused by every call. */
    CHECK_RC(pthread_attr_destroy(&at), 0);
    CHECK_RC(pthread_attr_destroy(&at), EINVAL);
    CHECK_RC(pthread_attr_getscope(&at, &v), EINVAL);
    CHECK_RC(pthread_attr_setscope(&at, PTHREAD_SCOPE_SYSTEM), EINVAL);
    CHECK_RC(pthread_attr_setguardsize(&at, 4096), EINVAL);
    CHECK_RC(pthread_attr_getguardsize(&at, &sz), EINVAL);
    CHECK_RC(pthread_attr_setstack(&at, stk, sizeof(stk)), EINVAL);
    CHECK_RC(pthread_attr_getstack(&at, &addr, &sz), EINVAL);
    CHECK_RC(pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED), EINVAL);
    pthread_t th;
    CHECK_RC(pthread_create(&th, &at, (void *(*)(void *))0x1, NULL), EINVAL);
}

/* Records the address of one of its locals and the stack it was given. */
static void *where_am_i(void *arg)
{
    volatile char local = 1;
    *(uintptr_t *)arg = (uintptr_t)&local;
    return (void *)(uintptr_t)local;
}

TEST(attr_setstack_runs_on_it)
{
    const size_t size = 64 * 1024;
    char *mem = malloc(size + 16);
    CHECK(mem != NULL);
    char *stk = (char *)(((uintptr_t)mem + 15) & ~(uintptr_t)15);
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstack(&at, stk, size), 0);
    for (int i = 0; i < 3; i++) { /* reuse: slots and stacks come back */
        uintptr_t got = 0;
        pthread_t th;
        void *ret = NULL;
        CHECK_RC(pthread_create(&th, &at, where_am_i, &got), 0);
        CHECK_RC(pthread_join(th, &ret), 0);
        CHECK_EQ((uintptr_t)ret, 1);
        CHECKF(got >= (uintptr_t)stk && got < (uintptr_t)stk + size,
               "local at %#lx, stack [%p, %p)", (unsigned long)got, stk,
               stk + size);
    }
    /* Without setstack the thread runs on a stack the kernel mapped, far
     * from the heap. */
    uintptr_t got = 0;
    pthread_t th;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_create(&th, &at, where_am_i, &got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK(got != 0 && (got < (uintptr_t)mem || got > (uintptr_t)mem + size));
    free(mem);
}

/* posix_memalign (newlib declares it without building it): aligned
 * memory, the errors, and a page-aligned block as a thread's stack. */
TEST(attr_posix_memalign_stack)
{
    void *p = NULL;
    CHECK_RC(posix_memalign(&p, 3, 64), EINVAL);
    CHECK_RC(posix_memalign(&p, 4, 64), EINVAL); /* below sizeof(void *) */
    CHECK_RC(posix_memalign(&p, 4096 + 8, 64), EINVAL);
    CHECK(p == NULL);
    CHECK_RC(posix_memalign(&p, (size_t)1 << 40, 64), ENOMEM);
    for (size_t al = 8; al <= 65536; al <<= 1) {
        CHECK_RC(posix_memalign(&p, al, 100), 0);
        CHECKF(((uintptr_t)p & (al - 1)) == 0, "%p not aligned to %lu", p,
               (unsigned long)al);
        memset(p, 0x5a, 100);
        free(p);
    }
    CHECK_RC(posix_memalign(&p, 4096, 0), 0);
    free(p);
    void *stk = NULL;
    CHECK_RC(posix_memalign(&stk, 4096, PTHREAD_STACK_MIN * 4), 0);
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstack(&at, stk, PTHREAD_STACK_MIN * 4), 0);
    uintptr_t got = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, &at, where_am_i, &got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    free(stk);
    CHECK(got >= (uintptr_t)stk &&
          got < (uintptr_t)stk + PTHREAD_STACK_MIN * 4);
}

static void *report_sched(void *arg)
{
    int *out = arg;
    struct sched_param sp;
    EXPECT(pthread_getschedparam(pthread_self(), &out[0], &sp) == 0);
    out[1] = sp.sched_priority;
    return NULL;
}

TEST(attr_inheritsched_takes_the_creators)
{
    int pol0;
    struct sched_param sp0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    struct sched_param mine = {.sched_priority = 11};
    CHECK_RC(pthread_setschedparam(pthread_self(), SCHED_FIFO, &mine), 0);
    pthread_attr_t at;
    int got[2] = {-1, -1};
    pthread_t th;
    int rc = pthread_attr_init(&at);
    /* The attribute's own policy and priority are ignored when inheriting. */
    struct sched_param other = {.sched_priority = 14};
    if (rc == 0)
        rc = pthread_attr_setschedpolicy(&at, SCHED_RR);
    if (rc == 0)
        rc = pthread_attr_setschedparam(&at, &other);
    if (rc == 0)
        rc = pthread_create(&th, &at, report_sched, got);
    if (rc == 0)
        rc = pthread_join(th, NULL);
    int rc2 = pthread_setschedparam(pthread_self(), pol0, &sp0);
    CHECK_RC(rc, 0);
    CHECK_RC(rc2, 0);
    CHECK_EQ(got[0], SCHED_FIFO);
    CHECK_EQ(got[1], 11);
    /* EXPLICIT: the attribute's. */
    CHECK_RC(pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED), 0);
    CHECK_RC(pthread_create(&th, &at, report_sched, got), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(got[0], SCHED_RR);
    CHECK_EQ(got[1], 14);
}

static sem_t detached_ran;

static void *detached_fn(void *arg)
{
    (void)arg;
    sem_post(&detached_ran);
    return NULL;
}

/* Our process's live threads (its procinfo row): -1 if not found. */
static int own_threads(void)
{
    struct keel_procinfo pi;
    for (int i = 0; keel_procinfo(i, &pi) == 1; i++)
        if (pi.pid == getpid())
            return pi.nthreads;
    return -1;
}

TEST(attr_detached_and_detach)
{
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    int n0 = own_threads();
    CHECK(n0 >= 1);
    CHECK_OK(sem_init(&detached_ran, 0, 0));
    pthread_attr_t at;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED), 0);
    int v;
    CHECK_RC(pthread_attr_getdetachstate(&at, &v), 0);
    CHECK_EQ(v, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    /* Waited for by what it does, not by a count of yields (under load
     * its hart may not run for a while: it once missed 20000). */
    CHECK_RC(pthread_create(&th, &at, detached_fn, NULL), 0);
    CHECK_OK(sem_wait(&detached_ran));
    /* A joinable thread detached afterwards frees itself too. */
    CHECK_RC(pthread_create(&th, NULL, detached_fn, NULL), 0);
    CHECK_RC(pthread_detach(th), 0);
    CHECK_OK(sem_wait(&detached_ran));
    ut_step("both have left the process (its procinfo row)");
    while (own_threads() != n0)
        ut_sleep_ms(1); /* the watchdog ends a thread that never exits */
    /* Both slots come back without a join. */
    CHECKF(ut_kstat_settle(&k0, &k1) == 0, "threads in use %u, expected %u",
           k1.threads_in_use, k0.threads_in_use);
    CHECK_OK(sem_destroy(&detached_ran));
    CHECK(pthread_equal(pthread_self(), pthread_self()));
    CHECK(!pthread_equal(pthread_self(), th));
}

TEST(attr_concurrency_hint)
{
    int old = pthread_getconcurrency();
    CHECK_RC(pthread_setconcurrency(-1), EINVAL);
    CHECK_RC(pthread_setconcurrency(4), 0);
    CHECK_EQ(pthread_getconcurrency(), 4);
    CHECK_RC(pthread_setconcurrency(old), 0);
    CHECK_EQ(pthread_getconcurrency(), old);
}

/* Mode "attr-overflow": a thread with the smallest kernel-mapped stack
 * recurses without end; the guard must stop it with SIGSEGV. */
static volatile int recurse_limit = 1 << 30; /* never reached */

static int recurse(volatile char *prev, int depth)
{
    volatile char buf[256];
    buf[0] = (char)depth;
    buf[255] = prev ? prev[0] : 0;
    if (depth >= recurse_limit)
        return 0;
    return recurse(buf, depth + 1) + buf[255];
}

static void *overflow(void *arg)
{
    (void)arg;
    return (void *)(long)recurse(NULL, 0);
}

static int mode_attr_overflow(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_attr_t at;
    pthread_t th;
    if (pthread_attr_init(&at) ||
        pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN) ||
        pthread_create(&th, &at, overflow, NULL))
        return 2;
    pthread_join(th, NULL);
    return 3; /* the overflow was not stopped */
}

const struct ut_mode ut_attr_modes[] = {
    {"attr-overflow", mode_attr_overflow},
    UT_MODE_END,
};

TEST(attr_stack_overflow_hits_the_guard)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "attr-overflow", NULL, NULL, NULL),
             0);
    int st = ut_wait(pid);
    CHECK_SIGNALED(st, SIGSEGV);
}

const struct utest ut_attr_tests[] = {
    UT_CASE(attr_defaults_and_errors),
    UT_CASE(attr_setstack_runs_on_it),
    UT_CASE(attr_posix_memalign_stack),
    UT_CASE(attr_inheritsched_takes_the_creators),
    UT_CASE(attr_detached_and_detach),
    UT_CASE(attr_concurrency_hint),
    UT_CASE(attr_stack_overflow_hits_the_guard),
    UT_END,
};
