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
uaccess_start:
/* long __copy_user(void *dst, const void *src, size_t n): 0 or -EFAULT */
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
uaccess_end:

uaccess_fault:
    li t6, SUM
    csrc sstatus, t6
    li a0, -14
    ret
