/*
 * Private to libc/src: the raw ecall, the per-thread control block and
 * small helpers shared by the runtime's files. Not installed for users.
 */
#ifndef KEEL_LIBC_INTERNAL_H
#define KEEL_LIBC_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/reent.h>

#include <keel/abi.h>

/*
 * The raw system call: number in a7, arguments in a0..a5, result in a0
 * (negative errno on failure). "memory" because the kernel reads and
 * writes user buffers behind the compiler's back.
 */
static inline long keel_sc6(long n, long a0, long a1, long a2, long a3, long a4,
                            long a5)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r3 __asm__("a3") = a3;
    register long r4 __asm__("a4") = a4;
    register long r5 __asm__("a5") = a5;
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(r0)
                     : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
                     : "memory");
    return r0;
}

static inline long keel_sc0(long n)
{
    register long r0 __asm__("a0");
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "=r"(r0) : "r"(r7) : "memory");
    return r0;
}

static inline long keel_sc1(long n, long a0)
{
    register long r0 __asm__("a0") = a0;
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r7) : "memory");
    return r0;
}

static inline long keel_sc2(long n, long a0, long a1)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r7) : "memory");
    return r0;
}

static inline long keel_sc3(long n, long a0, long a1, long a2)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
    return r0;
}

static inline long keel_sc5(long n, long a0, long a1, long a2, long a3, long a4)
{
    return keel_sc6(n, a0, a1, a2, a3, a4, 0);
}

/* POSIX convention: a negative kernel result becomes -1 and errno. The
 * failure is out of line (errno_ret.c) and an int, so a wrapper's success
 * needs no stack frame and its failure is a tail call. */
int __keel_errno_ret(long r);
static inline long keel_ret(long r)
{
    if (__builtin_expect(r < 0, 0))
        return __keel_errno_ret(r);
    return r;
}

/* pthread convention: the errno value itself, 0 on success. */
static inline int keel_err(long r)
{
    return r < 0 ? (int)-r : 0;
}

/* A scheduling policy from the caller: 0 for SCHED_FIFO, SCHED_RR and
 * SCHED_OTHER (which runs as SCHED_RR), ENOTSUP for SCHED_SPORADIC (known
 * to newlib, not supported), EINVAL for anything else. */
static inline int keel_policy_check(int policy)
{
    switch (policy) {
    case KEEL_SCHED_OTHER:
    case KEEL_SCHED_FIFO:
    case KEEL_SCHED_RR:
        return 0;
    case KEEL_SCHED_SPORADIC:
        return ENOTSUP;
    default:
        return EINVAL;
    }
}

/* Most PTHREAD_PRIO_PROTECT mutexes one thread may hold at once. */
#define KEEL_PP_MAX 8

/* Most in-process rwlocks one thread's read holds are tracked for
 * (rwlock.c); holds beyond are counted in rd_untracked. */
#define KEEL_RD_MAX 8

struct keel_rdhold {
    const void *lock; /* a pthread_rwlock_t the thread read-holds, or NULL */
    uint32_t n;       /* its read holds (recursion counted) */
};

struct keel_tsd; /* tsd.c */

/*
 * Per-thread control block; tp points at it in every thread. The first
 * member is what __getreent() returns, so it must stay first. The pp_*
 * fields (mutex.c), rd* (rwlock.c) and tsd (tsd.c) are touched only by
 * the thread itself. pthread_create zeroes the block.
 */
struct keel_tcb {
    struct _reent *reent; /* this thread's newlib state (errno, ...) */
    uint32_t id;          /* lock owner id: the thread slot; never 0 */
    int32_t slot;         /* thread slot from SYS_thread_self, or -1 */
    /* The in-process PTHREAD_PRIO_INHERIT mutexes it holds (mutex.c; the
     * kernel reads it at KEEL_TCB_PI_HELD when its priority is set).
     * Written only by the thread itself. */
    uint32_t pi_held;
    /* PTHREAD_PRIO_PROTECT: the ceilings of the mutexes it holds (the
     * kernel runs it at no less than the highest: KEEL_SCHED_PROTECT). */
    int32_t pp_n;
    int32_t pp_ceiling[KEEL_PP_MAX];
    /* Cancellation (cancel.c): KEEL_CANCEL_* bits, atomic; the cleanup
     * handlers, innermost first (only the thread itself). */
    uint32_t cancel;
    struct _pthread_cleanup_context *cleanup;
    /* In-process rwlocks it holds for reading: read recursion while a
     * writer waits is granted, unlock by a non-holder is EPERM. */
    struct keel_rdhold rd[KEEL_RD_MAX];
    uint32_t rd_untracked;
    /* Thread-specific data: NULL until the first pthread_setspecific. */
    struct keel_tsd *tsd;
    /* A condition wait in progress (cond.c), for cancellation: cancel.c
     * calls cv_unwind (when set) before the cleanup handlers, so the
     * mutex cv_mutex is held again by then, as POSIX requires. Only the
     * thread itself (and its signal handlers) touches these. */
    void (*cv_unwind)(struct keel_tcb *t);
    void *cv_cond, *cv_mutex;
    uint32_t cv_count;
};

