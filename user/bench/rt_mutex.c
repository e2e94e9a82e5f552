/*
 * /bin/bench: the mutex rows (docs/performance.md, issue 8), all through
 * libc's pthread_mutex_lock/unlock:
 *  - mutex_uncontended: one lock + unlock pair, instructions.
 *  - mutex_handoff: two threads at one priority alternate on one mutex
 *    (a critical section and an outside stretch of HANDOFF_WORK loop
 *    steps each); the row is the mean time from an unlock to the other
 *    thread's lock returning, over the handoffs seen.
 *  - pi_inversion: a priority-10 thread holds a PTHREAD_PRIO_INHERIT
 *    mutex and, once the priority-20 main thread is about to lock it,
 *    works ~PI_CS_NS instructions (row pi_critical_section: the work's
 *    measured length) and unlocks; one priority-15 thread per hart spins
 *    (at most PI_SPIN_NS, so the bench also ends without priority
 *    inheritance). The row is the main thread's wait in lock. Target:
 *    critical section + 20,000.
 * Shared state: the handoff pair's owner and unlock stamp are written
 * only with the mutex held; the flags are atomics.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#ifndef PTHREAD_PRIO_INHERIT
#define PTHREAD_PRIO_INHERIT 1 /* newlib's value */
#endif
/* Weak: a libc without protocol attributes leaves them NULL (the row
 * then measures a default mutex and says so). */
extern int pthread_mutexattr_init(pthread_mutexattr_t *) __attribute__((weak));
extern int pthread_mutexattr_destroy(pthread_mutexattr_t *)
    __attribute__((weak));
extern int pthread_mutexattr_setprotocol(pthread_mutexattr_t *, int)
    __attribute__((weak));

#define HANDOFF_ROUNDS 1000
#define HANDOFF_WORK 200
#define PI_CS_NS 2000000ull      /* the low thread's critical section */
#define PI_SPIN_NS 1000000000ull /* the middle threads' bound */

static void work(uint64_t steps)
{
    for (volatile uint64_t i = 0; i < steps; i++)
        ;
}

static void bench_mutex_uncontended(void)
{
    const int n = 10000;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    report_rt("mutex_uncontended", (instret() - t0) / n);
}

static struct {
    pthread_mutex_t m;
    int owner;        /* last thread to take m (0: none yet); under m */
    uint64_t unlock;  /* when it began to unlock; under m */
    uint64_t sum, nr; /* handoff times; under m */
} ho = {.m = PTHREAD_MUTEX_INITIALIZER};

static void *handoff_thread(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < HANDOFF_ROUNDS; i++) {
        pthread_mutex_lock(&ho.m);
        uint64_t now = fine_ns();
        if (ho.owner && ho.owner != me) {
            ho.sum += now - ho.unlock;
            ho.nr++;
        }
        ho.owner = me;
        work(HANDOFF_WORK);
        ho.unlock = fine_ns();
        pthread_mutex_unlock(&ho.m);
        work(HANDOFF_WORK);
    }
    return NULL;
}

static int create_at(pthread_t *t, int prio, void *(*fn)(void *), void *arg)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_FIFO);
    struct sched_param sp = {.sched_priority = prio};
    pthread_attr_setschedparam(&a, &sp);
    int err = pthread_create(t, &a, fn, arg);
    pthread_attr_destroy(&a);
    return err;
}

static void bench_mutex_handoff(void)
{
    pthread_t t[2];
    ho.owner = 0;
    ho.sum = ho.nr = 0;
    pid_t pacer = rt_pacer_start(false);
    /* Both at the main thread's priority, which waits in join. */
    for (long i = 0; i < 2; i++)
        if (create_at(&t[i], 20, handoff_thread, (void *)(i + 1))) {
            printf("bench: mutex_handoff: thread: %s\n", strerror(errno));
            return;
        }
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    rt_pacer_stop(pacer);
    report_rt("mutex_handoff", ho.nr ? ho.sum / ho.nr : 0);
}

static struct {
    pthread_mutex_t m;
    uint64_t cs_steps;
    volatile int locked, ready, stop;
    uint64_t spin_until;
} pi;

static void *pi_low(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pi.m);
    __atomic_store_n(&pi.locked, 1, __ATOMIC_RELEASE);
    /* The critical section starts when the high thread is about to
     * block (on one hart that is when this thread runs again). */
    while (!__atomic_load_n(&pi.ready, __ATOMIC_ACQUIRE))
        ;
    work(pi.cs_steps);
    pthread_mutex_unlock(&pi.m);
    return NULL;
}

static void *pi_mid(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&pi.stop, __ATOMIC_ACQUIRE) &&
           fine_ns() < pi.spin_until)
        ;
    return NULL;
}

static void bench_pi_inversion(void)
{
    /* The critical section: PI_CS_NS instructions of work(), measured
     * with this thread alone on its hart. */
    const uint64_t probe = 100000;
    uint64_t t0 = instret();
    work(probe);
    uint64_t per = instret() - t0;
    pi.cs_steps = PI_CS_NS * probe / per;
    t0 = instret();
    work(pi.cs_steps);
    uint64_t cs = instret() - t0;

    pthread_mutexattr_t ma, *map = NULL;
    bool inherit =
        pthread_mutexattr_init && pthread_mutexattr_setprotocol &&
        pthread_mutexattr_init(&ma) == 0 &&
        pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT) == 0;
    if (inherit)
        map = &ma;
    else
        printf("bench: pi_inversion: no PTHREAD_PRIO_INHERIT in libc: a "
               "default mutex\n");
    pthread_mutex_init(&pi.m, map);
    if (inherit && pthread_mutexattr_destroy)
        pthread_mutexattr_destroy(&ma);
    pi.locked = pi.ready = pi.stop = 0;

    pthread_t low, mid[8];
    int nmid = 0;
    pid_t pacer = rt_pacer_start(false);
    if (create_at(&low, 10, pi_low, NULL)) {
        printf("bench: pi_inversion: thread: %s\n", strerror(errno));
        return;
    }
    while (!__atomic_load_n(&pi.locked, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
    pi.spin_until = fine_ns() + PI_SPIN_NS;
    for (; nmid < bench_harts && nmid < 8; nmid++)
        if (create_at(&mid[nmid], 15, pi_mid, NULL))
            break;
    uint64_t w0 = fine_ns();
    __atomic_store_n(&pi.ready, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&pi.m);
    uint64_t wait = fine_ns() - w0;
    __atomic_store_n(&pi.stop, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pi.m);
    pthread_join(low, NULL);
    for (int i = 0; i < nmid; i++)
        pthread_join(mid[i], NULL);
    pthread_mutex_destroy(&pi.m);
    rt_pacer_stop(pacer);
    report_rt("pi_critical_section", cs);
    report_rt("pi_inversion", wait);
}

void bench_rt_mutex(void)
{
    if (rt_selected("mutex_uncontended"))
        bench_mutex_uncontended();
    if (rt_selected("mutex_handoff"))
        bench_mutex_handoff();
    if (rt_selected("pi_"))
        bench_pi_inversion();
}
