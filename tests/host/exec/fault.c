/* keel-exec test: a store to an unmapped address kills the program with
 * SIGSEGV; keel-exec exits with 128 + 11. */
#include <stdio.h>

int main(void)
{
    printf("about to fault\n");
    fflush(stdout);
    int *volatile p = (int *)8; /* volatile: no compile-time warning */
    *p = 1;
    printf("still alive\n");
    return 0;
}
