/*
 * /bin/sh executor: and-or lists, pipelines, redirections, builtins.
 *
 * Every program starts through posix_spawnp with file actions (and,
 * with job control, in its job's process group: spawn attributes): the
 * pipes are made by the shell, their ends passed by dup2 actions (the
 * shell's copies are close-on-exec except for the one spawn that takes
 * them, and closed in the shell right after it), redirections are open
 * and dup2 actions in the child (the shell opens nothing for a child),
 * fds 0-2 otherwise as io.c decides. Programs named in KEEL_SYSCAP get
 * a copy of the shell's system cap (docs/capabilities.md "The shell").
 *
 * A builtin alone in the foreground runs in the shell, with its
 * redirections applied to the shell's own fds and undone after. In a
 * pipeline or a background job a builtin runs as a child: the /bin
 * program of that name, else `/bin/sh --builtin NAME ARGS`.
 * Main thread only (sh.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sched.h>

#include "sh.h"

#define SH_SELF "/bin/sh"
#define SYSCAP_DEFAULT "utest bench"

/*
 * Containment: the interactive shell raises itself (and its relay
 * threads) to SCHED_FIFO at its ceiling and starts every program at the
 * policy and priority it had itself, with a ceiling one below its own
 * (no lower than 1). No program it starts, nor anything that program
 * starts, can then outrank the shell, so the shell always gets a hart
 * to read the next line and run kill, however many threads spin.
 */
void sh_contain(void)
{
    pthread_t me = pthread_self();
    int ceiling = 0, policy = 0;
    struct sched_param sp;
    if (keel_pthread_getceiling(me, &ceiling) ||
        pthread_getschedparam(me, &policy, &sp))
        return;
    sh.child_ceiling = ceiling > KEEL_PRIO_MIN ? ceiling - 1 : ceiling;
    sh.child_policy = policy;
    sh.child_prio = sp.sched_priority < sh.child_ceiling ? sp.sched_priority
                                                         : sh.child_ceiling;
    sp.sched_priority = ceiling;
    if (pthread_setschedparam(me, SCHED_FIFO, &sp))
        return;
    sh_io_relays_sched(SCHED_FIFO, ceiling);
    sh.contained = 1;
}

/* A command after expansion. */
struct ecmd {
    char **argv;
    int argc;
    char **assign;
    int nassign;
    struct sh_cmd *cmd;
};

static void expand_cmd(struct sh_cmd *c, struct ecmd *e)
{
    struct sh_fields f = {0};
    int i = 0;
    memset(e, 0, sizeof(*e));
    e->cmd = c;
    e->assign = sh_alloc((size_t)(c->nwords + 1) * sizeof(char *));
    for (; i < c->nwords && sh_is_assignment(c->words[i]); i++)
        e->assign[e->nassign++] = sh_expand1(c->words[i]);
    for (; i < c->nwords; i++)
        sh_expand(c->words[i], &f);
    if (!f.v) {
        f.v = sh_alloc(sizeof(char *));
        f.v[0] = NULL;
    }
    e->argv = f.v;
    e->argc = f.n;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The program is one KEEL_SYSCAP names (default "utest bench"). */
static int gets_syscap(const char *prog)
{
    const char *list = sh_var_get("KEEL_SYSCAP");
    if (!list)
        list = SYSCAP_DEFAULT;
    const char *name = base_name(prog);
    size_t nl = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ':' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != ':' && *e != ',')
            e++;
        if ((size_t)(e - p) == nl && nl && strncmp(p, name, nl) == 0)
            return 1;
        p = e;
    }
    return 0;
}

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The redirection actions for a child. 0 or an errno value. */
static int add_redirs(posix_spawn_file_actions_t *fa, struct sh_cmd *c)
{
    for (int i = 0; i < c->nredirs; i++) {
        struct sh_redir *r = &c->redirs[i];
        char *w = sh_expand1(r->word);
        int e;
        switch (r->op) {
        case RD_IN:
            e = posix_spawn_file_actions_addopen(fa, r->fd, w, O_RDONLY, 0);
            break;
        case RD_OUT:
            e = posix_spawn_file_actions_addopen(
                fa, r->fd, w, O_WRONLY | O_CREAT | O_TRUNC, 0666);
            break;
        case RD_APPEND:
            e = posix_spawn_file_actions_addopen(
                fa, r->fd, w, O_WRONLY | O_CREAT | O_APPEND, 0666);
            break;
        default:
            if (strcmp(w, "-") == 0)
                e = posix_spawn_file_actions_addclose(fa, r->fd);
            else if (is_number(w))
                e = posix_spawn_file_actions_adddup2(fa, atoi(w), r->fd);
            else
                e = EBADF;
            break;
        }
        if (e)
            return e;
    }
    return 0;
}

