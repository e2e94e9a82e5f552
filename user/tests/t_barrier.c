/*
 * POSIX barriers on kernel barriers (issue 9 items 2-4: pthread_barrier*,
 * libc/src/barrier.c, kernel/sync/kbarrier.c): attributes and their
 * errors, EINVAL for a count of 0, EBUSY while a thread waits, exactly
 * one PTHREAD_BARRIER_SERIAL_THREAD per cycle over many cycles with 4
 * threads, a count of 1, a process-shared barrier between two processes
 * through spawn inheritance and through cap_transfer, EACCES for a
 * READ-only cap (which may still query), revoke while blocked (EBADF, and
 * the waiter is no longer counted), a waiter in a signal handler (still
 * counted: it continues from a cycle completed meanwhile, else resumes
 * waiting counted once; counted out if it exits there), and wrong-type
 * and stale slots.
 * Thread functions use EXPECT, never CHECK; no time limits.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <keel/barrier.h>

#include "t_sem.h"
#include "utest.h"

TEST(barrier_attr_and_errors)
{
    pthread_barrierattr_t a;
    int ps = -1;
    CHECK_RC(pthread_barrierattr_init(&a), 0);
    CHECK_RC(pthread_barrierattr_getpshared(&a, &ps), 0);
    CHECK_EQ(ps, PTHREAD_PROCESS_PRIVATE);
    CHECK_RC(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_RC(pthread_barrierattr_getpshared(&a, &ps), 0);
    CHECK_EQ(ps, PTHREAD_PROCESS_SHARED);
    CHECK_RC(pthread_barrierattr_setpshared(&a, 7), EINVAL);
    CHECK_RC(pthread_barrierattr_getpshared(&a, NULL), EINVAL);
    pthread_barrier_t b;
    CHECK_RC(pthread_barrier_init(&b, &a, 0), EINVAL);
    CHECK_RC(pthread_barrier_init(&b, &a, 3), 0);
    struct cap_info ci;
    CHECK_OK(cap_info(keel_barrier_slot(&b), &ci));
    CHECK_EQ(ci.type, CAP_TYPE_BARRIER);
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
    unsigned cnt = 0, w = 9;
    CHECK_RC(keel_barrier_query(&b, &cnt, &w), 0);
    CHECK_EQ(cnt, 3);
    CHECK_EQ(w, 0);
    CHECK_RC(pthread_barrier_destroy(&b), 0);
    CHECK_RC(pthread_barrier_destroy(&b), EINVAL);
    CHECK_RC(pthread_barrier_wait(&b), EINVAL);
    CHECK_RC(pthread_barrierattr_destroy(&a), 0);
    CHECK_RC(pthread_barrierattr_destroy(&a), EINVAL);
    CHECK_RC(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED),
             EINVAL);
    CHECK_RC(pthread_barrier_init(&b, &a, 2), EINVAL); /* destroyed attr */
    CHECK_RC(pthread_barrier_init(&b, NULL, 2), 0);
    CHECK_OK(cap_info(keel_barrier_slot(&b), &ci));
    CHECK_EQ(ci.rights, CAP_RIGHT_READ | CAP_RIGHT_WRITE);
    CHECK_RC(pthread_barrier_destroy(&b), 0);
    CHECK_EQ(keel_syscall6(SYS_barrier, 77, 0, 0, 0, 0, 0), -EINVAL);
    CHECK_EQ(keel_syscall6(SYS_barrier, KEEL_BARRIER_CREATE, 0, 2, 0x8, 0, 0),
             -EINVAL);
}

TEST(barrier_count_one)
{
    pthread_barrier_t b;
    CHECK_RC(pthread_barrier_init(&b, NULL, 1), 0);
    for (int i = 0; i < 5; i++)
        CHECK_RC(pthread_barrier_wait(&b), PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK_RC(pthread_barrier_destroy(&b), 0);
}

#define CYC_THREADS 4
#define CYC_ROUNDS 60

static pthread_barrier_t cyc_bar;
static volatile int cyc_arrived[CYC_ROUNDS];
static volatile int cyc_serial[CYC_ROUNDS];

static void *cyc_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < CYC_ROUNDS; r++) {
        __atomic_add_fetch(&cyc_arrived[r], 1, __ATOMIC_ACQ_REL);
        int rc = pthread_barrier_wait(&cyc_bar);
        EXPECT(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_add_fetch(&cyc_serial[r], 1, __ATOMIC_ACQ_REL);
        /* Nobody leaves a cycle before all have arrived. */
        EXPECT(__atomic_load_n(&cyc_arrived[r], __ATOMIC_ACQUIRE) ==
               CYC_THREADS);
        if (r & 1)
            sched_yield();
    }
    return NULL;
}

