/* ns16550a UART on the virt board. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

void uart_init(void);
void uart_putc_sync(char c);
int uart_getc(void); /* -1 when no byte is waiting */
void uart_irq(void); /* PLIC interrupt: feed received bytes to the console */

#endif
