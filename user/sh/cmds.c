/*
 * /bin/sh system commands: ps, kill, free/mem, uptime, date, caps, ls,
 * rm, mkdir, rmdir. Each uses only the authority the shell holds: the
 * system cap (ps, free, uptime's hart count: READ), process caps for
 * its own children (kill, caps PID). Main thread only (sh.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sys.h>

#include "sh.h"

/* ---- ps ---- */

static const char *policy_name(int p)
{
    switch (p) {
    case KEEL_SCHED_FIFO:
        return "FIFO";
    case KEEL_SCHED_RR:
        return "RR";
    case KEEL_SCHED_OTHER:
        return "OTHER";
    case KEEL_SCHED_DEADLINE:
        return "DEADLINE";
    default:
        return "?";
    }
}

int sh_cmd_ps(int argc, char **argv)
{
    struct keel_threadinfo t;
    int r = keel_threadinfo(0, &t);
    if (r < 0) {
        sh_err("ps: %s%s\n", strerror(errno),
               errno == EPERM ? " (needs the system cap)" : "");
        return 1;
    }
    printf("  PID  TID PGID NAME             POLICY   PRI CEIL STATE"
           "            HART       CPU\n");
    for (int i = 0; r != 0; r = keel_threadinfo(++i, &t)) {
        if (r < 0) {
            sh_err("ps: %s\n", strerror(errno));
            return 1;
        }
        t.name[KEEL_NAME_MAX] = '\0';
        t.wchan[KEEL_NAME_MAX] = '\0';
        char state[40];
        switch (t.state) {
        case KEEL_TSTATE_RUNNING:
            snprintf(state, sizeof(state), "running");
            break;
        case KEEL_TSTATE_READY:
            snprintf(state, sizeof(state), "ready");
            break;
        case KEEL_TSTATE_SLEEPING:
            snprintf(state, sizeof(state), "sleeping");
            break;
        case KEEL_TSTATE_BLOCKED:
            snprintf(state, sizeof(state), "wait:%.11s", t.wchan);
            break;
        case KEEL_TSTATE_EXITED:
            snprintf(state, sizeof(state), "exited");
            break;
        default:
            snprintf(state, sizeof(state), "?%d", (int)t.state);
        }
        char hart[8];
        if (t.hart < 0)
            snprintf(hart, sizeof(hart), "-");
        else
            snprintf(hart, sizeof(hart), "%d", (int)t.hart);
        unsigned long ms = (unsigned long)(t.cpu_ns / 1000000u);
        printf("%5d %4d %4d %-16.16s %-8s %3d %4d %-16s %4s %5lu.%03lu\n",
               (int)t.pid, (int)t.tid, (int)t.pgid, t.name,
               policy_name(t.policy), (int)t.priority, (int)t.ceiling, state,
               hart, ms / 1000, ms % 1000);
    }
    return 0;
}

/* ---- kill ---- */

static const struct {
    const char *name;
    int sig;
} signames[] = {
    {"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"ILL", 4},   {"TRAP", 5},
    {"ABRT", 6},  {"BUS", 7},   {"FPE", 8},   {"KILL", 9},  {"USR1", 10},
    {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15},
};
#define NSIGNAMES (int)(sizeof(signames) / sizeof(signames[0]))

/* "9", "KILL", "SIGKILL", "kill" -> 9; -1 if unknown. */
static int parse_sig(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (!*end && end != s)
        return n > 0 && n < 64 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 0; i < NSIGNAMES; i++)
        if (strcasecmp(s, signames[i].name) == 0)
            return signames[i].sig;
    return -1;
}

static int kill_one(pid_t pid, int sig, const char *arg)
{
    if (kill(pid, sig) == 0)
        return 0;
    if (errno == EPERM)
        sh_err("kill: %s: not permitted: the shell holds no process cap "
               "for it (only for the programs it started)\n",
               arg);
    else if (errno == ESRCH)
        sh_err("kill: %s: no such process\n", arg);
    else
        sh_err("kill: %s: %s\n", arg, strerror(errno));
    return 1;
}

