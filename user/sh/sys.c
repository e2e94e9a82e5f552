/*
 * /bin/sh: the terminal and process-group calls of this ABI
 * (keel/abi.h) that the shell makes on struct keel_termios, through the
 * raw syscall, so the shell depends only on the
 * declared numbers and structures. Each returns the kernel's value, or
 * -1 with errno (ENOSYS on a kernel that does not have the call yet;
 * the callers fall back). No state.
 */
#include <errno.h>

#include <keel/sys.h>

#include "sh.h"

static int ret(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

#define SC(n, a, b, c)                                                         \
    keel_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

int sh_sys_tcget(int fd, struct keel_termios *t)
{
    return ret(SC(SYS_ioctl, fd, KEEL_IOC_TCGETS, t));
}

int sh_sys_tcset(int fd, const struct keel_termios *t)
{
    return ret(SC(SYS_ioctl, fd, KEEL_IOC_TCSETS, t));
}

int sh_sys_tcsetpgrp(int fd, pid_t pgid)
{
    int32_t g = pgid;
    return ret(SC(SYS_ioctl, fd, KEEL_IOC_TIOCSPGRP, &g));
}

int sh_sys_setpgid(pid_t pid, pid_t pgid)
{
    return ret(SC(SYS_setpgid, pid, pgid, 0));
}
