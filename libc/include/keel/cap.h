/*
 * Keel capability API. A process reaches kernel objects only through the
 * slots of its cap_space; a POSIX fd is the index of a CAP_TYPE_FD slot.
 * A token names one slot at one generation and is valid only while that
 * slot still holds the same capability (see docs/capabilities.md).
 */
#ifndef KEEL_CAP_H
#define KEEL_CAP_H

#include <stdint.h>
#ifdef KEEL_KERNEL
typedef int pid_t;
#else
#include <sys/types.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t cap_token_t;

/* Capability types (4 bits in slots and tokens). Types 5..11 are the
 * kernel objects of docs/capabilities.md "Kernel objects" (one object
 * header, kernel/include/kobj.h); 12 is reserved for endpoints. */
#define CAP_TYPE_NONE 0
#define CAP_TYPE_FD 1
#define CAP_TYPE_THREAD 2
#define CAP_TYPE_PROCESS 3
#define CAP_TYPE_DELEGATE 4
#define CAP_TYPE_TIMER 5
#define CAP_TYPE_MUTEX 6
#define CAP_TYPE_CONDVAR 7
#define CAP_TYPE_SEMAPHORE 8
#define CAP_TYPE_BARRIER 9
#define CAP_TYPE_RWLOCK 10
#define CAP_TYPE_MQUEUE 11
/* 12: CAP_TYPE_ENDPOINT, reserved */
/* Authority over the machine itself: poweroff (needs WRITE), the process
 * list and the kernel counters (READ). Names no object. The first process
 * holds one with every right and hands it on as it chooses (a spawn
 * action, keel_spawn_file_actions_addcap, or cap_transfer); it is never
 * inherited implicitly. See docs/capabilities.md. */
#define CAP_TYPE_SYSTEM 13
#define CAP_TYPE_MAX 13 /* the highest number in use (12 reserved) */
/* The kernel-object types (timer .. message queue). */
#define CAP_TYPE_KOBJ_FIRST CAP_TYPE_TIMER
#define CAP_TYPE_KOBJ_LAST CAP_TYPE_MQUEUE

/* Rights (4 bits). Rights only shrink: transfer and inheritance may drop
 * rights but never add them. */
#define CAP_RIGHT_READ 0x1u
#define CAP_RIGHT_WRITE 0x2u
#define CAP_RIGHT_EXEC 0x4u
#define CAP_RIGHT_GRANT 0x8u
#define CAP_RIGHTS_ALL 0xfu

/* Slot numbers: 0..CAP_FD_SLOTS-1 hold fds and other caps; the top
 * CAP_THREAD_SLOTS are reserved for the process's thread caps: the main
 * thread's, then one per thread pthread_create can make, so that a
 * process can create PTHREAD_THREADS_MAX (64, POSIX's minimum) threads
 * besides its initial one. */
#define CAP_FD_SLOTS 96
#define CAP_THREAD_SLOTS 65
#define CAP_SLOTS (CAP_FD_SLOTS + CAP_THREAD_SLOTS)
#define CAP_THREAD_SLOT_BASE CAP_FD_SLOTS
/* Where init keeps its system cap and puts the one it gives the shell and
 * the autorun program: a convention only (the kernel accepts a system cap
 * in any slot); the top fd slot, so it never takes a low fd number. */
#define CAP_SYSTEM_SLOT (CAP_FD_SLOTS - 1)

/* Token layout (bit 63 is always 0, so a token is a non-negative int64):
 *   bits  0..9   slot index
 *   bits 10..13  type
 *   bits 14..17  rights
 *   bits 18..49  generation snapshot
 *   bits 50..63  zero */
#define CAP_TOK_SLOT_SHIFT 0
#define CAP_TOK_SLOT_MASK 0x3ffull
#define CAP_TOK_TYPE_SHIFT 10
#define CAP_TOK_TYPE_MASK 0xfull
#define CAP_TOK_RIGHTS_SHIFT 14
#define CAP_TOK_RIGHTS_MASK 0xfull
#define CAP_TOK_GEN_SHIFT 18
#define CAP_TOK_GEN_MASK 0xffffffffull
#define CAP_TOK_RESERVED_MASK (~((1ull << 50) - 1))

struct cap_info {
    int type;            /* CAP_TYPE_* */
    unsigned rights;     /* CAP_RIGHT_* bits */
    uint32_t generation; /* the slot's current generation */
    int delegated;       /* 1 if it arrived by cap_transfer or is a copy of
                            such a slot */
    int cloexec;         /* 1 if marked close-on-exec */
    uint32_t object;     /* CAP_TYPE_PROCESS: the pid of the process it
                            names; other types: the index of the object
                            in its kernel pool (two fds on one open file
                            show the same object) */
};

int cap_get_token(int slot, int type, cap_token_t *out);
int cap_drop(cap_token_t tok);
int cap_transfer(pid_t dst, cap_token_t tok, unsigned rights,
                 cap_token_t *delegate, int *dst_slot);
int cap_revoke_delegate(cap_token_t delegate);
int cap_info(int slot, struct cap_info *out);
/* Slot `slot` (0..CAP_SLOTS-1) of process pid's table (0: the caller's);
 * another process needs a process cap with READ for it. 1 when *out was
 * filled, 0 for an empty slot, or -1 with errno: EINVAL bad slot, EPERM
 * no such cap (whether or not pid exists), ESRCH the process the cap
 * names is no longer alive, EFAULT. */
int keel_cap_list(pid_t pid, int slot, struct cap_info *out);
int proc_handle(pid_t pid);
/* The slot of a system cap the caller holds (the highest one), or -1 with
 * errno ENOENT. */
int keel_system_slot(void);
/* Narrow the signal allow-list of the process cap in `slot` to the
 * signals in `allowed` (bit sig-1 for sig; docs/capabilities.md
 * "Signals"): kill and sigqueue through this cap then fail with EPERM
 * for any other signal. Lists only narrow (the new list is the old one
 * and `allowed`) and travel with cap_transfer. 0, or -1 with errno:
 * EBADF empty or bad slot, EINVAL not a process cap. */
int keel_cap_signal_limit(int slot, uint64_t allowed);

#ifndef KEEL_KERNEL
#include <spawn.h>
/* A Keel spawn action: put a copy of the caller's capability in slot
 * src_slot into the child's slot `slot`, with `rights` (a subset of the
 * source's rights, GRANT allowed). The source needs GRANT. Only system
 * caps (CAP_TYPE_SYSTEM) are handed on this way for now; fds travel by
 * inheritance and dup2 actions. Returns 0 or an errno value. */
int keel_spawn_file_actions_addcap(posix_spawn_file_actions_t *fa, int slot,
                                   int src_slot, unsigned rights);
#endif

#ifdef __cplusplus
}
#endif

#endif
