/*
 * ns16550a UART: interrupt-driven input and output. The console
 * (kernel/fs/console.c) takes received bytes from here, and masks the
 * receive interrupt while its input ring is full (flow control: the bytes
 * wait in the UART's FIFO, and QEMU stops reading its input). The
 * transmit ring (kernel/fs/console_out.c) feeds the transmit FIFO up to
 * UART_TX_FIFO bytes whenever it is empty (LSR THRE) and enables the THRE
 * interrupt while it has bytes left; uart_putc_sync (early boot, panics)
 * polls instead.
 *
 * Locking: uart_ier_lock (a leaf) guards the IER shadow, so the receive
 * side (under the console's lock) and the transmit side (under the
 * transmit ring's lock) never lose each other's bit. THR and LSR are
 * used by one transmit-ring lock holder at a time (or by a panic).
 */
#include "../kernel/include/kernel.h"
#include "../kernel/include/spinlock.h"
#include "uart.h"
#include "virt.h"

#define RHR 0 /* receive holding */
#define THR 0 /* transmit holding */
#define IER 1 /* interrupt enable */
#define FCR 2 /* FIFO control */
#define LCR 3 /* line control */
#define LSR 5 /* line status */
#define IER_RX 0x01
#define IER_THRE 0x02
#define LSR_RX_READY 0x01
#define LSR_TX_IDLE 0x20  /* THRE: the transmit FIFO is empty */
#define LSR_TX_EMPTY 0x40 /* TEMT: FIFO and shift register empty */

static spinlock_t uart_ier_lock = SPINLOCK_INIT("uart_ier");
static uint8_t uart_ier; /* uart_ier_lock */

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
    uart_ier = IER_RX;
    *uart_reg(IER) = uart_ier; /* receive interrupts */
}

void uart_putc_sync(char c)
{
    while (!(*uart_reg(LSR) & LSR_TX_IDLE))
        ;
    *uart_reg(THR) = (uint8_t)c;
}

bool uart_tx_ready(void)
{
    return (*uart_reg(LSR) & LSR_TX_IDLE) != 0;
}

void uart_tx_put(char c)
{
    *uart_reg(THR) = (uint8_t)c;
}

void uart_tx_wait_empty(void)
{
    while (!(*uart_reg(LSR) & LSR_TX_EMPTY))
        ;
}

int uart_getc(void)
{
    if (*uart_reg(LSR) & LSR_RX_READY)
        return *uart_reg(RHR);
    return -1;
}

static void uart_ier_set(uint8_t bit, bool on)
{
    spin_lock(&uart_ier_lock);
    uint8_t v = on ? (uint8_t)(uart_ier | bit) : (uint8_t)(uart_ier & ~bit);
    if (v != uart_ier) {
        uart_ier = v;
        *uart_reg(IER) = v;
    }
    spin_unlock(&uart_ier_lock);
}

void uart_rx_irq(bool on)
{
    uart_ier_set(IER_RX, on);
}

void uart_tx_irq(bool on)
{
    uart_ier_set(IER_THRE, on);
}

bool uart_rx_irq_enabled(void)
{
    return (*uart_reg(IER) & IER_RX) != 0;
}

bool uart_tx_irq_enabled(void)
{
    return (*uart_reg(IER) & IER_THRE) != 0;
}

/* One PLIC interrupt line for both directions: each side looks at its
 * own status (LSR), so neither needs the IIR. */
void uart_irq(void)
{
    console_uart_rx();
    console_out_irq();
}
