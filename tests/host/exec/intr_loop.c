/* keel-exec test on a terminal: waits until init has put its process
 * group in the console's foreground (keel-exec's images ask for it),
 * says so, then loops until ^C ends it (SIGINT: status 130). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    struct timespec ms = {0, 1000000};
    while (tcgetpgrp(0) != getpgrp())
        nanosleep(&ms, NULL);
    printf("in front, group %d\n", (int)getpgrp());
    fflush(stdout);
    for (volatile unsigned long i = 0;; i++)
        ;
}
