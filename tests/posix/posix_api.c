/*
 * Keeps docs/posix.md true: calls every function that file marks
 * supported or partial, and no other POSIX function it lists.
 * `make check` (host-test layer) compiles and links it against Keel's
 * libc and newlib (a function libc lacks fails the link), and
 * tests/host/doc_tests.sh checks that the functions called here and the
 * rows marked supported or partial are the same set, each defined in the
 * linked program.
 *
 * The program is this file and the tests/posix/posix_api_*.c parts
 * (one per area). It is also a real program:
 * `make exec APP="tests/posix/posix_api.c tests/posix/posix_api_*.c"`
 * runs it; every call is checked and it prints "posix_api: N checks, F
 * failed" and exits with F (capped at 100). Calls that start programs
 * spawn the program itself (argv[0]) in a child mode, or /bin/true,
 * when the image holds it (a missing /bin/true is skipped, not failed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "posix_api.h"

/* <sys/features.h> announces only options posix.md has no missing rows
 * for (after every header above, all of which include it). */
#if defined(_POSIX_SPAWN)
#error "an option macro announces what docs/posix.md marks missing"
#endif
#if !defined(_POSIX_CPUTIME) || _POSIX_CPUTIME <= 0 ||                         \
    !defined(_POSIX_THREAD_CPUTIME) || _POSIX_THREAD_CPUTIME <= 0
#error                                                                         \
    "_POSIX_CPUTIME, _POSIX_THREAD_CPUTIME: CPU-time clocks in clock_gettime, clock_getres and timer_create"
#endif
#if !defined(_POSIX_THREADS) || !defined(_POSIX_PRIORITY_SCHEDULING) ||        \
    !defined(_POSIX_THREAD_PRIORITY_SCHEDULING)
#error                                                                         \
    "threads (pthread_atfork too), process and thread priority scheduling are provided"
#endif
#if !defined(_POSIX_SEMAPHORES) || !defined(_POSIX_MESSAGE_PASSING) ||         \
    !defined(_POSIX_REALTIME_SIGNALS) || !defined(_POSIX_CLOCK_SELECTION) ||   \
    !defined(_POSIX_THREAD_PROCESS_SHARED)
#error                                                                         \
    "sem_*, mq_*, real-time signals, clock selection and process-shared sync objects are provided"
#endif
#if !defined(_POSIX_THREAD_ATTR_STACKSIZE) || _POSIX_THREAD_ATTR_STACKSIZE <= 0
#error "_POSIX_THREAD_ATTR_STACKSIZE: pthread_attr_setstacksize is provided"
#endif
#if !defined(_POSIX_MONOTONIC_CLOCK) || _POSIX_MONOTONIC_CLOCK <= 0
#error "_POSIX_MONOTONIC_CLOCK: CLOCK_MONOTONIC works with every clock call"
#endif
#if !defined(_POSIX_TIMERS) || _POSIX_TIMERS <= 0
#error "_POSIX_TIMERS: every clock and timer row is supported"
#endif
#if !defined(_POSIX_MEMLOCK) || !defined(_POSIX_MEMLOCK_RANGE) ||              \
    !defined(_POSIX_FSYNC) || !defined(_POSIX_THREAD_ATTR_STACKADDR)
#error "mlockall, mlock, fsync and pthread_attr_setstack are provided"
#endif
#if !defined(_POSIX_TIMEOUTS) || _POSIX_TIMEOUTS <= 0
#error "_POSIX_TIMEOUTS: every timed call of the option is supported"
#endif
#if !defined(_POSIX_BARRIERS) || !defined(_POSIX_SPIN_LOCKS) ||                \
    !defined(_POSIX_READER_WRITER_LOCKS)
#error "barriers, spin locks and reader-writer locks are provided in full"
#endif

int nchecks, nfailed;

void check(int ok, const char *what)
{
    nchecks++;
    if (!ok) {
        nfailed++;
        fprintf(stderr, "posix_api: FAIL %s (errno %d)\n", what, errno);
    }
}

/* ---- child modes (argv[1]) ---- */

