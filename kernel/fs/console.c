/*
 * /dev/console: the UART's input discipline, terminal modes, the
 * foreground process group, flow control and SYS_ioctl.
 *
 * Input arrives from the UART interrupt (console_uart_rx) or, in tests,
 * console_input(), into a ring of CONS_BUF bytes: [r, committed) may be
 * read, [committed, w) is the line being edited. Modes (struct
 * keel_termios lflag, default ECHO | ICANON | ISIG):
 *  - ICANON: a line is readable once Enter (CR becomes NL) or ^D ends it;
 *    erase (DEL, BS) removes the last unread byte of the edit line; ^D at
 *    the start of a line is end of file (one read returns 0). A read
 *    returns at most one line. An edit line that fills the whole ring is
 *    handed to the reader as it is (as ^D mid-line does), so a line longer
 *    than the ring arrives in pieces and typing never hangs.
 *    Without ICANON every byte is readable at once, a read returns what is
 *    there (at least one byte, at most n), and ^D, DEL and BS are bytes.
 *  - ECHO: input is echoed (NL as CR NL, erase as BS SP BS).
 *  - ISIG: ^C discards all unread input (the edit line and typeahead, as
 *    POSIX does without NOFLSH), echoes "^C" and a newline (with
 *    ECHO) and sends SIGINT to every process of the foreground group
 *    (none set: nobody). Without ISIG ^C is an ordinary byte.
 * Flow control: when the ring is full of unread bytes the console stops
 * taking bytes from the UART and masks its receive interrupt; the bytes
 * wait in the UART's FIFO (QEMU then stops reading its input). A read
 * that makes room pulls the waiting bytes in and unmasks the interrupt.
 * Nothing is dropped. While the ring is full a ^C behind the unread bytes
 * waits too, until a read makes room.
 *
 * Output (write() and the echo) goes through the transmit ring,
 * kernel/fs/console_out.c.
 *
 * Locking: cons.lock guards everything in `cons` and the UART's receive
 * interrupt; the echo takes console_out (the transmit ring's lock, also
 * printk's) inside it. SIGINT is sent after
 * cons.lock is dropped (proc/pgrp.c takes proc_tree_lock).
 *
 * Revoke (docs/capabilities.md "Revoking operations in progress"): a read
 * re-checks its slot (O2) under cons.lock after every wake-up and before
 * taking bytes; a write under the output lock, also after every wake-up
 * (a full ring); an ioctl under cons.lock
 * before it reads or changes the modes or the foreground group. So
 * console_cancel (R2), which takes both locks and wakes the readers,
 * returns only when no operation through the revoked slot is still
 * moving bytes or changing the terminal.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../../board/uart.h"

#define CONS_BUF 512
#define CONS_LFLAGS (KEEL_TTY_ECHO | KEEL_TTY_ICANON | KEEL_TTY_ISIG)
#define CTRL_C 0x03
#define CTRL_D 0x04

static struct {
    spinlock_t lock;
    char buf[CONS_BUF];
    uint32_t r, committed, w; /* read, committed and edit indexes */
    int eof_pending;          /* ^D seen at the start of a line */
    uint32_t lflag;           /* KEEL_TTY_* */
    int fg_pgid;              /* foreground process group, 0: none */
    bool rx_stopped;          /* ring full: UART receive masked */
    uint64_t rx_irq_ticks;    /* last receive interrupt with bytes (bench) */
    struct waitq readers;
} cons;

/* The echo: queued on the transmit ring (console_out.c), never
 * sleeping. */
static void out_bytes(const char *s, size_t n)
{
    console_write_locked_begin();
    console_out_put_locked(s, n, true);
    console_write_locked_end();
}

static bool ring_full(void)
{
    return cons.w - cons.r >= CONS_BUF;
}

static void commit_locked(void)
{
    cons.committed = cons.w;
    waitq_wake_all(&cons.readers);
}

/* One input byte; cons.lock held. Returns false when the byte was not
 * taken (the ring is full): the caller keeps it. *sig is set to the
 * group a ^C must reach. */
static bool input_locked(int c, int *sig)
{
    uint32_t lf = cons.lflag;
    if (c == '\r')
        c = '\n';
    if ((lf & KEEL_TTY_ISIG) && c == CTRL_C) {
        /* POSIX (no NOFLSH): the input queue is flushed, the line being
         * edited and what nobody read yet, so typeahead meant for the
         * interrupted program never reaches the next reader (the shell) */
        cons.r = cons.committed = cons.w;
        cons.eof_pending = 0;
        if (lf & KEEL_TTY_ECHO)
            out_bytes("^C\n", 3);
        *sig = cons.fg_pgid;
        return true;
    }
    if (lf & KEEL_TTY_ICANON) {
        if (c == 0x7f || c == '\b') {
            if (cons.w != cons.committed) {
                cons.w--;
                if (lf & KEEL_TTY_ECHO)
                    out_bytes("\b \b", 3);
            }
            return true;
        }
        if (c == CTRL_D) { /* end of file, or push the partial line */
            if (cons.w == cons.committed)
                cons.eof_pending = 1;
            commit_locked();
            return true;
        }
    }
    if (ring_full())
        return false;
    cons.buf[cons.w++ % CONS_BUF] = (char)c;
    if (lf & KEEL_TTY_ECHO) {
        char ch = (char)c;
        out_bytes(&ch, 1);
    }
    if (!(lf & KEEL_TTY_ICANON) || c == '\n' ||
        cons.w - cons.committed >= CONS_BUF)
        commit_locked(); /* raw byte, a whole line, or a ring-long line */
    return true;
}

