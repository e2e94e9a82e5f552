/* keel-exec test: never ends; TIMEOUT stops the machine (status 124). */
#include <stdio.h>

int main(void)
{
    printf("looping\n");
    fflush(stdout);
    for (volatile unsigned long i = 0;; i++)
        ;
}
