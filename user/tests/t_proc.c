/*
 * Processes: spawning programs, exit statuses, waitpid, getpid/getppid,
 * kill (of sleeping, spinning and blocked children) and its errors.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

/* ---- child modes ---- */

/* exit CODE: returns from main with CODE (stdio is flushed). */
static int mode_exit(int argc, char **argv)
{
    return argc > 2 ? atoi(argv[2]) : 0;
}

/* _exit CODE: leaves through _exit at once. */
static int mode__exit(int argc, char **argv)
{
    _exit(argc > 2 ? atoi(argv[2]) : 0);
}

/* ids: writes "PID PPID" to fd 1. */
static int mode_ids(int argc, char **argv)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%d %d", (int)getpid(), (int)getppid());
    return ut_write_full(1, buf, (size_t)n) == n ? 0 : 2;
}

/* sleep-loop: writes "r" to fd 1, then sleeps (up to ~30 s) and exits 42:
 * the parent kills it long before. */
static int mode_sleep_loop(int argc, char **argv)
{
    if (write(1, "r", 1) != 1)
        return 2;
    for (int i = 0; i < 600; i++)
        ut_sleep_ms(50);
    return 42;
}

static volatile int spin_started;
static volatile int spin_stop;

static void *spin_thread(void *arg)
{
    __atomic_add_fetch(&spin_started, 1, __ATOMIC_ACQ_REL);
    for (unsigned long i = 0; i < (1ul << 34) && !spin_stop; i++)
        __asm__ volatile("" ::: "memory");
    return arg;
}

/* spin N: N threads and main spin in user mode; "r" goes to fd 1 once
 * all threads run. Exits 42 if never killed (bounded spin). */
static int mode_spin(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t th[8];
    if (n > 8)
        n = 8;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, spin_thread, NULL))
            return 3;
    for (int i = 0; i < 100000 && spin_started < n; i++)
        sched_yield();
    if (write(1, "r", 1) != 1)
        return 2;
    for (unsigned long i = 0; i < (1ul << 32); i++)
        __asm__ volatile("" ::: "memory");
    spin_stop = 1;
    return 42;
}

/* read-stdin: blocks reading fd 0; 3 on EOF, 4 on error, 5 on data. */
static int mode_read_stdin(int argc, char **argv)
{
    if (write(1, "r", 1) != 1)
        return 2;
    char c;
    long n = read(0, &c, 1);
    return n == 0 ? 3 : n < 0 ? 4 : 5;
}

/* exit-with-threads: main returns 7 while two threads still run; the
 * whole process must end with status 7. */
static int mode_exit_with_threads(int argc, char **argv)
{
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, spin_thread, NULL))
            return 3;
    for (int i = 0; i < 100000 && spin_started < 2; i++)
        sched_yield();
    return 7;
}

const struct ut_mode ut_proc_modes[] = {
    {"exit", mode_exit},
    {"_exit", mode__exit},
    {"ids", mode_ids},
    {"sleep-loop", mode_sleep_loop},
    {"spin", mode_spin},
    {"read-stdin", mode_read_stdin},
    {"exit-with-threads", mode_exit_with_threads},
    UT_MODE_END,
};

/* ---- helpers ---- */

/* Spawns utest MODE A1 with fd 1 -> a new pipe; *rd gets the read end. */
static int spawn_reporting(pid_t *pid, int *rd, const char *mode,
                           const char *a1)
{
    int p[2];
    if (pipe(p) < 0)
        return errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    int rc = ut_spawn_self(pid, &fa, NULL, mode, a1, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc)
        close(p[0]);
    else
        *rd = p[0];
    return rc;
}

/* ---- tests ---- */

