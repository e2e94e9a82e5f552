/*
 * /bin/sh: how each program the shell starts gets fds 0, 1 and 2 when no
 * pipe or redirection replaces them (docs/capabilities.md "The shell").
 *
 * The capability rule: at spawn every parent fd without GRANT that is
 * not close-on-exec fails the spawn (EACCES), and inherited fds lose
 * GRANT, so a child can pass an inherited fd on to nobody. To let every
 * program started from the shell start programs in turn, the shell
 * decides at start-up, per fd n in 0..2:
 *
 *   IO_CONSOLE  fd n is the console: the shell's own fd is made
 *               close-on-exec and each child gets a fresh /dev/console
 *               by a spawn open action, which mints GRANT.
 *   IO_INHERIT  fd n carries GRANT (a file or pipe opened for the shell
 *               by its parent's open action, or one of its pipes):
 *               children inherit it (without GRANT).
 *   IO_RELAY    fd n has no GRANT (the shell itself inherited it, say
 *               utest put its stdout on a pipe): the shell moves the
 *               real fd to a close-on-exec slot, puts one end of a
 *               pipe of its own (with GRANT) at n and copies between
 *               the two in a relay thread. The shell writes through the
 *               same pipe, so output stays in order. Then as IO_INHERIT.
 *   IO_CLOSED   nothing at n: children get nothing there either.
 *
 * Every other fd the shell holds is close-on-exec, so nothing of the
 * shell's leaks into a child or blocks a spawn.
 *
 * A shell with an output relay exits once the relay has copied
 * everything, that is once every holder of the relay pipe closed it: a
 * background job still running keeps the shell (and its parent's read)
 * waiting, as it would keep a real pipe open.
 *
 * The relay threads own their two fds and touch nothing else; the table
 * below is written only by the main thread, before and after them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/cap.h>

#include "sh.h"

#define CONSOLE "/dev/console"

enum io_mode { IO_CLOSED, IO_CONSOLE, IO_INHERIT };

struct relay {
    int from, to; /* read from, write to; both owned by the thread */
    pthread_t thread;
    int running;
};

static enum io_mode mode[3];
static struct relay relays[3];
static uint32_t console_ino;
static int have_console_ino;

int sh_cloexec(int fd, int on)
{
    return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

int sh_io_is_console(int fd)
{
    struct stat st;
    if (!have_console_ino || fstat(fd, &st) < 0)
        return 0;
    return S_ISCHR(st.st_mode) && st.st_ino == console_ino;
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    static char bufs[3][512];
    char *buf = bufs[r - relays];
    for (;;) {
        ssize_t n = read(r->from, buf, sizeof(bufs[0]));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(r->to, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto out;
            off += w;
        }
    }
out:
    close(r->from);
    close(r->to);
    return NULL;
}

/* A close-on-exec copy of fd, above the low slots. */
static int dup_cloexec(int fd)
{
    int d = fcntl(fd, F_DUPFD, 10);
    if (d >= 0)
        sh_cloexec(d, 1);
    return d;
}

/* Puts a relay pipe at n (see above); 0 or -1. */
static int relay_start(int n)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    int real = dup_cloexec(n);
    if (real < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    struct relay *r = &relays[n];
    int mine = n == 0 ? p[0] : p[1];   /* goes to slot n */
    int theirs = n == 0 ? p[1] : p[0]; /* the thread's end */
    dup2(mine, n);
    close(mine);
    sh_cloexec(theirs, 1);
    r->from = n == 0 ? real : theirs;
    r->to = n == 0 ? theirs : real;
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        dup2(real, n); /* put the real fd back: the shell works, its
                          children cannot get this fd */
        close(real);
        close(theirs);
        sh_cloexec(n, 1);
        return -1;
    }
    r->running = 1;
    return 0;
}

void sh_io_relays_sched(int policy, int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    for (int n = 0; n < 3; n++)
        if (relays[n].running)
            pthread_setschedparam(relays[n].thread, policy, &sp);
}

void sh_io_init(void)
{
    int cfd = open(CONSOLE, O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
        struct stat st;
        if (fstat(cfd, &st) == 0) {
            console_ino = (uint32_t)st.st_ino;
            have_console_ino = 1;
        }
        close(cfd);
    }
    struct cap_info ci[3];
    int open_[3];
    for (int n = 0; n < 3; n++)
        open_[n] = cap_info(n, &ci[n]) == 0 && ci[n].type == CAP_TYPE_FD;
    for (int n = 0; n < 3; n++) {
        if (!open_[n]) {
            mode[n] = IO_CLOSED;
        } else if (sh_io_is_console(n)) {
            mode[n] = IO_CONSOLE;
            sh_cloexec(n, 1);
        } else if (ci[n].rights & CAP_RIGHT_GRANT) {
            mode[n] = IO_INHERIT;
        } else if (n == 2 && open_[1] && mode[1] == IO_INHERIT &&
                   relays[1].running && ci[2].object == ci[1].object) {
            /* stderr is stdout (2>&1 in our parent): one relay for both
             * keeps their order */
            dup2(1, 2);
            mode[n] = IO_INHERIT;
        } else if (relay_start(n) == 0) {
            mode[n] = IO_INHERIT;
        } else {
            mode[n] = IO_CLOSED; /* cannot be passed on */
        }
    }
    /* Nothing else the shell holds goes to a child. */
    for (int fd = 3; fd < CAP_FD_SLOTS; fd++) {
        struct cap_info c;
        if (cap_info(fd, &c) == 0 && c.type == CAP_TYPE_FD && !c.cloexec)
            sh_cloexec(fd, 1);
    }
}

int sh_io_stdio_action(void *fap, int n)
{
    posix_spawn_file_actions_t *fa = fap;
    if (mode[n] == IO_CONSOLE)
        return posix_spawn_file_actions_addopen(
            fa, n, CONSOLE, n == 0 ? O_RDONLY : O_WRONLY, 0);
    return 0; /* IO_INHERIT: inherited; IO_CLOSED: nothing */
}

void sh_io_finish(void)
{
    fflush(NULL);
    if (relays[0].running)
        close(0); /* its thread may sit in a read: not waited for */
    if (!relays[1].running && !relays[2].running)
        return;
    close(1);
    close(2);
    for (int n = 1; n < 3; n++)
        if (relays[n].running)
            pthread_join(relays[n].thread, NULL);
}
