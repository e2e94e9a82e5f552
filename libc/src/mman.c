/*
 * Memory locking and file synchronisation: mlock, munlock, mlockall,
 * munlockall (SYS_mlock) and fsync, fdatasync (SYS_fsync). Keel never
 * pages and its ramfs lives in memory, so the kernel only validates
 * (docs/syscalls.md "Memory locking", "fsync"). No state here.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(MCL_CURRENT == KEEL_MCL_CURRENT && MCL_FUTURE == KEEL_MCL_FUTURE,
               "mlockall flags");

int mlock(const void *addr, size_t len)
{
    return (int)keel_ret(
        keel_sc3(SYS_mlock, KEEL_MLOCK_LOCK, (long)addr, (long)len));
}

int munlock(const void *addr, size_t len)
{
    return (int)keel_ret(
        keel_sc3(SYS_mlock, KEEL_MLOCK_UNLOCK, (long)addr, (long)len));
}

int mlockall(int flags)
{
    /* flags as unsigned: a negative int must not pass as a mask. */
    return (int)keel_ret(
        keel_sc2(SYS_mlock, KEEL_MLOCK_ALL, (long)(unsigned)flags));
}

int munlockall(void)
{
    return (int)keel_ret(keel_sc1(SYS_mlock, KEEL_MLOCK_UNLOCK_ALL));
}

/* fsync and fdatasync are cancellation points (cancel.c). */
int fsync(int fd)
{
    return (int)keel_ret(keel_cp4(SYS_fsync, fd, 0, 0, 0));
}

int fdatasync(int fd)
{
    return (int)keel_ret(keel_cp4(SYS_fsync, fd, 1, 0, 0));
}