TEST(spawn_hello)
{
    pid_t pid = -1;
    char *argv[] = {"/bin/hello", "from-utest", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/hello", NULL, NULL, argv), 0);
    CHECK(pid > getpid());
    int st = ut_wait(pid);
    CHECK(WIFEXITED(st));
    CHECK_EXITED(st, 0);
}

TEST(spawn_missing_program)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    pid_t pid = -12345;
    char *argv[] = {"/bin/ut_nonexistent", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/ut_nonexistent", NULL, NULL, argv), ENOENT);
    CHECK_EQ(pid, -12345); /* untouched on failure */
    int st;
    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
    /* Directories and non-ELF files do not run either. */
    char *a2[] = {"/bin", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin", NULL, NULL, a2), EACCES);
    /* a file of our own: the boot image has no non-ELF file in every
     * image (utest also runs from the shell of `make run`) */
    int fd = open("/ut_notelf", O_WRONLY | O_CREAT | O_TRUNC);
    CHECK_OK(fd);
    CHECK_EQ(write(fd, "#!/bin/sh\n", 10), 10);
    CHECK_OK(close(fd));
    char *a3[] = {"/ut_notelf", NULL};
    int rc = ut_spawn(&pid, "/ut_notelf", NULL, NULL, a3);
    unlink("/ut_notelf");
    CHECK_RC(rc, ENOEXEC);
    CHECK_RC(ut_spawn(&pid, "", NULL, NULL, a2), ENOENT);
    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
}

TEST(exit_codes_roundtrip)
{
    /* All of 0..255, eight children at a time, plus 256 -> 0. */
    for (int base = 0; base <= 256; base += 8) {
        pid_t pid[8];
        int n = 0;
        for (int c = base; c < base + 8 && c <= 256; c++, n++) {
            char code[8];
            snprintf(code, sizeof(code), "%d", c);
            CHECKF(ut_spawn_self(&pid[n], NULL, NULL,
                                 (c & 1) ? "_exit" : "exit", code, NULL,
                                 NULL) == 0,
                   "spawn for code %d", c);
        }
        for (int i = 0; i < n; i++) {
            int st = ut_wait(pid[i]);
            CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == ((base + i) & 0xff),
                   "exit(%d): child %s", base + i, ut_status_str(st));
        }
    }
}

TEST(waitpid_errors)
{
    int st;
    CHECK_ERRNO(waitpid(-1, &st, 0), ECHILD);
    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
    /* A process we hold no process cap for: no authority (EPERM). */
    CHECK_ERRNO(waitpid(1, &st, 0), EPERM);        /* init */
    CHECK_ERRNO(waitpid(getpid(), &st, 0), EPERM); /* ourselves */
    CHECK_ERRNO(waitpid(1000000, &st, 0), ECHILD); /* nobody */
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "exit", "3", NULL, NULL), 0);
    CHECK_ERRNO(waitpid(pid, &st, 0x100), EINVAL);
    CHECK_EXITED(ut_wait(pid), 3);
    CHECK_ERRNO(waitpid(pid, &st, 0), ECHILD); /* already reaped */
    CHECK_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD);
}

TEST(waitpid_any_and_wnohang)
{
    pid_t sleeper;
    int rd;
    CHECK_RC(spawn_reporting(&sleeper, &rd, "sleep-loop", NULL), 0);
    char c;
    CHECK_EQ(read(rd, &c, 1), 1);
    int st = -1;
    CHECK_EQ(waitpid(sleeper, &st, WNOHANG), 0); /* still running */
    CHECK_EQ(waitpid(-1, &st, WNOHANG), 0);

    pid_t kids[3];
    int seen[3] = {0};
    for (int i = 0; i < 3; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", 10 + i);
        CHECK_RC(ut_spawn_self(&kids[i], NULL, NULL, "exit", code, NULL, NULL),
                 0);
    }
    for (int n = 0; n < 3; n++) {
        pid_t got = waitpid(-1, &st, 0);
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (got == kids[i])
                k = i;
        CHECKF(k >= 0 && !seen[k], "waitpid(-1) returned %d", (int)got);
        seen[k] = 1;
        CHECK_EXITED(st, 10 + k);
    }
    CHECK_OK(kill(sleeper, SIGKILL));
    CHECK_SIGNALED(ut_wait(sleeper), SIGKILL);
    CHECK_OK(close(rd));
}

TEST(getpid_getppid)
{
    pid_t me = getpid();
    CHECK(me > 1);
    CHECK_EQ(getpid(), me);
    /* init (make check) or a shell (utest typed at keel>) started us:
     * getppid agrees with the process list */
    struct keel_procinfo pi;
    pid_t listed = -1;
    for (int i = 0; i < 128 && keel_procinfo(i, &pi) == 1; i++)
        if (pi.pid == me)
            listed = pi.ppid;
    CHECK(getppid() >= 1);
    CHECK_EQ(getppid(), listed);
    pid_t pid;
    int rd;
    CHECK_RC(spawn_reporting(&pid, &rd, "ids", NULL), 0);
    char buf[64] = {0};
    long n = ut_read_full(rd, buf, sizeof(buf) - 1);
    close(rd);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK(n > 0);
    int cpid = -1, cppid = -1;
    CHECK_EQ(sscanf(buf, "%d %d", &cpid, &cppid), 2);
    CHECK_EQ(cpid, pid);
    CHECK_EQ(cppid, me);
}

TEST(kill_sleeping_child)
{
    pid_t pid;
    int rd;
    CHECK_RC(spawn_reporting(&pid, &rd, "sleep-loop", NULL), 0);
    char c;
    CHECK_EQ(read(rd, &c, 1), 1);
    CHECK_OK(kill(pid, 0)); /* alive */
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    CHECK_ERRNO(kill(pid, 0), ESRCH); /* reaped: gone */
    CHECK_EQ(read(rd, &c, 1), 0);     /* and its pipe end closed */
    CHECK_OK(close(rd));
}

