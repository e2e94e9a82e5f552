/* keel-exec test: the image holds the standard /bin programs, and the
 * app may spawn them (/bin/true, and /bin/hello for some output). */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

static int run(const char *path)
{
    pid_t pid;
    char *argv[] = {(char *)path, NULL};
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
    int t = run("/bin/true");
    printf("true -> %d\n", t);
    return t;
}
