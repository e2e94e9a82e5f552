/*
 * File descriptors as cap_space slots: lowest-free allocation, close,
 * dup, dup2, fcntl close-on-exec, bad fd numbers and the per-process slot
 * quota.
 */
#include <fcntl.h>
#include <unistd.h>

#include "utest.h"

TEST(fd_lowest_free)
{
    int a = open("/dev/null", O_RDONLY);
    int b = open("/dev/null", O_RDONLY);
    int c = open("/dev/null", O_RDONLY);
    CHECK_EQ(a, 3);
    CHECK_EQ(b, 4);
    CHECK_EQ(c, 5);
    CHECK_OK(close(b));
    int d = open("/dev/null", O_RDONLY);
    CHECK_EQ(d, 4);
    CHECK_OK(close(a));
    CHECK_EQ(dup(c), 3);
    CHECK_OK(close(3));
    CHECK_OK(close(4));
    CHECK_OK(close(5));
    CHECK_EQ(open("/dev/null", O_RDONLY), 3);
    CHECK_OK(close(3));
}

TEST(fd_close_errors)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_OK(close(fd));
    CHECK_ERRNO(close(fd), EBADF);
    CHECK_ERRNO(close(-1), EBADF);
    CHECK_ERRNO(close(CAP_FD_SLOTS), EBADF);
    CHECK_ERRNO(close(1000), EBADF);
    CHECK_ERRNO(close(50), EBADF); /* in range, empty */
    /* A thread slot is not an fd: close must not touch it. */
    CHECK_ERRNO(close(CAP_THREAD_SLOT_BASE), EBADF);
}

TEST(fd_bad_numbers)
{
    char c;
    CHECK_ERRNO(read(-1, &c, 1), EBADF);
    CHECK_ERRNO(read(77, &c, 1), EBADF);
    CHECK_ERRNO(write(CAP_FD_SLOTS, &c, 1), EBADF);
    CHECK_ERRNO(write(1 << 20, &c, 1), EBADF);
    CHECK_ERRNO(lseek(1000, 0, SEEK_SET), EBADF);
    CHECK_ERRNO(lseek(-5, 0, SEEK_SET), EBADF);
    CHECK_ERRNO(dup(-1), EBADF);
    CHECK_ERRNO(dup(60), EBADF);
    CHECK_ERRNO(dup(CAP_THREAD_SLOT_BASE), EBADF);
    CHECK_ERRNO(fcntl(60, F_GETFD), EBADF);
    CHECK_ERRNO(fcntl(-1, F_SETFD, FD_CLOEXEC), EBADF);
}

TEST(dup_shares_offset)
{
    int fd = open("/ut_dup", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    int d = dup(fd);
    CHECK(d > fd);
    CHECK_EQ(write(fd, "abcdef", 6), 6);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 6); /* one open file, one offset */
    CHECK_EQ(lseek(d, 1, SEEK_SET), 1);
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, 'b');
    CHECK_OK(close(fd));
    CHECK_EQ(read(d, &c, 1), 1); /* the dup outlives the original */
    CHECK_EQ(c, 'c');
    CHECK_OK(close(d));
}

TEST(dup2_semantics)
{
    int a = open("/ut_dup", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(a >= 0);
    CHECK_EQ(write(a, "A", 1), 1);
    int b = open("/dev/null", O_RDWR);
    CHECK(b >= 0);
    /* dup2 onto an open fd closes what was there. */
    CHECK_EQ(dup2(a, b), b);
    CHECK_EQ(lseek(b, 0, SEEK_SET), 0);
    char c = 0;
    CHECK_EQ(read(b, &c, 1), 1);
    CHECK_EQ(c, 'A');
    /* Onto itself: returns fd, changes nothing. */
    CHECK_EQ(dup2(a, a), a);
    CHECK(ut_fd_open(a));
    /* Onto a free slot: takes exactly that slot. */
    CHECK_EQ(dup2(a, 40), 40);
    CHECK_EQ(lseek(40, 0, SEEK_CUR), 1);
    /* Bad targets and sources. */
    CHECK_ERRNO(dup2(a, 1000), EBADF);
    CHECK_ERRNO(dup2(a, -1), EBADF);
    CHECK_ERRNO(dup2(a, CAP_FD_SLOTS), EBADF);
    CHECK_ERRNO(dup2(a, CAP_THREAD_SLOT_BASE), EBADF);
    CHECK_ERRNO(dup2(41, 42), EBADF);
    CHECK(!ut_fd_open(42));
    CHECK_ERRNO(dup2(-1, 42), EBADF);
    CHECK_OK(close(40));
    CHECK_OK(close(b));
    CHECK_OK(close(a));
    /* A closed source fails even onto itself. */
    CHECK_ERRNO(dup2(a, a), EBADF);
}

TEST(fcntl_cloexec)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GETFD), 0);
    CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    /* dup and dup2 give a copy without close-on-exec. */
    int d = dup(fd);
    CHECK(d >= 0);
    CHECK_EQ(fcntl(d, F_GETFD), 0);
    CHECK_EQ(dup2(fd, 30), 30);
    CHECK_EQ(fcntl(30, F_GETFD), 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC); /* the original keeps it */
    CHECK_OK(fcntl(fd, F_SETFD, 0));
    CHECK_EQ(fcntl(fd, F_GETFD), 0);
    CHECK_OK(close(30));
    CHECK_OK(close(d));
    CHECK_OK(close(fd));
    /* O_CLOEXEC sets it at open. */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_OK(close(fd));
    CHECK_ERRNO(fcntl(fd, F_GETFD), EBADF);
}

