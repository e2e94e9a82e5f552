/*
 * Checked user copies. SUM is set only between the two csr instructions
 * of each routine. A fault at any pc in [uaccess_start, uaccess_end) is
 * redirected by trap_kernel to uaccess_fault, which returns -EFAULT.
 * Callers have already checked that the range lies in user space.
 */
#define SUM (1 << 18)
    .text
    .globl uaccess_start, uaccess_end, uaccess_fault
    .globl __copy_user, __strncpy_user, __cmpxchg32_user
    .globl __sigregs_to_user, __sigregs_from_user
    .globl __sigframe_to_user, __sigframe_head_from_user
uaccess_start:
/* int __copy_user(void *dst, const void *src, size_t n): 0 or -EFAULT */
__copy_user:
    li t6, SUM
    csrs sstatus, t6
    or t0, a0, a1
    andi t0, t0, 7
    bnez t0, 2f
    /* Aligned: 32 bytes a round while they last (signal frames, pipe
     * and file data), then words, then bytes. */
    li t1, 32
4:  bltu a2, t1, 1f
    ld t0, 0(a1)
    ld t2, 8(a1)
    ld t3, 16(a1)
    ld t4, 24(a1)
    sd t0, 0(a0)
    sd t2, 8(a0)
    sd t3, 16(a0)
    sd t4, 24(a0)
    addi a0, a0, 32
    addi a1, a1, 32
    addi a2, a2, -32
    j 4b
1:  li t1, 8
    bltu a2, t1, 2f
    ld t0, 0(a1)
    sd t0, 0(a0)
    addi a0, a0, 8
    addi a1, a1, 8
    addi a2, a2, -8
    j 1b
2:  beqz a2, 3f
    lbu t0, 0(a1)
    sb t0, 0(a0)
    addi a0, a0, 1
    addi a1, a1, 1
    addi a2, a2, -1
    j 2b
3:  csrc sstatus, t6
    li a0, 0
    ret

/* long __strncpy_user(char *dst, const char *src, size_t max):
 * length without the NUL, -ENAMETOOLONG (-91) if none in max bytes,
 * or -EFAULT */
__strncpy_user:
    li t6, SUM
    csrs sstatus, t6
    li t1, 0
1:  beq t1, a2, 2f
    add t2, a1, t1
    lbu t0, 0(t2)
    add t2, a0, t1
    sb t0, 0(t2)
    beqz t0, 3f
    addi t1, t1, 1
    j 1b
2:  csrc sstatus, t6
    li a0, -91
    ret
3:  csrc sstatus, t6
    mv a0, t1
    ret

/* long __cmpxchg32_user(uint32_t *uaddr, uint32_t old, uint32_t new):
 * atomically stores new if the word holds old; returns the value found
 * (zero-extended: equal to old means stored) or -EFAULT. A word that does
 * not hold old is read with an AMO (amoor of 0, which changes nothing) so
 * that a read-only word faults either way. old and new arrive
 * sign-extended (RV64 ABI), as lr.w loads. */
__cmpxchg32_user:
    li t6, SUM
    csrs sstatus, t6
1:  lr.w.aqrl t0, (a0)
    bne t0, a1, 2f
    sc.w.rl t1, a2, (a0)
    bnez t1, 1b
    j 3f
2:  amoor.w.aqrl t0, zero, (a0)
    beq t0, a1, 1b
3:  csrc sstatus, t6
    slli a0, t0, 32
    srli a0, a0, 32
    ret
/* long __sigframe_to_user(uint64_t usp, const uint64_t *head,
 *                         const uint64_t *regs, const uint64_t *tail) and
 * long __sigframe_head_from_user(uint64_t *head, uint64_t *tail,
 *                                uint64_t usp): 0 or -EFAULT. The signal
 * frame's head (16 words at 0: siginfo, the ucontext's header, pc), the
 * trapframe's register words (to_user only; from_user is
 * __sigregs_from_user, after sigreturn's checks) and its tail (3 words
 * at 648: status, magic, pad), word by word; the layout is checked
 * against struct keel_sigframe in signal_frame.c. All 8-byte aligned. */
__sigframe_to_user:
    li t6, SUM
    csrs sstatus, t6
    ld t0, 0(a1)
    sd t0, 0(a0)
    ld t0, 8(a1)
    sd t0, 8(a0)
    ld t0, 16(a1)
    sd t0, 16(a0)
    ld t0, 24(a1)
    sd t0, 24(a0)
    ld t0, 32(a1)
    sd t0, 32(a0)
    ld t0, 40(a1)
    sd t0, 40(a0)
    ld t0, 48(a1)
    sd t0, 48(a0)
    ld t0, 56(a1)
    sd t0, 56(a0)
    ld t0, 64(a1)
    sd t0, 64(a0)
    ld t0, 72(a1)
    sd t0, 72(a0)
    ld t0, 80(a1)
    sd t0, 80(a0)
    ld t0, 88(a1)
    sd t0, 88(a0)
    ld t0, 96(a1)
    sd t0, 96(a0)
    ld t0, 104(a1)
    sd t0, 104(a0)
    ld t0, 112(a1)
    sd t0, 112(a0)
    ld t0, 120(a1)
    sd t0, 120(a0)
    ld t0, 0(a3)
    sd t0, 648(a0)
    ld t0, 8(a3)
    sd t0, 656(a0)
    ld t0, 16(a3)
    sd t0, 664(a0)
    mv a1, a2
    addi a0, a0, 128
    j 5f
