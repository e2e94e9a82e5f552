/*
 * The peer process of the mixed stress test (t_objstress.c has the
 * whole picture; t_objstress.h the protocol): it attaches the inherited
 * long-lived set, does its share of the work per round on a thread of
 * its own, blocks one thread on each object of a round's delegated set
 * until the test revokes it, and counts the queued signals it is sent
 * (SIGRTMIN, blocked in every thread, taken by a sigwaitinfo thread).
 * SIGUSR1 (a count, SA_RESTART) interrupts all of it.
 *
 * Locking: pe_out serialises the replies on fd 1; pe_sig_n/pe_sig_sum
 * are the sigwaitinfo thread's alone until it is joined.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>

#include <keel/barrier.h>
#include <keel/obj.h>
#include <keel/timer.h>

#include "t_objstress.h"

static volatile int os_usr1;
static void os_on_usr1(int sig)
{
    (void)sig;
    __atomic_add_fetch(&os_usr1, 1, __ATOMIC_RELAXED);
}

void os_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = os_on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
}

/* ---- the peer (mode "objstress-peer M,C,S,RW,Q NSIG") ---- */

static pthread_mutex_t pe_m, pe_local;
static pthread_cond_t pe_c;
static sem_t pe_s;
static pthread_rwlock_t pe_rw;
static mqd_t pe_q;
static pthread_mutex_t pe_out = PTHREAD_MUTEX_INITIALIZER;
static long pe_sig_n, pe_sig_sum, pe_sig_want;

static void pe_reply(const struct os_rep *r)
{
    pthread_mutex_lock(&pe_out);
    ut_write_full(1, r, sizeof(*r));
    pthread_mutex_unlock(&pe_out);
}

static void *pe_sigwaiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN);
    while (pe_sig_n < pe_sig_want) {
        siginfo_t si;
        if (sigwaitinfo(&s, &si) == SIGRTMIN) {
            pe_sig_n++;
            pe_sig_sum += si.si_value.sival_int;
        }
    }
    return NULL;
}

/* The long-lived set, one round's share: posts, messages, locks. */
static void *pe_shared(void *arg)
{
    struct os_rep rep = {OP_SHARED, (int)(long)arg, {0}, 0, 0};
    for (int i = 0; i < OS_PEER_N; i++) {
        int e = 0;
        if (sem_post(&pe_s) < 0)
            e = errno;
        unsigned v = (unsigned)(rep.round * OS_PEER_N + i);
        while (!e && mq_send(pe_q, (const char *)&v, sizeof(v), i % 3) < 0)
            if (errno != EINTR)
                e = errno;
        if (!e)
            e = pthread_mutex_lock(&pe_m);
        if (!e) {
            pthread_cond_signal(&pe_c); /* a spurious wake-up for C's waiter */
            e = pthread_mutex_unlock(&pe_m);
        }
        if (!e && !(e = pthread_rwlock_rdlock(&pe_rw)))
            e = pthread_rwlock_unlock(&pe_rw);
        if (e && !rep.r[0])
            rep.r[0] = e;
    }
    pe_reply(&rep);
    return NULL;
}

struct pe_block {
    int kind, slot, res;
};

/* One wait through a delegated slot that only a revoke (or, for the
 * semaphore, the test's timer) can end. */
