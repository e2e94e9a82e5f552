/* ns16550a UART on the virt board. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include <stdbool.h>

void uart_init(void);
void uart_putc_sync(char c);
int uart_getc(void); /* -1 when no byte is waiting */
/* The receive interrupt on or off (console lock held). */
void uart_rx_irq(bool on);
bool uart_rx_irq_enabled(void);
void uart_irq(void); /* PLIC interrupt: the console takes received bytes */
/* console.c: take bytes from the UART while the input ring has room. */
void console_uart_rx(void);

#endif