TEST(barrier_cycles_one_serial_each)
{
    CHECK_RC(pthread_barrier_init(&cyc_bar, NULL, CYC_THREADS), 0);
    for (int r = 0; r < CYC_ROUNDS; r++)
        cyc_arrived[r] = cyc_serial[r] = 0;
    pthread_t th[CYC_THREADS];
    for (int i = 0; i < CYC_THREADS; i++)
        CHECK_RC(pthread_create(&th[i], NULL, cyc_worker, NULL), 0);
    for (int i = 0; i < CYC_THREADS; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    for (int r = 0; r < CYC_ROUNDS; r++) {
        CHECK_EQ(cyc_arrived[r], CYC_THREADS);
        CHECKF(cyc_serial[r] == 1, "cycle %d had %d serial threads", r,
               cyc_serial[r]);
    }
    CHECK_RC(pthread_barrier_destroy(&cyc_bar), 0);
}

static pthread_barrier_t busy_bar;

static void *busy_waiter(void *arg)
{
    int *rc = arg;
    *rc = pthread_barrier_wait(&busy_bar);
    return NULL;
}

TEST(barrier_destroy_busy)
{
    CHECK_RC(pthread_barrier_init(&busy_bar, NULL, 2), 0);
    static int rc = -1;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, busy_waiter, &rc), 0);
    CHECKF(sem_wait_sleepers(0, "barrier_wait", 1), "the waiter never slept");
    unsigned w = 0;
    CHECK_RC(keel_barrier_query(&busy_bar, NULL, &w), 0);
    CHECK_EQ(w, 1);
    CHECK_RC(pthread_barrier_destroy(&busy_bar), EBUSY);
    int mine = pthread_barrier_wait(&busy_bar);
    CHECK_RC(pthread_join(th, NULL), 0);
    /* One of the two is the serial thread, the other gets 0. */
    CHECK((mine == PTHREAD_BARRIER_SERIAL_THREAD && rc == 0) ||
          (mine == 0 && rc == PTHREAD_BARRIER_SERIAL_THREAD));
    CHECK_RC(pthread_barrier_destroy(&busy_bar), 0);
}

static volatile int bsig_hits;

static void on_usr1(int sig)
{
    (void)sig;
    __atomic_add_fetch(&bsig_hits, 1, __ATOMIC_RELAXED);
}

TEST(barrier_wait_never_eintr)
{
    /* A handled signal to a thread blocked in pthread_barrier_wait: the
     * handler runs, the thread waits again (counted once), and the cycle
     * completes normally. */
    struct sigaction old, sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    bsig_hits = 0;
    CHECK_RC(pthread_barrier_init(&busy_bar, NULL, 2), 0);
    static int rc = -1;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, busy_waiter, &rc), 0);
    CHECKF(sem_wait_sleepers(0, "barrier_wait", 1), "the waiter never slept");
    CHECK_RC(pthread_kill(th, SIGUSR1), 0);
    for (int i = 0; i < 2000 && bsig_hits == 0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(bsig_hits, 1);
    CHECKF(sem_wait_sleepers(0, "barrier_wait", 1), "it did not wait again");
    unsigned w = 0;
    CHECK_RC(keel_barrier_query(&busy_bar, NULL, &w), 0);
    CHECK_EQ(w, 1);
    int mine = pthread_barrier_wait(&busy_bar);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK((mine == PTHREAD_BARRIER_SERIAL_THREAD && rc == 0) ||
          (mine == 0 && rc == PTHREAD_BARRIER_SERIAL_THREAD));
    CHECK_RC(pthread_barrier_destroy(&busy_bar), 0);
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
}

