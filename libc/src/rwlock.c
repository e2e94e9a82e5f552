/*
 * POSIX read-write locks (docs/posix.md, docs/syscalls.md "Read-write locks";
 * the type is Keel's, <sys/_pthreadtypes.h>).
 *
 * In-process rwlocks live in user space on the futex. __word holds
 *   RW_READERS  the read holds (at most 65535: then EAGAIN),
 *   RW_WW       the writers registered as waiting,
 *   RW_WRITER   set while write-locked (__owner: the holder's lock id),
 *   RW_RWAIT    set while readers may sleep on __word.
 * Readers sleep on __word (FUTEX_WAIT on the value they saw); writers
 * sleep on __wseq, a counter every release that may let a writer in
 * bumps before waking one writer (the futex wakes the highest priority).
 * __wprio and __rprio count the blocked writers and readers of each
 * priority (the priority each had when it blocked), so the highest
 * priority waiting on either side is known exactly.
 *
 * POSIX (SCHED_FIFO, SCHED_RR): waiting threads get the lock in
 * priority order, writers before readers of equal priority. So a reader
 * does not get the lock while it is write-locked, or while a writer
 * waits whose priority is at least the reader's; a reader of strictly
 * higher priority than every waiting writer does. And a writer that
 * finds the lock free while a reader of strictly higher priority is
 * blocked on it leaves it to the readers (they all wake at every write
 * release; the last reader's unlock wakes the writer again). Between
 * threads of equal priority (the default) a waiting writer therefore
 * blocks every new reader. The exception is read recursion: a
 * thread that already holds a read lock gets another one even while
 * writers wait (a writer waiting for it could otherwise never run, nor
 * it), tracked in the thread's control block for up to KEEL_RD_MAX
 * rwlocks at a time.
 *
 * Errors: EDEADLK for a write-holder's rdlock or wrlock, and for a
 * read-holder's wrlock (it would wait for itself); EBUSY from the try
 * variants (the holder's own included); ETIMEDOUT from the timed ones at the
 * absolute CLOCK_REALTIME time, whose tv_nsec is checked (EINVAL) only when the
 * call would block; EPERM from unlock by a thread holding neither the write
 * lock nor (as far as the tracked read holds tell) a read lock; EAGAIN past
 * 65535 read holds. Interrupted futex waits (a signal's handler ran)
 * are retried: these functions never return EINTR.
 *
 * Process-shared rwlocks are CAP_TYPE_RWLOCK kernel objects (__kind 1,
 * __slot): every operation is one SYS_rwlock call, retried on EINTR.
 *
 * Locking: __word, __wseq and the priority counts are changed only by
 * atomic operations (a waiter counts itself before it changes __word,
 * and one that gets the lock uncounts itself after it has it, so a
 * count is never missing while its waiter is still blocked);
 * __owner is written by the write holder only; a thread's read-hold
 * table only by the thread.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include <keel/cap.h>

#include "internal.h"

#define RW_READERS 0x0000ffffu
#define RW_WW_ONE 0x00010000u
#define RW_WW 0x00ff0000u
#define RW_WRITER 0x40000000u
#define RW_RWAIT 0x80000000u
_Static_assert(CAP_THREAD_SLOTS < 256, "RW_WW and a priority count hold "
                                       "every thread");
_Static_assert(KEEL_PRIO_MAX < 64, "__wprio/__rprio hold every priority");

#define K_PSHARED 1u

static struct keel_tcb *self_tcb(void)
{
    struct keel_tcb *t = keel_tcb();
    return t ? t : &__keel_main_tcb;
}

/* ---- blocked threads by priority (__wprio, __rprio) ---- */

static void pc_add(uint32_t *pc, int p)
{
    __atomic_fetch_add(&pc[p / 4], 1u << (8 * (p % 4)), __ATOMIC_SEQ_CST);
}

static void pc_sub(uint32_t *pc, int p)
{
    __atomic_fetch_sub(&pc[p / 4], 1u << (8 * (p % 4)), __ATOMIC_SEQ_CST);
}

/* The highest priority with a blocked thread, -1 for none: a scan of 16
 * words, on the contended path only. The fence orders it after the
 * caller's look at __word. */
