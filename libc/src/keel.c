/*
 * Keel's own calls (<keel/sys.h>) and the capability API (<keel/cap.h>).
 * Each returns -1 with errno on failure, like the POSIX calls.
 */
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sys.h>

#include "internal.h"

int keel_readdir(const char *path, int index, struct keel_dirent *out)
{
    return (int)keel_ret(keel_sc3(SYS_readdir, (long)path, index, (long)out));
}

int keel_procinfo(int index, struct keel_procinfo *out)
{
    return (int)keel_ret(keel_sc2(SYS_procinfo, index, (long)out));
}

int keel_threadinfo(int index, struct keel_threadinfo *out)
{
    return (int)keel_ret(keel_sc2(SYS_threadinfo, index, (long)out));
}

void keel_poweroff(int status)
{
    keel_sc1(SYS_poweroff, status);
    /* Refused (not permitted, say): leave as an exit would. */
    _exit(status);
}

int keel_kstat(struct keel_kstat *out)
{
    return (int)keel_ret(keel_sc2(SYS_kstat, (long)out, 0));
}

int keel_kstat_flags(struct keel_kstat *out, unsigned flags)
{
    return (int)keel_ret(keel_sc2(SYS_kstat, (long)out, (long)flags));
}

int keel_lockstat(int index, struct keel_lockstat *out)
{
    return (int)keel_ret(keel_sc2(SYS_lockstat, index, (long)out));
}

int keel_quota_info(int pid, struct keel_quota *out)
{
    return (int)keel_ret(keel_sc2(SYS_quota_info, pid, (long)out));
}

/* SYS_cap_get_token(slot, type) returns the token itself: tokens are
 * non-negative as int64_t, so a negative result is an errno. */
int cap_get_token(int slot, int type, cap_token_t *out)
{
    long r = keel_sc2(SYS_cap_get_token, slot, type);
    if (r < 0)
        return (int)keel_ret(r);
    *out = (cap_token_t)r;
    return 0;
}

int cap_drop(cap_token_t tok)
{
    return (int)keel_ret(keel_sc1(SYS_cap_drop, (long)tok));
}

/* The kernel writes *delegate (required) and *dst_slot (may be NULL)
 * itself, so bad pointers get EFAULT. */
int cap_transfer(pid_t dst, cap_token_t tok, unsigned rights,
                 cap_token_t *delegate, int *dst_slot)
{
    return (int)keel_ret(keel_sc5(SYS_cap_transfer, dst, (long)tok,
                                  (long)rights, (long)delegate,
                                  (long)dst_slot));
}

int cap_revoke_delegate(cap_token_t delegate)
{
    return (int)keel_ret(keel_sc1(SYS_cap_revoke_delegate, (long)delegate));
}

int cap_info(int slot, struct cap_info *out)
{
    return (int)keel_ret(keel_sc2(SYS_cap_info, slot, (long)out));
}

int keel_cap_list(pid_t pid, int slot, struct cap_info *out)
{
    return (int)keel_ret(keel_sc3(SYS_cap_list, pid, slot, (long)out));
}

int proc_handle(pid_t pid)
{
    return (int)keel_ret(keel_sc1(SYS_proc_handle, pid));
}

int keel_system_slot(void)
{
    for (int s = CAP_FD_SLOTS - 1; s >= 0; s--) {
        struct cap_info ci;
        if (cap_info(s, &ci) == 0 && ci.type == CAP_TYPE_SYSTEM)
            return s;
    }
    errno = ENOENT;
    return -1;
}

int keel_vm_fail_after(unsigned long pages)
{
    return (int)keel_ret(keel_sc1(SYS_vm_fail_after, (long)pages));
}
