/*
 * /bin/sh jobs: every pipeline the shell starts is a job (a foreground
 * one too, while it runs). With job control on (an interactive shell on
 * the console whose terminal calls work) each job is a process group of
 * its own, led by its first process; a foreground job gets the console
 * (tcsetpgrp, so ^C goes to it and not to the shell) and the cooked
 * terminal mode, and the shell takes both back when it is done.
 *
 * Children are reaped with waitpid(-1): whatever exits is recorded in
 * its job, so background jobs finishing while a foreground one runs are
 * not lost. Main thread only (sh.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sh.h"

static struct sh_job jobs[SH_JOBS_MAX];
static struct sh_job *last_bg;

static int job_done(const struct sh_job *j)
{
    return j->done == (j->npids >= 32 ? ~0u : (1u << j->npids) - 1);
}

int sh_job_count(void)
{
    int n = 0;
    for (int i = 0; i < SH_JOBS_MAX; i++)
        n += jobs[i].id != 0;
    return n;
}

void sh_job_free(struct sh_job *j)
{
    if (j == last_bg)
        last_bg = NULL;
    memset(j, 0, sizeof(*j));
}

struct sh_job *sh_job_new(const char *src, size_t len, int bg)
{
    struct sh_job *j = NULL;
    /* make room: drop finished background jobs nobody waited for */
    for (int i = 0; i < SH_JOBS_MAX && sh_job_count() == SH_JOBS_MAX; i++)
        if (jobs[i].id && jobs[i].bg && job_done(&jobs[i]))
            sh_job_free(&jobs[i]);
    for (int id = 1; id <= SH_JOBS_MAX && !j; id++) {
        int used = 0;
        for (int i = 0; i < SH_JOBS_MAX; i++)
            used |= jobs[i].id == id;
        if (used)
            continue;
        for (int i = 0; i < SH_JOBS_MAX; i++) {
            if (!jobs[i].id) {
                j = &jobs[i];
                j->id = id;
                break;
            }
        }
    }
    if (!j)
        return NULL;
    j->bg = bg;
    while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\t'))
        len--;
    if (len >= sizeof(j->cmd))
        len = sizeof(j->cmd) - 1;
    memcpy(j->cmd, src, len);
    j->cmd[len] = '\0';
    if (bg)
        last_bg = j;
    return j;
}

void sh_job_add_pid(struct sh_job *j, pid_t pid)
{
    int i = j->npids++;
    j->pids[i] = pid;
    if (sh.jobctl && !j->pgid)
        j->pgid = pid; /* the spawn put it there (exec.c) */
}

void sh_job_add_failed(struct sh_job *j, int code)
{
    int i = j->npids++;
    j->pids[i] = -1;
    j->st[i] = (code & 0xff) << 8;
    j->done |= 1u << i;
}

/* Records a reaped child in its job. */
static void record(pid_t pid, int st)
{
    for (int i = 0; i < SH_JOBS_MAX; i++) {
        struct sh_job *j = &jobs[i];
        if (!j->id)
            continue;
        for (int k = 0; k < j->npids; k++) {
            if (j->pids[k] == pid && !(j->done & (1u << k))) {
                j->st[k] = st;
                j->done |= 1u << k;
                return;
            }
        }
    }
}

/* Reaps one child; blocking or not. Returns its pid, 0 when none is
 * ready (non-blocking), -1 when there are none (or an error). */
static pid_t reap(int block)
{
    for (;;) {
        int st = 0;
        pid_t p = waitpid(-1, &st, block ? 0 : WNOHANG);
        if (p > 0) {
            record(p, st);
            return p;
        }
        if (p < 0 && errno == EINTR)
            continue;
        return p;
    }
}

/* Marks every process of j done when waitpid says there is nothing left
 * to reap (a child another part of the shell reaped). */
static void give_up(struct sh_job *j)
{
    for (int k = 0; k < j->npids; k++) {
        if (!(j->done & (1u << k))) {
            j->st[k] = 255 << 8;
            j->done |= 1u << k;
        }
    }
}

