/*
 * Thread creation attributes (pthread_attr_*), read by pthread_create
 * (pthread.c). An attribute object is the caller's own memory and is
 * never shared by libc, so there is no locking here.
 *
 * Stacks: by default the kernel maps `stacksize` bytes (64 KiB unless
 * set, PTHREAD_STACK_MIN to KEEL_THREAD_STACK_MAX) at the top of the
 * thread slot's 1 MiB stack region. pthread_attr_setstack supplies the
 * caller's own memory instead; the thread then runs on it from its start
 * routine on (the kernel maps only one page for the entry code).
 *
 * Guard: below each slot's region the kernel keeps an unmapped page, and
 * the part of the region that is not mapped (1 MiB less the largest stack
 * the slot has had) is unmapped too, so an overflow of a kernel-mapped
 * stack faults after at least one page. guardsize is recorded and
 * reported as set (POSIX allows rounding; Keel keeps the value) but does
 * not enlarge that gap; a caller-supplied stack has no guard (POSIX:
 * guardsize is then ignored).
 *
 * Scope: every Keel thread is scheduled by the kernel against all
 * threads of the system, so only PTHREAD_SCOPE_SYSTEM exists.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "internal.h"

#define KEEL_PAGE_SIZE 4096ul

int pthread_attr_init(pthread_attr_t *attr)
{
    if (!attr)
        return EINVAL;
    memset(attr, 0, sizeof(*attr));
    attr->is_initialized = 1;
    attr->contentionscope = PTHREAD_SCOPE_SYSTEM;
    attr->inheritsched = PTHREAD_INHERIT_SCHED;
    attr->schedpolicy = SCHED_RR; /* the kernel's default policy */
    attr->schedparam.sched_priority = KEEL_PRIO_DEFAULT;
    attr->detachstate = PTHREAD_CREATE_JOINABLE;
    attr->stacksize = KEEL_THREAD_STACK_DEFAULT;
    attr->guardsize = KEEL_PAGE_SIZE;
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *attr)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    attr->is_initialized = 0;
    return 0;
}

/* The kernel maps this much (rounded up to pages) for the thread. */
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    if (!attr || !attr->is_initialized || size < PTHREAD_STACK_MIN ||
        size > KEEL_THREAD_STACK_MAX)
        return EINVAL;
    attr->stacksize = size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size)
{
    if (!attr || !attr->is_initialized || !size)
        return EINVAL;
    *size = attr->stacksize;
    return 0;
}

/* The caller's memory [addr, addr + size) becomes the thread's stack; it
 * must stay valid until the thread has exited. addr and size must keep
 * the RISC-V ABI's 16-byte stack alignment. No upper size limit: the
 * memory is the caller's. */
int pthread_attr_setstack(pthread_attr_t *attr, void *addr, size_t size)
{
    if (!attr || !attr->is_initialized || !addr || size < PTHREAD_STACK_MIN ||
        ((uintptr_t)addr & 15) || (size & 15) ||
        (uintptr_t)addr + size < (uintptr_t)addr)
        return EINVAL;
    attr->stackaddr = addr;
    attr->stacksize = size;
    return 0;
}

int pthread_attr_getstack(const pthread_attr_t *attr, void **addr, size_t *size)
{
    if (!attr || !attr->is_initialized || !addr || !size)
        return EINVAL;
    *addr = attr->stackaddr;
    *size = attr->stacksize;
    return 0;
}

int pthread_attr_setguardsize(pthread_attr_t *attr, size_t guardsize)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    attr->guardsize = guardsize;
    return 0;
}

int pthread_attr_getguardsize(const pthread_attr_t *attr, size_t *guardsize)
{
    if (!attr || !attr->is_initialized || !guardsize)
        return EINVAL;
    *guardsize = attr->guardsize;
    return 0;
}

int pthread_attr_setscope(pthread_attr_t *attr, int scope)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    if (scope == PTHREAD_SCOPE_PROCESS)
        return ENOTSUP;
    if (scope != PTHREAD_SCOPE_SYSTEM)
        return EINVAL;
    attr->contentionscope = scope;
    return 0;
}

int pthread_attr_getscope(const pthread_attr_t *attr, int *scope)
{
    if (!attr || !attr->is_initialized || !scope)
        return EINVAL;
    *scope = attr->contentionscope;
    return 0;
}

/* The priority must be valid for the attribute's policy. */
int pthread_attr_setschedparam(pthread_attr_t *attr,
                               const struct sched_param *param)
{
    if (!attr || !attr->is_initialized || !param)
        return EINVAL;
    int lo = sched_get_priority_min(attr->schedpolicy);
    int hi = sched_get_priority_max(attr->schedpolicy);
    if (lo < 0 || hi < 0 || param->sched_priority < lo ||
        param->sched_priority > hi)
        return EINVAL;
    attr->schedparam = *param;
    return 0;
}

int pthread_attr_getschedparam(const pthread_attr_t *attr,
                               struct sched_param *param)
{
    if (!attr || !attr->is_initialized || !param)
        return EINVAL;
    *param = attr->schedparam;
    return 0;
}

int pthread_attr_setschedpolicy(pthread_attr_t *attr, int policy)
{
    if (!attr || !attr->is_initialized)
        return EINVAL;
    int err = keel_policy_check(policy);
    if (err)
        return err;
    attr->schedpolicy = policy;
    return 0;
}

int pthread_attr_getschedpolicy(const pthread_attr_t *attr, int *policy)
{
    if (!attr || !attr->is_initialized || !policy)
        return EINVAL;
    *policy = attr->schedpolicy;
    return 0;
}

int pthread_attr_setinheritsched(pthread_attr_t *attr, int inherit)
{
    if (!attr || !attr->is_initialized ||
        (inherit != PTHREAD_INHERIT_SCHED && inherit != PTHREAD_EXPLICIT_SCHED))
        return EINVAL;
    attr->inheritsched = inherit;
    return 0;
}

int pthread_attr_getinheritsched(const pthread_attr_t *attr, int *inherit)
{
    if (!attr || !attr->is_initialized || !inherit)
        return EINVAL;
    *inherit = attr->inheritsched;
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
    if (!attr || !attr->is_initialized ||
        (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED))
        return EINVAL;
    attr->detachstate = state;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state)
{
    if (!attr || !attr->is_initialized || !state)
        return EINVAL;
    *state = attr->detachstate;
    return 0;
}
