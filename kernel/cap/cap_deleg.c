/*
 * Delegation: cap_transfer, cap_revoke_delegate and exit teardown.
 *
 * A transfer copies a capability into another process with GRANT
 * stripped and marks the new slot with a delegation id; dup and dup2
 * carry the id to every copy. The sender receives a DELEGATE slot naming
 * a delegation record (a fixed pool, guarded by deleg_lock), which holds
 * a reference to the destination process, so revoke works even after the
 * destination exited. Revoke clears every slot of the destination with
 * that id: its cost is bounded by the destination's slot count.
 *
 * Revoke protocol (correct against a concurrent drop, dup or exit):
 *  1. under the caller's cap lock: validate the DELEGATE token and
 *     snapshot the record (destination pinned by a reference);
 *  2. release; 3. take both cap locks in pid order;
 *  4. re-validate the token (a concurrent revoke or drop wins cleanly);
 *  5. (R1) invalidate the matching slots and the DELEGATE slot: their
 *     generations are bumped; release both cap locks;
 *  6. (R2) cancel: for every cleared slot, the object's cancel op
 *     takes the object's lock and wakes all its waiters, while the
 *     slot's reference still keeps the object alive; then the reference
 *     is dropped.
 *  7. Bounded latency: step 5 is one lock hold over the destination's
 *     CAP_SLOTS slots (a scan and at most CAP_SLOTS clears, ~2,000
 *     instructions with 64 copies); step 6 runs with no lock held and
 *     passes a preemption point every REVOKE_STEP slots. Across a point
 *     the references taken in step 5 (one per cleared slot, in dropped[]
 *     on this thread's stack) keep every object alive, and nothing else
 *     can see or change dropped[]; the slots themselves are already dead,
 *     so a concurrent drop, dup or exit no longer reaches them.
 *
 * Operations in progress (after revoke returns, nothing moves through a
 * revoked slot):
 *  O1. read and write remember the slot word and generation they
 *      validated (struct cap_pin, cap_fd_get_pin);
 *  O2. under the object's lock, after every wake-up and before every
 *      transfer, they re-check it (cap_pin_live) and fail with EBADF
 *      once it changed.
 * An O2 check either ran before step 6 took the object's lock, and then
 * its transfer (done under the same lock hold) finished before revoke
 * returned, or it runs after, and then it sees the bump of step 5 (the
 * lock orders the two). A sleeper queued before step 6 is woken by it,
 * re-checks and fails; readers and writers of other slots of the same
 * object re-check successfully and go back to sleep.
 */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../mm/pool.h"

/* Revoke and teardown steps between preemption points (7. above): a
 * step cancels and puts at most this many slots (a put may release a
 * file, and a pipe's last release frees its page). */
#define REVOKE_STEP 16

struct delegation {
    uint64_t id; /* nonzero, unique: marks the delegated slots */
    /* The sender's proc index: it is charged for the record. Not
     * referenced: DELEGATE slots cannot be transferred, so the record is
     * freed by its sender's own drop, revoke or exit teardown, while the
     * sender's struct lives. */
    uint32_t acct;
    struct proc *dst; /* referenced */
};

static spinlock_t deleg_lock = SPINLOCK_INIT("deleg_pool");
static struct delegation deleg_storage[MAX_DELEGATIONS];
static uint32_t deleg_links[MAX_DELEGATIONS];
static struct pool deleg_pool;
static bool deleg_ready;
/* 64 bits, so it never wraps: at one transfer per nanosecond 2^64 ids
 * last 584 years. A reused id could make a revoke clear slots of an
 * older delegation to the same process (even of one whose DELEGATE slot
 * was dropped: its slots keep their id). */
static uint64_t next_deleg_id = 1;

uint32_t cap_delegations_in_use(void)
{
    return READ_ONCE(deleg_pool.in_use);
}

/* A record charged to the sender's quota (NULL when that or the pool is
 * used up). */
static struct delegation *deleg_alloc(struct proc *self, struct proc *dst)
{
    if (quota_charge(self, KEEL_POOL_DELEGS, 1) < 0)
        return NULL;
    spin_lock(&deleg_lock);
    if (!deleg_ready) {
        pool_init(&deleg_pool, "deleg", deleg_storage, deleg_links,
                  sizeof(struct delegation), MAX_DELEGATIONS);
        deleg_ready = true;
    }
    struct delegation *d = pool_alloc(&deleg_pool);
    if (d) {
        d->id = next_deleg_id++;
        KASSERT(d->id != 0);
        d->dst = dst;
        proc_get(dst);
        d->acct = proc_slot_of(self);
    }
    spin_unlock(&deleg_lock);
    if (!d)
        quota_uncharge(self, KEEL_POOL_DELEGS, 1);
    return d;
}

