/*
 * The XSI signal calls (sighold, sigrelse, sigignore, sigpause, sigset,
 * siginterrupt) over sigaction and sigprocmask, and siglongjmp (the
 * other half of sigsetjmp.S). As POSIX describes them: sighold and
 * sigrelse block and unblock one signal of the calling thread; sigignore
 * sets SIG_IGN; sigpause takes one signal out of the mask and waits as
 * sigsuspend does (always -1 EINTR, the mask back on return); sigset
 * installs a disposition and unblocks the signal, or with SIG_HOLD
 * blocks it, and returns SIG_HOLD when the signal was blocked before,
 * else the previous disposition; siginterrupt clears (flag non-zero) or
 * sets SA_RESTART. Bad numbers, and catching or ignoring SIGKILL or
 * SIGSTOP, give EINVAL. No state of its own.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* sigsetjmp.S's offsets and call number. */
_Static_assert(sizeof(jmp_buf) == 208 &&
                   offsetof(__typeof__(*(sigjmp_buf){0}), __savemask) == 208 &&
                   offsetof(__typeof__(*(sigjmp_buf){0}), __mask) == 216 &&
                   sizeof(sigset_t) == sizeof(unsigned long long),
               "sigjmp_buf offsets of sigsetjmp.S");
_Static_assert(SYS_sigprocmask == 79 && SIG_BLOCK == 1,
               "sigsetjmp.S reads the mask with call 79, SIG_BLOCK");

void siglongjmp(sigjmp_buf env, int val)
{
    if (env[0].__savemask) {
        sigset_t m = (sigset_t)env[0].__mask;
        sigprocmask(SIG_SETMASK, &m, NULL);
    }
    longjmp(env[0].__jb, val);
}

static int one_sig(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    if (sigaddset(&s, sig) < 0)
        return -1;
    return sigprocmask(how, &s, NULL);
}

int sighold(int sig)
{
    return one_sig(SIG_BLOCK, sig);
}

int sigrelse(int sig)
{
    return one_sig(SIG_UNBLOCK, sig);
}

int sigignore(int sig)
{
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    return sigaction(sig, &sa, NULL);
}

int sigpause(int sig)
{
    sigset_t m;
    if (sig < 1 || sig > KEEL_NSIG) {
        errno = EINVAL;
        return -1;
    }
    if (sigprocmask(SIG_BLOCK, NULL, &m) < 0)
        return -1;
    sigdelset(&m, sig);
    return sigsuspend(&m);
}

_sig_func_ptr sigset(int sig, _sig_func_ptr disp)
{
    sigset_t one, old;
    struct sigaction sa = {0}, prev;
    sigemptyset(&one);
    if (sigaddset(&one, sig) < 0)
        return SIG_ERR;
    if (disp == SIG_HOLD) {
        /* The disposition stays; reading it checks the number too. */
        if (sigaction(sig, NULL, &prev) < 0 ||
            sigprocmask(SIG_BLOCK, &one, &old) < 0)
            return SIG_ERR;
    } else {
        sa.sa_handler = disp;
        if (sigaction(sig, &sa, &prev) < 0 ||
            sigprocmask(SIG_UNBLOCK, &one, &old) < 0)
            return SIG_ERR;
    }
    return sigismember(&old, sig) == 1 ? SIG_HOLD : prev.sa_handler;
}

int siginterrupt(int sig, int flag)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) < 0)
        return -1;
    if (flag)
        sa.sa_flags &= ~SA_RESTART;
    else
        sa.sa_flags |= SA_RESTART;
    return sigaction(sig, &sa, NULL);
}
