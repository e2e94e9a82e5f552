/* SBI calls: TIME, IPI, HSM and RFENCE extensions (SBI v0.2+); the
 * Sstc probe (sbi.h "The supervisor timer"). */
#include "sbi.h"

#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_RFENCE_SFENCE_VMA 1

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a6 __asm__("a6") = fid;
    register long r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall"
                     : "+r"(r_a0), "+r"(r_a1)
                     : "r"(r_a2), "r"(r_a6), "r"(r_a7)
                     : "memory");
    return (struct sbiret){r_a0, r_a1};
}

void sbi_set_timer(uint64_t stime)
{
    sbi_call(SBI_EXT_TIME, 0, (long)stime, 0, 0);
}

bool timer_sstc;

/* Reads stimecmp with stvec pointing just past the read: if the CSR is
 * not there (no Sstc, or the firmware left menvcfg.STCE clear) the
 * illegal-instruction trap lands on the label with ok still 0. Runs
 * with interrupts off, before stvec is set up; the trap's changes to
 * sepc, scause, stval and sstatus.SPP/SPIE are overwritten by
 * hart_setup after it. */
static bool sstc_probe(void)
{
    unsigned long ok, saved;
    __asm__ volatile("la t0, 1f\n"
                     "csrrw %1, stvec, t0\n"
                     "li %0, 0\n"
                     "csrr t1, 0x14d\n"
                     "li %0, 1\n"
                     ".balign 4\n"
                     "1: csrw stvec, %1\n"
                     : "=&r"(ok), "=&r"(saved)
                     :
                     : "t0", "t1", "memory");
    return ok;
}

void timer_hw_probe(bool boot_hart)
{
    bool ok = sstc_probe();
    if (boot_hart)
        timer_sstc = ok;
    else if (!ok)
        __atomic_store_n(&timer_sstc, false, __ATOMIC_RELAXED);
}

void sbi_send_ipi(int hart)
{
    /* hart_mask = 1 << hart relative to hart_mask_base 0 */
    sbi_call(SBI_EXT_IPI, 0, 1l << hart, 0, 0);
}

long sbi_hart_start(int hart, uint64_t start, uint64_t opaque)
{
    return sbi_call(SBI_EXT_HSM, 0, hart, (long)start, (long)opaque).error;
}

long sbi_remote_sfence_vma(unsigned long hart_mask,
                           unsigned long hart_mask_base)
{
    /* start 0 and size 2^XLEN-1: the whole address space. OpenSBI returns
     * once every target hart has executed the fence (its tlb_sync). */
    register long r_a0 __asm__("a0") = (long)hart_mask;
    register long r_a1 __asm__("a1") = (long)hart_mask_base;
    register long r_a2 __asm__("a2") = 0;
    register long r_a3 __asm__("a3") = -1;
    register long r_a6 __asm__("a6") = SBI_RFENCE_SFENCE_VMA;
    register long r_a7 __asm__("a7") = SBI_EXT_RFENCE;
    __asm__ volatile("ecall"
                     : "+r"(r_a0), "+r"(r_a1)
                     : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
                     : "memory");
    return r_a0;
}