#ifdef KEEL_KTEST
/* Tests: move the id counter (near 2^32, to show ids do not wrap there);
 * returns the old value. */
uint64_t cap_deleg_test_set_next(uint64_t next)
{
    spin_lock(&deleg_lock);
    uint64_t old = next_deleg_id;
    next_deleg_id = next;
    spin_unlock(&deleg_lock);
    return old;
}
#endif

/* The DELEGATE slot naming record idx went away (drop, revoke, exit). */
void cap_deleg_free(uint32_t idx)
{
    struct delegation *d = pool_at(&deleg_pool, idx);
    struct proc *dst = d->dst, *acct = proc_at_slot(d->acct);
    spin_lock(&deleg_lock);
    pool_free(&deleg_pool, d);
    spin_unlock(&deleg_lock);
    proc_put(dst);
    quota_uncharge(acct, KEEL_POOL_DELEGS, 1);
}

long sys_cap_transfer(int dst_pid, uint64_t tok, unsigned rights,
                      uint64_t udelegate, uint64_t udst_slot)
{
    struct proc *self = current()->proc;
    if (!user_range_ok(udelegate, sizeof(cap_token_t)) || !udelegate ||
        (udst_slot && !user_range_ok(udst_slot, sizeof(int))))
        return -EFAULT;
    /* The source: a live token with GRANT, rights only shrinking. */
    cap_word_t w = 0;
    cap_lock(self);
    int err = cap_table_lookup(&self->caps.t, tok, &w);
    cap_unlock(self);
    if (err)
        return err;
    if (capw_type(w) == CAP_TYPE_DELEGATE)
        return -EINVAL;
    if (!(capw_rights(w) & CAP_RIGHT_GRANT))
        return -EACCES;
    if ((rights & ~capw_rights(w)) || (rights & CAP_RIGHT_GRANT))
        return -EINVAL;
    struct proc *dst = cap_proc_lookup(self, dst_pid, CAP_RIGHT_WRITE, &err);
    if (!dst)
        return err;
    struct delegation *d = NULL;
    if (__atomic_add_fetch(&self->caps.ndeleg, 1, __ATOMIC_RELAXED) >
            CAP_QUOTA_DELEGATIONS ||
        !(d = deleg_alloc(self, dst))) {
        __atomic_sub_fetch(&self->caps.ndeleg, 1, __ATOMIC_RELAXED);
        proc_put(dst);
        return -ENOSPC;
    }
    uint32_t didx = pool_index(&deleg_pool, d);
    int dslot = -1, sslot = -1;
    cap_lock_pair(self, dst);
    /* Re-validate: the source may have been dropped meanwhile. */
    err = cap_table_lookup(&self->caps.t, tok, &w);
    if (!err && dst->caps.t.dead)
        err = -ESRCH;
    if (!err && (dslot = cap_table_alloc(&dst->caps.t, 0)) < 0)
        err = -ENOSPC;
    if (!err) {
        /* Reserve the destination slot so the sender's allocation below
         * cannot take it when self == dst. */
        cap_word_t nw =
            capw_make(capw_type(w), rights, capw_obj(w), 0) | CAPW_DELEGATED;
        KASSERT(dslot < CAP_FD_SLOTS); /* cap_table_clear_deleg's rule */
        cap_table_install(&dst->caps.t, dslot, nw, d->id);
        /* A process cap's allow-list goes with it, never wider. */
        dst->caps.t.sigdeny[dslot] = self->caps.t.sigdeny[cap_token_slot(tok)];
        if ((sslot = cap_table_alloc(&self->caps.t, 0)) < 0) {
            cap_table_clear(&dst->caps.t, dslot);
            err = -ENOSPC;
        } else {
            cap_obj_get(w);
            cap_table_install(&self->caps.t, sslot,
                              capw_make(CAP_TYPE_DELEGATE,
                                        CAP_RIGHT_READ | CAP_RIGHT_WRITE, didx,
                                        0),
                              0);
        }
    }
    cap_token_t dtok =
        err ? 0 : cap_token_make((unsigned)sslot, self->caps.t.words[sslot]);
    cap_unlock_pair(self, dst);
    proc_put(dst);
    if (err) {
        __atomic_sub_fetch(&self->caps.ndeleg, 1, __ATOMIC_RELAXED);
        cap_deleg_free(didx);
        return err;
    }
    if (copy_to_user(udelegate, &dtok, sizeof(dtok)) < 0 ||
        (udst_slot && copy_to_user(udst_slot, &dslot, sizeof(int)) < 0))
        return -EFAULT; /* the transfer stands; the token is in the table */
    return 0;
}

