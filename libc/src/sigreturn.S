/*
 * The signal restorer: a handler returns here (the kernel sets ra to it,
 * libc/src/signal.c passes it with every sigaction) with sp back at its
 * signal frame, and SYS_sigreturn (84, checked in signal.c) puts the
 * interrupted context back. It does not return.
 */
    .text
    .globl __keel_sigreturn
    .type __keel_sigreturn, @function
__keel_sigreturn:
    li a7, 84
    ecall
1:  j 1b
    .size __keel_sigreturn, . - __keel_sigreturn
