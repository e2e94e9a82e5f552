/*
 * /bin/spin [N]: N threads (default 4, at most 16) running SCHED_FIFO at
 * the highest priority this process may give (its ceiling), every one
 * spinning forever in user mode. Prints one line once all N spin. It
 * ends only by a signal: the containment tests (docs/realtime.md
 * "Containment of runaway threads", tests/console/contain.scn) start it
 * on every hart and stop it with ^C or the shell's kill.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <keel/sched.h>

#define MAX_SPIN 16

static volatile unsigned long count[MAX_SPIN];

static void *spin(void *arg)
{
    volatile unsigned long *c = arg;
    for (;;)
        (*c)++;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > MAX_SPIN) {
        fprintf(stderr, "usage: spin [N], 1 <= N <= %d\n", MAX_SPIN);
        return 2;
    }
    int ceiling = 0;
    if (keel_pthread_getceiling(pthread_self(), &ceiling)) {
        fprintf(stderr, "spin: no ceiling\n");
        return 1;
    }
    struct sched_param sp = {.sched_priority = ceiling};
    int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    pthread_attr_t at;
    if (!rc)
        rc = pthread_attr_init(&at);
    if (!rc)
        rc = pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    if (!rc)
        rc = pthread_attr_setschedpolicy(&at, SCHED_FIFO);
    if (!rc)
        rc = pthread_attr_setschedparam(&at, &sp);
    for (int i = 1; i < n && !rc; i++) {
        pthread_t th;
        rc = pthread_create(&th, &at, spin, (void *)&count[i]);
    }
    if (rc) {
        fprintf(stderr, "spin: cannot start: error %d\n", rc);
        return 1;
    }
    for (int i = 1; i < n; i++)
        while (!count[i])
            ;
    printf("spin: %d threads at priority %d\n", n, ceiling);
    fflush(stdout);
    spin((void *)&count[0]);
    return 0;
}
