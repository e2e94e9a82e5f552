/* Keel-specific system calls that have no POSIX name. */
#ifndef KEEL_SYS_H
#define KEEL_SYS_H

#include <keel/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills *out with entry `index` of directory `path`; returns 1 when an
 * entry was stored, 0 past the last entry, -1 with errno on error. */
int keel_readdir(const char *path, int index, struct keel_dirent *out);
/* Fills *out with the index-th live process; 1, 0 past the end, or -1. */
int keel_procinfo(int index, struct keel_procinfo *out);
/* Fills *out with the index-th thread row (every live thread, and every
 * exited one not yet joined, process by process): 1, 0 past the end, or
 * -1 with errno (EPERM without a system cap with READ, EFAULT). */
int keel_threadinfo(int index, struct keel_threadinfo *out);
/* Powers the machine off; QEMU exits with `status`. Does not return. */
void keel_poweroff(int status) __attribute__((noreturn));
/* Kernel counters for leak checks. */
int keel_kstat(struct keel_kstat *out);
/* keel_kstat with flags: KEEL_KSTAT_RESET_MAX zeroes the recorded
 * maxima (irqoff_max_ns, spin_hold_max_ns, lockstat's max_hold_ns)
 * after reading them. -1 with EINVAL for an unknown flag. */
int keel_kstat_flags(struct keel_kstat *out, unsigned flags);
/* Debug kernels: row `index` of the spinlock classes (1 stored, 0 past
 * the last row), -1 with errno (EPERM without a system cap with READ,
 * EINVAL for a negative index, ENOSYS in release kernels). */
int keel_lockstat(int index, struct keel_lockstat *out);
/* The quota account of the caller (pid 0) or of a process the caller
 * holds a process cap with READ for: 0, or -1 with errno (EPERM without
 * such a cap, ESRCH when it is gone, EFAULT). */
int keel_quota_info(int pid, struct keel_quota *out);
/* Debug kernels only (else ENOSYS): the caller's next mapping (brk,
 * thread stack) fails with ENOMEM once `pages` more pages were mapped. */
int keel_vm_fail_after(unsigned long pages);
/* The raw syscall, for tests that need to pass arbitrary arguments. */
long keel_syscall6(long n, long a0, long a1, long a2, long a3, long a4,
                   long a5);

#ifdef __cplusplus
}
#endif

#endif
