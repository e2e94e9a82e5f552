/*
 * /bin/sh: the declarations its files share. The shell is one thread
 * except for the output relays (io.c), which only copy bytes between two
 * fds they own and touch no other shell state; everything below is the
 * main thread's alone, so nothing here needs a lock.
 *
 *   main.c     start-up, the modes (interactive, -c, script), the loop
 *   parse.c    lexer and parser: a line -> struct sh_list
 *   expand.c   words -> fields ($VAR, quotes), shell variables
 *   exec.c     running lists, pipelines and redirections (posix_spawnp)
 *   io.c       how each child gets fds 0-2 (console, inherit, relay)
 *   jobs.c     the job table, waiting, the console's foreground group
 *   edit.c     the line editor (raw mode, history), complete.c its tab
 *   builtins.c shell builtins and help, cmds.c the system commands
 */
#ifndef SH_H
#define SH_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <keel/abi.h>

#define SH_PROMPT "keel> "
/* The longest line the editor takes; a 600-character line fits. */
#define SH_LINE_MAX 4096
#define SH_HIST_MAX 64 /* history ring entries */
#define SH_JOBS_MAX 16
#define SH_PIPE_MAX 16 /* commands in one pipeline */

/* Error messages go to stderr, after anything pending on stdout. */
#define sh_err(...)                                                            \
    do {                                                                       \
        fflush(stdout);                                                        \
        fprintf(stderr, __VA_ARGS__);                                          \
        fflush(stderr);                                                        \
    } while (0)

/* ---- the parse tree (parse.c); words stay raw until expanded ---- */

enum sh_redir_op {
    RD_IN,     /* n<file  (n defaults to 0) */
    RD_OUT,    /* n>file  (n defaults to 1) */
    RD_APPEND, /* n>>file */
    RD_DUP,    /* n>&m, n<&m; word "-" closes n */
};

struct sh_redir {
    int fd;
    enum sh_redir_op op;
    char *word; /* raw */
};

struct sh_cmd {
    int nwords;
    char **words; /* raw */
    int nredirs;
    struct sh_redir *redirs;
};

enum sh_conn { C_END, C_AND, C_OR }; /* what joins a pipeline to the next */

struct sh_pipeline {
    int ncmds;
    struct sh_cmd *cmds;
    enum sh_conn conn;
};

struct sh_andor {
    int npipes;
    struct sh_pipeline *pipes;
    int bg;          /* ended by '&' */
    const char *src; /* the source text, for `jobs` and sh -c */
    size_t srclen;
};

struct sh_list {
    int n;
    struct sh_andor *items;
};

/* Parses line into *out (memory from the arena, freed by sh_arena_reset).
 * Returns 0, or -1 after printing a syntax error. */
int sh_parse(const char *line, struct sh_list *out);
void *sh_alloc(size_t n);
char *sh_strndup(const char *s, size_t n);
void sh_arena_reset(void);

/* ---- expansion and variables (expand.c) ---- */

struct sh_fields {
    int n, cap;
    char **v; /* arena strings, v[n] == NULL */
};
/* Expands raw word w (quotes, backslash, $...), appending fields to f.
 * Unquoted expansions are split on blanks. */
void sh_expand(const char *w, struct sh_fields *f);
/* The word expanded to one string (redirection targets). */
char *sh_expand1(const char *w);
const char *sh_var_get(const char *name);
int sh_var_set(const char *name, const char *value, int export);
void sh_var_export(const char *name);
void sh_var_unset(const char *name);
void sh_var_import(char **envp);
/* The environment for a child: exported variables plus assign[] (NAME=V
 * strings, overriding). Also stored in environ (posix_spawnp's PATH).
 * Arena memory. */
char **sh_env_build(char **assign, int nassign);
int sh_is_assignment(const char *w);
void sh_vars_print(int exported_only);

/* ---- shell state (main.c) ---- */

struct sh_state {
    int status;      /* $? */
    int interactive; /* reading the console with the editor */
    int jobctl;      /* process groups and the console's foreground */
    int argc;        /* positional parameters: $0 $1 ... $# */
    char **argv;
    pid_t pgid;    /* the shell's own group */
    pid_t last_bg; /* $!: the last background job's last process */
    /* Containment (exec.c sh_contain): the interactive shell runs
     * SCHED_FIFO at its ceiling, its children at what the shell had,
     * with a ceiling one below the shell's. */
    int contained;
    int child_policy, child_prio, child_ceiling;
};
extern struct sh_state sh;

