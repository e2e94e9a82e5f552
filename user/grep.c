/*
 * /bin/grep [-v] [-c] STRING [FILE...]: prints the lines that hold STRING
 * (a fixed string, no patterns); -v the others, -c only their count.
 * Exits 0 if a line was selected, 1 if none, 2 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int invert, count_only, nfiles;
static const char *needle;
static unsigned long selected;

static void line_done(char *line, size_t len, const char *name)
{
    line[len] = '\0';
    if ((strstr(line, needle) != NULL) == invert)
        return;
    selected++;
    if (!count_only) {
        if (nfiles > 1)
            printf("%s:", name);
        printf("%s\n", line);
    }
}

static int scan(int fd, const char *name)
{
    static char buf[1024];
    size_t len = 0, cap = 256;
    char *line = malloc(cap);
    if (!line)
        return 2;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "grep: %s: %s\n", name, strerror(errno));
            free(line);
            return 2;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                line_done(line, len, name);
                len = 0;
                continue;
            }
            if (len + 2 > cap) {
                char *nl = realloc(line, cap * 2);
                if (!nl) {
                    free(line);
                    return 2;
                }
                line = nl;
                cap *= 2;
            }
            line[len++] = buf[i];
        }
    }
    if (len)
        line_done(line, len, name);
    free(line);
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1, rc = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-v") == 0)
            invert = 1;
        else if (strcmp(argv[i], "-c") == 0)
            count_only = 1;
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: grep [-v] [-c] STRING [FILE...]\n");
        return 2;
    }
    needle = argv[i++];
    nfiles = argc - i;
    if (nfiles == 0) {
        rc = scan(0, "stdin");
    }
    for (; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "grep: %s: %s\n", argv[i], strerror(errno));
            rc = 2;
            continue;
        }
        if (scan(fd, argv[i]))
            rc = 2;
        close(fd);
    }
    if (count_only)
        printf("%lu\n", selected);
    if (rc)
        return rc;
    return selected ? 0 : 1;
}
