/*
 * sigsetjmp(env, savemask) (<setjmp.h>): records savemask, and when it
 * is non-zero the calling thread's signal mask (SYS_sigprocmask 79,
 * checked in signal_xsi.c, with SIG_BLOCK 1 and no set: the mask is only
 * read), then tail-calls setjmp(env) so the saved context is the
 * caller's own (ra and sp untouched: no frame here). The ecall changes
 * only a0. siglongjmp (signal_xsi.c) puts the mask back before
 * longjmp.
 */
    .text
    .globl sigsetjmp
    .type sigsetjmp, @function
sigsetjmp:
    sd a1, 208(a0)          /* env->__savemask */
    beqz a1, 1f
    mv t0, a0
    li a0, 1                /* SIG_BLOCK with no set: read the mask */
    li a1, 0
    addi a2, t0, 216        /* into env->__mask */
    li a7, 79
    ecall
    mv a0, t0
1:  tail setjmp
    .size sigsetjmp, . - sigsetjmp
