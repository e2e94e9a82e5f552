/* keel-exec test: the first of two files (APP="two_main.c two_lib.c"). */
#include <stdio.h>

int two_lib_add(int a, int b);

int main(void)
{
    printf("sum %d\n", two_lib_add(20, 22));
    return two_lib_add(1, 2);
}
