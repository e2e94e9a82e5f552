/*
 * /bin/sh line editor, for the interactive shell on the console.
 *
 * While a line is edited the console is in raw mode (tcsetattr through
 * KEEL_IOC_TCSETS: ICANON, ECHO and ISIG off), and it stays so while the
 * shell itself runs builtins; a foreground job gets the mode the shell
 * found at start (jobs.c). Keys: printable characters insert at the
 * cursor; left/right (ESC [ C/D, ^B/^F), home/end (ESC [ H/F, ESC O H/F,
 * ESC [ 1~ / 4~ / 7~ / 8~, ^A/^E), backspace (DEL, ^H), delete (ESC [ 3~,
 * ^D on a non-empty line), ^U and ^K kill, ^L redraws, up/down (ESC [ A/B,
 * ^P/^N) walk a history ring of SH_HIST_MAX lines, tab completes
 * (complete.c), ^C cancels the line ($? = 130), ^D on an empty line only
 * prints a hint (leave with exit or poweroff), Enter runs the line.
 *
 * A line holds at most SH_LINE_MAX characters: past it a key beeps and
 * is refused, Enter still runs what is there.
 *
 * The cursor moves by backspaces and rewriting, without knowing the
 * terminal's width: editing in the middle of a line longer than a
 * terminal row can look out of place, the line that runs is right.
 *
 * Without working terminal calls (ENOSYS or ENOTTY) the shell reads
 * cooked lines (the console's own echo and erase) of any length.
 * Main thread only (sh.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sh.h"

static struct termios orig_mode, raw_mode, held_mode;
static int tty_state = -1; /* -1 unknown, 0 no terminal calls, 1 ok */
static int tty_fd = -1;    /* the shell's own console fd for control */

/* Terminal control goes through a console fd of the shell's own, opened
 * read-write (setting the foreground group needs WRITE; fd 0 is
 * read-only) and close-on-exec. */
int sh_tty_fd(void)
{
    return tty_fd;
}

int sh_tty_ok(void)
{
    if (tty_state < 0) {
        tty_fd = open("/dev/console", O_RDWR | O_CLOEXEC);
        tty_state = tty_fd >= 0 && tcgetattr(tty_fd, &orig_mode) == 0;
        raw_mode = orig_mode;
        raw_mode.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
        held_mode = orig_mode;
        held_mode.c_lflag &= ~(tcflag_t)ISIG;
    }
    return tty_state;
}

void sh_tty_raw(void)
{
    if (sh_tty_ok())
        tcsetattr(tty_fd, TCSANOW, &raw_mode);
}

void sh_tty_held(void)
{
    if (sh_tty_ok())
        tcsetattr(tty_fd, TCSANOW, &held_mode);
}

void sh_tty_cooked(void)
{
    if (sh_tty_ok())
        tcsetattr(tty_fd, TCSANOW, &orig_mode);
}

/* ---- history ---- */

static char *hist[SH_HIST_MAX];
static int nhist;

void sh_hist_add(const char *line)
{
    if (!*line || (nhist && strcmp(hist[nhist - 1], line) == 0))
        return;
    char *copy = strdup(line);
    if (!copy)
        return;
    if (nhist == SH_HIST_MAX) {
        free(hist[0]);
        memmove(hist, hist + 1, (SH_HIST_MAX - 1) * sizeof(char *));
        nhist--;
    }
    hist[nhist++] = copy;
}

/* ---- output ---- */

static int ofd = 1;
static char obuf[256];
static size_t olen;

