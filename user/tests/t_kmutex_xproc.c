/*
 * Issue 9: kernel mutexes across processes: through spawn inheritance
 * (and the owner process's exit: EOWNERDEAD), through cap_transfer (and
 * revoke while blocked: EBADF; a READ-only copy: EACCES), and priority
 * inheritance from a thread of one process to the owner in another. The
 * other process is t_kobj_util.c's "kmx" helper.
 */
#include <fcntl.h>
#include <keel/obj.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "t_kobj_util.h"
#include "ut_peer.h"

TEST(kmx_xproc_inherited)
{
    long o0 = kx_objects();
    pthread_mutex_t m;
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_SHARED),
             0);
    int slot = keel_mutex_slot(&m);
    struct kx h;
    CHECK_RC(kx_start(&h), 0);
    CHECK_EQ(kx_call(&h, 'A', slot), 0); /* inherited in the same slot */
    CHECK_EQ(kx_call(&h, 'L', 0), 0);
    CHECK_RC(pthread_mutex_trylock(&m), EBUSY);
    CHECK_RC(pthread_mutex_unlock(&m), EPERM); /* another process holds it */
    CHECK_EQ(kx_call(&h, 'L', 0), EDEADLK);
    CHECK_EQ(kx_call(&h, 'U', 0), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_EQ(kx_call(&h, 'T', 0), EBUSY);
    /* the helper blocks in the kernel until we unlock */
    CHECK_OK(kx_send(&h, 'L', 0));
    CHECK(kx_wait_blocked(h.pid, -1, "kmutex_obj"));
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(kx_recv(&h), 0);
    /* the helper process exits holding it */
    CHECK_OK(kx_send(&h, 'X', 7));
    CHECK_EXITED(kx_end(&h), 7);
    CHECK_RC(pthread_mutex_lock(&m), EOWNERDEAD);
    CHECK_RC(pthread_mutex_consistent(&m), 0);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

TEST(kmx_xproc_transfer_and_revoke)
{
    ut_revoke_all();
    long o0 = kx_objects();
    struct kx h;
    CHECK_RC(kx_start(&h), 0); /* before the mutex: nothing inherited */
    pthread_mutex_t m;
    CHECK_RC(kx_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_ROBUST, PTHREAD_PROCESS_SHARED),
             0);
    int slot = keel_mutex_slot(&m);
    CHECK_EQ(kx_call(&h, 'A', slot), EBADF); /* it has no such cap */
    cap_token_t tok, deleg, ro;
    int dslot = -1, rslot = -1;
    CHECK_OK(cap_get_token(slot, CAP_TYPE_MUTEX, &tok));
    CHECK_OK(cap_transfer(h.pid, tok, CAP_RIGHT_READ | CAP_RIGHT_WRITE, &deleg,
                          &dslot));
    CHECK_EQ(kx_call(&h, 'A', dslot), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_OK(kx_send(&h, 'L', 0));
    CHECK(kx_wait_blocked(h.pid, -1, "mutex"));
    CHECK_OK(cap_revoke_delegate(deleg));
    CHECK_EQ(kx_recv(&h), EBADF); /* woken: its slot is gone */
    CHECK_EQ(kx_call(&h, 'T', 0), EBADF);
    /* the object lives on for us */
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    CHECK_RC(pthread_mutex_lock(&m), 0);
    CHECK_RC(pthread_mutex_unlock(&m), 0);
    /* READ alone: it may look (attach), not lock */
    CHECK_OK(cap_transfer(h.pid, tok, CAP_RIGHT_READ, &ro, &rslot));
    CHECK_EQ(kx_call(&h, 'A', rslot), 0);
    CHECK_EQ(kx_call(&h, 'L', 0), EACCES);
    CHECK_EQ(kx_call(&h, 'U', 0), EACCES);
    CHECK_OK(cap_revoke_delegate(ro));
    CHECK_EXITED(kx_end(&h), 0);
    CHECK_RC(pthread_mutex_destroy(&m), 0);
    CHECK_EQ(kx_objects(), o0);
}

/* PI across processes: the helper (low) holds it, our thread (high)
 * blocks on it, and the helper runs at high until it lets go. */
static pthread_mutex_t kp_m;
static volatile int kp_r = -1;

static void *kp_high(void *p)
{
    (void)p;
    kp_r = pthread_mutex_lock(&kp_m);
    if (kp_r == 0)
        pthread_mutex_unlock(&kp_m);
    return NULL;
}

TEST(kmx_xproc_priority_inheritance)
{
    long o0 = kx_objects();
    CHECK_RC(kx_mutex(&kp_m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT,
                      PTHREAD_MUTEX_STALLED, PTHREAD_PROCESS_SHARED),
             0);
    struct kx h;
    CHECK_RC(kx_start(&h), 0);
    CHECK_EQ(kx_call(&h, 'A', keel_mutex_slot(&kp_m)), 0);
    CHECK_EQ(kx_call(&h, 'P', 10), 0);
    CHECK_EQ(kx_call(&h, 'L', 0), 0);
    struct keel_threadinfo ti;
    CHECK(kx_ti(h.pid, -1, &ti));
    CHECK_EQ(ti.priority, 10);
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = 30};
    pthread_attr_init(&at);
    pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&at, SCHED_FIFO);
    pthread_attr_setschedparam(&at, &sp);
    pthread_t t;
    kp_r = -1;
    CHECK_RC(pthread_create(&t, &at, kp_high, NULL), 0);
    pthread_attr_destroy(&at);
    CHECK(kx_wait_blocked(getpid(), (int)t, "mutex"));
    CHECK(kx_ti(h.pid, -1, &ti));
    CHECK_EQ(ti.priority, 30); /* boosted across processes */
    CHECK_EQ(ti.base_priority, 10);
    CHECK_EQ(kx_call(&h, 'U', 0), 0);
    CHECK_RC(pthread_join(t, NULL), 0);
    CHECK_EQ(kp_r, 0);
    CHECK(kx_ti(h.pid, -1, &ti));
    CHECK_EQ(ti.priority, 10); /* and back */
    CHECK_EXITED(kx_end(&h), 0);
    CHECK_RC(pthread_mutex_destroy(&kp_m), 0);
    CHECK_EQ(kx_objects(), o0);
}

const struct utest ut_kmutex_xproc_tests[] = {
    UT_CASE(kmx_xproc_inherited),
    UT_CASE(kmx_xproc_transfer_and_revoke),
    UT_CASE(kmx_xproc_priority_inheritance),
    UT_END,
};
