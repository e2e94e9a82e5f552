/*
 * Device nodes: /dev/console (UART, line-buffered input with echo) and
 * /dev/null. Console input arrives from the UART interrupt into a ring;
 * `committed` marks the end of the last complete line (or ^D), which is
 * what read() may consume. cons.lock guards the ring; a read re-checks
 * its slot (O2) under it after every wake-up, and console_cancel (R2)
 * wakes the readers when a revoke clears a slot naming the console.
 */
#include "../include/mm.h"
#include "../include/vfs.h"
#include "../../board/uart.h"

#define CONS_BUF 512

static struct {
    spinlock_t lock;
    char buf[CONS_BUF];
    uint32_t r, committed, w; /* read, committed and edit indexes */
    int eof_pending;          /* ^D seen at the start of a line */
    struct waitq readers;
} cons;

void console_write_locked_begin(void);
void console_write_locked_end(void);

static void echo(char c)
{
    console_write_locked_begin();
    if (c == '\n')
        uart_putc_sync('\r');
    uart_putc_sync(c);
    console_write_locked_end();
}

void console_input(int c)
{
    spin_lock(&cons.lock);
    if (c == '\r')
        c = '\n';
    if (c == 0x7f || c == '\b') {
        if (cons.w != cons.committed) {
            cons.w--;
            console_write_locked_begin();
            uart_putc_sync('\b');
            uart_putc_sync(' ');
            uart_putc_sync('\b');
            console_write_locked_end();
        }
    } else if (c == 4) { /* ^D: end of file, or push the partial line */
        if (cons.w == cons.committed)
            cons.eof_pending = 1;
        cons.committed = cons.w;
        waitq_wake_all(&cons.readers);
    } else if (cons.w - cons.r < CONS_BUF - 1) {
        cons.buf[cons.w++ % CONS_BUF] = (char)c;
        echo((char)c);
        if (c == '\n') {
            cons.committed = cons.w;
            waitq_wake_all(&cons.readers);
        }
    }
    spin_unlock(&cons.lock);
}

static long console_read(struct file *f, uint64_t ubuf, size_t n,
                         const struct cap_pin *pin)
{
    (void)f;
    if (n == 0)
        return 0;
    spin_lock(&cons.lock);
    for (;;) {
        /* O2: the bytes leave the ring only while the slot is live. */
        if (!cap_pin_live(pin)) {
            spin_unlock(&cons.lock);
            return -EBADF;
        }
        if (cons.r != cons.committed || cons.eof_pending)
            break;
        int r = waitq_wait(&cons.readers, &cons.lock);
        if (r < 0) {
            spin_unlock(&cons.lock);
            return r;
        }
    }
    if (cons.r == cons.committed) {
        cons.eof_pending = 0;
        spin_unlock(&cons.lock);
        return 0;
    }
    char tmp[CONS_BUF];
    size_t got = 0;
    while (got < n && cons.r != cons.committed) {
        char c = cons.buf[cons.r++ % CONS_BUF];
        tmp[got++] = c;
        if (c == '\n')
            break;
    }
    spin_unlock(&cons.lock);
    if (copy_to_user(ubuf, tmp, got) < 0)
        return -EFAULT;
    return (long)got;
}

static long console_write(struct file *f, uint64_t ubuf, size_t n,
                          const struct cap_pin *pin)
{
    (void)f;
    char tmp[128];
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(tmp));
        if (copy_from_user(tmp, ubuf + done, chunk) < 0)
            return done ? (long)done : -EFAULT;
        console_write_locked_begin();
        if (!cap_pin_live(pin)) { /* O2, under the output lock */
            console_write_locked_end();
            return done ? (long)done : -EBADF;
        }
        for (size_t i = 0; i < chunk; i++) {
            if (tmp[i] == '\n')
                uart_putc_sync('\r');
            uart_putc_sync(tmp[i]);
        }
        console_write_locked_end();
        done += chunk;
    }
    return (long)done;
}

/* /dev/null moves no data and never blocks: no pin to check. */
static long null_read(struct file *f, uint64_t ubuf, size_t n,
                      const struct cap_pin *pin)
{
    (void)f, (void)ubuf, (void)n, (void)pin;
    return 0;
}

static long null_write(struct file *f, uint64_t ubuf, size_t n,
                       const struct cap_pin *pin)
{
    (void)f, (void)pin;
    if (n && !user_range_ok(ubuf, n))
        return -EFAULT;
    return (long)n;
}

/* R2: wait out a transfer that checked its pin before the revoke (input
 * ring, then output lock) and wake the blocked readers to re-check. */
static void console_cancel(struct file *f)
{
    (void)f;
    spin_lock(&cons.lock);
    waitq_wake_all(&cons.readers);
    spin_unlock(&cons.lock);
    console_write_locked_begin();
    console_write_locked_end();
}

static const struct file_ops console_ops = {
    .read = console_read, .write = console_write, .cancel = console_cancel};
static const struct file_ops null_ops = {.read = null_read,
                                         .write = null_write};

void devfs_init(void)
{
    spin_init(&cons.lock, "console");
    waitq_init(&cons.readers, "console_readers");
    ramfs_mknod("/dev", "console", &console_ops);
    ramfs_mknod("/dev", "null", &null_ops);
}
