/*
 * Keel's <signal.h>: replaces newlib's (the signal layer is Keel's own:
 * libc/src/signal.c over the kernel's signals, docs/syscalls.md
 * "Signals"); the types and numbers are in <sys/signal.h>.
 */
#ifndef _SIGNAL_H_
#define _SIGNAL_H_

#include "_ansi.h"
#include <sys/cdefs.h>
#include <sys/signal.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int sig_atomic_t;
#if __BSD_VISIBLE
typedef _sig_func_ptr sig_t;
#endif
#if __GNU_VISIBLE
typedef _sig_func_ptr sighandler_t;
#endif

#define SIG_DFL ((_sig_func_ptr)0)
#define SIG_IGN ((_sig_func_ptr)1)
#define SIG_ERR ((_sig_func_ptr)-1)
/* XSI sigset(): the signal is to be blocked (never a disposition the
 * kernel sees; libc/src/signal_xsi.c). */
#define SIG_HOLD ((_sig_func_ptr)2)

_sig_func_ptr signal(int, _sig_func_ptr);
int raise(int);
void psignal(int, const char *);

/* XSI signal calls (libc/src/signal_xsi.c), over sigaction and
 * sigprocmask. */
int sighold(int);
int sigrelse(int);
int sigignore(int);
int sigpause(int);
_sig_func_ptr sigset(int, _sig_func_ptr);
int siginterrupt(int, int);

#ifdef __cplusplus
}
#endif

#endif /* _SIGNAL_H_ */
