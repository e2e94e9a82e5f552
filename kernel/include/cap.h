/*
 * The per-process capability space: the only fd table. The slot table
 * itself is pure logic (cap/cap_table.c); this layer adds the process's
 * cap lock, object references and the cross-process operations.
 *
 * Lock rules: a cap_space is guarded by its `lock` (the "cap lock").
 * Two cap locks are only taken through cap_lock_pair, in ascending pid
 * order; with KEEL_LOCKCHECK a violation panics naming both locks.
 * Object references are dropped (cap_obj_put) after the lock is released.
 */
#ifndef KEEL_KCAP_H
#define KEEL_KCAP_H

#include "kernel.h"
#include "spinlock.h"
#include "../cap/cap_table.h"

/* Per-process quotas (compile-time; see docs/capabilities.md). */
#ifndef CAP_QUOTA_SLOTS
#define CAP_QUOTA_SLOTS 80 /* slots in use, thread slots excluded */
#endif
#ifndef CAP_QUOTA_DELEGATIONS
#define CAP_QUOTA_DELEGATIONS 16 /* outstanding cap_transfer delegations */
#endif
#define MAX_DELEGATIONS 256 /* the shared pool */

struct cap_space {
    spinlock_t lock;
    struct cap_table t;
    uint32_t ndeleg; /* outstanding delegations made by this process */
    int sys_hint;    /* a slot that held a system cap: only a hint, always
                        checked against the slot word (no lock) */
};

struct file;
struct proc;
struct thread;

void cap_space_init(struct cap_space *cs, uint32_t gen_seed);
void cap_deleg_free(uint32_t idx);

/* Lock helpers (with the lock-order check in the debug kernel; without
 * it cap_lock and cap_unlock are proc.h's inline spinlock calls, so a cap
 * lookup is a leaf function). */
#ifdef KEEL_LOCKCHECK
void cap_lock(struct proc *p);
void cap_unlock(struct proc *p);
#endif
void cap_lock_pair(struct proc *a, struct proc *b);
void cap_unlock_pair(struct proc *a, struct proc *b);

/*
 * References held by slots: one per slot naming the object. One table
 * entry per cap type (cap.c: no per-type switch) says how a slot's
 * reference is taken and put and how a revoke stops operations in
 * progress on the object (revoke step 6 / R2). Every entry and every
 * function in it exists (no-ops for types that name no object), so the
 * calls below are one indexed load and an indirect call.
 */
struct cap_type_ops {
    void (*get)(uint32_t idx);
    void (*put)(uint32_t idx);
    void (*cancel)(uint32_t idx);
};
extern const struct cap_type_ops *const cap_types[16];
static inline void cap_obj_get(cap_word_t w)
{
    cap_types[capw_type(w)]->get(capw_obj(w));
}
static inline void cap_obj_put(cap_word_t w)
{
    cap_types[capw_type(w)]->put(capw_obj(w));
}
/* Revoke step 6 (R2): wake what is blocked on w's object, so operations
 * that came through a revoked slot fail (a no-op for types nothing
 * blocks on). The slot's reference must still be held. */
static inline void cap_obj_cancel(cap_word_t w)
{
    cap_types[capw_type(w)]->cancel(capw_obj(w));
}

/* fd operations on a process. */
int cap_fd_install(struct proc *p, struct file *f, unsigned rights,
                   bool cloexec, int min_slot);
/* Pin the file behind fd (needing `rights`); pair with file_put. */
int cap_fd_get(struct proc *p, int fd, unsigned rights, struct file **out);
/* cap_fd_get that also records the slot it validated in *pin (step O1 of
 * the revoke protocol, cap_deleg.c), for an operation that transfers
 * data and may block (read, write). */
struct cap_pin;
int cap_fd_get_pin(struct proc *p, int fd, unsigned rights, struct file **out,
                   struct cap_pin *pin);
