/*
 * Memory locking and file synchronisation (issue 9 item 6): mlock,
 * munlock, mlockall, munlockall (Keel never pages: the calls validate,
 * every mapped page is resident) and fsync, fdatasync (the ramfs lives
 * in memory). Mapped ranges of the heap, the stack and a large buffer
 * (several of the kernel's 64-page check steps) succeed; an unaligned
 * address is taken (every page holding a byte of the range is checked:
 * POSIX only lets an implementation require alignment), a range reaching
 * past the heap's end or outside user space ENOMEM; bad mlockall flags EINVAL;
 * fsync on a file and a directory succeeds, on a pipe or device EINVAL, on a
 * bad fd EBADF. One test checks ranges while other threads grow and shrink the
 * heap.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "utest.h"

#define PG 4096ul

static uintptr_t page_up(uintptr_t a)
{
    return (a + PG - 1) & ~(PG - 1);
}

TEST(mlock_mapped_ranges)
{
    char *buf = malloc(3 * PG);
    CHECK(buf != NULL);
    char *p = (char *)page_up((uintptr_t)buf);
    CHECK_OK(mlock(p, PG));
    CHECK_OK(munlock(p, PG));
    CHECK_OK(mlock(p, 1)); /* part of a page: the whole page */
    CHECK_OK(mlock(p, 0)); /* nothing */
    CHECK_OK(munlock(p, 0));
    volatile char local = 0;
    char *sp = (char *)((uintptr_t)&local & ~(PG - 1));
    CHECK_OK(mlock(sp, PG));
    CHECK_OK(munlock(sp, PG));
    free(buf);

    /* 1 MiB of heap: 256 pages, four of the kernel's check steps. */
    size_t big = 1024 * 1024;
    char *m = malloc(big + PG);
    CHECK(m != NULL);
    char *mp = (char *)page_up((uintptr_t)m);
    CHECK_OK(mlock(mp, big));
    CHECK_OK(munlock(mp, big));
    free(m);
}

TEST(mlock_errors)
{
    /* Outside user space, and at the top of the address range. */
    CHECK_ERRNO(mlock((void *)0, PG), ENOMEM);
    CHECK_ERRNO(mlock((void *)(LONG_MAX - (LONG_MAX % PG)), 8), ENOMEM);
    CHECK_ERRNO(munlock((void *)(LONG_MAX - (LONG_MAX % PG)), 8), ENOMEM);
    CHECK_ERRNO(mlock((void *)PG, (size_t)-PG), ENOMEM); /* wraps */
    /* From mapped heap into the unmapped space past its end: the check
     * finds the first unmapped page after the mapped ones. */
    uintptr_t end = page_up((uintptr_t)sbrk(0));
    CHECK_ERRNO(mlock((void *)(end - PG), 2 * PG), ENOMEM);
    CHECK_ERRNO(mlock((void *)(end - 100 * PG), 200 * PG), ENOMEM);
    CHECK_ERRNO(munlock((void *)end, PG), ENOMEM);
    CHECK_OK(mlock((void *)(end - PG), PG));
    /* Unaligned: the pages of the bytes named, so a range starting in the
     * last mapped page and ending past it fails, one ending in it works. */
    CHECK_ERRNO(mlock((void *)(end - 100), 200), ENOMEM);
    CHECK_ERRNO(munlock((void *)(end - 1), 2), ENOMEM);
    CHECK_OK(mlock((void *)(end - 100), 100));
    CHECK_OK(munlock((void *)(end - PG + 1), PG - 1));
    CHECK_ERRNO(mlock((void *)(end - 1), (size_t)-1), ENOMEM); /* wraps */
}

/* A buffer as malloc gives it, at no particular alignment: POSIX allows
 * requiring a page-aligned address, Keel does not (Linux does not
 * either), so programs may lock what they allocate as it is. */
TEST(mlock_unaligned_buffer)
{
    char *small = malloc(8);
    CHECK(small != NULL);
    CHECK_OK(mlock(small, 8));
    CHECK_OK(munlock(small, 8));
    CHECK_OK(mlock(small + 3, 0));
    char *buf = malloc(3 * PG);
    CHECK(buf != NULL);
    char *p = (char *)page_up((uintptr_t)buf);
    CHECK_OK(mlock(p + 1, 16));
    CHECK_OK(munlock(p + 8, 16));
    CHECK_OK(mlock(p + PG - 1, 2)); /* two pages, both mapped */
    CHECK_OK(munlock(p + PG - 1, 2));
    free(buf);
    free(small);
}

