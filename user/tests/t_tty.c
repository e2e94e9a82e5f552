/*
 * Terminal control and process groups (issue 7 item 2): termios on the
 * console, ENOTTY/EBADF/EFAULT/EINVAL from ioctl, isatty, the process
 * group a child gets (inherited, POSIX_SPAWN_SETPGROUP), setpgid and
 * getpgid with their errors, kill and waitpid on a group, and the
 * authority tcsetpgrp needs. The console's input side (^C, long lines,
 * flow control, raw reads) is tested in the kernel (kernel/test/t_tty.c),
 * where input can be injected.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sys.h>

#include "utest.h"

/* tty-pgrp-wait: reports "PID PGID\n" on fd 1, then reads fd 0 to EOF. */
static int mode_pgrp_wait(int argc, char **argv)
{
    char buf[48];
    int n =
        snprintf(buf, sizeof(buf), "%d %d\n", (int)getpid(), (int)getpgrp());
    if (ut_write_full(1, buf, (size_t)n) != n)
        return 2;
    char c;
    while (read(0, &c, 1) > 0)
        ;
    return 0;
}

/* A tty-pgrp-wait child, in group pg with setpg (else the caller's):
 * its command pipe in *cmd (close it to end the child), its reported
 * pgid in *pgid. 0 or an errno value. */
static int spawn_member(pid_t *pid, int *cmd, int *pgid, int setpg, pid_t pg)
{
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    if (setpg) {
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&at, pg);
    }
    int rfd;
    int rc = ut_spawn_cmd_attr(pid, cmd, &rfd, &at, "tty-pgrp-wait", NULL, NULL,
                               NULL);
    posix_spawnattr_destroy(&at);
    if (rc)
        return rc;
    char buf[48];
    long n = 0;
    while (n < (long)sizeof(buf) - 1) { /* one line */
        long k = read(rfd, buf + n, 1);
        if (k <= 0 || buf[n] == '\n')
            break;
        n += k;
    }
    buf[n] = '\0';
    close(rfd);
    int rpid = 0;
    *pgid = -1;
    if (sscanf(buf, "%d %d", &rpid, pgid) != 2 || rpid != *pid)
        *pgid = -1;
    return 0;
}

/* Ends a spawn_member child and returns its wait status. */
static int end_member(pid_t pid, int cmd)
{
    close(cmd);
    return ut_wait(pid);
}

/* The console opened afresh (close-on-exec), so the tests do not depend
 * on what the suite's own fds 0-2 are. */
static int cons_open(int flags)
{
    return open("/dev/console", flags | O_CLOEXEC);
}

TEST(tty_termios_roundtrip)
{
    struct termios t, saved, got;
    int c0 = cons_open(O_RDONLY), c1 = cons_open(O_RDWR),
        c2 = cons_open(O_WRONLY);
    CHECK(c0 >= 0 && c1 >= 0 && c2 >= 0);
    CHECK_OK(tcgetattr(c0, &saved));
    CHECK((saved.c_lflag & (ECHO | ICANON | ISIG)) == (ECHO | ICANON | ISIG));
    t = saved;
    cfmakeraw(&t);
    CHECK_EQ(t.c_lflag & (ECHO | ICANON | ISIG), 0);
    CHECK_OK(tcsetattr(c0, TCSANOW, &t));
    CHECK_OK(tcgetattr(c1, &got)); /* one console: any of its fds */
    long raw = got.c_lflag & (ECHO | ICANON | ISIG);
    t.c_lflag = ISIG | IEXTEN | ECHONL; /* unknown to the console: ignored */
    CHECK_OK(tcsetattr(c2, TCSADRAIN, &t));
    CHECK_OK(tcgetattr(c0, &got));
    long isig = got.c_lflag & (ECHO | ICANON | ISIG);
    CHECK_OK(tcsetattr(c0, TCSAFLUSH, &saved));
    CHECK_OK(tcgetattr(c0, &got));
    CHECK_EQ(raw, 0);
    CHECK_EQ(isig, ISIG);
    CHECK_EQ(got.c_lflag & (ECHO | ICANON | ISIG), ECHO | ICANON | ISIG);
    CHECK_EQ(got.c_cc[VINTR], 3);
    CHECK_EQ(got.c_cc[VEOF], 4);
    CHECK_ERRNO(tcsetattr(c0, 7, &saved), EINVAL);
    CHECK_OK(tcdrain(c1));
    close(c0);
    close(c1);
    close(c2);
}

