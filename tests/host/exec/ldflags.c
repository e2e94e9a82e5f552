/* keel-exec test: APP_LDFLAGS reaches the link: the symbol is defined
 * only by APP_LDFLAGS=-Wl,--defsym=exec_ld_marker=0x1234. */
#include <stdio.h>

extern char exec_ld_marker[];

int main(void)
{
    printf("marker %lx\n", (unsigned long)exec_ld_marker);
    return 0;
}
