/*
 * Signals, the conformance additions of session 10 (issue 9 item 5):
 * the XSI calls sighold / sigrelse / sigignore / sigpause / sigset /
 * siginterrupt, and sigsetjmp / siglongjmp with the signal mask saved
 * and restored (also out of a handler). Each test runs in a child
 * (UT_ISOLATED): dispositions are per process.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

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

const struct utest ut_signal3_tests[] = {
    UT_ISOLATED(sig_xsi_hold_relse_ignore), UT_ISOLATED(sig_xsi_sigset),
    UT_ISOLATED(sig_xsi_sigpause),          UT_ISOLATED(sig_xsi_siginterrupt),
    UT_ISOLATED(sig_sigsetjmp_mask),        UT_END,
};