/* Stop taking bytes from the UART while the ring is full. */
static void rx_stop_locked(void)
{
    if (!cons.rx_stopped) {
        cons.rx_stopped = true;
        uart_rx_irq(false);
    }
}

/* Take bytes from the UART while the ring has room; mask the receive
 * interrupt when it fills, unmask it when a stopped ring has room again.
 * cons.lock held. */
static void rx_pull_locked(int *sig)
{
    while (!ring_full()) {
        int c = uart_getc();
        if (c < 0)
            break;
        input_locked(c, sig); /* not full: always taken */
    }
    if (ring_full()) {
        rx_stop_locked();
    } else if (cons.rx_stopped) {
        cons.rx_stopped = false;
        uart_rx_irq(true);
    }
}

static void send_sigint(int g)
{
    if (g > 0)
        pgrp_signal(g, KEEL_SIGINT);
}

void console_uart_rx(void)
{
    int sig = 0;
    uint64_t now = time_now_ticks();
    spin_lock(&cons.lock);
    uint32_t w = cons.w;
    rx_pull_locked(&sig);
    if (cons.w != w)
        cons.rx_irq_ticks = now;
    spin_unlock(&cons.lock);
    send_sigint(sig);
}

uint64_t console_rx_irq_ns(void)
{
    spin_lock(&cons.lock);
    uint64_t t = cons.rx_irq_ticks;
    spin_unlock(&cons.lock);
    return t ? ticks_to_ns(t) : 0;
}

bool console_input(int c)
{
    int sig = 0;
    spin_lock(&cons.lock);
    bool taken = input_locked(c, &sig);
    if (ring_full())
        rx_stop_locked();
    else if (cons.rx_stopped)
        rx_pull_locked(&sig); /* a ^C emptied a full ring: receive again */
    spin_unlock(&cons.lock);
    send_sigint(sig);
    return taken;
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
            return -ERESTARTSYS; /* EINTR, or restarted (SA_RESTART) */
        }
    }
    if (cons.r == cons.committed) {
        cons.eof_pending = 0;
        spin_unlock(&cons.lock);
        return 0;
    }
    bool canon = cons.lflag & KEEL_TTY_ICANON;
    char tmp[CONS_BUF];
    size_t got = 0;
    while (got < n && cons.r != cons.committed) {
        char c = cons.buf[cons.r++ % CONS_BUF];
        tmp[got++] = c;
        if (canon && c == '\n')
            break;
    }
    int sig = 0;
    if (cons.rx_stopped)
        rx_pull_locked(&sig); /* room again: the waiting bytes come in */
    spin_unlock(&cons.lock);
    send_sigint(sig);
    if (copy_to_user(ubuf, tmp, got) < 0)
        return -EFAULT;
    return (long)got;
}

/* Output goes to the transmit ring in chunks of CONS_CHUNK bytes, each
 * queued whole; a full ring puts the writer to sleep until the UART's
 * interrupt drained it (console_out.c). Between chunks: a preemption
 * point. A kill ends the write (what was queued stays queued). */
#define CONS_CHUNK 128
static long console_write(struct file *f, uint64_t ubuf, size_t n,
                          const struct cap_pin *pin)
{
    (void)f;
    char tmp[CONS_CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof(tmp));
        if (copy_from_user(tmp, ubuf + done, chunk) < 0)
            return done ? (long)done : -EFAULT;
        console_write_locked_begin();
        int room;
        do {
            if (!cap_pin_live(pin)) { /* O2, under the output lock */
                console_write_locked_end();
                return done ? (long)done : -EBADF;
            }
            room = console_out_wait_locked(2 * chunk); /* NL -> CR NL */
        } while (room == 0);
        if (room < 0) {
            console_write_locked_end();
            return done ? (long)done : -ERESTARTSYS;
        }
        console_out_put_locked(tmp, chunk, true);
        console_write_locked_end();
        done += chunk;
        if (done < n)
            sched_preempt_point();
    }
    return (long)done;
}

/* R2: wait out a transfer or ioctl that checked its pin before the
 * revoke (input ring, then output lock) and wake the blocked readers and
 * writers (they re-check their pins). */
static void console_cancel(struct file *f)
{
    (void)f;
    spin_lock(&cons.lock);
    waitq_wake_all(&cons.readers);
    spin_unlock(&cons.lock);
    console_write_locked_begin();
    console_write_locked_end();
    console_out_wake_writers();
}

