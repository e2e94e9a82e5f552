/* keel-exec test (exec_console_bulk_order): 64 KiB through the console's
 * transmit ring arrive whole and in order. 1024 numbered lines of 64
 * bytes: the first half in one 32 KiB write (the ring holds 4 KiB: the
 * writer sleeps on it many times), then /bin/crash, whose own line and
 * the kernel's "killed by signal 11" line (printk, through the same ring)
 * must come right there, then the second half in 1 KiB writes, then a
 * last line without a newline just before exit status 5 (poweroff must
 * flush the ring). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINES 1024
#define LINE 64

extern char **environ;

static char text[LINES * LINE];

static int put(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(1, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(void)
{
    for (int i = 0; i < LINES; i++) {
        char *l = text + i * LINE;
        snprintf(l, 6, "%04d ", i);
        for (int j = 0; j < LINE - 6; j++)
            l[5 + j] = (char)('a' + (i + j) % 26);
        l[LINE - 1] = '\n';
    }
    size_t half = sizeof(text) / 2;
    if (put(text, half))
        return 1;
    pid_t pid;
    char *argv[] = {"/bin/crash", NULL};
    int st;
    if (posix_spawn(&pid, "/bin/crash", NULL, NULL, argv, environ) ||
        waitpid(pid, &st, 0) != pid)
        return 2;
    for (size_t off = half; off < sizeof(text); off += 1024)
        if (put(text + off, 1024))
            return 3;
    if (put("end", 3))
        return 4;
    return 5;
}