/* Runs one line of source: parse, execute. Returns $?. */
int sh_run_string(const char *src);
/* Leaves the shell with status (flushes, joins the relays). */
void sh_exit(int status) __attribute__((noreturn));

/* ---- execution (exec.c) ---- */

int sh_run_list(struct sh_list *l);
/* The interactive shell above every program it starts (docs/realtime.md
 * "Containment of runaway threads"). */
void sh_contain(void);

/* ---- child stdio (io.c) ---- */

/* Start-up: decides for fds 0-2 how children get them; marks every
 * other fd close-on-exec. */
void sh_io_init(void);
/* Adds the actions giving a child fd n (0-2) from the shell's own fd n. */
int sh_io_stdio_action(void *fa, int n);
/* Waits for the output relays to drain (before exiting). */
void sh_io_finish(void);
/* The relay threads to the shell's own policy and priority. */
void sh_io_relays_sched(int policy, int prio);
/* fd is the console (same inode as /dev/console). */
int sh_io_is_console(int fd);
int sh_cloexec(int fd, int on);

/* ---- jobs (jobs.c) ---- */

struct sh_job {
    int id; /* %N; 0: slot free */
    pid_t pgid;
    int npids;
    pid_t pids[SH_PIPE_MAX];
    int st[SH_PIPE_MAX]; /* wait statuses */
    unsigned done;       /* bit i: pids[i] reaped */
    int bg;
    int notified;
    char cmd[80];
};

struct sh_job *sh_job_new(const char *src, size_t len, int bg);
void sh_job_add_pid(struct sh_job *j, pid_t pid);
/* A stage that could not start: counts as exited with code. */
void sh_job_add_failed(struct sh_job *j, int code);
/* Gives the job the console (when job control is on), waits for every
 * process in it, takes the console back, frees the job; returns the
 * status of its last command (128 + signal when killed). */
int sh_job_wait_fg(struct sh_job *j);
/* Reaps finished children without blocking; prints "Done" lines when
 * report. */
void sh_jobs_poll(int report);
struct sh_job *sh_job_find(const char *spec); /* %N, N, PID; NULL: last */
void sh_jobs_list(void);
int sh_job_status(const struct sh_job *j);
void sh_job_free(struct sh_job *j);
int sh_wait_all(void);
int sh_wait_one(struct sh_job *j);
int sh_job_count(void);

/* ---- terminal (edit.c) ---- */

/* Reads one line with the editor (interactive) or plainly. Returns a
 * malloc'ed line without its newline, or NULL at end of input. */
char *sh_readline(const char *prompt);
void sh_tty_raw(void);    /* editor mode: no ICANON, ECHO, ISIG */
void sh_tty_cooked(void); /* the mode the shell found at start */
void sh_tty_held(void);   /* cooked but no ISIG: a line read, job not started */
int sh_tty_ok(void);      /* the terminal calls work */
int sh_tty_fd(void);      /* the fd for them */
void sh_hist_add(const char *line);

/* complete.c: tab completion of the word before buf[pos]. Returns 1
 * with the text to insert in ins, 2 after listing the choices on outfd
 * (the caller redraws its line), 0 when nothing matches. */
int sh_complete(const char *buf, size_t pos, char *ins, size_t inscap,
                int outfd);

/* ---- builtins (builtins.c, cmds.c) ---- */

struct sh_builtin {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
    int sys_read; /* needs the system cap (READ) when run as a child */
};
const struct sh_builtin *sh_builtin_find(const char *name);
extern const struct sh_builtin sh_builtins[];
extern const int sh_nbuiltins;

int sh_cmd_ps(int argc, char **argv);
int sh_cmd_kill(int argc, char **argv);
int sh_cmd_free(int argc, char **argv);
int sh_cmd_uptime(int argc, char **argv);
int sh_cmd_date(int argc, char **argv);
int sh_cmd_caps(int argc, char **argv);
int sh_cmd_ls(int argc, char **argv);
int sh_cmd_rm(int argc, char **argv);
int sh_cmd_mkdir(int argc, char **argv);
int sh_cmd_rmdir(int argc, char **argv);

#endif