static int pc_max(const uint32_t *pc)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (int i = 15; i >= 0; i--) {
        uint32_t w = __atomic_load_n(&pc[i], __ATOMIC_RELAXED);
        for (int b = 3; w && b >= 0; b--)
            if ((w >> (8 * b)) & 0xffu)
                return 4 * i + b;
    }
    return -1;
}

static int my_prio(void)
{
    int pol, prio;
    if (keel_sc3(SYS_thread_getschedparam, 0, (long)&pol, (long)&prio) < 0)
        return KEEL_PRIO_DEFAULT;
    return prio;
}

/* The absolute time of a timed call, checked now that it would block. */
static int abs_time(const struct timespec *abs, struct keel_timespec *out)
{
    if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)
        return EINVAL;
    *out = (struct keel_timespec){abs->tv_sec < 0 ? 0 : abs->tv_sec,
                                  abs->tv_sec < 0 ? 0 : abs->tv_nsec};
    return 0;
}

/* ---- the thread's read holds ---- */

static struct keel_rdhold *rd_find(struct keel_tcb *t, const void *l)
{
    for (int i = 0; i < KEEL_RD_MAX; i++)
        if (t->rd[i].lock == l)
            return &t->rd[i];
    return NULL;
}

static void rd_add(struct keel_tcb *t, struct keel_rdhold *h, const void *l)
{
    if (!h)
        h = rd_find(t, NULL);
    if (!h) {
        t->rd_untracked++;
        return;
    }
    h->lock = l;
    h->n++;
}

/* ---- attributes ---- */

KEEL_PSHARED_ATTR_FNS(rwlockattr, pthread_rwlockattr_t)

/* ---- process-shared: the kernel object ---- */

static int k_call(const pthread_rwlock_t *l, int op, long arg)
{
    long r;
    do
        r = keel_sc3(SYS_rwlock, op, l->__slot, arg);
    while (r == -EINTR);
    return keel_err(r);
}

static int k_lock(const pthread_rwlock_t *l, int op, const struct timespec *abs)
{
    if (!abs)
        return k_call(l, op, 0);
    /* The kernel checks the time only when the call would block. */
    struct keel_timespec ts = {abs->tv_sec, abs->tv_nsec};
    return k_call(l, op, (long)&ts);
}

int keel_rwlock_attach(pthread_rwlock_t *l, int slot)
{
    if (!l)
        return EINVAL;
    struct keel_rwlock_info info;
    long r = keel_sc3(SYS_rwlock, KEEL_RWLOCK_QUERY, slot, (long)&info);
    if (r < 0 && r != -EACCES) /* READ alone may be missing: still ours */
        return keel_err(r);
    *l = (pthread_rwlock_t){.__kind = K_PSHARED, .__slot = slot};
    return 0;
}

int keel_rwlock_slot(const pthread_rwlock_t *l)
{
    return l && l->__kind == K_PSHARED ? l->__slot : -1;
}

/* ---- init, destroy ---- */

int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
    if (!l || (a && !a->is_initialized))
        return EINVAL;
    if (a && a->process_shared == PTHREAD_PROCESS_SHARED) {
        long slot = keel_sc3(SYS_rwlock, KEEL_RWLOCK_CREATE, -1, 0);
        if (slot < 0)
            return slot == -EMFILE ? EAGAIN : keel_err(slot);
        *l = (pthread_rwlock_t){.__kind = K_PSHARED, .__slot = (int32_t)slot};
        return 0;
    }
    *l = (pthread_rwlock_t){.__kind = 0};
    return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED) {
        int r = k_call(l, KEEL_RWLOCK_CLOSE, 0);
        if (!r)
            l->__slot = -1;
        return r;
    }
    if (__atomic_load_n(&l->__word, __ATOMIC_RELAXED))
        return EBUSY;
    return 0;
}

/* ---- read locks ---- */

/* Lets one writer (the futex's highest-priority waiter) look again. */
static void wake_writer(pthread_rwlock_t *l)
{
    __atomic_fetch_add(&l->__wseq, 1, __ATOMIC_SEQ_CST);
    keel_futex(&l->__wseq, KEEL_FUTEX_WAKE, 1, NULL);
}

/* A blocked reader gives up (timeout): a writer that left the free lock
 * to it (a reader of higher priority) is woken to take it. */