static int child_mode(const char *mode)
{
    if (!strcmp(mode, "exit7"))
        _exit(7);
    if (!strcmp(mode, "abort"))
        abort();
    if (!strcmp(mode, "sleep")) {
        sleep(30);
        return 1;
    }
    return 2;
}

/* ---- <unistd.h>, <fcntl.h>, <sys/stat.h> ---- */

static void files(void)
{
    const char *path = "/posix_api.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check(fd >= 0, "open");
    char buf[16];
    check(write(fd, "hello", 5) == 5, "write");
    check(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    check(read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5), "read");
    struct stat st;
    check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5,
          "fstat");
    check(stat(path, &st) == 0 && st.st_size == 5, "stat");
    check((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "fcntl");
    int d = dup(fd);
    check(d >= 0, "dup");
    check(dup2(fd, d) == d, "dup2");
    fcntl(d, F_SETFD, FD_CLOEXEC);
    check(close(d) == 0, "close");
    close(fd);
    check(unlink(path) == 0, "unlink");
    int p[2];
    check(pipe(p) == 0, "pipe");
    check(write(p[1], "x", 1) == 1 && read(p[0], buf, 1) == 1, "pipe io");
    close(p[0]);
    close(p[1]);
    check(isatty(1) == 1 || isatty(1) == 0, "isatty");
    check(getpid() > 0 && getppid() >= 0, "getpid");
    check(sbrk(0) != (void *)-1, "sbrk");
    check(usleep(1000) == 0, "usleep");
    check(sleep(0) == 0, "sleep");
}

/* ---- the working directory, directories ---- */

static void directories(void)
{
    const char *dir = "/posix_api.d";
    check(mkdir(dir, 0755) == 0, "mkdir");
    check(chdir(dir) == 0, "chdir");
    char buf[64];
    check(getcwd(buf, sizeof(buf)) == buf && !strcmp(buf, dir), "getcwd");
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    check(fd >= 0, "open relative");
    close(fd);
    struct stat st;
    check(lstat("f", &st) == 0 && S_ISREG(st.st_mode), "lstat");
    check(access("f", R_OK) == 0 && access("nope", F_OK) < 0, "access");
    DIR *d = opendir(".");
    check(d != NULL, "opendir");
    if (d) {
        struct dirent *e = readdir(d);
        check(e && !strcmp(e->d_name, "f") && !readdir(d), "readdir");
        rewinddir(d);
        long pos = telldir(d);
        check(readdir(d) != NULL, "rewinddir");
        seekdir(d, pos);
        check(readdir(d) != NULL && !readdir(d), "telldir and seekdir");
        check(closedir(d) == 0, "closedir");
    }
    unlink("f");
    check(chdir("/") == 0 && rmdir(dir) == 0, "rmdir");
}

/* ---- process groups, <termios.h> ---- */

static void terminal(void)
{
    check(setpgid(0, 0) == 0 && getpgrp() == getpid(), "setpgid");
    check(getpgid(0) == getpid(), "getpgid");
    struct termios t, raw;
    int r = tcgetattr(0, &t);
    check(r == 0 || errno == ENOTTY, "tcgetattr");
    if (r == 0) {
        raw = t;
        cfmakeraw(&raw);
        check(!(raw.c_lflag & (ECHO | ICANON | ISIG)), "cfmakeraw");
        check(tcsetattr(0, TCSANOW, &t) == 0, "tcsetattr");
        check(tcdrain(0) == 0, "tcdrain");
        pid_t fg = tcgetpgrp(0);
        check(fg >= 0, "tcgetpgrp");
        check(fg == 0 || tcsetpgrp(0, fg) == 0 || errno == EPERM, "tcsetpgrp");
    } else {
        check(tcsetattr(0, TCSANOW, &t) < 0 && tcdrain(0) < 0 &&
                  tcgetpgrp(0) < 0 && tcsetpgrp(0, getpid()) < 0,
              "terminal calls on a non-terminal fail");
        cfmakeraw(&t);
    }
    check(cfsetispeed(&t, B9600) == 0 && cfgetispeed(&t) == B9600 &&
              cfsetospeed(&t, B9600) == 0 && cfgetospeed(&t) == B9600,
          "cf speeds");
}

