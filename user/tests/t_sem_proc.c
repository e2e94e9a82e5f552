/*
 * POSIX semaphores across processes (issue 9 items 2-4; t_sem.c has the
 * single-process semantics): one process posting and another waiting
 * through cap_transfer and through spawn inheritance (no shared memory),
 * EACCES through a READ-only or WRITE-only cap, revoke while blocked
 * (EBADF; the object lives on for the other holder), a holder's exit,
 * and the KEEL_POOL_OBJECTS quota exhausted and recovered. Waiters are
 * counted in the kernel's view (threadinfo rows on "sem_wait"); no time
 * limits.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "t_sem.h"
#include "utest.h"

static sem_t wk_sem;
static volatile int wk_done;

static void *wk_waiter(void *arg)
{
    (void)arg;
    EXPECT(sem_wait(&wk_sem) == 0);
    __atomic_store_n(&wk_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

TEST(sem_transfer_post_and_wait)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    ut_step("the peer waits, we post");
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    CHECK_OK(sem_post(&s));
    CHECK_EQ(sem_peer_recv(&pe), 0);
    ut_step("the peer posts, we wait");
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 2);
    CHECK_OK(sem_wait(&s));
    CHECK_OK(sem_trywait(&s));
    CHECK_ERRNO(sem_trywait(&s), EAGAIN);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EAGAIN);
    CHECK_OK(cap_drop(d));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

TEST(sem_rights_eacces)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 1));
    cap_token_t d1, d2;
    ut_step("a READ-only cap waits but cannot post");
    int r = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                     CAP_RIGHT_READ, &d1);
    CHECK(r >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, r), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EAGAIN);
    ut_step("a WRITE-only cap posts but cannot wait");
    int w = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                     CAP_RIGHT_WRITE, &d2);
    CHECK(w >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, w), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_WAIT, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_TRYWAIT, 0), -EACCES);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    int v = -1;
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1);
    ut_step("a process-private semaphore cannot be handed on");
    sem_t priv;
    CHECK_OK(sem_init(&priv, 0, 0));
    cap_token_t d3;
    CHECK_ERRNO(sem_xfer(pe.pid, keel_sem_slot(&priv), CAP_TYPE_SEMAPHORE,
                         CAP_RIGHT_READ, &d3),
                EACCES);
    CHECK_OK(sem_destroy(&priv));
    CHECK_OK(cap_drop(d1));
    CHECK_OK(cap_drop(d2));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

/* sem-inherit PING PONG PRIV: the child got the pshared semaphores PING
 * and PONG at those slots (rights without GRANT) and not the private
 * one at PRIV; it posts PING, waits on PONG. Exit 0 when all held. */
int ut_mode_sem_inherit(int argc, char **argv)
{
    if (argc < 5)
        return 10;
    sem_t ping, pong, priv;
    struct cap_info ci;
    if (keel_sem_attach(&ping, atoi(argv[2])) ||
        keel_sem_attach(&pong, atoi(argv[3])))
        return 11;
    if (cap_info(atoi(argv[2]), &ci) ||
        ci.rights != (CAP_RIGHT_READ | CAP_RIGHT_WRITE))
        return 12;
    if (keel_sem_attach(&priv, atoi(argv[4])) == 0 || errno != EBADF)
        return 13;
    for (int i = 0; i < 3; i++) {
        if (sem_post(&ping))
            return 14;
        if (sem_wait(&pong))
            return 15;
    }
    return sem_destroy(&ping) || sem_destroy(&pong) ? 16 : 0;
}

TEST(sem_spawn_inherited)
{
    long k0 = sem_kobjs();
    sem_t ping, pong, priv;
    CHECK_OK(sem_init(&ping, 1, 0));
    CHECK_OK(sem_init(&pong, 1, 0));
    CHECK_OK(sem_init(&priv, 0, 0));
    char a1[12], a2[12], a3[12];
    snprintf(a1, sizeof(a1), "%d", keel_sem_slot(&ping));
    snprintf(a2, sizeof(a2), "%d", keel_sem_slot(&pong));
    snprintf(a3, sizeof(a3), "%d", keel_sem_slot(&priv));
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "sem-inherit", a1, a2, a3), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(sem_wait(&ping));
        CHECK_OK(sem_post(&pong));
    }
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(sem_destroy(&ping));
    CHECK_OK(sem_destroy(&pong));
    CHECK_OK(sem_destroy(&priv));
    CHECK_EQ(sem_kobjs(), k0);
}

TEST(sem_revoke_while_blocked)
{
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    /* A waiter of ours on the same semaphore stays blocked. */
    wk_sem = s;
    wk_done = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, wk_waiter, NULL), 0);
    CHECKF(sem_wait_sleepers(0, "sem_wait", 1), "our waiter never slept");
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EQ(sem_peer_recv(&pe), -EBADF);
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), -EBADF);
    ut_sleep_ms(20);
    CHECK_EQ(wk_done, 0);
    CHECK_EQ(sem_sleepers(0, "sem_wait"), 1);
    /* The object lives on for us. */
    CHECK_OK(sem_post(&s));
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(wk_done, 1);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_trywait(&s));
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
}

