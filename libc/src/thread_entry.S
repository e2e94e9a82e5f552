/*
 * Entry of every thread made by pthread_create. SYS_thread_create starts
 * it with a0 = tp = its struct keel_thread (a keel_tcb first) and sp = the
 * top of a stack the kernel mapped, and the creator's gp (a signal
 * handler may run before the first instruction here); it is set again
 * here from the program's own symbol, which costs nothing.
 */
    .text
    .globl __keel_thread_entry
    .type __keel_thread_entry, @function
    .p2align 2
__keel_thread_entry:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    andi sp, sp, -16
    li ra, 0
    li s0, 0
    call __keel_thread_main /* (struct keel_thread *): never returns */
1:  j 1b
    .size __keel_thread_entry, . - __keel_thread_entry

/*
 * __keel_run_on_stack(top, fn, arg): moves sp to top (the caller's own
 * stack, pthread_attr_setstack; 16-byte aligned) and calls fn(arg), which
 * never returns.
 */
    .globl __keel_run_on_stack
    .type __keel_run_on_stack, @function
    .p2align 2
__keel_run_on_stack:
    andi sp, a0, -16
    mv t0, a1
    mv a0, a2
    li ra, 0
    li s0, 0
    jalr t0
1:  j 1b
    .size __keel_run_on_stack, . - __keel_run_on_stack
