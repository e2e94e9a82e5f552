/*
 * Device nodes: /dev/console (UART, line-buffered input with echo) and
 * /dev/null. Console input arrives from the UART interrupt into a ring;
 * `committed` marks the end of the last complete line (or ^D), which is
 * what read() may consume. cons.lock guards the ring.
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

static long console_read(struct file *f, uint64_t ubuf, size_t n)
{
    (void)f;
    if (n == 0)
        return 0;
    spin_lock(&cons.lock);
    while (cons.r == cons.committed && !cons.eof_pending) {
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

static long console_write(struct file *f, uint64_t ubuf, size_t n)
{
    (void)f;
    char tmp[128];
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(tmp));
        if (copy_from_user(tmp, ubuf + done, chunk) < 0)
            return done ? (long)done : -EFAULT;
        console_write_locked_begin();
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

static long null_read(struct file *f, uint64_t ubuf, size_t n)
{
    (void)f, (void)ubuf, (void)n;
    return 0;
}

static long null_write(struct file *f, uint64_t ubuf, size_t n)
{
    (void)f;
    if (n && !user_range_ok(ubuf, n))
        return -EFAULT;
    return (long)n;
}

static const struct file_ops console_ops = {.read = console_read,
                                            .write = console_write};
static const struct file_ops null_ops = {.read = null_read,
                                         .write = null_write};

void devfs_init(void)
{
    spin_init(&cons.lock, "console");
    waitq_init(&cons.readers, "console_readers");
    ramfs_mknod("/dev", "console", &console_ops);
    ramfs_mknod("/dev", "null", &null_ops);
}
