/*
 * _start: the first user instruction of every program. The kernel enters
 * with sp = top of the user stack, a0 = argc, a1 = argv and a2 = envp
 * (NULL-terminated arrays of pointers on that stack) and tp = 0. Kept in its own section so the
 * linker script can place it first in .text, and alone in its object so
 * libkeel.a may hold a copy without it ever being pulled in twice.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    /* gp first: the linker relaxes later global accesses against it. */
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    /* The main thread's control block, so __getreent() works at once. */
    la tp, __keel_main_tcb
    andi sp, sp, -16        /* the psABI wants a 16-byte aligned stack */
    li ra, 0                /* end of the frame chain for debuggers */
    li s0, 0
    call __keel_start       /* (argc, argv, envp): never returns */
1:  j 1b
    .size _start, . - _start