TEST(kill_spinning_threads)
{
    /* Four threads spinning in user mode, on several harts when there
     * are: kill must stop them all (IPIs), not wait for a syscall. */
    pid_t pid;
    int rd;
    CHECK_RC(spawn_reporting(&pid, &rd, "spin", "3"), 0);
    char c = 0;
    CHECK_EQ(read(rd, &c, 1), 1);
    CHECK_EQ(c, 'r');
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    CHECK_OK(close(rd));
}

TEST(kill_blocked_reader)
{
    int in[2];
    CHECK_OK(pipe(in));
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    int ends[4] = {in[0], in[1], p[0], p[1]};
    for (int i = 0; i < 4; i++)
        posix_spawn_file_actions_addclose(&fa, ends[i]);
    pid_t pid;
    int rc = ut_spawn_self(&pid, &fa, NULL, "read-stdin", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    close(in[0]);
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1); /* it is about to block in read */
    CHECK_OK(kill(pid, SIGKILL));
    /* If the kill did not wake the reader, EOF makes it exit 3. */
    close(in[1]);
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    close(p[0]);
}

TEST(kill_errors)
{
    CHECK_ERRNO(kill(1, SIGKILL), EPERM); /* init: not our child */
    CHECK_ERRNO(kill(1, 0), EPERM);
    CHECK_ERRNO(kill(1000000, SIGKILL), ESRCH);
    CHECK_ERRNO(kill(1000000, 0), ESRCH);
    CHECK_OK(kill(getpid(), 0));
    pid_t pid;
    int rd;
    CHECK_RC(spawn_reporting(&pid, &rd, "sleep-loop", NULL), 0);
    char c;
    CHECK_EQ(read(rd, &c, 1), 1);
    CHECK_ERRNO(kill(pid, 65), EINVAL);
    CHECK_ERRNO(kill(pid, -1), EINVAL);
    CHECK_OK(kill(pid, 0));
    CHECK_OK(kill(pid, SIGTERM));
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_OK(close(rd));
}

TEST(exit_with_threads_running)
{
    pid_t pid;
    CHECK_RC(
        ut_spawn_self(&pid, NULL, NULL, "exit-with-threads", NULL, NULL, NULL),
        0);
    CHECK_EXITED(ut_wait(pid), 7);
}

TEST(procinfo_lists_children)
{
    pid_t pid;
    int rd;
    CHECK_RC(spawn_reporting(&pid, &rd, "sleep-loop", NULL), 0);
    char c;
    CHECK_EQ(read(rd, &c, 1), 1);
    int found_self = 0, found_child = 0, found_init = 0;
    struct keel_procinfo pi;
    for (int i = 0; i < 128 && keel_procinfo(i, &pi) == 1; i++) {
        if (pi.pid == getpid())
            found_self = pi.ppid == getppid() && !strcmp(pi.name, "utest") &&
                         pi.state == 0;
        if (pi.pid == pid)
            found_child =
                pi.ppid == getpid() && pi.state == 0 && pi.nthreads == 1;
        if (pi.pid == 1)
            found_init = !strcmp(pi.name, "init");
    }
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    close(rd);
    CHECK(found_self);
    CHECK(found_child);
    CHECK(found_init);
    CHECK_EQ(keel_procinfo(100000, &pi), 0);
}

TEST(spawn_until_limit)
{
    /* Children until the kernel says no (process pool or cap quota):
     * a clean error, never a crash; everything works again after. */
    static pid_t kids[80];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    int n = 0, rc = 0;
    while (n < 80 && (rc = ut_spawn_self(&kids[n], &fa, NULL, "sleep-loop",
                                         NULL, NULL, NULL)) == 0)
        n++;
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    int bad = -1;
    for (int i = 0; i < n; i++) {
        int st = ut_wait(kids[i]);
        if (!WIFSIGNALED(st) && bad < 0)
            bad = i;
    }
    CHECKF(rc == EAGAIN || rc == EMFILE || rc == ENOMEM,
           "spawn #%d failed with %s", n + 1, ut_errname(rc));
    CHECKF(n >= 16, "only %d children", n);
    CHECKF(bad < 0, "child %d was not killed", bad);
    /* A reaped child is freed once off its hart: settle, then compare. */
    ut_kstat_settle(&k0, &k1);
    CHECK_EQ(k1.procs_in_use, k0.procs_in_use);
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "exit", "5", NULL, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 5);
}

const struct utest ut_proc_tests[] = {
    UT_CASE(spawn_hello),
    UT_CASE(spawn_missing_program),
    UT_CASE(exit_codes_roundtrip),
    UT_CASE(waitpid_errors),
    UT_CASE(waitpid_any_and_wnohang),
    UT_CASE(getpid_getppid),
    UT_CASE(kill_sleeping_child),
    UT_CASE(kill_spinning_threads),
    UT_CASE(kill_blocked_reader),
    UT_CASE(kill_errors),
    UT_CASE(exit_with_threads_running),
    UT_CASE(procinfo_lists_children),
    UT_CASE(spawn_until_limit),
    UT_END,
};
