/*
 * /bin/init: the first process. Runs the program named in /etc/autorun,
 * or else an interactive /bin/sh, and powers off with its exit status
 * (128 + signal if it was killed).
 * Reaps every child, including orphans re-parented to it.
 *
 * init starts with the system cap (CAP_TYPE_SYSTEM, every right): the
 * authority to power off, list processes and read the kernel counters.
 * It gives its one child (the shell or the autorun program) a copy with
 * every right, in the same slot; nothing else ever gets one from init.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sched.h>
#include <keel/sys.h>

#define AUTORUN "/etc/autorun"
#define CONSOLE "/dev/console"
#define SHELL "/bin/sh"
#define MAX_ARGS 32

/* Reads the first line of /etc/autorun into buf; -1 if there is none. */
static int read_autorun(char *buf, size_t size)
{
    int fd = open(AUTORUN, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len < size - 1) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd); /* must not be open at spawn: it has no GRANT */
    buf[len] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    return 0;
}

/* Splits line in place on whitespace; returns the word count. */
static int split(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    while (*p && argc < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        if (*p)
            *p++ = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

/* The environment of the shell or the autorun program (issue 7 item 8). */
static char *child_env[] = {"PATH=/bin", "HOME=/", NULL};

/* Spawn attributes of the one child: its policy and priority (what init
 * had before it rose), its ceiling, and for the autorun program of
 * scripts/keel-exec maybe a process group of its own. */
static posix_spawnattr_t child_attr;

/*
 * Spawns path with stdio opened afresh on the console by file actions, so
 * the child gets fds 0-2 with GRANT, and a copy of init's system cap in
 * CAP_SYSTEM_SLOT. Returns 0 or an errno value.
 */
static int spawn_on_console(pid_t *pid, const char *path, char **argv)
{
    posix_spawn_file_actions_t fa;
    int err = posix_spawn_file_actions_init(&fa);
    if (err)
        return err;
    err = posix_spawn_file_actions_addopen(&fa, 0, CONSOLE, O_RDONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_addopen(&fa, 1, CONSOLE, O_WRONLY, 0);
    if (!err)
        err = posix_spawn_file_actions_addopen(&fa, 2, CONSOLE, O_WRONLY, 0);
    int sys = keel_system_slot();
    if (!err && sys >= 0)
        err = keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, sys,
                                             CAP_RIGHTS_ALL);
    if (!err) {
        fflush(NULL); /* nothing buffered may be written twice */
        err = posix_spawn(pid, path, &fa, &child_attr, argv, child_env);
        if (err < 0) /* tolerate a libc that returns -1 and sets errno */
            err = errno;
    }
    posix_spawn_file_actions_destroy(&fa);
    return err;
}

/* Waits for `child`, reaping any other child meanwhile; returns status. */
static int wait_for(pid_t child, int *status)
{
    for (;;) {
        int st = 0;
        pid_t p = waitpid(-1, &st, 0);
        if (p == child) {
            *status = st;
            return 0;
        }
        if (p > 0)
            continue; /* an orphan or other child: reaped, keep going */
        if (errno == EINTR)
            continue;
        /* waitpid(-1) failed: fall back to waiting on the child itself. */
        p = waitpid(child, &st, 0);
        if (p == child) {
            *status = st;
            return 0;
        }
        if (p < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* The machine's exit status for a waitpid status. */
static int exit_code(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

int main(void)
{
    static char line[1024];
    char *argv[MAX_ARGS + 1];
    int autorun = 0;

    if (read_autorun(line, sizeof(line)) == 0) {
        if (split(line, argv, MAX_ARGS) > 0)
            autorun = 1;
        else
            printf("init: %s is empty\n", AUTORUN);
    }
    if (!autorun) {
        static char sh[] = SHELL;
        argv[0] = sh;
        argv[1] = NULL;
        printf("init: starting %s\n", SHELL);
    }

    /* Containment (docs/realtime.md "Containment of runaway threads"):
     * init runs SCHED_FIFO at its ceiling (the top priority) and starts
     * its child at the policy and priority it had itself. The shell gets
     * a ceiling one below init's (it rises to it, its programs stay
     * below it); an autorun program (the test suite, keel-exec's app) is
     * the whole session and keeps the whole range. */
    short flags = POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSCHEDPARAM;
    int policy = 0, ceiling = 0;
    struct sched_param sp;
    if (posix_spawnattr_init(&child_attr) ||
        pthread_getschedparam(pthread_self(), &policy, &sp) ||
        keel_pthread_getceiling(pthread_self(), &ceiling) ||
        posix_spawnattr_setschedpolicy(&child_attr, policy) ||
        posix_spawnattr_setschedparam(&child_attr, &sp) ||
        (!autorun && ceiling > KEEL_PRIO_MIN &&
         keel_spawnattr_setceiling(&child_attr, ceiling - 1))) {
        printf("init: cannot set up the child's scheduling\n");
        flags = 0;
    } else {
        struct sched_param top = {.sched_priority = ceiling};
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &top);
    }

    /* scripts/keel-exec: its program's output starts after the marker
     * line; /etc/autorun-noecho (stdin is a pipe) turns the console's
     * echo off first; /etc/autorun-front runs the program in a process
     * group of its own in the console's foreground, so ^C reaches it. */
    int front = 0;
    if (autorun) {
        int fd = open(AUTORUN "-front", O_RDONLY);
        if (fd >= 0) {
            close(fd);
            front = posix_spawnattr_setpgroup(&child_attr, 0) == 0;
            if (front)
                flags |= POSIX_SPAWN_SETPGROUP;
        }
        fd = open(AUTORUN "-noecho", O_RDONLY);
        struct keel_termios t;
        if (fd >= 0) {
            close(fd);
            if (keel_syscall6(SYS_ioctl, 1, KEEL_IOC_TCGETS, (long)&t, 0, 0,
                              0) == 0) {
                t.lflag &= ~(uint32_t)KEEL_TTY_ECHO;
                keel_syscall6(SYS_ioctl, 1, KEEL_IOC_TCSETS, (long)&t, 0, 0, 0);
            }
        }
        printf("init: autorun %s\n", argv[0]);
    }
    posix_spawnattr_setflags(&child_attr, flags);

    pid_t child;
    int err = spawn_on_console(&child, argv[0], argv);
    if (!err && front) /* (a ^C before this is dropped: nothing in front) */
        tcsetpgrp(1, child); /* it may be gone already: then no matter */
    if (err) {
        printf("init: cannot run %s: %s\n", argv[0], strerror(err));
        fflush(stdout);
        keel_poweroff(127);
    }

    int st;
    if (wait_for(child, &st) < 0) {
        printf("init: waitpid: %s\n", strerror(errno));
        fflush(stdout);
        keel_poweroff(255);
    }
    fflush(stdout);
    /* The shell's `exit N` (or the autorun program's status) is QEMU's. */
    keel_poweroff(exit_code(st));
}