int cap_fd_close(struct proc *p, int fd);
/* open(2)'s last step: under p's cap lock, find the lowest free slot,
 * commit the prepared open r (vfs_open_commit_pages) and install its file
 * there with `rights`. A full table gives -EMFILE before the file system
 * changes; a failed commit its error. The slot, or a negative errno (r->f
 * stays the caller's); *trunc gets the inode to ramfs_truncate after
 * unlocking (O_TRUNC), or NULL. */
struct vfs_open_req;
struct inode;
int cap_fd_open(struct proc *p, struct vfs_open_req *r, unsigned rights,
                bool cloexec, struct inode **trunc);
int cap_fd_dup(struct proc *p, int fd, int min_slot);
int cap_fd_dup2(struct proc *p, int oldfd, int newfd);
int cap_fd_getflags(struct proc *p, int fd);
int cap_fd_setflags(struct proc *p, int fd, int flags);

/* Mint a process cap for `target` in p (spawn): slot or -EMFILE. */
int cap_proc_install(struct proc *p, struct proc *target);
/* The process named by pid through one of p's process caps carrying the
 * rights `need` (kill and transfer need WRITE, waitpid READ), with a
 * reference (proc_put it), or NULL: -EPERM no such cap, -ESRCH no live
 * process. */
struct proc *cap_proc_lookup(struct proc *p, int pid, unsigned need, int *err);
/* With p's cap lock held: the slot of p's first process cap for pid
 * carrying `need`, -1 when p holds none for pid, -2 only weaker ones. */
int cap_proc_slot_locked(struct proc *p, int pid, unsigned need);
/* Slot `slot` (0..CAP_SLOTS-1) of p's table as cap_info/cap_list report
 * it (a process cap's object is the pid): 1 filled, 0 empty. Takes p's
 * cap lock. */
struct cap_info;
int cap_slot_info(struct proc *p, int slot, struct cap_info *out);
/* Drop p's process caps for `target` (after reaping it). */
void cap_proc_forget(struct proc *p, struct proc *target);

/* Thread caps in the reserved slots. */
void cap_thread_install(struct proc *p, int tslot, struct thread *t);
void cap_thread_remove(struct proc *p, int tslot);
/* Resolve a thread token (0 = the caller) needing `need` rights (set
 * needs WRITE, get READ), with the cap lock held; NULL and *err = -ESRCH
 * (bad token, dead thread) or -EPERM (missing right). */
struct thread *cap_thread_lookup_locked(struct proc *p, uint64_t tok,
                                        unsigned need, int *err);

/* System authority (CAP_TYPE_SYSTEM, no object): does p hold a system
 * cap carrying `right` (READ: procinfo, threadinfo, kstat; WRITE:
 * poweroff)? The slot in caps.sys_hint is tried first (one load: O(1)
 * for a holder), then
 * every fd slot (the answer for a non-holder, or a cap that arrived in
 * another slot, which becomes the hint). Slot words are read without the
 * lock (single aligned loads): a call racing a drop or revoke of the cap
 * counts as started before it. */
bool cap_system_held(struct proc *p, unsigned right);
/* Mint a system cap with `rights` in p's empty slot `slot` (init). */
int cap_system_install(struct proc *p, int slot, unsigned rights);
/* Spawn action KEEL_FA_CAP: copy parent's cap in src_slot (a system cap
 * with GRANT) to the child's slot with `rights` (a subset). 0, -EBADF
 * (no such cap or bad slot), -EINVAL (a type that does not travel this
 * way, or rights not held), -EACCES (no GRANT), -EMFILE (child quota). */
int cap_spawn_copy(struct proc *parent, int src_slot, struct proc *child,
                   int slot, unsigned rights);

/* Exit: revoke p's outstanding delegations, then drop every slot. */
void cap_space_teardown(struct proc *p);
/* Revoke one delegation (the DELEGATE slot `slot` of p). */
int cap_revoke_slot(struct proc *p, cap_token_t tok);
uint32_t cap_delegations_in_use(void);

#endif
