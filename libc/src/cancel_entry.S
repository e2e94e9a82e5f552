/*
 * The system call of a cancellation point (cancel.c):
 *   long __keel_cp_syscall(a0, a1, a2, a3, a4, a5, uint32_t *cancel, n)
 * a0..a5 and the number n (a7) as for any ecall; a6 points at the calling
 * thread's cancel word (struct keel_tcb). If a request is due (pending,
 * enabled, not already acting) it exits through __keel_cancel_hook
 * (__keel_cancel_point) instead of making the call. The cancellation signal's handler acts itself when
 * it interrupted the thread anywhere from __keel_cp_begin to
 * __keel_cp_ecall inclusive (the call not made yet), so a request that
 * arrives after the check but before the ecall is not lost; once the
 * ecall has run, the interrupted call returns -EINTR and the C wrapper
 * acts.
 */
    .text
    .globl __keel_cp_syscall
    .globl __keel_cp_begin
    .globl __keel_cp_ecall
    .type __keel_cp_syscall, @function
    .p2align 2
__keel_cp_syscall:
__keel_cp_begin:
    lw t0, 0(a6)
    andi t0, t0, 0xd /* KEEL_CANCEL_PENDING | DISABLE | ACTING */
    li t1, 0x4       /* KEEL_CANCEL_PENDING alone: due */
    beq t0, t1, 1f
__keel_cp_ecall:
    ecall
    ret
    /* Due: a request exists, so pthread_cancel has set the hook (to
     * __keel_cancel_point, which acts and does not return). */
1:  lla t2, __keel_cancel_hook
    ld t2, 0(t2)
    jr t2
    .size __keel_cp_syscall, . - __keel_cp_syscall

    /* void (*__keel_cancel_hook)(void): 0 until pthread_cancel's first
     * request (internal.h keel_cancel_point). */
    .data
    .globl __keel_cancel_hook
    .p2align 3
__keel_cancel_hook:
    .dword 0
