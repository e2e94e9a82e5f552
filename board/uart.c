/*
 * ns16550a UART: polled output, interrupt-driven input. The console
 * (kernel/fs/console.c) takes received bytes from here, and masks the
 * receive interrupt while its input ring is full (flow control: the bytes
 * wait in the UART's FIFO, and QEMU stops reading its input). IER is
 * written only under the console's lock; output touches THR and LSR only.
 */
#include "../kernel/include/kernel.h"
#include "uart.h"
#include "virt.h"

#define RHR 0 /* receive holding */
#define THR 0 /* transmit holding */
#define IER 1 /* interrupt enable */
#define FCR 2 /* FIFO control */
#define LCR 3 /* line control */
#define LSR 5 /* line status */
#define IER_RX 0x01
#define LSR_RX_READY 0x01
#define LSR_TX_IDLE 0x20

static inline volatile uint8_t *uart_reg(int r)
{
    return (volatile uint8_t *)(VIRT_UART0_BASE + r);
}

void uart_init(void)
{
    *uart_reg(IER) = 0x00;
    *uart_reg(LCR) = 0x03; /* 8n1 */
    /* FIFOs on, the transmit FIFO cleared; the receive FIFO is kept:
     * input that arrived during boot (piped into QEMU) is not lost. */
    *uart_reg(FCR) = 0x05;
    *uart_reg(IER) = IER_RX; /* receive interrupts */
}

void uart_putc_sync(char c)
{
    while (!(*uart_reg(LSR) & LSR_TX_IDLE))
        ;
    *uart_reg(THR) = (uint8_t)c;
}

int uart_getc(void)
{
    if (*uart_reg(LSR) & LSR_RX_READY)
        return *uart_reg(RHR);
    return -1;
}

void uart_rx_irq(bool on)
{
    *uart_reg(IER) = on ? IER_RX : 0;
}

bool uart_rx_irq_enabled(void)
{
    return (*uart_reg(IER) & IER_RX) != 0;
}

void uart_irq(void)
{
    console_uart_rx();
}
