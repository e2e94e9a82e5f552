/* ns16550a UART on the virt board. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include <stdbool.h>
#include <stddef.h>

#define UART_TX_FIFO 16 /* bytes the transmit FIFO takes when empty */

void uart_init(void);
void uart_putc_sync(char c);   /* polls: early boot and panics only */
bool uart_tx_ready(void);      /* the transmit FIFO is empty (LSR THRE) */
void uart_tx_put(char c);      /* into THR, no wait: after uart_tx_ready */
void uart_tx_wait_empty(void); /* polls until the last byte left (TEMT) */
int uart_getc(void);           /* -1 when no byte is waiting */
/* The receive interrupt on or off (console lock held). */
void uart_rx_irq(bool on);
bool uart_rx_irq_enabled(void);
/* The transmit-FIFO-empty interrupt on or off (transmit ring lock held). */
void uart_tx_irq(bool on);
bool uart_tx_irq_enabled(void);
void uart_irq(void); /* PLIC interrupt: receive, then transmit */
/* console.c: take bytes from the UART while the input ring has room. */
void console_uart_rx(void);

/* console_out.c: the transmit ring (docs/realtime.md "Console output"). */
void console_out_start(void); /* boot hart's interrupts routed: ring on */
void console_out_irq(void);   /* THRE interrupt: refill, wake writers */
/* printk's output: into the ring, never sleeping (synchronous before
 * console_out_start and after console_out_panic). */
void console_out_printk(const char *s, size_t n);
/* The output lock (guards the ring) around console_out_put_locked and
 * console_out_wait_locked. */
void console_write_locked_begin(void);
void console_write_locked_end(void);
/* Queue n bytes (NL as CR NL when crlf), never sleeping. */
void console_out_put_locked(const char *s, size_t n, bool crlf);
/* Room for n more bytes from a write(): true at once, or sleeps until
 * the interrupt drained the ring and returns false (re-check the pin and
 * call again), or -EINTR when killed. */
int console_out_wait_locked(size_t n);
void console_out_wake_writers(void); /* revoke: writers re-check */
void console_out_flush(void);        /* poweroff: everything to the wire */
void console_out_panic(void);        /* from now on write synchronously */

#endif
