/*
 * Named semaphores: SYS_sem KEEL_SEM_OPEN, KEEL_SEM_UNLINK and
 * KEEL_SEM_CLOSE (sem_open, sem_unlink, sem_close; libc/src/sem_named.c).
 * A POSIX name "/x" is bound to its semaphore as the node /dev/sem/x by
 * the named-object layer (kernel/include/objname.h), which holds one
 * reference for the name; sem_unlink drops it at once and the semaphore
 * lives while caps or operations still name it.
 *
 * sem_open's caps carry READ, WRITE and GRANT: a named semaphore is
 * meant to be shared, so the cap may be handed on and is inherited at
 * spawn (GRANT stripped), like mq_open's.
 *
 * Locking: none of its own; objname takes ramfs_lock for bounded steps,
 * the semaphore's own lock is ksem.c's. Objects are made and references
 * put with no lock held.
 */
#include "../include/ksem.h"
#include "../include/objname.h"
#include "../include/proc.h"
#include "../../libc/include/keel/abi.h"

static struct kobj *ksem_named_make(void *arg, int *err)
{
    struct kobj *o = ksem_new(*(const uint32_t *)arg);
    if (!o)
        *err = -ENOSPC;
    return o;
}

long ksem_open(uint64_t uname, uint64_t oflags, uint64_t value)
{
    char name[KEEL_NAME_MAX + 1];
    int r = objname_copy_in(uname, name);
    if (r < 0)
        return r;
    if (oflags & ~(uint64_t)(KEEL_O_CREAT | KEEL_O_EXCL))
        return -EINVAL;
    if ((oflags & KEEL_O_CREAT) && value > KEEL_SEM_VALUE_MAX)
        return -EINVAL;
    uint32_t v = (uint32_t)value;
    struct kobj *o;
    bool created;
    r = objname_open(CAP_TYPE_SEMAPHORE, name, (int)oflags, ksem_named_make, &v,
                     &o, &created);
    if (r < 0)
        return r;
    int slot =
        cap_kobj_install(current()->proc, o,
                         CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 0);
    if (slot < 0 && created) /* undo the name this call made */
        objname_unlink_obj(CAP_TYPE_SEMAPHORE, name, o);
    kobj_put(o);
    return slot;
}

/* A name no semaphore can have ("", no leading '/', a second '/') names
 * no semaphore: ENOENT, the one error POSIX gives sem_unlink for it. */
long ksem_unlink(uint64_t uname)
{
    char name[KEEL_NAME_MAX + 1];
    int r = objname_copy_in(uname, name);
    if (r == -EINVAL)
        return -ENOENT;
    if (r < 0)
        return r;
    return objname_unlink(CAP_TYPE_SEMAPHORE, name);
}
