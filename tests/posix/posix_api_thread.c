/*
 * docs/posix.md's program (see posix_api.c): the <pthread.h> and
 * <sched.h> thread rows, cancellation, limits and memory locking.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "posix_api.h"

/* ---- <pthread.h>, <sched.h> ---- */

/* The sporadic server is not provided, and says so: -1, which a program
 * can test with #if; no SCHED_SPORADIC and no sched_ss_* members. */
#if !defined(_POSIX_SPORADIC_SERVER) || _POSIX_SPORADIC_SERVER != -1 ||        \
    !defined(_POSIX_THREAD_SPORADIC_SERVER) ||                                 \
    _POSIX_THREAD_SPORADIC_SERVER != -1 || defined(SCHED_SPORADIC)
#error                                                                         \
    "the sporadic server options are -1 (not supported), SCHED_SPORADIC absent"
#endif
_Static_assert(sizeof(struct sched_param) == sizeof(int),
               "struct sched_param has no sporadic-server members");

static pthread_mutex_t mu;
static int counter;

static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    pthread_exit(arg);
}

static void *idle_thread(void *arg)
{
    sched_yield();
    return arg;
}

void threads(void)
{
    check(pthread_mutex_init(&mu, NULL) == 0, "mutex_init");
    pthread_attr_t a;
    check(pthread_attr_init(&a) == 0, "attr_init");
    size_t sz = 0;
    check(pthread_attr_setstacksize(&a, 128 * 1024) == 0 &&
              pthread_attr_getstacksize(&a, &sz) == 0 && sz == 128 * 1024,
          "stacksize");
    int v = -1;
    check(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE) == 0 &&
              pthread_attr_getdetachstate(&a, &v) == 0 &&
              v == PTHREAD_CREATE_JOINABLE,
          "detachstate");
    check(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED) == 0 &&
              pthread_attr_getinheritsched(&a, &v) == 0 &&
              v == PTHREAD_EXPLICIT_SCHED,
          "inheritsched");
    check(pthread_attr_setschedpolicy(&a, SCHED_FIFO) == 0 &&
              pthread_attr_getschedpolicy(&a, &v) == 0 && v == SCHED_FIFO,
          "schedpolicy");
    struct sched_param sp = {.sched_priority = 5};
    check(pthread_attr_setschedparam(&a, &sp) == 0 &&
              pthread_attr_getschedparam(&a, &sp) == 0 &&
              sp.sched_priority == 5,
          "schedparam");
    pthread_t t1, t2;
    check(pthread_create(&t1, &a, worker, &counter) == 0, "pthread_create");
    check(pthread_create(&t2, NULL, worker, NULL) == 0, "pthread_create 2");
    pthread_attr_destroy(&a);
    void *r1 = NULL, *r2 = &r2;
    check(pthread_join(t1, &r1) == 0 && r1 == &counter, "pthread_join");
    check(pthread_join(t2, &r2) == 0 && r2 == NULL, "pthread_join 2");
    check(counter == 2000, "mutex_lock");
    check(pthread_mutex_trylock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0,
          "trylock");
    check(pthread_mutex_destroy(&mu) == 0, "mutex_destroy");
    pthread_mutexattr_t ma;
    int mv = -1;
    check(pthread_mutexattr_init(&ma) == 0 &&
              pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE) == 0 &&
              pthread_mutexattr_gettype(&ma, &mv) == 0 &&
              mv == PTHREAD_MUTEX_RECURSIVE,
          "mutexattr type");
    check(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_PROTECT) == 0 &&
              pthread_mutexattr_getprotocol(&ma, &mv) == 0 &&
              mv == PTHREAD_PRIO_PROTECT,
          "mutexattr protocol");
    int prio_now = 0;
    struct sched_param sp0;
    check(pthread_getschedparam(pthread_self(), &mv, &sp0) == 0,
          "own priority");
    prio_now = sp0.sched_priority;
    check(pthread_mutexattr_setprioceiling(&ma, prio_now) == 0 &&
              pthread_mutexattr_getprioceiling(&ma, &mv) == 0 && mv == prio_now,
          "mutexattr ceiling");
    check(pthread_mutex_init(&mu, &ma) == 0 &&
              pthread_mutexattr_destroy(&ma) == 0,
          "mutex_init with attributes");
    struct timespec far;
    clock_gettime(CLOCK_REALTIME, &far);
    far.tv_sec += 60;
    int oldc = -1;
    check(pthread_mutex_timedlock(&mu, &far) == 0 &&
              pthread_mutex_lock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0 &&
              pthread_mutex_unlock(&mu) == 0,
          "timedlock, recursive");
    check(pthread_mutex_setprioceiling(&mu, prio_now, &oldc) == 0 &&
              oldc == prio_now && pthread_mutex_getprioceiling(&mu, &mv) == 0 &&
              mv == prio_now,
          "mutex ceiling");
    check(pthread_mutex_destroy(&mu) == 0, "mutex_destroy 2");
    /* robust and process-shared mutexes (kernel objects) */
    check(pthread_mutexattr_init(&ma) == 0 &&
              pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) == 0 &&
              pthread_mutexattr_getrobust(&ma, &mv) == 0 &&
              mv == PTHREAD_MUTEX_ROBUST &&
              pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0 &&
              pthread_mutexattr_getpshared(&ma, &mv) == 0 &&
              mv == PTHREAD_PROCESS_SHARED &&
              pthread_mutex_init(&mu, &ma) == 0 &&
              pthread_mutexattr_destroy(&ma) == 0,
          "robust pshared mutex");
    check(pthread_mutex_lock(&mu) == 0 &&
              pthread_mutex_consistent(&mu) == EINVAL &&
              pthread_mutex_unlock(&mu) == 0 && pthread_mutex_destroy(&mu) == 0,
          "robust lock, consistent");
    /* condition variables */
    pthread_condattr_t ca;
    pthread_cond_t cv;
    clockid_t ck;
    check(
        pthread_condattr_init(&ca) == 0 &&
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
            pthread_condattr_getclock(&ca, &ck) == 0 && ck == CLOCK_MONOTONIC &&
            pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_PRIVATE) == 0 &&
            pthread_condattr_getpshared(&ca, &mv) == 0 &&
            mv == PTHREAD_PROCESS_PRIVATE && pthread_cond_init(&cv, &ca) == 0 &&
            pthread_condattr_destroy(&ca) == 0,
        "condattr, cond_init");
    struct timespec soon;
    clock_gettime(CLOCK_MONOTONIC, &soon);
    soon.tv_nsec = 0; /* already past */
    check(pthread_mutex_init(&mu, NULL) == 0 && pthread_mutex_lock(&mu) == 0 &&
              pthread_cond_timedwait(&cv, &mu, &soon) == ETIMEDOUT &&
              pthread_cond_signal(&cv) == 0 &&
              pthread_cond_broadcast(&cv) == 0 &&
              pthread_mutex_unlock(&mu) == 0,
          "cond_timedwait, signal, broadcast");
    check(pthread_cond_wait(&cv, &mu) == EPERM, "cond_wait, mutex not held");
    check(pthread_cond_destroy(&cv) == 0 && pthread_mutex_destroy(&mu) == 0,
          "cond_destroy");
    pthread_t t3;
    check(pthread_create(&t3, NULL, idle_thread, NULL) == 0 &&
              pthread_detach(t3) == 0,
          "pthread_detach");
    pthread_t me = pthread_self();
    check(pthread_equal(me, pthread_self()), "pthread_equal");
    int pol;
    check(pthread_getschedparam(me, &pol, &sp) == 0 &&
              pthread_setschedparam(me, pol, &sp) == 0,
          "schedparam self");
    check(sched_get_priority_min(SCHED_RR) >= 1 &&
              sched_get_priority_max(SCHED_RR) >=
                  sched_get_priority_min(SCHED_RR),
          "priority range");
    check(sched_yield() == 0, "sched_yield");
    /* Process scheduling: pid 0 and getpid() name the calling thread. */
    int before = sched_getscheduler(0);
    check(before == SCHED_RR || before == SCHED_FIFO, "sched_getscheduler");
    check(sched_getparam(getpid(), &sp) == 0 && sp.sched_priority >= 1,
          "sched_getparam");
    int prio = sp.sched_priority;
    check(sched_setscheduler(0, SCHED_FIFO, &sp) == before &&
              sched_getscheduler(0) == SCHED_FIFO,
          "sched_setscheduler");
    check(sched_setparam(0, &sp) == 0 && sched_getparam(0, &sp) == 0 &&
              sp.sched_priority == prio,
          "sched_setparam");
    struct timespec slice = {1, 1};
    check(sched_rr_get_interval(0, &slice) == 0 && slice.tv_sec == 0 &&
              slice.tv_nsec == 0,
          "sched_rr_get_interval (FIFO: no slice)");
    check(sched_setscheduler(0, before, &sp) == SCHED_FIFO,
          "sched_setscheduler back");
    check(pthread_setschedprio(me, prio) == 0 &&
              pthread_getschedparam(me, &pol, &sp) == 0 && pol == before &&
              sp.sched_priority == prio,
          "pthread_setschedprio (policy kept)");
    check(pthread_atfork(NULL, NULL, NULL) == 0, "pthread_atfork");
    clockid_t cid;
    struct timespec cpu;
    check(clock_getcpuclockid(0, &cid) == 0 &&
              cid == CLOCK_PROCESS_CPUTIME_ID && clock_gettime(cid, &cpu) == 0,
          "clock_getcpuclockid");
    check(pthread_getcpuclockid(me, &cid) == 0 &&
              clock_gettime(cid, &cpu) == 0 && clock_getres(cid, &slice) == 0,
          "pthread_getcpuclockid");
    pthread_attr_t self_attr;
    size_t self_stack = 0;
    check(pthread_getattr_np(me, &self_attr) == 0 &&
              pthread_attr_getstacksize(&self_attr, &self_stack) == 0 &&
              self_stack > 0 && pthread_attr_destroy(&self_attr) == 0,
          "pthread_getattr_np");
}

