/*
 * POSIX barriers on kernel barriers (pthread_barrier_* in <pthread.h>;
 * kernel/sync/kbarrier.c; docs/posix.md). Every barrier, process-private
 * or shared, is a CAP_TYPE_BARRIER object behind the slot the
 * pthread_barrier_t records (PTHREAD_PROCESS_SHARED mints the cap with
 * GRANT, so it can be transferred or inherited; a process that received
 * one uses it with keel_barrier_attach, <keel/barrier.h>). Waiting is one
 * system call; pthread_barrier_wait never returns EINTR (SA_RESTART or
 * not): a waiter a signal interrupted stays counted and, once its
 * handler ran, RESUMEs the recorded wait, which returns at once if the
 * cycle completed during the handler (POSIX: it continues from the
 * completed wait) or waits on without counting again.
 * No state of its own, so no lock.
 */
#include <keel/barrier.h>
#include <keel/cap.h>
#include <pthread.h>

#include "internal.h"

KEEL_PSHARED_ATTR_FNS(barrierattr, pthread_barrierattr_t)

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
                         unsigned count)
{
    if (!b || count == 0 || (a && !a->is_initialized))
        return EINVAL;
    long flags = a && a->process_shared == PTHREAD_PROCESS_SHARED
                     ? KEEL_BARRIER_PSHARED
                     : 0;
    long r = keel_sc6(SYS_barrier, KEEL_BARRIER_CREATE, 0, count, flags, 0, 0);
    if (r == -EMFILE)
        r = -EAGAIN; /* POSIX: the system lacks the resources */
    if (r < 0)
        return keel_err(r);
    b->__slot = (int)r;
    return 0;
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (!b || b->__slot < 0)
        return EINVAL;
    long r = keel_sc2(SYS_barrier, KEEL_BARRIER_DESTROY, b->__slot);
    if (r < 0)
        return keel_err(r);
    b->__slot = -1;
    return 0;
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (!b || b->__slot < 0)
        return EINVAL;
    long r = keel_sc2(SYS_barrier, KEEL_BARRIER_WAIT, b->__slot);
    while (r == -EINTR)
        r = keel_sc2(SYS_barrier, KEEL_BARRIER_RESUME, b->__slot);
    if (r < 0)
        return keel_err(r);
    return r == 1 ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

int keel_barrier_attach(pthread_barrier_t *b, int slot)
{
    struct cap_info ci;
    if (!b)
        return EINVAL;
    if (slot < 0 || slot >= CAP_FD_SLOTS || cap_info(slot, &ci) < 0 ||
        ci.type != CAP_TYPE_BARRIER)
        return EBADF;
    b->__slot = slot;
    return 0;
}

int keel_barrier_query(const pthread_barrier_t *b, unsigned *count,
                       unsigned *waiting)
{
    if (!b || b->__slot < 0)
        return EINVAL;
    uint32_t out[2];
    long r = keel_sc3(SYS_barrier, KEEL_BARRIER_QUERY, b->__slot, (long)out);
    if (r < 0)
        return keel_err(r);
    if (count)
        *count = out[0];
    if (waiting)
        *waiting = out[1];
    return 0;
}