_Static_assert(__builtin_offsetof(struct keel_tcb, pi_held) == KEEL_TCB_PI_HELD,
               "the control block word the kernel reads");

#define KEEL_CANCEL_DISABLE 0x1   /* PTHREAD_CANCEL_DISABLE */
#define KEEL_CANCEL_ASYNC 0x2     /* PTHREAD_CANCEL_ASYNCHRONOUS */
#define KEEL_CANCEL_PENDING 0x4   /* a request arrived */
#define KEEL_CANCEL_ACTING 0x8    /* exiting because of one */
#define KEEL_CANCEL_DETACHED 0x10 /* no join will come (cancel.c's table) */

/* cancel.c. A cancellation point: exits with PTHREAD_CANCELED when a
 * request is pending and cancellation is enabled. */
void __keel_cancel_point(void);
/* The same, reached through a hook (cancel_entry.S) that pthread_cancel
 * sets before it makes its first request: a program that never links
 * cancel.o (no pthread_cancel) can have no request, and its cancellation
 * points (read, write, waitpid, nanosleep, ...) do not pull in cancel.o,
 * pthread.o and the thread-specific data (keeping /bin/true small, which
 * is what make bench's spawn rows load). */
extern void (*__keel_cancel_hook)(void);
static inline void keel_cancel_point(void)
{
    void (*h)(void) = __atomic_load_n(&__keel_cancel_hook, __ATOMIC_ACQUIRE);
    if (h)
        h();
}
/* pthread_create enters a new thread (slot) before returning it; the
 * thread leaves in pthread_exit (self: its lock id). */
struct keel_tcb;
void __keel_cancel_register(long slot, struct keel_tcb *t);
void __keel_cancel_unregister(struct keel_tcb *t, uint32_t self);
/* pthread_join: the slot's exited thread is gone. */
void __keel_cancel_forget(long slot);
/* pthread_detach succeeded for slot: no join will come. */
void __keel_cancel_detached(long slot);
/* Runs and pops every cleanup handler of t (the calling thread). */
void __keel_cleanup_run_all(struct keel_tcb *t);
/* The signal pthread_cancel sends to wake its target out of a blocking
 * call (no <signal.h> name uses 29; libc installs its handler with the
 * first request, and sigprocmask never blocks it). */
#define KEEL_SIGCANCEL 29
/* cancel_entry.S: system call n (arguments a0..a5) of a cancellation
 * point, made only when no request is due for the thread whose cancel
 * word is `cancel` (else it exits); the raw result. A wrapper calls
 * __keel_cancel_point again when the result is -EINTR. */
long __keel_cp_syscall(long a0, long a1, long a2, long a3, long a4, long a5,
                       uint32_t *cancel, long n);

/* Runs the thread's key destructors and frees its values (tsd.c);
 * pthread_exit calls it first. */
void __keel_tsd_exit(struct keel_tcb *t);

/* The main thread's block; crt0 points tp at it before any C runs. */
extern struct keel_tcb __keel_main_tcb;

static inline struct keel_tcb *keel_tcb(void)
{
    struct keel_tcb *t;
    __asm__("mv %0, tp" : "=r"(t));
    return t;
}

/* A cancellation point's system call with up to four arguments. */
static inline long keel_cp4(long n, long a0, long a1, long a2, long a3)
{
    return __keel_cp_syscall(a0, a1, a2, a3, 0, 0, &keel_tcb()->cancel, n);
}

/* The owner id locks record: never 0 and never the free markers. */
static inline uint32_t keel_self_id(void)
{
    struct keel_tcb *t = keel_tcb();
    return t ? t->id : __keel_main_tcb.id;
}