TEST(sem_holder_exits)
{
    long k0 = sem_kobjs();
    struct sem_peer pe;
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t s;
    CHECK_OK(sem_init(&s, 1, 0));
    cap_token_t d;
    int dst = sem_xfer(pe.pid, keel_sem_slot(&s), CAP_TYPE_SEMAPHORE,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_peer_send(&pe, SP_WAIT, 0));
    CHECKF(sem_wait_sleepers(pe.pid, "sem_wait", 1), "the peer never slept");
    ut_step("the holder dies blocked");
    CHECK_OK(kill(pe.pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pe.pid), SIGKILL);
    close(pe.cmd);
    close(pe.rep);
    CHECK_OK(cap_drop(d)); /* the delegation record keeps the receiver */
    CHECK_OK(sem_post(&s));
    int v = -1;
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1); /* the dead waiter took nothing */
    ut_step("the creator exits, the receiver keeps it");
    CHECK_RC(sem_peer_start(&pe), 0);
    sem_t t;
    CHECK_OK(sem_init(&t, 1, 0));
    dst = sem_xfer(pe.pid, keel_sem_slot(&t), CAP_TYPE_SEMAPHORE,
                   CAP_RIGHT_READ | CAP_RIGHT_WRITE, &d);
    CHECK(dst >= 0);
    CHECK_OK(cap_drop(d));
    CHECK_EQ(sem_peer_call(&pe, SP_ATTACH_SEM, dst), 0);
    CHECK_OK(sem_destroy(&t));
    CHECK_EQ(sem_peer_call(&pe, SP_POST, 0), 0);
    CHECK_EQ(sem_peer_call(&pe, SP_GETVALUE, 0), 1);
    CHECK_EXITED(sem_peer_stop(&pe), 0);
    CHECK_OK(sem_destroy(&s));
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
}

/* sem-quota: spawns itself one level deeper until its KEEL_POOL_OBJECTS
 * limit is below 60 (each level gets 3/4 of its creator's), then fills
 * the quota with semaphores and barriers. Exit 0 when the first failure
 * was ENOSPC (sem_init) / EAGAIN (pthread_barrier_init) exactly at the
 * limit, and freeing one made room again. */
int ut_mode_sem_quota(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct keel_quota q;
    if (keel_quota_info(0, &q) < 0)
        return 20;
    uint64_t room = q.limit[KEEL_POOL_OBJECTS] - q.used[KEEL_POOL_OBJECTS];
    if (room >= 60) {
        /* Inherited fds carry no GRANT: a spawn that would hand them on
         * fails with EACCES, so they stay behind. */
        for (int fd = 0; fd < 3; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        pid_t pid;
        int rc = ut_spawn_self(&pid, NULL, NULL, "sem-quota", NULL, NULL, NULL);
        if (rc)
            return 21;
        int st = ut_wait(pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 22;
    }
    static sem_t s[80];
    uint64_t n = 0;
    while (n < 80 && sem_init(&s[n], 0, 0) == 0)
        n++;
    if (n != room || errno != ENOSPC)
        return 23;
    pthread_barrier_t b;
    if (pthread_barrier_init(&b, NULL, 1) != EAGAIN)
        return 24;
    /* A named one too, and its create leaves no name behind. */
    sem_unlink("/ut_sem_quota");
    if (sem_open("/ut_sem_quota", O_CREAT, 0600, 0) != SEM_FAILED ||
        errno != ENOSPC)
        return 31;
    if (sem_unlink("/ut_sem_quota") == 0 || errno != ENOENT)
        return 32;
    if (sem_destroy(&s[--n]))
        return 25;
    if (pthread_barrier_init(&b, NULL, 1) || pthread_barrier_destroy(&b))
        return 26;
    if (sem_init(&s[n++], 0, 0))
        return 27;
    if (sem_post(&s[0]) || sem_wait(&s[0]))
        return 28;
    while (n)
        if (sem_destroy(&s[--n]))
            return 29;
    if (keel_quota_info(0, &q) < 0 || q.used[KEEL_POOL_OBJECTS] != 0)
        return 30;
    return 0;
}

TEST(sem_quota_exhausted_and_recovered)
{
    long k0 = sem_kobjs();
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "sem-quota", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
    /* We can still make one. */
    sem_t s;
    CHECK_OK(sem_init(&s, 0, 0));
    CHECK_OK(sem_destroy(&s));
}

const struct utest ut_sem_proc_tests[] = {
    UT_CASE(sem_transfer_post_and_wait),
    UT_CASE(sem_rights_eacces),
    UT_CASE(sem_spawn_inherited),
    UT_CASE(sem_revoke_while_blocked),
    UT_CASE(sem_holder_exits),
    UT_CASE(sem_quota_exhausted_and_recovered),
    UT_END,
};
