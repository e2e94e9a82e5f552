/*
 * Signals across processes (issue 9 item 5): default actions, caught
 * faults (SIGSEGV with si_addr, SIGILL, SIGBUS), forged sigreturn frames
 * killing only their process, kill's capability rule and the cap signal
 * allow-list (surviving cap_transfer), and signals racing with exits and
 * with blocking calls on every hart. Helper processes are utest modes
 * (sig-*), whose exit code reports what they saw.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "ut_peer.h"
#include "utest.h"

#define BIT(s) (1ull << ((s)-1))

static int spawn_mode(pid_t *pid, const char *mode, const char *a1)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = ut_spawn_self(pid, &fa, NULL, mode, a1, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    /* Leave without returning into the faulting instruction. */
    _exit(sig == SIGSEGV && si->si_signo == SIGSEGV ? 40 : 41);
}

static void on_ill(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    _exit(sig == SIGILL && si->si_code == ILL_ILLOPC && si->si_addr ? 50 : 51);
}

/* sig-segv ADDR: catch the fault of a load from ADDR; exits 40 when
 * si_addr is right, 41 wrong signal, 42 the load did not fault. */
static int mode_sig_segv(int argc, char **argv)
{
    uintptr_t a = (uintptr_t)strtoul(argc > 2 ? argv[2] : "4096", NULL, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    volatile int *p = (volatile int *)a;
    int v = *p;
    (void)v;
    return 42;
}

/* sig-segv-check ADDR: as sig-segv, but the handler returns the verdict
 * through the exit code: 40 + (si_addr == ADDR ? 0 : 3). */
static void on_fault_check(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    (void)sig;
    _exit((uintptr_t)si->si_addr == fault_addr && si->si_code == SEGV_MAPERR
              ? 40
              : 43);
}
static int mode_sig_segv_check(int argc, char **argv)
{
    fault_addr = (uintptr_t)strtoul(argc > 2 ? argv[2] : "4096", NULL, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault_check;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    volatile int *p = (volatile int *)fault_addr;
    int v = *p;
    (void)v;
    return 42;
}

/* sig-ill: catch an illegal instruction (exits 50). */
static int mode_sig_ill(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct sigaction sa = {0};
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    __asm__ volatile(".word 0" ::: "memory"); /* an illegal encoding */
    return 52;
}

/* sig-segv-blocked: SIGSEGV blocked: the fault kills as if uncaught. */
static int mode_sig_segv_blocked(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGSEGV);
    sigprocmask(SIG_BLOCK, &b, NULL);
    volatile int *p = (volatile int *)4096;
    return *p ? 43 : 44;
}

static volatile int forge_kind;
static void on_forge(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    switch (forge_kind) {
    case 1: /* a status bit: SPP (would return to S-mode) */
        uc->uc_mcontext.__status |= 1ul << 8;
        break;
    case 2: /* a pc in kernel space */
        uc->uc_mcontext.__pc = 0x80200000ul;
        break;
    default: /* the frame's magic (the word after the ucontext) */
        *(unsigned long *)(uc + 1) ^= 1;
        break;
    }
}

/* sig-forge KIND: a handler corrupts its frame (1 status, 2 pc, 3 magic)
 * or (4) sigreturn is called on a stack holding no frame; each must end
 * this process with SIGSEGV. Exits 60 if it survived. */
static int mode_sig_forge(int argc, char **argv)
{
    forge_kind = argc > 2 ? atoi(argv[2]) : 3;
    if (forge_kind == 4) {
        static unsigned long junk[128] __attribute__((aligned(16)));
        for (int i = 0; i < 128; i++)
            junk[i] = 0x1111111111111111ul * (unsigned long)(i % 15);
        register long a7 __asm__("a7") = SYS_sigreturn;
        __asm__ volatile("mv t0, sp\n\tmv sp, %0\n\tecall\n\tmv sp, t0"
                         :
                         : "r"(&junk[64]), "r"(a7)
                         : "t0", "memory");
        return 60;
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_forge;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    return 60;
}

/* sig-catch-term: SIGTERM caught (exits 70 from the handler), SIGCHLD
 * and SIGURG sent to itself are ignored by default; writes "r" to fd 1
 * once ready, then waits. */
static void on_term(int sig)
{
    _exit(sig == SIGTERM ? 70 : 71);
}
static int mode_sig_catch_term(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    signal(SIGTERM, on_term);
    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    raise(SIGCONT);
    if (write(1, "r", 1) != 1)
        return 72;
    for (int i = 0; i < 600; i++)
        pause();
    return 73;
}

TEST(sig_fault_caught)
{
    pid_t pid;
    CHECK_RC(spawn_mode(&pid, "sig-segv-check", "0x1230"), 0);
    CHECK_EXITED(ut_wait(pid), 40);
    CHECK_RC(spawn_mode(&pid, "sig-segv", "0x4000001000"), 0);
    CHECK_EXITED(ut_wait(pid), 40);
    CHECK_RC(spawn_mode(&pid, "sig-ill", NULL), 0);
    CHECK_EXITED(ut_wait(pid), 50);
    /* Blocked: it cannot be caught and kills as before. */
    CHECK_RC(spawn_mode(&pid, "sig-segv-blocked", NULL), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGSEGV);
}

TEST(sig_forged_frame_kills_process)
{
    for (int k = 1; k <= 4; k++) {
        char a[4] = {(char)('0' + k), 0};
        pid_t pid;
        CHECK_RC(spawn_mode(&pid, "sig-forge", a), 0);
        int st = ut_wait(pid);
        CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
               "forge kind %d: child %s, expected signal 11", k,
               ut_status_str(st));
    }
    /* The kernel and this process are fine. */
    CHECK_EQ(getpid() > 0, 1);
}

TEST(sig_default_actions)
{
    pid_t pid;
    /* An uncaught SIGUSR1 terminates; WIFSIGNALED as before. */
    CHECK_RC(spawn_mode(&pid, "sleep-loop", NULL), 0);
    CHECK_OK(kill(pid, SIGUSR1));
    CHECK_SIGNALED(ut_wait(pid), SIGUSR1);
    CHECK_RC(spawn_mode(&pid, "sleep-loop", NULL), 0);
    CHECK_OK(kill(pid, SIGRTMIN + 1));
    CHECK_SIGNALED(ut_wait(pid), SIGRTMIN + 1);
    /* Ignored by default, then caught. */
    int fd[2];
    CHECK_OK(pipe(fd));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    CHECK_RC(ut_spawn_self(&pid, &fa, NULL, "sig-catch-term", NULL, NULL, NULL),
             0);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_OK(close(fd[1]));
    char c;
    CHECK_EQ(read(fd[0], &c, 1), 1);
    CHECK_OK(kill(pid, SIGCHLD));
    CHECK_OK(kill(pid, SIGTERM));
    CHECK_EXITED(ut_wait(pid), 70);
    CHECK_OK(close(fd[0]));
}

TEST(sig_kill_needs_cap)
{
    /* No cap for init (pid 1): EPERM, for any signal and for 0. */
    CHECK_ERRNO(kill(1, SIGTERM), EPERM);
    CHECK_ERRNO(kill(1, 0), EPERM);
    union sigval v = {0};
    CHECK_ERRNO(sigqueue(1, SIGRTMIN, v), EPERM);
    CHECK_ERRNO(kill(-1, SIGTERM), ESRCH); /* "every process": none */
}

TEST(sig_allow_list)
{
    pid_t pid;
    CHECK_RC(spawn_mode(&pid, "sleep-loop", NULL), 0);
    int h = proc_handle(pid);
    CHECK(h >= 0);
    CHECK_OK(keel_cap_signal_limit(h, BIT(SIGTERM) | BIT(SIGUSR1)));
    CHECK_ERRNO(kill(pid, SIGKILL), EPERM);
    CHECK_ERRNO(kill(pid, SIGINT), EPERM);
    union sigval v = {0};
    CHECK_ERRNO(sigqueue(pid, SIGRTMIN, v), EPERM);
    CHECK_OK(kill(pid, 0));
    /* Never wider. */
    CHECK_OK(keel_cap_signal_limit(h, ~0ull));
    CHECK_ERRNO(kill(pid, SIGKILL), EPERM);
    /* Bad slots. */
    CHECK_ERRNO(keel_cap_signal_limit(-1, 0), EBADF);
    CHECK_ERRNO(keel_cap_signal_limit(CAP_FD_SLOTS, 0), EBADF);
    CHECK_ERRNO(keel_cap_signal_limit(0, 0), EINVAL); /* stdin: an fd */
    /* The list travels with the cap: the peer may send SIGTERM, not
     * SIGKILL, and cannot widen it. */
    struct peer c;
    CHECK_RC(peer_start(&c), 0);
    cap_token_t t, d;
    CHECK_OK(cap_get_token(h, CAP_TYPE_PROCESS, &t));
    int s = -1;
    CHECK_OK(cap_transfer(c.pid, t, CAP_RIGHT_WRITE, &d, &s));
    struct prep o;
    CHECK_ERRNO(PC(&c, P_KILL, pid, SIGKILL), EPERM);
    CHECK_ERRNO(PC(&c, P_KILL, pid, SIGHUP), EPERM);
    CHECK_OK(PC(&c, P_KILL, pid, SIGTERM));
    CHECK_SIGNALED(ut_wait(pid), SIGTERM);
    CHECK_OK(cap_revoke_delegate(d));
    CHECK_EXITED(peer_stop(&c), 0);
}

/* ---- races on every hart ---- */

static volatile int race_stop;
static volatile int race_hits;
static void on_race(int sig)
{
    (void)sig;
    __atomic_fetch_add(&race_hits, 1, __ATOMIC_RELAXED);
}

struct race_arg {
    pthread_t target;
    int rounds;
};

static void *race_signaller(void *arg)
{
    struct race_arg *a = arg;
    for (int i = 0; i < a->rounds && !race_stop; i++) {
        pthread_kill(a->target, SIGUSR1);
        if (i % 8 == 0)
            sched_yield();
    }
    return NULL;
}

static void *race_writer(void *arg)
{
    int fd = (int)(long)arg;
    for (int i = 0; i < 200; i++) {
        if (write(fd, "w", 1) != 1)
            return (void *)1;
        if (i % 4 == 0)
            ut_sleep_ms(1);
    }
    return NULL;
}

TEST(sig_race_blocking_calls)
{
    /* Two signallers hammer this thread while it reads a pipe a third
     * thread fills slowly: with SA_RESTART every byte arrives, none is
     * lost or read twice, and handlers ran. */
    struct sigaction sa = {0};
    sa.sa_handler = on_race;
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    race_stop = 0;
    race_hits = 0;
    int p[2];
    CHECK_OK(pipe(p));
    struct race_arg a = {pthread_self(), 4000};
    pthread_t s1, s2, w;
    CHECK_RC(pthread_create(&s1, NULL, race_signaller, &a), 0);
    CHECK_RC(pthread_create(&s2, NULL, race_signaller, &a), 0);
    CHECK_RC(pthread_create(&w, NULL, race_writer, (void *)(long)p[1]), 0);
    int got = 0;
    while (got < 200) {
        char c;
        long r = read(p[0], &c, 1);
        CHECKF(r == 1, "read returned %ld errno %d after %d bytes", r, errno,
               got);
        CHECK_EQ(c, 'w');
        got++;
    }
    race_stop = 1;
    CHECK_RC(pthread_join(s1, NULL), 0);
    CHECK_RC(pthread_join(s2, NULL), 0);
    void *rv;
    CHECK_RC(pthread_join(w, &rv), 0);
    CHECK(rv == NULL);
    CHECK(race_hits > 0);
    signal(SIGUSR1, SIG_DFL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

/* sig-spin-handler: a handler for SIGUSR1, threads blocked in reads and
 * sleeps; it is signalled, then killed, while all of it runs. */
static void *spin_sleeper(void *arg)
{
    (void)arg;
    for (;;)
        ut_sleep_ms(1);
    return NULL;
}
static int mode_sig_busy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    signal(SIGUSR1, on_race);
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, spin_sleeper, NULL);
    if (write(1, "r", 1) != 1)
        return 2;
    for (;;) {
        char c;
        if (read(0, &c, 1) == 0)
            return 80;
    }
}

TEST(sig_race_exit)
{
    /* Signals and a final SIGTERM racing the process's threads as they
     * run, sleep and read: it always ends by SIGTERM, nothing hangs. */
    for (int round = 0; round < 6; round++) {
        int in[2], out[2];
        CHECK_OK(pipe(in));
        CHECK_OK(pipe(out));
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        pid_t pid;
        CHECK_RC(ut_spawn_self(&pid, &fa, NULL, "sig-busy", NULL, NULL, NULL),
                 0);
        posix_spawn_file_actions_destroy(&fa);
        CHECK_OK(close(in[0]));
        CHECK_OK(close(out[1]));
        char c;
        CHECK_EQ(read(out[0], &c, 1), 1);
        for (int i = 0; i < 50 * (round + 1); i++) {
            int r = kill(pid, SIGUSR1);
            CHECK(r == 0);
        }
        CHECK_OK(kill(pid, round % 2 ? SIGTERM : SIGRTMIN));
        /* More signals after it began to die: ESRCH or 0, never worse. */
        for (int i = 0; i < 20; i++) {
            int r = kill(pid, SIGUSR1);
            CHECK(r == 0 || errno == ESRCH);
        }
        CHECK_SIGNALED(ut_wait(pid), round % 2 ? SIGTERM : SIGRTMIN);
        CHECK_OK(close(in[1]));
        CHECK_OK(close(out[0]));
    }
}

TEST(sig_child_exit_sigchld)
{
    /* SIGCHLD blocked: each child's end leaves one pending, with its pid,
     * CLD_EXITED or CLD_KILLED and the code or signal. */
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGCHLD);
    CHECK_OK(sigprocmask(SIG_BLOCK, &b, NULL));
    pid_t pid;
    CHECK_RC(spawn_mode(&pid, "sig-segv", NULL), 0);
    CHECK_EXITED(ut_wait(pid), 40);
    siginfo_t si;
    struct timespec zero = {0, 0};
    CHECK_EQ(sigtimedwait(&b, &si, &zero), SIGCHLD);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, 40);
    CHECK_RC(spawn_mode(&pid, "sleep-loop", NULL), 0);
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    CHECK_EQ(sigtimedwait(&b, &si, &zero), SIGCHLD);
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, SIGKILL);
    CHECK_ERRNO(sigtimedwait(&b, &si, &zero), EAGAIN);
    /* Unblocked with the default action: discarded, nothing pending. */
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &b, NULL));
    CHECK_RC(spawn_mode(&pid, "sig-segv", NULL), 0);
    CHECK_EXITED(ut_wait(pid), 40);
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGCHLD));
}

