/* keel-exec test: APP_CFLAGS=-DX=5 reaches the app (status X). */
#include <stdio.h>

#ifndef X
#define X 99
#endif

int main(void)
{
    printf("X=%d\n", X);
    return X;
}
