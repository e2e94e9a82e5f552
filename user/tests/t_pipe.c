/*
 * Pipes: in one process (data, EOF, EPIPE without SIGPIPE, wrong ends,
 * dup'ed ends) and between processes (64 KiB each way, EOF when the
 * writer process exits, several writers, a blocked writer woken by the
 * reader's close, ping-pong).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

#define BIG (64 * 1024)

/* ---- child modes ---- */

/* pipe-sink COUNT SEED: reads fd 0 to EOF, checks COUNT pattern bytes. */
static int mode_sink(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    long want = atol(argv[2]);
    unsigned seed = (unsigned)atoi(argv[3]);
    static uint8_t buf[4096];
    long total = 0;
    for (;;) {
        long n = read(0, buf, sizeof(buf));
        if (n < 0)
            return 4;
        if (n == 0)
            break;
        for (long i = 0; i < n; i++)
            if (buf[i] != ut_pattern((uint64_t)(total + i), seed))
                return 3;
        total += n;
    }
    return total == want ? 0 : 2;
}

/* pipe-source COUNT SEED: writes COUNT pattern bytes to fd 1. */
static int mode_source(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    long count = atol(argv[2]);
    unsigned seed = (unsigned)atoi(argv[3]);
    static uint8_t buf[3000]; /* odd size: chunks straddle the ring end */
    long done = 0;
    while (done < count) {
        long n =
            count - done < (long)sizeof(buf) ? count - done : (long)sizeof(buf);
        for (long i = 0; i < n; i++)
            buf[i] = ut_pattern((uint64_t)(done + i), seed);
        if (ut_write_full(1, buf, (size_t)n) != n)
            return 4;
        done += n;
    }
    return 0;
}

/* echo: copies fd 0 to fd 1 until EOF. */
static int mode_echo(int argc, char **argv)
{
    char buf[256];
    for (;;) {
        long n = read(0, buf, sizeof(buf));
        if (n < 0)
            return 4;
        if (n == 0)
            return 0;
        if (ut_write_full(1, buf, (size_t)n) != n)
            return 5;
    }
}

/* write-until-epipe: writes to fd 1 until a write fails; 0 on EPIPE. */
static int mode_write_until_epipe(int argc, char **argv)
{
    static char buf[4096];
    memset(buf, 'w', sizeof(buf));
    for (long total = 0; total < 4 * 1024 * 1024;) {
        long n = write(1, buf, sizeof(buf));
        if (n < 0)
            return errno == EPIPE ? 0 : 2;
        total += n;
    }
    return 3;
}

/* write-fd FD TEXT: writes TEXT to FD. */
static int mode_write_fd(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int fd = atoi(argv[2]);
    size_t n = strlen(argv[3]);
    return ut_write_full(fd, argv[3], n) == (long)n ? 0 : 2;
}

const struct ut_mode ut_pipe_modes[] = {
    {"pipe-sink", mode_sink},    {"pipe-source", mode_source},
    {"echo", mode_echo},         {"write-until-epipe", mode_write_until_epipe},
    {"write-fd", mode_write_fd}, UT_MODE_END,
};

/* ---- one process ---- */

TEST(pipe_basic)
{
    int p[2] = {-1, -1};
    CHECK_OK(pipe(p));
    CHECK_EQ(p[0], 3);
    CHECK_EQ(p[1], 4);
    CHECK_EQ(write(p[1], "hello", 5), 5);
    CHECK_EQ(write(p[1], ", world", 7), 7);
    char buf[32] = {0};
    CHECK_EQ(read(p[0], buf, 3), 3);
    CHECK(!memcmp(buf, "hel", 3));
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 9);
    CHECK(!memcmp(buf, "lo, world", 9));
    CHECK_EQ(read(p[0], buf, 0), 0);
    struct stat st;
    CHECK_OK(fstat(p[0], &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
    CHECK_ERRNO(lseek(p[1], 0, SEEK_CUR), ESPIPE);
    /* 512 bytes (POSIX's minimum PIPE_BUF) fit without a reader. */
    static uint8_t big[512], back[512];
    for (int i = 0; i < 512; i++)
        big[i] = ut_pattern((uint64_t)i, 3);
    CHECK_EQ(write(p[1], big, sizeof(big)), 512);
    CHECK_EQ(ut_read_full(p[0], back, sizeof(back)), 512);
    CHECK(!memcmp(big, back, sizeof(big)));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(pipe_eof_after_writer_closes)
{
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(write(p[1], "xy", 2), 2);
    CHECK_OK(close(p[1]));
    char buf[8];
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 2); /* data first */
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 0); /* then EOF */
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 0); /* and again */
    CHECK_OK(close(p[0]));
}