/* POSIX pthread_barrier_wait: "upon return from the signal handler the
 * thread shall resume waiting at the barrier if the barrier wait has not
 * completed ...; otherwise, the thread shall continue as normal from the
 * completed barrier wait". The handler below holds the waiter in it
 * until the test lets it go (hold_go), or ends the thread (hold_exit). */
static volatile int hold_in, hold_go, hold_exit;

static void on_usr2_hold(int sig)
{
    (void)sig;
    __atomic_add_fetch(&hold_in, 1, __ATOMIC_RELAXED);
    while (!__atomic_load_n(&hold_go, __ATOMIC_ACQUIRE))
        sched_yield();
    if (hold_exit)
        pthread_exit(NULL);
}

/* Installs on_usr2_hold, inits busy_bar with count and starts a
 * busy_waiter into *th storing its result in *rc, asleep on busy_bar. */
static int hold_start(struct sigaction *old, unsigned count, pthread_t *th,
                      int *rc)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2_hold;
    hold_in = hold_go = hold_exit = 0;
    if (sigaction(SIGUSR2, &sa, old) ||
        pthread_barrier_init(&busy_bar, NULL, count) ||
        pthread_create(th, NULL, busy_waiter, rc))
        return -1;
    return sem_wait_sleepers(0, "barrier_wait", 1) ? 0 : -1;
}

/* Signals th and waits until its handler has run `n` times in all. */
static int hold_signal(pthread_t th, int n)
{
    if (pthread_kill(th, SIGUSR2))
        return -1;
    for (int i = 0; i < 2000 && hold_in < n; i++)
        ut_sleep_ms(10);
    return hold_in == n ? 0 : -1;
}

static unsigned bar_waiting(void)
{
    unsigned w = ~0u;
    return keel_barrier_query(&busy_bar, NULL, &w) ? ~0u : w;
}

/* A cycle of count 2 on busy_bar between a new thread and us: exactly
 * one serial thread, nobody else counted. */
static void cycle_of_two(void)
{
    static int rc2 = -1;
    pthread_t th;
    CHECK_EQ(bar_waiting(), 0);
    CHECK_RC(pthread_create(&th, NULL, busy_waiter, &rc2), 0);
    CHECKF(sem_wait_sleepers(0, "barrier_wait", 1), "no second waiter");
    CHECK_EQ(bar_waiting(), 1);
    int mine = pthread_barrier_wait(&busy_bar);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK((mine == PTHREAD_BARRIER_SERIAL_THREAD && rc2 == 0) ||
          (mine == 0 && rc2 == PTHREAD_BARRIER_SERIAL_THREAD));
}

TEST(barrier_signal_cycle_completes_in_handler)
{
    struct sigaction old;
    static int rc = -1;
    pthread_t th;
    CHECK_OK(hold_start(&old, 2, &th, &rc));
    CHECK_OK(hold_signal(th, 1));
    /* In its handler the waiter is still at the barrier: counted. */
    CHECK_EQ(bar_waiting(), 1);
    /* Our arrival completes the cycle (we are the serial thread) ... */
    CHECK_EQ(pthread_barrier_wait(&busy_bar), PTHREAD_BARRIER_SERIAL_THREAD);
    /* ... and the waiter continues from that completed wait. */
    __atomic_store_n(&hold_go, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rc, 0);
    cycle_of_two(); /* the next cycle needs two arrivals again */
    CHECK_RC(pthread_barrier_destroy(&busy_bar), 0);
    CHECK_OK(sigaction(SIGUSR2, &old, NULL));
}

