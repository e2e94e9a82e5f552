/*
 * Trap entry and user return. Invariant: sscratch holds the current
 * thread's trapframe pointer while the hart runs user code and 0 while it
 * runs the kernel, so one vector serves both: swap sp with sscratch, and a
 * zero means the trap came from the kernel.
 *
 * The callee-saved registers s0-s11 are not saved in the trapframe: the
 * C code preserves them, so they still hold the user's values when the
 * trap returns (a thread that blocks keeps them in its swtch context).
 * A new thread starts with them as swtch left them (zero).
 */
#include "../include/asm_offsets.h"

    .text
    .align 4
    .globl trap_vector
trap_vector:
    csrrw sp, sscratch, sp
    beqz sp, kernel_trap
    /* From user: sp = trapframe at the top of the kernel stack. */
    sd ra, TFO_REG(1)(sp)
    sd gp, TFO_REG(3)(sp)
    sd tp, TFO_REG(4)(sp)
    sd t0, TFO_REG(5)(sp)
    sd t1, TFO_REG(6)(sp)
    sd t2, TFO_REG(7)(sp)
    sd a0, TFO_REG(10)(sp)
    sd a1, TFO_REG(11)(sp)
    sd a2, TFO_REG(12)(sp)
    sd a3, TFO_REG(13)(sp)
    sd a4, TFO_REG(14)(sp)
    sd a5, TFO_REG(15)(sp)
    sd a6, TFO_REG(16)(sp)
    sd a7, TFO_REG(17)(sp)
    sd t3, TFO_REG(28)(sp)
    sd t4, TFO_REG(29)(sp)
    sd t5, TFO_REG(30)(sp)
    sd t6, TFO_REG(31)(sp)
    csrr t0, sscratch
    sd t0, TFO_REG(2)(sp)
    csrw sscratch, zero
    csrr t0, sepc
    ld tp, TFO_HART(sp)
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    /* A system call goes straight to its handler: a0-a5 still hold the
     * user's arguments and a7 the number (saved above all the same, for
     * restarts and signal frames); t0 = sepc, saved moved past the ecall.
     * Everything else (interrupts, faults) goes through trap_user. */
    csrr t1, scause
    li t2, ASM_EXC_ECALL_U
    bne t1, t2, 3f
    addi t0, t0, 4
    sd t0, TFO_SEPC(sp)
#ifdef KEEL_LOCKCHECK
    /* The debug kernel's interrupts-off accounting starts here, as in
     * trap_user; its call clobbers the arguments: read them back. */
    call lockstat_irqoff_begin
    ld a0, TFO_REG(10)(sp)
    ld a1, TFO_REG(11)(sp)
    ld a2, TFO_REG(12)(sp)
    ld a3, TFO_REG(13)(sp)
    ld a4, TFO_REG(14)(sp)
    ld a5, TFO_REG(15)(sp)
    ld a7, TFO_REG(17)(sp)
#endif
    li t1, ASM_SYS_NR
    bltu a7, t1, 1f
    li a7, 0 /* out of range: entry 0, ENOSYS */
1:  slli a7, a7, 3
2:  auipc t1, %pcrel_hi(syscall_table)
    add t1, t1, a7
    ld t1, %pcrel_lo(2b)(t1)
    jalr t1
    /* sp = trapframe still (the handler is C), a0 = the result. The way
     * back without a call when it needs nothing (trap.c
     * trap_syscall_return does the same in C, and everything else): the
     * result is no restart (-ERESTARTNOINTR .. -ERESTARTSYS) and the
     * three words user_return_prepare tests (t->killed, h->need_resched,
     * t->sig.attn) are 0. The debug kernel always takes the call (its
     * lockstat_irqoff_end). */
#ifndef KEEL_LOCKCHECK
    addi t0, a0, ASM_ERESTARTNOINTR
    sltiu t0, t0, ASM_ERESTARTNOINTR - ASM_ERESTARTSYS + 1
    bnez t0, 4f
    ld t0, ASM_HART_CUR(tp)
    lw t1, ASM_HART_NEED_RESCHED(tp)
    lw t2, ASM_THREAD_KILLED(t0)
    lw t3, ASM_THREAD_SIG_ATTN(t0)
    or t1, t1, t2
    or t1, t1, t3
    bnez t1, 4f
    /* As trap_return_user, with a0 the result (not stored in the frame). */
    li t0, SSTATUS_FS_BITS
    csrc sstatus, t0
    sd tp, TFO_HART(sp)
    ld t0, TFO_SEPC(sp)
    csrw sepc, t0
    csrw sscratch, sp
    ld ra, TFO_REG(1)(sp)
    ld gp, TFO_REG(3)(sp)
    ld tp, TFO_REG(4)(sp)
    ld t0, TFO_REG(5)(sp)
    ld t1, TFO_REG(6)(sp)
    ld t2, TFO_REG(7)(sp)
    ld a1, TFO_REG(11)(sp)
    ld a2, TFO_REG(12)(sp)
    ld a3, TFO_REG(13)(sp)
    ld a4, TFO_REG(14)(sp)
    ld a5, TFO_REG(15)(sp)
    ld a6, TFO_REG(16)(sp)
    ld a7, TFO_REG(17)(sp)
    ld t3, TFO_REG(28)(sp)
    ld t4, TFO_REG(29)(sp)
    ld t5, TFO_REG(30)(sp)
    ld t6, TFO_REG(31)(sp)
    ld sp, TFO_REG(2)(sp)
    sret
#endif
4:  mv a1, a0
    mv a0, sp
    call trap_syscall_return
    j trap_return_user
