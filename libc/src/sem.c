/*
 * POSIX unnamed semaphores on kernel semaphores (<semaphore.h>;
 * kernel/sync/ksem.c; docs/posix.md). Every call is one SYS_sem on the
 * slot the sem_t records; nothing here keeps state of its own, so there
 * is no lock. Named semaphores (sem_open, sem_close, sem_unlink) are in
 * sem_named.c.
 *
 * Errors: a sem_t that sem_destroy already closed (slot -1) gives EINVAL,
 * as POSIX names it for "not a valid semaphore"; a slot that holds no
 * semaphore (revoked, closed behind libc's back) gives the kernel's
 * EBADF; a cap without the right for the call gives EACCES.
 */
#include <keel/cap.h>
#include <limits.h>
#include <semaphore.h>
#include <stdarg.h>

#include "internal.h"

static inline long sem_call(long op, const sem_t *s, long a)
{
    if (!s || s->__slot < 0)
        return -EINVAL;
    return keel_sc3(SYS_sem, op, s->__slot, a);
}

int sem_init(sem_t *sem, int pshared, unsigned value)
{
    if (!sem || value > SEM_VALUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    long r = keel_sc6(SYS_sem, KEEL_SEM_CREATE, 0, value,
                      pshared ? KEEL_SEM_PSHARED : 0, 0, 0);
    if (r == -EMFILE)
        r = -ENOSPC; /* POSIX: a resource needed is used up */
    if (r < 0)
        return (int)keel_ret(r);
    sem->__slot = (int)r;
    sem->__named = 0;
    return 0;
}

int sem_destroy(sem_t *sem)
{
    if (sem && sem->__named) {
        errno = EINVAL; /* a named one is sem_close's */
        return -1;
    }
    long r = sem_call(KEEL_SEM_DESTROY, sem, 0);
    if (r < 0)
        return (int)keel_ret(r);
    sem->__slot = -1;
    return 0;
}

/* sem_wait and sem_timedwait are cancellation points (cancel.c): before
 * they block and when the wait was interrupted. */
int sem_wait(sem_t *sem)
{
    keel_cancel_point();
    long r = sem_call(KEEL_SEM_WAIT, sem, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return (int)keel_ret(r);
}

int sem_trywait(sem_t *sem)
{
    return (int)keel_ret(sem_call(KEEL_SEM_TRYWAIT, sem, 0));
}

int sem_timedwait(sem_t *__restrict sem,
                  const struct timespec *__restrict abstime)
{
    keel_cancel_point();
    long r = sem_call(KEEL_SEM_TIMEDWAIT, sem, (long)abstime);
    if (r == -EINTR)
        keel_cancel_point();
    return (int)keel_ret(r);
}

int sem_post(sem_t *sem)
{
    return (int)keel_ret(sem_call(KEEL_SEM_POST, sem, 0));
}

int sem_getvalue(sem_t *__restrict sem, int *__restrict sval)
{
    long r = sem_call(KEEL_SEM_GETVALUE, sem, 0);
    if (r < 0)
        return (int)keel_ret(r);
    if (!sval) {
        errno = EINVAL;
        return -1;
    }
    *sval = (int)r;
    return 0;
}

int keel_sem_attach(sem_t *sem, int slot)
{
    struct cap_info ci;
    if (!sem) {
        errno = EINVAL;
        return -1;
    }
    if (slot < 0 || slot >= CAP_FD_SLOTS || cap_info(slot, &ci) < 0 ||
        ci.type != CAP_TYPE_SEMAPHORE) {
        errno = EBADF;
        return -1;
    }
    sem->__slot = slot;
    sem->__named = 0;
    return 0;
}

int keel_sem_slot(const sem_t *sem)
{
    if (!sem || sem->__slot < 0) {
        errno = EINVAL;
        return -1;
    }
    return sem->__slot;
}