TEST(barrier_signal_resumes_counted_once)
{
    struct sigaction old;
    static int rc = -1;
    pthread_t th;
    CHECK_OK(hold_start(&old, 3, &th, &rc));
    /* Twice: the second signal interrupts the resumed wait. */
    for (int n = 1; n <= 2; n++) {
        CHECK_OK(hold_signal(th, n));
        CHECK_EQ(bar_waiting(), 1);
        __atomic_store_n(&hold_go, 1, __ATOMIC_RELEASE);
        CHECKF(sem_wait_sleepers(0, "barrier_wait", 1), "no wait resumed");
        CHECK_EQ(bar_waiting(), 1); /* resumed, not counted again */
        __atomic_store_n(&hold_go, 0, __ATOMIC_RELEASE);
    }
    static int rc2 = -1;
    pthread_t th2;
    CHECK_RC(pthread_create(&th2, NULL, busy_waiter, &rc2), 0);
    CHECKF(sem_wait_sleepers(0, "barrier_wait", 2), "no second waiter");
    CHECK_EQ(bar_waiting(), 2);
    int mine = pthread_barrier_wait(&busy_bar); /* the third arrival */
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(pthread_join(th2, NULL), 0);
    int serial = (mine == PTHREAD_BARRIER_SERIAL_THREAD) +
                 (rc == PTHREAD_BARRIER_SERIAL_THREAD) +
                 (rc2 == PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK_EQ(serial, 1);
    CHECK(mine == 0 || mine == PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK(rc2 == 0 || rc2 == PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK_EQ(bar_waiting(), 0);
    CHECK_RC(pthread_barrier_destroy(&busy_bar), 0);
    CHECK_OK(sigaction(SIGUSR2, &old, NULL));
}

TEST(barrier_signal_exit_in_handler_counted_out)
{
    /* POSIX leaves it undefined; Keel: a waiter that ends in its handler
     * never comes back, so it is counted out (no cycle released early,
     * destroy not EBUSY forever). */
    struct sigaction old;
    static int rc = -1;
    pthread_t th;
    CHECK_OK(hold_start(&old, 2, &th, &rc));
    CHECK_OK(hold_signal(th, 1));
    CHECK_EQ(bar_waiting(), 1);
    hold_exit = 1;
    __atomic_store_n(&hold_go, 1, __ATOMIC_RELEASE);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(rc, -1); /* pthread_barrier_wait never returned */
    cycle_of_two();   /* starts from 0 waiting */
    CHECK_RC(pthread_barrier_destroy(&busy_bar), 0);
    CHECK_OK(sigaction(SIGUSR2, &old, NULL));
}

/* barrier-inherit SLOT: waits 5 cycles on the inherited barrier; exit
 * code: the number of cycles it was the serial thread, or 100+ on error. */
int ut_mode_barrier_inherit(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    pthread_barrier_t b;
    if (keel_barrier_attach(&b, atoi(argv[2])))
        return 101;
    struct cap_info ci;
    if (cap_info(atoi(argv[2]), &ci) ||
        ci.rights != (CAP_RIGHT_READ | CAP_RIGHT_WRITE))
        return 102;
    int serial = 0;
    for (int i = 0; i < 5; i++) {
        int rc = pthread_barrier_wait(&b);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            serial++;
        else if (rc)
            return 103;
    }
    return pthread_barrier_destroy(&b) ? 104 : serial;
}

TEST(barrier_pshared_spawn_inherited)
{
    long k0 = sem_kobjs();
    pthread_barrierattr_t a;
    CHECK_RC(pthread_barrierattr_init(&a), 0);
    CHECK_RC(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    pthread_barrier_t b;
    CHECK_RC(pthread_barrier_init(&b, &a, 2), 0);
    char s[12];
    snprintf(s, sizeof(s), "%d", keel_barrier_slot(&b));
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "barrier-inherit", s, NULL, NULL),
             0);
    int serial = 0;
    for (int i = 0; i < 5; i++) {
        int rc = pthread_barrier_wait(&b);
        CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
        serial += rc == PTHREAD_BARRIER_SERIAL_THREAD;
    }
    int st = ut_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) < 100);
    CHECK_EQ(serial + WEXITSTATUS(st), 5); /* one per cycle */
    CHECK_RC(pthread_barrier_destroy(&b), 0);
    CHECK_RC(pthread_barrierattr_destroy(&a), 0);
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
}

