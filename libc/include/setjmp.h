/*
 * Keel's <setjmp.h>: newlib's setjmp and longjmp (jmp_buf from
 * <machine/setjmp.h>), plus POSIX sigsetjmp and siglongjmp, which save
 * and restore the calling thread's signal mask (libc/src/sigsetjmp.S,
 * signal_xsi.c), and the XSI _setjmp/_longjmp, which never touch it.
 * Replaces newlib's header (whose sigsetjmp exists only for Cygwin and
 * RTEMS).
 */
#ifndef _SETJMP_H_
#define _SETJMP_H_

#include "_ansi.h"
#include <machine/setjmp.h>

_BEGIN_STD_C

void longjmp(jmp_buf __jmpb, int __retval) __attribute__((__noreturn__));
int setjmp(jmp_buf __jmpb);

/* The jmp_buf first (sigsetjmp.S jumps into setjmp with it), then
 * whether the mask was saved, then the mask itself (offsets checked in
 * libc/src/signal_xsi.c). */
typedef struct {
    jmp_buf __jb;
    long __savemask;
    unsigned long long __mask;
} sigjmp_buf[1];

int sigsetjmp(sigjmp_buf __env, int __savemask);
void siglongjmp(sigjmp_buf __env, int __val) __attribute__((__noreturn__));

/* XSI: as setjmp/longjmp, the mask untouched (Keel's setjmp never saves
 * it). */
#define _setjmp(env) setjmp(env)
#define _longjmp(env, val) longjmp(env, val)

_END_STD_C

#endif /* _SETJMP_H_ */
