/*
 * Keel's <sys/mman.h>: memory locking only (the _POSIX_MEMLOCK and
 * _POSIX_MEMLOCK_RANGE options). Keel never pages, so every mapped page
 * is always resident: mlock and mlockall only check their arguments
 * (docs/posix.md, docs/syscalls.md "Memory locking"). There is no mmap:
 * malloc grows the heap with sbrk, so no mapping calls or PROT_/MAP_
 * names are declared.
 */
#ifndef KEEL_SYS_MMAN_H
#define KEEL_SYS_MMAN_H

#include <sys/features.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCL_CURRENT 0x1 /* lock what is mapped now */
#define MCL_FUTURE 0x2  /* and what will be mapped */

/* addr page-aligned (EINVAL), every page of [addr, addr + len) mapped
 * (ENOMEM); len 0 succeeds. */
int mlock(const void *addr, size_t len);
int munlock(const void *addr, size_t len);
/* flags: MCL_CURRENT and/or MCL_FUTURE, not 0 (EINVAL). */
int mlockall(int flags);
int munlockall(void);

#ifdef __cplusplus
}
#endif

#endif
