/* /bin/sleep SECONDS: waits that long (a decimal fraction is allowed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sleep SECONDS\n");
        return 2;
    }
    char *end;
    long sec = strtol(argv[1], &end, 10);
    long nsec = 0;
    if (*end == '.') {
        long scale = 100000000;
        for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
            nsec += (*end - '0') * scale;
    }
    if (*end || end == argv[1] || sec < 0) {
        fprintf(stderr, "sleep: %s: not a number of seconds\n", argv[1]);
        return 2;
    }
    struct timespec ts = {.tv_sec = sec, .tv_nsec = nsec};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}
