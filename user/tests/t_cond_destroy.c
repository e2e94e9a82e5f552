/*
 * pthread_cond_destroy right after a broadcast. POSIX (pthread_cond_destroy,
 * DESCRIPTION and EXAMPLES): destroying a condition variable on which no
 * thread is blocked is safe, and one may be destroyed immediately after
 * all the threads blocked on it are awakened; the example takes a list
 * element off its list, broadcasts its condvar under the list's mutex,
 * unlocks, destroys the condvar and frees the element at once.
 *
 * Here NW threads of low priority wait on an element's condvar under a
 * separate list mutex until the element is off the list; the deleting
 * thread (the test, high priority) does as the example, while every
 * other hart runs a spinner of its priority, so the woken threads cannot
 * have run when destroy is called. destroy must return 0 (it gave EBUSY:
 * they were still counted as waiters), and the element, poisoned right
 * after destroy, must stay as poisoned while the woken threads leave
 * their waits and end (a waiter that touched the condvar after destroy
 * returned would write to freed memory in the example). In-process and
 * process-shared (kernel) condvars.
 *
 * Locking: cd_lm guards cd_list and the element's busy flag; cd_in and
 * cd_spinning are atomics, cd_stop a flag the spinners poll.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "utest.h"

#define CD_NW 3
#define CD_POISON 0x5a

struct cd_elt {
    pthread_cond_t notbusy;
    int busy;
};

static pthread_mutex_t cd_lm = PTHREAD_MUTEX_INITIALIZER;
static struct cd_elt *cd_list; /* the one element, NULL once deleted */
static int cd_in, cd_spinning, cd_stop;

/* Waits while the element is on the list and busy (the example's
 * list_find without the reservation). */
static void *cd_waiter(void *arg)
{
    (void)arg;
    int bad = 0;
    pthread_mutex_lock(&cd_lm);
    __atomic_add_fetch(&cd_in, 1, __ATOMIC_RELEASE);
    struct cd_elt *ep;
    while ((ep = cd_list) != NULL && ep->busy)
        bad |= pthread_cond_wait(&ep->notbusy, &cd_lm) != 0;
    pthread_mutex_unlock(&cd_lm);
    return (void *)(long)bad;
}

static void *cd_spinner(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&cd_spinning, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&cd_stop, __ATOMIC_ACQUIRE))
        ;
    return NULL;
}

static int cd_harts(void)
{
    struct keel_kstat k;
    return keel_kstat(&k) == 0 && k.harts_online > 0 ? (int)k.harts_online : 1;
}

static int cd_poisoned(const struct cd_elt *ep)
{
    const unsigned char *b = (const unsigned char *)ep;
    for (size_t i = 0; i < sizeof(*ep); i++)
        if (b[i] != CD_POISON)
            return 0;
    return 1;
}

/* One run; pshared: a kernel condvar. */
static void cd_run(int pshared)
{
    struct sched_param sp0;
    int pol0;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol0, &sp0), 0);
    struct sched_param hi = {.sched_priority = 40};
    CHECK_RC(pthread_setschedparam(pthread_self(), SCHED_FIFO, &hi), 0);
    struct cd_elt *ep = malloc(sizeof(*ep));
    CHECK(ep != NULL);
    pthread_condattr_t ca;
    CHECK_RC(pthread_condattr_init(&ca), 0);
    CHECK_RC(pthread_condattr_setpshared(&ca, pshared
                                                  ? PTHREAD_PROCESS_SHARED
                                                  : PTHREAD_PROCESS_PRIVATE),
             0);
    CHECK_RC(pthread_cond_init(&ep->notbusy, &ca), 0);
    pthread_condattr_destroy(&ca);
    ep->busy = 1;
    cd_list = ep;
    cd_in = cd_spinning = cd_stop = 0;

    ut_step("the waiters block on the element's condvar");
    pthread_t w[CD_NW], s[8];
    for (int i = 0; i < CD_NW; i++)
        CHECK_RC(ut_thread_at(&w[i], SCHED_FIFO, 10, cd_waiter, NULL), 0);
    /* Each counts itself under cd_lm, then waits (releasing it): with
     * cd_lm held and all counted, every one is inside its wait. */
    for (;;) {
        pthread_mutex_lock(&cd_lm);
        int in = __atomic_load_n(&cd_in, __ATOMIC_ACQUIRE);
        pthread_mutex_unlock(&cd_lm);
        if (in == CD_NW)
            break;
        ut_sleep_ms(1); /* they run below us */
    }
    int ns = cd_harts() - 1;
    if (ns > 8)
        ns = 8;
    for (int i = 0; i < ns; i++)
        CHECK_RC(ut_thread_at(&s[i], SCHED_FIFO, 40, cd_spinner, NULL), 0);
    while (__atomic_load_n(&cd_spinning, __ATOMIC_ACQUIRE) < ns)
        sched_yield();

    ut_step("deleted: broadcast, unlock, destroy at once, poison");
    pthread_mutex_lock(&cd_lm);
    cd_list = NULL;
    ep->busy = 0;
    CHECK_RC(pthread_cond_broadcast(&ep->notbusy), 0);
    pthread_mutex_unlock(&cd_lm);
    int r = pthread_cond_destroy(&ep->notbusy);
    memset(ep, CD_POISON, sizeof(*ep));
    __atomic_store_n(&cd_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < ns; i++)
        CHECK_RC(pthread_join(s[i], NULL), 0);
    for (int i = 0; i < CD_NW; i++) {
        void *bad;
        CHECK_RC(pthread_join(w[i], &bad), 0);
        CHECK_EQ((long)bad, 0);
    }
    CHECK_RC(pthread_setschedparam(pthread_self(), pol0, &sp0), 0);
    CHECKF(r == 0, "destroy right after the broadcast: %s", ut_errname(r));
    CHECKF(cd_poisoned(ep), "the condvar's memory was written after destroy");
    free(ep);
}

TEST(cond_destroy_right_after_broadcast)
{
    cd_run(0);
}

TEST(cond_destroy_right_after_broadcast_pshared)
{
    cd_run(1);
}

const struct utest ut_cond_destroy_tests[] = {
    UT_CASE(cond_destroy_right_after_broadcast),
    UT_CASE(cond_destroy_right_after_broadcast_pshared),
    UT_END,
};
