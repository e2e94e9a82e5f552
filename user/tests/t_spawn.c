/*
 * The capability rules of spawn: GRANT-gated inheritance (stdio and pipe
 * ends pass without GRANT; a plain open()ed fd blocks the spawn with
 * EACCES unless it is close-on-exec), file actions in caller order (open
 * actions mint GRANT), their limits and errors, argv, scheduling
 * attributes and posix_spawnp.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

/* ---- child modes ---- */

static unsigned parse_rights(const char *s)
{
    unsigned r = 0;
    for (; *s && *s != ','; s++)
        r |= *s == 'r'   ? CAP_RIGHT_READ
             : *s == 'w' ? CAP_RIGHT_WRITE
             : *s == 'g' ? CAP_RIGHT_GRANT
                         : 0x100;
    return r;
}

/*
 * fdinfo SPEC [TEXT]: SPEC lists every fd that must be open and its exact
 * rights, as "0:r,1:w,4:wg"; every other fd must be closed. Exits 0, or
 * 1 + the first fd that differs. Then writes TEXT to fd 1, if given.
 */
static int mode_fdinfo(int argc, char **argv)
{
    unsigned want[CAP_FD_SLOTS];
    memset(want, 0, sizeof(want));
    for (const char *s = argc > 2 ? argv[2] : ""; *s;) {
        int fd = atoi(s);
        const char *colon = strchr(s, ':');
        if (!colon || fd < 0 || fd >= CAP_FD_SLOTS)
            return 200;
        want[fd] = parse_rights(colon + 1) | 0x1000; /* 0x1000: open */
        const char *comma = strchr(colon, ',');
        s = comma ? comma + 1 : colon + strlen(colon);
    }
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++) {
        struct cap_info ci;
        int r = cap_info(fd, &ci);
        if (!want[fd]) {
            if (r == 0)
                return 1 + fd;
            continue;
        }
        if (r < 0 || ci.type != CAP_TYPE_FD ||
            ci.rights != (want[fd] & ~0x1000u))
            return 1 + fd;
    }
    if (argc > 3) {
        size_t n = strlen(argv[3]);
        if (ut_write_full(1, argv[3], n) != (long)n)
            return 199;
    }
    return 0;
}

/* spawn-nogrant: our inherited fds have no GRANT, so a plain spawn must
 * fail with EACCES; with them close-on-exec it works. */
static int mode_spawn_nogrant(int argc, char **argv)
{
    char *hargv[] = {"/bin/hello", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/hello", NULL, NULL, hargv, NULL);
    if (rc != EACCES)
        return 2;
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (ut_fd_open(fd))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&pid, "/bin/hello", &fa, NULL, hargv, NULL);
    posix_spawn_file_actions_destroy(&fa);
    if (rc)
        return 3;
    int st = ut_wait(pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 4;
}

/* prio: exits with the main thread's priority, +100 for SCHED_FIFO. */
static int mode_prio(int argc, char **argv)
{
    int policy = -1;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &policy, &sp))
        return 255;
    return sp.sched_priority + (policy == SCHED_FIFO ? 100 : 0);
}

/* echo-args: writes "argc=N\n" and each argument on its own line. */
static int mode_echo_args(int argc, char **argv)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "argc=%d\n", argc);
    if (ut_write_full(1, head, (size_t)n) != n)
        return 2;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (ut_write_full(1, argv[i], len) != (long)len ||
            ut_write_full(1, "\n", 1) != 1)
            return 2;
    }
    return argv[argc] == NULL ? 0 : 3;
}

const struct ut_mode ut_spawn_modes[] = {
    {"fdinfo", mode_fdinfo},
    {"spawn-nogrant", mode_spawn_nogrant},
    {"prio", mode_prio},
    {"echo-args", mode_echo_args},
    UT_MODE_END,
};

/* ---- helpers ---- */

/* Runs utest fdinfo SPEC with actions fa; returns the wait status or -1. */
static int run_fdinfo(const posix_spawn_file_actions_t *fa, const char *spec,
                      const char *text, int *rc)
{
    pid_t pid;
    *rc = ut_spawn_self(&pid, fa, NULL, "fdinfo", spec, text, NULL);
    return *rc ? -1 : ut_wait(pid);
}

