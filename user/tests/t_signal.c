/*
 * Signals, one process (issue 9 item 5): handlers and siginfo, masks and
 * pending sets, sigsuspend, sigwait / sigtimedwait, real-time queueing
 * order and values, SA_RESETHAND / SA_NODEFER, the alternate stack,
 * EINTR and SA_RESTART on blocking calls, pthread_kill. Faults, forged
 * frames, capabilities and races are in t_signal2.c. Each test runs in
 * a child (UT_ISOLATED): a process-directed signal goes to any thread
 * that does not block it, so the suite's other threads must not be
 * there; it still puts the actions and the mask back (sig_reset).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

static volatile int got_sig, got_code, got_pid, got_count;
static volatile long got_value;
static volatile uint64_t got_mask;

static void sig_reset(void)
{
    /* SIG_IGN first: it discards what a failed test left pending. */
    struct sigaction ign = {0}, sa = {0};
    ign.sa_handler = SIG_IGN;
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s <= SIGRTMAX; s++) {
        if (s != SIGKILL && s != SIGSTOP) {
            sigaction(s, &ign, NULL);
            sigaction(s, &sa, NULL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    got_sig = got_code = got_pid = got_count = 0;
    got_value = 0;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_value = (long)si->si_value.sival_ptr;
    got_count++;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    got_mask = cur;
}

static void on_plain(int sig)
{
    got_sig = sig;
    got_count++;
}

static int set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

TEST(sig_handler_siginfo)
{
    sig_reset();
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    CHECK_OK(kill(getpid(), SIGUSR1));
    /* Delivered before kill returned (POSIX, for the sending thread). */
    CHECK_EQ(got_count, 1);
    CHECK_EQ(got_sig, SIGUSR1);
    CHECK_EQ(got_code, SI_USER);
    CHECK_EQ(got_pid, getpid());
    /* While it ran, the signal itself was blocked; now it is not. */
    CHECK(got_mask & (1ul << (SIGUSR1 - 1)));
    sigset_t cur;
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGUSR1));
    /* raise and sigqueue to ourselves: codes and values. */
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(got_count, 2);
    CHECK_EQ(got_code, SI_USER);
    union sigval v = {.sival_int = 1234};
    CHECK_OK(sigqueue(getpid(), SIGUSR1, v));
    CHECK_EQ(got_count, 3);
    CHECK_EQ(got_code, SI_QUEUE);
    CHECK_EQ(got_value, 1234);
    /* Errors. */
    struct sigaction sa = {0};
    sa.sa_handler = on_plain;
    CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(0, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(65, &sa, NULL), EINVAL);
    CHECK_ERRNO(kill(getpid(), 65), EINVAL);
    CHECK_ERRNO(kill(getpid(), -1), EINVAL);
    CHECK_ERRNO(sigprocmask(7, &cur, NULL), EINVAL);
    sigset_t s;
    CHECK_ERRNO(sigaddset(&s, 0), EINVAL);
    CHECK_ERRNO(sigaddset(&s, 65), EINVAL);
    /* The old action comes back. */
    struct sigaction old;
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    CHECK(old.sa_sigaction == on_info && (old.sa_flags & SA_SIGINFO));
    /* signal() returns the previous handler. */
    CHECK(signal(SIGUSR2, on_plain) == SIG_DFL);
    CHECK(signal(SIGUSR2, SIG_IGN) == on_plain);
    CHECK_OK(raise(SIGUSR2)); /* ignored: nothing happens */
    sig_reset();
}

TEST(sig_mask_pending)
{
    sig_reset();
    CHECK_OK(set_action(SIGUSR2, on_info, 0));
    sigset_t b, old, pend;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, &old));
    CHECK(!sigismember(&old, SIGUSR2));
    CHECK_OK(raise(SIGUSR2));
    CHECK_OK(raise(SIGUSR2)); /* standard signals are not queued */
    CHECK_EQ(got_count, 0);
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR2));
    CHECK(!sigismember(&pend, SIGUSR1));
    /* SIGKILL and SIGSTOP cannot be blocked. */
    sigset_t all, cur;
    sigfillset(&all);
    CHECK_OK(sigprocmask(SIG_BLOCK, &all, NULL));
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP));
    CHECK(sigismember(&cur, SIGRTMAX));
    CHECK_OK(sigprocmask(SIG_SETMASK, &b, NULL));
    /* Unblocking delivers it once, before sigprocmask returns. */
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &b, NULL));
    CHECK_EQ(got_count, 1);
    CHECK_EQ(got_sig, SIGUSR2);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR2));
    /* A pending signal whose action becomes SIG_IGN is discarded. */
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    CHECK_OK(raise(SIGUSR2));
    CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR2));
    /* A blocked signal ignored by default stays pending (for sigwait). */
    CHECK_OK(sigaddset(&b, SIGCHLD));
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    CHECK_OK(raise(SIGCHLD));
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGCHLD));
    int sig = 0;
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGCHLD);
    CHECK_RC(sigwait(&w, &sig), 0);
    CHECK_EQ(sig, SIGCHLD);
    sig_reset();
}