/* After a failed spawn with ENOENT: is it an input file that is
 * missing? Prints the message and returns 1 if so. */
static int missing_input(struct sh_cmd *c)
{
    for (int i = 0; i < c->nredirs; i++) {
        if (c->redirs[i].op != RD_IN)
            continue;
        char *w = sh_expand1(c->redirs[i].word);
        int fd = open(w, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sh_err("sh: %s: %s\n", w, strerror(errno));
            return 1;
        }
        close(fd);
    }
    return 0;
}

/* Does one of c's redirections target fd 2? */
static int redirects_stderr(const struct sh_cmd *c)
{
    for (int i = 0; i < c->nredirs; i++) {
        if (c->redirs[i].fd == 2)
            return 1;
    }
    return 0;
}

/*
 * Spawns one command with stdin from `in` and stdout to `out` (-1: the
 * shell's own, io.c). Returns 0 with *pid set, or the exit status to
 * report (126, 127, 1) after printing why.
 */
static int spawn_cmd(struct sh_job *j, struct ecmd *e, int in, int out,
                     pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char **argv = e->argv;
    const struct sh_builtin *b = sh_builtin_find(argv[0]);
    int as_builtin = 0, reporting = 0;
    char errbuf[12];
    int rc;

    if (posix_spawn_file_actions_init(&fa))
        return 1;
    if (posix_spawnattr_init(&attr)) {
        posix_spawn_file_actions_destroy(&fa);
        return 1;
    }
retry:
    rc = 0;
    if (in >= 0) {
        sh_cloexec(in, 0);
        if (in != 0)
            rc = posix_spawn_file_actions_adddup2(&fa, in, 0);
    } else {
        rc = sh_io_stdio_action(&fa, 0);
    }
    if (!rc && out >= 0) {
        sh_cloexec(out, 0);
        if (out != 1)
            rc = posix_spawn_file_actions_adddup2(&fa, out, 1);
    } else if (!rc) {
        rc = sh_io_stdio_action(&fa, 1);
    }
    if (!rc)
        rc = sh_io_stdio_action(&fa, 2);
    if (!rc && in > 2)
        rc = posix_spawn_file_actions_addclose(&fa, in);
    if (!rc && out > 2)
        rc = posix_spawn_file_actions_addclose(&fa, out);
    if (!rc)
        rc = add_redirs(&fa, e->cmd);
    int sys = keel_system_slot();
    if (!rc && sys >= 0) {
        if (!as_builtin && gets_syscap(argv[0]))
            rc = keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, sys,
                                                CAP_RIGHTS_ALL);
        else if (as_builtin && !reporting && b->sys_read)
            rc = keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, sys,
                                                CAP_RIGHT_READ);
    }
    short flags = 0;
    if (!rc && sh.jobctl) {
        /* the job's own group: a new one led by its first process */
        flags |= POSIX_SPAWN_SETPGROUP;
        rc = posix_spawnattr_setpgroup(&attr, j->pgid);
    }
    if (!rc && sh.contained) { /* below the shell (sh_contain) */
        struct sched_param sp = {.sched_priority = sh.child_prio};
        flags |= POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSCHEDPARAM;
        rc = posix_spawnattr_setschedpolicy(&attr, sh.child_policy);
        if (!rc)
            rc = posix_spawnattr_setschedparam(&attr, &sp);
        if (!rc)
            rc = keel_spawnattr_setceiling(&attr, sh.child_ceiling);
    }
    if (!rc && flags)
        rc = posix_spawnattr_setflags(&attr, flags);
    char **envp = sh_env_build(e->assign, e->nassign);
    if (!rc) {
        fflush(NULL); /* nothing buffered may be written twice */
        rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
        if (rc < 0) /* tolerate a libc that returns -1 and sets errno */
            rc = errno;
    }
    if (rc == ENOENT && b && !as_builtin && !strchr(argv[0], '/')) {
        /* no /bin program: the shell runs the builtin as a child */
        char **nv = sh_alloc((size_t)(e->argc + 3) * sizeof(char *));
        nv[0] = "sh";
        nv[1] = "--builtin";
        memcpy(nv + 2, e->argv, (size_t)(e->argc + 1) * sizeof(char *));
        argv = nv;
        argv[0] = SH_SELF;
        as_builtin = 1;
        posix_spawn_file_actions_destroy(&fa);
        if (posix_spawn_file_actions_init(&fa)) {
            posix_spawnattr_destroy(&attr);
            return 1;
        }
        goto retry;
    }
    if (rc && !reporting && !as_builtin && redirects_stderr(e->cmd)) {
        /* The error message belongs on the command's stderr, which a
         * redirection moved: a child of ours prints it there. */
        snprintf(errbuf, sizeof(errbuf), "%d", rc);
        char **nv = sh_alloc(5 * sizeof(char *));
        nv[0] = SH_SELF;
        nv[1] = "--cannot-run";
        nv[2] = e->argv[0];
        nv[3] = errbuf;
        nv[4] = NULL;
        argv = nv;
        as_builtin = reporting = 1;
        posix_spawn_file_actions_destroy(&fa);
        if (posix_spawn_file_actions_init(&fa)) {
            posix_spawnattr_destroy(&attr);
            return 1;
        }
        goto retry;
    }
    if (in >= 0)
        sh_cloexec(in, 1);
    if (out >= 0)
        sh_cloexec(out, 1);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (!rc) {
        sh_job_add_pid(j, *pid);
        return 0;
    }
    const char *name = e->argv[0];
    if (rc == ENOENT || rc == ENOTDIR) {
        if (missing_input(e->cmd))
            return 1;
        if (!strchr(name, '/'))
            sh_err("sh: %s: command not found\n", name);
        else
            sh_err("sh: %s: %s\n", name, strerror(rc));
        return 127;
    }
    sh_err("sh: %s: %s\n", name, strerror(rc));
    return 126;
}

