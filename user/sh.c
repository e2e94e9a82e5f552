/*
 * /bin/sh: Keel's small shell. Reads a line, splits it into words (double
 * quotes group words), runs a builtin or spawns /bin/<word>. The shell's
 * fds 0-2 carry GRANT, so children inherit them without file actions.
 * The shell holds init's system cap (ps, poweroff) but does not pass it
 * on: programs it starts cannot power off, list processes or read the
 * kernel counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <keel/sys.h>

#define LINE_MAX_LEN 512
#define MAX_ARGS 32
#define PROMPT "keel> "

/* Error messages go to stderr, after anything pending on stdout. */
#define err(...)                                                               \
    do {                                                                       \
        fflush(stdout);                                                        \
        fprintf(stderr, __VA_ARGS__);                                          \
    } while (0)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Splits s in place into argv (NULL-terminated). A double-quoted part
 * may hold blanks; inside quotes \" and \\ stand for " and \.
 * Returns argc, or -1 after printing an error.
 */
static int parse(char *s, char **argv, int max)
{
    int argc = 0;
    char *r = s, *w = s; /* w never passes r: unquoting only shrinks */

    for (;;) {
        while (is_space(*r))
            r++;
        if (!*r)
            break;
        if (argc == max) {
            err("sh: too many arguments (at most %d)\n", max);
            return -1;
        }
        argv[argc++] = w;
        int quoted = 0;
        while (*r) {
            char c = *r;
            if (quoted) {
                if (c == '"') {
                    quoted = 0;
                    r++;
                    continue;
                }
                if (c == '\\' && (r[1] == '"' || r[1] == '\\'))
                    c = *++r;
            } else {
                if (is_space(c))
                    break;
                if (c == '"') {
                    quoted = 1;
                    r++;
                    continue;
                }
            }
            *w++ = c;
            r++;
        }
        if (quoted) {
            err("sh: unterminated quote\n");
            return -1;
        }
        if (*r)
            r++; /* step over the separator before w may overwrite it */
        *w++ = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

static int builtin_help(int argc, char **argv);

static int builtin_ls(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/";
    struct keel_dirent d;

    for (int i = 0;; i++) {
        int r = keel_readdir(path, i, &d);
        if (r == 0)
            break;
        if (r < 0) {
            err("ls: %s: %s\n", path, strerror(errno));
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
    return 0;
}

/* Writes all of buf to fd 1; -1 on error. */
static int write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int builtin_cat(int argc, char **argv)
{
    static char buf[512];
    int status = 0;

    if (argc < 2) {
        err("usage: cat file...\n");
        return 1;
    }
    fflush(stdout); /* the copies below bypass stdio */
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            err("cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        for (;;) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                err("cat: %s: %s\n", argv[i], strerror(errno));
                status = 1;
                break;
            }
            if (n == 0)
                break;
            if (write_all(buf, (size_t)n) < 0) {
                err("cat: write: %s\n", strerror(errno));
                status = 1;
                break;
            }
        }
        close(fd);
    }
    return status;
}

static int builtin_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", i > 1 ? " " : "", argv[i]);
    printf("\n");
    return 0;
}

static int builtin_ps(int argc, char **argv)
{
    struct keel_procinfo p;
    (void)argc;
    (void)argv;

    printf("PID PPID THR STATE NAME\n");
    for (int i = 0;; i++) {
        int r = keel_procinfo(i, &p);
        if (r == 0)
            break;
        if (r < 0) {
            err("ps: %s\n", strerror(errno));
            return 1;
        }
        p.name[KEEL_NAME_MAX] = '\0';
        printf("%3d %4d %3d %-5s %s\n", (int)p.pid, (int)p.ppid,
               (int)p.nthreads, p.state == 1 ? "zomb" : "run", p.name);
    }
    return 0;
}

static int builtin_poweroff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fflush(NULL);
    /* The raw call: refused (no system cap), the shell carries on. */
    long r = keel_syscall6(SYS_poweroff, 0, 0, 0, 0, 0, 0);
    err("poweroff: %s\n", strerror((int)-r));
    return 1;
}

static int builtin_rm(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (unlink(argv[i]) < 0) {
            err("rm: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
        }
    }
    return rc;
}

static int builtin_exit(int argc, char **argv)
{
    exit(argc > 1 ? (int)strtol(argv[1], NULL, 10) : 0);
}

static const struct builtin {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} builtins[] = {
    {"help", builtin_help, "list the builtins"},
    {"ls", builtin_ls, "ls [dir]: list a directory (default /)"},
    {"cat", builtin_cat, "cat file...: print files"},
    {"echo", builtin_echo, "echo args...: print the arguments"},
    {"rm", builtin_rm, "rm file...: remove files"},
    {"ps", builtin_ps, "list processes"},
    {"poweroff", builtin_poweroff, "power the machine off"},
    {"exit", builtin_exit, "exit [n]: leave the shell with status n"},
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static int builtin_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("Builtins:\n");
    for (size_t i = 0; i < NBUILTINS; i++)
        printf("  %-9s %s\n", builtins[i].name, builtins[i].help);
    printf("Any other word runs a program: /bin/<word>, or the path given.\n");
    return 0;
}

/* Spawns argv[0] (from /bin unless it holds a '/') and waits for it. */
static int run(char **argv)
{
    char path[KEEL_PATH_MAX];
    const char *name = argv[0];

    if (strchr(name, '/')) {
        if (strlen(name) >= sizeof(path)) {
            err("sh: %s: %s\n", name, strerror(ENAMETOOLONG));
            return 127;
        }
        strcpy(path, name);
    } else if (snprintf(path, sizeof(path), "/bin/%s", name) >=
               (int)sizeof(path)) {
        err("sh: %s: %s\n", name, strerror(ENAMETOOLONG));
        return 127;
    }

    fflush(NULL); /* the child writes to the same console */
    pid_t pid;
    int e = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    if (e < 0) /* tolerate a libc that returns -1 and sets errno */
        e = errno;
    if (e) {
        err("sh: %s: %s\n", name, strerror(e));
        return 127;
    }

    int st;
    pid_t r;
    do {
        r = waitpid(pid, &st, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        err("sh: waitpid: %s\n", strerror(errno));
        return 1;
    }
    if (WIFSIGNALED(st)) {
        err("%s: killed by signal %d\n", name, WTERMSIG(st));
        return 128 + WTERMSIG(st);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void execute(char *line)
{
    char *argv[MAX_ARGS + 1];
    int argc = parse(line, argv, MAX_ARGS);

    if (argc <= 0)
        return;
    for (size_t i = 0; i < NBUILTINS; i++) {
        if (strcmp(argv[0], builtins[i].name) == 0) {
            builtins[i].fn(argc, argv);
            return;
        }
    }
    run(argv);
}

int main(void)
{
    static char line[LINE_MAX_LEN];

    /* Unbuffered input: read no further than the current line, so a
     * child reading fd 0 sees the rest of the input. */
    setvbuf(stdin, NULL, _IONBF, 0);

    for (;;) {
        fputs(PROMPT, stdout);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
            exit(0);
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            /* Over-long line: keep the start, drop the rest. */
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
        }
        execute(line);
        fflush(stdout);
    }
}
