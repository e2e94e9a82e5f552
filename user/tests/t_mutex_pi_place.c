/*
 * PTHREAD_PRIO_INHERIT holders and the set-priority rule (POSIX
 * pthread_mutexattr_setprotocol: a thread holding a PRIO_INHERIT mutex
 * is not moved to the tail of its priority's list when its own priority
 * is changed; issue 8 item 5, issue 9 item 6). Keel kept the place only
 * of a holder the kernel knew of: one with a waiter. An in-process PI
 * mutex taken without contention is a user-space compare-and-swap, and
 * a kernel mutex object (robust or process-shared) has a PI record only
 * while someone waits, so their holders went to the tail like any
 * thread. Now libc counts the in-process ones in the control block (the
 * kernel reads it, <keel/abi.h> KEEL_TCB_PI_HELD) and the kernel the
 * kernel objects (kobj_mutex.c M8).
 *
 * With one hart the run order shows the queue: a holder h, preempted by
 * this thread while it holds its mutexes (at the head of its level), and
 * a peer r put at the tail of level L; h's priority is then set to L
 * (raised, unchanged or lowered, by pthread_setschedparam or
 * pthread_setschedprio) and both run once we step below them: "21" (h
 * first) when h kept its place or went to the head, "12" when it went to
 * the tail, as a thread that holds none (it released them) must. Also
 * the running holder's own call (t_mutex_pp.c checks the option macro
 * against sysconf). Every queue check needs one hart (the suite also
 * runs with SMP=1); with more, h never waits behind us.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <keel/sched.h>

#include "t_kobj_util.h"
#include "utest.h"

static int pl_log[4], pl_n;
static volatile int pl_go;

static void pl_mark(int id)
{
    int i = __atomic_fetch_add(&pl_n, 1, __ATOMIC_ACQ_REL);
    if (i < 4)
        pl_log[i] = id;
}

static void *pl_peer(void *arg)
{
    pl_mark((int)(long)arg);
    return NULL;
}

static int pl_set(pthread_t th, int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    return pthread_setschedparam(th, SCHED_FIFO, &sp);
}

/* The holder's mutexes (m[1] may be NULL) and whether it gives them back
 * before it waits (then it holds none while its priority is set). */
struct pl_hold {
    pthread_mutex_t *m[2];
    int release_first;
};

static void *pl_holder(void *arg)
{
    struct pl_hold *h = arg;
    for (int i = 0; i < 2 && h->m[i]; i++)
        if (pthread_mutex_lock(h->m[i]))
            return (void *)1L;
    for (int i = 1; h->release_first && i >= 0; i--)
        if (h->m[i] && pthread_mutex_unlock(h->m[i]))
            return (void *)2L;
    __atomic_store_n(&pl_go, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&pl_go, __ATOMIC_ACQUIRE) != 2)
        ; /* preempted here: at the head of its level */
    pl_mark(2);
    for (int i = 1; !h->release_first && i >= 0; i--)
        if (h->m[i] && pthread_mutex_unlock(h->m[i]))
            return (void *)3L;
    return NULL;
}

/* op: 'P' pthread_setschedparam, 'S' pthread_setschedprio. Every path
 * lets h finish and joins it (a failed check leaves no thread behind). */
static const char *pl_run(struct pl_hold *hd, char op, int level)
{
    static char got[5];
    pl_n = 0;
    pl_go = 0;
    pthread_t h, r;
    if (pthread_create(&h, NULL, pl_holder, hd))
        return "create h";
    int e = pl_set(h, 10);
    /* Let h run and lock; waking, we take the hart back from it. */
    while (!e && !__atomic_load_n(&pl_go, __ATOMIC_ACQUIRE))
        ut_sleep_ms(2);
    int made_r = !pthread_create(&r, NULL, pl_peer, (void *)1L);
    int er = made_r ? pl_set(r, level) : 1; /* r: the tail of level */
    if (!e)
        e = op == 'P' ? pl_set(h, level) : pthread_setschedprio(h, level);
    __atomic_store_n(&pl_go, 2, __ATOMIC_RELEASE);
    int es = pl_set(pthread_self(), 5); /* both run now, in their order */
    void *hv = (void *)9L;
    int ej = pthread_join(h, &hv);
    if (made_r && pthread_join(r, NULL))
        ej = 1;
    if (pl_set(pthread_self(), 30))
        es = 1;
    if (e || er || es || ej || hv)
        return "a call failed";
    int n = pl_n < 4 ? pl_n : 4;
    for (int i = 0; i < n; i++)
        got[i] = (char)('0' + pl_log[i]);
    got[n] = 0;
    return got;
}

/* Each way of setting h's priority: from 10 to level, and the order. */
static const struct {
    char op;
    int level;
    const char *what;
} pl_ways[] = {
    {'P', 20, "setschedparam raised"},
    {'P', 10, "setschedparam unchanged"},
    {'P', 8, "setschedparam lowered"},
    {'S', 20, "setschedprio raised"},
};

static void pl_check_all(struct pl_hold *hd, const char *kind)
{
    for (int release = 0; release < 2; release++) {
        hd->release_first = release;
        for (unsigned i = 0; i < sizeof(pl_ways) / sizeof(pl_ways[0]); i++) {
            const char *got = pl_run(hd, pl_ways[i].op, pl_ways[i].level);
            /* Released: setschedparam puts it at the tail; setschedprio
             * raised does too (POSIX rule 8's tail for a raise). */
            const char *want = release ? "12" : "21";
            CHECKF(!strcmp(got, want), "%s, %s%s: ran as %s, expected %s", kind,
                   pl_ways[i].what, release ? " after the unlock" : "", got,
                   want);
        }
    }
}

