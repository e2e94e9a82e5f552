/*
 * pthread_setschedprio (issue 9 conformance, POSIX "Scheduling
 * Policies"): the priority changes and the policy stays; a thread that is
 * ready to run goes to the tail of its new priority's list when its
 * priority is raised, keeps its place when it is unchanged, and goes to
 * the head when it is lowered. Also the option macros this area
 * announces (_POSIX_THREADS, _POSIX_THREAD_PRIORITY_SCHEDULING,
 * _POSIX_PRIORITY_SCHEDULING) against sysconf.
 *
 * The queue order is only observable when one hart runs everything, so
 * setprio_queue_position checks it with one hart online (the suite also
 * runs with SMP=1) and only the values on more.
 *
 * Also a thread-creation regression: a new thread started with gp 0, so
 * a signal handled before its first instruction (the entry code sets gp)
 * crashed on its first global (suite pthread_create/14-1 died of SIGSEGV
 * with 4 harts). Mode "thread-gp-signal" (a child, so the old crash is a
 * failed exit status): one hart keeps the new thread queued while the
 * creator directs a signal at it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <keel/sched.h>

#include "utest.h"

/* The order in which the probe threads started (sp_lock-free: one hart). */
static int sp_order[3];
static int sp_next;

static void *sp_probe(void *arg)
{
    int i = __atomic_fetch_add(&sp_next, 1, __ATOMIC_ACQ_REL);
    if (i < 3)
        sp_order[i] = (int)(long)arg;
    return NULL;
}

/* A thread that stays alive, blocked, until the creator unlocks sp_hold_m
 * (so a call on it cannot race its exit, and raising it above the
 * creator cannot starve the creator on one hart). */
static pthread_mutex_t sp_hold_m = PTHREAD_MUTEX_INITIALIZER;
static void *sp_hold(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sp_hold_m);
    pthread_mutex_unlock(&sp_hold_m);
    return NULL;
}

/* Our own policy and priority. */
static int sp_get(pthread_t th, int *policy)
{
    struct sched_param p;
    if (pthread_getschedparam(th, policy, &p))
        return -1;
    return p.sched_priority;
}

