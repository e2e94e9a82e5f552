/*
 * Issue 6, item 11 (the smaller defects): default signal actions, spawn
 * open-flag validation, failed spawns leaving no trace, detached
 * threads, thread stack sizes and attribute checks, CLOCK_REALTIME.
 *
 * Thread functions use EXPECT (records and goes on), never CHECK.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

/* ---- child modes ---- */

/* Mode "raise SIG": raise(SIG), then kill(self, SIG); exits 0 if it is
 * still alive, 2 if a call failed. */
static int mode_raise(int argc, char **argv)
{
    if (argc < 3)
        return 3;
    int sig = atoi(argv[2]);
    if (raise(sig) != 0)
        return 2;
    if (kill(getpid(), sig) != 0)
        return 2;
    return 0;
}

/* Mode "wait-stdin": reads fd 0 until EOF, then exits 0. */
static int mode_wait_stdin(int argc, char **argv)
{
    (void)argc, (void)argv;
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

const struct ut_mode ut_small_modes[] = {
    {"raise", mode_raise},
    {"wait-stdin", mode_wait_stdin},
    UT_MODE_END,
};

/* ---- g: default signal actions ---- */

static const int ignored_sigs[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};

static int spawn_raise(pid_t *pid, int sig)
{
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    return ut_spawn_self(pid, NULL, NULL, "raise", s, NULL, NULL);
}

TEST(signal_default_ignored_self)
{
    for (size_t i = 0; i < sizeof(ignored_sigs) / sizeof(ignored_sigs[0]);
         i++) {
        pid_t pid;
        CHECK_RC(spawn_raise(&pid, ignored_sigs[i]), 0);
        CHECK_EXITED(ut_wait(pid), 0);
    }
    pid_t pid;
    CHECK_RC(spawn_raise(&pid, SIGTERM), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_RC(spawn_raise(&pid, 0), 0); /* signal 0 only checks */
    CHECK_EXITED(ut_wait(pid), 0);
}

/* Spawns "wait-stdin" with fd 0 from a new pipe; *wr gets its write end. */
static int spawn_waiting(pid_t *pid, int *wr)
{
    int p[2];
    if (pipe(p) < 0)
        return errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    int rc = ut_spawn_self(pid, &fa, NULL, "wait-stdin", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (rc)
        close(p[1]);
    else
        *wr = p[1];
    return rc;
}

TEST(signal_default_ignored_other)
{
    pid_t pid;
    int wr;
    CHECK_RC(spawn_waiting(&pid, &wr), 0);
    for (size_t i = 0; i < sizeof(ignored_sigs) / sizeof(ignored_sigs[0]); i++)
        CHECK_OK(kill(pid, ignored_sigs[i]));
    CHECK_OK(kill(pid, 0));
    CHECK_OK(close(wr)); /* EOF: it exits 0 if the signals left it alive */
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(spawn_waiting(&pid, &wr), 0);
    CHECK_OK(kill(pid, SIGTERM));
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_OK(close(wr));
}

/* ---- c: spawn open actions take exactly open()'s flags ---- */

TEST(spawn_open_action_flags_as_open)
{
    static const char path[] = "/ut_small_flags";
    const int bad[] = {O_RDWR | O_CREAT | O_NONBLOCK,
                       O_WRONLY | O_CREAT | 0x10000000, O_ACCMODE | O_CREAT};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERRNO(open(path, bad[i]), EINVAL);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        CHECK_RC(posix_spawn_file_actions_addopen(&fa, 5, path, bad[i], 0), 0);
        pid_t pid;
        int rc = ut_spawn_self(&pid, &fa, NULL, "raise", "0", NULL, NULL);
        posix_spawn_file_actions_destroy(&fa);
        if (rc == 0)
            ut_wait(pid);
        CHECK_RC(rc, EINVAL);
        /* Neither call created the file. */
        CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
    }
}

const struct utest ut_small_tests[] = {
    UT_CASE(signal_default_ignored_self),
    UT_CASE(signal_default_ignored_other),
    UT_CASE(spawn_open_action_flags_as_open),
    UT_END,
};
