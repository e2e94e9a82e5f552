/*
 * The signal_roundtrip row (issue 9): kill of the calling process with
 * SIGUSR1, its handler, sigreturn, per round trip: the kill syscall, the
 * delivery on its way back to user mode (frame written on the stack),
 * the handler's call and return to the restorer, and SYS_sigreturn
 * checking and restoring the frame. One thread, no lock.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

static volatile int hits;

static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

void bench_signal_roundtrip(void)
{
    const int n = 2000;
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, &old) < 0) {
        printf("bench: sigaction failed\n");
        return;
    }
    pid_t self = getpid();
    kill(self, SIGUSR1); /* warm up */
    hits = 0;
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++)
        kill(self, SIGUSR1);
    uint64_t total = instret() - t0;
    sigaction(SIGUSR1, &old, NULL);
    if (hits != n) {
        printf("bench: signal_roundtrip: %d handler runs, not %d\n", hits, n);
        return;
    }
    report("signal_roundtrip", total, n);
}
