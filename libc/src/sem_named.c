/*
 * POSIX named semaphores (sem_open, sem_close, sem_unlink; <semaphore.h>,
 * docs/posix.md): kernel semaphores bound to names in /dev/sem (the
 * named-object layer, kernel/fs/objname.c; SYS_sem KEEL_SEM_OPEN and
 * KEEL_SEM_UNLINK). A name "/x" is the node /dev/sem/x.
 *
 * POSIX wants every sem_open of one semaphore in a process to return the
 * same address until the matching sem_close calls: libc keeps one entry
 * per semaphore object opened (found by the object index cap_info
 * reports, so a name unlinked and made again is another semaphore), with
 * a count of the sem_open calls not yet closed. A repeated open closes
 * the extra slot the kernel gave it.
 *
 * Locking: sem_named_lock (a process-private mutex) guards the list and
 * every entry's refs; nothing blocks while it is held except the
 * non-blocking SYS_sem calls and malloc/free.
 */
#include <fcntl.h>
#include <keel/cap.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>

#include "internal.h"

struct sem_named {
    sem_t sem; /* first: the address sem_open returns */
    uint32_t object;
    int refs;
    struct sem_named *next;
};

static struct sem_named *sem_named_list;
static pthread_mutex_t sem_named_lock = PTHREAD_MUTEX_INITIALIZER;

static void sem_slot_close(int slot)
{
    keel_sc2(SYS_sem, KEEL_SEM_CLOSE, slot);
}

sem_t *sem_open(const char *name, int oflag, ...)
{
    unsigned value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        (void)va_arg(ap, unsigned); /* mode: Keel has no permission bits */
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    long r = keel_sc6(SYS_sem, KEEL_SEM_OPEN, (long)name,
                      oflag & (O_CREAT | O_EXCL), value, 0, 0);
    if (r < 0) {
        errno = (int)-r;
        return SEM_FAILED;
    }
    int slot = (int)r;
    struct cap_info ci;
    if (cap_info(slot, &ci) < 0) {
        sem_slot_close(slot);
        return SEM_FAILED;
    }
    pthread_mutex_lock(&sem_named_lock);
    struct sem_named *e = sem_named_list;
    while (e && e->object != ci.object)
        e = e->next;
    if (e) {
        e->refs++;
        pthread_mutex_unlock(&sem_named_lock);
        sem_slot_close(slot);
        return &e->sem;
    }
    e = malloc(sizeof(*e));
    if (!e) {
        pthread_mutex_unlock(&sem_named_lock);
        sem_slot_close(slot);
        errno = ENOSPC;
        return SEM_FAILED;
    }
    e->sem.__slot = slot;
    e->sem.__named = 1;
    e->object = ci.object;
    e->refs = 1;
    e->next = sem_named_list;
    sem_named_list = e;
    pthread_mutex_unlock(&sem_named_lock);
    return &e->sem;
}

int sem_close(sem_t *sem)
{
    pthread_mutex_lock(&sem_named_lock);
    struct sem_named **pp = &sem_named_list;
    while (*pp && &(*pp)->sem != sem)
        pp = &(*pp)->next;
    struct sem_named *e = *pp;
    if (!e) {
        pthread_mutex_unlock(&sem_named_lock);
        errno = EINVAL; /* not a semaphore sem_open returned */
        return -1;
    }
    if (--e->refs > 0) {
        pthread_mutex_unlock(&sem_named_lock);
        return 0;
    }
    *pp = e->next;
    pthread_mutex_unlock(&sem_named_lock);
    sem_slot_close(e->sem.__slot);
    free(e);
    return 0;
}

int sem_unlink(const char *name)
{
    return (int)keel_ret(keel_sc2(SYS_sem, KEEL_SEM_UNLINK, (long)name));
}
