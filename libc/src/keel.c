/*
 * Keel's own calls (<keel/sys.h>) and the capability API (<keel/cap.h>).
 * Each returns -1 with errno on failure, like the POSIX calls.
 */
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

void keel_poweroff(int status)
{
    keel_sc1(SYS_poweroff, status);
    /* Refused (not permitted, say): leave as an exit would. */
    _exit(status);
}

int keel_kstat(struct keel_kstat *out)
{
    return (int)keel_ret(keel_sc1(SYS_kstat, (long)out));
}

int cap_get_token(int slot, int type, cap_token_t *out)
{
    return (int)keel_ret(keel_sc3(SYS_cap_get_token, slot, type, (long)out));
}

int cap_drop(cap_token_t tok)
{
    return (int)keel_ret(keel_sc1(SYS_cap_drop, (long)tok));
}

/*
 * The kernel always gets somewhere to write the delegate token and the
 * destination slot; the caller may pass NULL for either.
 */
int cap_transfer(pid_t dst, cap_token_t tok, unsigned rights,
                 cap_token_t *delegate, int *dst_slot)
{
    cap_token_t d = 0;
    int s = -1;
    long r = keel_sc5(SYS_cap_transfer, dst, (long)tok, (long)rights, (long)&d,
                      (long)&s);
    if (r < 0)
        return (int)keel_ret(r);
    if (delegate)
        *delegate = d;
    if (dst_slot)
        *dst_slot = s;
    return 0;
}

int cap_revoke_delegate(cap_token_t delegate)
{
    return (int)keel_ret(keel_sc1(SYS_cap_revoke_delegate, (long)delegate));
}

int cap_info(int slot, struct cap_info *out)
{
    return (int)keel_ret(keel_sc2(SYS_cap_info, slot, (long)out));
}

int proc_handle(pid_t pid)
{
    return (int)keel_ret(keel_sc1(SYS_proc_handle, pid));
}