/* Counts of processes and files, to check that a failed spawn left none. */
static void counts(struct keel_kstat *k)
{
    keel_kstat(k);
}

/* ---- tests ---- */

TEST(spawn_inherits_stdio_without_grant)
{
    struct cap_info ci;
    CHECK_OK(cap_info(1, &ci));
    CHECK(ci.rights & CAP_RIGHT_GRANT); /* ours came from init's actions */
    int rc;
    int st = run_fdinfo(NULL, "0:r,1:w,2:w", NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
}

TEST(spawn_blocked_by_plain_fd)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    struct keel_kstat k0, k1;
    counts(&k0);
    pid_t pid = -7;
    char *argv[] = {"/bin/hello", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/hello", NULL, NULL, argv), EACCES);
    CHECK_EQ(pid, -7);
    int st;
    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
    counts(&k1);
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use); /* nothing half-inherited */
    /* A dup of it blocks as well; close-on-exec lifts the block. */
    int d = dup(fd);
    CHECK(d >= 0);
    CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK_RC(ut_spawn(&pid, "/bin/hello", NULL, NULL, argv), EACCES);
    CHECK_OK(close(d));
    int rc;
    st = run_fdinfo(NULL, "0:r,1:w,2:w", NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0); /* and the child does not get it */
    CHECK_OK(close(fd));
    /* O_CLOEXEC at open does the same. */
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    st = run_fdinfo(NULL, "0:r,1:w,2:w", NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    CHECK_OK(close(fd));
}

TEST(spawn_pipe_ends_inherited)
{
    int p[2];
    CHECK_OK(pipe(p));
    char spec[64];
    snprintf(spec, sizeof(spec), "0:r,1:w,2:w,%d:r,%d:w", p[0], p[1]);
    int rc;
    int st = run_fdinfo(NULL, spec, NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0); /* same numbers, GRANT stripped */
    char fdstr[8];
    snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
    pid_t pid;
    CHECK_RC(
        ut_spawn_self(&pid, NULL, NULL, "write-fd", fdstr, "inherited", NULL),
        0);
    CHECK_OK(close(p[1]));
    char buf[32] = {0};
    CHECK_EQ(ut_read_full(p[0], buf, sizeof(buf) - 1), 9);
    CHECK(!strcmp(buf, "inherited"));
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(close(p[0]));
}

TEST(spawn_action_dup2_stdout_to_pipe)
{
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_t fa;
    CHECK_RC(posix_spawn_file_actions_init(&fa), 0);
    CHECK_RC(posix_spawn_file_actions_adddup2(&fa, p[1], 1), 0);
    CHECK_RC(posix_spawn_file_actions_addclose(&fa, p[0]), 0);
    CHECK_RC(posix_spawn_file_actions_addclose(&fa, p[1]), 0);
    pid_t pid;
    char *argv[] = {"/bin/hello", NULL};
    int rc = ut_spawn(&pid, "/bin/hello", &fa, NULL, argv);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_OK(close(p[1]));
    static char buf[1024];
    long n = ut_read_full(p[0], buf, sizeof(buf) - 1);
    CHECK_OK(close(p[0]));
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK(n > 0);
    buf[n] = '\0';
    CHECKF(!strncmp(buf, "Hello from Keel!\n", 17), "child wrote \"%.40s\"",
           buf);
}

TEST(spawn_action_open_file)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    CHECK_RC(posix_spawn_file_actions_addopen(
                 &fa, 1, "/ut_spawn_out", O_WRONLY | O_CREAT | O_TRUNC, 0644),
             0);
    /* An open action mints GRANT: fd 1 is "wg" in the child. */
    int rc;
    int st = run_fdinfo(&fa, "0:r,1:wg,2:w", NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    /* And a real program's output lands in the file. */
    pid_t pid;
    char *argv[] = {"/bin/hello", NULL};
    rc = ut_spawn(&pid, "/bin/hello", &fa, NULL, argv);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(ut_wait(pid), 0);
    int fd = open("/ut_spawn_out", O_RDONLY);
    CHECK(fd >= 0);
    char buf[64] = {0};
    long n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    CHECK(n >= 17);
    CHECKF(!strncmp(buf, "Hello from Keel!\n", 17), "file has \"%.40s\"", buf);
}

TEST(spawn_actions_in_order)
{
    /* open 5, dup2 5 -> 1, close 5: fd 1 is the file, fd 5 is gone. */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/ut_spawn_out",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 5, 1);
    posix_spawn_file_actions_addclose(&fa, 5);
    int rc;
    int st = run_fdinfo(&fa, "0:r,1:wg,2:w", "order-ok", &rc);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    int fd = open("/ut_spawn_out", O_RDONLY);
    CHECK(fd >= 0);
    char buf[32] = {0};
    long n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    CHECK_EQ(n, 8);
    CHECK(!strcmp(buf, "order-ok"));
    /* An action may close an inherited fd: stdin here. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, 0);
    st = run_fdinfo(&fa, "1:w,2:w", NULL, &rc);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
}

/* Spawns hello with fa and expects error e, no child and no leak. */
static void expect_spawn_error(const posix_spawn_file_actions_t *fa, int e,
                               const char *what)
{
    struct keel_kstat k0, k1;
    counts(&k0);
    pid_t pid = -3;
    char *argv[] = {"/bin/hello", NULL};
    int rc = ut_spawn(&pid, "/bin/hello", fa, NULL, argv);
    counts(&k1);
    if (rc != e)
        UT_FAIL("%s: spawn returned %d (%s), expected %s", what, rc,
                ut_errname(rc), ut_errname(e));
    else if (pid != -3 || ut_count_children())
        UT_FAIL("%s: a child was created", what);
    else if (k1.procs_in_use != k0.procs_in_use ||
             k1.files_in_use != k0.files_in_use ||
             k1.pipes_in_use != k0.pipes_in_use)
        UT_FAIL("%s: procs %u->%u files %u->%u pipes %u->%u", what,
                k0.procs_in_use, k1.procs_in_use, k0.files_in_use,
                k1.files_in_use, k0.pipes_in_use, k1.pipes_in_use);
}

TEST(spawn_action_errors)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 3, "/ut_no_dir/x", O_RDONLY, 0);
    expect_spawn_error(&fa, ENOENT, "open action on a missing path");
    posix_spawn_file_actions_destroy(&fa);
    CHECK(!ut_failed());

    /* A failing action after successful ones undoes them all. */
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 7, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 8);
    posix_spawn_file_actions_addopen(&fa, 9, "/bin", O_WRONLY, 0);
    expect_spawn_error(&fa, EISDIR, "open action O_WRONLY on a directory");
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    close(p[1]);
    CHECK(!ut_failed());

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, 50, 1); /* 50 is not open */
    expect_spawn_error(&fa, EBADF, "dup2 action from a closed fd");
    posix_spawn_file_actions_destroy(&fa);
    CHECK(!ut_failed());

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "", O_RDONLY, 0);
    expect_spawn_error(&fa, ENOENT, "open action with an empty path");
    posix_spawn_file_actions_destroy(&fa);
}

