/* The capability syscalls that act on the caller's own cap_space. */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"

/* Returns the token itself (tokens are non-negative as int64_t) or a
 * negative errno; libc stores it through the caller's pointer. The slot
 * word is read without the lock: a single aligned load is atomic, and a
 * token minted from a word that changes right after is simply stale. */
long sys_cap_get_token(int slot, int type)
{
    if (unlikely((unsigned)slot >= CAP_SLOTS))
        return -EBADF;
    cap_word_t w = READ_ONCE(current()->proc->caps.t.words[slot]);
    if (unlikely(!capw_valid(w)))
        return -EBADF;
    if (unlikely((int)capw_type(w) != type))
        return -EINVAL;
    return (long)cap_token_make((unsigned)slot, w);
}

long sys_cap_drop(uint64_t tok)
{
    struct proc *p = current()->proc;
    cap_word_t w = 0;
    cap_lock(p);
    int err = cap_table_lookup(&p->caps.t, tok, &w);
    if (!err) {
        cap_table_clear(&p->caps.t, (int)cap_token_slot(tok));
        if (capw_type(w) == CAP_TYPE_DELEGATE)
            /* the delegation stays, unrevocable; ndeleg is also updated
             * outside the lock (transfer), so atomically */
            __atomic_sub_fetch(&p->caps.ndeleg, 1, __ATOMIC_RELAXED);
    }
    cap_unlock(p);
    if (!err)
        cap_obj_put(w);
    return err;
}

long sys_cap_info(int slot, uint64_t uout)
{
    struct proc *p = current()->proc;
    if ((unsigned)slot >= CAP_SLOTS)
        return -EBADF;
    cap_word_t w = READ_ONCE(p->caps.t.words[slot]);
    if (!capw_valid(w))
        return -EBADF;
    struct cap_info info = {
        .type = (int)capw_type(w),
        .rights = capw_rights(w),
        .generation = capw_gen(w),
        .delegated = (w & CAPW_DELEGATED) ? 1 : 0,
        .cloexec = (w & CAPW_CLOEXEC) ? 1 : 0,
        .object = capw_obj(w),
    };
    return copy_to_user(uout, &info, sizeof(info));
}