TEST(sig_sigsuspend)
{
    sig_reset();
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    sigset_t b, none, cur;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigaddset(&b, SIGUSR2);
    sigemptyset(&none);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(got_count, 0);
    /* Returns EINTR after the handler ran with the temporary mask (plus
     * the signal); then the old mask is back. */
    CHECK_ERRNO(sigsuspend(&none), EINTR);
    CHECK_EQ(got_count, 1);
    CHECK(got_mask & (1ul << (SIGUSR1 - 1)));
    CHECK(!(got_mask & (1ul << (SIGUSR2 - 1))));
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2));
    sig_reset();
}

struct sender {
    pthread_t target;
    int sig;
    unsigned delay_ms;
    int fd; /* >= 0: write one byte here after the signal */
};

static void *send_later(void *arg)
{
    struct sender *s = arg;
    ut_sleep_ms(s->delay_ms);
    pthread_kill(s->target, s->sig);
    if (s->fd >= 0) {
        ut_sleep_ms(s->delay_ms);
        if (write(s->fd, "x", 1) != 1)
            return (void *)1;
    }
    return NULL;
}

TEST(sig_sigsuspend_woken_by_thread)
{
    sig_reset();
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    sigset_t b, none;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigemptyset(&none);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    struct sender s = {pthread_self(), SIGUSR1, 20, -1};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, send_later, &s), 0);
    CHECK_ERRNO(sigsuspend(&none), EINTR);
    CHECK_EQ(got_count, 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    sig_reset();
}

TEST(sig_timedwait)
{
    sig_reset();
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGRTMIN);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    siginfo_t si;
    struct timespec zero = {0, 0}, ms30 = {0, 30000000}, bad = {0, -1};
    /* POSIX: a timeout is EAGAIN (not ETIMEDOUT). */
    CHECK_ERRNO(sigtimedwait(&b, &si, &zero), EAGAIN);
    uint64_t t0 = ut_now_ns();
    CHECK_ERRNO(sigtimedwait(&b, &si, &ms30), EAGAIN);
    CHECK(ut_now_ns() - t0 >= 30000000ull);
    CHECK_ERRNO(sigtimedwait(&b, &si, &bad), EINVAL);
    union sigval v = {.sival_int = 42};
    CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
    CHECK_EQ(sigtimedwait(&b, &si, &zero), SIGRTMIN);
    CHECK_EQ(si.si_signo, SIGRTMIN);
    CHECK_EQ(si.si_code, SI_QUEUE);
    CHECK_EQ(si.si_value.sival_int, 42);
    CHECK_EQ(si.si_pid, getpid());
    /* sigwaitinfo wakes for a signal another thread sends. */
    struct sender s = {pthread_self(), SIGRTMIN, 20, -1};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, send_later, &s), 0);
    CHECK_EQ(sigwaitinfo(&b, &si), SIGRTMIN);
    CHECK_EQ(si.si_code, SI_USER);
    CHECK_RC(pthread_join(th, NULL), 0);
    /* A handled signal outside the set ends the wait with EINTR. */
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    struct sender s2 = {pthread_self(), SIGUSR1, 20, -1};
    CHECK_RC(pthread_create(&th, NULL, send_later, &s2), 0);
    struct timespec long_ts = {20, 0};
    CHECK_ERRNO(sigtimedwait(&b, &si, &long_ts), EINTR);
    CHECK_EQ(got_count, 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    sig_reset();
}