/* Fills t->slot and t->id for the calling thread (start of each thread). */
void __keel_tcb_identify(struct keel_tcb *t);

/*
 * Compare-and-swap of a 32-bit word, 1 when *w held `from` and now holds
 * `to`. Written out because GCC 12 drops the ordering of
 * __atomic_compare_exchange_n on RISC-V when the failure order is weaker
 * (it emits a plain lr.w/sc.w pair). keel_cas_acq orders what follows
 * after it (lr.w.aq: taking a lock), keel_cas_rel what comes before it
 * before it (sc.w.rl: releasing one), as the RISC-V memory model's
 * mappings say. from and to are sign-extended like lr.w's result.
 */
static inline int keel_cas_acq(uint32_t *w, uint32_t from, uint32_t to)
{
    long t; /* 0 once stored, else (what was there) - from */
    __asm__ volatile("1: lr.w.aq %0, (%1)\n"
                     "   sub %0, %0, %z2\n"
                     "   bnez %0, 2f\n"
                     "   sc.w %0, %z3, (%1)\n"
                     "   bnez %0, 1b\n"
                     "2:"
                     : "=&r"(t)
                     : "r"(w), "rJ"((long)(int32_t)from),
                       "rJ"((long)(int32_t)to)
                     : "memory");
    return t == 0;
}

static inline int keel_cas_rel(uint32_t *w, uint32_t from, uint32_t to)
{
    long t;
    __asm__ volatile("1: lr.w %0, (%1)\n"
                     "   sub %0, %0, %z2\n"
                     "   bnez %0, 2f\n"
                     "   sc.w.rl %0, %z3, (%1)\n"
                     "   bnez %0, 1b\n"
                     "2:"
                     : "=&r"(t)
                     : "r"(w), "rJ"((long)(int32_t)from),
                       "rJ"((long)(int32_t)to)
                     : "memory");
    return t == 0;
}

/* The futex call (SYS_futex): the raw result, -errno on failure. */
static inline long keel_futex(uint32_t *uaddr, int op, uint32_t val,
                              const struct keel_timespec *ts)
{
    return keel_sc5(SYS_futex, (long)uaddr, op, (long)val, (long)ts, 0);
}

/* pthread_getattr_np (pthread.c, cancel.c): a thread's creation
 * attributes, looked up by slot under cancel.c's table lock. */
void __keel_thread_attr(struct keel_tcb *t, long slot, pthread_attr_t *a);
int __keel_thread_attr_of(long slot, pthread_attr_t *a);

/* Fork handlers (atfork.c): prepare runs last-registered first, parent
 * and child in registration order. fork() runs prepare and parent. */
#define KEEL_ATFORK_PREPARE 0
#define KEEL_ATFORK_PARENT 1
#define KEEL_ATFORK_CHILD 2
/* Weak: a program that never calls pthread_atfork does not link atfork.c
 * (nor the mutex code it uses) through _fork, which every program links
 * with the other process calls; then there is nothing to run. */
void __keel_atfork_run(int which) __attribute__((weak));

/*
 * The lock word (lock.c): 0 free, else the owner's id, with
 * KEEL_FUTEX_WAITERS while threads may sleep on it. Callers try the
 * compare-and-swap 0 -> self (lock) or self -> 0 (unlock) inline first;
 * these are the contended paths. __keel_word_lock_slow blocks until it
 * has the word (0) or until the absolute CLOCK_REALTIME time abs_rt
 * (NULL: none; tv_nsec already checked) has passed (ETIMEDOUT).
 * __keel_word_unlock_slow clears the word and wakes one waiter.
 */
int __keel_word_lock_slow(uint32_t *w, uint32_t self,
                          const struct keel_timespec *abs_rt);
void __keel_word_unlock_slow(uint32_t *w);

/*
 * pthread_mutex_t.__kind (mutex.c, kmutex.c, cond.c): the type (K_TYPE
 * bits; 0 is a default mutex, so zeroed memory is one), the protocol,
 * and K_KOBJ for a kernel mutex object (process-shared or robust), whose
 * __word is KMX_MARK | its slot.
 */
#define K_DEFAULT 0u
#define K_NORMAL 1u
#define K_ERRORCHECK 2u
#define K_RECURSIVE 3u
#define K_TYPE 3u
#define K_PI 0x10u
#define K_PP 0x20u
#define K_KOBJ 0x40u
#define K_ROBUST 0x80u
#define K_MX_PSHARED 0x100u
#define KMX_MARK 0x20000000u /* above every lock id, inside the id mask */
#define KMX_SLOT(m) ((int)((m)->__word & 0xffffu))

