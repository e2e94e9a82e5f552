/* Supervisor Binary Interface calls (OpenSBI), and the hart's timer:
 * through SBI, or written directly when the hart has Sstc. */
#ifndef KEEL_SBI_H
#define KEEL_SBI_H

#include <stdbool.h>
#include <stdint.h>

struct sbiret {
    long error;
    long value;
};

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);
void sbi_set_timer(uint64_t stime);
void sbi_send_ipi(int hart);
long sbi_hart_start(int hart, uint64_t start, uint64_t opaque);
/* Full sfence.vma on the harts of the mask; returns when they have run
 * it. Returns the SBI error (0 on success). */
long sbi_remote_sfence_vma(unsigned long hart_mask,
                           unsigned long hart_mask_base);
void sbi_console_putchar(int c);

/*
 * The supervisor timer. With the Sstc extension (stimecmp, CSR 0x14d,
 * enabled for S-mode by the firmware's menvcfg.STCE) the kernel writes
 * the compare register itself: one CSR write instead of an ecall into
 * the firmware, which on QEMU's OpenSBI retires ~300 instructions and
 * ends up writing the same register. Without it, the SBI TIME call.
 * Either way STIP follows (time >= compare), so a time in the future
 * clears a pending interrupt and UINT64_MAX arms nothing.
 *
 * timer_sstc is set by the boot hart's probe (timer_hw_probe, in
 * hart_setup, before stvec is set) and cleared by any hart whose probe
 * fails, before that hart arms its timer; it is only read afterwards.
 * A hart that has Sstc may use either path (the firmware writes the
 * same stimecmp), so a late clear is harmless to the others.
 */
extern bool timer_sstc;
void timer_hw_probe(bool boot_hart);

static inline void timer_hw_set(uint64_t stime)
{
    if (__builtin_expect(timer_sstc, 1))
        __asm__ volatile("csrw 0x14d, %0" ::"r"(stime) : "memory");
    else
        sbi_set_timer(stime);
}

#endif
