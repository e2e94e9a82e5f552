/*
 * utest helpers shared by the test files: error names, wait statuses,
 * spawning utest itself, full reads and writes, time, fds, threads at a
 * priority.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

const char *ut_errname(int e)
{
    static const struct {
        int e;
        const char *name;
    } names[] = {
        {0, "no error"},
        {EPERM, "EPERM"},
        {ENOENT, "ENOENT"},
        {ESRCH, "ESRCH"},
        {EINTR, "EINTR"},
        {EIO, "EIO"},
        {E2BIG, "E2BIG"},
        {ENOEXEC, "ENOEXEC"},
        {EBADF, "EBADF"},
        {ECHILD, "ECHILD"},
        {EAGAIN, "EAGAIN"},
        {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"},
        {EFAULT, "EFAULT"},
        {EBUSY, "EBUSY"},
        {EEXIST, "EEXIST"},
        {ENOTDIR, "ENOTDIR"},
        {EISDIR, "EISDIR"},
        {EINVAL, "EINVAL"},
        {ENFILE, "ENFILE"},
        {EMFILE, "EMFILE"},
        {ENOTTY, "ENOTTY"},
        {EFBIG, "EFBIG"},
        {ENOSPC, "ENOSPC"},
        {ESPIPE, "ESPIPE"},
        {EPIPE, "EPIPE"},
        {ERANGE, "ERANGE"},
        {EDEADLK, "EDEADLK"},
        {ENOSYS, "ENOSYS"},
        {ENOTSUP, "ENOTSUP"},
        {ENAMETOOLONG, "ENAMETOOLONG"},
        {ETIMEDOUT, "ETIMEDOUT"},
        {EROFS, "EROFS"},
        {EOVERFLOW, "EOVERFLOW"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].e == e)
            return names[i].name;
    return "?";
}

const char *ut_status_str(int st)
{
    static char bufs[4][48];
    static unsigned next;
    char *b = bufs[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % 4];
    if (st == -1)
        snprintf(b, sizeof(bufs[0]), "waitpid failed (%s)", ut_errname(errno));
    else if (WIFEXITED(st))
        snprintf(b, sizeof(bufs[0]), "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof(bufs[0]), "killed by signal %d", WTERMSIG(st));
    else
        snprintf(b, sizeof(bufs[0]), "status 0x%x", st);
    return b;
}

int ut_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
             const posix_spawnattr_t *attr, char *const argv[])
{
    fflush(stdout);
    return posix_spawn(pid, path, fa, attr, argv, NULL);
}

int ut_spawn_self(pid_t *pid, const posix_spawn_file_actions_t *fa,
                  const posix_spawnattr_t *attr, const char *mode,
                  const char *a1, const char *a2, const char *a3)
{
    char *argv[6] = {(char *)ut_self, (char *)mode, NULL, NULL, NULL, NULL};
    const char *extra[3] = {a1, a2, a3};
    for (int i = 0; i < 3 && extra[i]; i++)
        argv[2 + i] = (char *)extra[i];
    return ut_spawn(pid, ut_self, fa, attr, argv);
}

int ut_wait(pid_t pid)
{
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, 0);
        if (r == pid)
            return st;
        if (r < 0 && errno == EINTR)
            continue;
        if (r >= 0)
            errno = ECHILD; /* some other pid: never expected */
        return -1;
    }
}

long ut_read_full(int fd, void *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        long n = read(fd, (char *)buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

long ut_write_full(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        long w = write(fd, (const char *)buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (long)n;
}

uint64_t ut_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ut_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void ut_scrub(const char *path)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd >= 0)
        close(fd);
}

int ut_fd_open(int fd)
{
    int saved = errno;
    int r = fcntl(fd, F_GETFD);
    errno = saved;
    return r >= 0;
}

/* A helper child: utest MODE A1 A2 A3 with fd 0 <- *cmd, fd 1 -> *rep,
 * spawned with attr (NULL: none). Our ends are close-on-exec, so later
 * children do not inherit them. */
int ut_spawn_cmd_attr(pid_t *pid, int *cmd, int *rep,
                      const posix_spawnattr_t *attr, const char *mode,
                      const char *a1, const char *a2, const char *a3)
{
    int c[2], r[2];
    if (pipe(c) < 0)
        return errno;
    if (pipe(r) < 0) {
        int e = errno;
        close(c[0]);
        close(c[1]);
        return e;
    }
    fcntl(c[1], F_SETFD, FD_CLOEXEC);
    fcntl(r[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, c[0], 0);
    posix_spawn_file_actions_adddup2(&fa, r[1], 1);
    posix_spawn_file_actions_addclose(&fa, c[0]);
    posix_spawn_file_actions_addclose(&fa, r[1]);
    int rc = ut_spawn_self(pid, &fa, attr, mode, a1, a2, a3);
    posix_spawn_file_actions_destroy(&fa);
    close(c[0]);
    close(r[1]);
    if (rc) {
        close(c[1]);
        close(r[0]);
        return rc;
    }
    *cmd = c[1];
    *rep = r[0];
    return 0;
}

int ut_spawn_cmd(pid_t *pid, int *cmd, int *rep, const char *mode,
                 const char *a1, const char *a2, const char *a3)
{
    return ut_spawn_cmd_attr(pid, cmd, rep, NULL, mode, a1, a2, a3);
}

int ut_count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        n += ut_fd_open(fd);
    return n;
}

static bool kstat_same_pools(const struct keel_kstat *a,
                             const struct keel_kstat *b)
{
    return a->procs_in_use == b->procs_in_use &&
           a->threads_in_use == b->threads_in_use &&
           a->files_in_use == b->files_in_use &&
           a->pipes_in_use == b->pipes_in_use;
}

int ut_kstat_exits_done(struct keel_kstat *out)
{
    /* Bounded: a thread that never gets off its hart must fail the test
     * with its count, not hang it (the watchdog names no step then). */
    uint64_t end = ut_now_ns() + 30000000000ull;
    for (;;) {
        if (keel_kstat(out) < 0)
            return -1;
        if (out->threads_exiting == 0)
            return 0;
        if (ut_now_ns() > end) {
            printf("# kstat: %u threads still exiting after 30 s\n",
                   (unsigned)out->threads_exiting);
            return -1;
        }
        ut_sleep_ms(1);
    }
}

/* A baseline for a later ut_kstat_settle: processes and threads of an
 * earlier test are freed a little after they are reaped (once off their
 * hart), so a snapshot taken while one is still on its hart would count
 * it and never be reached again. */
int ut_kstat_quiet(struct keel_kstat *out)
{
    return ut_kstat_exits_done(out);
}

int ut_kstat_settle(const struct keel_kstat *want, struct keel_kstat *got)
{
    for (int i = 0; i < 200;) {
        if (ut_kstat_exits_done(got) < 0)
            return -1;
        if (kstat_same_pools(got, want))
            return 0;
        ut_sleep_ms(10);
        i++;
    }
    return -1;
}

int ut_thread_at(pthread_t *th, int policy, int prio, void *(*fn)(void *),
                 void *arg)
{
    pthread_attr_t at;
    struct sched_param sp = {.sched_priority = prio};
    int rc = pthread_attr_init(&at);
    if (rc)
        return rc;
    rc = pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    if (!rc)
        rc = pthread_attr_setschedpolicy(&at, policy);
    if (!rc)
        rc = pthread_attr_setschedparam(&at, &sp);
    if (!rc)
        rc = pthread_create(th, &at, fn, arg);
    pthread_attr_destroy(&at);
    return rc;
}
