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

static bool sys_word_ok(cap_word_t w, unsigned right)
{
    return capw_valid(w) && capw_type(w) == CAP_TYPE_SYSTEM &&
           (capw_rights(w) & right);
}

bool cap_system_held(struct proc *p, unsigned right)
{
    struct cap_space *cs = &p->caps;
    int h = READ_ONCE(cs->sys_hint);
    if (sys_word_ok(READ_ONCE(cs->t.words[h]), right))
        return true;
    for (int s = 0; s < CAP_FD_SLOTS; s++) {
        if (sys_word_ok(READ_ONCE(cs->t.words[s]), right)) {
            WRITE_ONCE(cs->sys_hint, s);
            return true;
        }
    }
    return false;
}

/* System caps name no object: minting one takes no reference. */
int cap_system_install(struct proc *p, int slot, unsigned rights)
{
    if (slot < 0 || slot >= CAP_FD_SLOTS)
        return -EBADF;
    cap_lock(p);
    struct cap_table *t = &p->caps.t;
    int r = slot;
    if (!cap_table_usable(t, slot))
        r = -EBADF;
    else if (t->dead || t->used >= t->quota)
        r = -EMFILE;
    else
        cap_table_install(t, slot, capw_make(CAP_TYPE_SYSTEM, rights, 0, 0), 0);
    cap_unlock(p);
    return r;
}

/* Spawn action KEEL_FA_CAP: both cap locks, in pid order (after a pid
 * wrap the child's pid may be lower). An fd already in the child's slot
 * (inherited) is replaced, as an open action replaces it; any other cap there
 * is kept and the action fails. */
int cap_spawn_copy(struct proc *parent, int src_slot, struct proc *child,
                   int slot, unsigned rights)
{
    if (src_slot < 0 || src_slot >= CAP_FD_SLOTS || slot < 0 ||
        slot >= CAP_FD_SLOTS)
        return -EBADF;
    cap_word_t victim = 0;
    int r = 0;
    cap_lock_pair(parent, child);
    cap_word_t w = parent->caps.t.words[src_slot];
    struct cap_table *t = &child->caps.t;
    cap_word_t old = t->words[slot];
    if (!capw_valid(w))
        r = -EBADF;
    else if (capw_type(w) != CAP_TYPE_SYSTEM || (rights & ~capw_rights(w)))
        r = -EINVAL;
    else if (!(capw_rights(w) & CAP_RIGHT_GRANT))
        r = -EACCES;
    else if (capw_valid(old) && capw_type(old) != CAP_TYPE_FD)
        r = -EBADF;
    else if (capw_retired(old) ||
             (!capw_valid(old) && (t->dead || t->used >= t->quota)))
        r = -EMFILE;
    if (!r && capw_valid(old))
        victim = cap_table_clear(t, slot);
    if (!r && !cap_table_usable(t, slot))
        r = -EMFILE; /* the clear retired the slot */
    if (!r)
        cap_table_install(t, slot, capw_make(CAP_TYPE_SYSTEM, rights, 0, 0), 0);
    cap_unlock_pair(parent, child);
    if (capw_valid(victim))
        cap_obj_put(victim);
    return r;
}
