/*
 * docs/posix.md's program (see posix_api.c): the <time.h> clock and
 * timer rows and <mqueue.h>.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <features.h> /* glibc's name, for programs from Linux */
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "posix_api.h"

/* ---- <time.h> ---- */

void clocks(void)
{
    struct timespec a, b, req = {0, 2000000};
    check(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime");
    check(nanosleep(&req, NULL) == 0, "nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &b);
    check(b.tv_sec * 1000000000L + b.tv_nsec >=
              a.tv_sec * 1000000000L + a.tv_nsec + 2000000,
          "slept at least 2 ms");
    struct timespec res;
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 &&
              res.tv_nsec > 0,
          "clock_getres");
    /* An absolute sleep 2 ms past b wakes no earlier. */
    struct timespec until = b;
    until.tv_nsec += 2000000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
          "clock_nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &a);
    check(a.tv_sec > until.tv_sec ||
              (a.tv_sec == until.tv_sec && a.tv_nsec >= until.tv_nsec),
          "woke at or after the absolute time");
    /* The monotonic clock cannot be set (with or without the right). */
    errno = 0;
    check(clock_settime(CLOCK_MONOTONIC, &a) == -1 && errno == EINVAL,
          "clock_settime");
    check(clock_gettime(CLOCK_REALTIME, &a) == 0, "CLOCK_REALTIME");
    time_t now = time(NULL);
    struct timeval tv;
    check(gettimeofday(&tv, NULL) == 0 && tv.tv_sec >= now, "gettimeofday");
    struct tms tm;
    check(times(&tm) != (clock_t)-1, "times");
    check(clock() != (clock_t)-1, "clock");
    struct tm g = *gmtime(&now), l = *localtime(&now);
    check(mktime(&l) != (time_t)-1, "mktime");
    char buf[64];
    check(strftime(buf, sizeof(buf), "%Y-%m-%d", &g) == 10, "strftime");
    check(difftime(now, now) == 0.0, "difftime");
}

/* POSIX timers (issue 9): a one-shot SIGEV_NONE timer on each clock. */
void timers(void)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
    struct itimerspec its = {{0, 0}, {0, 3000000}}, cur;
    check(timer_settime(t, 0, &its, NULL) == 0, "timer_settime");
    check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
              cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 3000000,
          "timer_gettime");
    check(timer_getoverrun(t) == 0, "timer_getoverrun");
    check(sysconf(_SC_TIMERS) == _POSIX_TIMERS, "sysconf timers");
    check(timer_delete(t) == 0, "timer_delete");
    errno = 0;
    check(timer_gettime(t, &cur) == -1 && errno == EINVAL, "deleted timer");
    /* CPU-time timers (_POSIX_CPUTIME, _POSIX_THREAD_CPUTIME). */
    check(sysconf(_SC_CPUTIME) == _POSIX_CPUTIME &&
              sysconf(_SC_THREAD_CPUTIME) == _POSIX_THREAD_CPUTIME,
          "sysconf cputime");
    check(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) == 0 &&
              timer_settime(t, 0, &its, NULL) == 0 && timer_delete(t) == 0,
          "timer_create process CPU clock");
    check(timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &t) == 0 &&
              timer_delete(t) == 0,
          "timer_create thread CPU clock");
}

/* ---- <unistd.h> ids (clock_settime's callers check they are root) ---- */

void user_ids(void)
{
    check(getuid() == 0 && geteuid() == 0, "getuid");
    check(getgid() == 0 && getegid() == 0, "getgid");
}

/* ---- <unistd.h> pathconf (the name limits of sem_open and mq_open) ---- */

void path_limits(void)
{
    check(pathconf("/", _PC_NAME_MAX) == NAME_MAX, "pathconf");
    int fd = open("/", O_RDONLY);
    check(fd >= 0 && fpathconf(fd, _PC_PATH_MAX) >= _POSIX_PATH_MAX,
          "fpathconf");
    close(fd);
}

/* ---- <mqueue.h> ---- */

void message_queues(void)
{
    const char *n = "/posix_api_mq";
    mq_unlink(n);
    struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 16};
    mqd_t q = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    check(q >= 0, "mq_open");
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    check(mq_notify(q, &ev) == 0 && mq_notify(q, NULL) == 0, "mq_notify");
    check(mq_send(q, "ab", 2, 1) == 0, "mq_send");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    check(mq_timedsend(q, "cde", 3, 2, &ts) == 0, "mq_timedsend");
    char buf[16];
    unsigned prio = 0;
    check(mq_receive(q, buf, sizeof(buf), &prio) == 3 && prio == 2,
          "mq_receive");
    check(mq_timedreceive(q, buf, sizeof(buf), &prio, &ts) == 2 && prio == 1,
          "mq_timedreceive");
    struct mq_attr got, set = {.mq_flags = O_NONBLOCK};
    check(mq_getattr(q, &got) == 0 && got.mq_maxmsg == 4 &&
              got.mq_msgsize == 16 && got.mq_curmsgs == 0,
          "mq_getattr");
    check(mq_setattr(q, &set, &got) == 0 && got.mq_flags == 0 &&
              mq_receive(q, buf, sizeof(buf), NULL) == -1 && errno == EAGAIN,
          "mq_setattr");
    check(mq_close(q) == 0, "mq_close");
    check(mq_unlink(n) == 0, "mq_unlink");
    /* <limits.h> NAME_MAX bounds a queue's name after its '/'. */
    char longname[NAME_MAX + 3];
    longname[0] = '/';
    memset(longname + 1, 'q', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    errno = 0;
    check(NAME_MAX >= _POSIX_NAME_MAX &&
              mq_open(longname, O_RDWR | O_CREAT, 0600, NULL) == -1 &&
              errno == ENAMETOOLONG,
          "NAME_MAX");
    longname[NAME_MAX + 1] = '\0'; /* NAME_MAX bytes: fine */
    q = mq_open(longname, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    check(q >= 0 && mq_close(q) == 0 && mq_unlink(longname) == 0,
          "NAME_MAX name");
}

/* Issue 9 item 6: sysconf, memory locking, fsync, more thread
 * attributes. */