/* ---- builtins in the shell ---- */

struct saved_fd {
    int fd, copy, cloexec;
};

/* Applies c's redirections to the shell's own fds, recording how to
 * undo them; -1 after printing an error (what was done is in sv). */
static int redirect_here(struct sh_cmd *c, struct saved_fd *sv, int *nsv)
{
    for (int i = 0; i < c->nredirs; i++) {
        struct sh_redir *r = &c->redirs[i];
        char *w = sh_expand1(r->word);
        fflush(NULL);
        struct saved_fd *s = &sv[(*nsv)++];
        s->fd = r->fd;
        s->cloexec = fcntl(r->fd, F_GETFD);
        s->copy = fcntl(r->fd, F_DUPFD, 10);
        if (s->copy >= 0)
            sh_cloexec(s->copy, 1);
        int nfd = -1;
        if (r->op == RD_DUP) {
            if (strcmp(w, "-") == 0) {
                close(r->fd);
                continue;
            }
            if (!is_number(w) || dup2(atoi(w), r->fd) < 0) {
                sh_err("sh: %s: %s\n", w, strerror(EBADF));
                return -1;
            }
            continue;
        }
        int fl = r->op == RD_IN    ? O_RDONLY
                 : r->op == RD_OUT ? O_WRONLY | O_CREAT | O_TRUNC
                                   : O_WRONLY | O_CREAT | O_APPEND;
        nfd = open(w, fl | O_CLOEXEC, 0666);
        if (nfd < 0) {
            sh_err("sh: %s: %s\n", w, strerror(errno));
            return -1;
        }
        if (nfd != r->fd) {
            dup2(nfd, r->fd);
            close(nfd);
        }
    }
    return 0;
}

static void undo_redirects(struct saved_fd *sv, int nsv)
{
    fflush(NULL);
    for (int i = nsv - 1; i >= 0; i--) {
        if (sv[i].copy >= 0) {
            dup2(sv[i].copy, sv[i].fd);
            close(sv[i].copy);
            if (sv[i].cloexec > 0)
                sh_cloexec(sv[i].fd, 1);
        } else {
            close(sv[i].fd);
        }
    }
}

static int run_here(const struct sh_builtin *b, struct ecmd *e)
{
    struct saved_fd *sv = sh_alloc((size_t)(e->cmd->nredirs + 1) * sizeof(*sv));
    int nsv = 0, st = 1;
    if (redirect_here(e->cmd, sv, &nsv) == 0) {
        if (b)
            st = b->fn(e->argc, e->argv);
        else
            st = 0; /* only redirections (`> file`) */
    }
    fflush(NULL);
    undo_redirects(sv, nsv);
    return st;
}

