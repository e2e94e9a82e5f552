/*
 * Keel's <sys/signal.h>: replaces newlib's (whose sigaction has no
 * sa_sigaction and whose siginfo_t has no si_pid or si_addr). The
 * numbers are newlib's (SIGBUS 7 and SIGFPE 8 aside, as the kernel has
 * always reported them), then the real-time signals SIGRTMIN 32 ..
 * SIGRTMAX 64; sigset_t is newlib's 64-bit word, bit sig-1 for sig. The
 * layouts match the kernel's (keel/abi.h, checked in libc/src/signal.c).
 * <signal.h> includes this file.
 */
#ifndef _SYS_SIGNAL_H
#define _SYS_SIGNAL_H

#include "_ansi.h"
#include <sys/cdefs.h>
#include <sys/features.h>
#include <sys/types.h>
#include <sys/_sigset.h>
#include <sys/_timespec.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(_SIGSET_T_DECLARED)
#define _SIGSET_T_DECLARED
typedef __sigset_t sigset_t;
#endif

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGIOT 6
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGSYS 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGURG 16
#define SIGSTOP 17
#define SIGTSTP 18
#define SIGCONT 19
#define SIGCHLD 20
#define SIGCLD 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGIO 23
#define SIGPOLL SIGIO
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGUSR1 30
#define SIGUSR2 31
#define SIGRTMIN 32
#define SIGRTMAX 64
#define NSIG 65 /* one more than the highest number */

/* ---- sigevent (timers, message queues) ---- */
#define SIGEV_NONE 1
#define SIGEV_SIGNAL 2
#define SIGEV_THREAD 3

union sigval {
    int sival_int;
    void *sival_ptr;
};

struct sigevent {
    int sigev_notify;
    int sigev_signo;
    union sigval sigev_value;
    void (*sigev_notify_function)(union sigval);
    pthread_attr_t *sigev_notify_attributes;
};

/* si_code. The kernel generates SI_USER, SI_QUEUE, SI_TIMER, SI_MESGQ,
 * SI_KERNEL, SEGV_MAPERR, SEGV_ACCERR, BUS_ADRALN, ILL_ILLOPC,
 * TRAP_BRKPT, CLD_EXITED and CLD_KILLED (<keel/abi.h>); the other POSIX
 * names are defined for programs that test for them, and never reported
 * (the faults they name do not happen, and nothing stops). The classes
 * keep their ranges: faults 0x10..0x4f, SIGCHLD 0x50..0x5f. */
#define SI_USER 1
#define SI_QUEUE 2
#define SI_TIMER 3
#define SI_ASYNCIO 4
#define SI_MESGQ 5
#define SI_KERNEL 6
#define SEGV_MAPERR 0x10
#define SEGV_ACCERR 0x11
#define BUS_ADRALN 0x20
#define BUS_ADRERR 0x21
#define BUS_OBJERR 0x22
#define ILL_ILLOPC 0x30
#define ILL_ILLOPN 0x31
#define ILL_ILLADR 0x32
#define ILL_ILLTRP 0x33
#define ILL_PRVOPC 0x34
#define ILL_PRVREG 0x35
#define ILL_COPROC 0x36
#define ILL_BADSTK 0x37
#define FPE_INTDIV 0x38
#define FPE_INTOVF 0x39
#define FPE_FLTDIV 0x3a
#define FPE_FLTOVF 0x3b
#define FPE_FLTUND 0x3c
#define FPE_FLTRES 0x3d
#define FPE_FLTINV 0x3e
#define FPE_FLTSUB 0x3f
#define TRAP_BRKPT 0x40
#define TRAP_TRACE 0x41
#define CLD_EXITED 0x50
#define CLD_KILLED 0x51
#define CLD_DUMPED 0x52
#define CLD_TRAPPED 0x53
#define CLD_STOPPED 0x54
#define CLD_CONTINUED 0x55
#define POLL_IN 0x60
#define POLL_OUT 0x61
#define POLL_MSG 0x62
#define POLL_ERR 0x63
#define POLL_PRI 0x64
#define POLL_HUP 0x65

typedef struct {
    int si_signo;
    int si_code;
    int si_errno;
    pid_t si_pid;
    unsigned int si_uid;
    int si_status;
    void *si_addr;
    union sigval si_value;
    long __si_pad[3];
} siginfo_t;

typedef void (*_sig_func_ptr)(int);

/* sa_flags */
#define SA_NOCLDSTOP 0x1
#define SA_SIGINFO 0x2
#define SA_ONSTACK 0x4
#define SA_RESTART 0x8
#define SA_NODEFER 0x10
#define SA_RESETHAND 0x20
#define SA_NOCLDWAIT 0x40

struct sigaction {
    union {
        _sig_func_ptr _handler;
        void (*_sigaction)(int, siginfo_t *, void *);
    } _signal_handlers;
    sigset_t sa_mask;
    int sa_flags;
};
#define sa_handler _signal_handlers._handler
#define sa_sigaction _signal_handlers._sigaction

#define MINSIGSTKSZ 2048
#define SIGSTKSZ 8192
#define SS_ONSTACK 0x1
#define SS_DISABLE 0x2

typedef struct sigaltstack {
    void *ss_sp;
    int ss_flags;
    size_t ss_size;
} stack_t;

/* The saved context a SA_SIGINFO handler gets as its third argument:
 * pc and x1..x31 in __gregs (the s0-s11 words are not the interrupted
 * values: the handler keeps those registers itself), FP words unused and
 * not written (user code has no FP state on Keel). */
typedef struct {
    unsigned long __pc;
    unsigned long __gregs[32];
    unsigned long __fpregs[32];
    unsigned long __fcsr;
    unsigned long __status;
} mcontext_t;

typedef struct ucontext {
    unsigned long uc_flags;
    struct ucontext *uc_link;
    stack_t uc_stack;
    sigset_t uc_sigmask;
    unsigned long __pad;
    mcontext_t uc_mcontext;
} ucontext_t;

#define SIG_SETMASK 0
#define SIG_BLOCK 1
#define SIG_UNBLOCK 2

int sigprocmask(int, const sigset_t *, sigset_t *);
int pthread_sigmask(int, const sigset_t *, sigset_t *);
int kill(pid_t, int);
int killpg(pid_t, int);
int sigaction(int, const struct sigaction *, struct sigaction *);
int sigaddset(sigset_t *, const int);
int sigdelset(sigset_t *, const int);
int sigismember(const sigset_t *, int);
int sigfillset(sigset_t *);
int sigemptyset(sigset_t *);
int sigpending(sigset_t *);
int sigsuspend(const sigset_t *);
int sigwait(const sigset_t *, int *);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int pthread_kill(pthread_t, int);
int sigwaitinfo(const sigset_t *, siginfo_t *);
int sigtimedwait(const sigset_t *, siginfo_t *, const struct timespec *);
int sigqueue(pid_t, int, const union sigval);
#ifdef _COMPILING_NEWLIB
int _kill(pid_t, int);
#endif

#ifdef __cplusplus
}
#endif

#endif /* _SYS_SIGNAL_H */