/* Terminal control. Arguments are copied in before cons.lock is taken
 * and results copied out after it is dropped. TIOCSPGRP needs a console
 * fd with READ or WRITE (POSIX allows any fd open on the terminal; the
 * shell's stdin is read-only) and authority over the group
 * (pgrp_may_foreground). */
static long console_ioctl(struct file *f, int req, uint64_t arg,
                          const struct cap_pin *pin, unsigned rights)
{
    (void)f;
    struct keel_termios t = {0};
    int32_t g = 0;
    long err = 0;
    switch (req) {
    case KEEL_IOC_TCGETS:
    case KEEL_IOC_TIOCGPGRP:
        break;
    case KEEL_IOC_TCSETS:
        if (copy_from_user(&t, arg, sizeof(t)) < 0)
            return -EFAULT;
        if (t.lflag & ~CONS_LFLAGS)
            return -EINVAL;
        break;
    case KEEL_IOC_TIOCSPGRP:
        if (copy_from_user(&g, arg, sizeof(g)) < 0)
            return -EFAULT;
        if (!(rights & (CAP_RIGHT_READ | CAP_RIGHT_WRITE)))
            return -EPERM; /* a console fd that moves no data */
        if (g <= 0)
            return -EINVAL;
        err = pgrp_may_foreground(g);
        if (err)
            return err;
        break;
    default:
        return -EINVAL;
    }
    spin_lock(&cons.lock);
    if (!cap_pin_live(pin)) { /* O2 */
        spin_unlock(&cons.lock);
        return -EBADF;
    }
    switch (req) {
    case KEEL_IOC_TCGETS:
        t.lflag = cons.lflag;
        break;
    case KEEL_IOC_TIOCGPGRP:
        g = cons.fg_pgid;
        break;
    case KEEL_IOC_TCSETS:
        if ((cons.lflag & KEEL_TTY_ICANON) && !(t.lflag & KEEL_TTY_ICANON))
            commit_locked(); /* the edit line becomes readable bytes */
        cons.lflag = t.lflag;
        break;
    case KEEL_IOC_TIOCSPGRP:
        cons.fg_pgid = g;
        break;
    }
    spin_unlock(&cons.lock);
    if (req == KEEL_IOC_TCGETS)
        err = copy_to_user(arg, &t, sizeof(t)) < 0 ? -EFAULT : 0;
    else if (req == KEEL_IOC_TIOCGPGRP)
        err = copy_to_user(arg, &g, sizeof(g)) < 0 ? -EFAULT : 0;
    return err;
}

const struct file_ops console_ops = {.read = console_read,
                                     .write = console_write,
                                     .cancel = console_cancel,
                                     .ioctl = console_ioctl};

/* SYS_ioctl: EBADF for a bad fd, ENOTTY for a file that is no terminal
 * (only the console is one). */
long sys_ioctl(int fd, int req, uint64_t arg)
{
    struct file *f;
    struct cap_pin pin;
    int err = cap_fd_get_pin(current()->proc, fd, 0, &f, &pin);
    if (err)
        return err;
    long r = -ENOTTY;
    if (f->ops->ioctl) {
        cap_word_t w = __atomic_load_n(pin.word, __ATOMIC_RELAXED);
        r = capw_gen(w) == pin.gen && capw_valid(w)
                ? f->ops->ioctl(f, req, arg, &pin, capw_rights(w))
                : -EBADF;
    }
    file_put(f);
    return r;
}

void console_init(void)
{
    spin_init(&cons.lock, "console");
    waitq_init(&cons.readers, "console_readers");
    cons.lflag = CONS_LFLAGS;
}

#ifdef KEEL_KTEST
/* Tests: back to the boot state (empty ring, default modes, no
 * foreground group, receive on); the state for checks. */
void console_test_reset(void)
{
    spin_lock(&cons.lock);
    cons.r = cons.committed = cons.w = 0;
    cons.eof_pending = 0;
    cons.lflag = CONS_LFLAGS;
    cons.fg_pgid = 0;
    cons.rx_stopped = false;
    uart_rx_irq(true);
    spin_unlock(&cons.lock);
}

void console_test_set_fg(int g)
{
    spin_lock(&cons.lock);
    cons.fg_pgid = g;
    spin_unlock(&cons.lock);
}

void console_test_set_lflag(uint32_t lflag)
{
    spin_lock(&cons.lock);
    cons.lflag = lflag;
    spin_unlock(&cons.lock);
}

/* Unread bytes, and whether receiving is stopped (with the UART's IER
 * bit, which must agree). */
uint32_t console_test_unread(bool *stopped, bool *irq_on)
{
    spin_lock(&cons.lock);
    uint32_t n = cons.w - cons.r;
    *stopped = cons.rx_stopped;
    *irq_on = uart_rx_irq_enabled();
    spin_unlock(&cons.lock);
    return n;
}
#endif
