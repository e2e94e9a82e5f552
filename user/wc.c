/* /bin/wc [-l|-w|-c] [FILE...]: counts lines, words and bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int only; /* 0 all, else 'l', 'w' or 'c' */

static void show(unsigned long l, unsigned long w, unsigned long c,
                 const char *name)
{
    if (only == 'l')
        printf("%lu", l);
    else if (only == 'w')
        printf("%lu", w);
    else if (only == 'c')
        printf("%lu", c);
    else
        printf("%7lu %7lu %7lu", l, w, c);
    printf("%s%s\n", name ? " " : "", name ? name : "");
}

static int count(int fd, const char *name, unsigned long t[3])
{
    static char buf[1024];
    unsigned long l = 0, w = 0, c = 0;
    int inword = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "wc: %s: %s\n", name ? name : "stdin",
                    strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            char ch = buf[i];
            c++;
            if (ch == '\n')
                l++;
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
                inword = 0;
            } else if (!inword) {
                inword = 1;
                w++;
            }
        }
    }
    show(l, w, c, name);
    t[0] += l;
    t[1] += w;
    t[2] += c;
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1, rc = 0;
    unsigned long t[3] = {0, 0, 0};
    if (i < argc && argv[i][0] == '-' && strchr("lwc", argv[i][1]) &&
        argv[i][1] && !argv[i][2])
        only = argv[i++][1];
    if (i == argc)
        return count(0, NULL, t);
    int nfiles = argc - i;
    for (; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        rc |= count(fd, argv[i], t);
        close(fd);
    }
    if (nfiles > 1)
        show(t[0], t[1], t[2], "total");
    return rc;
}
