/*
 * The semaphore and barrier tests' helpers (t_sem.h): the "sem-peer"
 * helper process, which runs one command at a time on the semaphore or
 * barrier it attached and answers each with one int, and the counting
 * of sleepers, transfers and kernel objects the tests share.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

#include <keel/barrier.h>

#include "t_sem.h"
#include "utest.h"

/* ---- the sem-peer helper (t_sem.h) ---- */

struct sp_cmd {
    int op, arg;
};

int ut_mode_sem_peer(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sem_t s = {-1, 0};
    pthread_barrier_t b = {-1};
    struct sp_cmd c;
    while (ut_read_full(0, &c, sizeof(c)) == sizeof(c)) {
        int r = 0, v = 0;
        unsigned cnt, waiting;
        errno = 0;
        switch (c.op) {
        case SP_ATTACH_SEM:
            r = keel_sem_attach(&s, c.arg) < 0 ? -errno : 0;
            break;
        case SP_WAIT:
            r = sem_wait(&s) < 0 ? -errno : 0;
            break;
        case SP_TRYWAIT:
            r = sem_trywait(&s) < 0 ? -errno : 0;
            break;
        case SP_POST:
            r = sem_post(&s) < 0 ? -errno : 0;
            break;
        case SP_GETVALUE:
            r = sem_getvalue(&s, &v) < 0 ? -errno : v;
            break;
        case SP_ATTACH_BAR:
            r = -keel_barrier_attach(&b, c.arg);
            break;
        case SP_BAR_WAIT:
            r = pthread_barrier_wait(&b);
            r = r == PTHREAD_BARRIER_SERIAL_THREAD ? 1 : -r;
            break;
        case SP_BAR_QUERY:
            r = keel_barrier_query(&b, &cnt, &waiting);
            r = r ? -r : (int)waiting;
            break;
        case SP_EXIT:
            ut_write_full(1, &r, sizeof(r));
            return c.arg;
        default:
            r = -EINVAL;
        }
        if (ut_write_full(1, &r, sizeof(r)) != sizeof(r))
            return 3;
    }
    return 0;
}

int sem_peer_start(struct sem_peer *p)
{
    return ut_spawn_cmd(&p->pid, &p->cmd, &p->rep, "sem-peer", NULL, NULL,
                        NULL);
}

int sem_peer_send(struct sem_peer *p, int op, int arg)
{
    struct sp_cmd c = {op, arg};
    return ut_write_full(p->cmd, &c, sizeof(c)) == sizeof(c) ? 0 : -1;
}

int sem_peer_recv(struct sem_peer *p)
{
    int r;
    return ut_read_full(p->rep, &r, sizeof(r)) == sizeof(r) ? r : -10000;
}

int sem_peer_call(struct sem_peer *p, int op, int arg)
{
    if (sem_peer_send(p, op, arg) < 0)
        return -10000;
    return sem_peer_recv(p);
}

int sem_peer_stop(struct sem_peer *p)
{
    sem_peer_call(p, SP_EXIT, 0);
    close(p->cmd);
    close(p->rep);
    return ut_wait(p->pid);
}

int sem_sleepers(pid_t pid, const char *wchan)
{
    if (!pid)
        pid = getpid();
    int n = 0;
    struct keel_threadinfo ti;
    for (int i = 0; i < 4096 && keel_threadinfo(i, &ti) == 1; i++)
        if (ti.pid == pid && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, wchan))
            n++;
    return n;
}

int sem_wait_sleepers(pid_t pid, const char *wchan, int n)
{
    for (int i = 0; i < 2000; i++) {
        if (sem_sleepers(pid, wchan) == n)
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

int sem_xfer(pid_t pid, int slot, int type, unsigned rights, cap_token_t *deleg)
{
    cap_token_t t;
    int dst = -1;
    if (cap_get_token(slot, type, &t) < 0 ||
        cap_transfer(pid, t, rights, deleg, &dst) < 0)
        return -1;
    return dst;
}

long sem_kobjs(void)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0)
        return -1;
    return (long)k.pool_used[KEEL_POOL_OBJECTS];
}