/* Our own priority and policy, to put back; FIFO 30 meanwhile. */
static void pl_begin(int *pol0, struct sched_param *sp0)
{
    CHECK_RC(pthread_getschedparam(pthread_self(), pol0, sp0), 0);
    CHECK_RC(pl_set(pthread_self(), 30), 0);
}

TEST(mutex_pi_place_inprocess)
{
    int pol0;
    struct sched_param sp0;
    if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
        return;
    pl_begin(&pol0, &sp0);
    pthread_mutex_t m, m2;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_INHERIT, 0),
             0);
    CHECK_RC(
        kx_make_mutex(&m2, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_INHERIT, 0),
        0);
    struct pl_hold hd = {{&m, NULL}, 0};
    pl_check_all(&hd, "one in-process PI mutex");
    hd.m[1] = &m2;
    pl_check_all(&hd, "two in-process PI mutexes");
    /* A recursive relock counts once: one unlock leaves it held. */
    CHECK_RC(pthread_mutex_lock(&m2), 0);
    CHECK_RC(pthread_mutex_lock(&m2), 0);
    CHECK_RC(pthread_mutex_unlock(&m2), 0);
    CHECK_RC(pthread_mutex_unlock(&m2), 0);
    CHECK_RC(pthread_mutex_trylock(&m), 0); /* trylock counts too */
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    hd.m[1] = NULL;
    pl_check_all(&hd, "one in-process PI mutex, again");
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m2), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

TEST(mutex_pi_place_kernel_object)
{
    int pol0;
    struct sched_param sp0;
    if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
        return;
    pl_begin(&pol0, &sp0);
    pthread_mutex_t rb, ps, none;
    CHECK_RC(kx_mutex(&rb, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    CHECK_RC(kx_mutex(&ps, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
             0);
    CHECK_RC(kx_mutex(&none, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    struct pl_hold hd = {{&rb, NULL}, 0};
    pl_check_all(&hd, "a robust PI mutex");
    hd.m[0] = &ps;
    pl_check_all(&hd, "a process-shared PI mutex");
    /* The kernel's first record is the PRIO_NONE one: the PI mutex is on
     * the list of the others (kobj_mutex.c M8). */
    hd.m[0] = &none;
    hd.m[1] = &rb;
    pl_check_all(&hd, "a PRIO_NONE then a robust PI mutex");
    hd.m[0] = &rb;
    hd.m[1] = &ps;
    pl_check_all(&hd, "two PI kernel mutexes");
    CHECK_RC(pthread_mutex_destroy(&rb), 0);
    CHECK_RC(pthread_mutex_destroy(&ps), 0);
    CHECK_RC(pthread_mutex_destroy(&none), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

/* A PRIO_NONE mutex is no reason to keep a place: the tail. */
TEST(mutex_pi_place_none_goes_to_tail)
{
    int pol0;
    struct sched_param sp0;
    if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
        return;
    pl_begin(&pol0, &sp0);
    pthread_mutex_t m, k;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_NONE, 0), 0);
    CHECK_RC(kx_mutex(&k, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_PRIVATE),
             0);
    struct pl_hold hd = {{&m, &k}, 0};
    const char *got = pl_run(&hd, 'P', 10);
    CHECKF(!strcmp(got, "12"), "PRIO_NONE holder: ran as %s, expected 12", got);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&k), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

/*
 * The running holder's own call: we hold an in-process PI mutex taken
 * without contention at 10, a peer waits at 10 behind us, and we set our
 * own priority to 10 again: we keep the hart ("01"; the tail would be
 * "10"). Then, released, the same call puts us behind the peer.
 */
TEST(mutex_pi_place_running_holder)
{
    int pol0;
    struct sched_param sp0;
    if (sysconf(_SC_NPROCESSORS_ONLN) != 1)
        return;
    pl_begin(&pol0, &sp0);
    pthread_mutex_t m;
    CHECK_RC(kx_make_mutex(&m, PTHREAD_MUTEX_DEFAULT, PTHREAD_PRIO_INHERIT, 0),
             0);
    for (int held = 1; held >= 0; held--) {
        CHECK_RC(pl_set(pthread_self(), 10), 0);
        pl_n = 0;
        if (held)
            CHECK_RC(pthread_mutex_lock(&m), 0);
        pthread_t q;
        CHECK_RC(pthread_create(&q, NULL, pl_peer, (void *)1L), 0);
        CHECK_RC(pl_set(pthread_self(), 10), 0);
        pl_mark(0);
        if (held)
            CHECK_RC(pthread_mutex_unlock(&m), 0);
        CHECK_RC(pthread_join(q, NULL), 0);
        CHECK_EQ(pl_n, 2);
        const char *want = held ? "01" : "10";
        char got[3] = {(char)('0' + pl_log[0]), (char)('0' + pl_log[1]), 0};
        CHECKF(!strcmp(got, want), "%s: ran as %s, expected %s",
               held ? "holding" : "released", got, want);
        CHECK_RC(pl_set(pthread_self(), 30), 0);
    }
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
}

const struct utest ut_mutex_pi_place_tests[] = {
    UT_CASE(mutex_pi_place_inprocess),
    UT_CASE(mutex_pi_place_kernel_object),
    UT_CASE(mutex_pi_place_none_goes_to_tail),
    UT_CASE(mutex_pi_place_running_holder),
    UT_END,
};