/* ---- <spawn.h>, <sys/wait.h>, <signal.h> ---- */

volatile sig_atomic_t got_signal;

void on_signal(int sig)
{
    got_signal = sig;
}

static void processes(const char *self)
{
    /* Spawn refuses to run while we hold an fd without GRANT that is
     * not close-on-exec: the children here need none of ours. */
    for (int fd = 0; fd < 96; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    check(posix_spawn_file_actions_init(&fa) == 0, "fa_init");
    check(posix_spawn_file_actions_addopen(&fa, 5, "/posix_api.out",
                                           O_WRONLY | O_CREAT, 0) == 0,
          "addopen");
    check(posix_spawn_file_actions_adddup2(&fa, 5, 6) == 0, "adddup2");
    check(posix_spawn_file_actions_addclose(&fa, 5) == 0, "addclose");
    posix_spawnattr_t at;
    check(posix_spawnattr_init(&at) == 0, "attr_init");
    struct sched_param sp = {.sched_priority = 10};
    check(posix_spawnattr_setschedpolicy(&at, SCHED_RR) == 0, "setpolicy");
    check(posix_spawnattr_setschedparam(&at, &sp) == 0, "setparam");
    pid_t pg = -1;
    check(posix_spawnattr_setpgroup(&at, 0) == 0 &&
              posix_spawnattr_getpgroup(&at, &pg) == 0 && pg == 0,
          "setpgroup");
    check(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDULER |
                                            POSIX_SPAWN_SETPGROUP) == 0,
          "setflags");
    short flags = 0;
    int pol = -1;
    check(posix_spawnattr_getflags(&at, &flags) == 0 &&
              flags == (POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETPGROUP),
          "getflags");
    check(posix_spawnattr_getschedpolicy(&at, &pol) == 0 && pol == SCHED_RR,
          "getpolicy");
    check(posix_spawnattr_getschedparam(&at, &sp) == 0 &&
              sp.sched_priority == 10,
          "getparam");
    char *av[] = {(char *)self, "exit7", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, &at, av, NULL);
    check(rc == 0, "posix_spawn");
    int st = 0;
    check(rc || (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 7),
          "waitpid");
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    remove("/posix_api.out");

    char *ab[] = {(char *)self, "abort", NULL};
    rc = posix_spawn(&pid, self, NULL, NULL, ab, NULL);
    check(rc == 0 && wait(&st) == pid && WIFSIGNALED(st) &&
              WTERMSIG(st) == SIGABRT,
          "abort in a child");

    char *sl[] = {(char *)self, "sleep", NULL};
    rc = posix_spawn(&pid, self, NULL, NULL, sl, NULL);
    check(rc == 0 && kill(pid, 0) == 0 && kill(pid, SIGTERM) == 0 &&
              waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
              WTERMSIG(st) == SIGTERM,
          "kill");

    char *tv[] = {"true", NULL};
    rc = posix_spawnp(&pid, "true", NULL, NULL, tv, NULL);
    check(rc == ENOENT || (rc == 0 && waitpid(pid, &st, 0) == pid),
          "posix_spawnp");

    signal(SIGUSR1, on_signal);
    check(raise(SIGUSR1) == 0 && got_signal == SIGUSR1, "signal and raise");
}

/* ---- newlib's stdio, stdlib, string ---- */

static int cmp_int(const void *x, const void *y)
{
    return *(const int *)x - *(const int *)y;
}

static int at_exit_ran;
static void at_exit_hook(void)
{
    at_exit_ran = 1;
}