TEST(sig_rt_queue_order)
{
    sig_reset();
    sigset_t b;
    sigemptyset(&b);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 3; s++)
        sigaddset(&b, s);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    CHECK(SIGRTMAX - SIGRTMIN + 1 >= 8);
    int order[][2] = {{SIGRTMIN + 2, 1},
                      {SIGRTMIN, 2},
                      {SIGRTMIN + 3, 3},
                      {SIGRTMIN + 2, 4},
                      {SIGRTMIN, 5}};
    for (int i = 0; i < 5; i++) {
        union sigval v = {.sival_int = order[i][1]};
        CHECK_OK(sigqueue(getpid(), order[i][0], v));
    }
    /* Lowest number first; one number's instances in posting order. */
    int want[][2] = {{SIGRTMIN, 2},
                     {SIGRTMIN, 5},
                     {SIGRTMIN + 2, 1},
                     {SIGRTMIN + 2, 4},
                     {SIGRTMIN + 3, 3}};
    struct timespec zero = {0, 0};
    siginfo_t si;
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(sigtimedwait(&b, &si, &zero), want[i][0]);
        CHECK_EQ(si.si_value.sival_int, want[i][1]);
    }
    CHECK_ERRNO(sigtimedwait(&b, &si, &zero), EAGAIN);
    /* The queue is bounded: EAGAIN when full, usable again after. */
    int n = 0;
    for (;;) {
        union sigval v = {.sival_int = n};
        if (sigqueue(getpid(), SIGRTMIN + 1, v) < 0)
            break;
        n++;
        CHECK(n <= 1000);
    }
    CHECK_EQ(errno, EAGAIN);
    CHECK(n >= 8);
    for (int i = 0; i < n; i++) {
        CHECK_EQ(sigtimedwait(&b, &si, &zero), SIGRTMIN + 1);
        CHECK_EQ(si.si_value.sival_int, i);
    }
    /* Handlers see them in the same order when unblocked. */
    CHECK_OK(set_action(SIGRTMIN, on_info, 0));
    for (int i = 0; i < 3; i++) {
        union sigval v = {.sival_int = 10 + i};
        CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
    }
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &b, NULL));
    CHECK_EQ(got_count, 3);
    CHECK_EQ(got_value, 12); /* the last one handled */
    sig_reset();
}

static volatile int nested_depth, max_depth, calls;
static void on_nodefer(int sig)
{
    (void)sig;
    nested_depth++;
    if (nested_depth > max_depth)
        max_depth = nested_depth;
    if (++calls < 3)
        raise(SIGUSR1);
    nested_depth--;
}

TEST(sig_resethand_nodefer)
{
    sig_reset();
    CHECK_OK(set_action(SIGUSR1, on_info, SA_RESETHAND));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(got_count, 1);
    struct sigaction old;
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    CHECK(old.sa_handler == SIG_DFL);
    /* SA_NODEFER: the handler is entered again from inside itself. */
    struct sigaction sa = {0};
    sa.sa_handler = on_nodefer;
    sa.sa_flags = SA_NODEFER;
    nested_depth = max_depth = calls = 0;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(max_depth, 3);
    CHECK_EQ(calls, 3);
    /* Without it the inner raise waits until the handler returns. */
    sa.sa_flags = 0;
    nested_depth = max_depth = calls = 0;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(max_depth, 1);
    CHECK_EQ(calls, 3);
    /* sa_mask is blocked while the handler runs. */
    struct sigaction si = {0};
    si.sa_sigaction = on_info;
    si.sa_flags = SA_SIGINFO;
    sigemptyset(&si.sa_mask);
    sigaddset(&si.sa_mask, SIGRTMIN + 5);
    CHECK_OK(sigaction(SIGUSR2, &si, NULL));
    CHECK_OK(raise(SIGUSR2));
    CHECK(got_mask & (1ul << (SIGRTMIN + 5 - 1)));
    sig_reset();
}

static char *alt_base;
static volatile int alt_ok, alt_flags;
static void on_alt(int sig)
{
    (void)sig;
    char here;
    alt_ok = &here > alt_base && &here < alt_base + SIGSTKSZ;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0)
        alt_flags = cur.ss_flags;
    /* It cannot be changed while in use. */
    stack_t again = {.ss_sp = alt_base, .ss_size = SIGSTKSZ, .ss_flags = 0};
    if (sigaltstack(&again, NULL) == 0 || errno != EPERM)
        alt_ok = 0;
}

