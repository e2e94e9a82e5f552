/*
 * console-test: drives Keel's console the way a user does. For each
 * scenario file it starts `make --no-print-directory run` (or the command
 * after --) on a pseudo-terminal, as the session leader of a new session
 * with the pty as its controlling terminal (so a ^C byte reaches QEMU
 * exactly as from a user's terminal: with QEMU's serial signal=on the
 * line discipline turns it into SIGINT), then runs the scenario's steps
 * against what comes back. Format and semantics: docs/testing.md
 * "Console tests".
 *
 *   console-test [-v] [-t SECONDS] FILE.scn... [-- COMMAND ARGS...]
 *
 * -v copies the console output to stdout as it arrives; -t sets the
 * default limit of a waiting step (default 120 s: a safety net for a
 * loaded machine, never a pass criterion). Prints "ok NAME" or
 * "FAIL NAME: file:line: reason" per test, the transcript's tail after a
 * scenario with a failure, and last "P passed, F failed"; exits 1 if a
 * test failed. A `fail-on TEXT` step makes TEXT, once seen, fail the
 * waiting step at once (quoting its line: a suite's own FAIL line names
 * the failing test) and stop the scenario: its later tests are reported
 * as not run, so a failure costs seconds, not the step's timeout. Host program,
 * single-threaded (the signal handler only reads `child`): no locking.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "scn.h"

#define TAIL_LINES 40
#define FAIL_ON_MAX 8

struct run {
    int fd;     /* pty master, -1 once the pty is gone */
    pid_t pid;  /* the command (session leader), 0 once reaped */
    int status; /* its wait status once reaped */
    char *out;  /* everything read, CRs removed */
    size_t len, cap;
    size_t mark;   /* expect searches from here */
    size_t region; /* start of what the last expect consumed */
    long timeout_ms, gap_ms;
    int verbose;
    /* The current test's fail-on steps, each watched in the output from
     * the match point at which it came; stopped: one was seen, so the
     * scenario's later tests are not run. */
    const struct scn_step *fail_on[FAIL_ON_MAX];
    size_t fail_from[FAIL_ON_MAX];
    int nfail_on;
    int stopped;
};

static volatile pid_t child; /* for the signal handler */