TEST(tty_ioctl_errors_and_isatty)
{
    int p[2];
    CHECK_OK(pipe(p));
    struct termios t;
    int e_pipe = tcgetattr(p[0], &t) < 0 ? errno : 0;
    int tty_pipe = isatty(p[1]);
    int e_tty_pipe = errno;
    close(p[0]);
    close(p[1]);
    CHECK_EQ(e_pipe, ENOTTY);
    CHECK_EQ(tty_pipe, 0);
    CHECK_EQ(e_tty_pipe, ENOTTY);
    int fd = open("/bin/hello", O_RDONLY);
    CHECK(fd >= 0);
    int e_file = tcgetattr(fd, &t) < 0 ? errno : 0;
    int e_sp = tcsetpgrp(fd, getpgrp()) < 0 ? errno : 0;
    close(fd);
    CHECK_EQ(e_file, ENOTTY);
    CHECK_EQ(e_sp, ENOTTY);
    fd = open("/dev/null", O_RDWR); /* a device, but no terminal */
    CHECK(fd >= 0);
    int tty_null = isatty(fd);
    close(fd);
    CHECK_EQ(tty_null, 0);
    int c0 = cons_open(O_RDONLY), c1 = cons_open(O_RDWR);
    CHECK(c0 >= 0 && c1 >= 0);
    int tty0 = isatty(c0), tty1 = isatty(c1);
    CHECK_EQ(tty0, 1);
    CHECK_EQ(tty1, 1);
    errno = 0;
    CHECK_EQ(isatty(77), 0);
    CHECK_EQ(errno, EBADF);
    CHECK_ERRNO(tcgetattr(77, &t), EBADF);
    CHECK_ERRNO(tcgetpgrp(-1), EBADF);
    /* The raw call: unknown request, bad pointers, unknown mode bits. */
    CHECK_RC(keel_syscall6(SYS_ioctl, c1, 99, 0, 0, 0, 0), -EINVAL);
    CHECK_RC(keel_syscall6(SYS_ioctl, c1, KEEL_IOC_TCGETS, 16, 0, 0, 0),
             -EFAULT);
    CHECK_RC(keel_syscall6(SYS_ioctl, c1, KEEL_IOC_TCSETS, 16, 0, 0, 0),
             -EFAULT);
    CHECK_RC(keel_syscall6(SYS_ioctl, c1, KEEL_IOC_TIOCGPGRP, 16, 0, 0, 0),
             -EFAULT);
    struct keel_termios bad = {.lflag = 0x80};
    CHECK_RC(keel_syscall6(SYS_ioctl, c1, KEEL_IOC_TCSETS, (long)&bad, 0, 0, 0),
             -EINVAL);
    CHECK_RC(keel_syscall6(SYS_ioctl, 99, KEEL_IOC_TCGETS, 0, 0, 0, 0), -EBADF);
    close(c0);
    close(c1);
}

TEST(pgrp_inherit_and_setpgroup)
{
    pid_t me = getpid(), mine = getpgrp();
    CHECK_EQ(getpgid(0), mine);
    CHECK_EQ(getpgid(me), mine);
    pid_t a, b, c;
    int ca, cb, cc, ga, gb, gc;
    CHECK_RC(spawn_member(&a, &ca, &ga, 0, 0), 0);
    int rb = spawn_member(&b, &cb, &gb, 1, 0); /* a new group led by b */
    int rc = rb ? -1 : spawn_member(&c, &cc, &gc, 1, b); /* joins b's */
    pid_t pa = getpgid(a), pb = rb ? -1 : getpgid(b);
    int sa = end_member(a, ca);
    int sb = rb ? 0 : end_member(b, cb);
    int sc = rc ? 0 : end_member(c, cc);
    CHECK_EQ(rb, 0);
    CHECK_EQ(rc, 0);
    CHECK_EQ(ga, mine);
    CHECK_EQ(pa, mine);
    CHECK_EQ(gb, b);
    CHECK_EQ(pb, b);
    CHECK_EQ(gc, b);
    CHECK_EXITED(sa, 0);
    CHECK_EXITED(sb, 0);
    CHECK_EXITED(sc, 0);
    /* A group nobody is in: the spawn fails and leaves no child. */
    pid_t d;
    int cd, gd;
    CHECK_RC(spawn_member(&d, &cd, &gd, 1, 0x7ffffff0), EPERM);
    CHECK_EQ(ut_count_children(), 0);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    pid_t g = -5;
    CHECK_RC(posix_spawnattr_setpgroup(&at, 42), 0);
    CHECK_RC(posix_spawnattr_getpgroup(&at, &g), 0);
    CHECK_EQ(g, 42);
    CHECK_RC(posix_spawnattr_setpgroup(&at, -1), EINVAL);
    /* Flags for what Keel lacks are accepted (no effect); unknown bits
     * are not. */
    CHECK_RC(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                               POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_RESETIDS),
             0);
    CHECK_RC(posix_spawnattr_setflags(&at, 0x4000), EINVAL);
    posix_spawnattr_destroy(&at);
}

