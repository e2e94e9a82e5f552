/*
 * Signals: SYS_sigaction .. SYS_cap_signal_limit, SYS_alarm (docs/syscalls.md
 * "Signals").
 * Part of the kernel/user ABI: included by <keel/abi.h> (include that,
 * not this), so the same rules hold: fixed-width types, no libc headers.
 */
#ifndef KEEL_ABI_SIGNAL_H
#define KEEL_ABI_SIGNAL_H

/* ---- signals (SYS_sigaction .. SYS_cap_signal_limit, docs/syscalls.md
 * "Signals") ---- */
/* Numbers 1..64: the standard signals (newlib's numbering, SIGBUS 7 and
 * SIGFPE 8), then the real-time range KEEL_SIGRTMIN..KEEL_SIGRTMAX. */
#define KEEL_NSIG 64
#define KEEL_SIGTRAP 5
#define KEEL_SIGABRT 6
#define KEEL_SIGFPE 8
#define KEEL_SIGSYS 12
#define KEEL_SIGALRM 14
#define KEEL_SIGSTOP 17
#define KEEL_SIGTSTP 18
#define KEEL_SIGTTIN 21
#define KEEL_SIGTTOU 22
#define KEEL_SIGUSR1 30
#define KEEL_SIGUSR2 31
#define KEEL_SIGRTMIN 32
#define KEEL_SIGRTMAX 64
#define KEEL_SIGQUEUE_MAX 64 /* queued real-time signals per process */
#define KEEL_SIGBIT(sig) (1ull << ((sig)-1))

/* sigaction flags */
#define KEEL_SA_NOCLDSTOP 0x1
#define KEEL_SA_SIGINFO 0x2
#define KEEL_SA_ONSTACK 0x4
#define KEEL_SA_RESTART 0x8
#define KEEL_SA_NODEFER 0x10
#define KEEL_SA_RESETHAND 0x20
#define KEEL_SA_NOCLDWAIT 0x40
#define KEEL_SA_ALL 0x7f
#define KEEL_SIG_DFL 0ul
#define KEEL_SIG_IGN 1ul

/* SYS_sigaction(sig, const struct keel_sigaction *new or 0, old out or 0).
 * restorer: where the handler returns to (libc: a SYS_sigreturn call). */
struct keel_sigaction {
    uint64_t handler; /* KEEL_SIG_DFL, KEEL_SIG_IGN or a function */
    uint64_t flags;   /* KEEL_SA_* */
    uint64_t mask;    /* KEEL_SIGBIT set blocked while it runs */
    uint64_t restorer;
};

/* SYS_sigprocmask(how, const uint64_t *set or 0, uint64_t *old or 0):
 * the calling thread's mask. */
#define KEEL_SIG_BLOCK 1
#define KEEL_SIG_UNBLOCK 2
#define KEEL_SIG_SETMASK 0

/* si_code values (POSIX names in <signal.h>). */
#define KEEL_SI_USER 1
#define KEEL_SI_QUEUE 2
#define KEEL_SI_TIMER 3
#define KEEL_SI_ASYNCIO 4
#define KEEL_SI_MESGQ 5
#define KEEL_SI_KERNEL 6      /* sent by the kernel (the console's ^C) */
#define KEEL_SEGV_MAPERR 0x10 /* fault codes: SIGSEGV, SIGBUS, SIGILL */
#define KEEL_SEGV_ACCERR 0x11
#define KEEL_BUS_ADRALN 0x20
#define KEEL_ILL_ILLOPC 0x30
#define KEEL_TRAP_BRKPT 0x40
#define KEEL_CLD_EXITED 0x50 /* SIGCHLD: si_pid the child, si_status */
#define KEEL_CLD_KILLED 0x51

/* What a handler with SA_SIGINFO and sigwaitinfo see (siginfo_t). */
struct keel_siginfo {
    int32_t signo;
    int32_t code;
    int32_t err;
    int32_t pid;  /* sender (SI_USER, SI_QUEUE), else 0 */
    uint32_t uid; /* always 0: Keel has no users */
    int32_t status;
    uint64_t addr;  /* faulting address (SIGSEGV, SIGBUS, SIGILL) */
    uint64_t value; /* union sigval (SI_QUEUE, SI_TIMER, SI_MESGQ) */
    uint64_t pad[3];
};

/* SYS_sigaltstack(const struct keel_stack *new or 0, old out or 0). */
#define KEEL_SS_ONSTACK 1
#define KEEL_SS_DISABLE 2
#define KEEL_MINSIGSTKSZ 2048
struct keel_stack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

/* The saved user context (ucontext_t): pc, x1..x31, and room for the FP
 * state (user mode runs with FP off on Keel: those words are never
 * written nor read). s0-s11 (x8, x9, x18..x27) are callee-saved: the
 * handler keeps them under the calling convention, so their words in the
 * frame are not the interrupted values, and sigreturn does not load
 * those registers from the frame. status must stay
 * KEEL_MC_STATUS_USER: anything else (such as a previous-mode bit that
 * would return to S-mode) makes sigreturn kill the process. */
#define KEEL_MC_STATUS_USER 0x0
struct keel_mcontext {
    uint64_t pc;
    uint64_t regs[32]; /* regs[n] = xn; regs[0] unused */
    uint64_t fpregs[32];
    uint64_t fcsr;
    uint64_t status;
};
struct keel_ucontext {
    uint64_t flags;
    uint64_t link;
    struct keel_stack stack;
    uint64_t sigmask; /* the mask sigreturn restores */
    uint64_t pad;
    struct keel_mcontext mc;
};
/* The frame a handler runs on (16-byte aligned, at its sp). */
#define KEEL_SIGFRAME_MAGIC 0x4b45454c53494746ull /* "KEELSIGF" */
struct keel_sigframe {
    struct keel_siginfo info;
    struct keel_ucontext uc;
    uint64_t magic;
    uint64_t pad;
};

/* SYS_sigtimedwait(const uint64_t *set, struct keel_siginfo *out or 0,
 * const struct keel_timespec *relative timeout or 0): the signal number.
 * SYS_sigqueue(pid, sig, value). SYS_thread_kill(thread token, sig).
 * SYS_sigsuspend(const uint64_t *mask). SYS_sigpending(uint64_t *out).
 * SYS_cap_signal_limit(process-cap slot, uint64_t allowed KEEL_SIGBIT set). */

#endif
