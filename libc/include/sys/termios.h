/*
 * <termios.h> for Keel (newlib's <termios.h> includes <sys/termios.h>,
 * which newlib does not ship for this target). The kernel's console
 * knows three local modes, ECHO, ICANON and ISIG (struct keel_termios,
 * docs/syscalls.md "ioctl"); tcgetattr reports them in c_lflag and
 * tcsetattr applies them. The other flags are accepted and kept in the
 * caller's struct, and have no effect: the console always turns CR into
 * NL on input and writes NL as CR NL. c_cc holds the characters the
 * console uses (INTR ^C, EOF ^D, ERASE DEL); changing them has no effect.
 */
#ifndef KEEL_SYS_TERMIOS_H
#define KEEL_SYS_TERMIOS_H

#include <sys/types.h>

typedef unsigned int tcflag_t;
typedef unsigned char cc_t;
typedef unsigned int speed_t;

#define NCCS 12
/* c_cc indexes */
#define VEOF 0
#define VEOL 1
#define VERASE 2
#define VINTR 3
#define VKILL 4
#define VMIN 5
#define VQUIT 6
#define VSTART 7
#define VSTOP 8
#define VSUSP 9
#define VTIME 10

struct termios {
    tcflag_t c_iflag;
    tcflag_t c_oflag;
    tcflag_t c_cflag;
    tcflag_t c_lflag;
    cc_t c_cc[NCCS];
    speed_t c_ispeed;
    speed_t c_ospeed;
};

/* c_iflag */
#define IGNBRK 0x0001
#define BRKINT 0x0002
#define IGNPAR 0x0004
#define PARMRK 0x0008
#define INPCK 0x0010
#define ISTRIP 0x0020
#define INLCR 0x0040
#define IGNCR 0x0080
#define ICRNL 0x0100
#define IXON 0x0200
#define IXANY 0x0400
#define IXOFF 0x0800

/* c_oflag */
#define OPOST 0x0001
#define ONLCR 0x0002
#define OCRNL 0x0004
#define ONOCR 0x0008
#define ONLRET 0x0010

/* c_cflag */
#define CSIZE 0x0030
#define CS5 0x0000
#define CS6 0x0010
#define CS7 0x0020
#define CS8 0x0030
#define CSTOPB 0x0040
#define CREAD 0x0080
#define PARENB 0x0100
#define PARODD 0x0200
#define HUPCL 0x0400
#define CLOCAL 0x0800

/* c_lflag: ECHO, ICANON and ISIG are the console's modes */
#define ISIG 0x0001
#define ICANON 0x0002
#define ECHO 0x0008
#define ECHOE 0x0010
#define ECHOK 0x0020
#define ECHONL 0x0040
#define NOFLSH 0x0080
#define TOSTOP 0x0100
#define IEXTEN 0x0200

/* speeds (the console has one: reported as B115200) */
#define B0 0
#define B50 1
#define B75 2
#define B110 3
#define B134 4
#define B150 5
#define B200 6
#define B300 7
#define B600 8
#define B1200 9
#define B1800 10
#define B2400 11
#define B4800 12
#define B9600 13
#define B19200 14
#define B38400 15
#define B57600 16
#define B115200 17

/* tcsetattr actions: all three apply the modes at once (output is
 * written synchronously, so there is never any to drain; TCSAFLUSH does
 * not discard unread input) */
#define TCSANOW 0
#define TCSADRAIN 1
#define TCSAFLUSH 2

#ifdef __cplusplus
extern "C" {
#endif

int tcgetattr(int fd, struct termios *t);
int tcsetattr(int fd, int action, const struct termios *t);
/* No echo, no line editing, no ^C signal; bytes as they come. */
void cfmakeraw(struct termios *t);
speed_t cfgetispeed(const struct termios *t);
speed_t cfgetospeed(const struct termios *t);
int cfsetispeed(struct termios *t, speed_t speed);
int cfsetospeed(struct termios *t, speed_t speed);
/* Output is synchronous: 0 for a terminal fd, else -1 (ENOTTY, EBADF). */
int tcdrain(int fd);

#ifdef __cplusplus
}
#endif

#endif