TEST(setpgid_getpgid_errors)
{
    pid_t mine = getpgrp();
    CHECK_ERRNO(setpgid(-1, 0), EINVAL);
    CHECK_ERRNO(setpgid(0, -1), EINVAL);
    CHECK_ERRNO(getpgid(-1), EINVAL);
    CHECK_ERRNO(setpgid(0, 0x7ffffff0), EPERM); /* no such group */
    CHECK_ERRNO(setpgid(1, 0), EPERM);          /* init: no cap for it */
    CHECK_ERRNO(getpgid(1), EPERM);
    CHECK_ERRNO(getpgid(0x7ffffff0), ESRCH);
    CHECK_ERRNO(setpgid(0x7ffffff0, 0), ESRCH);
    pid_t a;
    int ca, ga;
    CHECK_RC(spawn_member(&a, &ca, &ga, 0, 0), 0);
    int r1 = setpgid(a, 0); /* a leads its own group, through our cap */
    pid_t g1 = getpgid(a);
    int r2 = setpgid(a, mine); /* and back into ours */
    pid_t g2 = getpgid(a);
    int st = end_member(a, ca);
    int r3 = setpgid(a, 0); /* reaped: our cap went with it */
    int e3 = errno;
    CHECK_EQ(r1, 0);
    CHECK_EQ(g1, a);
    CHECK_EQ(r2, 0);
    CHECK_EQ(g2, mine);
    CHECK_EXITED(st, 0);
    CHECK_EQ(r3, -1);
    CHECK(e3 == ESRCH || e3 == EPERM);
    /* The caller itself: a new group, then back. */
    CHECK_OK(setpgid(0, 0));
    pid_t own = getpgrp();
    int back = setpgid(0, mine);
    CHECK_EQ(own, getpid());
    CHECK_EQ(back, 0);
    CHECK_EQ(getpgrp(), mine);
}

TEST(pgrp_kill_and_waitpid_group)
{
    pid_t a, b;
    int ca, cb, ga, gb;
    CHECK_RC(spawn_member(&a, &ca, &ga, 1, 0), 0);
    int rb = spawn_member(&b, &cb, &gb, 1, a);
    int k = kill(-a, SIGTERM); /* both members: we hold caps for both */
    int sa = ut_wait(a), sb = rb ? 0 : ut_wait(b);
    close(ca);
    if (!rb)
        close(cb);
    CHECK_EQ(rb, 0);
    CHECK_EQ(gb, a);
    CHECK_EQ(k, 0);
    CHECK_SIGNALED(sa, SIGTERM);
    CHECK_SIGNALED(sb, SIGTERM);
    CHECK_ERRNO(kill(-a, 0), ESRCH); /* the group is empty now */
    CHECK_ERRNO(kill(-0x7ffffff0, SIGTERM), ESRCH);
    CHECK_OK(kill(0, 0)); /* our own group: us */
    /* A group whose only member we hold no cap for: EPERM; waitpid on
     * the group still reaps it (our child). */
    CHECK_RC(spawn_member(&a, &ca, &ga, 1, 0), 0);
    int slot = proc_handle(a);
    cap_token_t tok = 0;
    int dropped = slot >= 0 &&
                  cap_get_token(slot, CAP_TYPE_PROCESS, &tok) == 0 &&
                  cap_drop(tok) == 0;
    int e_perm = kill(-a, SIGTERM) < 0 ? errno : 0;
    int e_nochild = waitpid(-0x7ffffff0, NULL, WNOHANG) < 0 ? errno : 0;
    int st = -1;
    close(ca);
    pid_t w = waitpid(-a, &st, 0);
    CHECK(dropped);
    CHECK_EQ(e_perm, EPERM);
    CHECK_EQ(e_nochild, ECHILD);
    CHECK_EQ(w, a);
    CHECK_EXITED(st, 0);
}