static void *pe_blocker(void *arg)
{
    struct pe_block *b = arg;
    int r;
    switch (b->kind) {
    case 0: {
        sem_t s;
        r = keel_sem_attach(&s, b->slot) < 0 ? errno : 0;
        while (!r && sem_wait(&s) < 0 && (r = errno) == EINTR)
            r = 0;
        break;
    }
    case 1: {
        pthread_mutex_t m;
        r = keel_mutex_attach(&m, b->slot);
        if (!r && !(r = pthread_mutex_lock(&m)))
            pthread_mutex_unlock(&m); /* never: the test holds it */
        break;
    }
    case 2: {
        pthread_rwlock_t l;
        r = keel_rwlock_attach(&l, b->slot);
        if (!r && !(r = pthread_rwlock_rdlock(&l)))
            pthread_rwlock_unlock(&l); /* never: the test write-holds it */
        break;
    }
    case 3: {
        pthread_barrier_t bar;
        r = keel_barrier_attach(&bar, b->slot);
        if (!r)
            r = pthread_barrier_wait(&bar); /* of two; we are alone */
        break;
    }
    case 4: {
        char buf[16];
        r = 0;
        while (mq_receive(b->slot, buf, sizeof(buf), NULL) < 0 &&
               (r = errno) == EINTR)
            r = 0;
        if (!r)
            r = -1; /* a message nobody sent */
        break;
    }
    default: {
        pthread_cond_t c;
        r = keel_cond_attach(&c, b->slot);
        pthread_mutex_lock(&pe_local);
        while (!r && !(r = pthread_cond_wait(&c, &pe_local)))
            ; /* 0: a spurious wake-up (a handler ran) */
        pthread_mutex_unlock(&pe_local);
        break;
    }
    }
    b->res = r;
    return NULL;
}

static void pe_block(const struct os_cmd *c)
{
    struct pe_block b[OS_NBLOCK];
    pthread_t th[OS_NBLOCK];
    struct os_rep rep = {OP_BLOCK, c->round, {0}, 0, 0};
    int n = 0;
    for (; n < OS_NBLOCK; n++) {
        b[n] = (struct pe_block){n, c->slot[n], -2};
        if (pthread_create(&th[n], NULL, pe_blocker, &b[n]))
            break;
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < OS_NBLOCK; i++)
        rep.r[i] = i < n ? b[i].res : -3;
    pe_reply(&rep);
}

static int mode_objstress_peer(int argc, char **argv)
{
    int sl[5];
    if (argc < 4 || sscanf(argv[2], "%d,%d,%d,%d,%d", &sl[0], &sl[1], &sl[2],
                           &sl[3], &sl[4]) != 5)
        return 2;
    pe_sig_want = atol(argv[3]);
    os_handlers();
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &rt, NULL); /* every thread: sigwaitinfo's */
    if (keel_mutex_attach(&pe_m, sl[0]) || keel_cond_attach(&pe_c, sl[1]) ||
        keel_sem_attach(&pe_s, sl[2]) < 0 || keel_rwlock_attach(&pe_rw, sl[3]))
        return 3;
    pe_q = sl[4];
    pthread_mutex_init(&pe_local, NULL);
    pthread_t sw, sh[OS_ROUNDS];
    int nsh = 0;
    if (pthread_create(&sw, NULL, pe_sigwaiter, NULL))
        return 4;
    /* Only now may SIGUSR1 come (its default action ends a process). */
    struct os_rep ready = {OP_READY, 0, {0}, 0, 0};
    pe_reply(&ready);
    struct os_cmd c;
    while (ut_read_full(0, &c, sizeof(c)) == sizeof(c)) {
        if (c.op == OP_SHARED && nsh < OS_ROUNDS) {
            if (pthread_create(&sh[nsh], NULL, pe_shared,
                               (void *)(long)c.round))
                return 5;
            nsh++;
        } else if (c.op == OP_BLOCK) {
            pe_block(&c);
        } else if (c.op == OP_REPORT) {
            for (int i = 0; i < nsh; i++)
                pthread_join(sh[i], NULL);
            nsh = 0;
            pthread_join(sw, NULL); /* it ends after pe_sig_want */
            struct os_rep rep = {OP_REPORT, 0, {0}, pe_sig_n, pe_sig_sum};
            pe_reply(&rep);
        } else if (c.op == OP_QUIT) {
            return 0;
        }
    }
    return 6;
}

const struct ut_mode ut_objstress_modes[] = {
    {"objstress-peer", mode_objstress_peer},
    UT_MODE_END,
};
