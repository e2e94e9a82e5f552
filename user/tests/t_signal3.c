/*
 * Signals, the conformance additions of session 10 (issue 9 item 5):
 * the XSI calls sighold / sigrelse / sigignore / sigpause / sigset /
 * siginterrupt, and sigsetjmp / siglongjmp with the signal mask saved
 * and restored (also out of a handler), one of every real-time signal
 * queued at once (delivered lowest first), and abort overriding a
 * blocked or ignored SIGABRT. Each test runs in a child (UT_ISOLATED):
 * dispositions are per process. Helper processes are utest modes
 * (sig3-*), whose exit status reports what they saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ut_peer.h"
#include "utest.h"

static volatile int hits, hit_sig;
static volatile int masked_in_handler;

static sigset_t cur_mask(void)
{
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    return m;
}

static void on_sig(int sig)
{
    hit_sig = sig;
    hits++;
    sigset_t m = cur_mask();
    masked_in_handler = sigismember(&m, sig);
}

static void on_other(int sig)
{
    (void)sig;
}

static int is_pending(int sig)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

TEST(sig_xsi_hold_relse_ignore)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    /* sighold blocks: a raise stays pending; sigrelse delivers it. */
    CHECK_OK(sighold(SIGUSR1));
    sigset_t m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 1);
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(hits, 0);
    CHECK_EQ(is_pending(SIGUSR1), 1);
    CHECK_OK(sigrelse(SIGUSR1));
    CHECK_EQ(hits, 1);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 0);
    /* sigignore: SIG_IGN, and a pending instance is discarded. */
    CHECK_OK(sighold(SIGUSR1));
    CHECK_OK(raise(SIGUSR1));
    CHECK_OK(sigignore(SIGUSR1));
    struct sigaction old;
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    CHECK(old.sa_handler == SIG_IGN);
    CHECK_EQ(is_pending(SIGUSR1), 0);
    CHECK_OK(sigrelse(SIGUSR1));
    CHECK_EQ(hits, 1);
    /* Bad numbers; SIGKILL and SIGSTOP cannot be ignored. */
    CHECK_ERRNO(sighold(0), EINVAL);
    CHECK_ERRNO(sighold(SIGRTMAX + 1), EINVAL);
    CHECK_ERRNO(sigrelse(-1), EINVAL);
    CHECK_ERRNO(sigignore(0), EINVAL);
    CHECK_ERRNO(sigignore(SIGKILL), EINVAL);
    CHECK_ERRNO(sigignore(SIGSTOP), EINVAL);
    CHECK_ERRNO(siginterrupt(SIGRTMAX + 1, 1), EINVAL);
}

TEST(sig_xsi_sigset)
{
    /* The first call returns the default; a handler runs with its own
     * signal blocked, which is unblocked again afterwards. */
    CHECK(sigset(SIGUSR2, on_sig) == SIG_DFL);
    CHECK(sigset(SIGUSR2, on_sig) == on_sig);
    CHECK_OK(raise(SIGUSR2));
    CHECK_EQ(hits, 1);
    CHECK_EQ(hit_sig, SIGUSR2);
    CHECK_EQ(masked_in_handler, 1);
    sigset_t m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR2), 0);
    /* SIG_HOLD blocks and keeps the disposition: it returns the old one
     * (not blocked before); a second SIG_HOLD returns SIG_HOLD. */
    CHECK(sigset(SIGUSR2, SIG_HOLD) == on_sig);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR2), 1);
    CHECK(sigset(SIGUSR2, SIG_HOLD) == SIG_HOLD);
    struct sigaction old;
    CHECK_OK(sigaction(SIGUSR2, NULL, &old));
    CHECK(old.sa_handler == on_sig);
    CHECK_OK(raise(SIGUSR2));
    CHECK_EQ(hits, 1);
    /* A disposition while held: SIG_HOLD back, the signal unblocked and
     * the pending one delivered to the new handler. */
    CHECK(sigset(SIGUSR2, on_sig) == SIG_HOLD);
    CHECK_EQ(hits, 2);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR2), 0);
    CHECK(sigset(SIGUSR2, SIG_IGN) == on_sig);
    CHECK(sigset(SIGUSR2, SIG_DFL) == SIG_IGN);
    /* Errors: SIG_ERR with EINVAL. */
    errno = 0;
    CHECK(sigset(0, on_sig) == SIG_ERR && errno == EINVAL);
    errno = 0;
    CHECK(sigset(SIGKILL, on_sig) == SIG_ERR && errno == EINVAL);
    errno = 0;
    CHECK(sigset(SIGSTOP, SIG_IGN) == SIG_ERR && errno == EINVAL);
}