TEST(fcntl_dupfd)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(fcntl(fd, F_DUPFD, 20), 20);
    CHECK_EQ(fcntl(fd, F_DUPFD, 20), 21);
    CHECK_EQ(fcntl(fd, F_DUPFD, 0), fd + 1);
    CHECK_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
    CHECK_ERRNO(fcntl(fd, F_DUPFD, CAP_FD_SLOTS), EINVAL);
    CHECK_OK(close(fd + 1));
    CHECK_OK(close(21));
    CHECK_OK(close(20));
    CHECK_OK(close(fd));
}

/* Opens /dev/null until it fails; returns the count, fds in fds[]. */
static int fill_table(int *fds, int max, int *err)
{
    int n = 0;
    *err = 0;
    while (n < max) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            *err = errno;
            break;
        }
        fds[n++] = fd;
    }
    return n;
}

TEST(fd_quota_emfile)
{
    static int fds[CAP_SLOTS];
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    int err;
    int n = fill_table(fds, CAP_SLOTS, &err);
    int dup_r = dup(0), dup_e = errno;
    int pfd[2];
    int pipe_r = pipe(pfd), pipe_e = errno;
    int f2 = open("/ut_quota", O_CREAT | O_RDWR), open_e = errno;
    CHECK_OK(keel_kstat(&k1));
    for (int i = 0; i < n; i++)
        close(fds[i]);
    if (dup_r >= 0)
        close(dup_r);
    if (pipe_r == 0) {
        close(pfd[0]);
        close(pfd[1]);
    }
    if (f2 >= 0)
        close(f2);
    CHECKF(err == EMFILE, "open #%d failed with %s, expected EMFILE", n + 1,
           ut_errname(err));
    CHECKF(n >= 32 && n < CAP_FD_SLOTS, "%d fds before EMFILE", n);
    CHECKF(dup_r == -1 && dup_e == EMFILE, "dup at the quota: %d (%s)", dup_r,
           ut_errname(dup_e));
    CHECKF(pipe_r == -1 && pipe_e == EMFILE, "pipe at the quota: %d (%s)",
           pipe_r, ut_errname(pipe_e));
    CHECKF(f2 == -1 && open_e == EMFILE, "open O_CREAT at the quota: %d (%s)",
           f2, ut_errname(open_e));
    /* The failed pipe and opens took no pipe or file objects. */
    CHECK_EQ(k1.pipes_in_use, k0.pipes_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use + (uint32_t)n);
    /* Everything is usable again. */
    int fd = open("/dev/null", O_RDONLY);
    CHECK_EQ(fd, 3);
    CHECK_OK(close(fd));
}

TEST(fd_close_releases_file)
{
    struct keel_kstat k0, k1, k2;
    CHECK_OK(keel_kstat(&k0));
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    int d = dup(fd);
    CHECK(d >= 0);
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.files_in_use, k0.files_in_use + 1); /* dup: same file */
    CHECK_OK(close(fd));
    CHECK_OK(close(d));
    CHECK_OK(keel_kstat(&k2));
    CHECK_EQ(k2.files_in_use, k0.files_in_use);
}

const struct utest ut_fd_tests[] = {
    UT_CASE(fd_lowest_free),
    UT_CASE(fd_close_errors),
    UT_CASE(fd_bad_numbers),
    UT_CASE(dup_shares_offset),
    UT_CASE(dup2_semantics),
    UT_CASE(fcntl_cloexec),
    UT_CASE(fcntl_dupfd),
    UT_CASE(fd_quota_emfile),
    UT_CASE(fd_close_releases_file),
    UT_END,
};