TEST(barrier_transfer_rights_and_revoke)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    pthread_barrierattr_t a;
    CHECK_RC(pthread_barrierattr_init(&a), 0);
    CHECK_RC(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    pthread_barrier_t b;
    CHECK_RC(pthread_barrier_init(&b, &a, 2), 0);
    int slot = keel_barrier_slot(&b);
    cap_token_t dr, drw;
    ut_step("READ only: query, no wait");
    int r = sem_xfer(pe.pid, slot, CAP_TYPE_BARRIER, CAP_RIGHT_READ, &dr);
    CHECK(r >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_BAR, r), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_BAR_WAIT, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_BAR_QUERY, 0), 0);
    ut_step("READ|WRITE: a cycle across two processes");
    int rw = sem_xfer(pe.pid, slot, CAP_TYPE_BARRIER,
                      CAP_RIGHT_READ | CAP_RIGHT_WRITE, &drw);
    CHECK(rw >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_BAR, rw), 0);
    CHECK_OK(sem_peer_send(&pe, SP_BAR_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "barrier_wait", 1),
           "the peer never slept");
    int mine = pthread_barrier_wait(&b);
    int theirs = sem_peer_recv(&pe);
    CHECK((mine == PTHREAD_BARRIER_SERIAL_THREAD && theirs == 0) ||
          (mine == 0 && theirs == 1));
    ut_step("revoke while the peer waits");
    CHECK_OK(sem_peer_send(&pe, SP_BAR_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "barrier_wait", 1),
           "the peer never slept");
    unsigned w = 0;
    CHECK_RC(keel_barrier_query(&b, NULL, &w), 0);
    CHECK_EQ(w, 1);
    CHECK_OK(cap_revoke_delegate(drw));
    CHECK_EQ(sem_peer_recv(&pe), -EBADF);
    CHECK_RC(keel_barrier_query(&b, NULL, &w), 0);
    CHECK_EQ(w, 0); /* the revoked waiter is no longer counted */
    CHECK_EQ(sem_peer_call(&pe, SP_BAR_WAIT, 0), -EBADF);
    /* The barrier lives on: a cycle of two threads of ours. */
    busy_bar = b;
    static int rc = -1;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, busy_waiter, &rc), 0);
    mine = pthread_barrier_wait(&b);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK((mine == PTHREAD_BARRIER_SERIAL_THREAD) !=
          (rc == PTHREAD_BARRIER_SERIAL_THREAD));
    CHECK_OK(cap_drop(dr));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_RC(pthread_barrier_destroy(&b), 0);
    CHECK_RC(pthread_barrierattr_destroy(&a), 0);
}

TEST(barrier_wrong_type_and_stale)
{
    pthread_barrier_t b;
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_RC(keel_barrier_attach(&b, fd), EBADF);
    b.__slot = fd;
    CHECK_RC(pthread_barrier_wait(&b), EBADF);
    CHECK_RC(keel_barrier_query(&b, NULL, NULL), EBADF);
    CHECK_RC(pthread_barrier_destroy(&b), EBADF);
    CHECK(ut_fd_open(fd));
    CHECK_OK(close(fd));
    CHECK_RC(pthread_barrier_init(&b, NULL, 2), 0);
    pthread_barrier_t copy = b;
    CHECK_RC(pthread_barrier_destroy(&b), 0);
    CHECK_RC(pthread_barrier_wait(&copy), EBADF);
    CHECK_EQ(keel_syscall6(SYS_barrier, KEEL_BARRIER_WAIT, 4000, 0, 0, 0, 0),
             -EBADF);
    CHECK_EQ(keel_syscall6(SYS_barrier, KEEL_BARRIER_QUERY, 0, 0x10, 0, 0, 0),
             -EBADF); /* slot 0 is stdin */
}

const struct utest ut_barrier_tests[] = {
    UT_CASE(barrier_attr_and_errors),
    UT_CASE(barrier_count_one),
    UT_CASE(barrier_cycles_one_serial_each),
    UT_CASE(barrier_destroy_busy),
    UT_ISOLATED(barrier_wait_never_eintr),
    UT_ISOLATED(barrier_signal_cycle_completes_in_handler),
    UT_ISOLATED(barrier_signal_resumes_counted_once),
    UT_ISOLATED(barrier_signal_exit_in_handler_counted_out),
    UT_CASE(barrier_pshared_spawn_inherited),
    UT_CASE(barrier_transfer_rights_and_revoke),
    UT_CASE(barrier_wrong_type_and_stale),
    UT_END,
};
