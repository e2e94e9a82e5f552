/*
 * Helpers for in-kernel tests that act as a user process: a borrowed
 * process identity for the test thread with two scratch user pages at
 * USER_BASE (so syscalls with user pointers can be called directly), fds
 * in it, and spawning programs from the boot image.
 */
#ifndef KEEL_KT_WORLD_H
#define KEEL_KT_WORLD_H

#include "../include/cap.h"
#include "../include/proc.h"
#include "../include/vfs.h"

struct kt_world {
    union {
        struct proc *p; /* the borrowed process (current()->proc) */
        struct proc *a; /* its name in two-process tests */
    };
    struct proc *b; /* kt_world_begin_pair's second process, else NULL */
    pagetable_t pt;
    uint64_t old_satp;
    uint32_t files, procs;
};

/* Scratch layout used by kt_spawn: the request at 0, the program path at
 * 512, argv pointers at 768, the actions at 1024, argument strings at
 * 2048; the second page holds the open actions' paths, 256 bytes each.
 * Tests may use the rest of the first page from KT_SCRATCH_FREE. */
#define KT_SCRATCH_FREE 3072

void kt_world_begin(struct kt_world *w);
/* The same plus a bare second process b (no caps, no address space), for
 * transfer and delegation tests between a and b. */
void kt_world_begin_pair(struct kt_world *w);
/* Tears the borrowed process (and b) down and checks no file or process
 * leaked. */
void kt_world_end(struct kt_world *w);
/* The u64 at user address va of the scratch pages (a syscall's out
 * argument). */
uint64_t kt_read_u64(struct kt_world *w, uint64_t va);
/* Kernel address of the scratch page(s). */
uint8_t *kt_scratch(struct kt_world *w);
/* /dev/null (or path) in slot `slot` of p with rights: the slot or -1. */
int kt_install_null(struct proc *p, unsigned rights, bool cloexec, int slot);
int kt_install_path(struct proc *p, const char *path, int oflags,
                    unsigned rights, int slot);
/* sys_spawn of path (argv NULL: just the path) with n actions, the spawn
 * flags and pgroup: the child's pid or a negative errno. */
long kt_spawn(struct kt_world *w, struct keel_spawn_action *acts, uint32_t n,
              const char *path, const char *const *argv, uint32_t flags,
              int32_t pgroup);
/* waitpid(pid): the wait status, checked to be pid's. */
int kt_wait(struct kt_world *w, long pid);

#endif
