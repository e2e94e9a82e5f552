/*
 * /bin/bench: the pacer, which keeps QEMU's turns between harts short on
 * a machine of several harts (docs/performance.md, "Four harts").
 *
 * Under -icount QEMU runs the harts in turn on one host thread; each
 * turn lasts up to the time to the next virtual timer event divided by
 * the number of harts, and an interrupt or IPI raised for a hart waits
 * until its turn comes. With every hart busy and no timer due soon, a
 * woken thread on another hart waits 10 ms (a SCHED_RR slice end) or
 * 100 ms (QEMU's own kick timer). The pacer is `bench pacer`: a process
 * at PACER_PRIO (below the measuring thread, above every load) whose
 * threads sleep to the absolute times k ms + phase, one thread per phase
 * in pacer_phases_us: so a timer is always due within a few µs of each
 * deadline of the wake-up rows (and within 128 µs at any time), and a
 * turn lasts at most a quarter of that. Its cost is in the 4-hart column:
 * one short wake-up per phase per ms, spread over the harts.
 * Each thread only reads its own phase: no shared state, no locks.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define PACER_PRIO 19

static const unsigned pacer_phases_us[] = {
    4,  6,  8,  10, 12,  14,  16,  18,  20,  24,  28,  32,  40,   48,
    56, 64, 80, 96, 128, 192, 256, 384, 512, 640, 768, 896, 1000,
};
#define PACER_N (sizeof(pacer_phases_us) / sizeof(pacer_phases_us[0]))

static void *pacer_thread(void *arg)
{
    uint64_t phase = (uint64_t)(uintptr_t)arg * 1000ull;
    for (;;) {
        /* The next k ms + phase still ahead (a late wake-up skips). */
        uint64_t now = fine_ns();
        uint64_t k = now > phase ? (now - phase) / RT_PERIOD_NS + 1 : 0;
        sleep_until_ns(k * RT_PERIOD_NS + phase);
    }
    return NULL;
}

int rt_pacer_main(void)
{
    bench_clock_calibrate();
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_FIFO);
    struct sched_param sp = {.sched_priority = PACER_PRIO};
    pthread_attr_setschedparam(&a, &sp);
    pthread_attr_setstacksize(&a, 16384);
    for (unsigned i = 1; i < PACER_N; i++) {
        pthread_t t;
        if (pthread_create(&t, &a, pacer_thread,
                           (void *)(uintptr_t)pacer_phases_us[i]))
            printf("bench: pacer: thread %u not started\n", i);
    }
    set_self_prio(PACER_PRIO);
    pacer_thread((void *)(uintptr_t)pacer_phases_us[0]);
    return 0;
}

pid_t rt_pacer_start(bool always)
{
    pid_t pid;
    if (bench_harts < 2 && !always)
        return 0;
    if (spawn_self("pacer", NULL, PACER_PRIO, &pid)) {
        printf("bench: pacer not started\n");
        return 0;
    }
    return pid;
}

void rt_pacer_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
