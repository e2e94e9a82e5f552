/* PLIC: the UART interrupt is routed to the S-mode context of one hart
 * (the boot hart), so console input is handled in one place. */
#include "../kernel/include/kernel.h"
#include "plic.h"
#include "virt.h"

#define PLIC_PRIORITY(irq) (VIRT_PLIC_BASE + 4 * (irq))
#define PLIC_SENABLE(h) (VIRT_PLIC_BASE + 0x2080 + (h)*0x100)
#define PLIC_SPRIORITY(h) (VIRT_PLIC_BASE + 0x201000 + (h)*0x2000)
#define PLIC_SCLAIM(h) (VIRT_PLIC_BASE + 0x201004 + (h)*0x2000)

#define REG32(a) (*(volatile uint32_t *)(a))

void plic_init(void)
{
    REG32(PLIC_PRIORITY(VIRT_UART0_IRQ)) = 1;
}

void plic_init_hart(int hart, int enable_uart)
{
    REG32(PLIC_SENABLE(hart)) = enable_uart ? (1u << VIRT_UART0_IRQ) : 0;
    REG32(PLIC_SPRIORITY(hart)) = 0;
}

int plic_claim(int hart)
{
    return (int)REG32(PLIC_SCLAIM(hart));
}

void plic_complete(int hart, int irq)
{
    REG32(PLIC_SCLAIM(hart)) = (uint32_t)irq;
}