int sh_cmd_kill(int argc, char **argv)
{
    int sig = SIGTERM, i = 1;
    if (argc > 1 && strcmp(argv[1], "-l") == 0) {
        for (int k = 0; k < NSIGNAMES; k++)
            printf("%2d %s\n", signames[k].sig, signames[k].name);
        return 0;
    }
    if (argc > 1 && argv[1][0] == '-' && argv[1][1]) {
        const char *s = argv[1] + 1;
        if (strcmp(s, "s") == 0 && argc > 2) /* kill -s NAME */
            s = argv[++i];
        sig = parse_sig(s);
        if (sig < 0) {
            sh_err("kill: %s: unknown signal (kill -l lists them)\n", s);
            return 2;
        }
        i++;
    }
    if (i >= argc) {
        sh_err("usage: kill [-SIG|-NAME] PID|%%N...\n");
        return 2;
    }
    int rc = 0;
    for (; i < argc; i++) {
        if (argv[i][0] == '%') {
            struct sh_job *j = sh_job_find(argv[i]);
            if (!j) {
                sh_err("kill: %s: no such job\n", argv[i]);
                rc = 1;
                continue;
            }
            for (int k = 0; k < j->npids; k++)
                if (j->pids[k] > 0 && !(j->done & (1u << k)))
                    rc |= kill_one(j->pids[k], sig, argv[i]);
            continue;
        }
        char *end;
        long pid = strtol(argv[i], &end, 10);
        if (*end || end == argv[i] || pid <= 0) {
            sh_err("kill: %s: not a process id\n", argv[i]);
            rc = 1;
            continue;
        }
        rc |= kill_one((pid_t)pid, sig, argv[i]);
    }
    return rc;
}

/* ---- free / mem, uptime, date ---- */

static const char *const pool_names[KEEL_POOL_N] = {
    "procs",  "threads", "files", "pipes",
    "inodes", "delegs",  "pages", "objects",
};

int sh_cmd_free(int argc, char **argv)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0) {
        sh_err("%s: %s (needs the system cap)\n", argv[0], strerror(errno));
        return 1;
    }
    struct keel_quota q;
    int have_q = keel_quota_info(0, &q) == 0;
    uint64_t total = k.pool_max[KEEL_POOL_PAGES];
    printf("pages: %lu total, %lu used, %lu free (%lu KiB free)\n",
           (unsigned long)total, (unsigned long)(total - k.free_pages),
           (unsigned long)k.free_pages, (unsigned long)(k.free_pages * 4));
    printf("%-8s %8s %8s %12s %12s\n", "POOL", "USED", "MAX", "SHELL-USED",
           "SHELL-QUOTA");
    for (int i = 0; i < KEEL_POOL_N; i++) {
        printf("%-8s %8lu %8lu", pool_names[i], (unsigned long)k.pool_used[i],
               (unsigned long)k.pool_max[i]);
        if (have_q)
            printf(" %12lu %12lu", (unsigned long)q.used[i],
                   (unsigned long)q.limit[i]);
        printf("\n");
    }
    return 0;
}

int sh_cmd_uptime(int argc, char **argv)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
        sh_err("uptime: %s\n", strerror(errno));
        return 1;
    }
    long s = (long)ts.tv_sec;
    printf("up %ld:%02ld:%02ld (%ld.%03ld s)", s / 3600, s / 60 % 60, s % 60, s,
           (long)ts.tv_nsec / 1000000);
    struct keel_kstat k;
    if (keel_kstat(&k) == 0)
        printf(", %u harts, %u processes", k.harts_online, k.procs_in_use);
    printf("\n");
    return 0;
}

int sh_cmd_date(int argc, char **argv)
{
    struct timespec ts;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
        sh_err("date: %s\n", strerror(errno));
        return 1;
    }
    time_t t = (time_t)ts.tv_sec;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%a %Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%s\n", buf);
    return 0;
}

