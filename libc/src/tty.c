/*
 * Terminal calls on SYS_ioctl (the console is the only terminal):
 * tcgetattr/tcsetattr and friends over struct keel_termios, the
 * foreground process group (tcgetpgrp/tcsetpgrp), and isatty.
 */
#include <termios.h>
#include <unistd.h>

#include "internal.h"

static long tty_ioctl(int fd, int req, void *arg)
{
    return keel_sc3(SYS_ioctl, fd, req, (long)arg);
}

/* newlib's isatty() lands here (and its stdio asks it to pick line
 * buffering): a terminal is an fd that answers TCGETS. */
int _isatty(int fd)
{
    struct keel_termios kt;
    long r = tty_ioctl(fd, KEEL_IOC_TCGETS, &kt);
    if (r < 0) {
        errno = r == -EBADF ? EBADF : ENOTTY;
        return 0;
    }
    return 1;
}

int tcgetattr(int fd, struct termios *t)
{
    struct keel_termios kt;
    long r = tty_ioctl(fd, KEEL_IOC_TCGETS, &kt);
    if (r < 0)
        return (int)keel_ret(r);
    if (!t) {
        errno = EFAULT;
        return -1;
    }
    *t = (struct termios){0};
    t->c_iflag = ICRNL;         /* CR arrives as NL */
    t->c_oflag = OPOST | ONLCR; /* NL goes out as CR NL */
    t->c_cflag = CS8 | CREAD | CLOCAL;
    if (kt.lflag & KEEL_TTY_ECHO)
        t->c_lflag |= ECHO | ECHOE;
    if (kt.lflag & KEEL_TTY_ICANON)
        t->c_lflag |= ICANON;
    if (kt.lflag & KEEL_TTY_ISIG)
        t->c_lflag |= ISIG;
    t->c_cc[VINTR] = 0x03;
    t->c_cc[VEOF] = 0x04;
    t->c_cc[VERASE] = 0x7f;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
    t->c_ispeed = t->c_ospeed = B115200;
    return 0;
}

int tcsetattr(int fd, int action, const struct termios *t)
{
    if (action != TCSANOW && action != TCSADRAIN && action != TCSAFLUSH) {
        errno = EINVAL;
        return -1;
    }
    if (!t) {
        errno = EFAULT;
        return -1;
    }
    struct keel_termios kt = {0};
    if (t->c_lflag & ECHO)
        kt.lflag |= KEEL_TTY_ECHO;
    if (t->c_lflag & ICANON)
        kt.lflag |= KEEL_TTY_ICANON;
    if (t->c_lflag & ISIG)
        kt.lflag |= KEEL_TTY_ISIG;
    return (int)keel_ret(tty_ioctl(fd, KEEL_IOC_TCSETS, &kt));
}

void cfmakeraw(struct termios *t)
{
    t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
                              IGNCR | ICRNL | IXON);
    t->c_oflag &= ~(tcflag_t)OPOST;
    t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t->c_cflag |= CS8;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

speed_t cfgetispeed(const struct termios *t)
{
    return t->c_ispeed;
}

speed_t cfgetospeed(const struct termios *t)
{
    return t->c_ospeed;
}

int cfsetispeed(struct termios *t, speed_t speed)
{
    if (speed > B115200) {
        errno = EINVAL;
        return -1;
    }
    t->c_ispeed = speed;
    return 0;
}

int cfsetospeed(struct termios *t, speed_t speed)
{
    if (speed > B115200) {
        errno = EINVAL;
        return -1;
    }
    t->c_ospeed = speed;
    return 0;
}

int tcdrain(int fd)
{
    struct keel_termios kt;
    return keel_ret(tty_ioctl(fd, KEEL_IOC_TCGETS, &kt)) < 0 ? -1 : 0;
}

/* 0 when no foreground group is set. */
pid_t tcgetpgrp(int fd)
{
    int32_t g;
    long r = tty_ioctl(fd, KEEL_IOC_TIOCGPGRP, &g);
    if (r < 0)
        return (pid_t)keel_ret(r);
    return (pid_t)g;
}

int tcsetpgrp(int fd, pid_t pgrp)
{
    int32_t g = (int32_t)pgrp;
    return (int)keel_ret(tty_ioctl(fd, KEEL_IOC_TIOCSPGRP, &g));
}