static void *send_later(void *arg)
{
    struct timespec ts = {0, 20000000};
    for (int i = 0; i < 3000 && !hits; i++) {
        nanosleep(&ts, NULL);
        pthread_kill(*(pthread_t *)arg, SIGUSR1);
    }
    return NULL;
}

TEST(sig_xsi_sigpause)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = on_other;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    /* Blocked before: sigpause takes only SIGUSR1 out of the mask, waits
     * until a signal is caught, returns -1 EINTR and puts the mask
     * back. */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &both, NULL));
    pthread_t self = pthread_self(), th;
    CHECK_RC(pthread_create(&th, NULL, send_later, &self), 0);
    errno = 0;
    CHECK_EQ(sigpause(SIGUSR1), -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(hits, 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    sigset_t m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 1);
    CHECK_EQ(sigismember(&m, SIGUSR2), 1);
    errno = 0;
    CHECK_ERRNO(sigpause(0), EINVAL);
    CHECK_ERRNO(sigpause(SIGRTMAX + 1), EINVAL);
}

TEST(sig_xsi_siginterrupt)
{
    struct sigaction sa = {0}, got;
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(siginterrupt(SIGUSR1, 1));
    CHECK_OK(sigaction(SIGUSR1, NULL, &got));
    CHECK(got.sa_handler == on_sig);
    CHECK_EQ(got.sa_flags & SA_RESTART, 0);
    CHECK_OK(siginterrupt(SIGUSR1, 0));
    CHECK_OK(sigaction(SIGUSR1, NULL, &got));
    CHECK_EQ(got.sa_flags & SA_RESTART, SA_RESTART);
    CHECK(got.sa_handler == on_sig);
}

static sigjmp_buf jb;
static volatile int jumped_sig;

static void on_jump(int sig)
{
    jumped_sig = sig;
    siglongjmp(jb, sig);
}

TEST(sig_sigsetjmp_mask)
{
    sigset_t usr1, m;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    /* savemask non-zero: the mask at sigsetjmp comes back. */
    volatile int rounds = 0;
    CHECK_OK(sigprocmask(SIG_SETMASK, &usr1, NULL));
    int r = sigsetjmp(jb, 1);
    rounds++;
    if (r == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        siglongjmp(jb, 7);
    }
    CHECK_EQ(r, 7);
    CHECK_EQ(rounds, 2);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 1);
    CHECK_EQ(sigismember(&m, SIGUSR2), 0);
    CHECK_EQ(sigismember(&m, SIGTERM), 0);
    /* savemask 0: the mask is left as it is at siglongjmp; a value 0
     * comes back as 1. */
    sigemptyset(&m);
    CHECK_OK(sigprocmask(SIG_SETMASK, &m, NULL));
    r = sigsetjmp(jb, 0);
    if (r == 0) {
        sigprocmask(SIG_SETMASK, &usr1, NULL);
        siglongjmp(jb, 0);
    }
    CHECK_EQ(r, 1);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 1);
    /* Out of a handler: the signal the handler blocked is unblocked
     * again (saved mask), so it can be taken a second time. */
    sigemptyset(&m);
    CHECK_OK(sigprocmask(SIG_SETMASK, &m, NULL));
    struct sigaction sa = {0};
    sa.sa_handler = on_jump;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    volatile int taken = 0;
    if (sigsetjmp(jb, 1) != 0)
        taken++;
    if (taken < 2)
        raise(SIGUSR2);
    CHECK_EQ(taken, 2);
    CHECK_EQ(jumped_sig, SIGUSR2);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR2), 0);
    /* _setjmp / _longjmp: the mask stays as the jump found it. */
    jmp_buf plain;
    volatile int back = 0;
    if (_setjmp(plain) == 0) {
        sigprocmask(SIG_SETMASK, &usr1, NULL);
        _longjmp(plain, 1);
    }
    back = 1;
    CHECK_EQ(back, 1);
    m = cur_mask();
    CHECK_EQ(sigismember(&m, SIGUSR1), 1);
}

