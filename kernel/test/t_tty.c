/*
 * In-kernel tests of the console's input side (issue 7 items 2 and 3):
 * input is injected with console_input() as the UART would deliver it,
 * and read back through sys_read on a console fd of a borrowed process.
 * ^C ends the foreground group only; a line longer than the input ring
 * arrives whole, in pieces; a full ring refuses bytes and masks the UART
 * receive interrupt until a read makes room (nothing is dropped); raw
 * mode hands over single bytes. Every test leaves the console as it was
 * at boot (console_test_reset).
 */
#include "kt_world.h"
#include "ktest.h"

long sys_read(int fd, uint64_t ubuf, uint64_t n);
long sys_ioctl(int fd, int req, uint64_t arg);
void console_test_reset(void);
void console_test_set_fg(int g);
uint32_t console_test_unread(bool *stopped, bool *irq_on);

#define RD_OFF KT_SCRATCH_FREE /* read buffer in the scratch page */
#define RD_MAX 1000

/* A console fd (read and write) in w's process: the slot. */
static int cons_fd(struct kt_world *w)
{
    return kt_install_path(w->p, "/dev/console", KEEL_O_RDWR,
                           CAP_RIGHT_READ | CAP_RIGHT_WRITE, 3);
}

/* One read(2) of up to n bytes into buf (copied out of the scratch page). */
static long cons_read(struct kt_world *w, int fd, char *buf, size_t n)
{
    KT_CHECK(n <= RD_MAX);
    long r = sys_read(fd, USER_BASE + RD_OFF, n);
    if (r > 0)
        memcpy(buf, kt_scratch(w) + RD_OFF, (size_t)r);
    return r;
}

static void set_lflag(struct kt_world *w, int fd, uint32_t lflag)
{
    struct keel_termios *t = (void *)(kt_scratch(w) + RD_OFF);
    t->lflag = lflag;
    t->pad = 0;
    KT_CHECK_EQ(sys_ioctl(fd, KEEL_IOC_TCSETS, USER_BASE + RD_OFF), 0);
}

static void feed(const char *s)
{
    for (; *s; s++)
        KT_CHECK(console_input((unsigned char)*s));
}

/* /bin/utest tty-pgrp-wait in group pgroup (flags: SETPGROUP or 0), its
 * stdin the read end of a pipe whose write end goes to *wr, stdout
 * /dev/null. It blocks reading until *wr is closed. */
static long spawn_waiter(struct kt_world *w, uint32_t flags, int pgroup,
                         struct file **wr)
{
    struct file *rd;
    KT_CHECK_EQ(pipe_create(&rd, wr), 0);
    KT_CHECK_EQ(
        cap_fd_install(w->p, rd, CAP_RIGHT_READ | CAP_RIGHT_GRANT, false, 0),
        0);
    KT_CHECK_EQ(
        kt_install_null(w->p, CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, false, 1), 1);
    static const char *const argv[] = {"/bin/utest", "tty-pgrp-wait", NULL};
    long pid = kt_spawn(w, NULL, 0, "/bin/utest", argv, flags, pgroup);
    cap_fd_close(w->p, 0);
    cap_fd_close(w->p, 1);
    return pid;
}

/* Whether our child pid has begun to exit. A signalled child may be a
 * zombie already (its exit can finish on another hart before we look):
 * then the lookup through our cap gives ESRCH, and that counts as
 * exiting (we have not reaped it, so it cannot be gone otherwise). */
static bool proc_exiting(struct kt_world *w, long pid)
{
    int err = 0;
    struct proc *c = cap_proc_lookup(w->p, (int)pid, 0, &err);
    if (!c) {
        KT_CHECK_EQ(err, -ESRCH);
        return true;
    }
    spin_lock(&c->lock);
    bool ex = c->exiting;
    spin_unlock(&c->lock);
    proc_put(c);
    return ex;
}