int cap_revoke_slot(struct proc *self, cap_token_t tok)
{
    /* 1. Snapshot under the caller's lock. */
    cap_word_t w = 0;
    cap_lock(self);
    int err = cap_table_lookup(&self->caps.t, tok, &w);
    if (!err && capw_type(w) != CAP_TYPE_DELEGATE)
        err = -EINVAL;
    struct delegation *d = err ? NULL : pool_at(&deleg_pool, capw_obj(w));
    struct proc *dst = d ? d->dst : NULL;
    uint64_t id = d ? d->id : 0;
    if (dst)
        proc_get(dst); /* 2. pinned while unlocked */
    cap_unlock(self);
    if (err)
        return err;
    /* 3-5. Both locks in pid order, re-validate, invalidate (R1). */
    cap_word_t dropped[CAP_SLOTS];
    int n = 0;
    cap_lock_pair(self, dst);
    err = cap_table_lookup(&self->caps.t, tok, &w);
    if (!err) {
        if (id) /* 0 is never an id */
            n = cap_table_clear_deleg(&dst->caps.t, id, dropped);
        dropped[n++] = cap_table_clear(&self->caps.t, (int)cap_token_slot(tok));
    }
    cap_unlock_pair(self, dst);
    proc_put(dst);
    if (err)
        return err; /* lost a race with another revoke or a drop */
    __atomic_sub_fetch(&self->caps.ndeleg, 1, __ATOMIC_RELAXED);
    /* 6. (R2) Stop what is in progress through the cleared slots; their
     * references keep the files alive until the puts below. The copies
     * of one delegation all name the same object: cancel it once. */
    cap_word_t last = 0;
    for (int i = 0; i < n; i++) {
        if (i % REVOKE_STEP == REVOKE_STEP - 1)
            sched_preempt_point(); /* 7. */
        cap_word_t w = dropped[i];
        /* The same object as the slot before: same type and index. */
        if (i == 0 || ((w ^ last) & CAPW_NAME_MASK))
            cap_obj_cancel(w); /* before this slot's reference goes */
        last = w;
        cap_obj_put(w);
    }
    return 0;
}

long sys_cap_revoke_delegate(uint64_t tok)
{
    return cap_revoke_slot(current()->proc, tok);
}

/* Exit: first revoke what p delegated (so no process keeps authority p
 * handed out), then drop every slot. Nothing outlives its last holder.
 * A preemption point follows each revoke and every REVOKE_STEP slots
 * dropped: the table is dead (no new slots), each slot is cleared under
 * the cap lock before its reference is put, and p is kept alive by its
 * caller (the exiting last thread, or the spawn that built it). */
void cap_space_teardown(struct proc *p)
{
    cap_lock(p);
    p->caps.t.dead = true; /* no new slots from here on */
    cap_unlock(p);
    for (int s = 0; s < CAP_SLOTS; s++) {
        cap_word_t w = READ_ONCE(p->caps.t.words[s]);
        if (capw_valid(w) && capw_type(w) == CAP_TYPE_DELEGATE) {
            cap_revoke_slot(p, cap_token_make((unsigned)s, w));
            sched_preempt_point();
        }
    }
    for (int s = 0; s < CAP_SLOTS; s++) {
        cap_lock(p);
        cap_word_t w = p->caps.t.words[s];
        if (capw_valid(w)) {
            cap_table_clear(&p->caps.t, s);
            if (capw_type(w) == CAP_TYPE_DELEGATE)
                __atomic_sub_fetch(&p->caps.ndeleg, 1, __ATOMIC_RELAXED);
        }
        cap_unlock(p);
        if (capw_valid(w))
            cap_obj_put(w);
        if (s % REVOKE_STEP == REVOKE_STEP - 1)
            sched_preempt_point();
    }
}
