/*
 * sysconf: the system's limits and options (POSIX <unistd.h>).
 *  - Options (_SC_THREADS, _SC_MEMLOCK, ...): the value of the matching
 *    feature macro, or -1 when Keel does not announce it
 *    (sysconf_opts.h).
 *  - Limits only the kernel knows (processors, pages, slots, quotas):
 *    SYS_sysinfo, asked on every call (hart counts and free pages
 *    change; a process's quota is fixed at spawn).
 *  - Limits fixed in libc or in the headers of other areas (stack
 *    minimum, clock ticks, semaphore and queue limits, ...): the macro.
 *    A header that does not exist yet, or a macro it does not define,
 *    makes the answer -1 (no determinate limit), errno untouched.
 *  - Any other name: -1 with EINVAL.
 * No state, no locking.
 */
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <keel/cap.h>

#if __has_include(<semaphore.h>)
#include <semaphore.h>
#endif
#if __has_include(<mqueue.h>)
#include <mqueue.h>
#endif
#include "internal.h"

static long kernel_limit(int name)
{
    long r = keel_sc1(SYS_sysinfo, name);
    return r < 0 ? keel_ret(r) : r;
}

/* The smaller of a kernel limit and a fixed one (-1: none). */
static long min_limit(long kernel, long fixed)
{
    if (kernel < 0)
        return fixed;
    if (fixed < 0)
        return kernel;
    return kernel < fixed ? kernel : fixed;
}

#ifdef SEM_NSEMS_MAX
#define KEEL_SC_SEM_NSEMS SEM_NSEMS_MAX
#else
#define KEEL_SC_SEM_NSEMS (-1L)
#endif
#ifdef MQ_OPEN_MAX
#define KEEL_SC_MQ_OPEN MQ_OPEN_MAX
#else
#define KEEL_SC_MQ_OPEN (-1L)
#endif
#ifdef TIMER_MAX
#define KEEL_SC_TIMER TIMER_MAX
#else
#define KEEL_SC_TIMER ((long)KEEL_TIMERS_MAX) /* timers in the system */
#endif
#ifdef KEEL_DELAYTIMER_MAX
_Static_assert(DELAYTIMER_MAX == KEEL_DELAYTIMER_MAX, "DELAYTIMER_MAX");
/* The kernel's answer for _SC_THREAD_THREADS_MAX: every thread slot but
 * the main thread's. */
_Static_assert(PTHREAD_THREADS_MAX == CAP_THREAD_SLOTS - 1 &&
                   PTHREAD_THREADS_MAX >= _POSIX_THREAD_THREADS_MAX,
               "PTHREAD_THREADS_MAX");
#endif