static volatile int rt_order[SIGRTMAX + 1], rt_n, rt_bad;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (si->si_signo != sig || si->si_code != SI_QUEUE ||
        si->si_value.sival_int != sig * 10 || si->si_pid != getpid())
        rt_bad++;
    if (rt_n <= SIGRTMAX)
        rt_order[rt_n] = sig;
    rt_n++;
}

TEST(sig_rt_every_signal_queued)
{
    /* The limits say one of each real-time signal fits at once. */
    CHECK_EQ(sysconf(_SC_RTSIG_MAX), SIGRTMAX - SIGRTMIN + 1);
    CHECK_EQ(sysconf(_SC_SIGQUEUE_MAX), SIGQUEUE_MAX);
    CHECK(SIGQUEUE_MAX >= RTSIG_MAX);
    sigset_t rt;
    sigemptyset(&rt);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        sigaddset(&rt, s);
    sa.sa_mask = rt; /* each handler runs with the others blocked */
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        CHECK_OK(sigaction(s, &sa, NULL));
    CHECK_OK(sigprocmask(SIG_BLOCK, &rt, NULL));
    /* Sent highest first, taken lowest first. */
    for (int s = SIGRTMAX; s >= SIGRTMIN; s--) {
        union sigval v = {.sival_int = s * 10};
        CHECK_OK(sigqueue(getpid(), s, v));
    }
    CHECK_EQ(rt_n, 0);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &rt, NULL));
    CHECK_EQ(rt_n, SIGRTMAX - SIGRTMIN + 1);
    CHECK_EQ(rt_bad, 0);
    for (int i = 0; i < rt_n; i++)
        CHECKF(rt_order[i] == SIGRTMIN + i, "handled %d as number %d",
               rt_order[i], i);
    /* Exactly SIGQUEUE_MAX instances fit, then EAGAIN. */
    CHECK_OK(sigprocmask(SIG_BLOCK, &rt, NULL));
    for (int i = 0; i < SIGQUEUE_MAX; i++) {
        union sigval v = {.sival_int = SIGRTMIN * 10};
        CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
    }
    union sigval v = {.sival_int = 0};
    CHECK_ERRNO(sigqueue(getpid(), SIGRTMIN, v), EAGAIN);
    rt_n = 0;
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &rt, NULL));
    CHECK_EQ(rt_n, SIGQUEUE_MAX);
    CHECK_EQ(rt_bad, 0);
}

static int spawn_mode3(pid_t *pid, const char *mode)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = ut_spawn_self(pid, &fa, NULL, mode, NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

static volatile int abrt_hits;

static void on_abrt_return(int sig)
{
    (void)sig;
    abrt_hits++;
}

static void on_abrt_exit(int sig)
{
    (void)sig;
    _exit(33);
}

/* sig3-abort-blocked / -ignored / -returns / -exits: abort() with
 * SIGABRT blocked, ignored, caught by a handler that returns (exits 34
 * if abort returned) or by one that exits 33 (while also blocked). */
static int mode_abort(int argc, char **argv)
{
    (void)argc;
    const char *m = argv[1];
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    struct sigaction sa = {0};
    if (!strcmp(m, "sig3-abort-ignored")) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGABRT, &sa, NULL);
    } else if (!strcmp(m, "sig3-abort-returns")) {
        sa.sa_handler = on_abrt_return;
        sigaction(SIGABRT, &sa, NULL);
    } else if (!strcmp(m, "sig3-abort-exits")) {
        sa.sa_handler = on_abrt_exit;
        sigaction(SIGABRT, &sa, NULL);
        sigprocmask(SIG_BLOCK, &abrt, NULL);
    } else {
        sigprocmask(SIG_BLOCK, &abrt, NULL);
    }
    abort();
    return 34;
}

