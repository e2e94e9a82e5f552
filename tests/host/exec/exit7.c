/* keel-exec test: exit(7) is the status keel-exec exits with; the
 * second line has no newline, so the poweroff line follows it directly. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("line one\n");
    printf("no newline");
    fflush(stdout);
    exit(7);
}