TEST(mlockall_flags)
{
    CHECK_ERRNO(mlockall(0), EINVAL);
    CHECK_ERRNO(mlockall(4), EINVAL);
    CHECK_ERRNO(mlockall(MCL_CURRENT | 8), EINVAL);
    CHECK_ERRNO(mlockall(-1), EINVAL);
    CHECK_OK(mlockall(MCL_CURRENT));
    CHECK_OK(mlockall(MCL_FUTURE));
    CHECK_OK(mlockall(MCL_CURRENT | MCL_FUTURE));
    CHECK_OK(munlockall());
    CHECK_OK(munlockall());
    /* The raw call: an unknown op. */
    CHECK_EQ(keel_syscall6(SYS_mlock, 9, 0, 0, 0, 0, 0), -EINVAL);
}

/* Heap churn on other threads while mlock checks a fixed range: the
 * range stays mapped (it is below what the churn frees), so every check
 * succeeds, and ranges past the moving end fail cleanly. */
static volatile int churn_stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
        void *r = sbrk(16 * PG);
        if (r != (void *)-1)
            sbrk(-(intptr_t)(16 * PG));
        sched_yield();
    }
    return NULL;
}

TEST(mlock_while_heap_moves)
{
    char *buf = malloc(64 * PG);
    CHECK(buf != NULL);
    char *p = (char *)page_up((uintptr_t)buf);
    churn_stop = 0;
    pthread_t th[2];
    int n = 0;
    for (; n < 2; n++)
        if (pthread_create(&th[n], NULL, churn, NULL) != 0)
            break;
    int bad = 0, past_ok = 0;
    for (int i = 0; i < 300; i++) {
        if (mlock(p, 60 * PG) != 0)
            bad++;
        uintptr_t far = page_up((uintptr_t)sbrk(0)) + 64 * PG;
        if (mlock((void *)far, PG) == 0)
            past_ok++;
    }
    __atomic_store_n(&churn_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    free(buf);
    CHECK_EQ(n, 2);
    CHECK_EQ(bad, 0);
    CHECK_EQ(past_ok, 0);
}

TEST(fsync_files_and_errors)
{
    const char *path = "/ut_mlock_fsync";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC);
    CHECK_OK(fd);
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_OK(fsync(fd));
    CHECK_OK(fdatasync(fd));
    CHECK_OK(close(fd));
    /* Read-only descriptors may be synchronised too. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK_OK(fd);
    CHECK_OK(fsync(fd));
    CHECK_OK(close(fd));
    CHECK_OK(unlink(path));
    CHECK_ERRNO(fsync(fd), EBADF); /* closed */
    CHECK_ERRNO(fdatasync(fd), EBADF);
    CHECK_ERRNO(fsync(-1), EBADF);
    CHECK_ERRNO(fsync(CAP_SLOTS + 5), EBADF);
    CHECK_ERRNO(fsync(CAP_THREAD_SLOT_BASE), EBADF); /* the main thread */
    int pfd[2];
    CHECK_OK(pipe(pfd));
    CHECK_ERRNO(fsync(pfd[0]), EINVAL);
    CHECK_ERRNO(fdatasync(pfd[1]), EINVAL);
    close(pfd[0]);
    close(pfd[1]);
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK_OK(fd);
    CHECK_ERRNO(fsync(fd), EINVAL);
    close(fd);
    /* The raw call: datasync must be 0 or 1. */
    fd = open("/", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) { /* a directory */
        long r = keel_syscall6(SYS_fsync, fd, 0, 0, 0, 0, 0);
        close(fd);
        CHECK_EQ(r, 0);
    }
    CHECK_EQ(keel_syscall6(SYS_fsync, 0, 2, 0, 0, 0, 0), -EINVAL);
}

const struct utest ut_mlock_tests[] = {
    UT_CASE(mlock_unaligned_buffer),
    UT_CASE(mlock_mapped_ranges),
    UT_CASE(mlock_errors),
    UT_CASE(mlockall_flags),
    UT_CASE(mlock_while_heap_moves),
    UT_CASE(fsync_files_and_errors),
    UT_END,
};
