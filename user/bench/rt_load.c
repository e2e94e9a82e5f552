/*
 * /bin/bench: the loads of the wake-up latency rows, each run as
 * `bench load KIND` in a lower-priority process (rt.c spawns one per
 * hart and kills it with SIGKILL when its row is done), and the helper
 * children some loads start (`bench hog MiB`: a process that grows by
 * MiB and exits).
 * A load loops forever on its operation; it prints nothing except the
 * console load, whose lines are dots (make bench keeps only BENCH lines).
 * Single-threaded: no locks.
 */
#include <keel/cap.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define MIB (1024u * 1024u)

static char wbuf[2 * MIB]; /* the write loads' data (any bytes do) */

static int spawn_wait_once(const char *path, char *const argv[])
{
    pid_t pid;
    int err = posix_spawnp(&pid, path, NULL, NULL, argv, environ);
    if (err) {
        printf("bench: load: spawn %s: %s\n", path, strerror(err));
        return -1;
    }
    return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

/* posix_spawn + waitpid of /bin/true. */
static int load_spawn(void)
{
    char *argv[] = {"/bin/true", NULL};
    while (spawn_wait_once("/bin/true", argv) == 0)
        ;
    return 1;
}

/* Spawn + wait of a program with 3 MiB of initialised data (bench image
 * only: tests/bench/big3m.c). */
static int load_spawn_3m(void)
{
    char *argv[] = {"/bin/big3m", NULL};
    while (spawn_wait_once("/bin/big3m", argv) == 0)
        ;
    return 1;
}

/* The file a write load uses: rt.c unlinks it after killing the load. */
void rt_load_path(pid_t pid, char *buf, size_t n)
{
    snprintf(buf, n, "/bench_w%d", (int)pid);
}

/* 1 MiB writes over the same file (rewound each time). */
static int load_write_1m(void)
{
    char path[32];
    rt_load_path(getpid(), path, sizeof(path));
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0)
        return 1;
    for (;;) {
        if (write(fd, wbuf, MIB) != (ssize_t)MIB)
            return 1;
        lseek(fd, 0, SEEK_SET);
    }
}

/* 2 MiB written in one call to a file just created (then unlinked). */
static int load_write_2m_new(void)
{
    char path[32];
    rt_load_path(getpid(), path, sizeof(path));
    for (;;) {
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            return 1;
        if (write(fd, wbuf, 2 * MIB) != (ssize_t)(2 * MIB))
            return 1;
        close(fd);
        unlink(path);
    }
}

/* The break grown by 60 MiB in one call, then given back. */
static int load_brk_60m(void)
{
    const long step = 60l * MIB;
    for (;;) {
        if (sbrk(step) == (void *)-1)
            return 1;
        sbrk(-step);
    }
}

/* 64 KiB of console output in one write (lines of 63 dots), then a
 * pause of CONSOLE_PAUSE_NS: QEMU takes long to pass on each byte, and
 * the row needs the longest write, not many of them. */
#define CONSOLE_PAUSE_NS 20000000l
static int load_console_64k(void)
{
    static char buf[64 * 1024];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (i % 64 == 63) ? '\n' : '.';
    for (;;) {
        if (write(1, buf, sizeof(buf)) < 0)
            return 1;
        struct timespec ts = {0, CONSOLE_PAUSE_NS};
        nanosleep(&ts, NULL);
    }
}

/* Revoke of a delegation with 64 copies in a child (the holder dups the
 * delegated slot 63 times: main.c's hold_loop). */
static int load_revoke_64(void)
{
    struct holder h;
    int p[2];
    if (holder_start(bench_self, "hold", &h) || pipe(p))
        return 1;
    cap_token_t tok, del;
    cap_get_token(p[1], CAP_TYPE_FD, &tok);
    for (;;) {
        int slot;
        if (cap_transfer(h.pid, tok, CAP_RIGHT_WRITE, &del, &slot))
            return 1;
        unsigned char cmd[3] = {'d', (unsigned char)slot, 63};
        char ack;
        write(h.cmd, cmd, 3);
        read(h.ack, &ack, 1);
        cap_revoke_delegate(del);
    }
}

/* A child grows by 32 MiB (every page touched) and exits. */
static int load_exit_32m(void)
{
    char *argv[] = {(char *)bench_self, "hog", "32", NULL};
    while (spawn_wait_once(bench_self, argv) == 0)
        ;
    return 1;
}

static int load_spin(void)
{
    volatile unsigned long i = 0;
    while (i != ~0ul)
        i++;
    return 0;
}

int rt_load_main(const char *kind)
{
    /* The inherited stdio has no GRANT: close-on-exec, so the loads'
     * own spawns may start children (spawn refuses otherwise). */
    for (int fd = 0; fd < 3; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    static const struct {
        const char *name;
        int (*fn)(void);
    } kinds[] = {
        {"spawn", load_spawn},
        {"write_1m", load_write_1m},
        {"write_2m_new", load_write_2m_new},
        {"brk_60m", load_brk_60m},
        {"spawn_3m", load_spawn_3m},
        {"console_64k", load_console_64k},
        {"revoke_64", load_revoke_64},
        {"exit_32m", load_exit_32m},
        {"spin", load_spin},
    };
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kind && !strcmp(kind, kinds[i].name))
            return kinds[i].fn();
    printf("bench: unknown load %s\n", kind ? kind : "(none)");
    return 2;
}

/* `bench hog MiB`: grow by MiB, touch every page, exit. */
int rt_hog_main(const char *mib)
{
    long n = (mib ? atol(mib) : 0) * (long)MIB;
    char *p = sbrk(n);
    if (p == (void *)-1)
        return 1;
    for (long i = 0; i < n; i += 4096)
        p[i] = 1;
    return 0;
}
