/*
 * docs/posix.md's program (see posix_api.c): the <signal.h> rows
 * (actions, masks, waiting, queueing).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* ---- <signal.h>: actions, masks, waiting, queueing (issue 9) ---- */

static volatile sig_atomic_t got_info_code;
static volatile long got_info_value;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signal = sig;
    got_info_code = si->si_code;
    got_info_value = si->si_value.sival_int;
}

static void *sig_sender(void *arg)
{
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    pthread_kill(*(pthread_t *)arg, SIGUSR2);
    return NULL;
}

/* Until the handler ran (pause may start after the first one). */
static void *sig_sender_loop(void *arg)
{
    struct timespec ts = {0, 10000000};
    for (int i = 0; i < 3000 && got_signal != SIGUSR2; i++) {
        nanosleep(&ts, NULL);
        pthread_kill(*(pthread_t *)arg, SIGUSR2);
    }
    return NULL;
}

/* The XSI calls and sigsetjmp / siglongjmp (session 10). */
static sigjmp_buf sig_jb;

static void on_plain_usr2(int sig)
{
    got_signal = sig;
}

static void xsi_signals(void)
{
    sigset_t cur;
    got_signal = 0;
    check(sigset(SIGUSR2, on_plain_usr2) == SIG_DFL && sighold(SIGUSR2) == 0 &&
              raise(SIGUSR2) == 0 && got_signal == 0 &&
              sigrelse(SIGUSR2) == 0 && got_signal == SIGUSR2,
          "sigset, sighold, sigrelse");
    check(sigset(SIGUSR2, SIG_HOLD) == on_plain_usr2 &&
              sigprocmask(SIG_BLOCK, NULL, &cur) == 0 &&
              sigismember(&cur, SIGUSR2) == 1,
          "sigset SIG_HOLD");
    check(siginterrupt(SIGUSR2, 1) == 0 && sigignore(SIGUSR2) == 0 &&
              sigpause(0) == -1 && errno == EINVAL,
          "siginterrupt, sigignore, sigpause");
    volatile int jumped = 0;
    if (sigsetjmp(sig_jb, 1) == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        siglongjmp(sig_jb, 1);
    }
    jumped = 1;
    check(jumped && sigprocmask(SIG_BLOCK, NULL, &cur) == 0 &&
              sigismember(&cur, SIGUSR2) == 1 &&
              sigismember(&cur, SIGUSR1) == 0,
          "sigsetjmp and siglongjmp restore the mask");
    signal(SIGUSR2, SIG_DFL);
    sigemptyset(&cur);
    sigprocmask(SIG_SETMASK, &cur, NULL);
    /* posix_spawn's signal attributes (the spawns are in posix_api.c). */
    posix_spawnattr_t at;
    sigset_t m, got;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    check(posix_spawnattr_init(&at) == 0 &&
              posix_spawnattr_setsigmask(&at, &m) == 0 &&
              posix_spawnattr_getsigmask(&at, &got) == 0 &&
              sigismember(&got, SIGUSR1) == 1 &&
              posix_spawnattr_setsigdefault(&at, &m) == 0 &&
              posix_spawnattr_getsigdefault(&at, &got) == 0 &&
              sigismember(&got, SIGUSR1) == 1 &&
              posix_spawnattr_destroy(&at) == 0,
          "posix_spawnattr_setsigmask, setsigdefault and their getters");
}

void signals(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    check(sigaction(SIGUSR1, &sa, &old) == 0, "sigaction");
    union sigval v = {.sival_int = 7};
    got_signal = 0;
    check(sigqueue(getpid(), SIGUSR1, v) == 0 && got_signal == SIGUSR1 &&
              got_info_code == SI_QUEUE && got_info_value == 7,
          "sigqueue to oneself runs the handler");
    sigset_t set, cur, pend;
    check(sigemptyset(&set) == 0 && sigaddset(&set, SIGUSR2) == 0 &&
              sigismember(&set, SIGUSR2) == 1 &&
              sigdelset(&set, SIGUSR2) == 0 &&
              sigismember(&set, SIGUSR2) == 0 && sigfillset(&cur) == 0 &&
              sigismember(&cur, SIGRTMAX) == 1,
          "signal sets");
    sigaddset(&set, SIGUSR2);
    check(sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
              pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 &&
              sigismember(&cur, SIGUSR2) == 1,
          "sigprocmask and pthread_sigmask");
    check(kill(getpid(), SIGUSR2) == 0 && sigpending(&pend) == 0 &&
              sigismember(&pend, SIGUSR2) == 1,
          "kill and sigpending");
    int sig = 0;
    check(sigwait(&set, &sig) == 0 && sig == SIGUSR2, "sigwait");
    struct timespec zero = {0, 0};
    siginfo_t si;
    check(sigtimedwait(&set, &si, &zero) == -1 && errno == EAGAIN,
          "sigtimedwait timeout is EAGAIN");
    pthread_t self = pthread_self(), th;
    if (pthread_create(&th, NULL, sig_sender, &self) == 0) {
        check(sigwaitinfo(&set, &si) == SIGUSR2 && si.si_code == SI_USER,
              "sigwaitinfo and pthread_kill");
        pthread_join(th, NULL);
    }
    check(raise(SIGUSR2) == 0 && killpg(getpgrp(), 0) == 0,
          "raise (blocked) and killpg");
    sigset_t none;
    sigemptyset(&none);
    sa.sa_sigaction = on_info;
    sigaction(SIGUSR2, &sa, NULL);
    got_signal = 0;
    check(sigsuspend(&none) == -1 && errno == EINTR && got_signal == SIGUSR2,
          "sigsuspend");
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ}, oss;
    check(ss.ss_sp && sigaltstack(&ss, &oss) == 0 &&
              (oss.ss_flags & SS_DISABLE),
          "sigaltstack");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(ss.ss_sp);
    got_signal = 0;
    if (pthread_create(&th, NULL, sig_sender_loop, &self) == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        check(pause() == -1 && errno == EINTR && got_signal == SIGUSR2,
              "pause");
        pthread_join(th, NULL);
    }
    unsigned left = (alarm(100), alarm(0));
    check(left >= 1 && left <= 100 && alarm(0) == 0, "alarm");
    sigaction(SIGUSR1, &old, NULL);
    signal(SIGUSR2, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    xsi_signals();
}