static void oflush(void)
{
    for (size_t off = 0; off < olen;) {
        ssize_t n = write(ofd, obuf + off, olen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    olen = 0;
}

static void out(const char *s, size_t n)
{
    while (n > 0) {
        if (olen == sizeof(obuf))
            oflush();
        size_t k = sizeof(obuf) - olen < n ? sizeof(obuf) - olen : n;
        memcpy(obuf + olen, s, k);
        olen += k;
        s += k;
        n -= k;
    }
}

static void outs(const char *s)
{
    out(s, strlen(s));
}

static void back(size_t n)
{
    while (n--)
        out("\b", 1);
}

/* ---- the editor ---- */

struct ed {
    char *buf;
    size_t len, pos;
    const char *prompt;
};

/* Rewrites from the cursor to the end (after a change there), erasing
 * `gone` characters the line lost, and puts the cursor back. */
static void redraw_tail(struct ed *e, size_t gone)
{
    out(e->buf + e->pos, e->len - e->pos);
    for (size_t i = 0; i < gone; i++)
        out(" ", 1);
    back(e->len - e->pos + gone);
}

static void insert(struct ed *e, const char *s, size_t n)
{
    if (e->len + n > SH_LINE_MAX) {
        out("\a", 1); /* the line is full: refuse, Enter still works */
        return;
    }
    memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos);
    memcpy(e->buf + e->pos, s, n);
    e->len += n;
    out(s, n);
    e->pos += n;
    redraw_tail(e, 0);
}

static void delete_at(struct ed *e, size_t at, size_t n)
{
    memmove(e->buf + at, e->buf + at + n, e->len - at - n);
    e->len -= n;
}

static void move_to(struct ed *e, size_t pos)
{
    if (pos < e->pos)
        back(e->pos - pos);
    else
        out(e->buf + e->pos, pos - e->pos);
    e->pos = pos;
}

/* Replaces the whole line by s. */
static void set_line(struct ed *e, const char *s)
{
    size_t old = e->len, n = strlen(s);
    if (n > SH_LINE_MAX)
        n = SH_LINE_MAX;
    move_to(e, 0);
    memcpy(e->buf, s, n);
    e->len = n;
    out(e->buf, n);
    e->pos = n;
    size_t gone = old > n ? old - n : 0;
    for (size_t i = 0; i < gone; i++)
        out(" ", 1);
    back(gone);
}

static void redraw_all(struct ed *e)
{
    outs("\r\n");
    outs(e->prompt);
    out(e->buf, e->len);
    back(e->len - e->pos);
}

static int getbyte(void)
{
    unsigned char c;
    for (;;) {
        ssize_t n = read(0, &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* After ESC: the key it starts, as one of the control codes the editor
 * already handles (^A ^E ^B ^F ^P ^N) or KEY_DELETE, or 0. */
#define KEY_DELETE 0x100
static int escape_key(void)
{
    int c = getbyte();
    if (c == 'O') {
        c = getbyte();
        return c == 'H' ? 1 : c == 'F' ? 5 : 0;
    }
    if (c != '[')
        return 0;
    int num = 0;
    for (;;) {
        c = getbyte();
        if (c >= '0' && c <= '9')
            num = num * 10 + (c - '0');
        else if (c != ';')
            break;
    }
    switch (c) {
    case 'A':
        return 16;
    case 'B':
        return 14;
    case 'C':
        return 6;
    case 'D':
        return 2;
    case 'H':
        return 1;
    case 'F':
        return 5;
    case '~':
        return num == 1 || num == 7   ? 1
               : num == 4 || num == 8 ? 5
               : num == 3             ? KEY_DELETE
                                      : 0;
    }
    return 0;
}

static void history_step(struct ed *e, int *hidx, char **saved, int dir)
{
    int n = *hidx + dir;
    if (n < 0 || n > nhist) {
        out("\a", 1);
        return;
    }
    if (*hidx == nhist) { /* leaving the line being typed: keep it */
        free(*saved);
        e->buf[e->len] = '\0';
        *saved = strdup(e->buf);
    }
    *hidx = n;
    set_line(e, n == nhist ? (*saved ? *saved : "") : hist[n]);
}

static char *edit_line(const char *prompt)
{
    struct ed e = {.prompt = prompt};
    e.buf = malloc(SH_LINE_MAX + 1);
    if (!e.buf)
        return NULL;
    int hidx = nhist;
    char *saved = NULL;
    outs(prompt);
    oflush();
    for (;;) {
        int c = getbyte();
        if (c < 0) {
            free(e.buf);
            free(saved);
            return NULL;
        }
        if (c == 27)
            c = escape_key();
        switch (c) {
        case 0:
            break;
        case '\r':
        case '\n':
            move_to(&e, e.len);
            outs("\r\n");
            oflush();
            e.buf[e.len] = '\0';
            free(saved);
            return e.buf;
        case 3: /* ^C */
            move_to(&e, e.len);
            outs("^C\r\n");
            outs(prompt);
            e.len = e.pos = 0;
            hidx = nhist;
            sh.status = 130;
            break;
        case 4: /* ^D */
            if (e.len == 0) {
                outs("\r\n(end of input ignored: leave with exit or "
                     "poweroff)\r\n");
                outs(prompt);
            } else if (e.pos < e.len) {
                delete_at(&e, e.pos, 1);
                redraw_tail(&e, 1);
            }
            break;
        case KEY_DELETE:
            if (e.pos < e.len) {
                delete_at(&e, e.pos, 1);
                redraw_tail(&e, 1);
            }
            break;
        case 127:
        case 8:
            if (e.pos > 0) {
                back(1);
                e.pos--;
                delete_at(&e, e.pos, 1);
                redraw_tail(&e, 1);
            }
            break;
        case 1:
            move_to(&e, 0);
            break;
        case 5:
            move_to(&e, e.len);
            break;
        case 2:
            if (e.pos > 0)
                move_to(&e, e.pos - 1);
            break;
        case 6:
            if (e.pos < e.len)
                move_to(&e, e.pos + 1);
            break;
        case 11: { /* ^K */
            size_t gone = e.len - e.pos;
            e.len = e.pos;
            redraw_tail(&e, gone);
            break;
        }
        case 21: /* ^U */
            set_line(&e, "");
            break;
        case 12:
            redraw_all(&e);
            break;
        case 16:
            history_step(&e, &hidx, &saved, -1);
            break;
        case 14:
            history_step(&e, &hidx, &saved, 1);
            break;
        case '\t': {
            char ins[KEEL_PATH_MAX];
            oflush();
            int r = sh_complete(e.buf, e.pos, ins, sizeof(ins), ofd);
            if (r == 1)
                insert(&e, ins, strlen(ins));
            else if (r == 2)
                redraw_all(&e);
            else
                out("\a", 1);
            break;
        }
        default:
            if (c >= 32 && c < 127) {
                char ch = (char)c;
                insert(&e, &ch, 1);
            }
            break;
        }
        oflush();
    }
}

/* Cooked reading: the console echoes and erases; ^D (a read of 0 bytes
 * at the start of a line) prints the hint. */
static char *cooked_line(const char *prompt)
{
    size_t len = 0, cap = 256;
    char *s = malloc(cap);
    int eofs = 0;
    if (!s)
        return NULL;
    outs(prompt);
    oflush();
    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n == 0 && ++eofs > 100)) {
            free(s);
            return NULL;
        }
        if (n == 0) {
            if (len == 0) {
                outs("\n(end of input ignored: leave with exit or "
                     "poweroff)\n");
                outs(prompt);
                oflush();
            }
            continue;
        }
        eofs = 0;
        if (c == '\n') {
            s[len] = '\0';
            return s;
        }
        if (len + 2 > cap) {
            char *ns = realloc(s, cap * 2);
            if (!ns) {
                free(s);
                return NULL;
            }
            s = ns;
            cap *= 2;
        }
        s[len++] = c;
    }
}

char *sh_readline(const char *prompt)
{
    fflush(NULL);
    ofd = sh_io_is_console(1) ? 1 : 2;
    if (!sh_tty_ok())
        return cooked_line(prompt);
    sh_tty_raw(); /* a program may have changed it */
    char *line = edit_line(prompt);
    /* Typeahead: what is typed between Enter and the job taking the
     * terminal is echoed and kept, line by line, for the job (cooked);
     * ISIG stays off until the job is in front (sh_job_wait_fg). */
    sh_tty_held();
    return line;
}
