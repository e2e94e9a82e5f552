/*
 * The syscall table: the one place that maps numbers to handlers.
 * Numbers are in libc/include/keel/abi.h; docs/syscalls.md describes each.
 * Unused entries (and number 0) answer ENOSYS.
 *
 * Handlers take their own argument types; the table calls them through
 * the common six-register signature (the RISC-V ABI passes each argument
 * in its own register either way), and overrides the ENOSYS default per
 * entry: hence the two warnings switched off here.
 */
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wcast-function-type"

#include "../include/syscall.h"
#include "../../libc/include/keel/abi.h"

/* clang-format off */
#define SYSCALL_LIST(X)                                                        \
    X(getpid)  X(getppid)  X(exit)   X(spawn)  X(waitpid)  X(kill)             \
    X(read)    X(write)    X(open)   X(close)  X(lseek)    X(dup)   X(dup2)    \
    X(pipe)    X(fcntl)    X(fstat)  X(readdir) X(unlink) X(brk)              \
    X(vm_fail_after)                                                           \
    X(thread_create) X(thread_exit) X(thread_join) X(thread_self)              \
    X(thread_detach)                                                           \
    X(sched_yield) X(thread_setschedparam) X(thread_getschedparam)             \
    X(thread_setceiling) X(thread_getceiling)                                  \
    X(nanosleep) X(clock_gettime)                                              \
    X(sched_rr_get_interval) X(sched_setattr) X(sched_getattr)                 \
    X(clock_nanosleep) X(clock_getres) X(clock_settime)                        \
    X(cap_get_token) X(cap_drop) X(cap_transfer) X(cap_revoke_delegate)        \
    X(cap_info) X(proc_handle) X(quota_info)                                   \
    X(procinfo) X(poweroff) X(kstat) X(lockstat)                               \
    X(threadinfo) X(cap_list)                                                  \
    X(setpgid) X(getpgid) X(ioctl)                                             \
    X(stat) X(mkdir) X(rmdir) X(chdir) X(getcwd)                               \
    X(futex)                                                                   \
    X(mq_open) X(mq_unlink) X(mq_send) X(mq_receive) X(mq_ctl)                 \
    X(mlock) X(fsync) X(sysinfo)                                               \
    X(timer_create) X(timer_settime) X(timer_gettime) X(timer_ctl)             \
    X(sem) X(barrier)                                                          \
    X(sigaction) X(sigprocmask) X(sigpending) X(sigsuspend) X(sigtimedwait)    \
    X(sigqueue) X(sigreturn) X(sigaltstack) X(thread_kill) X(cap_signal_limit) \
    X(rwlock) X(alarm) \
    X(mutex) X(cond)

#define DECLARE(name) long sys_##name();
SYSCALL_LIST(DECLARE)

static long sys_enosys(void) { return -ENOSYS; }

#define ENTRY(name) [SYS_##name] = (syscall_fn)sys_##name,
const syscall_fn syscall_table[SYS_NR] = {
    [0 ... SYS_NR - 1] = (syscall_fn)sys_enosys,
    SYSCALL_LIST(ENTRY)
};
/* clang-format on */
