/*
 * Signals to a thread that has not run yet (found by the mixed stress
 * test, t_objstress.c). Single-threaded test code apart from the
 * threads it makes and signals: the counters are atomics.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "utest.h"

/*
 * Found by the stress test: a signal sent to a thread pthread_create has
 * just returned is delivered on the thread's first return to user mode,
 * before its entry code sets gp, and the kernel started threads with
 * gp = 0, so the handler's first gp-relative access faulted (SIGSEGV at
 * -0x578). The handler here touches nothing through gp: it compares gp
 * with __global_pointer$ and counts through pc-relative addresses. On
 * one hart every signal lands before the thread's first instruction.
 */
static volatile int gp_runs, gp_bad;

#define GP_LA(var, sym)                                                        \
    __asm__ volatile(".option push\n.option norelax\nla %0, " sym              \
                     "\n.option pop"                                           \
                     : "=r"(var))

static void gp_handler(int sig)
{
    (void)sig;
    uintptr_t gp, want;
    volatile int *runs, *bad;
    __asm__ volatile("mv %0, gp" : "=r"(gp));
    GP_LA(want, "__global_pointer$");
    GP_LA(runs, "gp_runs");
    GP_LA(bad, "gp_bad");
    if (gp != want)
        __atomic_add_fetch(bad, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(runs, 1, __ATOMIC_RELEASE);
}

static void *gp_thread(void *arg)
{
    long want = (long)arg;
    while (__atomic_load_n(&gp_runs, __ATOMIC_ACQUIRE) < want)
        sched_yield(); /* its own signal: delivered on a return to user */
    return NULL;
}

#define GP_THREADS 24

TEST(sigentry_unstarted_thread_handler_has_gp)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = gp_handler;
    CHECK_OK(sigaction(SIGUSR2, &sa, &old));
    gp_runs = gp_bad = 0;
    for (long i = 0; i < GP_THREADS; i++) {
        pthread_t th;
        CHECK_RC(pthread_create(&th, NULL, gp_thread, (void *)(i + 1)), 0);
        CHECK_RC(pthread_kill(th, SIGUSR2), 0); /* before it ran, often */
        CHECK_RC(pthread_join(th, NULL), 0);
    }
    CHECK_OK(sigaction(SIGUSR2, &old, NULL));
    CHECK_EQ(gp_runs, GP_THREADS);
    CHECKF(gp_bad == 0, "%d of %d handlers ran with the wrong gp", gp_bad,
           GP_THREADS);
}

const struct utest ut_sigentry_tests[] = {
    UT_ISOLATED(sigentry_unstarted_thread_handler_has_gp),
    UT_END,
};
