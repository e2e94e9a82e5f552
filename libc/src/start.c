/*
 * Process start-up and the per-thread newlib state: __keel_start (called
 * by crt0's _start) and __getreent, which newlib (built with
 * __DYNAMIC_REENT__) calls to find the calling thread's struct _reent.
 */
#include <stdlib.h>
#include <sys/lock.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sys.h>

#include "internal.h"

extern char **environ;
extern int main(int argc, char **argv, char **envp);
extern void __libc_init_array(void);
extern void __libc_fini_array(void);

/*
 * The id is a placeholder until __keel_start asks the kernel; it is
 * non-zero so that no lock taken before then (none is) could mistake the
 * main thread for "no owner".
 */
struct keel_tcb __keel_main_tcb = {
    .reent = NULL,
    .id = CAP_THREAD_SLOT_BASE,
    .slot = -1,
};

/*
 * libkeel.a and newlib's libc.a both define the retargetable lock API
 * (libc.a's are no-ops). The linker takes an archive member only for a
 * symbol still undefined, so lock.o must be pulled in while libkeel.a is
 * scanned the first time, before malloc's references reach libc.a: this
 * reference from start.o (always linked, crt0 calls __keel_start) does it.
 */
__attribute__((used)) static void (*const keep_locks)(struct __lock *) =
    __retarget_lock_acquire_recursive;

/* Ids for threads whose slot the kernel would not tell (never expected). */
static uint32_t fallback_id = 0x40000000u;

void __keel_tcb_identify(struct keel_tcb *t)
{
    long s = keel_sc0(SYS_thread_self);
    t->slot = (int32_t)(s < 0 ? -1 : s);
    if (s > 0)
        t->id = (uint32_t)s;
    else
        t->id = __atomic_fetch_add(&fallback_id, 1, __ATOMIC_RELAXED);
}

struct _reent *__getreent(void)
{
    struct keel_tcb *t = keel_tcb();
    return t && t->reent ? t->reent : _impure_ptr;
}

void __keel_start(int argc, char **argv, char **envp) __attribute__((noreturn));

/* The kernel lays out envp (NULL-terminated, possibly empty) next to
 * argv; newlib's getenv, setenv, unsetenv and putenv work on environ
 * (setenv copies it to the heap on its first change). */
void __keel_start(int argc, char **argv, char **envp)
{
    if (envp)
        environ = envp;
    /* The main thread uses newlib's static reent, shared with
     * _GLOBAL_REENT, so stdio's global state lives in it as usual. */
    __keel_main_tcb.reent = _impure_ptr;
    __keel_tcb_identify(&__keel_main_tcb);

    __libc_init_array();
    atexit(__libc_fini_array);
    exit(main(argc, argv, environ));
}

long keel_syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
    return keel_sc6(n, a0, a1, a2, a3, a4, a5);
}
