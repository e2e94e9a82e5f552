/*
 * /bin/sh builtins that change or report the shell's own state (cd, pwd,
 * echo, export, unset, jobs, fg, wait, exit, poweroff, help) and the
 * table of every builtin (the system commands live in cmds.c). Main
 * thread only (sh.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/sys.h>

#include "sh.h"

static int b_help(int argc, char **argv);

static int b_cd(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : sh_var_get("HOME");
    if (!dir || !*dir)
        dir = "/";
    if (chdir(dir) < 0) {
        sh_err("cd: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char buf[KEEL_PATH_MAX];
    if (getcwd(buf, sizeof(buf)))
        sh_var_set("PWD", buf, 0);
    return 0;
}

static int b_pwd(int argc, char **argv)
{
    char buf[KEEL_PATH_MAX];
    if (!getcwd(buf, sizeof(buf))) {
        sh_err("pwd: %s\n", strerror(errno));
        return 1;
    }
    printf("%s\n", buf);
    return 0;
}

static int b_echo(int argc, char **argv)
{
    int i = 1, nl = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        nl = 0;
        i++;
    }
    for (int first = i; i < argc; i++)
        printf("%s%s", i > first ? " " : "", argv[i]);
    if (nl)
        printf("\n");
    return 0;
}

static int b_export(int argc, char **argv)
{
    if (argc == 1) {
        sh_vars_print(1);
        return 0;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq && !sh_is_assignment(argv[i])) {
            sh_err("export: %s: not a valid name\n", argv[i]);
            rc = 1;
        } else if (eq) {
            *eq = '\0';
            sh_var_set(argv[i], eq + 1, 1);
            *eq = '=';
        } else {
            sh_var_export(argv[i]);
        }
    }
    return rc;
}

static int b_unset(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        sh_var_unset(argv[i]);
    return 0;
}

static int b_set(int argc, char **argv)
{
    sh_vars_print(0);
    return 0;
}

static int b_jobs(int argc, char **argv)
{
    sh_jobs_list();
    return 0;
}

static int b_fg(int argc, char **argv)
{
    sh_jobs_poll(0);
    struct sh_job *j = sh_job_find(argc > 1 ? argv[1] : NULL);
    if (!j) {
        sh_err("fg: %s: no such job\n", argc > 1 ? argv[1] : "current");
        return 1;
    }
    printf("%s\n", j->cmd);
    return sh_job_wait_fg(j);
}

static int b_wait(int argc, char **argv)
{
    if (argc == 1)
        return sh_wait_all();
    int st = 0;
    for (int i = 1; i < argc; i++) {
        struct sh_job *j = sh_job_find(argv[i]);
        if (!j) {
            sh_err("wait: %s: no such job or child of this shell\n", argv[i]);
            st = 127;
            continue;
        }
        st = sh_wait_one(j);
    }
    return st;
}

static int b_exit(int argc, char **argv)
{
    int st = sh.status;
    if (argc > 1) {
        char *end;
        st = (int)strtol(argv[1], &end, 10);
        if (*end || end == argv[1]) {
            sh_err("exit: %s: numeric argument required\n", argv[1]);
            st = 2;
        }
    }
    sh_exit(st & 0xff);
}

static int b_poweroff(int argc, char **argv)
{
    int st = argc > 1 ? atoi(argv[1]) : 0;
    fflush(NULL);
    long r = keel_syscall6(SYS_poweroff, st, 0, 0, 0, 0, 0);
    /* refused (no system cap with WRITE): the shell carries on */
    sh_err("poweroff: %s\n", strerror((int)-r));
    return 1;
}

static int b_true(int argc, char **argv)
{
    return 0;
}

const struct sh_builtin sh_builtins[] = {
    {"help", b_help, "list the commands, one line each", 0},
    {"cd", b_cd, "cd [dir]: change the working directory (default $HOME)", 0},
    {"pwd", b_pwd, "print the working directory", 0},
    {"echo", b_echo, "echo [-n] args...: print the arguments", 0},
    {"export", b_export, "export [NAME[=value]]...: pass to programs", 0},
    {"unset", b_unset, "unset NAME...: forget shell variables", 0},
    {"set", b_set, "list the shell variables", 0},
    {"jobs", b_jobs, "list the background jobs", 0},
    {"fg", b_fg, "fg [%N]: bring a job to the foreground", 0},
    {"wait", b_wait, "wait [%N|PID]...: wait for jobs (default: all)", 0},
    {"exit", b_exit, "exit [N]: leave the shell with status N", 0},
    {"poweroff", b_poweroff, "poweroff [N]: power off (QEMU exits with N)", 0},
    {":", b_true, "do nothing, successfully", 0},
    {"ps", sh_cmd_ps,
     "one row per thread: pid, tid, policy, state, hart, "
     "CPU time",
     1},
    {"kill", sh_cmd_kill, "kill [-SIG|-NAME] PID|%N...: signal a process", 0},
    {"free", sh_cmd_free,
     "memory pages and every kernel pool: used, quota, "
     "max",
     1},
    {"mem", sh_cmd_free, "the same as free", 1},
    {"uptime", sh_cmd_uptime, "time since boot", 1},
    {"date", sh_cmd_date, "the date and time (CLOCK_REALTIME, UTC)", 0},
    {"caps", sh_cmd_caps, "caps [PID]: a process's capability table", 0},
    {"ls", sh_cmd_ls, "ls [dir...]: list directories", 0},
    {"rm", sh_cmd_rm, "rm file...: remove files", 0},
    {"mkdir", sh_cmd_mkdir, "mkdir dir...: make directories", 0},
    {"rmdir", sh_cmd_rmdir, "rmdir dir...: remove empty directories", 0},
};
const int sh_nbuiltins = sizeof(sh_builtins) / sizeof(sh_builtins[0]);

const struct sh_builtin *sh_builtin_find(const char *name)
{
    for (int i = 0; i < sh_nbuiltins; i++)
        if (strcmp(sh_builtins[i].name, name) == 0)
            return &sh_builtins[i];
    return NULL;
}

/* One line per /bin program that is not also a builtin. */
static const struct {
    const char *name, *help;
} programs[] = {
    {"cat", "cat [file...]: print files or stdin"},
    {"wc", "wc [file...]: count lines, words and bytes"},
    {"grep", "grep [-v] [-c] STRING [file...]: lines holding STRING"},
    {"sleep", "sleep SECONDS: wait (fractions allowed)"},
    {"true", "exit 0"},
    {"false", "exit 1"},
    {"hello", "a first program: stdio, malloc, argv"},
    {"sh", "sh [-c STRING | FILE]: a shell"},
    {"utest", "the user test suite (gets the system cap: KEEL_SYSCAP)"},
    {"bench", "instruction counts per operation (KEEL_SYSCAP)"},
    {"crash", "crash MODE: a program that faults, for the tests"},
    {"spin", "spin [N]: N SCHED_FIFO threads spinning at the top allowed "
             "priority (^C or kill ends them)"},
};

static int b_help(int argc, char **argv)
{
    printf("Builtins:\n");
    for (int i = 0; i < sh_nbuiltins; i++)
        printf("  %-9s %s\n", sh_builtins[i].name, sh_builtins[i].help);
    printf("Programs in /bin:\n");
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
        printf("  %-9s %s\n", programs[i].name, programs[i].help);
    printf("Syntax: a | b, < > >> 2>&1 n>file, &, ;, &&, ||, '...', "
           "\"...\", \\, $VAR ${VAR} $? $$, NAME=value.\n"
           "Keys: up/down history, left/right/home/end, tab completes, "
           "^C cancels.\n");
    return 0;
}
