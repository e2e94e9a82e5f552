/*
 * Global fixed-priority placement (issue 8 item 4, docs/realtime.md
 * "Placement on several harts"): on N harts the N highest-priority ready
 * threads run. The debug kernel samples placement on every keel_kstat
 * call (kernel/sched/place_check.c): a sample is quiet when no hart is in
 * the middle of a placement step and no reschedule request is in flight,
 * and in a quiet sample no queued thread may outrank a running one.
 *
 * place_invariant_sampled_under_load: LOAD threads at priorities
 * 21..26 (FIFO and RR) spin for a while and sleep or yield for a while,
 * and some lower and raise their own priority by 4 as they run, so
 * threads keep waking, preempting, being requeued and being pulled on
 * every hart; the
 * test's own thread (FIFO 40, above them all) takes samples until it has
 * QUIET_WANT quiet ones (or MAX_SAMPLES in all) and checks that none was
 * a violation. Transient states are excused by the kernel's own
 * bookkeeping, not by timing, so host load only makes quiet samples
 * rarer; it cannot make a correct placement fail. The release kernel has
 * no sampler (the counts stay 0): there the test only runs the load.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define LOAD 10
#define QUIET_WANT 400
#define MAX_SAMPLES 40000

static volatile int load_stop;
static volatile unsigned long load_rounds[LOAD];

static void *load_main(void *arg)
{
    long i = (long)arg;
    struct timespec ts = {0, (50 + 37 * i) * 1000};
    unsigned long spin = 20000 + 15000 * (unsigned long)(i % 5);
    int policy;
    struct sched_param sp;
    pthread_getschedparam(pthread_self(), &policy, &sp);
    int base = sp.sched_priority;
    while (!load_stop) {
        for (volatile unsigned long k = 0; k < spin; k++)
            ;
        if (i % 4 == 1) {
            /* lower itself and go on running, then rise again: its hart
             * must pull any better thread at once, and give it back */
            sp.sched_priority = base - 4;
            pthread_setschedparam(pthread_self(), policy, &sp);
            for (volatile unsigned long k = 0; k < spin; k++)
                ;
            sp.sched_priority = base;
            pthread_setschedparam(pthread_self(), policy, &sp);
        }
        if (i % 3 == 2)
            sched_yield();
        else
            nanosleep(&ts, NULL);
        load_rounds[i]++;
    }
    return NULL;
}

TEST(place_invariant_sampled_under_load)
{
    pthread_t me = pthread_self();
    int policy;
    struct sched_param old, sp = {.sched_priority = 40};
    CHECK_RC(pthread_getschedparam(me, &policy, &old), 0);
    CHECK_RC(pthread_setschedparam(me, SCHED_FIFO, &sp), 0);
    load_stop = 0;
    pthread_t th[LOAD];
    int n = 0, rc = 0;
    for (; n < LOAD && !rc; n++) {
        pthread_attr_t at;
        struct sched_param lp = {.sched_priority = 21 + n % 6};
        rc = pthread_attr_init(&at);
        if (!rc)
            rc = pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
        if (!rc)
            rc =
                pthread_attr_setschedpolicy(&at, n % 2 ? SCHED_RR : SCHED_FIFO);
        if (!rc)
            rc = pthread_attr_setschedparam(&at, &lp);
        if (!rc)
            rc = pthread_create(&th[n], &at, load_main, (void *)(long)n);
        pthread_attr_destroy(&at);
        if (rc)
            break;
    }
    struct timespec nap = {0, 100 * 1000};
    struct keel_kstat k0, k;
    int kr = keel_kstat(&k0);
    k = k0;
    ut_step("sampling");
    for (int s = 0; !kr && s < MAX_SAMPLES; s++) {
        /* between samples, a moment in user mode, and now and then a
         * sleep: the load moves (on one hart it runs only then) */
        for (volatile int d = 0; d < 2000; d++)
            ;
        if (s % 4 == 3)
            nanosleep(&nap, NULL);
        kr = keel_kstat(&k);
        if (k.place_quiet - k0.place_quiet >= QUIET_WANT ||
            k.place_samples == k0.place_samples)
            break; /* enough, or no sampler (release kernel) */
    }
    load_stop = 1;
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_setschedparam(me, policy, &old);
    CHECK_RC(rc, 0);
    CHECK_EQ(kr, 0);
    unsigned long rounds = 0;
    for (int i = 0; i < LOAD; i++)
        rounds += load_rounds[i] != 0;
    if (k.place_samples == k0.place_samples)
        return; /* the release kernel: no sampler */
    CHECKF(k.place_violations == k0.place_violations,
           "%llu of %llu quiet samples (%llu in all) had a queued thread "
           "above a running one",
           (unsigned long long)(k.place_violations - k0.place_violations),
           (unsigned long long)(k.place_quiet - k0.place_quiet),
           (unsigned long long)(k.place_samples - k0.place_samples));
    CHECKF(k.place_quiet > k0.place_quiet, "no quiet sample in %llu",
           (unsigned long long)(k.place_samples - k0.place_samples));
    CHECK(rounds > 0);
}

const struct utest ut_place_tests[] = {
    UT_CASE(place_invariant_sampled_under_load),
    UT_END,
};