KTEST(tty_ctrl_c_kills_foreground_group_only)
{
    struct kt_world w;
    kt_world_begin(&w);
    console_test_reset();
    struct file *wa, *wb;
    long a = spawn_waiter(&w, KEEL_SPAWN_SETPGROUP, 0, &wa); /* own group */
    long b = spawn_waiter(&w, 0, 0, &wb);                    /* our group */
    KT_CHECK(a > 0 && b > 0);
    int fd = cons_fd(&w); /* no GRANT: only after the spawns */
    KT_CHECK(fd >= 3);
    /* No foreground group: ^C signals nobody. */
    feed("\x03");
    KT_CHECK(!proc_exiting(&w, a) && !proc_exiting(&w, b));
    console_test_set_fg((int)a);
    feed("early\r"); /* typeahead nobody read: flushed by the ^C too */
    feed("lost");
    feed("\x03"); /* discards "early" and "lost", SIGINT to group a */
    KT_CHECK(proc_exiting(&w, a)); /* signalled at once, by the input path */
    KT_CHECK(!proc_exiting(&w, b));
    feed("kept\r");
    char buf[16];
    long n = cons_read(&w, fd, buf, sizeof(buf));
    KT_CHECK_EQ(n, 5);
    KT_CHECK(n == 5 && !memcmp(buf, "kept\n", 5));
    int sta = kt_wait(&w, a);
    KT_CHECK_EQ(sta, KEEL_WSTATUS_SIGNALED(KEEL_SIGINT));
    file_put(wa);
    file_put(wb); /* EOF: b ends normally */
    KT_CHECK_EQ(kt_wait(&w, b), KEEL_WSTATUS_EXITED(0));
    /* ISIG off: ^C is an ordinary byte (and b's group is gone). */
    set_lflag(&w, fd, KEEL_TTY_ICANON);
    feed("\x03\n");
    n = cons_read(&w, fd, buf, sizeof(buf));
    KT_CHECK_EQ(n, 2);
    KT_CHECK_EQ(buf[0], 3);
    console_test_reset();
    kt_world_end(&w);
}

/* Items 3: a 600-character line fills the 512-byte ring; it is handed to
 * the reader as it is, the rest follows with the newline; erase and
 * Enter keep working after it. Echo off keeps the test log short. */
KTEST(tty_long_line_arrives_whole_in_pieces)
{
    struct kt_world w;
    kt_world_begin(&w);
    console_test_reset();
    int fd = cons_fd(&w);
    set_lflag(&w, fd, KEEL_TTY_ICANON | KEEL_TTY_ISIG);
    static char got[700];
    size_t total = 0;
    int reads = 0;
    long first = -1;
    for (int i = 0; i <= 600; i++) {
        char c = i == 600 ? '\r' : (char)('a' + i % 26);
        while (!console_input((unsigned char)c)) { /* full: read */
            long n = cons_read(&w, fd, got + total, RD_MAX);
            KT_CHECK(n > 0);
            if (n <= 0)
                break;
            if (first < 0)
                first = n;
            total += (size_t)n;
            reads++;
        }
    }
    while (total < 601) {
        long n = cons_read(&w, fd, got + total, RD_MAX);
        KT_CHECK(n > 0);
        if (n <= 0)
            break;
        total += (size_t)n;
        reads++;
    }
    KT_CHECK_EQ(total, 601);
    KT_CHECK_EQ(first, 512); /* the ring-long piece, no newline in it */
    KT_CHECK(reads >= 2);
    bool same = true;
    for (int i = 0; i < 600; i++)
        same &= got[i] == (char)('a' + i % 26);
    KT_CHECK(same);
    KT_CHECK_EQ(got[600], '\n');
    feed("xy\x7fz\r"); /* erase after a long line */
    long n = cons_read(&w, fd, got, RD_MAX);
    KT_CHECK_EQ(n, 3);
    KT_CHECK(n == 3 && !memcmp(got, "xz\n", 3));
    console_test_reset();
    kt_world_end(&w);
}

/* Flow control: with the ring full of unread lines the console refuses
 * bytes and masks the UART's receive interrupt; a read makes room and
 * unmasks it; every byte arrives, in order. */