TEST(setprio_keeps_policy_and_checks)
{
    pthread_t me = pthread_self();
    int pol0, prio0 = sp_get(me, &pol0);
    CHECK(prio0 > 2);
    struct sched_param sp = {.sched_priority = prio0};
    CHECK_RC(pthread_setschedparam(me, SCHED_FIFO, &sp), 0);
    CHECK_RC(pthread_setschedprio(me, prio0 - 1), 0);
    int pol;
    CHECK_EQ(sp_get(me, &pol), prio0 - 1);
    CHECK_EQ(pol, SCHED_FIFO);
    CHECK_RC(pthread_setschedparam(me, SCHED_RR, &sp), 0);
    CHECK_RC(pthread_setschedprio(me, prio0 - 2), 0);
    CHECK_EQ(sp_get(me, &pol), prio0 - 2);
    CHECK_EQ(pol, SCHED_RR);
    /* Bad priorities change nothing. */
    CHECK_RC(pthread_setschedprio(me, sched_get_priority_min(SCHED_RR) - 1),
             EINVAL);
    CHECK_RC(pthread_setschedprio(me, sched_get_priority_max(SCHED_RR) + 1),
             EINVAL);
    CHECK_EQ(sp_get(me, &pol), prio0 - 2);
    /* Above our ceiling: EPERM (the ceiling is the authority). */
    int ceil = -1;
    CHECK_RC(keel_pthread_getceiling(me, &ceil), 0);
    if (ceil < sched_get_priority_max(SCHED_RR)) {
        CHECK_RC(pthread_setschedprio(me, ceil + 1), EPERM);
        CHECK_EQ(sp_get(me, &pol), prio0 - 2);
    }
    /* Another thread, through its cap; a slot with no thread: ESRCH. */
    pthread_t th;
    CHECK_RC(pthread_mutex_lock(&sp_hold_m), 0);
    CHECK_RC(pthread_create(&th, NULL, sp_hold, NULL), 0);
    int r = pthread_setschedprio(th, prio0 - 1);
    CHECK_RC(pthread_mutex_unlock(&sp_hold_m), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(r, 0);
    CHECK_RC(pthread_setschedprio(th, prio0 - 1), ESRCH);
    CHECK_RC(pthread_setschedparam(me, pol0, &sp), 0);
    CHECK_EQ(sp_get(me, &pol), prio0);
}

/* The two levels the queue tests use, below our ceiling. */
static void sp_levels(int *hi, int *lo)
{
    int ceil = -1;
    CHECK_RC(keel_pthread_getceiling(pthread_self(), &ceil), 0);
    *hi = ceil < 30 ? ceil : 30;
    *lo = *hi - 3;
    CHECK(*lo > 3);
}

TEST(setprio_queue_position)
{
    pthread_t me = pthread_self();
    int pol0, prio0 = sp_get(me, &pol0);
    int hi, lo;
    sp_levels(&hi, &lo);
    long harts = sysconf(_SC_NPROCESSORS_ONLN);
    struct sched_param sp = {.sched_priority = hi};
    /* FIFO at hi: the probes (created at hi too) wait behind us. */
    CHECK_RC(pthread_setschedparam(me, SCHED_FIFO, &sp), 0);
    sp_next = 0;
    pthread_t a, b, c;
    CHECK_RC(pthread_create(&a, NULL, sp_probe, (void *)1L), 0);
    CHECK_RC(pthread_create(&b, NULL, sp_probe, (void *)2L), 0);
    CHECK_RC(pthread_create(&c, NULL, sp_probe, (void *)3L), 0);
    /* With more harts the probes run (and may be gone) at once: only
     * one hart keeps them queued behind us. */
    int gone = harts == 1 ? 0 : ESRCH;
    int r;
#define SP_SET(th, p)                                                          \
    r = pthread_setschedprio(th, p);                                           \
    CHECKF(r == 0 || r == gone, "setschedprio: %d", r)
    /* lowered: the head of lo's list, so b goes before a: [b a] */
    SP_SET(a, lo);
    SP_SET(b, lo);
    /* unchanged: b keeps its place (setschedparam would move it last) */
    SP_SET(b, lo);
    /* raised from below: c goes to the tail: [b a c] */
    SP_SET(c, lo - 1);
    SP_SET(c, lo);
#undef SP_SET
    if (harts == 1) {
        int pol;
        CHECK_EQ(sp_get(a, &pol), lo);
        CHECK_EQ(pol, SCHED_FIFO);
        CHECK_EQ(sp_get(c, &pol), lo);
    }
    /* Step below them all: they run now, in their list's order. */
    CHECK_RC(pthread_setschedprio(me, lo - 2), 0);
    CHECK_RC(pthread_join(a, NULL), 0);
    CHECK_RC(pthread_join(b, NULL), 0);
    CHECK_RC(pthread_join(c, NULL), 0);
    sp.sched_priority = prio0;
    CHECK_RC(pthread_setschedparam(me, pol0, &sp), 0);
    CHECK_EQ(sp_next, 3);
    if (harts == 1) {
        CHECKF(sp_order[0] == 2 && sp_order[1] == 1 && sp_order[2] == 3,
               "ran in the order %d %d %d, expected 2 1 3", sp_order[0],
               sp_order[1], sp_order[2]);
    }
}

/*
 * POSIX XSH 2.8.4, SCHED_FIFO rule 7: a running or runnable thread whose
 * policy or priority is set other than by pthread_setschedprio goes to
 * the tail of its new priority's list, whatever the change; rule 8: one
 * lowered by pthread_setschedprio goes to the head. Every probe and this
 * thread log their number when they get the hart (0: this thread, right
 * after its own call); with one hart the log is the queue order (Keel
 * kept a thread that lowered itself with pthread_setschedparam at the
 * head, and one that set its own unchanged priority in place).
 */
static int sq_log[8];
static int sq_n;

static void sq_mark(int id)
{
    int i = __atomic_fetch_add(&sq_n, 1, __ATOMIC_ACQ_REL);
    if (i < 8)
        sq_log[i] = id;
}

static void *sq_probe(void *arg)
{
    sq_mark((int)(long)arg);
    return NULL;
}

/* A probe with number id, FIFO at prio (created at ours, moved while it
 * waits behind us: to the head of prio's list). */
static int sq_spawn(pthread_t *th, int id, int prio)
{
    int r = pthread_create(th, NULL, sq_probe, (void *)(long)id);
    if (!r)
        r = pthread_setschedprio(*th, prio);
    return r == ESRCH ? 0 : r; /* more harts: it may be gone already */
}

static int sq_set(pthread_t th, int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    int r = pthread_setschedparam(th, SCHED_FIFO, &sp);
    return r == ESRCH ? 0 : r;
}

/* The log so far as digits, "" past its end. */
static const char *sq_str(char *buf)
{
    int n = sq_n < 8 ? sq_n : 8;
    for (int i = 0; i < n; i++)
        buf[i] = (char)('0' + sq_log[i]);
    buf[n] = 0;
    return buf;
}

TEST(setparam_queue_position)
{
    pthread_t me = pthread_self();
    int pol0, prio0 = sp_get(me, &pol0);
    int hi, lo;
    sp_levels(&hi, &lo);
    long harts = sysconf(_SC_NPROCESSORS_ONLN);
    char got[9];
    pthread_t p[4];
    /* 1. Lowered by setschedparam while running: behind probe 1.
     * 2. Its own priority set again, unchanged, while running: behind
     *    probe 2, which was queued behind it at the same priority.
     * 3. Lowered by setschedprio while running: the head, ahead of 3. */
    static const struct {
        int from, setprio;
        const char *want;
    } step[] = {{1, 0, "10"}, {0, 0, "20"}, {1, 1, "03"}};
    for (int k = 0; k < 3; k++) {
        sq_n = 0;
        CHECK_RC(sq_set(me, step[k].from ? hi : lo), 0);
        CHECK_RC(sq_spawn(&p[0], k + 1, lo), 0);
        if (step[k].setprio)
            CHECK_RC(pthread_setschedprio(me, lo), 0);
        else
            CHECK_RC(sq_set(me, lo), 0);
        sq_mark(0);
        CHECK_RC(pthread_setschedprio(me, lo - 2), 0); /* let them all run */
        CHECK_RC(pthread_join(p[0], NULL), 0);
        if (harts == 1)
            CHECKF(!strcmp(sq_str(got), step[k].want), "step %d ran as %s",
                   k + 1, got);
    }
    /* 4. Ready threads: [4]; 5 lowered by setschedparam: [4 5]; 6 too:
     * [4 5 6]; 4 set again unchanged: the tail, [5 6 4]. */
    sq_n = 0;
    CHECK_RC(sq_set(me, hi), 0);
    CHECK_RC(sq_spawn(&p[0], 4, lo), 0);
    CHECK_RC(pthread_create(&p[1], NULL, sq_probe, (void *)5L), 0);
    CHECK_RC(pthread_create(&p[2], NULL, sq_probe, (void *)6L), 0);
    CHECK_RC(sq_set(p[1], lo), 0);
    CHECK_RC(sq_set(p[2], lo), 0);
    CHECK_RC(sq_set(p[0], lo), 0);
    CHECK_RC(pthread_setschedprio(me, lo - 2), 0);
    for (int i = 0; i < 3; i++)
        CHECK_RC(pthread_join(p[i], NULL), 0);
    if (harts == 1)
        CHECKF(!strcmp(sq_str(got), "564"), "ready, setschedparam: %s", got);
    struct sched_param sp = {.sched_priority = prio0};
    CHECK_RC(pthread_setschedparam(me, pol0, &sp), 0);
}

/* The options this area announces, and sysconf's answers for them. */
TEST(setprio_option_macros)
{
#if !defined(_POSIX_THREADS) || !defined(_POSIX_THREAD_PRIORITY_SCHEDULING) || \
    !defined(_POSIX_PRIORITY_SCHEDULING)
    UT_FAIL("a thread or scheduling option macro is not defined");
#else
    CHECK_EQ(sysconf(_SC_THREADS), _POSIX_THREADS);
    CHECK_EQ(sysconf(_SC_THREAD_PRIORITY_SCHEDULING),
             _POSIX_THREAD_PRIORITY_SCHEDULING);
    CHECK_EQ(sysconf(_SC_PRIORITY_SCHEDULING), _POSIX_PRIORITY_SCHEDULING);
#endif
#if !defined(_POSIX_CPUTIME) || !defined(_POSIX_THREAD_CPUTIME)
    UT_FAIL("CPU-time clocks and their timers exist, but are not announced");
#else
    CHECK_EQ(sysconf(_SC_CPUTIME), _POSIX_CPUTIME);
    CHECK_EQ(sysconf(_SC_THREAD_CPUTIME), _POSIX_THREAD_CPUTIME);
#endif
}

static volatile uintptr_t gp_seen;

static void gp_handler(int sig)
{
    (void)sig;
    uintptr_t g;
    __asm__ volatile("mv %0, gp" : "=r"(g));
    gp_seen = g;
}

static void *gp_idle(void *arg)
{
    return arg;
}

static int mode_thread_gp_signal(int argc, char **argv)
{
    (void)argc, (void)argv;
    uintptr_t want;
    __asm__ volatile(".option push\n.option norelax\nla %0, __global_pointer$\n"
                     ".option pop"
                     : "=r"(want));
    struct sigaction sa = {.sa_handler = gp_handler};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL))
        return 2;
    pthread_t th;
    if (pthread_create(&th, NULL, gp_idle, NULL))
        return 3;
    /* Pending before it first runs, with one hart; with more it may run
     * (and be gone: ESRCH, or exit with the signal still pending) first. */
    int k = pthread_kill(th, SIGUSR1);
    if (k && k != ESRCH)
        return 4;
    if (pthread_join(th, NULL))
        return 5;
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1 && gp_seen == 0)
        return 0;
    return gp_seen == want ? 0 : 1;
}

