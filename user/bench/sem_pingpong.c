/*
 * The sem_pingpong row (issue 9): two threads of one process hand two
 * semaphores back and forth (the main thread posts `ping` and waits on
 * `pong`, the partner waits on `ping` and posts `pong`), so every
 * handoff is one sem_post that wakes the other thread and one sem_wait
 * that blocks until it answers: two system calls and a switch. Reported
 * per handoff (two per round). One hart: both threads at the default
 * priority, so a post only makes the other thread ready and the wait
 * that follows switches to it. The semaphores are the only shared state.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include "bench.h"

static sem_t ping, pong;
static int rounds;

static void *partner(void *arg)
{
    (void)arg;
    for (int i = 0; i < rounds; i++) {
        sem_wait(&ping);
        sem_post(&pong);
    }
    return NULL;
}

void bench_sem_pingpong(void)
{
    const int n = 2000;
    if (sem_init(&ping, 0, 0) || sem_init(&pong, 0, 0)) {
        printf("bench: sem_pingpong: sem_init failed\n");
        return;
    }
    rounds = n + 10;
    pthread_t t;
    if (pthread_create(&t, NULL, partner, NULL)) {
        printf("bench: sem_pingpong: pthread_create failed\n");
        return;
    }
    for (int i = 0; i < 10; i++) { /* warm up: both threads in the loop */
        sem_post(&ping);
        sem_wait(&pong);
    }
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        sem_post(&ping);
        sem_wait(&pong);
    }
    uint64_t total = instret() - t0;
    pthread_join(t, NULL);
    sem_destroy(&ping);
    sem_destroy(&pong);
    report("sem_pingpong", total, 2ull * n);
}
