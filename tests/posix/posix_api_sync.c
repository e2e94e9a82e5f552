/*
 * docs/posix.md's program (see posix_api.c): the <pthread.h> sync
 * objects (rwlocks, spin locks, once, keys, barriers) and <semaphore.h>.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
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

/* ---- <pthread.h>: rwlocks, spin locks, once, keys ---- */

static pthread_once_t once_ctl = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_fn(void)
{
    once_runs++;
}

static int key_dtor_calls;

static void key_dtor(void *v)
{
    (void)v;
    key_dtor_calls++;
}

static pthread_key_t tkey;

static void *key_thread(void *arg)
{
    pthread_setspecific(tkey, arg);
    return pthread_getspecific(tkey);
}

void sync_more(void)
{
    pthread_rwlockattr_t ra;
    int v = -1;
    check(pthread_rwlockattr_init(&ra) == 0 &&
              pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_PRIVATE) ==
                  0 &&
              pthread_rwlockattr_getpshared(&ra, &v) == 0 &&
              v == PTHREAD_PROCESS_PRIVATE,
          "rwlockattr");
    pthread_rwlock_t rw;
    check(pthread_rwlock_init(&rw, &ra) == 0 &&
              pthread_rwlockattr_destroy(&ra) == 0,
          "rwlock_init");
    struct timespec far;
    clock_gettime(CLOCK_REALTIME, &far);
    far.tv_sec += 60;
    check(
        pthread_rwlock_rdlock(&rw) == 0 && pthread_rwlock_tryrdlock(&rw) == 0 &&
            pthread_rwlock_timedrdlock(&rw, &far) == 0 &&
            pthread_rwlock_trywrlock(&rw) == EBUSY &&
            pthread_rwlock_unlock(&rw) == 0 &&
            pthread_rwlock_unlock(&rw) == 0 && pthread_rwlock_unlock(&rw) == 0,
        "rwlock read");
    check(pthread_rwlock_wrlock(&rw) == 0 &&
              pthread_rwlock_wrlock(&rw) == EDEADLK &&
              pthread_rwlock_unlock(&rw) == 0 &&
              pthread_rwlock_timedwrlock(&rw, &far) == 0 &&
              pthread_rwlock_unlock(&rw) == 0,
          "rwlock write");
    check(pthread_rwlock_destroy(&rw) == 0, "rwlock_destroy");
    pthread_spinlock_t sl;
    check(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE) == 0 &&
              pthread_spin_lock(&sl) == 0 &&
              pthread_spin_trylock(&sl) == EBUSY &&
              pthread_spin_unlock(&sl) == 0 && pthread_spin_destroy(&sl) == 0,
          "spin locks");
    check(pthread_once(&once_ctl, once_fn) == 0 &&
              pthread_once(&once_ctl, once_fn) == 0 && once_runs == 1,
          "pthread_once");
    check(pthread_key_create(&tkey, key_dtor) == 0, "key_create");
    pthread_t th;
    void *got = NULL;
    check(pthread_create(&th, NULL, key_thread, &tkey) == 0 &&
              pthread_join(th, &got) == 0 && got == &tkey &&
              key_dtor_calls == 1 && pthread_getspecific(tkey) == NULL,
          "key values and destructor");
    check(pthread_key_delete(tkey) == 0, "key_delete");
    /* <sys/mman.h>: the caller's own memory (the suite's tests map their
     * data this way). */
    char *mp = mmap(NULL, 100, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(mp != MAP_FAILED && mp[99] == 0 && munmap(mp, 100) == 0, "mmap");
}

static void *barrier_peer(void *arg)
{
    return (void *)(long)pthread_barrier_wait(arg);
}

void semaphores_barriers(void)
{
    sem_t s;
    int v = -1;
    check(sem_init(&s, 0, 1) == 0, "sem_init");
    check(sem_trywait(&s) == 0 && sem_trywait(&s) == -1 && errno == EAGAIN,
          "sem_trywait");
    check(sem_post(&s) == 0 && sem_wait(&s) == 0, "sem_post, sem_wait");
    struct timespec past = {0, 0};
    check(sem_timedwait(&s, &past) == -1 && errno == ETIMEDOUT,
          "sem_timedwait");
    check(sem_getvalue(&s, &v) == 0 && v == 0, "sem_getvalue");
    check(sem_destroy(&s) == 0, "sem_destroy");
    sem_unlink("/posix_api_sem");
    sem_t *ns = sem_open("/posix_api_sem", O_CREAT | O_EXCL, 0600, 1);
    check(ns != SEM_FAILED && sem_trywait(ns) == 0, "sem_open");
    check(ns != SEM_FAILED && sem_close(ns) == 0, "sem_close");
    check(sem_unlink("/posix_api_sem") == 0, "sem_unlink");
    pthread_barrierattr_t ba;
    int ps = -1;
    check(pthread_barrierattr_init(&ba) == 0 &&
              pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_PRIVATE) ==
                  0 &&
              pthread_barrierattr_getpshared(&ba, &ps) == 0 &&
              ps == PTHREAD_PROCESS_PRIVATE,
          "barrierattr");
    pthread_barrier_t b;
    check(pthread_barrier_init(&b, &ba, 2) == 0, "pthread_barrier_init");
    pthread_t t;
    void *other = NULL;
    int mine = -2;
    if (pthread_create(&t, NULL, barrier_peer, &b) == 0) {
        mine = pthread_barrier_wait(&b);
        pthread_join(t, &other);
    }
    check((mine == PTHREAD_BARRIER_SERIAL_THREAD) +
                  ((long)other == PTHREAD_BARRIER_SERIAL_THREAD) ==
              1,
          "pthread_barrier_wait: one serial thread");
    check(pthread_barrier_destroy(&b) == 0 &&
              pthread_barrierattr_destroy(&ba) == 0,
          "barrier destroy");
}
