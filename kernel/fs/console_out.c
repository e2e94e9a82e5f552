/*
 * The console's transmit ring (docs/realtime.md "Console output").
 *
 * Every byte for the terminal, from printk, the input echo and write() on
 * /dev/console, goes through one ring of TX_BUF bytes, in the order the
 * callers queued it under tx.lock. Bytes leave the ring only into an
 * empty transmit FIFO (LSR THRE), at most UART_TX_FIFO at a time, so no
 * hart ever waits on the UART per character:
 *  - the THRE interrupt (routed to the boot hart, board/plic.c) refills
 *    the FIFO; it is enabled exactly while the ring has bytes or a writer
 *    waits for room, so an idle console takes no interrupts;
 *  - a caller that queues bytes while the interrupt is off (the
 *    transmitter is idle) starts it: fills the empty FIFO and enables
 *    the interrupt, which does the rest.
 * write() fills the ring up to TX_BUF - TX_RESERVE and then sleeps on
 * tx.writers (killable) until the interrupt has drained it to TX_WAKE;
 * each write chunk (2 * CONS_CHUNK bytes after NL -> CR NL) is queued
 * whole, so concurrent writers mix at chunk boundaries only, as before.
 * printk and the echo never sleep (they may hold spinlocks or run in the
 * interrupt): they use the TX_RESERVE bytes a write() leaves, and only
 * when even those are taken do they move ring bytes to the FIFO
 * themselves, polling LSR (bounded by the bytes they queue: each empty
 * FIFO takes UART_TX_FIFO).
 * Synchronous output (uart_putc_sync) remains for early boot (before
 * console_out_start: the UART interrupt is not routed yet), after
 * console_out_panic (the ring is drained first, so the order holds), and
 * in console_out_flush on the way to poweroff, which drains the ring and
 * waits until the last byte left the UART (TEMT): exit statuses and the
 * last lines of output are never lost.
 *
 * Locking: tx.lock ("console_out") guards the ring, `ring` mode, the
 * `waiting` flag and the UART's THR use; it nests inside the console's
 * input lock (the echo) and outside uart_ier_lock and the writers'
 * waitq lock. Writers are woken after tx.lock is dropped, and only by
 * the interrupt and console_out_wake_writers, never by printk (which may
 * run under a run-queue lock): printk that frees room leaves the
 * interrupt on (`waiting`), and the interrupt wakes the writers.
 */
#include "../include/kernel.h"
#include "../include/sched.h"
#include "../../board/uart.h"

#define TX_BUF 4096    /* power of two */
#define TX_RESERVE 512 /* room write() leaves to printk and the echo */
#define TX_WAKE 2048   /* writers wake once the ring holds no more */

static struct {
    spinlock_t lock;
    char buf[TX_BUF];
    uint32_t head, tail; /* [tail, head) queued, free-running indexes */
    bool ring;           /* interrupt-driven (after console_out_start) */
    bool waiting;        /* a writer sleeps for room */
    bool irq_on;         /* the THRE interrupt is enabled */
    struct waitq writers;
} tx = {.lock = SPINLOCK_INIT("console_out"),
        .writers = {.lock = SPINLOCK_INIT("console_writers"),
                    .waiters = LIST_INIT(tx.writers.waiters)}};

static volatile bool tx_panic; /* set once by console_out_panic */

static uint32_t tx_used(void)
{
    return tx.head - tx.tail;
}

/* Into an empty FIFO, then the interrupt on while there is more to do. */
static void tx_fill_locked(void)
{
    if (uart_tx_ready())
        for (int i = 0; i < UART_TX_FIFO && tx.tail != tx.head; i++)
            uart_tx_put(tx.buf[tx.tail++ % TX_BUF]);
    bool want = tx.ring && (tx.tail != tx.head || tx.waiting);
    if (want != tx.irq_on) {
        tx.irq_on = want;
        uart_tx_irq(want);
    }
}

/* Poll the ring down to `left` queued bytes (printk without room, the
 * flush and panics). */
static void tx_drain_sync_locked(uint32_t left)
{
    while (tx_used() > left) {
        while (!uart_tx_ready())
            cpu_relax();
        tx_fill_locked();
    }
}

static void tx_push_locked(char c)
{
    if (tx_used() == TX_BUF)
        tx_drain_sync_locked(TX_BUF - UART_TX_FIFO);
    tx.buf[tx.head++ % TX_BUF] = c;
}

void console_write_locked_begin(void)
{
    spin_lock(&tx.lock);
}

void console_write_locked_end(void)
{
    spin_unlock(&tx.lock);
}

void console_out_put_locked(const char *s, size_t n, bool crlf)
{
    if (!tx.ring) {
        for (size_t i = 0; i < n; i++) {
            if (crlf && s[i] == '\n')
                uart_putc_sync('\r');
            uart_putc_sync(s[i]);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (crlf && s[i] == '\n')
            tx_push_locked('\r');
        tx_push_locked(s[i]);
    }
    if (!tx.irq_on)
        tx_fill_locked(); /* idle transmitter: start it */
}

int console_out_wait_locked(size_t n)
{
    if (!tx.ring || tx_used() + n <= TX_BUF - TX_RESERVE)
        return 1;
    tx.waiting = true;
    tx_fill_locked(); /* the interrupt is on: it will wake us */
    int r = waitq_wait(&tx.writers, &tx.lock);
    return r < 0 ? r : 0;
}

void console_out_wake_writers(void)
{
    waitq_wake_all(&tx.writers);
}

void console_out_irq(void)
{
    spin_lock(&tx.lock);
    bool wake = false;
    if (tx.waiting && tx_used() <= TX_WAKE) {
        tx.waiting = false;
        wake = true;
    }
    tx_fill_locked();
    spin_unlock(&tx.lock);
    if (wake)
        waitq_wake_all(&tx.writers);
}

void console_out_start(void)
{
    spin_lock(&tx.lock);
    tx.ring = true;
    spin_unlock(&tx.lock);
}

/* A panicking hart may hold tx.lock itself or find it held by a hart
 * that stopped: it tries for a while, then writes without it. */
static bool tx_lock_panic(void)
{
    if (spin_held(&tx.lock))
        return false;
    for (int i = 0; i < 1000000; i++) {
        if (spin_trylock(&tx.lock))
            return true;
        cpu_relax();
    }
    return false;
}

void console_out_printk(const char *s, size_t n)
{
    if (unlikely(tx_panic)) {
        bool locked = tx_lock_panic();
        tx_drain_sync_locked(0);
        for (size_t i = 0; i < n; i++)
            uart_putc_sync(s[i]);
        if (locked)
            spin_unlock(&tx.lock);
        return;
    }
    spin_lock(&tx.lock);
    console_out_put_locked(s, n, false);
    spin_unlock(&tx.lock);
}

void console_out_panic(void)
{
    bool locked = tx_lock_panic();
    tx.ring = false;
    tx_panic = true;
    if (locked)
        spin_unlock(&tx.lock);
}

/* The way to poweroff: everything queued goes out, and the lock stays
 * held so nothing queued after this is half-written. */
void console_out_flush(void)
{
    bool locked = tx_panic ? tx_lock_panic() : (spin_lock(&tx.lock), true);
    (void)locked;
    tx_drain_sync_locked(0);
    uart_tx_wait_empty();
}
