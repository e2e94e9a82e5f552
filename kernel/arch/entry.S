/*
 * Boot entry. OpenSBI enters at _start in S-mode with a0 = hart id and
 * a1 = device tree; secondary harts normally arrive at _start_secondary
 * through SBI HSM and run kmain_secondary.
 *
 * The firmware may also send a secondary hart to _start (QEMU's OpenSBI
 * 1.1 can start a hart before it has written the start address), so
 * _start is a lottery: an atomic add on boot_lottery, a word in .data
 * (never cleared), picks exactly one winner, which clears .bss and runs
 * kmain. A loser touches no memory but the two .data words: it spins
 * until kmain sets boot_ready (the kernel is initialised, .bss long
 * cleared) and then joins as a secondary hart through _start_secondary,
 * on its own boot stack (slot hart id of boot_stacks, never the winner's). A
 * loser whose hart id has no boot stack parks.
 */
#include "../include/asm_offsets.h"

/* gp for the kernel, interrupts masked, FP off: registers and CSRs only. */
.macro boot_hart_regs
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    csrw sie, zero
    csrw sscratch, zero
    li t0, SSTATUS_FS_BITS
    csrc sstatus, t0
.endm

/* sp = top of hart a0's boot stack: the upper half of slot a0 (the lower
 * half is its guard, unmapped by kmain). */
.macro boot_hart_stack
    la sp, boot_stacks
    li t0, KSTACK_SLOT
    addi t1, a0, 1
    mul t0, t0, t1
    add sp, sp, t0
.endm

    .section .text.entry
    .globl _start
_start:
    boot_hart_regs
    la t0, boot_lottery
    li t1, 1
    amoadd.w.aqrl t1, t1, (t0)
    bnez t1, boot_loser
    boot_hart_stack
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call kmain
3:  wfi
    j 3b

boot_loser:
    li t0, BOOT_MAX_HARTS
    bgeu a0, t0, 6f
    la t0, boot_ready
5:  lw t1, 0(t0)
    beqz t1, 5b
    fence r, rw /* pairs with kmain's release store of boot_ready */
    j _start_secondary_ready
6:  wfi
    j 6b

    .globl _start_secondary
_start_secondary:
    boot_hart_regs
_start_secondary_ready:
    boot_hart_stack
    call kmain_secondary
4:  wfi
    j 4b

    .section .data
    .align 3
    /* Harts that entered _start (the first one won); main.c reads it. */
    .globl boot_lottery
boot_lottery:
    .word 0
    /* Set by kmain once the kernel is ready for secondary harts. */
    .globl boot_ready
boot_ready:
    .word 0

    .section .bss
    .align 15 /* KSTACK_SLOT */
    .globl boot_stacks
boot_stacks:
    .space KSTACK_SLOT * BOOT_MAX_HARTS