static void on_signal(int sig)
{
    if (child > 0)
        kill(-child, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void append(struct run *r, const char *buf, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (r->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(r->out, cap);
        if (!p) {
            perror("console-test: realloc");
            exit(2);
        }
        r->out = p;
        r->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        if (buf[i] != '\r')
            r->out[r->len++] = buf[i];
    r->out[r->len] = '\0';
}

/* Reaps the command if it has exited; blocks up to until_ms for it. */
static void reap(struct run *r, long until_ms)
{
    while (r->pid > 0) {
        int st;
        pid_t p = waitpid(r->pid, &st, WNOHANG);
        if (p == r->pid) {
            r->status = st;
            r->pid = 0;
            child = 0;
            return;
        }
        if (p < 0 && errno != EINTR) {
            r->pid = 0;
            r->status = -1;
            return;
        }
        if (now_ms() >= until_ms)
            return;
        usleep(10000);
    }
}

/* Reads output into r until until_ms; returns early once data arrived
 * when `once`, or once all of *wbuf is written when wlen is given. */
static void pump(struct run *r, long until_ms, int once, const char **wbuf,
                 size_t *wlen)
{
    while (r->fd >= 0 && !(wlen && !*wlen)) {
        long left = until_ms - now_ms();
        if (left <= 0)
            return;
        struct pollfd pfd = {r->fd, POLLIN, 0};
        if (wlen)
            pfd.events |= POLLOUT;
        int n = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            perror("console-test: poll");
            exit(2);
        }
        if (n <= 0)
            continue;
        if (pfd.revents & POLLOUT) {
            ssize_t w = write(r->fd, *wbuf, *wlen);
            if (w > 0) {
                *wbuf += w;
                *wlen -= (size_t)w;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t got = read(r->fd, buf, sizeof(buf));
            if (got > 0) {
                append(r, buf, (size_t)got);
                if (r->verbose)
                    fwrite(buf, 1, (size_t)got, stdout);
                if (once && !wlen)
                    return;
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                /* EIO: every holder of the terminal has closed it. */
                close(r->fd);
                r->fd = -1;
                reap(r, now_ms() + 5000);
            }
        }
    }
}

/* QEMU's exit status: make reports a failed recipe as "...] Error N"
 * and exits 2 itself; a zero exit means QEMU exited 0. -1: unknown. */
static int qemu_status(struct run *r)
{
    if (r->pid > 0 || r->status == -1)
        return -1;
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
        return 0;
    const char *last = NULL;
    for (const char *p = r->out; (p = strstr(p, "] Error ")); p++)
        last = p;
    if (last)
        return atoi(last + 8);
    if (WIFSIGNALED(r->status))
        return 128 + WTERMSIG(r->status);
    return WEXITSTATUS(r->status);
}

static void describe_end(struct run *r, char *buf, size_t n)
{
    if (r->fd >= 0 && r->pid > 0)
        snprintf(buf, n, "QEMU still running");
    else if (r->pid > 0)
        snprintf(buf, n, "the console closed, the command still running");
    else
        snprintf(buf, n, "QEMU exited with status %d", qemu_status(r));
}

static int start(struct run *r, char **cmd)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
        perror("console-test: pty");
        return -1;
    }
    char *slave = ptsname(m);
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(m, TIOCSWINSZ, &ws);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("console-test: fork");
        return -1;
    }
    if (pid == 0) {
        setsid();
        int s = open(slave, O_RDWR); /* the new session's terminal */
        if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0) {
            perror("console-test: slave pty");
            _exit(127);
        }
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        if (s > 2)
            close(s);
        signal(SIGPIPE, SIG_DFL);
        execvp(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    r->fd = m;
    r->pid = pid;
    child = pid;
    return 0;
}

/* Ends the command if it still runs (its whole session's process
 * group: make and QEMU), then closes the pty. */
static void stop(struct run *r)
{
    if (r->pid > 0) {
        kill(-r->pid, SIGTERM);
        reap(r, now_ms() + 5000);
        if (r->pid > 0) {
            kill(-r->pid, SIGKILL);
            reap(r, now_ms() + 5000);
        }
    }
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
}

static void print_tail(struct run *r)
{
    size_t start = r->len;
    int lines = 0;
    while (start > 0 && lines <= TAIL_LINES)
        if (r->out[--start] == '\n')
            lines++;
    if (start)
        start++;
    printf("---- console transcript, last %d lines ----\n| ", TAIL_LINES);
    for (size_t i = start; i < r->len; i++) {
        unsigned char c = (unsigned char)r->out[i];
        if (c == '\n')
            fputs(i + 1 < r->len ? "\n| " : "\n", stdout);
        else if (c == 27)
            fputs("\\e", stdout);
        else if (c < 32 && c != '\t')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\n---- end of transcript ----\n");
}

/* The earliest place a fail-on text of the current test appears in the
 * output not yet consumed (after the match point, and after the point
 * where the fail-on came), if it starts before `before` (NULL:
 * anywhere); *which is its step. */
static const char *fail_seen(const struct run *r, const char *before,
                             const struct scn_step **which)
{
    const char *first = NULL;
    for (int i = 0; i < r->nfail_on; i++) {
        const struct scn_step *f = r->fail_on[i];
        size_t from = r->fail_from[i] > r->mark ? r->fail_from[i] : r->mark;
        const char *hit = memmem(r->out + from, r->len - from, f->text, f->len);
        if (hit && (!before || hit < before) && (!first || hit < first)) {
            first = hit;
            *which = f;
        }
    }
    return first;
}

/* A fail-on text was seen at hit: the reason quotes its whole line (the
 * failing test's own report, when it is the suite's FAIL line), and the
 * scenario stops. Returns -1. */
static int fail_on_hit(struct run *r, const char *hit, const struct scn_step *f,
                       char *why, size_t wn)
{
    /* The rest of its line first (a few seconds at most: it is being
     * printed), so the reason quotes the whole report. */
    size_t off = (size_t)(hit - r->out);
    long until = now_ms() + 5000;
    while (r->fd >= 0 && now_ms() < until &&
           !memchr(r->out + off, '\n', r->len - off))
        pump(r, until, 1, NULL, NULL);
    hit = r->out + off; /* pump may have moved the buffer */
    const char *b = hit, *e = hit;
    while (b > r->out && b[-1] != '\n')
        b--;
    while (e < r->out + r->len && *e != '\n')
        e++;
    char line[200];
    size_t n = 0;
    for (const char *p = b; p < e && n + 1 < sizeof(line); p++)
        line[n++] = (unsigned char)*p < 32 ? '?' : *p;
    line[n] = '\0';
    snprintf(why, wn, "fail-on %s: seen in \"%s\"", f->shown, line);
    r->stopped = 1;
    return -1;
}

/* Runs one step. Returns 0, or -1 with a reason in why. */
static int step(struct run *r, const struct scn_step *st, char *why, size_t wn)
{
    char end[96];
    switch (st->op) {
    case SCN_TEST:
        return 0;
    case SCN_TIMEOUT:
        r->timeout_ms = st->num * 1000;
        return 0;
    case SCN_GAP:
        r->gap_ms = st->num;
        return 0;
    case SCN_FAIL_ON:
        if (r->nfail_on == FAIL_ON_MAX) {
            snprintf(why, wn, "fail-on: more than %d in one test", FAIL_ON_MAX);
            return -1;
        }
        r->fail_on[r->nfail_on] = st;
        r->fail_from[r->nfail_on++] = r->mark;
        return 0;
    case SCN_SLEEP: {
        long until = now_ms() + st->num;
        while (r->fd >= 0 && now_ms() < until) {
            const struct scn_step *f;
            const char *fh = fail_seen(r, NULL, &f);
            if (fh)
                return fail_on_hit(r, fh, f, why, wn);
            pump(r, until, 1, NULL, NULL);
        }
        const struct scn_step *f;
        const char *fh = fail_seen(r, NULL, &f);
        if (fh)
            return fail_on_hit(r, fh, f, why, wn);
        return 0;
    }
    case SCN_SEND:
    case SCN_TYPE: {
        long until = now_ms() + r->timeout_ms;
        size_t chunk = st->op == SCN_SEND ? st->len : 1;
        for (size_t off = 0; off < st->len; off += chunk) {
            const char *p = st->text + off;
            size_t n = st->len - off < chunk ? st->len - off : chunk;
            pump(r, until, 0, &p, &n);
            if (n) {
                describe_end(r, end, sizeof(end));
                snprintf(why, wn, "%s %s: could not write (%s)",
                         st->op == SCN_SEND ? "send" : "type", st->shown, end);
                return -1;
            }
            if (st->op == SCN_TYPE)
                pump(r, now_ms() + r->gap_ms, 0, NULL, NULL);
        }
        return 0;
    }
    case SCN_PROBE: {
        /* Bytes typed while the terminal is raw (the shell between
         * reading a line and handing the terminal to its job) are not
         * echoed: send again each second until the console's echo
         * (ECHO, or TEXT itself) shows that the terminal is cooked. */
        long until = now_ms() + r->timeout_ms;
        const char *want = st->echo ? st->echo : st->text;
        size_t wlen = st->echo ? st->echo_len : st->len;
        while (now_ms() < until && r->fd >= 0) {
            const char *p = st->text;
            size_t n = st->len;
            pump(r, until, 0, &p, &n);
            long next = now_ms() + 1000;
            while (r->fd >= 0 && now_ms() < next && now_ms() < until) {
                char *hit =
                    memmem(r->out + r->mark, r->len - r->mark, want, wlen);
                const struct scn_step *f;
                const char *fh = fail_seen(r, hit, &f);
                if (fh)
                    return fail_on_hit(r, fh, f, why, wn);
                if (hit) {
                    r->region = r->mark;
                    r->mark = (size_t)(hit - r->out) + wlen;
                    return 0;
                }
                pump(r, next < until ? next : until, 1, NULL, NULL);
            }
        }
        describe_end(r, end, sizeof(end));
        snprintf(why, wn, "probe %s: no echo after %ld s (%s)", st->shown,
                 r->timeout_ms / 1000, end);
        return -1;
    }
    case SCN_EXPECT: {
        long until = now_ms() + r->timeout_ms;
        for (;;) {
            char *hit =
                memmem(r->out + r->mark, r->len - r->mark, st->text, st->len);
            /* A fail-on text before the expected one ends the wait. */
            const struct scn_step *f;
            const char *fh = fail_seen(r, hit, &f);
            if (fh)
                return fail_on_hit(r, fh, f, why, wn);
            if (hit) {
                r->region = r->mark;
                r->mark = (size_t)(hit - r->out) + st->len;
                return 0;
            }
            if (r->fd < 0 || now_ms() >= until)
                break;
            pump(r, until, 1, NULL, NULL);
        }
        describe_end(r, end, sizeof(end));
        snprintf(why, wn, "expect %s: not seen after %ld s (%s)", st->shown,
                 r->timeout_ms / 1000, end);
        return -1;
    }
    case SCN_EXPECT_NOT:
        if (memmem(r->out + r->region, r->len - r->region, st->text, st->len)) {
            snprintf(why, wn, "expect-not %s: it was there", st->shown);
            return -1;
        }
        return 0;
    case SCN_EXPECT_EXIT: {
        long until = now_ms() + r->timeout_ms;
        const struct scn_step *f;
        const char *fh;
        while (r->fd >= 0 && now_ms() < until) {
            if ((fh = fail_seen(r, NULL, &f)))
                return fail_on_hit(r, fh, f, why, wn);
            pump(r, until, 1, NULL, NULL);
        }
        if ((fh = fail_seen(r, NULL, &f)))
            return fail_on_hit(r, fh, f, why, wn);
        reap(r, until);
        if (r->pid > 0) {
            snprintf(why, wn,
                     "expect-exit %ld: QEMU still running after "
                     "%ld s",
                     st->num, r->timeout_ms / 1000);
            return -1;
        }
        int s = qemu_status(r);
        if (s != st->num) {
            snprintf(why, wn, "expect-exit %ld: QEMU exited with status %d",
                     st->num, s);
            return -1;
        }
        return 0;
    }
    }
    snprintf(why, wn, "bad step");
    return -1;
}

static int npassed, nfailed;
static char *failed_names;

static void record_failure(const char *name)
{
    size_t old = failed_names ? strlen(failed_names) : 0;
    char *p = realloc(failed_names, old + strlen(name) + 2);
    if (!p)
        return;
    sprintf(p + old, "%s%s", old ? " " : "", name);
    failed_names = p;
}

static void run_scenario(const char *path, char **cmd, long timeout_ms,
                         int verbose)
{
    struct scn s;
    if (scn_load(path, &s) < 0) {
        printf("FAIL %s: cannot load the scenario (see above)\n", path);
        nfailed++;
        record_failure(path);
        return;
    }
    printf("== console scenario %s ==\n", path);
    fflush(stdout);
    struct run r = {
        .fd = -1, .timeout_ms = timeout_ms, .gap_ms = 5, .verbose = verbose};
    append(&r, "", 0); /* r.out is never NULL: searched from the start */
    int started = start(&r, cmd) == 0;
    int any_fail = 0;
    const char *stopped_at = NULL;
    for (int i = 0; i < s.nsteps;) {
        const char *name = s.steps[i].text;
        int j = i + 1;
        while (j < s.nsteps && s.steps[j].op != SCN_TEST)
            j++;
        if (stopped_at) { /* a fail-on ended the scenario */
            printf("FAIL %s: not run: the scenario stopped at %s's "
                   "failure\n",
                   name, stopped_at);
            nfailed++;
            record_failure(name);
            i = j;
            continue;
        }
        r.nfail_on = 0;
        char why[512] = "the command could not be started";
        int ok = started;
        for (int k = i + 1; ok && k < j; k++) {
            char msg[400];
            if (step(&r, &s.steps[k], msg, sizeof(msg)) < 0) {
                snprintf(why, sizeof(why), "%s:%d: %s", path, s.steps[k].line,
                         msg);
                ok = 0;
            }
        }
        if (verbose)
            printf("\n");
        if (ok) {
            printf("ok %s\n", name);
            npassed++;
        } else {
            printf("FAIL %s: %s\n", name, why);
            nfailed++;
            record_failure(name);
            any_fail = 1;
            if (r.stopped)
                stopped_at = name;
        }
        fflush(stdout);
        i = j;
    }
    stop(&r);
    if (any_fail)
        print_tail(&r);
    free(r.out);
    scn_free(&s);
}

int main(int argc, char **argv)
{
    static char *default_cmd[] = {"make", "--no-print-directory", "run", NULL};
    char **cmd = default_cmd;
    long timeout_ms = 120000;
    int verbose = 0, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "-v"))
            verbose = 1;
        else if (!strcmp(argv[first], "-t") && first + 1 < argc)
            timeout_ms = atol(argv[++first]) * 1000;
        else if (!strcmp(argv[first], "--"))
            break;
        else {
            fprintf(stderr, "usage: console-test [-v] [-t SECONDS] "
                            "FILE.scn... [-- COMMAND ARGS...]\n");
            return 2;
        }
    }
    int last = first;
    while (last < argc && strcmp(argv[last], "--"))
        last++;
    if (last < argc && last + 1 < argc)
        cmd = argv + last + 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = first; i < last; i++)
        run_scenario(argv[i], cmd, timeout_ms, verbose);
    if (first == last) {
        printf("FAIL console-test: no scenario file given\n");
        nfailed++;
    }
    if (failed_names)
        printf("failed: %s\n", failed_names);
    printf("%d passed, %d failed\n", npassed, nfailed);
    return nfailed ? 1 : 0;
}
