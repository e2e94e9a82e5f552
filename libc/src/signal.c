/*
 * <signal.h> over the kernel's signals (docs/syscalls.md "Signals"):
 * actions, masks, sets, sending (raise, pthread_kill, sigqueue), the
 * alternate stack and the cap allow-list wrapper. Waiting for signals
 * is in signal_wait.c. Every sigaction passes __keel_sigreturn
 * (sigreturn.S) as the restorer a handler returns to. No state of its
 * own: everything lives in the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <keel/cap.h>

#include "internal.h"

void __keel_sigreturn(void);

/* The user layouts are the kernel's (keel/abi.h). */
_Static_assert(SYS_sigreturn == 84, "sigreturn.S uses 84");
_Static_assert(
    sizeof(siginfo_t) == sizeof(struct keel_siginfo) &&
        offsetof(siginfo_t, si_code) == offsetof(struct keel_siginfo, code) &&
        offsetof(siginfo_t, si_pid) == offsetof(struct keel_siginfo, pid) &&
        offsetof(siginfo_t, si_addr) == offsetof(struct keel_siginfo, addr) &&
        offsetof(siginfo_t, si_value) == offsetof(struct keel_siginfo, value),
    "siginfo_t");
_Static_assert(
    sizeof(stack_t) == sizeof(struct keel_stack) &&
        offsetof(stack_t, ss_flags) == offsetof(struct keel_stack, flags) &&
        offsetof(stack_t, ss_size) == offsetof(struct keel_stack, size) &&
        SS_ONSTACK == KEEL_SS_ONSTACK && SS_DISABLE == KEEL_SS_DISABLE &&
        MINSIGSTKSZ == KEEL_MINSIGSTKSZ,
    "stack_t");
_Static_assert(sizeof(ucontext_t) == sizeof(struct keel_ucontext) &&
                   offsetof(ucontext_t, uc_sigmask) ==
                       offsetof(struct keel_ucontext, sigmask) &&
                   offsetof(ucontext_t, uc_mcontext) ==
                       offsetof(struct keel_ucontext, mc),
               "ucontext_t");
_Static_assert(SA_SIGINFO == KEEL_SA_SIGINFO && SA_ONSTACK == KEEL_SA_ONSTACK &&
                   SA_RESTART == KEEL_SA_RESTART &&
                   SA_NODEFER == KEEL_SA_NODEFER &&
                   SA_RESETHAND == KEEL_SA_RESETHAND &&
                   SA_NOCLDSTOP == KEEL_SA_NOCLDSTOP &&
                   SA_NOCLDWAIT == KEEL_SA_NOCLDWAIT,
               "sa_flags");
_Static_assert(SIG_BLOCK == KEEL_SIG_BLOCK && SIG_UNBLOCK == KEEL_SIG_UNBLOCK &&
                   SIG_SETMASK == KEEL_SIG_SETMASK,
               "sigprocmask how");
_Static_assert(SIGBUS == KEEL_SIGBUS && SIGFPE == KEEL_SIGFPE &&
                   SIGSEGV == KEEL_SIGSEGV && SIGILL == KEEL_SIGILL &&
                   SIGSTOP == KEEL_SIGSTOP && SIGUSR1 == KEEL_SIGUSR1 &&
                   SIGUSR2 == KEEL_SIGUSR2 && SIGRTMIN == KEEL_SIGRTMIN &&
                   SIGRTMAX == KEEL_SIGRTMAX && SIGABRT == KEEL_SIGABRT &&
                   SIGALRM == KEEL_SIGALRM && SIGTRAP == KEEL_SIGTRAP,
               "signal numbers");
_Static_assert(SI_USER == KEEL_SI_USER && SI_QUEUE == KEEL_SI_QUEUE &&
                   SI_TIMER == KEEL_SI_TIMER && SI_MESGQ == KEEL_SI_MESGQ &&
                   SEGV_MAPERR == KEEL_SEGV_MAPERR &&
                   BUS_ADRALN == KEEL_BUS_ADRALN &&
                   ILL_ILLOPC == KEEL_ILL_ILLOPC &&
                   CLD_EXITED == KEEL_CLD_EXITED &&
                   CLD_KILLED == KEEL_CLD_KILLED,
               "si_code");