long sysconf(int name)
{
    switch (name) {
    /* ---- from the kernel ---- */
    case _SC_NPROCESSORS_CONF:
        return kernel_limit(KEEL_SYSINFO_NPROCESSORS_CONF);
    case _SC_NPROCESSORS_ONLN:
        return kernel_limit(KEEL_SYSINFO_NPROCESSORS_ONLN);
    case _SC_PAGESIZE:
        return kernel_limit(KEEL_SYSINFO_PAGESIZE);
    case _SC_PHYS_PAGES:
        return kernel_limit(KEEL_SYSINFO_PHYS_PAGES);
    case _SC_AVPHYS_PAGES:
        return kernel_limit(KEEL_SYSINFO_AVPHYS_PAGES);
    case _SC_OPEN_MAX:
        return kernel_limit(KEEL_SYSINFO_OPEN_MAX);
    case _SC_CHILD_MAX:
        return kernel_limit(KEEL_SYSINFO_CHILD_MAX);
    case _SC_THREAD_THREADS_MAX:
        return kernel_limit(KEEL_SYSINFO_THREADS_MAX);
    /* Each semaphore, queue and timer is a kernel object: at most what
     * the caller's object quota allows, and the area's own bound. */
    case _SC_SEM_NSEMS_MAX:
        return min_limit(kernel_limit(KEEL_SYSINFO_OBJECTS_MAX),
                         KEEL_SC_SEM_NSEMS);
    case _SC_MQ_OPEN_MAX:
        return min_limit(kernel_limit(KEEL_SYSINFO_OBJECTS_MAX),
                         KEEL_SC_MQ_OPEN);
    case _SC_TIMER_MAX:
        return min_limit(kernel_limit(KEEL_SYSINFO_OBJECTS_MAX), KEEL_SC_TIMER);
    /* ---- fixed ---- */
    case _SC_CLK_TCK:
        return CLOCKS_PER_SEC; /* the unit of times() (time.c) */
    case _SC_THREAD_STACK_MIN:
        return PTHREAD_STACK_MIN;
    case _SC_ARG_MAX:
        return KEEL_SPAWN_ARGS_BYTES; /* argument and environment bytes */
    case _SC_NGROUPS_MAX:
        return 0; /* no groups */
    case _SC_SYMLOOP_MAX:
        return 0; /* no symbolic links */
    /* Known names with no determinate limit on Keel (only memory bounds
     * them, or the facility does not exist): -1, errno untouched. */
    case _SC_STREAM_MAX:
    case _SC_TZNAME_MAX:
    case _SC_ATEXIT_MAX:
    case _SC_LINE_MAX:
    case _SC_HOST_NAME_MAX:
    case _SC_LOGIN_NAME_MAX:
    case _SC_TTY_NAME_MAX:
    case _SC_GETGR_R_SIZE_MAX:
    case _SC_GETPW_R_SIZE_MAX:
    case _SC_IOV_MAX:
    case _SC_AIO_LISTIO_MAX:
    case _SC_AIO_MAX:
    case _SC_AIO_PRIO_DELTA_MAX:
    case _SC_BC_BASE_MAX:
    case _SC_BC_DIM_MAX:
    case _SC_BC_SCALE_MAX:
    case _SC_BC_STRING_MAX:
    case _SC_COLL_WEIGHTS_MAX:
    case _SC_EXPR_NEST_MAX:
    case _SC_RE_DUP_MAX:
    case _SC_SS_REPL_MAX:
    case _SC_TRACE_EVENT_NAME_MAX:
    case _SC_TRACE_NAME_MAX:
    case _SC_TRACE_SYS_MAX:
    case _SC_TRACE_USER_EVENT_MAX:
        return -1;
    case _SC_THREAD_KEYS_MAX:
#ifdef PTHREAD_KEYS_MAX
        return PTHREAD_KEYS_MAX;
#else
        return -1;
#endif
    case _SC_THREAD_DESTRUCTOR_ITERATIONS:
#ifdef PTHREAD_DESTRUCTOR_ITERATIONS
        return PTHREAD_DESTRUCTOR_ITERATIONS;
#else
        return -1;
#endif
    case _SC_SEM_VALUE_MAX:
#ifdef SEM_VALUE_MAX
        return SEM_VALUE_MAX;
#else
        return -1;
#endif
    case _SC_MQ_PRIO_MAX:
#ifdef MQ_PRIO_MAX
        return MQ_PRIO_MAX;
#else
        return -1;
#endif
    case _SC_RTSIG_MAX:
#ifdef RTSIG_MAX
        return RTSIG_MAX;
#else
        return -1;
#endif
    case _SC_SIGQUEUE_MAX:
#ifdef SIGQUEUE_MAX
        return SIGQUEUE_MAX;
#else
        return -1;
#endif
    case _SC_DELAYTIMER_MAX:
#ifdef DELAYTIMER_MAX
        return DELAYTIMER_MAX;
#else
        return -1;
#endif
        /* ---- options ---- */
#include "sysconf_opts.h"
    default:
        errno = EINVAL;
        return -1;
    }
}
