/*
 * Keel's <sys/mman.h>: memory locking (the _POSIX_MEMLOCK and
 * _POSIX_MEMLOCK_RANGE options) and a partial mmap/munmap. Keel never
 * pages, so every mapped page is always resident: mlock and mlockall
 * only check their arguments (docs/posix.md, docs/syscalls.md "Memory
 * locking"). malloc grows the heap with sbrk; mmap hands out page-aligned
 * memory of the process itself (no shared memory, no protections).
 */
#ifndef KEEL_SYS_MMAN_H
#define KEEL_SYS_MMAN_H

#include <sys/features.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mmap (libc/src/mmap.c): memory a process maps for itself. Keel shares
 * no memory between processes, so a MAP_SHARED mapping of a file fails
 * (ENODEV) and _POSIX_MAPPED_FILES is not announced; anonymous
 * mappings and private copies of a file are plain memory of the caller,
 * always readable and writable (prot must ask for both). */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS

#define MAP_FAILED ((void *)-1)

/* A new mapping of len bytes (rounded up to whole pages) anywhere (a
 * hint addr is ignored): MAP_ANONYMOUS zero-filled (fd ignored), else a
 * private copy of fd's bytes from off (page-aligned), zero past its end.
 * EINVAL (len 0, neither or both of MAP_SHARED / MAP_PRIVATE, off not
 * page-aligned or negative), ENOTSUP (MAP_FIXED; prot without
 * PROT_READ | PROT_WRITE, or with PROT_EXEC), ENODEV (MAP_SHARED of a
 * file), EBADF / EACCES (fd not open / not open for reading), ENOMEM. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* Unmaps a whole mapping made by mmap: addr its start, len its length
 * (rounded up to whole pages). A range holding no mapping: 0. EINVAL
 * for len 0, addr not page-aligned, or a range covering part of one. */
int munmap(void *addr, size_t len);

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
