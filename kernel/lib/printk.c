/* Kernel printing: a small formatter over the console's transmit ring
 * (kernel/fs/console_out.c). One printk call is queued whole under the
 * ring's lock, so lines from different harts don't mix, and in order with
 * write() on the console; it never sleeps. Before the ring is up (early
 * boot) and in a panic the bytes go to the UART synchronously. */
#include "../include/kernel.h"
#include "../include/spinlock.h"
#include "../include/riscv.h"
#include "../../board/uart.h"

struct outbuf {
    char *buf;
    size_t size, len;
};

static void out_ch(struct outbuf *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_num(struct outbuf *o, uint64_t v, int base, int width, char pad,
                    bool neg)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (width-- > n)
        out_ch(o, pad);
    while (n)
        out_ch(o, tmp[--n]);
}

static void format(struct outbuf *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_ch(o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            lng++, fmt++;
        if (*fmt == 'z')
            lng = 1, fmt++;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            out_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad,
                    v < 0);
            break;
        }
        case 'u':
            out_num(o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10,
                    width, pad, false);
            break;
        case 'x':
            out_num(o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16,
                    width, pad, false);
            break;
        case 'p':
            out_ch(o, '0');
            out_ch(o, 'x');
            out_num(o, (uint64_t)va_arg(ap, void *), 16, width, pad, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            while (*s)
                out_ch(o, *s++);
            break;
        }
        case 'c':
            out_ch(o, (char)va_arg(ap, int));
            break;
        case '%':
            out_ch(o, '%');
            break;
        default:
            out_ch(o, '%');
            out_ch(o, *fmt);
            break;
        }
    }
}

int vsnprintk(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct outbuf o = {buf, size, 0};
    format(&o, fmt, ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintk(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintk(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[256];
    struct outbuf o = {buf, sizeof(buf), 0};
    format(&o, fmt, ap);
    size_t n = o.len < sizeof(buf) - 1 ? o.len : sizeof(buf) - 1;
    console_out_printk(buf, n);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;
#ifdef KEEL_KTEST
    /* A test that expects this panic (ktest_expect_panic on this hart)
     * gets control back instead. */
    va_start(ap, fmt);
    ktest_panic_hook(fmt, ap);
    va_end(ap);
#endif
    intr_off();
    console_out_panic(); /* what is queued, then this, synchronously */
    va_start(ap, fmt);
    printk("\nKERNEL PANIC: ");
    vprintk(fmt, ap);
    printk("\n");
    va_end(ap);
    board_poweroff(99);
}
