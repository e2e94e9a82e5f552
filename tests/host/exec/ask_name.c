/* keel-exec test on a terminal: prompts without a newline, reads a line
 * typed at the console and answers. */
#include <stdio.h>

int main(void)
{
    char name[64];
    printf("name? ");
    fflush(stdout);
    if (!fgets(name, sizeof(name), stdin))
        return 3;
    printf("hi %s", name);
    return 0;
}