TEST(sig_altstack)
{
    sig_reset();
    alt_base = malloc(SIGSTKSZ);
    CHECK(alt_base != NULL);
    stack_t ss = {.ss_sp = alt_base, .ss_size = SIGSTKSZ, .ss_flags = 0};
    stack_t old;
    CHECK_OK(sigaltstack(&ss, &old));
    CHECK(old.ss_flags & SS_DISABLE);
    struct sigaction sa = {0};
    sa.sa_handler = on_alt;
    sa.sa_flags = SA_ONSTACK;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    alt_ok = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(alt_ok, 1);
    CHECK_EQ(alt_flags, SS_ONSTACK);
    /* Without SA_ONSTACK the handler runs on the thread's stack. */
    sa.sa_flags = 0;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    alt_ok = 1;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(alt_ok, 0);
    stack_t small = {.ss_sp = alt_base, .ss_size = 100, .ss_flags = 0};
    CHECK_ERRNO(sigaltstack(&small, NULL), ENOMEM);
    stack_t badf = {.ss_sp = alt_base, .ss_size = SIGSTKSZ, .ss_flags = 99};
    CHECK_ERRNO(sigaltstack(&badf, NULL), EINVAL);
    stack_t off = {.ss_flags = SS_DISABLE};
    CHECK_OK(sigaltstack(&off, &old));
    CHECK(old.ss_sp == alt_base && old.ss_size == SIGSTKSZ);
    CHECK_OK(sigaltstack(NULL, &old));
    CHECK(old.ss_flags & SS_DISABLE);
    free(alt_base);
    sig_reset();
}

TEST(sig_restart_vs_eintr_pipe)
{
    sig_reset();
    int p[2];
    CHECK_OK(pipe(p));
    /* SA_RESTART: the read goes on after the handler and gets the byte
     * written after the signal. */
    CHECK_OK(set_action(SIGUSR1, on_info, SA_RESTART));
    struct sender s = {pthread_self(), SIGUSR1, 30, p[1]};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, send_later, &s), 0);
    char c = 0;
    CHECK_EQ(read(p[0], &c, 1), 1);
    CHECK_EQ(c, 'x');
    CHECK_EQ(got_count, 1);
    CHECK_RC(pthread_join(th, NULL), 0);
    /* Without it: EINTR, and the byte is still there afterwards. */
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    CHECK_RC(pthread_create(&th, NULL, send_later, &s), 0);
    CHECK_ERRNO(read(p[0], &c, 1), EINTR);
    CHECK_EQ(got_count, 2);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(read(p[0], &c, 1), 1);
    /* nanosleep is never restarted: EINTR with the time left. */
    struct sender s2 = {pthread_self(), SIGUSR1, 30, -1};
    CHECK_OK(set_action(SIGUSR1, on_info, SA_RESTART));
    CHECK_RC(pthread_create(&th, NULL, send_later, &s2), 0);
    struct timespec req = {20, 0}, rem = {0, 0};
    CHECK_ERRNO(nanosleep(&req, &rem), EINTR);
    CHECK(rem.tv_sec > 0 && rem.tv_sec <= 20);
    CHECK_RC(pthread_join(th, NULL), 0);
    /* waitpid without SA_RESTART: EINTR. */
    CHECK_OK(set_action(SIGUSR1, on_info, 0));
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = ut_spawn_self(&pid, &fa, NULL, "sleep-loop", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_RC(pthread_create(&th, NULL, send_later, &s2), 0);
    int st;
    CHECK_ERRNO(waitpid(pid, &st, 0), EINTR);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    sig_reset();
}

static void *wait_usr2(void *arg)
{
    (void)arg;
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    int sig = 0;
    if (sigwait(&w, &sig) != 0)
        return (void *)-1l;
    return (void *)(long)sig;
}

TEST(sig_pthread_kill)
{
    sig_reset();
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR2);
    /* Blocked in every thread: the new thread inherits the mask. */
    CHECK_RC(pthread_sigmask(SIG_BLOCK, &b, NULL), 0);
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, wait_usr2, NULL), 0);
    ut_sleep_ms(10);
    CHECK_RC(pthread_kill(th, 0), 0);
    CHECK_RC(pthread_kill(th, SIGUSR2), 0);
    void *rv;
    CHECK_RC(pthread_join(th, &rv), 0);
    CHECK_EQ((long)rv, SIGUSR2);
    /* The signal went to that thread: none is left pending here. */
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR2));
    CHECK_RC(pthread_kill(th, 0), ESRCH);
    CHECK_RC(pthread_kill(pthread_self(), 99), EINVAL);
    sig_reset();
}

const struct utest ut_signal_tests[] = {
    UT_ISOLATED(sig_handler_siginfo),
    UT_ISOLATED(sig_mask_pending),
    UT_ISOLATED(sig_sigsuspend),
    UT_ISOLATED(sig_sigsuspend_woken_by_thread),
    UT_ISOLATED(sig_timedwait),
    UT_ISOLATED(sig_rt_queue_order),
    UT_ISOLATED(sig_resethand_nodefer),
    UT_ISOLATED(sig_altstack),
    UT_ISOLATED(sig_restart_vs_eintr_pipe),
    UT_ISOLATED(sig_pthread_kill),
    UT_END,
};
