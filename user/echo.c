/* /bin/echo [-n] ARGS...: prints the arguments separated by blanks. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int i = 1, nl = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        nl = 0;
        i++;
    }
    for (int first = i; i < argc; i++)
        printf("%s%s", i > first ? " " : "", argv[i]);
    if (nl)
        printf("\n");
    return fflush(stdout) == 0 ? 0 : 1;
}
