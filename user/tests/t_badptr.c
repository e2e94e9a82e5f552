/*
 * Bad user pointers: every syscall that takes one must answer EFAULT
 * (never fault the kernel, never kill the caller) for NULL, a kernel
 * address, an unmapped user address, a range straddling the end of user
 * space and a length that wraps the address space; paths also for a
 * string that runs into an unmapped page or off the end of user space.
 *
 * These run isolated (each in its own child process): a libc wrapper
 * that touches the pointer itself would kill the process, and the report
 * then names the step. Where libc could be at fault, the raw syscall is
 * checked too, so a report tells kernel and libc bugs apart.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define KADDR ((void *)0x80200000ul)      /* the kernel's text */
#define UNMAPPED ((void *)0x200000000ul)  /* user range, never mapped */
#define USER_END 0x4000000000ul           /* end of user space */
#define STRADDLE ((void *)(USER_END - 8)) /* with length 64 */

static long raw(long n, long a0, long a1, long a2)
{
    return keel_syscall6(n, a0, a1, a2, 0, 0, 0);
}

/* A length that makes buf + len wrap around the address space. */
static size_t wrap_len(const void *buf)
{
    return SIZE_MAX - (size_t)(uintptr_t)buf + 2;
}

/* A 256-byte file to read from; returns its fd (offset 0). */
static int data_file(void)
{
    static uint8_t data[256];
    for (int i = 0; i < 256; i++)
        data[i] = ut_pattern((uint64_t)i, 4);
    int fd = open("/ut_badptr", O_CREAT | O_RDWR | O_TRUNC);
    if (fd < 0 || write(fd, data, sizeof(data)) != 256 ||
        lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    return fd;
}

TEST(badptr_read)
{
    static uint8_t buf[4096];
    int fd = data_file();
    CHECK(fd >= 0);
    ut_step("read(file, NULL, 64)");
    CHECK_ERRNO(read(fd, NULL, 64), EFAULT);
    ut_step("read(file, kernel address, 64)");
    CHECK_ERRNO(read(fd, KADDR, 64), EFAULT);
    ut_step("read(file, unmapped, 64)");
    CHECK_ERRNO(read(fd, UNMAPPED, 64), EFAULT);
    ut_step("read(file, end of user space - 8, 64)");
    CHECK_ERRNO(read(fd, STRADDLE, 64), EFAULT);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0); /* nothing was consumed */
    ut_step("read after the faults");
    CHECK_EQ(read(fd, buf, 256), 256);
    CHECK_EQ(buf[255], ut_pattern(255, 4));
    CHECK_OK(close(fd));

    /* A pipe keeps its data when the reader's buffer is bad. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(write(p[1], "data", 4), 4);
    ut_step("read(pipe, bad buffers)");
    CHECK_ERRNO(read(p[0], NULL, 4), EFAULT);
    CHECK_ERRNO(read(p[0], KADDR, 4), EFAULT);
    CHECK_ERRNO(read(p[0], UNMAPPED, 4), EFAULT);
    CHECK_EQ(read(p[0], buf, 4), 4);
    CHECK(!memcmp(buf, "data", 4));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(badptr_write)
{
    static uint8_t buf[64];
    int fd = open("/ut_badptr", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    ut_step("write(file, bad buffers)");
    CHECK_ERRNO(write(fd, NULL, 64), EFAULT);
    CHECK_ERRNO(write(fd, KADDR, 64), EFAULT);
    CHECK_ERRNO(write(fd, UNMAPPED, 64), EFAULT);
    CHECK_ERRNO(write(fd, STRADDLE, 64), EFAULT);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0); /* nothing was written */
    CHECK_EQ(write(fd, "ok", 2), 2);
    CHECK_OK(close(fd));

    int p[2];
    CHECK_OK(pipe(p));
    ut_step("write(pipe, bad buffers)");
    CHECK_ERRNO(write(p[1], NULL, 8), EFAULT);
    CHECK_ERRNO(write(p[1], KADDR, 8), EFAULT);
    CHECK_ERRNO(write(p[1], UNMAPPED, 8), EFAULT);
    CHECK_ERRNO(write(p[1], STRADDLE, 64), EFAULT);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 1); /* only the good byte */
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));

    ut_step("write(console, bad buffers)");
    int con = open("/dev/console", O_WRONLY);
    CHECK(con >= 0);
    CHECK_ERRNO(write(con, NULL, 8), EFAULT);
    CHECK_ERRNO(write(con, KADDR, 8), EFAULT);
    CHECK_ERRNO(write(con, UNMAPPED, 8), EFAULT);
    CHECK_OK(close(con));
}

