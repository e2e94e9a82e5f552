/*
 * mmap and munmap in part (libc/src/mmap.c, docs/posix.md): anonymous
 * mappings are zero-filled whole pages of the caller's own memory,
 * private file mappings copy the file's bytes without moving its offset,
 * MAP_SHARED of a file is ENODEV (Keel shares no memory), every argument
 * error has its errno, and munmap takes back only a whole mapping.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "utest.h"

TEST(mmap_anonymous)
{
    char *p = mmap(NULL, 5000, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK_EQ((uintptr_t)p % 4096, 0);
    for (int i = 0; i < 8192; i++) /* two whole pages, zero-filled */
        CHECK_EQ(p[i], 0);
    p[0] = 1;
    p[8191] = 2;
    char *q = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    CHECK(q != MAP_FAILED && q != p);
    CHECK_EQ(q[0], 0);
    /* Part of a mapping, or an unaligned address: EINVAL. */
    CHECK_ERRNO(munmap(p, 4096), EINVAL);
    CHECK_ERRNO(munmap(p + 1, 8191), EINVAL);
    CHECK_ERRNO(munmap(p, 0), EINVAL);
    CHECK_OK(munmap(p, 5000)); /* rounded up: the whole mapping */
    CHECK_OK(munmap(p, 5000)); /* nothing mapped there any more: 0 */
    CHECK_OK(munmap(q, 4096));
}

TEST(mmap_errors)
{
    int prot = PROT_READ | PROT_WRITE, anon = MAP_ANONYMOUS;
    CHECK(mmap(NULL, 0, prot, MAP_PRIVATE | anon, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(NULL, 10, prot, anon, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(NULL, 10, prot, MAP_SHARED | MAP_PRIVATE | anon, -1, 0) ==
          MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(NULL, 10, prot, MAP_PRIVATE | MAP_FIXED | anon, -1, 0) ==
          MAP_FAILED);
    CHECK_EQ(errno, ENOTSUP);
    CHECK(mmap(NULL, 10, PROT_READ, MAP_PRIVATE | anon, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENOTSUP);
    CHECK(mmap(NULL, 10, prot | PROT_EXEC, MAP_PRIVATE | anon, -1, 0) ==
          MAP_FAILED);
    CHECK_EQ(errno, ENOTSUP);
    CHECK(mmap(NULL, 10, prot, MAP_PRIVATE, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EBADF);
    CHECK(mmap(NULL, 10, prot, MAP_SHARED, 77, 0) == MAP_FAILED);
    CHECK_EQ(errno, EBADF);
}

TEST(mmap_file_private_and_shared)
{
    const char *path = "/ut_mmap_file";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    char buf[6000];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (char)(i % 251);
    CHECK_EQ(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    CHECK_EQ(lseek(fd, 17, SEEK_SET), 17);
    int prot = PROT_READ | PROT_WRITE;
    char *p = mmap(NULL, 8192, prot, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    CHECK(memcmp(p, buf, sizeof buf) == 0);
    CHECK_EQ(p[6000], 0);                 /* past the end of the file: zeros */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 17); /* the offset is untouched */
    char *o = mmap(NULL, 100, prot, MAP_PRIVATE, fd, 4096);
    CHECK(o != MAP_FAILED);
    CHECK(memcmp(o, buf + 4096, 100) == 0);
    p[0] = 'x'; /* private: the file keeps its byte */
    char c = 0;
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, buf[0]);
    CHECK(mmap(NULL, 100, prot, MAP_PRIVATE, fd, 100) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL); /* offset not page-aligned */
    CHECK(mmap(NULL, 100, prot, MAP_SHARED, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV); /* no memory shared with the file */
    CHECK_OK(munmap(p, 8192));
    CHECK_OK(munmap(o, 100));
    CHECK_OK(close(fd));
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(mmap(NULL, 100, prot, MAP_PRIVATE, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, EACCES); /* not open for reading */
    CHECK_OK(close(fd));
    CHECK_OK(unlink(path));
}

const struct utest ut_mmap_tests[] = {
    UT_CASE(mmap_anonymous),
    UT_CASE(mmap_errors),
    UT_CASE(mmap_file_private_and_shared),
    UT_END,
};