static void rd_unregister(pthread_rwlock_t *l, int prio)
{
    pc_sub(l->__rprio, prio);
    uint32_t v = __atomic_load_n(&l->__word, __ATOMIC_SEQ_CST);
    if (!(v & (RW_WRITER | RW_READERS)) && (v & RW_WW))
        wake_writer(l);
}

static int rdlock(pthread_rwlock_t *l, bool try, const struct timespec *abs)
{
    struct keel_tcb *t = self_tcb();
    uint32_t self = t->id;
    struct keel_rdhold *h = rd_find(t, l);
    uint32_t v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
    if ((v & RW_WRITER) &&
        __atomic_load_n(&l->__owner, __ATOMIC_RELAXED) == self)
        return try ? EBUSY : EDEADLK;
    int prio = -1;
    bool counted = false; /* in __rprio */
    struct keel_timespec ts, *tsp = NULL;
    for (;;) {
        v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
        bool may = !(v & RW_WRITER);
        if (may && (v & RW_WW) && !h) {
            if (prio < 0)
                prio = my_prio();
            may = prio > pc_max(l->__wprio);
        }
        if (may) {
            if ((v & RW_READERS) == RW_READERS) {
                if (counted)
                    rd_unregister(l, prio);
                return EAGAIN;
            }
            if (keel_cas_acq(&l->__word, v, v + 1)) {
                if (counted)
                    pc_sub(l->__rprio, prio);
                rd_add(t, h, l);
                return 0;
            }
            continue;
        }
        if (try)
            return EBUSY;
        if (abs && !tsp) {
            int e = abs_time(abs, &ts);
            if (e)
                return e;
            tsp = &ts;
        }
        if (!counted) {
            /* Counted before it sleeps, then it looks again: a writer
             * that finds the lock free sees it. */
            if (prio < 0)
                prio = my_prio();
            pc_add(l->__rprio, prio);
            counted = true;
            continue;
        }
        if (!(v & RW_RWAIT)) {
            if (!keel_cas_acq(&l->__word, v, v | RW_RWAIT))
                continue;
            v |= RW_RWAIT;
        }
        int op = KEEL_FUTEX_WAIT;
        if (tsp)
            op |= KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME;
        if (keel_futex(&l->__word, op, v, tsp) == -ETIMEDOUT) {
            rd_unregister(l, prio);
            return ETIMEDOUT;
        }
        /* 0, EAGAIN (the word changed), EINTR (a handler ran): again. */
    }
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_lock(l, KEEL_RWLOCK_RDLOCK, NULL);
    return rdlock(l, false, NULL);
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_call(l, KEEL_RWLOCK_TRYRDLOCK, 0);
    return rdlock(l, true, NULL);
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abs)
{
    if (!l || !abs)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_lock(l, KEEL_RWLOCK_RDLOCK, abs);
    return rdlock(l, false, abs);
}

/* ---- write locks ---- */

/* A waiting writer gives up (timeout): it leaves the counts, and the
 * sleeping readers look again (it may have been the writer of highest
 * priority that held them back). */
static void wr_unregister(pthread_rwlock_t *l, int prio)
{
    pc_sub(l->__wprio, prio);
    for (;;) {
        uint32_t v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
        uint32_t nv = v - RW_WW_ONE;
        bool wake = false;
        if (!(nv & RW_WRITER) && (nv & RW_RWAIT)) {
            nv &= ~RW_RWAIT;
            wake = true;
        }
        if (!keel_cas_rel(&l->__word, v, nv))
            continue;
        if (wake)
            keel_futex(&l->__word, KEEL_FUTEX_WAKE, INT_MAX, NULL);
        return;
    }
}

/* May a writer take the free lock? Not while a reader of strictly
 * higher priority is blocked on it (counted: a write release clears
 * RW_RWAIT while the readers it woke are still on their way, so the
 * counts are what tells); a try takes it: it would not have blocked. */
static bool wr_may(pthread_rwlock_t *l, bool try, int *prio)
{
    if (try)
        return true;
    int r = pc_max(l->__rprio);
    if (r < 0)
        return true;
    if (*prio < 0)
        *prio = my_prio();
    return r <= *prio;
}

