/*
 * Reading a capability table: cap_info (the caller's own slot) and
 * cap_list (a slot of the caller or of a process it holds a process cap
 * with READ for), the data behind `caps [PID]`.
 *
 * No ambient authority, not even to learn whether a pid exists: for a
 * pid the caller holds no process cap for (or only caps without READ),
 * cap_list answers EPERM whether or not such a process exists; ESRCH
 * only when the caller's cap names a process that is no longer alive.
 *
 * Locks: the caller's cap lock to find its process cap (which pins the
 * target struct through the reference it holds, taken again with
 * proc_get), released before the target's cap lock is taken, so only one
 * cap lock is held at a time. A slot word is read under its table's cap
 * lock; a process cap's slot holds a reference on the struct it names,
 * so reading that struct's (immutable) pid is safe under the lock.
 */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"

int cap_slot_info(struct proc *p, int slot, struct cap_info *out)
{
    cap_lock(p);
    cap_word_t w = p->caps.t.words[slot];
    int filled = capw_valid(w);
    if (filled) {
        *out = (struct cap_info){
            .type = (int)capw_type(w),
            .rights = capw_rights(w),
            .generation = capw_gen(w),
            .delegated = (w & CAPW_DELEGATED) ? 1 : 0,
            .cloexec = (w & CAPW_CLOEXEC) ? 1 : 0,
            .object = capw_obj(w),
        };
        /* A pool index of a process means nothing to a user: its pid
         * (reaped processes keep theirs while a cap names them). */
        if (capw_type(w) == CAP_TYPE_PROCESS)
            out->object = (uint32_t)proc_by_index(capw_obj(w))->pid;
    }
    cap_unlock(p);
    return filled;
}

long sys_cap_info(int slot, uint64_t uout)
{
    if ((unsigned)slot >= CAP_SLOTS)
        return -EBADF;
    struct cap_info info;
    if (!cap_slot_info(current()->proc, slot, &info))
        return -EBADF;
    return copy_to_user(uout, &info, sizeof(info));
}

long sys_cap_list(int pid, int slot, uint64_t uout)
{
    struct proc *self = current()->proc;
    if ((unsigned)slot >= CAP_SLOTS)
        return -EINVAL;
    struct proc *target = self;
    if (pid != 0 && pid != self->pid) {
        cap_lock(self);
        int s = cap_proc_slot_locked(self, pid, CAP_RIGHT_READ);
        target = s >= 0 ? proc_by_index(capw_obj(self->caps.t.words[s])) : NULL;
        if (target)
            proc_get(target);
        cap_unlock(self);
        if (!target)
            return -EPERM; /* none, or none with READ: nothing learnt */
        if (READ_ONCE(target->state) != P_ALIVE) {
            proc_put(target);
            return -ESRCH;
        }
    }
    struct cap_info info;
    int filled = cap_slot_info(target, slot, &info);
    if (target != self)
        proc_put(target);
    if (!filled)
        return 0;
    return copy_to_user(uout, &info, sizeof(info)) < 0 ? -EFAULT : 1;
}
