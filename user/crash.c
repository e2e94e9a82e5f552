/*
 * /bin/crash: writes to a kernel address. The kernel must kill it with
 * SIGSEGV, so the last line is never printed.
 */
#include <stdio.h>

int main(void)
{
    printf("crash: writing to a kernel address\n");
    fflush(stdout);
    *(volatile int *)0x80200000UL = 1;
    printf("crash: still alive: the kernel let the write through!\n");
    return 1;
}
