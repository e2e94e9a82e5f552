/*
 * Helpers of the kernel mutex and condvar tests (t_kobj_util.h): the
 * "kmx" helper process, which runs one pthread call per command on a
 * mutex and condvar it attached to through its own slots (no shared
 * memory), and the utilities both test files use.
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

/* ---- the helper ---- */

static pthread_mutex_t kh_m;
static pthread_cond_t kh_c;

static int kh_exec(int op, int arg)
{
    struct sched_param sp = {.sched_priority = arg};
    switch (op) {
    case 'A':
        return keel_mutex_attach(&kh_m, arg);
    case 'a':
        return keel_cond_attach(&kh_c, arg);
    case 'L':
        return pthread_mutex_lock(&kh_m);
    case 'T':
        return pthread_mutex_trylock(&kh_m);
    case 'U':
        return pthread_mutex_unlock(&kh_m);
    case 'C':
        return pthread_mutex_consistent(&kh_m);
    case 'P':
        return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    case 'W':
        return pthread_cond_wait(&kh_c, &kh_m);
    case 'S':
        return pthread_cond_signal(&kh_c);
    case 'B':
        return pthread_cond_broadcast(&kh_c);
    case 'X':
        _exit(arg); /* whatever it holds */
    default:
        return -100;
    }
}

/* kmx: runs commands until EOF (exit 0). */
static int mode_kmx(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct kx_cmd c;
    while (ut_read_full(0, &c, sizeof(c)) == (long)sizeof(c)) {
        int r = kh_exec(c.op, c.arg);
        if (ut_write_full(1, &r, sizeof(r)) != (long)sizeof(r))
            return 4;
    }
    return 0;
}

/* ---- the test side (t_kobj_util.h) ---- */

int kx_start(struct kx *h)
{
    return ut_spawn_cmd(&h->pid, &h->cmd, &h->rep, "kmx", NULL, NULL, NULL);
}

int kx_send(struct kx *h, int op, int arg)
{
    struct kx_cmd c = {op, arg};
    return ut_write_full(h->cmd, &c, sizeof(c)) == (long)sizeof(c) ? 0 : -1;
}

int kx_recv(struct kx *h)
{
    int r;
    if (ut_read_full(h->rep, &r, sizeof(r)) != (long)sizeof(r))
        return -1000;
    return r;
}

int kx_call(struct kx *h, int op, int arg)
{
    return kx_send(h, op, arg) ? -1000 : kx_recv(h);
}

int kx_end(struct kx *h)
{
    close(h->cmd);
    close(h->rep);
    return ut_wait(h->pid);
}

long kx_objects(void)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0)
        return -1;
    return (long)k.pool_used[KEEL_POOL_OBJECTS];
}

int kx_ti(int pid, int tid, struct keel_threadinfo *out)
{
    for (int i = 0; i < 4096; i++) {
        int r = keel_threadinfo(i, out);
        if (r <= 0)
            return 0;
        if (out->pid == pid && (tid < 0 || out->tid == tid))
            return 1;
    }
    return 0;
}

int kx_make_mutex(pthread_mutex_t *m, int type, int protocol, int ceil)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (!rc)
        rc = pthread_mutexattr_settype(&a, type);
    if (!rc)
        rc = pthread_mutexattr_setprotocol(&a, protocol);
    if (!rc && ceil)
        rc = pthread_mutexattr_setprioceiling(&a, ceil);
    if (!rc)
        rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

int kx_own_prio(void)
{
    struct sched_param sp;
    int pol;
    return pthread_getschedparam(pthread_self(), &pol, &sp) ? -1
                                                            : sp.sched_priority;
}

int kx_runs_at(void)
{
    struct keel_threadinfo ti;
    return kx_ti(getpid(), (int)pthread_self(), &ti) == 1 ? ti.priority : -1;
}

int kx_wait_blocked(int pid, int tid, const char *wchan)
{
    struct keel_threadinfo ti;
    for (int i = 0; i < 2000; i++) {
        if (kx_ti(pid, tid, &ti) && ti.state == KEEL_TSTATE_BLOCKED &&
            !strcmp(ti.wchan, wchan))
            return 1;
        ut_sleep_ms(5);
    }
    return 0;
}

struct timespec kx_in(clockid_t clk, int64_t ns)
{
    struct timespec t;
    clock_gettime(clk, &t);
    int64_t a = (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec + ns;
    return (struct timespec){a / 1000000000ll, a % 1000000000ll};
}

int kx_mutex(pthread_mutex_t *m, int type, int proto, int robust, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setprotocol(&a, proto);
    pthread_mutexattr_setrobust(&a, robust);
    pthread_mutexattr_setpshared(&a, pshared);
    int rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

/* ---- a second thread (kx_other) ---- */

struct kt_arg {
    pthread_mutex_t *m;
    int op; /* 'T' trylock, 'U' unlock, 't' timedlock 20 ms, 'e' bad time,
               'L' lock then unlock, 'D' lock and exit holding */
    int r;
};

static void *kt_thread(void *p)
{
    struct kt_arg *a = p;
    struct timespec ts = kx_in(CLOCK_REALTIME, 20 * MS);
    switch (a->op) {
    case 'T':
        a->r = pthread_mutex_trylock(a->m);
        break;
    case 'U':
        a->r = pthread_mutex_unlock(a->m);
        break;
    case 't':
        a->r = pthread_mutex_timedlock(a->m, &ts);
        break;
    case 'e':
        ts.tv_nsec = 1000000000;
        a->r = pthread_mutex_timedlock(a->m, &ts);
        if (a->r == 0)
            pthread_mutex_unlock(a->m);
        break;
    case 'L':
        a->r = pthread_mutex_lock(a->m);
        if (a->r == 0 || a->r == EOWNERDEAD)
            pthread_mutex_unlock(a->m);
        break;
    case 'D':
        a->r = pthread_mutex_lock(a->m);
        break; /* exits holding it */
    }
    return NULL;
}

/* Runs op in a new thread and returns its result. */
int kx_other(pthread_mutex_t *m, int op)
{
    struct kt_arg a = {m, op, -1};
    pthread_t t;
    if (pthread_create(&t, NULL, kt_thread, &a))
        return -1;
    pthread_join(t, NULL);
    return a.r;
}

const struct ut_mode ut_kobj_util_modes[] = {
    {"kmx", mode_kmx},
    UT_MODE_END,
};