/* long __sigregs_to_user(uint64_t *udst, const uint64_t *regs) and
 * long __sigregs_from_user(uint64_t *regs, const uint64_t *usrc): 0 or
 * -EFAULT. The signal frame's register words that a trapframe holds
 * (x1-x7, x10-x17, x28-x31: signal_frame.c), word by word without a
 * loop; the x0 and s0-s11 words are not touched (the trapframe has no
 * s registers: the C code keeps them). Both pointers 8-byte aligned. */
__sigregs_to_user:
    li t6, SUM
    csrs sstatus, t6
5:
    ld t0, 8(a1)
    sd t0, 8(a0)
    ld t0, 16(a1)
    sd t0, 16(a0)
    ld t0, 24(a1)
    sd t0, 24(a0)
    ld t0, 32(a1)
    sd t0, 32(a0)
    ld t0, 40(a1)
    sd t0, 40(a0)
    ld t0, 48(a1)
    sd t0, 48(a0)
    ld t0, 56(a1)
    sd t0, 56(a0)
    ld t0, 80(a1)
    sd t0, 80(a0)
    ld t0, 88(a1)
    sd t0, 88(a0)
    ld t0, 96(a1)
    sd t0, 96(a0)
    ld t0, 104(a1)
    sd t0, 104(a0)
    ld t0, 112(a1)
    sd t0, 112(a0)
    ld t0, 120(a1)
    sd t0, 120(a0)
    ld t0, 128(a1)
    sd t0, 128(a0)
    ld t0, 136(a1)
    sd t0, 136(a0)
    ld t0, 224(a1)
    sd t0, 224(a0)
    ld t0, 232(a1)
    sd t0, 232(a0)
    ld t0, 240(a1)
    sd t0, 240(a0)
    ld t0, 248(a1)
    sd t0, 248(a0)
    csrc sstatus, t6
    li a0, 0
    ret

__sigregs_from_user:
    li t6, SUM
    csrs sstatus, t6
    ld t0, 8(a1)
    sd t0, 8(a0)
    ld t0, 16(a1)
    sd t0, 16(a0)
    ld t0, 24(a1)
    sd t0, 24(a0)
    ld t0, 32(a1)
    sd t0, 32(a0)
    ld t0, 40(a1)
    sd t0, 40(a0)
    ld t0, 48(a1)
    sd t0, 48(a0)
    ld t0, 56(a1)
    sd t0, 56(a0)
    ld t0, 80(a1)
    sd t0, 80(a0)
    ld t0, 88(a1)
    sd t0, 88(a0)
    ld t0, 96(a1)
    sd t0, 96(a0)
    ld t0, 104(a1)
    sd t0, 104(a0)
    ld t0, 112(a1)
    sd t0, 112(a0)
    ld t0, 120(a1)
    sd t0, 120(a0)
    ld t0, 128(a1)
    sd t0, 128(a0)
    ld t0, 136(a1)
    sd t0, 136(a0)
    ld t0, 224(a1)
    sd t0, 224(a0)
    ld t0, 232(a1)
    sd t0, 232(a0)
    ld t0, 240(a1)
    sd t0, 240(a0)
    ld t0, 248(a1)
    sd t0, 248(a0)
    csrc sstatus, t6
    li a0, 0
    ret
__sigframe_head_from_user:
    li t6, SUM
    csrs sstatus, t6
    ld t0, 0(a2)
    sd t0, 0(a0)
    ld t0, 8(a2)
    sd t0, 8(a0)
    ld t0, 16(a2)
    sd t0, 16(a0)
    ld t0, 24(a2)
    sd t0, 24(a0)
    ld t0, 32(a2)
    sd t0, 32(a0)
    ld t0, 40(a2)
    sd t0, 40(a0)
    ld t0, 48(a2)
    sd t0, 48(a0)
    ld t0, 56(a2)
    sd t0, 56(a0)
    ld t0, 64(a2)
    sd t0, 64(a0)
    ld t0, 72(a2)
    sd t0, 72(a0)
    ld t0, 80(a2)
    sd t0, 80(a0)
    ld t0, 88(a2)
    sd t0, 88(a0)
    ld t0, 96(a2)
    sd t0, 96(a0)
    ld t0, 104(a2)
    sd t0, 104(a0)
    ld t0, 112(a2)
    sd t0, 112(a0)
    ld t0, 120(a2)
    sd t0, 120(a0)
    ld t0, 648(a2)
    sd t0, 0(a1)
    ld t0, 656(a2)
    sd t0, 8(a1)
    ld t0, 664(a2)
    sd t0, 16(a1)
    csrc sstatus, t6
    li a0, 0
    ret
uaccess_end:

uaccess_fault:
    li t6, SUM
    csrc sstatus, t6
    li a0, -14
    ret