/* Is pid a zombie (exited, not reaped)? Needs the system cap (procinfo). */
static int is_zombie(pid_t pid)
{
    struct keel_procinfo pi;
    for (int i = 0; keel_procinfo(i, &pi) == 1; i++) {
        if (pi.pid == pid)
            return pi.state == 1;
    }
    return 0;
}

/* POSIX: a process group lives until its last member's lifetime ends,
 * which is when it is reaped; a group whose members are all zombies can
 * still be joined (the shell's `echo hi | wc` starts wc in echo's group,
 * and echo may have exited by then). Its number is not reused as a pid
 * either while a member holds it. */
TEST(pgrp_join_group_of_zombie)
{
    pid_t a, b;
    int ca, cb, ga, gb = -1;
    CHECK_RC(spawn_member(&a, &ca, &ga, 1, 0), 0);
    close(ca); /* a reads EOF and exits; we do not reap it yet */
    int zombie = 0;
    for (int i = 0; i < 2000 && !(zombie = is_zombie(a)); i++)
        ut_sleep_ms(5);
    int k = kill(-a, 0); /* a group of one zombie we hold a cap for */
    int rb = zombie ? spawn_member(&b, &cb, &gb, 1, a) : -1;
    int sb = rb == 0 ? end_member(b, cb) : -1;
    int sa = ut_wait(a);
    CHECK(zombie);
    CHECK_EQ(k, 0);
    CHECK_EQ(rb, 0);
    CHECK_EQ(gb, a);
    CHECK_EXITED(sb, 0);
    CHECK_EXITED(sa, 0);
}

TEST(tty_tcsetpgrp_authority)
{
    int c0 = cons_open(O_RDONLY), c1 = cons_open(O_RDWR),
        c2 = cons_open(O_WRONLY);
    CHECK(c0 >= 0 && c1 >= 0 && c2 >= 0);
    pid_t mine = getpgrp(), old_fg = tcgetpgrp(c1);
    CHECK(old_fg >= 0);
    CHECK_OK(setpgid(0, 0)); /* out of init's group */
    pid_t own = getpgrp();
    int e_init = tcsetpgrp(c1, 1) < 0 ? errno : 0; /* init's: no cap */
    int e_none = tcsetpgrp(c1, 0x7ffffff0) < 0 ? errno : 0;
    int e_zero = tcsetpgrp(c1, 0) < 0 ? errno : 0;
    int r_rdonly = tcsetpgrp(c0, own); /* a read-only fd is enough */
    int r_own = tcsetpgrp(c1, own);
    pid_t fg_own = tcgetpgrp(c0);
    pid_t a;
    int ca, ga;
    int rs = spawn_member(&a, &ca, &ga, 1, 0);
    int r_child = rs ? -1 : tcsetpgrp(c2, a); /* our cap for a */
    pid_t fg_child = tcgetpgrp(c1);
    int st = rs ? 0 : end_member(a, ca);
    /* Back into our group, and the foreground group as it was when we
     * may set it (none set before: it stays a's, now empty). */
    int back = setpgid(0, mine);
    if (old_fg > 0)
        tcsetpgrp(c1, old_fg);
    close(c0);
    close(c1);
    close(c2);
    CHECK_EQ(e_init, EPERM);
    CHECK_EQ(e_none, ESRCH);
    CHECK_EQ(e_zero, EINVAL);
    CHECK_EQ(r_rdonly, 0);
    CHECK_EQ(r_own, 0);
    CHECK_EQ(fg_own, own);
    CHECK_EQ(rs, 0);
    CHECK_EQ(r_child, 0);
    CHECK_EQ(fg_child, a);
    CHECK_EXITED(st, 0);
    CHECK_EQ(back, 0);
}

const struct utest ut_tty_tests[] = {
    UT_CASE(tty_termios_roundtrip),      UT_CASE(tty_ioctl_errors_and_isatty),
    UT_CASE(pgrp_inherit_and_setpgroup), UT_CASE(pgrp_join_group_of_zombie),
    UT_CASE(setpgid_getpgid_errors),     UT_CASE(pgrp_kill_and_waitpid_group),
    UT_CASE(tty_tcsetpgrp_authority),    UT_END,
};

const struct ut_mode ut_tty_modes[] = {
    {"tty-pgrp-wait", mode_pgrp_wait},
    UT_MODE_END,
};