static volatile int alarm_hits;
static void on_alarm(int sig)
{
    (void)sig;
    alarm_hits++;
}

/* sig-alarm: alarm(1), then waits: SIGALRM's default action ends it.
 * sig-alarm-exit: alarm(1), then exits 7 at once. */
static int mode_sig_alarm(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    alarm(1);
    for (int i = 0; i < 100; i++)
        pause();
    return 1;
}
static int mode_sig_alarm_exit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    alarm(1);
    return 7;
}

TEST(sig_alarm)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    CHECK_EQ(alarm(0), 0);
    alarm_hits = 0;
    uint64_t t0 = ut_now_ns();
    CHECK_EQ(alarm(1), 0);
    for (int i = 0; i < 1000 && !alarm_hits; i++)
        CHECK_ERRNO(pause(), EINTR);
    CHECK_EQ(alarm_hits, 1);
    CHECK(ut_now_ns() - t0 >= 1000000000ull); /* never early */
    CHECK_EQ(alarm(0), 0);                    /* it fired: nothing left */
    /* A new alarm replaces the old one, which says what it had left. */
    CHECK_EQ(alarm(100), 0);
    unsigned left = alarm(5);
    CHECK(left >= 1 && left <= 100);
    left = alarm(0);
    CHECK(left >= 1 && left <= 5);
    CHECK_EQ(alarm(0), 0);
    /* Uncaught it terminates; one armed at exit never fires later. */
    pid_t pid;
    CHECK_RC(spawn_mode(&pid, "sig-alarm", NULL), 0);
    CHECK_SIGNALED(ut_wait(pid), SIGALRM);
    CHECK_RC(spawn_mode(&pid, "sig-alarm-exit", NULL), 0);
    CHECK_EXITED(ut_wait(pid), 7);
    ut_sleep_ms(1200);
    CHECK_RC(spawn_mode(&pid, "sig-alarm-exit", NULL), 0);
    CHECK_EXITED(ut_wait(pid), 7);
    CHECK_EQ(alarm_hits, 1);
}

const struct utest ut_signal2_tests[] = {
    UT_CASE(sig_fault_caught),    UT_CASE(sig_forged_frame_kills_process),
    UT_CASE(sig_default_actions), UT_CASE(sig_kill_needs_cap),
    UT_CASE(sig_allow_list),      UT_ISOLATED(sig_race_blocking_calls),
    UT_CASE(sig_race_exit),       UT_ISOLATED(sig_child_exit_sigchld),
    UT_ISOLATED(sig_alarm),       UT_END,
};

const struct ut_mode ut_signal2_modes[] = {
    {"sig-segv", mode_sig_segv},
    {"sig-segv-check", mode_sig_segv_check},
    {"sig-ill", mode_sig_ill},
    {"sig-segv-blocked", mode_sig_segv_blocked},
    {"sig-forge", mode_sig_forge},
    {"sig-catch-term", mode_sig_catch_term},
    {"sig-busy", mode_sig_busy},
    {"sig-alarm", mode_sig_alarm},
    {"sig-alarm-exit", mode_sig_alarm_exit},
    UT_MODE_END,
};