TEST(spawn_action_limit)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < KEEL_SPAWN_ACTIONS_MAX; i++)
        CHECK_RC(posix_spawn_file_actions_adddup2(&fa, 1, 1), 0);
    pid_t pid;
    int rc = ut_spawn_self(&pid, &fa, NULL, "exit", "0", NULL, NULL);
    if (rc == 0)
        rc = ut_wait(pid) == 0 ? 0 : -1;
    int add = posix_spawn_file_actions_adddup2(&fa, 1, 1);
    if (add == 0)
        expect_spawn_error(&fa, E2BIG, "17 file actions");
    posix_spawn_file_actions_destroy(&fa);
    CHECKF(rc == 0, "16 file actions: %d", rc);
    /* libc may refuse the 17th action itself; the kernel must otherwise. */
    CHECKF(add == 0 || add == ENOMEM || add == E2BIG,
           "adding a 17th action: %s", ut_errname(add));
}

TEST(spawn_argv)
{
    static char longarg[1001];
    memset(longarg, 'L', 1000);
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    pid_t pid;
    int rc =
        ut_spawn_self(&pid, &fa, NULL, "echo-args", "", "two words", longarg);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    CHECK_RC(rc, 0);
    static char buf[2048];
    long n = ut_read_full(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK(n > 0);
    buf[n] = '\0';
    static char want[2048];
    snprintf(want, sizeof(want), "argc=5\n%s\necho-args\n\ntwo words\n%s\n",
             ut_self, longarg);
    CHECKF(!strcmp(buf, want), "child saw \"%.60s...\"", buf);

    /* 32 strings are the limit; 33 is E2BIG. */
    static char *many[40];
    for (int i = 0; i < 40; i++)
        many[i] = "x";
    many[0] = (char *)ut_self;
    many[1] = "exit";
    many[2] = "0";
    many[32] = NULL;
    CHECK_RC(ut_spawn(&pid, ut_self, NULL, NULL, many), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    many[32] = "x";
    many[33] = NULL;
    CHECK_RC(ut_spawn(&pid, ut_self, NULL, NULL, many), E2BIG);
    /* More than KEEL_SPAWN_ARGS_BYTES of strings is E2BIG too. */
    static char huge[3000];
    memset(huge, 'H', sizeof(huge) - 1);
    char *big[] = {(char *)ut_self, "exit", huge, huge, NULL};
    CHECK_RC(ut_spawn(&pid, ut_self, NULL, NULL, big), E2BIG);
    CHECK_EQ(ut_count_children(), 0);
}

TEST(spawn_sched_attr)
{
    posix_spawnattr_t at;
    CHECK_RC(posix_spawnattr_init(&at), 0);
    CHECK_RC(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDPARAM), 0);
    /* Above our own priority, within our ceiling (t_sched.c: above it). */
    struct sched_param sp = {.sched_priority = KEEL_PRIO_DEFAULT + 1};
    CHECK_RC(posix_spawnattr_setschedparam(&at, &sp), 0);
    pid_t pid = -5;
    CHECK_RC(ut_spawn_self(&pid, NULL, &at, "prio", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), KEEL_PRIO_DEFAULT + 1);
    sp.sched_priority = 10;
    CHECK_RC(posix_spawnattr_setschedparam(&at, &sp), 0);
    CHECK_RC(ut_spawn_self(&pid, NULL, &at, "prio", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 10); /* RR: our own policy */
    CHECK_RC(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDULER), 0);
    CHECK_RC(posix_spawnattr_setschedpolicy(&at, SCHED_FIFO), 0);
    sp.sched_priority = 15;
    CHECK_RC(posix_spawnattr_setschedparam(&at, &sp), 0);
    CHECK_RC(ut_spawn_self(&pid, NULL, &at, "prio", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 115);
    sp.sched_priority = 0; /* below KEEL_PRIO_MIN */
    CHECK_RC(posix_spawnattr_setschedparam(&at, &sp), 0);
    CHECK_RC(ut_spawn_self(&pid, NULL, &at, "prio", NULL, NULL, NULL), EINVAL);
    CHECK_RC(posix_spawnattr_destroy(&at), 0);
    /* Without attributes the child runs at our priority and policy. */
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "prio", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), KEEL_PRIO_DEFAULT);
}

TEST(spawnp_searches_bin)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    char *argv[] = {"hello", NULL};
    fflush(stdout);
    int rc = posix_spawnp(&pid, "hello", &fa, NULL, argv, NULL);
    int rc2 = posix_spawnp(&pid, "ut_nonexistent", &fa, NULL, argv, NULL);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(rc2, ENOENT);
}

TEST(grandchild_spawn_needs_grant)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "spawn-nogrant", NULL, NULL, NULL),
             0);
    CHECK_EXITED(ut_wait(pid), 0);
}

const struct utest ut_spawn_tests[] = {
    UT_CASE(spawn_inherits_stdio_without_grant),
    UT_CASE(spawn_blocked_by_plain_fd),
    UT_CASE(spawn_pipe_ends_inherited),
    UT_CASE(spawn_action_dup2_stdout_to_pipe),
    UT_CASE(spawn_action_open_file),
    UT_CASE(spawn_actions_in_order),
    UT_CASE(spawn_action_errors),
    UT_CASE(spawn_action_limit),
    UT_CASE(spawn_argv),
    UT_CASE(spawn_sched_attr),
    UT_CASE(spawnp_searches_bin),
    UT_CASE(grandchild_spawn_needs_grant),
    UT_END,
};