TEST(sig_abort_overrides_block_and_ignore)
{
    pid_t pid;
    CHECK_RC(spawn_mode3(&pid, "sig3-abort-blocked"), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGABRT);
    CHECK_RC(spawn_mode3(&pid, "sig3-abort-ignored"), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGABRT);
    CHECK_RC(spawn_mode3(&pid, "sig3-abort-returns"), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGABRT);
    CHECK_RC(spawn_mode3(&pid, "sig3-abort-exits"), 0);
    CHECK_EXITED(ut_wait(pid), 33);
}

static pthread_t nt_target;
static volatile int nt_hits, nt_wrong;

static void on_new_thread(int sig)
{
    (void)sig;
    nt_hits++; /* gp-relative: needs gp set */
    if (!pthread_equal(pthread_self(), nt_target))
        nt_wrong++;
}

/* Runs until its own handler has run (a signal left pending would be
 * dropped if it exited first). */
static void *nt_body(void *arg)
{
    int before = (int)(intptr_t)arg;
    while (nt_hits == before)
        sched_yield();
    return NULL;
}

/* sig3-new-thread: a signal sent to a thread right after pthread_create
 * (with one hart, before it ran its first instruction) runs the handler
 * in that thread; exits 0 if 50 rounds all did, 1 if the handler ran
 * in another thread or not at all. */
static int mode_new_thread(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct sigaction sa = {0};
    sa.sa_handler = on_new_thread;
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < 50; i++) {
        if (pthread_create(&nt_target, NULL, nt_body,
                           (void *)(intptr_t)nt_hits) != 0)
            return 2;
        if (pthread_kill(nt_target, SIGUSR1) != 0)
            return 3;
        pthread_join(nt_target, NULL);
    }
    return nt_hits == 50 && nt_wrong == 0 ? 0 : 1;
}

TEST(sig_to_thread_before_its_first_instruction)
{
    pid_t pid;
    CHECK_RC(spawn_mode3(&pid, "sig3-new-thread"), 0);
    CHECK_EXITED(ut_wait(pid), 0);
}

/* sig3-mask WANT IGN: exits 0 if the main thread's mask is WANT (hex),
 * the signals in IGN (hex) are ignored and every other action is the
 * default, else 1. */
static int mode_mask(int argc, char **argv)
{
    unsigned long long want = strtoull(argc > 2 ? argv[2] : "0", NULL, 16);
    unsigned long long ign = strtoull(argc > 3 ? argv[3] : "0", NULL, 16);
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    if ((unsigned long long)m != want)
        return 1;
    for (int s = 1; s <= SIGRTMAX; s++) {
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) != 0)
            continue;
        bool want_ign = (ign >> (s - 1)) & 1;
        if (sa.sa_handler != (want_ign ? SIG_IGN : SIG_DFL))
            return 1;
    }
    return 0;
}