static void *stack_worker(void *arg)
{
    return arg;
}

static volatile int cancel_go, cancel_cleaned;

static void cancel_cleanup(void *arg)
{
    (void)arg;
    cancel_cleaned = 1;
}

static void *cancel_target(void *arg)
{
    int old = -1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
    pthread_cleanup_push(cancel_cleanup, NULL);
    while (!cancel_go)
        sched_yield();
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return arg;
}

void cancellation(void)
{
    pthread_t t;
    void *r = NULL;
    check(pthread_create(&t, NULL, cancel_target, NULL) == 0 &&
              pthread_cancel(t) == 0,
          "pthread_cancel");
    cancel_go = 1;
    check(pthread_join(t, &r) == 0 && r == PTHREAD_CANCELED && cancel_cleaned,
          "cancelled at pthread_testcancel, cleanup ran");
}

void limits_and_memory(void)
{
    check(sysconf(_SC_PAGESIZE) == 4096, "sysconf pagesize");
    check(sysconf(_SC_NPROCESSORS_ONLN) >= 1, "sysconf processors");
    check(sysconf(_SC_MEMLOCK) == _POSIX_MEMLOCK, "sysconf option");
    check(sysconf(_SC_SPORADIC_SERVER) == -1 &&
              sysconf(_SC_THREAD_SPORADIC_SERVER) == -1,
          "sysconf: no sporadic server");
    /* One identity, user and group 0: the database holds it alone, and
     * the set*id calls accept only it. */
    struct passwd *pw = getpwnam("root");
    check(pw && pw->pw_uid == 0 && pw->pw_gid == 0 && getpwuid(0) == pw &&
              !strcmp(pw->pw_dir, "/"),
          "getpwnam/getpwuid root");
    errno = 0;
    check(!getpwnam("nobody") && !getpwuid(1) && errno == 0, "no other user");
    setpwent();
    pw = getpwent();
    check(pw && !strcmp(pw->pw_name, "root") && !getpwent() && !getpwent(),
          "getpwent: root, then the end");
    setpwent();
    check(getpwent() == pw, "setpwent rewinds");
    endpwent();
    check(getpwent() == pw, "endpwent rewinds");
    check(setuid(0) == 0 && seteuid(0) == 0 && setgid(0) == 0 &&
              setegid(0) == 0 && getuid() == 0 && geteuid() == 0,
          "set*id(0)");
    errno = 0;
    check(setuid(1) == -1 && errno == EINVAL, "setuid(1) EINVAL");
    errno = 0;
    check(seteuid(65534) == -1 && errno == EINVAL, "seteuid EINVAL");
    errno = 0;
    check(setgid(1) == -1 && errno == EINVAL, "setgid EINVAL");
    errno = 0;
    check(setegid(1) == -1 && errno == EINVAL && getegid() == 0,
          "setegid EINVAL");
    static char page[4096] __attribute__((aligned(4096)));
    page[0] = 1;
    check(mlock(page, sizeof(page)) == 0 && munlock(page, sizeof(page)) == 0,
          "mlock");
    check(mlockall(MCL_CURRENT | MCL_FUTURE) == 0 && munlockall() == 0,
          "mlockall");
    int fds[2];
    if (pipe(fds) == 0) {
        errno = 0;
        check(fsync(fds[0]) == -1 && errno == EINVAL, "fsync pipe");
        errno = 0;
        check(fdatasync(fds[1]) == -1 && errno == EINVAL, "fdatasync pipe");
        close(fds[0]);
        close(fds[1]);
    }
    pthread_attr_t a;
    check(pthread_attr_init(&a) == 0, "attr_init");
    int v = -1;
    check(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM) == 0 &&
              pthread_attr_getscope(&a, &v) == 0 && v == PTHREAD_SCOPE_SYSTEM,
          "scope");
    size_t g = 0;
    check(pthread_attr_setguardsize(&a, 8192) == 0 &&
              pthread_attr_getguardsize(&a, &g) == 0 && g == 8192,
          "guardsize");
    static char stk[16384] __attribute__((aligned(16)));
    void *addr = NULL;
    size_t sz = 0;
    check(pthread_attr_setstack(&a, stk, sizeof(stk)) == 0 &&
              pthread_attr_getstack(&a, &addr, &sz) == 0 && addr == stk &&
              sz == sizeof(stk),
          "stack");
    pthread_t t;
    void *r = NULL;
    check(pthread_create(&t, &a, stack_worker, stk) == 0 &&
              pthread_join(t, &r) == 0 && r == stk,
          "thread on its own stack");
    pthread_attr_destroy(&a);
    check(pthread_setconcurrency(2) == 0 && pthread_getconcurrency() == 2,
          "concurrency");
    void *al = NULL;
    check(posix_memalign(&al, 4096, 100) == 0 && al &&
              ((uintptr_t)al & 4095) == 0 &&
              posix_memalign(&al, 3, 8) == EINVAL,
          "posix_memalign");
    free(al);
}
