/* keel-exec test: hosted C falls off main (status 0) and an unused
 * variable is a warning, not an error. */
#include <stdio.h>

int main(void)
{
    int unused;
    printf("fell off main\n");
}
