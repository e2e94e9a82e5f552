/* keel-exec test: the image holds the standard /bin programs, and the
 * app may spawn them: /bin/true, and the shell (a multi-file program,
 * user/sh/) running a command line that spawns /bin/true in turn. */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

static int run(const char *path, char *arg1, char *arg2)
{
    pid_t pid;
    char *argv[] = {(char *)path, arg1, arg2, NULL};
    int err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    if (err) {
        printf("spawn %s: error %d\n", path, err);
        return -1;
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        printf("waitpid %s failed\n", path);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
    int t = run("/bin/true", NULL, NULL);
    printf("true -> %d\n", t);
    int s = run("/bin/sh", "-c", "/bin/true && exit 4");
    printf("sh -> %d\n", s);
    return t == 0 && s == 4 ? 0 : 1;
}
