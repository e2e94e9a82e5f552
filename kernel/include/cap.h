/*
 * The per-process capability space: the only fd table. Slot words are
 * packed (kernel/cap/cap_word.h); objects live in fixed pools and are
 * named in the word by their pool index.
 */
#ifndef KEEL_KCAP_H
#define KEEL_KCAP_H

#include "kernel.h"
#include "spinlock.h"
#include "../cap/cap_word.h"

#define CAP_DEFAULT_QUOTA 64 /* slots in use per process, thread slots excluded */

/* Guarded by `lock` (the process's cap lock). */
struct cap_space {
    spinlock_t lock;
    uint64_t free_map[(CAP_SLOTS + 63) / 64]; /* bit set: slot free */
    cap_word_t words[CAP_SLOTS];
    uint32_t used;  /* slots in use below CAP_FD_SLOTS */
    uint32_t quota;
    bool dead;      /* torn down at exit: no new slots */
};

struct file;
struct proc;

void cap_space_init(struct cap_space *cs, uint32_t gen_seed);
/* Lowest free slot in [0, CAP_FD_SLOTS) at or above `min`; caller holds
 * the lock. -EMFILE when the quota or the table is exhausted. */
int cap_slot_alloc_locked(struct cap_space *cs, int min);
void cap_slot_install_locked(struct cap_space *cs, int slot, cap_word_t w);
/* Empty the slot and bump its generation; returns the old word. */
cap_word_t cap_slot_clear_locked(struct cap_space *cs, int slot);

/* fd operations on the current process. */
int cap_fd_install(struct proc *p, struct file *f, unsigned rights,
                   bool cloexec, int min_slot);
/* Pin the file behind fd (needing `rights`); pair with file_put. */
int cap_fd_get(struct proc *p, int fd, unsigned rights, struct file **out);
int cap_fd_close(struct proc *p, int fd);
int cap_fd_dup(struct proc *p, int fd, int min_slot);
int cap_fd_dup2(struct proc *p, int oldfd, int newfd);
int cap_fd_getflags(struct proc *p, int fd);
int cap_fd_setflags(struct proc *p, int fd, int flags);
/* Drop every slot (exit): files lose their references. */
void cap_space_teardown(struct proc *p);
void cap_lock_pair(struct proc *a, struct proc *b);
void cap_unlock_pair(struct proc *a, struct proc *b);

/* Thread caps in the reserved slots. */
void cap_thread_install(struct proc *p, int tslot, uint32_t thread_idx);
void cap_thread_remove(struct proc *p, int tslot);

/* Syscalls. */
long sys_cap_get_token(int slot, int type, uint64_t uout);
long sys_cap_drop(uint64_t tok);
long sys_cap_info(int slot, uint64_t uout);

#endif
