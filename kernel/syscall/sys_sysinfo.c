/*
 * SYS_sysinfo: the limits only the kernel knows, for libc's sysconf
 * (KEEL_SYSINFO_* in <keel/abi.h>). Every answer is a snapshot read
 * without a lock: hart counts and page counts are single aligned loads,
 * a process's quota limits are written once before it runs.
 */
#include "../include/kobj.h"
#include "../include/proc.h"

static uint64_t sysinfo_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

long sys_sysinfo(int name)
{
    struct proc *p = current()->proc;
    switch (name) {
    case KEEL_SYSINFO_NPROCESSORS_CONF:
        return nharts;
    case KEEL_SYSINFO_NPROCESSORS_ONLN: {
        long n = 0;
        for (int h = 0; h < nharts; h++)
            n += READ_ONCE(harts[h].online);
        return n;
    }
    case KEEL_SYSINFO_PAGESIZE:
        return PAGE_SIZE;
    case KEEL_SYSINFO_OPEN_MAX:
        return CAP_FD_SLOTS;
    case KEEL_SYSINFO_THREADS_MAX:
        return CAP_THREAD_SLOTS - 1; /* created ones: the main thread's not */
    case KEEL_SYSINFO_CHILD_MAX:
        return (long)sysinfo_min(p->quota.limit[KEEL_POOL_PROCS], MAX_PROCS);
    case KEEL_SYSINFO_OBJECTS_MAX:
        return (long)sysinfo_min(p->quota.limit[KEEL_POOL_OBJECTS], MAX_KOBJS);
    case KEEL_SYSINFO_PHYS_PAGES:
        return (long)page_total_count();
    case KEEL_SYSINFO_AVPHYS_PAGES:
        return (long)page_free_count();
    default:
        return -EINVAL;
    }
}
