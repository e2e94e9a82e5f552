/* Boot entry. OpenSBI enters here in S-mode with a0 = hart id and
 * a1 = device tree; the first hart clears .bss and runs kmain, the others
 * arrive at _start_secondary through SBI HSM and run kmain_secondary. */
#include "../include/asm_offsets.h"
#define BOOT_STACK BOOT_STACK_SIZE

/* gp for the kernel, interrupts masked, sp = top of boot_stacks[a0]. */
.macro boot_hart_setup
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    csrw sie, zero
    csrw sscratch, zero
    la sp, boot_stacks
    li t0, BOOT_STACK
    addi t1, a0, 1
    mul t0, t0, t1
    add sp, sp, t0
.endm

    .section .text.entry
    .globl _start
_start:
    boot_hart_setup
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call kmain
3:  wfi
    j 3b

    .globl _start_secondary
_start_secondary:
    boot_hart_setup
    call kmain_secondary
4:  wfi
    j 4b

    .section .bss
    .align 12
    .globl boot_stacks
boot_stacks:
    .space BOOT_STACK * 8