TEST(pipe_epipe_without_reader)
{
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    /* No SIGPIPE in Keel: just EPIPE, and we are still here. */
    CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
    CHECK_ERRNO(write(p[1], "xyz", 3), EPIPE);
    CHECK_OK(close(p[1]));
}

TEST(pipe_wrong_end)
{
    int p[2];
    CHECK_OK(pipe(p));
    char c = 'c';
    CHECK_ERRNO(write(p[0], &c, 1), EBADF);
    CHECK_ERRNO(read(p[1], &c, 1), EBADF);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(pipe_dup_write_end_eof)
{
    int p[2];
    CHECK_OK(pipe(p));
    int w2 = dup(p[1]);
    CHECK(w2 >= 0);
    CHECK_OK(close(p[1]));
    CHECK_EQ(write(w2, "k", 1), 1); /* the copy still writes */
    char buf[4];
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
    CHECK_OK(close(w2));
    CHECK_EQ(read(p[0], buf, sizeof(buf)), 0); /* last writer gone */
    CHECK_OK(close(p[0]));
}

TEST(pipe_no_leak)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    for (int i = 0; i < 100; i++) {
        int p[2];
        CHECK_OK(pipe(p));
        CHECK_EQ(write(p[1], "z", 1), 1);
        CHECK_OK(close(p[1]));
        CHECK_OK(close(p[0]));
    }
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.pipes_in_use, k0.pipes_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
    CHECK_EQ(k1.free_pages, k0.free_pages);
}

/* ---- between processes ---- */

/* Spawns utest MODE with fd 0 <- in (if >= 0) and fd 1 <- out (if >= 0);
 * closes every pipe end in `closeme` in the child. */
static int spawn_piped(pid_t *pid, int in, int out, const int *closeme,
                       int nclose, const char *mode, const char *a1,
                       const char *a2)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    for (int i = 0; i < nclose; i++)
        posix_spawn_file_actions_addclose(&fa, closeme[i]);
    int rc = ut_spawn_self(pid, &fa, NULL, mode, a1, a2, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

TEST(pipe_64k_parent_to_child)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid;
    CHECK_RC(spawn_piped(&pid, p[0], -1, p, 2, "pipe-sink", "65536", "5"), 0);
    CHECK_OK(close(p[0]));
    static uint8_t buf[BIG];
    for (int i = 0; i < BIG; i++)
        buf[i] = ut_pattern((uint64_t)i, 5);
    long w = ut_write_full(p[1], buf, BIG);
    CHECK_OK(close(p[1]));
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_EQ(w, BIG);
}

TEST(pipe_64k_child_to_parent)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid;
    CHECK_RC(spawn_piped(&pid, -1, p[1], p, 2, "pipe-source", "65536", "9"), 0);
    CHECK_OK(close(p[1]));
    static uint8_t buf[BIG + 16];
    long n = ut_read_full(p[0], buf, sizeof(buf));
    CHECK_OK(close(p[0]));
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_EQ(n, BIG);
    for (int i = 0; i < BIG; i++)
        CHECKF(buf[i] == ut_pattern((uint64_t)i, 9), "byte %d differs", i);
}

TEST(pipe_eof_when_writer_process_exits)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid;
    /* The child inherits both ends and exits without closing them. */
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "exit", "0", NULL, NULL), 0);
    CHECK_OK(close(p[1]));
    char c;
    /* Returns once the child has exited, though we have not reaped it:
     * exit tears the cap_space down at once. */
    CHECK_EQ(read(p[0], &c, 1), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(close(p[0]));
}

TEST(pipe_two_writer_processes)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t a, b;
    int closeme[1] = {p[0]};
    CHECK_RC(
        spawn_piped(&a, -1, p[1], closeme, 1, "write-fd", "1", "first-writer;"),
        0);
    CHECK_RC(spawn_piped(&b, -1, p[1], closeme, 1, "write-fd", "1",
                         "second-writer;"),
             0);
    CHECK_OK(close(p[1]));
    char buf[128] = {0};
    long n = ut_read_full(p[0], buf, sizeof(buf) - 1);
    CHECK_OK(close(p[0]));
    CHECK_EXITED(ut_wait(a), 0);
    CHECK_EXITED(ut_wait(b), 0);
    CHECK_EQ(n, (long)strlen("first-writer;second-writer;"));
    CHECKF(strstr(buf, "first-writer;") && strstr(buf, "second-writer;"),
           "read \"%s\"", buf);
}