/* ---- caps ---- */

static const char *cap_type_name(int t)
{
    static const char *const n[] = {
        "none",   "fd",     "thread",   "process", "delegate",
        "timer",  "mutex",  "condvar",  "sem",     "barrier",
        "rwlock", "mqueue", "endpoint", "system",
    };
    return t >= 0 && t < (int)(sizeof(n) / sizeof(n[0])) ? n[t] : "?";
}

int sh_cmd_caps(int argc, char **argv)
{
    pid_t pid = 0; /* 0: the shell itself */
    if (argc > 1) {
        char *end;
        pid = (pid_t)strtol(argv[1], &end, 10);
        if (*end || end == argv[1] || pid < 0) {
            sh_err("caps: %s: not a process id\n", argv[1]);
            return 2;
        }
        if (pid == getpid())
            pid = 0;
    }
    struct cap_info ci;
    const char *who = argc > 1 ? argv[1] : "self";
    int shown = 0;
    for (int slot = 0; slot < CAP_SLOTS; slot++) {
        int r = keel_cap_list(pid, slot, &ci);
        if (r < 0 && errno == EPERM) {
            sh_err("caps: %s: the shell holds no process cap for it (only "
                   "for the programs it started)\n",
                   who);
            return 1;
        }
        if (r < 0) {
            sh_err("caps: %s: %s\n", who, strerror(errno));
            return 1;
        }
        if (r == 0)
            continue;
        if (!shown++)
            printf("SLOT TYPE     RIGHTS DELEG        GEN  OBJECT\n");
        char rights[5] = "----";
        if (ci.rights & CAP_RIGHT_READ)
            rights[0] = 'r';
        if (ci.rights & CAP_RIGHT_WRITE)
            rights[1] = 'w';
        if (ci.rights & CAP_RIGHT_EXEC)
            rights[2] = 'x';
        if (ci.rights & CAP_RIGHT_GRANT)
            rights[3] = 'g';
        printf("%4d %-8s %-6s %-5s %10lu %7lu%s\n", slot,
               cap_type_name(ci.type), rights, ci.delegated ? "yes" : "no",
               (unsigned long)ci.generation, (unsigned long)ci.object,
               ci.cloexec ? " cloexec" : "");
    }
    return 0;
}

/* ---- files ---- */

static int ls_one(const char *path, int header)
{
    struct keel_dirent d;
    if (header)
        printf("%s:\n", path);
    for (int i = 0;; i++) {
        int r = keel_readdir(path, i, &d);
        if (r == 0)
            return 0;
        if (r < 0) {
            sh_err("ls: %s: %s\n", path, strerror(errno));
            return 1;
        }
        d.name[KEEL_NAME_MAX] = '\0';
        if (d.kind == KEEL_NODE_DIR)
            printf("%s/\n", d.name);
        else if (d.kind == KEEL_NODE_FILE)
            printf("%-32s %lu\n", d.name, (unsigned long)d.size);
        else
            printf("%s\n", d.name);
    }
}

int sh_cmd_ls(int argc, char **argv)
{
    if (argc < 2)
        return ls_one(".", 0);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= ls_one(argv[i], argc > 2);
    return rc;
}

static int each_path(int argc, char **argv, int (*fn)(const char *))
{
    int rc = 0;
    if (argc < 2) {
        sh_err("usage: %s path...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (fn(argv[i]) < 0) {
            sh_err("%s: %s: %s\n", argv[0], argv[i], strerror(errno));
            rc = 1;
        }
    }
    return rc;
}

int sh_cmd_rm(int argc, char **argv)
{
    return each_path(argc, argv, unlink);
}

static int mkdir1(const char *path)
{
    return mkdir(path, 0777);
}

int sh_cmd_mkdir(int argc, char **argv)
{
    return each_path(argc, argv, mkdir1);
}

int sh_cmd_rmdir(int argc, char **argv)
{
    return each_path(argc, argv, rmdir);
}
