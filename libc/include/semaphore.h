/*
 * Keel's <semaphore.h> (libc/src/sem.c, docs/posix.md): POSIX counting
 * semaphores, each one a kernel semaphore (CAP_TYPE_SEMAPHORE) reached
 * through a slot of the caller's cap_space. A sem_t records that slot;
 * every sem_init makes a new kernel semaphore (pshared 1 mints its cap
 * with GRANT, so it can be transferred with cap_transfer and is inherited
 * at spawn; pshared 0 without GRANT). Named semaphores (sem_open) live
 * under /dev/sem.
 *
 * Copying a sem_t copies the slot number only: both copies name the same
 * semaphore. sem_destroy closes the slot.
 */
#ifndef KEEL_SEMAPHORE_H
#define KEEL_SEMAPHORE_H

#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int __slot;  /* the CAP_TYPE_SEMAPHORE slot */
    int __named; /* 1: from sem_open (sem_close, not sem_destroy) */
} sem_t;

#define SEM_FAILED ((sem_t *)0)
#ifndef SEM_VALUE_MAX
#define SEM_VALUE_MAX 0x7fffffff /* KEEL_SEM_VALUE_MAX */
#endif

int sem_init(sem_t *sem, int pshared, unsigned value);
int sem_destroy(sem_t *sem);
int sem_wait(sem_t *sem);
int sem_trywait(sem_t *sem);
int sem_timedwait(sem_t *__restrict sem,
                  const struct timespec *__restrict abstime);
int sem_post(sem_t *sem);
int sem_getvalue(sem_t *__restrict sem, int *__restrict sval);
sem_t *sem_open(const char *name, int oflag, ...);
int sem_close(sem_t *sem);
int sem_unlink(const char *name);

/* ---- Keel ---- */
/*
 * Makes *sem name the semaphore whose cap is in the caller's slot `slot`
 * (one that arrived by cap_transfer, or was inherited at spawn: it keeps
 * its slot number, which the parent can pass in argv). The rights of
 * that cap decide what works: sem_wait and friends need READ, sem_post
 * WRITE (EACCES otherwise). 0, or -1 with errno EBADF when the slot
 * holds no semaphore cap, EINVAL for a NULL sem. sem_destroy on it
 * closes the slot.
 */
int keel_sem_attach(sem_t *sem, int slot);
/* The slot behind *sem (to hand it on with cap_get_token/cap_transfer). */
int keel_sem_slot(const sem_t *sem);

#ifdef __cplusplus
}
#endif

#endif