3:  sd t0, TFO_SEPC(sp)
    mv a0, sp
    call trap_user
    /* fall through: return to user with sp = trapframe */

    .globl trap_return_user
trap_return_user:
    /* sp = trapframe; interrupts are off; sstatus.SPP = 0, SPIE = 1.
     * FP policy: user mode runs with sstatus.FS = Off, so any FP
     * instruction traps (SIGILL) and no FP register can carry data from
     * one thread to another. Cleared on every return, whatever set it. */
    li t0, SSTATUS_FS_BITS
    csrc sstatus, t0
    sd tp, TFO_HART(sp)
    ld t0, TFO_SEPC(sp)
    csrw sepc, t0
    csrw sscratch, sp
    ld ra, TFO_REG(1)(sp)
    ld gp, TFO_REG(3)(sp)
    ld tp, TFO_REG(4)(sp)
    ld t0, TFO_REG(5)(sp)
    ld t1, TFO_REG(6)(sp)
    ld t2, TFO_REG(7)(sp)
    ld a0, TFO_REG(10)(sp)
    ld a1, TFO_REG(11)(sp)
    ld a2, TFO_REG(12)(sp)
    ld a3, TFO_REG(13)(sp)
    ld a4, TFO_REG(14)(sp)
    ld a5, TFO_REG(15)(sp)
    ld a6, TFO_REG(16)(sp)
    ld a7, TFO_REG(17)(sp)
    ld t3, TFO_REG(28)(sp)
    ld t4, TFO_REG(29)(sp)
    ld t5, TFO_REG(30)(sp)
    ld t6, TFO_REG(31)(sp)
    ld sp, TFO_REG(2)(sp)
    sret

kernel_trap:
    /* From the kernel: sp = 0, sscratch = the kernel sp. First the stack
     * check (asm_offsets.h): if the frame would not fit above the guard
     * (bit KSTACK_GUARD_BIT of sp - KFO_SIZE clear), the stack overflowed
     * (the trap is most likely the fault on its guard): do not push. */
    csrr sp, sscratch
    addi sp, sp, -KFO_SIZE
    srli sp, sp, KSTACK_GUARD_BIT
    andi sp, sp, 1
    beqz sp, kernel_stack_overflow
    /* Restore sp (sscratch back to 0) and save all. */
    csrrw sp, sscratch, zero
    addi sp, sp, -KFO_SIZE
    sd ra, TFO_REG(1)(sp)
    sd gp, TFO_REG(3)(sp)
    sd tp, TFO_REG(4)(sp)
    sd t0, TFO_REG(5)(sp)
    sd t1, TFO_REG(6)(sp)
    sd t2, TFO_REG(7)(sp)
    sd s0, TFO_REG(8)(sp)
    sd s1, TFO_REG(9)(sp)
    sd a0, TFO_REG(10)(sp)
    sd a1, TFO_REG(11)(sp)
    sd a2, TFO_REG(12)(sp)
    sd a3, TFO_REG(13)(sp)
    sd a4, TFO_REG(14)(sp)
    sd a5, TFO_REG(15)(sp)
    sd a6, TFO_REG(16)(sp)
    sd a7, TFO_REG(17)(sp)
    sd t3, TFO_REG(28)(sp)
    sd t4, TFO_REG(29)(sp)
    sd t5, TFO_REG(30)(sp)
    sd t6, TFO_REG(31)(sp)
    csrr t0, sepc
    sd t0, TFO_SEPC(sp)
    mv a0, sp
    call trap_kernel
    ld t0, TFO_SEPC(sp)
    csrw sepc, t0
    ld ra, TFO_REG(1)(sp)
    ld gp, TFO_REG(3)(sp)
    ld tp, TFO_REG(4)(sp)
    ld t0, TFO_REG(5)(sp)
    ld t1, TFO_REG(6)(sp)
    ld t2, TFO_REG(7)(sp)
    ld s0, TFO_REG(8)(sp)
    ld s1, TFO_REG(9)(sp)
    ld a0, TFO_REG(10)(sp)
    ld a1, TFO_REG(11)(sp)
    ld a2, TFO_REG(12)(sp)
    ld a3, TFO_REG(13)(sp)
    ld a4, TFO_REG(14)(sp)
    ld a5, TFO_REG(15)(sp)
    ld a6, TFO_REG(16)(sp)
    ld a7, TFO_REG(17)(sp)
    ld t3, TFO_REG(28)(sp)
    ld t4, TFO_REG(29)(sp)
    ld t5, TFO_REG(30)(sp)
    ld t6, TFO_REG(31)(sp)
    addi sp, sp, KFO_SIZE
    sret

kernel_stack_overflow:
    /* The overflowed sp is in sscratch. Panic on the emergency stack (one
     * for all harts: the first hart here takes it, any other waits for
     * the panic to end the machine). */
    la sp, kstack_overflow_taken
    li a0, 1
    amoswap.w.aq a0, a0, (sp)
    bnez a0, 2f
    la sp, kstack_overflow_stack_top
    csrrw a0, sscratch, zero
    call trap_kstack_overflow
2:  wfi
    j 2b

    /* A new thread's first run: swtch lands here with sp = trapframe. */
    .globl thread_user_entry
thread_user_entry:
    call sched_finish_switch
    mv a0, sp
    call user_return_prepare
    j trap_return_user

    .section .bss
    .align 4
    .globl kstack_overflow_taken
kstack_overflow_taken:
    .space 16
kstack_overflow_stack:
    .space 8192
kstack_overflow_stack_top:
