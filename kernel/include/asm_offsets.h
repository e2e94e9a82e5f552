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

/* sstatus.FS (bits 13-14): FP unit state; Off = 0. */
#define SSTATUS_FS_BITS 0x6000

/* Boot stacks (arch/entry.S): one per hart id below BOOT_MAX_HARTS
 * (= MAX_HARTS; param.h is C only). */
#define BOOT_STACK_SIZE 16384
#define BOOT_MAX_HARTS 8

#endif
