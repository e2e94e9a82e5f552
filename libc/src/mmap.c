/*
 * mmap and munmap, in part (<sys/mman.h>, docs/posix.md): Keel shares no
 * memory between processes and user memory has no per-page protections,
 * so a mapping is page-aligned memory of the caller's heap (memalign),
 * zero-filled, or holding a private copy of a file's bytes (read when
 * it is made; later writes to the file are not seen, as
 * POSIX allows for MAP_PRIVATE). MAP_SHARED of a file needs memory the
 * file and other mappers share: ENODEV. MAP_SHARED | MAP_ANONYMOUS is
 * plain memory too (without fork no other process can ever share it).
 *
 * Locking: maps_lock (a lock word, lock.c) guards the list of mappings
 * (maps), which munmap needs to tell a whole mapping from part of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MMAP_PAGE 4096u

struct mapping {
    struct mapping *next;
    uintptr_t start;
    size_t len; /* whole pages */
};

static struct mapping *maps; /* maps_lock */
static uint32_t maps_lock;

static void maps_acquire(void)
{
    uint32_t self = keel_self_id();
    if (!keel_cas_acq(&maps_lock, 0, self))
        __keel_word_lock_slow(&maps_lock, self, NULL);
}

static void maps_release(void)
{
    if (!keel_cas_rel(&maps_lock, keel_self_id(), 0))
        __keel_word_unlock_slow(&maps_lock);
}

static void *map_fail(int e)
{
    errno = e;
    return MAP_FAILED;
}

/* Fills p (len bytes) with fd's bytes from off, zeros past the end; the
 * file offset is put back (read at off, then the old offset restored:
 * Keel has no pread, so another thread using fd meanwhile may see it
 * move). */
static int map_read(int fd, char *p, size_t len, off_t off)
{
    off_t was = lseek(fd, 0, SEEK_CUR);
    if (was < 0 || lseek(fd, off, SEEK_SET) < 0)
        return errno == ESPIPE ? ENODEV : errno;
    size_t got = 0;
    int e = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            e = errno == EISDIR ? ENODEV : errno;
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    lseek(fd, was, SEEK_SET);
    return e;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    (void)addr; /* a hint only */
    int kind = flags & (MAP_SHARED | MAP_PRIVATE);
    if (len == 0 || kind == 0 || kind == (MAP_SHARED | MAP_PRIVATE) ||
        (flags & ~(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)))
        return map_fail(EINVAL);
    if (!(flags & MAP_ANONYMOUS) && (off < 0 || (off % MMAP_PAGE) != 0))
        return map_fail(EINVAL);
    if ((flags & MAP_FIXED) || prot != (PROT_READ | PROT_WRITE))
        return map_fail(ENOTSUP);
    if (len > SIZE_MAX - MMAP_PAGE)
        return map_fail(ENOMEM);
    size_t size = (len + MMAP_PAGE - 1) & ~(size_t)(MMAP_PAGE - 1);
    if (!(flags & MAP_ANONYMOUS)) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
            return map_fail(EBADF);
        if ((fl & O_ACCMODE) == O_WRONLY)
            return map_fail(EACCES);
        if (kind == MAP_SHARED)
            return map_fail(ENODEV);
    }
    struct mapping *m = malloc(sizeof *m);
    if (!m)
        return map_fail(ENOMEM);
    int saved = errno;
    char *p = memalign(MMAP_PAGE, size);
    if (!p) {
        free(m);
        return map_fail(ENOMEM);
    }
    memset(p, 0, size);
    if (!(flags & MAP_ANONYMOUS)) {
        int e = map_read(fd, p, size, off);
        if (e) {
            free(p);
            free(m);
            return map_fail(e);
        }
    }
    errno = saved;
    *m = (struct mapping){NULL, (uintptr_t)p, size};
    maps_acquire();
    m->next = maps;
    maps = m;
    maps_release();
    return p;
}

int munmap(void *addr, size_t len)
{
    uintptr_t a = (uintptr_t)addr;
    if (len == 0 || (a % MMAP_PAGE) != 0 || len > SIZE_MAX - MMAP_PAGE) {
        errno = EINVAL;
        return -1;
    }
    size_t size = (len + MMAP_PAGE - 1) & ~(size_t)(MMAP_PAGE - 1);
    uintptr_t end = a + size;
    maps_acquire();
    struct mapping **pp = &maps, *hit = NULL;
    for (struct mapping *m = maps; m; pp = &m->next, m = m->next) {
        if (m->start + m->len <= a || end <= m->start)
            continue; /* disjoint */
        if (m->start == a && m->len == size) {
            *pp = m->next;
            hit = m;
            break;
        }
        maps_release();
        errno = EINVAL; /* part of a mapping (or more than one) */
        return -1;
    }
    maps_release();
    if (hit) {
        free((void *)hit->start);
        free(hit);
    }
    return 0;
}