static int wait_job(struct sh_job *j)
{
    while (!job_done(j)) {
        if (reap(1) < 0)
            give_up(j);
    }
    return sh_job_status(j);
}

int sh_job_status(const struct sh_job *j)
{
    if (j->npids == 0)
        return 0;
    int st = j->st[j->npids - 1];
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 1;
}

int sh_job_wait_fg(struct sh_job *j)
{
    j->bg = 0;
    if (j == last_bg)
        last_bg = NULL;
    int term = sh.jobctl && j->pgid > 0 && !job_done(j);
    if (term) {
        tcsetpgrp(sh_tty_fd(), j->pgid);
        sh_tty_cooked();
    }
    int st = wait_job(j);
    if (term) {
        sh_tty_raw(); /* ISIG off before the shell is in front again */
        tcsetpgrp(sh_tty_fd(), sh.pgid);
    }
    for (int k = 0; k < j->npids; k++) {
        if (j->pids[k] > 0 && WIFSIGNALED(j->st[k])) {
            int sig = WTERMSIG(j->st[k]);
            if (sig == SIGINT)
                sh_err("\n");
            else if (k == j->npids - 1 && sh.interactive)
                sh_err("%s: killed by signal %d (%s)\n", j->cmd, sig,
                       strsignal(sig));
        }
    }
    sh_job_free(j);
    return st;
}

void sh_jobs_poll(int report)
{
    while (reap(0) > 0)
        ;
    for (int i = 0; i < SH_JOBS_MAX; i++) {
        struct sh_job *j = &jobs[i];
        if (!j->id || !j->bg || !job_done(j) || !report)
            continue;
        int st = sh_job_status(j);
        if (st == 0)
            sh_err("[%d]  Done        %s\n", j->id, j->cmd);
        else
            sh_err("[%d]  Exit %-6d %s\n", j->id, st, j->cmd);
        sh_job_free(j);
    }
}

struct sh_job *sh_job_find(const char *spec)
{
    if (!spec || strcmp(spec, "%") == 0 || strcmp(spec, "%%") == 0 ||
        strcmp(spec, "%+") == 0) {
        if (last_bg && last_bg->id)
            return last_bg;
        struct sh_job *best = NULL;
        for (int i = 0; i < SH_JOBS_MAX; i++)
            if (jobs[i].id && (!best || jobs[i].id > best->id))
                best = &jobs[i];
        return best;
    }
    char *end;
    if (spec[0] == '%') {
        long id = strtol(spec + 1, &end, 10);
        for (int i = 0; i < SH_JOBS_MAX && !*end && end != spec + 1; i++)
            if (jobs[i].id == id)
                return &jobs[i];
        return NULL;
    }
    long pid = strtol(spec, &end, 10);
    if (*end || end == spec)
        return NULL;
    for (int i = 0; i < SH_JOBS_MAX; i++)
        for (int k = 0; jobs[i].id && k < jobs[i].npids; k++)
            if (jobs[i].pids[k] == pid)
                return &jobs[i];
    return NULL;
}

void sh_jobs_list(void)
{
    sh_jobs_poll(0);
    for (int i = 0; i < SH_JOBS_MAX; i++) {
        struct sh_job *j = &jobs[i];
        if (!j->id)
            continue;
        if (job_done(j))
            printf("[%d]  Done(%d)  %s\n", j->id, sh_job_status(j), j->cmd);
        else
            printf("[%d]  Running  %s\n", j->id, j->cmd);
    }
}

/* `wait` without operands: every job; the status is 0 (POSIX). */
int sh_wait_all(void)
{
    for (int i = 0; i < SH_JOBS_MAX; i++) {
        if (jobs[i].id) {
            wait_job(&jobs[i]);
            sh_job_free(&jobs[i]);
        }
    }
    return 0;
}

/* `wait SPEC`: that job's status (exported through builtins.c). */
int sh_wait_one(struct sh_job *j)
{
    int st = wait_job(j);
    sh_job_free(j);
    return st;
}