/*
 * The whole [buf, buf + count) must be user memory, even when fewer bytes
 * than count would move: a range that runs off the end of user space, or
 * wraps around, is EFAULT before anything is copied.
 */
TEST(badptr_range_past_user_end)
{
    static uint8_t buf[64];
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(write(p[1], "data", 4), 4);
    ut_step("read(pipe holding 4 bytes, end of user space - 8, 64)");
    CHECK_ERRNO(read(p[0], STRADDLE, 64), EFAULT);
    CHECK_EQ(read(p[0], buf, 4), 4); /* the data is still there */
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(badptr_range_wraps)
{
    static uint8_t buf[4096];
    int fd = data_file();
    CHECK(fd >= 0);
    ut_step("read(file, buf, wrapping length)");
    CHECK_ERRNO(read(fd, buf, wrap_len(buf)), EFAULT);
    ut_step("read(file, buf, SIZE_MAX)");
    CHECK_ERRNO(read(fd, buf, SIZE_MAX), EFAULT);
    ut_step("read(file, buf, past the end of user space)");
    CHECK_ERRNO(read(fd, buf, USER_END - (uintptr_t)buf + 1), EFAULT);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
    CHECK_OK(close(fd));
    fd = open("/ut_badptr", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    ut_step("write(file, buf, wrapping length)");
    CHECK_ERRNO(write(fd, buf, wrap_len(buf)), EFAULT);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    CHECK_OK(close(fd));
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(write(p[1], "data", 4), 4);
    ut_step("read(pipe holding 4 bytes, buf, wrapping length)");
    CHECK_ERRNO(read(p[0], buf, wrap_len(buf)), EFAULT);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

/* A page-aligned address P such that [P - 4096, P) is ours and mapped and
 * [P, P + 4096) is not mapped (found at the heap's end), or 0. */
static uintptr_t heap_edge(void)
{
    int p[2];
    if (pipe(p) < 0)
        return 0;
    uintptr_t cur = (uintptr_t)sbrk(0);
    uintptr_t edge = (cur + 4095) / 4096 * 4096 + 4096;
    uintptr_t found = 0;
    if (sbrk((intptr_t)(edge - cur)) != (void *)-1) {
        for (int i = 0; i < 64 && !found; i++, edge += 4096) {
            long r = write(p[1], (void *)edge, 1); /* probes the page */
            if (r < 0 && errno == EFAULT)
                found = edge;
            else if (r == 1) {
                char c;
                read(p[0], &c, 1);
            }
            if (!found && sbrk(4096) == (void *)-1)
                break;
        }
    }
    close(p[0]);
    close(p[1]);
    return found;
}

TEST(badptr_path)
{
    ut_step("open(NULL)");
    CHECK_ERRNO(open(NULL, O_RDONLY), EFAULT);
    ut_step("open(kernel address)");
    CHECK_ERRNO(open(KADDR, O_RDONLY), EFAULT);
    ut_step("open(unmapped)");
    CHECK_ERRNO(open(UNMAPPED, O_RDONLY), EFAULT);

    /* No NUL before an unmapped page. */
    ut_step("open(path running into an unmapped page)");
    uintptr_t edge = heap_edge();
    CHECK(edge != 0);
    char *s = (char *)(edge - 16);
    memset(s, 'a', 16);
    CHECK_ERRNO(open(s, O_RDONLY), EFAULT);
    CHECK_ERRNO(open(s, O_CREAT | O_RDWR), EFAULT);
    struct keel_dirent d;
    CHECK_ERRNO(keel_readdir(s, 0, &d), EFAULT);
    s[15] = '\0'; /* terminated in time: an ordinary missing file */
    CHECK_ERRNO(open(s, O_RDONLY), ENOENT);

    /* No NUL before the end of user space (the top of our stack: the
     * bytes there are argv strings, saved and put back). */
    ut_step("open(path running off the end of user space)");
    char *top = (char *)(USER_END - 16);
    char saved[16];
    memcpy(saved, top, 16);
    memset(top, 'b', 16);
    long r = open(top, O_RDONLY);
    int e = errno;
    memcpy(top, saved, 16);
    CHECKF(r == -1 && e == EFAULT, "returned %ld errno %s, expected EFAULT", r,
           ut_errname(e));

    ut_step("readdir(bad paths)");
    CHECK_ERRNO(keel_readdir(NULL, 0, &d), EFAULT);
    CHECK_ERRNO(keel_readdir(KADDR, 0, &d), EFAULT);
}

TEST(badptr_clock)
{
    ut_step("raw SYS_clock_gettime(bad)");
    CHECK_EQ(raw(SYS_clock_gettime, CLOCK_MONOTONIC, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_clock_gettime, CLOCK_MONOTONIC, (long)KADDR, 0), -EFAULT);
    CHECK_EQ(raw(SYS_clock_gettime, CLOCK_MONOTONIC, (long)STRADDLE, 0),
             -EFAULT);
    ut_step("clock_gettime(CLOCK_MONOTONIC, NULL)");
    CHECK_ERRNO(clock_gettime(CLOCK_MONOTONIC, NULL), EFAULT);
    ut_step("clock_gettime(CLOCK_MONOTONIC, kernel address)");
    CHECK_ERRNO(clock_gettime(CLOCK_MONOTONIC, KADDR), EFAULT);
    ut_step("clock_gettime(CLOCK_MONOTONIC, unmapped)");
    CHECK_ERRNO(clock_gettime(CLOCK_MONOTONIC, UNMAPPED), EFAULT);
}

TEST(badptr_nanosleep)
{
    ut_step("raw SYS_nanosleep(bad)");
    CHECK_EQ(raw(SYS_nanosleep, 0, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_nanosleep, (long)KADDR, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_nanosleep, (long)UNMAPPED, 0, 0), -EFAULT);
    ut_step("nanosleep(NULL)");
    CHECK_ERRNO(nanosleep(NULL, NULL), EFAULT);
    ut_step("nanosleep(kernel address)");
    CHECK_ERRNO(nanosleep(KADDR, NULL), EFAULT);
    ut_step("nanosleep(unmapped)");
    CHECK_ERRNO(nanosleep(UNMAPPED, NULL), EFAULT);
}

TEST(badptr_pipe)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    int nfds = ut_count_fds();
    ut_step("pipe(NULL)");
    CHECK_ERRNO(pipe(NULL), EFAULT);
    ut_step("pipe(kernel address)");
    CHECK_ERRNO(pipe(KADDR), EFAULT);
    ut_step("pipe(unmapped)");
    CHECK_ERRNO(pipe(UNMAPPED), EFAULT);
    ut_step("pipe(end of user space - 4)");
    CHECK_ERRNO(pipe((int *)(USER_END - 4)), EFAULT);
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(ut_count_fds(), nfds);
    CHECK_EQ(k1.pipes_in_use, k0.pipes_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
}

TEST(badptr_fstat)
{
    ut_step("raw SYS_fstat(bad)");
    CHECK_EQ(raw(SYS_fstat, 0, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_fstat, 0, (long)KADDR, 0), -EFAULT);
    CHECK_EQ(raw(SYS_fstat, 0, (long)UNMAPPED, 0), -EFAULT);
    ut_step("fstat(0, NULL)");
    CHECK_ERRNO(fstat(0, NULL), EFAULT);
    ut_step("fstat(0, kernel address)");
    CHECK_ERRNO(fstat(0, KADDR), EFAULT);
    ut_step("fstat(0, unmapped)");
    CHECK_ERRNO(fstat(0, UNMAPPED), EFAULT);
}

TEST(badptr_waitpid)
{
    pid_t pid;
    ut_step("spawn a child");
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "exit", "0", NULL, NULL), 0);
    ut_step("waitpid(child, kernel address, 0)");
    CHECK_ERRNO(waitpid(pid, KADDR, 0), EFAULT);
    /* Whether the child was reaped by that call is not specified; it
     * must be reapable or gone, never stuck. */
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    int e = errno;
    CHECKF(r == pid || (r == -1 && e == ECHILD),
           "waitpid after EFAULT: %d (%s)", (int)r, ut_errname(e));
    ut_step("waitpid(-1, NULL, WNOHANG) with no children");
    CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
}

TEST(badptr_cap_info)
{
    ut_step("raw SYS_cap_info(0, bad)");
    CHECK_EQ(raw(SYS_cap_info, 0, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_cap_info, 0, (long)KADDR, 0), -EFAULT);
    ut_step("cap_info(0, NULL)");
    CHECK_ERRNO(cap_info(0, NULL), EFAULT);
    ut_step("cap_info(0, unmapped)");
    CHECK_ERRNO(cap_info(0, UNMAPPED), EFAULT);
}

TEST(badptr_kstat_procinfo_readdir)
{
    ut_step("keel_kstat(bad)");
    CHECK_ERRNO(keel_kstat(NULL), EFAULT);
    CHECK_ERRNO(keel_kstat(KADDR), EFAULT);
    ut_step("keel_procinfo(0, bad)");
    CHECK_ERRNO(keel_procinfo(0, NULL), EFAULT);
    CHECK_ERRNO(keel_procinfo(0, UNMAPPED), EFAULT);
    ut_step("keel_readdir(\"/bin\", 0, bad)");
    CHECK_ERRNO(keel_readdir("/bin", 0, NULL), EFAULT);
    CHECK_ERRNO(keel_readdir("/bin", 0, KADDR), EFAULT);
}

TEST(badptr_thread_calls)
{
    ut_step("raw SYS_thread_getschedparam(0, bad, bad)");
    CHECK_EQ(raw(SYS_thread_getschedparam, 0, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_thread_getschedparam, 0, (long)KADDR, (long)KADDR),
             -EFAULT);
    ut_step("raw SYS_thread_create(entry = kernel address)");
    CHECK_EQ(raw(SYS_thread_create, (long)KADDR, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_thread_create, 0, 0, 0), -EFAULT);
}

TEST(badptr_spawn)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    pid_t pid;
    char *argv[] = {"/bin/hello", NULL};
    ut_step("posix_spawn(path = kernel address)");
    CHECK_RC(posix_spawn(&pid, KADDR, NULL, NULL, argv, NULL), EFAULT);
    ut_step("posix_spawn(argv = kernel address)");
    CHECK_RC(posix_spawn(&pid, "/bin/hello", NULL, NULL, KADDR, NULL), EFAULT);
    char *badarg[] = {"/bin/hello", KADDR, NULL};
    ut_step("posix_spawn(argv[1] = kernel address)");
    CHECK_RC(posix_spawn(&pid, "/bin/hello", NULL, NULL, badarg, NULL), EFAULT);
    /* Raw requests: the request itself, and an action's path. */
    ut_step("raw SYS_spawn(bad request pointers)");
    CHECK_EQ(raw(SYS_spawn, 0, 0, 0), -EFAULT);
    CHECK_EQ(raw(SYS_spawn, (long)KADDR, 0, 0), -EFAULT);
    struct keel_spawn_action act = {.kind = KEEL_FA_OPEN,
                                    .fd = 1,
                                    .src_fd = -1,
                                    .oflags = KEEL_O_WRONLY,
                                    .path = (uint64_t)(uintptr_t)KADDR};
    struct keel_spawn_req req = {.path = (uint64_t)(uintptr_t) "/bin/hello",
                                 .argv = (uint64_t)(uintptr_t)argv,
                                 .actions = (uint64_t)(uintptr_t)&act,
                                 .nactions = 1};
    ut_step("raw SYS_spawn(open action path = kernel address)");
    CHECK_EQ(raw(SYS_spawn, (long)&req, 0, 0), -EFAULT);
    req.actions = (uint64_t)(uintptr_t)UNMAPPED;
    ut_step("raw SYS_spawn(actions = unmapped)");
    CHECK_EQ(raw(SYS_spawn, (long)&req, 0, 0), -EFAULT);
    CHECK_EQ(ut_count_children(), 0);
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
}