static int spawn_mask(const posix_spawnattr_t *attr, sigset_t want,
                      sigset_t ign)
{
    char hex[24], ihex[24];
    snprintf(hex, sizeof(hex), "%llx", (unsigned long long)want);
    snprintf(ihex, sizeof(ihex), "%llx", (unsigned long long)ign);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = ut_spawn_self(&pid, &fa, attr, "sig3-mask", hex, ihex, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return rc ? -1 : ut_wait(pid);
}

static void on_ignore_me(int sig)
{
    (void)sig;
}

TEST(sig_spawn_mask_and_defaults)
{
    sigset_t usr1, usr2, none, got;
    sigemptyset(&none);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    /* A handler here: the child has the default; an ignored signal stays
     * ignored, unless POSIX_SPAWN_SETSIGDEF names it. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    struct sigaction sa = {0};
    sa.sa_handler = on_ignore_me;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGTERM, &sa, NULL));
    /* No attribute: the calling thread's mask is inherited. */
    CHECK_OK(sigprocmask(SIG_SETMASK, &usr1, NULL));
    CHECK_EXITED(spawn_mask(NULL, usr1, term), 0);
    /* POSIX_SPAWN_SETSIGMASK: the attribute's mask (SIGKILL and SIGSTOP
     * dropped from it). */
    posix_spawnattr_t at;
    CHECK_RC(posix_spawnattr_init(&at), 0);
    sigset_t m = usr2;
    sigaddset(&m, SIGKILL);
    sigaddset(&m, SIGSTOP);
    CHECK_RC(posix_spawnattr_setsigmask(&at, &m), 0);
    CHECK_RC(posix_spawnattr_getsigmask(&at, &got), 0);
    CHECK(got == m);
    CHECK_RC(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK), 0);
    CHECK_EXITED(spawn_mask(&at, usr2, term), 0);
    /* Set but not flagged: inherited again. */
    CHECK_RC(posix_spawnattr_setflags(&at, 0), 0);
    CHECK_EXITED(spawn_mask(&at, usr1, term), 0);
    /* POSIX_SPAWN_SETSIGDEF: SIGTERM back to the default; a set without
     * the flag changes nothing. */
    sigset_t def = usr2;
    sigaddset(&def, SIGTERM);
    CHECK_RC(posix_spawnattr_setsigdefault(&at, &def), 0);
    CHECK_RC(posix_spawnattr_getsigdefault(&at, &got), 0);
    CHECK(got == def);
    CHECK_EXITED(spawn_mask(&at, usr1, term), 0);
    CHECK_RC(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF |
                                               POSIX_SPAWN_SETSIGMASK),
             0);
    CHECK_RC(posix_spawnattr_setsigmask(&at, &none), 0);
    CHECK_EXITED(spawn_mask(&at, none, none), 0);
    CHECK_RC(posix_spawnattr_setsigmask(NULL, &none), EINVAL);
    CHECK_RC(posix_spawnattr_getsigmask(&at, NULL), EINVAL);
    CHECK_RC(posix_spawnattr_setsigdefault(&at, NULL), EINVAL);
    CHECK_RC(posix_spawnattr_getsigdefault(NULL, &got), EINVAL);
    CHECK_RC(posix_spawnattr_destroy(&at), 0);
    CHECK_OK(sigprocmask(SIG_SETMASK, &none, NULL));
}

const struct utest ut_signal3_tests[] = {
    UT_ISOLATED(sig_xsi_hold_relse_ignore),
    UT_ISOLATED(sig_xsi_sigset),
    UT_ISOLATED(sig_xsi_sigpause),
    UT_ISOLATED(sig_xsi_siginterrupt),
    UT_ISOLATED(sig_sigsetjmp_mask),
    UT_ISOLATED(sig_rt_every_signal_queued),
    UT_CASE(sig_abort_overrides_block_and_ignore),
    UT_CASE(sig_to_thread_before_its_first_instruction),
    UT_ISOLATED(sig_spawn_mask_and_defaults),
    UT_END,
};

/* clang-format off */
const struct ut_mode ut_signal3_modes[] = {
    {"sig3-abort-blocked", mode_abort},
    {"sig3-abort-ignored", mode_abort},
    {"sig3-abort-returns", mode_abort},
    {"sig3-abort-exits", mode_abort},
    {"sig3-new-thread", mode_new_thread},
    {"sig3-mask", mode_mask},
    UT_MODE_END,
};
/* clang-format on */
