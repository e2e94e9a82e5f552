/* Kernel sizing. Pools are fixed at build time so allocation is O(1) and
 * exhaustion is a clean error, never a crash. */
#ifndef KEEL_PARAM_H
#define KEEL_PARAM_H

#include "../../libc/include/keel/abi.h"

#define MAX_HARTS 8
#define MAX_PROCS 128 /* above the per-parent child limit (80) */
#define MAX_THREADS 256
#define MAX_FILES 512
#define MAX_PIPES 64
#define MAX_INODES 256

#define PAGE_SIZE 4096ul
#define PAGE_SHIFT 12
#define KSTACK_SIZE 16384ul

/* User address space: everything below 4 GiB belongs to the kernel's
 * identity map (devices, RAM), user space is [USER_BASE, USER_TOP). */
#define USER_BASE 0x100000000ul
#define USER_TOP 0x4000000000ul
/* Each thread slot t reserves USTACK_MAX of stack above a guard page:
 * stack top = USER_TOP - t * (USTACK_MAX + PAGE_SIZE). A thread maps
 * USTACK_SIZE of it by default, or what thread_create asks for. */
#define USTACK_SIZE ((uint64_t)KEEL_THREAD_STACK_DEFAULT)
#define USTACK_MAX ((uint64_t)KEEL_THREAD_STACK_MAX)
#define USER_HEAP_MAX (64ul << 20) /* sbrk limit per process */

#define TIME_SLICE_US 10000 /* SCHED_RR quantum */

#endif