TEST(unknown_syscalls_enosys)
{
    static const long nums[] = {0,    49, 63,  SYS_NR,           200,
                                4096, -1, -64, (long)(1ul << 40)};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        long r = keel_syscall6(nums[i], 1, 2, 3, 4, 5, 6);
        CHECKF(r == -ENOSYS, "syscall %ld returned %ld, expected %d", nums[i],
               r, -ENOSYS);
    }
    CHECK_EQ(-ENOSYS, -88);
}

const struct utest ut_badptr_tests[] = {
    UT_ISOLATED(badptr_read),
    UT_ISOLATED(badptr_write),
    UT_ISOLATED(badptr_range_past_user_end),
    UT_ISOLATED(badptr_range_wraps),
    UT_ISOLATED(badptr_path),
    UT_ISOLATED(badptr_clock),
    UT_ISOLATED(badptr_nanosleep),
    UT_ISOLATED(badptr_pipe),
    UT_ISOLATED(badptr_fstat),
    UT_ISOLATED(badptr_waitpid),
    UT_ISOLATED(badptr_cap_info),
    UT_ISOLATED(badptr_kstat_procinfo_readdir),
    UT_ISOLATED(badptr_thread_calls),
    UT_ISOLATED(badptr_spawn),
    UT_CASE(unknown_syscalls_enosys),
    UT_END,
};
