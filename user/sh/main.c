/*
 * /bin/sh: Keel's shell. Start-up and the three ways to run:
 *
 *   sh                  interactive on the console (the line editor,
 *                       job control), or plain lines from a non-console
 *                       stdin, read one byte at a time so that programs
 *                       the shell starts see the rest of the input
 *   sh -c STRING [ARG0 ARGS...]
 *   sh FILE [ARGS...]   a script, line by line
 *   sh --builtin NAME ARGS...   (internal) runs one builtin as a child,
 *                       for builtins in pipelines and background jobs
 *
 * The exit status is that of the last command (exit N: N). Main thread
 * only (sh.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

extern char **environ;

struct sh_state sh;

int sh_run_string(const char *src)
{
    struct sh_list l;
    if (sh_parse(src, &l) == 0)
        sh_run_list(&l);
    else
        sh.status = 2;
    sh_arena_reset();
    return sh.status;
}

void sh_exit(int status)
{
    if (sh.interactive)
        sh_tty_cooked();
    sh_io_finish();
    _exit(status & 0xff);
}

/* Reads one line from fd (no newline); one byte at a time when
 * unbuffered. NULL at end of input with nothing read. */
static char *read_line_fd(int fd, int unbuffered)
{
    static char rbuf[512];
    static size_t rlen, roff;
    size_t len = 0, cap = 128;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    for (;;) {
        char c;
        if (unbuffered) {
            ssize_t n = read(fd, &c, 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
        } else {
            if (roff == rlen) {
                ssize_t n = read(fd, rbuf, sizeof(rbuf));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                rlen = (size_t)n;
                roff = 0;
            }
            c = rbuf[roff++];
        }
        if (c == '\n') {
            s[len] = '\0';
            return s;
        }
        if (len + 2 > cap) {
            char *n = realloc(s, cap * 2);
            if (!n)
                break;
            s = n;
            cap *= 2;
        }
        s[len++] = c;
    }
    if (len == 0) {
        free(s);
        return NULL;
    }
    s[len] = '\0';
    return s;
}

static int run_builtin_child(int argc, char **argv)
{
    const struct sh_builtin *b = sh_builtin_find(argv[0]);
    if (!b) {
        sh_err("sh: %s: not a builtin\n", argv[0]);
        return 127;
    }
    sh_var_import(environ);
    int st = b->fn(argc, argv);
    fflush(NULL);
    return st;
}

static int run_script(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sh_err("sh: %s: %s\n", path, strerror(errno));
        return 127;
    }
    char *line;
    while ((line = read_line_fd(fd, 0))) {
        sh_run_string(line);
        free(line);
        sh_jobs_poll(0);
    }
    close(fd);
    return sh.status;
}

/* sh --cannot-run NAME ERRNO: the message for a command that could not
 * be spawned, written by a child on the command's own (redirected)
 * stderr, as `nosuch 2>&1 | grep found` expects; the status to report. */
static int report_cannot_run(const char *name, int err)
{
    if ((err == ENOENT || err == ENOTDIR) && !strchr(name, '/'))
        sh_err("sh: %s: command not found\n", name);
    else
        sh_err("sh: %s: %s\n", name, strerror(err));
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

int main(int argc, char **argv)
{
    static char *argv0[2] = {"sh", NULL};
    if (argc >= 3 && strcmp(argv[1], "--builtin") == 0)
        return run_builtin_child(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "--cannot-run") == 0)
        return report_cannot_run(argv[2], atoi(argv[3]));

    sh.argc = 1;
    sh.argv = argv0;
    sh_var_import(environ);
    sh_io_init();

    if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
        if (argc < 3) {
            sh_err("sh: -c: option requires an argument\n");
            sh_exit(2);
        }
        if (argc > 3) {
            sh.argc = argc - 3;
            sh.argv = argv + 3;
        }
        sh_exit(sh_run_string(argv[2]));
    }
    if (argc >= 2 && argv[1][0] != '-') {
        sh.argc = argc - 1;
        sh.argv = argv + 1;
        sh_exit(run_script(argv[1]));
    }

    sh.interactive = sh_io_is_console(0);
    if (sh.interactive && sh_tty_ok()) {
        /* A group of our own, in front: ^C while a job runs goes to the
         * job's group, never to the shell's parent. */
        setpgid(0, 0);
        sh.pgid = getpid();
        sh.jobctl = tcsetpgrp(sh_tty_fd(), sh.pgid) == 0;
        sh_tty_raw();
    }
    if (sh.interactive)
        sh_contain();
    for (;;) {
        sh_jobs_poll(sh.interactive);
        char *line =
            sh.interactive ? sh_readline(SH_PROMPT) : read_line_fd(0, 1);
        if (!line)
            sh_exit(sh.status);
        if (sh.interactive)
            sh_hist_add(line);
        sh_run_string(line);
        free(line);
    }
}
