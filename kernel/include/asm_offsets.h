/*
 * Offsets shared by the assembly (arch/trapentry.S, arch/swtch.S,
 * arch/entry.S) and C. Only #defines, so the .S files can include it;
 * arch/trap.c checks every offset against the C structs with
 * _Static_assert (struct trapframe and struct context in sched.h, struct
 * ktrapframe in trap.c), so a change to either side fails the build.
 */
#ifndef KEEL_ASM_OFFSETS_H
#define KEEL_ASM_OFFSETS_H

/* struct trapframe: regs[32] (x0..x31, regs[0] unused), sepc, hart. */
#define TFO_REG(n) ((n)*8)
#define TFO_SEPC 256
#define TFO_HART 264
#define TFO_SIZE 272
/* struct ktrapframe (kernel traps, on the kernel stack): same layout up to
 * sepc, padded to keep sp 16-byte aligned. */
#define KFO_SIZE 272

/* struct context (swtch): ra, sp, s0..s11. */
#define CTXO_RA 0
#define CTXO_SP 8
#define CTXO_S(n) (16 + (n)*8)
#define CTXO_SIZE 112

/* trapentry.S's system-call dispatch: scause of an ecall from U-mode
 * (riscv.h EXC_ECALL_U) and the table's size (keel/abi.h SYS_NR). */
#define ASM_EXC_ECALL_U 8
#define ASM_SYS_NR 96
/* Its way back (trap.c checks them): the restart results (signal.h
 * ERESTARTSYS, ERESTARTNOINTR = ERESTARTSYS + 1), struct hart's cur and
 * need_resched, struct thread's killed and sig.attn (each an int). */
#define ASM_ERESTARTSYS 512
#define ASM_ERESTARTNOINTR 513
#define ASM_HART_CUR 0
#define ASM_HART_NEED_RESCHED 12
#define ASM_THREAD_KILLED 264
#define ASM_THREAD_SIG_ATTN 1292

/* sstatus.FS (bits 13-14): FP unit state; Off = 0. */
#define SSTATUS_FS_BITS 0x6000

/*
 * Kernel stacks (thread kstacks and the boot stacks alike) live in slots
 * of KSTACK_SLOT bytes aligned to KSTACK_SLOT: the stack is the upper
 * half, the lower half is a guard left unmapped. So an sp inside a stack
 * has bit KSTACK_GUARD_BIT set and an sp that ran into the guard below
 * has it clear: kernel_trap checks that with sp alone before it pushes.
 */
#define KSTACK_GUARD_BIT 14 /* 1 << 14 = KSTACK_SIZE = 16 KiB */
#define KSTACK_SLOT (2 << KSTACK_GUARD_BIT)

/* Boot stacks (arch/entry.S): one slot per hart id below BOOT_MAX_HARTS
 * (= MAX_HARTS; param.h is C only). */
#define BOOT_STACK_SIZE 16384
#define BOOT_MAX_HARTS 8

#endif
