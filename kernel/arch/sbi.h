/* Supervisor Binary Interface calls (OpenSBI). */
#ifndef KEEL_SBI_H
#define KEEL_SBI_H

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

#endif