static void library(const char *self)
{
    FILE *f = fopen("/posix_api.txt", "w+");
    check(f != NULL, "fopen");
    if (f) {
        check(fprintf(f, "%d %s\n", 42, self) > 0, "fprintf");
        check(fwrite("abc", 1, 3, f) == 3, "fwrite");
        check(fflush(f) == 0, "fflush");
        check(fseek(f, 0, SEEK_SET) == 0, "fseek");
        char line[128];
        check(fgets(line, sizeof(line), f) && strtol(line, NULL, 10) == 42,
              "fgets");
        check(fread(line, 1, 3, f) == 3, "fread");
        check(fclose(f) == 0, "fclose");
    }
    check(remove("/posix_api.txt") == 0, "remove");
    char s[32];
    check(snprintf(s, sizeof(s), "%d", nchecks) > 0, "snprintf");
    int *v = malloc(4 * sizeof(int));
    int *z = calloc(4, sizeof(int));
    check(v && z && z[3] == 0, "malloc");
    if (v && z) {
        v[0] = 3, v[1] = 1, v[2] = 2, v[3] = rand() % 4;
        qsort(v, 4, sizeof(int), cmp_int);
        check(v[0] <= v[1] && v[1] <= v[2] && v[2] <= v[3], "qsort");
        int *w = realloc(v, 8 * sizeof(int));
        check(w != NULL, "realloc");
        if (w)
            v = w;
        memcpy(z, v, 4 * sizeof(int));
        check(z[0] == v[0], "memcpy");
    }
    free(v);
    free(z);
    check(setenv("POSIX_API", "1", 1) == 0 && getenv("POSIX_API") &&
              !strcmp(getenv("POSIX_API"), "1"),
          "setenv");
    check(unsetenv("POSIX_API") == 0 && !getenv("POSIX_API"), "unsetenv");
    static char put[] = "POSIX_API=2";
    check(putenv(put) == 0 && getenv("POSIX_API") &&
              !strcmp(getenv("POSIX_API"), "2"),
          "putenv");
    unsetenv("POSIX_API");
    check(strlen(self) > 0 && strerror(ENOENT) != NULL, "strerror");
    errno = ENOENT;
    perror("posix_api: perror test");
    check(atexit(at_exit_hook) == 0, "atexit");
    check(puts("posix_api: puts") >= 0, "puts");
}

static jmp_buf jump;

static void jump_back(int v)
{
    longjmp(jump, v);
}

/* More of newlib: getopt, setjmp/longjmp, number parsing, libm, temporary
 * files, streams on fds. */
static void more_library(void)
{
    char *av[] = {"prog", "-a", "-b", "x", "rest", NULL};
    int a = 0, opt;
    const char *b = NULL;
    while ((opt = getopt(5, av, "ab:")) != -1) {
        if (opt == 'a')
            a = 1;
        else if (opt == 'b')
            b = optarg;
    }
    check(a && b && !strcmp(b, "x") && optind == 4, "getopt");
    volatile int jumped = 0;
    int v = setjmp(jump);
    if (v == 0)
        jump_back(7);
    else
        jumped = v;
    check(jumped == 7, "setjmp/longjmp");
    double d = strtod("2.25", NULL);
    check(sqrt(d) == 1.5, "strtod and sqrt");
    int x = 0, y = 0;
    check(sscanf("12 34", "%d %d", &x, &y) == 2 && x + y == 46, "sscanf");
    char *dup = strdup("keel");
    check(dup && !strcmp(dup, "keel"), "strdup");
    free(dup);
    char tmpl[] = "/posix_api_XXXXXX";
    int fd = mkstemp(tmpl);
    check(fd >= 0, "mkstemp");
    if (fd >= 0) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        FILE *f = fdopen(fd, "w");
        check(f && fileno(f) == fd, "fdopen and fileno");
        if (f) {
            check(setvbuf(f, NULL, _IONBF, 0) == 0, "setvbuf");
            fclose(f);
        } else {
            close(fd);
        }
        unlink(tmpl);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_mode(argv[1]);
    const char *self = argc > 0 && argv[0] ? argv[0] : "/bin/posix_api";
    files();
    directories();
    terminal();
    processes(self);
    signals();
    threads();
    sync_more();
    clocks();
    timers();
    library(self);
    more_library();
    message_queues();
    user_ids();
    path_limits();
    limits_and_memory();
    cancellation();
    semaphores_barriers();
    printf("posix_api: %d checks, %d failed\n", nchecks, nfailed);
    fflush(stdout);
    exit(nfailed > 100 ? 100 : nfailed);
}
