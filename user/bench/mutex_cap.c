/*
 * The mutex_cap row (issue 9): lock + unlock of a kernel mutex object
 * (a process-shared pthread_mutex_t, CAP_TYPE_MUTEX) through a cap that
 * came from another process, uncontended. This process creates the
 * mutex and cap_transfers it to a child ("bench mutex_cap"), which
 * attaches to its slot (keel_mutex_attach), counts instructions around
 * its loop and sends the total back. Each pair is two system calls
 * (SYS_mutex LOCK and UNLOCK): nothing in user space can be shared.
 * Single-threaded on each side: no locks of its own.
 */
#include <keel/cap.h>
#include <keel/obj.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

#define MUTEX_CAP_N 5000

/* Child side: reads the slot, runs the loop, writes the total. */
int mutex_cap_child(void)
{
    int slot;
    pthread_mutex_t m;
    if (read(0, &slot, sizeof(slot)) != (long)sizeof(slot) ||
        keel_mutex_attach(&m, slot))
        return 1;
    pthread_mutex_lock(&m); /* warm up */
    pthread_mutex_unlock(&m);
    uint64_t t0 = instret();
    for (int i = 0; i < MUTEX_CAP_N; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    uint64_t total = instret() - t0;
    return write(1, &total, sizeof(total)) == (long)sizeof(total) ? 0 : 2;
}

void bench_mutex_cap(const char *self)
{
    struct holder h;
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    int err = pthread_mutex_init(&m, &a);
    pthread_mutexattr_destroy(&a);
    if (err || holder_start(self, "mutex_cap", &h)) {
        printf("bench: mutex_cap setup failed\n");
        return;
    }
    cap_token_t tok, del;
    int slot = -1;
    uint64_t total = 0;
    if (cap_get_token(keel_mutex_slot(&m), CAP_TYPE_MUTEX, &tok) ||
        cap_transfer(h.pid, tok, CAP_RIGHT_READ | CAP_RIGHT_WRITE, &del,
                     &slot) ||
        write(h.cmd, &slot, sizeof(slot)) != (long)sizeof(slot) ||
        read(h.ack, &total, sizeof(total)) != (long)sizeof(total))
        printf("bench: mutex_cap failed\n");
    else
        report("mutex_cap", total, MUTEX_CAP_N);
    holder_stop(&h);
    cap_revoke_delegate(del);
    pthread_mutex_destroy(&m);
}