/* pthread_getattr_np (GNU): what a running thread was created with and
 * its present scheduling (suite pthread_attr_setstacksize/2-1 reads the
 * stack size back through it and did not build). */
struct ga_report {
    int rc;
    pthread_attr_t a;
    uintptr_t local;
    int done; /* release-stored once rc, a and local are all written */
    volatile int go;
};

static void *ga_self(void *arg)
{
    struct ga_report *r = arg;
    int here = 0;
    r->local = (uintptr_t)&here;
    r->rc = pthread_getattr_np(pthread_self(), &r->a);
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    /* Bounded: a failed check in the test must not leave it spinning (it
     * would count as a leaked thread and as CPU time in later tests). */
    uint64_t end = ut_now_ns() + 30000000000ull;
    while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) && ut_now_ns() < end)
        sched_yield();
    return NULL;
}

static int ga_on_stack(const pthread_attr_t *a, uintptr_t p)
{
    void *lo;
    size_t sz;
    if (pthread_attr_getstack(a, &lo, &sz))
        return 0;
    return p >= (uintptr_t)lo && p < (uintptr_t)lo + sz;
}

TEST(getattr_np_describes_threads)
{
    pthread_attr_t a;
    int here = 0, v;
    size_t sz;
    CHECK_RC(pthread_getattr_np(pthread_self(), NULL), EINVAL);
    CHECK_RC(pthread_getattr_np(pthread_self(), &a), 0);
    CHECK(ga_on_stack(&a, (uintptr_t)&here));
    CHECK_RC(pthread_attr_getdetachstate(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_CREATE_JOINABLE);
    CHECK_RC(pthread_attr_destroy(&a), 0);
    /* A kernel-mapped stack of 32 KiB (below the default, so the slot maps
     * no more pages: the leak check), a guard, explicit FIFO. */
    static struct ga_report r;
    memset(&r, 0, sizeof(r));
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = 3};
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstacksize(&at, 32 * 1024), 0);
    CHECK_RC(pthread_attr_setguardsize(&at, 8192), 0);
    CHECK_RC(pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED), 0);
    CHECK_RC(pthread_attr_setschedpolicy(&at, SCHED_FIFO), 0);
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), 0);
    pthread_t th;
    CHECK_RC(pthread_create(&th, &at, ga_self, &r), 0);
    uint64_t end = ut_now_ns() + 20000000000ull;
    /* Wait for the whole report, not only local: on several harts main
     * read rc and a before the thread had written them (CI). */
    while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) && ut_now_ns() < end)
        ut_sleep_ms(2);
    CHECK(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
    CHECK_RC(r.rc, 0);
    CHECK(ga_on_stack(&r.a, r.local));
    CHECK_RC(pthread_attr_getstacksize(&r.a, &sz), 0);
    CHECK_EQ(sz, 32 * 1024);
    CHECK_RC(pthread_attr_getguardsize(&r.a, &sz), 0);
    CHECK_EQ(sz, 8192);
    CHECK_RC(pthread_attr_getinheritsched(&r.a, &v), 0);
    CHECK_EQ(v, PTHREAD_EXPLICIT_SCHED);
    CHECK_RC(pthread_attr_getschedpolicy(&r.a, &v), 0);
    CHECK_EQ(v, SCHED_FIFO);
    struct sched_param got;
    CHECK_RC(pthread_attr_getschedparam(&r.a, &got), 0);
    CHECK_EQ(got.sched_priority, 3);
    /* From another thread, after a detach. */
    CHECK_RC(pthread_detach(th), 0);
    CHECK_RC(pthread_getattr_np(th, &a), 0);
    CHECK_RC(pthread_attr_getdetachstate(&a, &v), 0);
    CHECK_EQ(v, PTHREAD_CREATE_DETACHED);
    CHECK(ga_on_stack(&a, r.local));
    __atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
    /* It is gone once its slot names no thread (bounded wait). */
    end = ut_now_ns() + 20000000000ull;
    while (pthread_getattr_np(th, &a) == 0 && ut_now_ns() < end)
        ut_sleep_ms(2);
    CHECK_RC(pthread_getattr_np(th, &a), ESRCH);
    /* The caller's own stack. */
    static char stack[64 * 1024] __attribute__((aligned(16)));
    static struct ga_report r2;
    memset(&r2, 0, sizeof(r2));
    r2.go = 1;
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setstack(&at, stack, sizeof(stack)), 0);
    CHECK_RC(pthread_create(&th, &at, ga_self, &r2), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(r2.rc, 0);
    void *lo;
    CHECK_RC(pthread_attr_getstack(&r2.a, &lo, &sz), 0);
    CHECK(lo == (void *)stack && sz == sizeof(stack));
    CHECK(ga_on_stack(&r2.a, r2.local));
    /* Joined: no thread in the slot any more. */
    CHECK_RC(pthread_getattr_np(th, &a), ESRCH);
}

const struct ut_mode ut_setprio_modes[] = {
    {"thread-gp-signal", mode_thread_gp_signal},
    UT_MODE_END,
};

TEST(thread_signal_before_first_instruction)
{
    for (int i = 0; i < 3; i++) {
        pid_t pid;
        CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "thread-gp-signal", NULL, NULL,
                               NULL),
                 0);
        CHECK_EXITED(ut_wait(pid), 0);
    }
}

const struct utest ut_setprio_tests[] = {
    UT_CASE(thread_signal_before_first_instruction),
    UT_CASE(getattr_np_describes_threads),
    UT_CASE(setprio_keeps_policy_and_checks),
    UT_CASE(setprio_queue_position),
    UT_CASE(setparam_queue_position),
    UT_CASE(setprio_option_macros),
    UT_END,
};
