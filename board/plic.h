/* Platform-level interrupt controller. */
#ifndef KEEL_PLIC_H
#define KEEL_PLIC_H

void plic_init(void);
void plic_init_hart(int hart, int enable_uart);
int plic_claim(int hart);
void plic_complete(int hart, int irq);

#endif