static int wrlock(pthread_rwlock_t *l, bool try, const struct timespec *abs)
{
    struct keel_tcb *t = self_tcb();
    uint32_t self = t->id;
    uint32_t v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
    if ((v & RW_WRITER) &&
        __atomic_load_n(&l->__owner, __ATOMIC_RELAXED) == self)
        return try ? EBUSY : EDEADLK;
    if (rd_find(t, l))
        return try ? EBUSY : EDEADLK; /* it would wait for itself */
    bool registered = false;          /* in RW_WW and __wprio */
    int prio = -1;
    struct keel_timespec ts, *tsp = NULL;
    for (;;) {
        v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
        /* Free, and no blocked reader of higher priority. */
        if (!(v & (RW_WRITER | RW_READERS)) && wr_may(l, try, &prio)) {
            uint32_t nv = v | RW_WRITER;
            if (registered)
                nv -= RW_WW_ONE;
            if (keel_cas_acq(&l->__word, v, nv)) {
                __atomic_store_n(&l->__owner, self, __ATOMIC_RELAXED);
                if (registered)
                    pc_sub(l->__wprio, prio);
                return 0;
            }
            continue;
        }
        if (try)
            return EBUSY;
        if (abs && !tsp) {
            int e = abs_time(abs, &ts);
            if (e)
                return e;
            tsp = &ts;
        }
        if (!registered) {
            if (prio < 0)
                prio = my_prio();
            pc_add(l->__wprio, prio); /* before the word: readers see it */
            if (!keel_cas_acq(&l->__word, v, v + RW_WW_ONE)) {
                pc_sub(l->__wprio, prio);
                continue;
            }
            registered = true;
            continue;
        }
        /* Read the sequence before looking at the word again: a release
         * after that look bumps it, so the wait below does not sleep. */
        uint32_t s = __atomic_load_n(&l->__wseq, __ATOMIC_ACQUIRE);
        v = __atomic_load_n(&l->__word, __ATOMIC_ACQUIRE);
        if (!(v & (RW_WRITER | RW_READERS)) && wr_may(l, false, &prio))
            continue;
        int op = KEEL_FUTEX_WAIT;
        if (tsp)
            op |= KEEL_FUTEX_ABSTIME | KEEL_FUTEX_CLOCK_REALTIME;
        if (keel_futex(&l->__wseq, op, s, tsp) == -ETIMEDOUT) {
            wr_unregister(l, prio);
            return ETIMEDOUT;
        }
    }
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_lock(l, KEEL_RWLOCK_WRLOCK, NULL);
    return wrlock(l, false, NULL);
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_call(l, KEEL_RWLOCK_TRYWRLOCK, 0);
    return wrlock(l, true, NULL);
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abs)
{
    if (!l || !abs)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_lock(l, KEEL_RWLOCK_WRLOCK, abs);
    return wrlock(l, false, abs);
}

/* ---- unlock ---- */

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    if (!l)
        return EINVAL;
    if (l->__kind == K_PSHARED)
        return k_call(l, KEEL_RWLOCK_UNLOCK, 0);
    struct keel_tcb *t = self_tcb();
    uint32_t v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
    if (v & RW_WRITER) {
        if (__atomic_load_n(&l->__owner, __ATOMIC_RELAXED) != t->id)
            return EPERM;
        __atomic_store_n(&l->__owner, 0, __ATOMIC_RELAXED);
        uint32_t nv;
        do {
            v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
            nv = v & ~(RW_WRITER | RW_RWAIT);
        } while (!keel_cas_rel(&l->__word, v, nv));
        /* Sleeping readers look again (those of higher priority than
         * every waiting writer go ahead), and one writer is woken. */
        if (v & RW_RWAIT)
            keel_futex(&l->__word, KEEL_FUTEX_WAKE, INT_MAX, NULL);
        if (v & RW_WW)
            wake_writer(l);
        return 0;
    }
    if (!(v & RW_READERS))
        return EPERM;
    struct keel_rdhold *h = rd_find(t, l);
    if (h) {
        if (--h->n == 0)
            h->lock = NULL;
    } else if (t->rd_untracked) {
        t->rd_untracked--;
    } else {
        return EPERM;
    }
    uint32_t nv;
    do {
        v = __atomic_load_n(&l->__word, __ATOMIC_RELAXED);
        nv = v - 1;
    } while (!keel_cas_rel(&l->__word, v, nv));
    if (!(nv & RW_READERS) && (nv & RW_WW))
        wake_writer(l);
    return 0;
}