/* ---- pipelines and lists ---- */

static int run_pipeline(struct sh_pipeline *p, int bg, const char *src,
                        size_t srclen)
{
    struct ecmd *ec = sh_alloc((size_t)p->ncmds * sizeof(*ec));
    for (int i = 0; i < p->ncmds; i++)
        expand_cmd(&p->cmds[i], &ec[i]);

    if (p->ncmds == 1 && !bg) {
        struct ecmd *e = &ec[0];
        if (e->argc == 0) {
            for (int a = 0; a < e->nassign; a++) {
                char *eq = strchr(e->assign[a], '=');
                *eq = '\0';
                sh_var_set(e->assign[a], eq + 1, 0);
                *eq = '=';
            }
            return run_here(NULL, e);
        }
        const struct sh_builtin *b = sh_builtin_find(e->argv[0]);
        if (b)
            return run_here(b, e);
    }

    struct sh_job *j = sh_job_new(src, srclen, bg);
    if (!j) {
        sh_err("sh: too many jobs (at most %d)\n", SH_JOBS_MAX);
        return 1;
    }
    int prev = -1, st = 0;
    for (int i = 0; i < p->ncmds; i++) {
        int pp[2] = {-1, -1};
        if (i + 1 < p->ncmds) {
            if (pipe(pp) < 0) {
                sh_err("sh: pipe: %s\n", strerror(errno));
                sh_job_add_failed(j, 1);
                break;
            }
            sh_cloexec(pp[0], 1);
            sh_cloexec(pp[1], 1);
        }
        pid_t pid;
        if (ec[i].argc == 0)
            sh_job_add_failed(j, 0); /* only assignments or redirections */
        else if ((st = spawn_cmd(j, &ec[i], prev, pp[1], &pid)) != 0)
            sh_job_add_failed(j, st);
        if (prev >= 0)
            close(prev);
        if (pp[1] >= 0)
            close(pp[1]);
        prev = pp[0];
    }
    if (prev >= 0)
        close(prev);
    if (bg) {
        sh.last_bg = j->npids ? j->pids[j->npids - 1] : 0;
        if (sh.interactive)
            sh_err("[%d] %d\n", j->id, (int)j->pids[j->npids - 1]);
        return 0;
    }
    return sh_job_wait_fg(j);
}

/* A background and-or list of several pipelines runs in a child shell. */
static int run_bg_list(struct sh_andor *a)
{
    static struct sh_cmd c;
    static char *words[4];
    static struct sh_pipeline p = {.ncmds = 1, .cmds = &c};
    /* single quotes around the source, each ' as '\'' */
    size_t n = 2;
    for (size_t i = 0; i < a->srclen; i++)
        n += a->src[i] == '\'' ? 4 : 1;
    char *q = sh_alloc(n + 1), *w = q;
    *w++ = '\'';
    for (size_t i = 0; i < a->srclen; i++) {
        if (a->src[i] == '\'') {
            memcpy(w, "'\\''", 4);
            w += 4;
        } else {
            *w++ = a->src[i];
        }
    }
    *w = '\'';
    words[0] = SH_SELF;
    words[1] = "-c";
    words[2] = q;
    words[3] = NULL;
    c.words = words;
    c.nwords = 3;
    c.nredirs = 0;
    return run_pipeline(&p, 1, a->src, a->srclen);
}

static int run_andor(struct sh_andor *a)
{
    int st = sh.status;
    for (int i = 0; i < a->npipes; i++) {
        if (i > 0) {
            enum sh_conn c = a->pipes[i - 1].conn;
            if ((c == C_AND && st != 0) || (c == C_OR && st == 0))
                continue;
        }
        st = run_pipeline(&a->pipes[i], 0, a->src, a->srclen);
        sh.status = st;
    }
    return st;
}

int sh_run_list(struct sh_list *l)
{
    for (int i = 0; i < l->n; i++) {
        struct sh_andor *a = &l->items[i];
        if (!a->bg)
            sh.status = run_andor(a);
        else if (a->npipes == 1)
            sh.status = run_pipeline(&a->pipes[0], 1, a->src, a->srclen);
        else
            sh.status = run_bg_list(a);
    }
    return sh.status;
}