KTEST(tty_ring_full_stops_rx_and_drops_nothing)
{
    struct kt_world w;
    kt_world_begin(&w);
    console_test_reset();
    int fd = cons_fd(&w);
    set_lflag(&w, fd, KEEL_TTY_ICANON | KEEL_TTY_ISIG);
    static char sent[700], got[700];
    int ns = 0;
    for (int line = 0; line < 3; line++) {
        for (int i = 0; i < 199; i++)
            sent[ns++] = (char)('A' + (line * 7 + i) % 26);
        sent[ns++] = '\n';
    }
    int taken = 0;
    while (taken < ns && console_input((unsigned char)sent[taken]))
        taken++;
    bool stopped, irq_on;
    KT_CHECK_EQ(taken, 512);
    KT_CHECK_EQ(console_test_unread(&stopped, &irq_on), 512);
    KT_CHECK(stopped);
    KT_CHECK(!irq_on);
    KT_CHECK(!console_input('!')); /* still refused: nothing dropped */
    size_t total = 0;
    long n = cons_read(&w, fd, got, RD_MAX); /* one line */
    KT_CHECK_EQ(n, 200);
    total += n > 0 ? (size_t)n : 0;
    console_test_unread(&stopped, &irq_on);
    KT_CHECK(!stopped);
    KT_CHECK(irq_on); /* receiving again */
    while (taken < ns) {
        if (console_input((unsigned char)sent[taken])) {
            taken++;
            continue;
        }
        n = cons_read(&w, fd, got + total, RD_MAX);
        KT_CHECK(n > 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    while (total < (size_t)ns) {
        n = cons_read(&w, fd, got + total, RD_MAX);
        KT_CHECK(n > 0);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    KT_CHECK_EQ(total, ns);
    KT_CHECK(!memcmp(got, sent, (size_t)ns));
    /* A ^C that arrives while the ring is full (injected: the UART's
     * FIFO waits) flushes it and receiving resumes. */
    for (taken = 0; console_input('z'); taken++)
        ;
    KT_CHECK_EQ(taken, 512);
    console_test_unread(&stopped, &irq_on);
    KT_CHECK(stopped && !irq_on);
    KT_CHECK(console_input(3));
    KT_CHECK_EQ(console_test_unread(&stopped, &irq_on), 0);
    KT_CHECK(!stopped && irq_on);
    console_test_reset();
    kt_world_end(&w);
}

/* ICANON off: a read returns what is there at once, one byte at a time
 * when asked for one; DEL and ^D are bytes; switching from canonical mode
 * hands over the unfinished line. */
KTEST(tty_raw_mode_reads_single_bytes)
{
    struct kt_world w;
    kt_world_begin(&w);
    console_test_reset();
    int fd = cons_fd(&w);
    set_lflag(&w, fd, KEEL_TTY_ICANON); /* no echo */
    feed("ab");                         /* no newline yet */
    set_lflag(&w, fd, 0);               /* raw: "ab" is readable now */
    char buf[8];
    long n = cons_read(&w, fd, buf, 1);
    KT_CHECK_EQ(n, 1);
    KT_CHECK_EQ(buf[0], 'a');
    n = cons_read(&w, fd, buf, 8);
    KT_CHECK_EQ(n, 1);
    KT_CHECK_EQ(buf[0], 'b');
    feed("\x7f");
    feed("\x04");
    feed("\x1b[A"); /* an arrow key: three bytes */
    n = cons_read(&w, fd, buf, 8);
    KT_CHECK_EQ(n, 5);
    KT_CHECK(n == 5 && !memcmp(buf, "\x7f\x04\x1b[A", 5));
    struct keel_termios *t = (void *)(kt_scratch(&w) + RD_OFF);
    KT_CHECK_EQ(sys_ioctl(fd, KEEL_IOC_TCGETS, USER_BASE + RD_OFF), 0);
    KT_CHECK_EQ(t->lflag, 0);
    console_test_reset();
    kt_world_end(&w);
}

/* TIOCSPGRP through a console fd that has neither READ nor WRITE (a
 * cap_transfer can make one): EPERM, even for the caller's own group;
 * with READ alone it works. */
KTEST(tty_tiocspgrp_needs_a_data_right)
{
    struct kt_world w;
    kt_world_begin(&w);
    console_test_reset();
    int none = kt_install_path(w.p, "/dev/console", KEEL_O_RDONLY, 0, 3);
    int rd =
        kt_install_path(w.p, "/dev/console", KEEL_O_RDONLY, CAP_RIGHT_READ, 4);
    KT_CHECK(none >= 0 && rd >= 0);
    int32_t *g = (int32_t *)(kt_scratch(&w) + RD_OFF);
    *g = w.p->pgid;
    KT_CHECK_EQ(sys_ioctl(none, KEEL_IOC_TIOCSPGRP, USER_BASE + RD_OFF),
                -EPERM);
    KT_CHECK_EQ(sys_ioctl(rd, KEEL_IOC_TIOCSPGRP, USER_BASE + RD_OFF), 0);
    *g = 0;
    KT_CHECK_EQ(sys_ioctl(rd, KEEL_IOC_TIOCGPGRP, USER_BASE + RD_OFF), 0);
    KT_CHECK_EQ(*g, w.p->pgid);
    console_test_reset();
    kt_world_end(&w);
}