_Static_assert(sizeof(sigset_t) == sizeof(uint64_t), "64 signals");
_Static_assert(SIGQUEUE_MAX == KEEL_SIGQUEUE_MAX &&
                   RTSIG_MAX == SIGRTMAX - SIGRTMIN + 1 &&
                   SIGQUEUE_MAX >= RTSIG_MAX,
               "<limits.h> SIGQUEUE_MAX, RTSIG_MAX");

static int sig_valid(int sig)
{
    return sig >= 1 && sig <= KEEL_NSIG;
}

int sigemptyset(sigset_t *set)
{
    *set = 0;
    return 0;
}

int sigfillset(sigset_t *set)
{
    *set = ~(sigset_t)0;
    return 0;
}

int sigaddset(sigset_t *set, const int sig)
{
    if (!sig_valid(sig)) {
        errno = EINVAL;
        return -1;
    }
    *set |= (sigset_t)1 << (sig - 1);
    return 0;
}

int sigdelset(sigset_t *set, const int sig)
{
    if (!sig_valid(sig)) {
        errno = EINVAL;
        return -1;
    }
    *set &= ~((sigset_t)1 << (sig - 1));
    return 0;
}

int sigismember(const sigset_t *set, int sig)
{
    if (!sig_valid(sig)) {
        errno = EINVAL;
        return -1;
    }
    return (*set >> (sig - 1)) & 1;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
    struct keel_sigaction k, o;
    if (act) {
        k.handler = (uint64_t)(uintptr_t)act->sa_handler;
        k.flags = (uint64_t)(unsigned)act->sa_flags;
        k.mask = act->sa_mask;
        k.restorer = (uint64_t)(uintptr_t)__keel_sigreturn;
    }
    long r =
        keel_sc3(SYS_sigaction, sig, act ? (long)&k : 0, oact ? (long)&o : 0);
    if (r < 0)
        return (int)keel_ret(r);
    if (oact) {
        oact->sa_handler = (_sig_func_ptr)(uintptr_t)o.handler;
        oact->sa_mask = o.mask;
        oact->sa_flags = (int)o.flags;
    }
    return 0;
}

/* signal() keeps the handler installed and restarts calls (the BSD and
 * glibc behaviour; POSIX leaves both open). */
_sig_func_ptr signal(int sig, _sig_func_ptr handler)
{
    struct sigaction sa, old;
    sa.sa_handler = handler;
    sa.sa_mask = 0;
    sa.sa_flags = SA_RESTART;
    if (sigaction(sig, &sa, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return (int)keel_ret(keel_sc3(SYS_sigprocmask, how, (long)set, (long)old));
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return keel_err(keel_sc3(SYS_sigprocmask, how, (long)set, (long)old));
}

int sigpending(sigset_t *set)
{
    return (int)keel_ret(keel_sc1(SYS_sigpending, (long)set));
}

/* The token of thread th for SYS_thread_kill: 0 means the caller. */
static long thread_tok(pthread_t th)
{
    if (th == pthread_self())
        return 0;
    return keel_sc2(SYS_cap_get_token, (long)th, CAP_TYPE_THREAD);
}

int pthread_kill(pthread_t th, int sig)
{
    long tok = thread_tok(th);
    if (tok < 0)
        return ESRCH;
    return keel_err(keel_sc2(SYS_thread_kill, tok, sig));
}

/* To the calling thread (POSIX: pthread_kill(pthread_self(), sig)); an
 * unblocked signal's handler has run when it returns. */
int raise(int sig)
{
    return (int)keel_ret(keel_sc2(SYS_thread_kill, 0, sig));
}

int killpg(pid_t pgrp, int sig)
{
    if (pgrp < 0) {
        errno = EINVAL;
        return -1;
    }
    return kill(-pgrp, sig);
}

int sigqueue(pid_t pid, int sig, const union sigval value)
{
    return (int)keel_ret(
        keel_sc3(SYS_sigqueue, pid, sig, (long)(uintptr_t)value.sival_ptr));
}

int sigaltstack(const stack_t *restrict ss, stack_t *restrict old)
{
    return (int)keel_ret(keel_sc2(SYS_sigaltstack, (long)ss, (long)old));
}

int keel_cap_signal_limit(int slot, uint64_t allowed)
{
    return (int)keel_ret(keel_sc2(SYS_cap_signal_limit, slot, (long)allowed));
}
