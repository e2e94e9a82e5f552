/* RISC-V CSR access and bit definitions used by the kernel. */
#ifndef KEEL_RISCV_H
#define KEEL_RISCV_H

#include <stdint.h>

#define csr_read(csr)                                                          \
    ({                                                                         \
        unsigned long __v;                                                     \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory");              \
        __v;                                                                   \
    })
#define csr_write(csr, val)                                                    \
    __asm__ volatile("csrw " #csr ", %0" ::"rK"(val) : "memory")
#define csr_set(csr, val)                                                      \
    __asm__ volatile("csrs " #csr ", %0" ::"rK"(val) : "memory")
#define csr_clear(csr, val)                                                    \
    __asm__ volatile("csrc " #csr ", %0" ::"rK"(val) : "memory")

#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_SUM (1ul << 18)
#define SSTATUS_FS (3ul << 13)

#define SIE_SSIE (1ul << 1)
#define SIE_STIE (1ul << 5)
#define SIE_SEIE (1ul << 9)
#define SIP_SSIP (1ul << 1)

#define SCAUSE_INTR (1ul << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_INST_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

#define SATP_SV39 (8ul << 60)

static inline void intr_off(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
}
static inline void intr_on(void)
{
    csr_set(sstatus, SSTATUS_SIE);
}
static inline uint64_t rdtime(void)
{
    return csr_read(time);
}
static inline void sfence_vma(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}
static inline void cpu_relax(void)
{
    __asm__ volatile("nop" ::: "memory");
}

#endif
