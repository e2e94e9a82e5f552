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
#define TF_SEPC 256
#define TF_HART 264
#define KF_SIZE 272

    .text
    .align 4
    .globl trap_vector
trap_vector:
    csrrw sp, sscratch, sp
    beqz sp, kernel_trap
    /* From user: sp = trapframe at the top of the kernel stack. */
    sd ra, 8(sp)
    sd gp, 24(sp)
    sd tp, 32(sp)
    sd t0, 40(sp)
    sd t1, 48(sp)
    sd t2, 56(sp)
    sd a0, 80(sp)
    sd a1, 88(sp)
    sd a2, 96(sp)
    sd a3, 104(sp)
    sd a4, 112(sp)
    sd a5, 120(sp)
    sd a6, 128(sp)
    sd a7, 136(sp)
    sd t3, 224(sp)
    sd t4, 232(sp)
    sd t5, 240(sp)
    sd t6, 248(sp)
    csrr t0, sscratch
    sd t0, 16(sp)
    csrw sscratch, zero
    csrr t0, sepc
    sd t0, TF_SEPC(sp)
    ld tp, TF_HART(sp)
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    mv a0, sp
    call trap_user
    /* fall through: return to user with sp = trapframe */

    .globl trap_return_user
trap_return_user:
    /* sp = trapframe; interrupts are off; sstatus.SPP = 0, SPIE = 1. */
    sd tp, TF_HART(sp)
    ld t0, TF_SEPC(sp)
    csrw sepc, t0
    csrw sscratch, sp
    ld ra, 8(sp)
    ld gp, 24(sp)
    ld tp, 32(sp)
    ld t0, 40(sp)
    ld t1, 48(sp)
    ld t2, 56(sp)
    ld a0, 80(sp)
    ld a1, 88(sp)
    ld a2, 96(sp)
    ld a3, 104(sp)
    ld a4, 112(sp)
    ld a5, 120(sp)
    ld a6, 128(sp)
    ld a7, 136(sp)
    ld t3, 224(sp)
    ld t4, 232(sp)
    ld t5, 240(sp)
    ld t6, 248(sp)
    ld sp, 16(sp)
    sret

kernel_trap:
    /* From the kernel: restore sp (sscratch back to 0) and save all. */
    csrrw sp, sscratch, sp
    addi sp, sp, -KF_SIZE
    sd ra, 8(sp)
    sd gp, 24(sp)
    sd tp, 32(sp)
    sd t0, 40(sp)
    sd t1, 48(sp)
    sd t2, 56(sp)
    sd s0, 64(sp)
    sd s1, 72(sp)
    sd a0, 80(sp)
    sd a1, 88(sp)
    sd a2, 96(sp)
    sd a3, 104(sp)
    sd a4, 112(sp)
    sd a5, 120(sp)
    sd a6, 128(sp)
    sd a7, 136(sp)
    sd t3, 224(sp)
    sd t4, 232(sp)
    sd t5, 240(sp)
    sd t6, 248(sp)
    csrr t0, sepc
    sd t0, TF_SEPC(sp)
    mv a0, sp
    call trap_kernel
    ld t0, TF_SEPC(sp)
    csrw sepc, t0
    ld ra, 8(sp)
    ld gp, 24(sp)
    ld tp, 32(sp)
    ld t0, 40(sp)
    ld t1, 48(sp)
    ld t2, 56(sp)
    ld s0, 64(sp)
    ld s1, 72(sp)
    ld a0, 80(sp)
    ld a1, 88(sp)
    ld a2, 96(sp)
    ld a3, 104(sp)
    ld a4, 112(sp)
    ld a5, 120(sp)
    ld a6, 128(sp)
    ld a7, 136(sp)
    ld t3, 224(sp)
    ld t4, 232(sp)
    ld t5, 240(sp)
    ld t6, 248(sp)
    addi sp, sp, KF_SIZE
    sret

    /* A new thread's first run: swtch lands here with sp = trapframe. */
    .globl thread_user_entry
thread_user_entry:
    call sched_finish_switch
    mv a0, sp
    call user_return_prepare
    j trap_return_user