TEST(pipe_blocked_writer_gets_epipe)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid;
    CHECK_RC(spawn_piped(&pid, -1, p[1], p, 2, "write-until-epipe", NULL, NULL),
             0);
    CHECK_OK(close(p[1]));
    char buf[100];
    /* Once data arrives the child is writing (and soon blocked on a full
     * pipe); closing the only read end must fail its write with EPIPE. */
    CHECK_EQ(ut_read_full(p[0], buf, sizeof(buf)), (long)sizeof(buf));
    CHECK_OK(close(p[0]));
    CHECK_EXITED(ut_wait(pid), 0);
}

TEST(pipe_ping_pong)
{
    int to[2], from[2];
    CHECK_OK(pipe(to));
    CHECK_OK(pipe(from));
    int all[4] = {to[0], to[1], from[0], from[1]};
    pid_t pid;
    CHECK_RC(spawn_piped(&pid, to[0], from[1], all, 4, "echo", NULL, NULL), 0);
    CHECK_OK(close(to[0]));
    CHECK_OK(close(from[1]));
    int bad = -1;
    for (int i = 0; i < 200 && bad < 0; i++) {
        unsigned char c = (unsigned char)i, r = 0;
        if (write(to[1], &c, 1) != 1 || read(from[0], &r, 1) != 1 || r != c)
            bad = i;
    }
    CHECK_OK(close(to[1])); /* the child sees EOF and exits */
    char c;
    CHECK_EQ(read(from[0], &c, 1), 0);
    CHECK_OK(close(from[0]));
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(bad < 0, "round %d failed", bad);
}

TEST(pipe_parallel_pairs)
{
    /* Four echo children at once (on several harts when there are). Our
     * own ends are close-on-exec so that no child holds another's pipe. */
    enum { N = 4 };
    int to[N][2], from[N][2];
    pid_t pid[N];
    for (int k = 0; k < N; k++) {
        CHECK_OK(pipe(to[k]));
        CHECK_OK(pipe(from[k]));
        CHECK_OK(fcntl(to[k][1], F_SETFD, FD_CLOEXEC));
        CHECK_OK(fcntl(from[k][0], F_SETFD, FD_CLOEXEC));
        int ends[2] = {to[k][0], from[k][1]};
        CHECK_RC(spawn_piped(&pid[k], to[k][0], from[k][1], ends, 2, "echo",
                             NULL, NULL),
                 0);
        CHECK_OK(close(to[k][0]));
        CHECK_OK(close(from[k][1]));
    }
    int bad = -1;
    for (int round = 0; round < 100 && bad < 0; round++) {
        for (int k = 0; k < N; k++) {
            char msg[8];
            snprintf(msg, sizeof(msg), "%d:%d", k, round);
            size_t len = strlen(msg);
            if (write(to[k][1], msg, len) != (long)len)
                bad = round;
        }
        for (int k = 0; k < N && bad < 0; k++) {
            char want[8], got[8] = {0};
            snprintf(want, sizeof(want), "%d:%d", k, round);
            if (ut_read_full(from[k][0], got, strlen(want)) !=
                    (long)strlen(want) ||
                strcmp(got, want))
                bad = round;
        }
    }
    for (int k = 0; k < N; k++)
        close(to[k][1]);
    for (int k = 0; k < N; k++) {
        char c;
        EXPECT(read(from[k][0], &c, 1) == 0);
        close(from[k][0]);
        CHECK_EXITED(ut_wait(pid[k]), 0);
    }
    CHECKF(bad < 0, "round %d went wrong", bad);
}

const struct utest ut_pipe_tests[] = {
    UT_CASE(pipe_basic),
    UT_CASE(pipe_eof_after_writer_closes),
    UT_CASE(pipe_epipe_without_reader),
    UT_CASE(pipe_wrong_end),
    UT_CASE(pipe_dup_write_end_eof),
    UT_CASE(pipe_no_leak),
    UT_CASE(pipe_64k_parent_to_child),
    UT_CASE(pipe_64k_child_to_parent),
    UT_CASE(pipe_eof_when_writer_process_exits),
    UT_CASE(pipe_two_writer_processes),
    UT_CASE(pipe_blocked_writer_gets_epipe),
    UT_CASE(pipe_ping_pong),
    UT_CASE(pipe_parallel_pairs),
    UT_END,
};
