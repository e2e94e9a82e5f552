/*
 * Console output through the UART's transmit interrupt (issue 8 item 3,
 * docs/realtime.md "Console output"): a writer of 64 KiB to the console
 * queues it on the kernel's transmit ring in chunks, sleeps while the
 * ring is full and gives the hart up at a preemption point between
 * chunks; it never holds the hart for the whole write.
 *
 * console_tx_writer_leaves_the_hart: a higher-priority SCHED_FIFO thread
 * sleeps TICK_US at a time and counts the wake-ups it gets while the
 * writer is inside its one 64 KiB write(). On one hart the old kernel
 * (every byte polled out with interrupts off, the whole call run to
 * completion) gave it at most two (one just before the call, one after
 * it returned, before the writer cleared its flag); the test needs
 * MIN_WAKES. The write takes at least 65,536 UART transfers, each a host
 * write by QEMU, so it lasts far longer than MIN_WAKES ticks however
 * loaded the host is (load slows the write as much as the sleeper). The
 * bytes written are CRs: the terminal shows nothing and the harness drops
 * CRs from its log. Output integrity (every byte, in order, with printk
 * lines in their place, and nothing lost at poweroff) is the exec-test
 * exec_console_bulk_order (tests/host/exec/console_bulk.c).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define BULK (64 * 1024)
#define TICK_US 200
#define MIN_WAKES 3

static volatile int writing, stop;
static volatile unsigned wakes_during;

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = {0, TICK_US * 1000};
    while (!stop) {
        nanosleep(&ts, NULL);
        if (writing)
            wakes_during++;
    }
    return NULL;
}

TEST(console_tx_writer_leaves_the_hart)
{
    char *buf = malloc(BULK);
    CHECK(buf != NULL);
    memset(buf, '\r', BULK);
    writing = stop = 0;
    wakes_during = 0;
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = KEEL_PRIO_DEFAULT + 10};
    CHECK_RC(pthread_attr_init(&at), 0);
    CHECK_RC(pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED), 0);
    CHECK_RC(pthread_attr_setschedpolicy(&at, SCHED_FIFO), 0);
    CHECK_RC(pthread_attr_setschedparam(&at, &sp), 0);
    pthread_t th;
    int rc = pthread_create(&th, &at, sleeper, NULL);
    pthread_attr_destroy(&at);
    if (rc)
        free(buf);
    CHECK_RC(rc, 0);
    ut_step("64 KiB to the console");
    writing = 1;
    long n = write(1, buf, BULK);
    writing = 0;
    stop = 1;
    pthread_join(th, NULL);
    free(buf);
    CHECK_EQ(n, BULK);
    CHECKF(wakes_during >= MIN_WAKES,
           "the sleeper woke %u times during the write, expected >= %d",
           wakes_during, MIN_WAKES);
}

const struct utest ut_console_tx_tests[] = {
    UT_CASE(console_tx_writer_leaves_the_hart),
    UT_END,
};
