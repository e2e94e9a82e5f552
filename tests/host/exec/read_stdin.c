/* keel-exec test: reads stdin to EOF and reports what it got: the byte
 * count, the line count and a checksum, then the status of the last read
 * (0 is EOF). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char buf[128];
    long bytes = 0, lines = 0;
    unsigned long sum = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            sum = sum * 31 + (unsigned char)buf[i];
            if (buf[i] == '\n')
                lines++;
        }
        bytes += n;
    }
    printf("bytes %ld lines %ld sum %lu last %d\n", bytes, lines, sum, (int)n);
    return n == 0 ? 0 : 1;
}