/* PRIO_PROTECT bookkeeping (mutex.c): before taking a protected mutex
 * (EINVAL, EAGAIN, EPERM, or 0 and raised to the ceiling), and after
 * giving it back or failing to take it. */
int __keel_pp_enter(int ceiling);
void __keel_pp_leave(int ceiling);
/* The caller's new ceiling for a protected mutex it holds (mutex.c). */
int __keel_pp_receil(int old, int ceiling);
/* A normal mutex relocked by its owner: sleeps until abs (CLOCK_REALTIME,
 * NULL: for ever); ETIMEDOUT. */
int __keel_mutex_deadlock(const struct keel_timespec *abs);
/* Kernel mutex objects (kmutex.c). */
int __keel_kmx_init(pthread_mutex_t *m, const pthread_mutexattr_t *a,
                    uint32_t kind);
int __keel_kmx_destroy(pthread_mutex_t *m);
int __keel_kmx_lock(pthread_mutex_t *m, const struct timespec *abs, int try);
/* __keel_kmx_lock(m, NULL, 0) of a mutex without PRIO_PROTECT. */
int __keel_kmx_lock_plain(pthread_mutex_t *m);
/* kmutex.c: every lock call but the uncontended plain one (r: the first
 * call's result, or 1 when none was made). */
int __keel_kmx_lock_general(pthread_mutex_t *m, const struct timespec *abs,
                            int try, long r);
/* A kernel mutex without a ceiling locked in one system call (the
 * kernel's fast path, M7 in kernel/sync/kobj_mutex.c), inline where
 * pthread_mutex_lock sends it. */
static inline int __keel_kmx_lock_call(pthread_mutex_t *m)
{
    long r = keel_sc3(SYS_mutex, KEEL_MUTEX_LOCK, KMX_SLOT(m), 0);
    return r == 0 ? 0 : __keel_kmx_lock_general(m, NULL, 0, r);
}
int __keel_kmx_unlock(pthread_mutex_t *m);
int __keel_kmx_getceiling(const pthread_mutex_t *m, int *ceiling);
int __keel_kmx_setceiling(pthread_mutex_t *m, int ceiling, int *old);

/* malloc's lock (lock.c); _sbrk takes it too. */
extern struct __lock __lock___malloc_recursive_mutex;

/* Thread entry trampoline (thread_entry.S). */
void __keel_thread_entry(void);

/*
 * The four attribute functions of an object type whose attribute is only
 * the process-shared flag ({is_initialized, process_shared}: barriers,
 * rwlocks): pthread_NAME_init, _destroy, _getpshared, _setpshared, with
 * EINVAL for a NULL or uninitialised attribute, a NULL out pointer and a
 * value other than PTHREAD_PROCESS_PRIVATE / PTHREAD_PROCESS_SHARED.
 */
#define KEEL_PSHARED_ATTR_FNS(NAME, TYPE)                                      \
    int pthread_##NAME##_init(TYPE *a)                                         \
    {                                                                          \
        if (!a)                                                                \
            return EINVAL;                                                     \
        *a = (TYPE){1, PTHREAD_PROCESS_PRIVATE};                               \
        return 0;                                                              \
    }                                                                          \
    int pthread_##NAME##_destroy(TYPE *a)                                      \
    {                                                                          \
        if (!a || !a->is_initialized)                                          \
            return EINVAL;                                                     \
        a->is_initialized = 0;                                                 \
        return 0;                                                              \
    }                                                                          \
    int pthread_##NAME##_getpshared(const TYPE *a, int *pshared)               \
    {                                                                          \
        if (!a || !a->is_initialized || !pshared)                              \
            return EINVAL;                                                     \
        *pshared = a->process_shared;                                          \
        return 0;                                                              \
    }                                                                          \
    int pthread_##NAME##_setpshared(TYPE *a, int pshared)                      \
    {                                                                          \
        if (!a || !a->is_initialized ||                                        \
            (pshared != PTHREAD_PROCESS_PRIVATE &&                             \
             pshared != PTHREAD_PROCESS_SHARED))                               \
            return EINVAL;                                                     \
        a->process_shared = pshared;                                           \
        return 0;                                                              \
    }

#endif
