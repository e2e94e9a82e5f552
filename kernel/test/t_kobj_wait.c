/*
 * In-kernel tests of a revoke racing the start of a blocking operation
 * on a kernel object (revoke steps R1/R2 against O1/O2,
 * kernel/cap/cap_deleg.c): the revoke runs in the window after the
 * operation validated its slot (cap_kobj_get with a pin, or the mutex
 * fast path's second look at the slot word) and before it takes the
 * object's lock. Its cancel has then already woken the waiters it could
 * see, so the operation must check its pin before it first sleeps: it
 * fails with EBADF at once and never queues (its wchan stays unset).
 * Checking only after a wake-up would sleep until some unrelated event
 * (the lost wake-up of the objstress test); the timed calls here would
 * then end at their deadline, with wchan set, and fail the check.
 *
 * The window is forced with kobj_test_window (include/kobj.h): the
 * test thread arms it and calls the syscall handler; the hook revokes
 * the delegation the call came through. Objects are delegated to the
 * borrowed process itself (cap_transfer to its own pid). A kernel
 * thread borrowing the same process holds the mutex and write-holds the
 * rwlock so that those waits would block.
 *
 * Locking: none of its own; kw_stage is the holder thread's handshake
 * (READ_ONCE/WRITE_ONCE), the rest belongs to the test thread.
 */
#include "../include/kmx.h"
#include "../include/krwlock.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"
#include "kt_world.h"
#include "ktest.h"

long sys_cap_get_token(int slot, int type);
long sys_cap_transfer(int dst, uint64_t tok, unsigned rights, uint64_t ud,
                      uint64_t us);
long sys_sem(long op, long slot, uint64_t a, uint64_t b);
long sys_mutex(long op, long slot, uint64_t a, uint64_t b);
long sys_cond(long op, long slot, uint64_t a, uint64_t b, uint64_t c);
long sys_barrier(long op, long slot, uint64_t a, uint64_t b);
long sys_mq_open(uint64_t uname, int oflags, int mode, uint64_t uattr);
long sys_mq_unlink(uint64_t uname);
long sys_mq_receive(int mqd, uint64_t ubuf, size_t len, uint64_t uprio,
                    unsigned flags, uint64_t uts);
long sys_timer_create(int clock, uint64_t uev);
long sys_timer_ctl(int slot, int op, uint64_t arg);

/* Scratch user memory (kt_world's first page, from KT_SCRATCH_FREE). */
#define U_DTOK (USER_BASE + KT_SCRATCH_FREE)      /* delegate token out */
#define U_DSLOT (USER_BASE + KT_SCRATCH_FREE + 8) /* destination slot */
#define U_TS (USER_BASE + KT_SCRATCH_FREE + 16)   /* a keel_timespec */
#define U_ATTR (USER_BASE + KT_SCRATCH_FREE + 32) /* mq attr, sigevent */
#define U_NAME (USER_BASE + KT_SCRATCH_FREE + 64) /* a queue's name */
#define U_BUF (USER_BASE + KT_SCRATCH_FREE + 128) /* a message buffer */
#define KW_DEADLINE_NS (20ull * 1000 * 1000)      /* bounds a wrong sleep */

static struct kt_world kw;
static struct thread *kw_self;
static uint64_t kw_tok; /* the delegation the armed hook revokes */
static int kw_revokes;

static void kw_hook(void)
{
    if (current() != kw_self) { /* not the call under test: stay armed */
        kobj_test_window = kw_hook;
        return;
    }
    KT_CHECK_EQ(cap_revoke_slot(kw.p, kw_tok), 0);
    kw_revokes++;
}

static void *kw_user(uint64_t va)
{
    return kt_scratch(&kw) + (va - USER_BASE);
}

/* Slot s (of type) delegated to ourselves: the destination slot. */
static int kw_delegate(int s, int type)
{
    long tok = sys_cap_get_token(s, type);
    KT_CHECK(tok >= 0);
    KT_CHECK_EQ(sys_cap_transfer(kw.p->pid, (uint64_t)tok,
                                 CAP_RIGHT_READ | CAP_RIGHT_WRITE, U_DTOK,
                                 U_DSLOT),
                0);
    kw_tok = *(uint64_t *)kw_user(U_DTOK);
    return *(int *)kw_user(U_DSLOT);
}

/* An absolute time KW_DEADLINE_NS from now on the realtime or the
 * monotonic clock, at U_TS. */
static uint64_t kw_deadline(bool realtime)
{
    uint64_t ns =
        (realtime ? time_realtime_ns() : time_now_ns()) + KW_DEADLINE_NS;
    *(struct keel_timespec *)kw_user(U_TS) = (struct keel_timespec){
        (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull)};
    return U_TS;
}

/* Arms the hook; the caller makes its call, then kw_after checks it. */
static void kw_arm(void)
{
    kw_revokes = 0;
    kw_self->wchan = NULL;
    kobj_test_window = kw_hook;
}

static void kw_after(long r, const char *what)
{
    if (r != -EBADF || kw_self->wchan != NULL || kw_revokes != 1)
        printk("    %s: %ld, wchan %s, %d revokes\n", what, r,
               kw_self->wchan ? kw_self->wchan : "-", kw_revokes);
    KT_CHECK_EQ(r, -EBADF);
    KT_CHECK(kw_self->wchan == NULL); /* it never queued */
    KT_CHECK_EQ(kw_revokes, 1);
    kobj_test_window = NULL;
}

/* ---- the holder: a kernel thread of the same process ---- */

static volatile int kw_stage; /* 1 holding, 2 let go, 3 done */
static long kw_mslot, kw_lslot, kw_hold_err;

static void kw_nap(void)
{
    sleep_until(time_now_ticks() + ns_to_ticks(1000 * 1000));
}

static void kw_holder(void *arg)
{
    (void)arg;
    current()->proc = kw.p;
    kw_hold_err = sys_mutex(KEEL_MUTEX_LOCK, kw_mslot, 0, 0) |
                  sys_rwlock(KEEL_RWLOCK_WRLOCK, kw_lslot, 0);
    WRITE_ONCE(kw_stage, 1);
    for (int i = 0; i < 5000 && READ_ONCE(kw_stage) != 2; i++)
        kw_nap();
    kw_hold_err |= sys_mutex(KEEL_MUTEX_UNLOCK, kw_mslot, 0, 0) |
                   sys_rwlock(KEEL_RWLOCK_UNLOCK, kw_lslot, 0);
    current()->proc = NULL;
    WRITE_ONCE(kw_stage, 3);
}

static bool kw_wait_stage(int s)
{
    for (int i = 0; i < 5000 && READ_ONCE(kw_stage) != s; i++)
        kw_nap();
    return READ_ONCE(kw_stage) == s;
}

/* Every type's wait, each through a delegation revoked in the window:
 * semaphore, mutex (the general path and the fast path), rwlock (read
 * and write), barrier, queue, condvar (with a kernel mutex and without)
 * and a SIGEV_THREAD timer. */
KTEST(kobj_wait_revoked_before_sleep_fails_at_once)
{
    uint32_t objs = kobj_count();
    kt_world_begin(&kw);
    kw_self = current();
    KT_CHECK(cap_proc_install(kw.p, kw.p) >= 0); /* transfers to itself */

    long sem = sys_sem(KEEL_SEM_CREATE, 0, 0, KEEL_SEM_PSHARED);
    KT_CHECK(sem >= 0);
    int d = kw_delegate((int)sem, CAP_TYPE_SEMAPHORE);
    kw_arm();
    kw_after(sys_sem(KEEL_SEM_TIMEDWAIT, d, kw_deadline(true), 0), "sem");

    kw_mslot =
        sys_mutex(KEEL_MUTEX_CREATE, 0, KEEL_MUTEX_F_GRANT, KEEL_PRIO_MAX);
    kw_lslot = sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0);
    KT_CHECK(kw_mslot >= 0 && kw_lslot >= 0);
    /* The fast path: a free mutex, revoked between the two looks at the
     * slot word and the lock hold (taking it would be a lock through a
     * slot already revoked). */
    d = kw_delegate((int)kw_mslot, CAP_TYPE_MUTEX);
    kw_arm();
    long r = sys_mutex(KEEL_MUTEX_LOCK, d, 0, 0);
    kw_after(r, "mutex, free");
    if (r == 0) /* taken after all: let go, so the next cases stand alone */
        KT_CHECK_EQ(sys_mutex(KEEL_MUTEX_UNLOCK, kw_mslot, 0, 0), 0);

    kw_stage = 0;
    KT_CHECK(kthread_create(kw_holder, NULL, KEEL_PRIO_DEFAULT) != NULL);
    KT_CHECK(kw_wait_stage(1));
    KT_CHECK_EQ(kw_hold_err, 0);
    d = kw_delegate((int)kw_mslot, CAP_TYPE_MUTEX);
    kw_arm();
    kw_after(sys_mutex(KEEL_MUTEX_LOCK, d, kw_deadline(false),
                       KEEL_CLOCKSEL_MONOTONIC),
             "mutex, held");
    d = kw_delegate((int)kw_lslot, CAP_TYPE_RWLOCK);
    kw_arm();
    r = sys_rwlock(KEEL_RWLOCK_RDLOCK, d, kw_deadline(true));
    kw_after(r, "rdlock");
    if (r == 0)
        KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_UNLOCK, kw_lslot, 0), 0);
    d = kw_delegate((int)kw_lslot, CAP_TYPE_RWLOCK);
    kw_arm();
    kw_after(sys_rwlock(KEEL_RWLOCK_WRLOCK, d, kw_deadline(true)), "wrlock");
    WRITE_ONCE(kw_stage, 2);
    KT_CHECK(kw_wait_stage(3));
    KT_CHECK_EQ(kw_hold_err, 0);

    long bar = sys_barrier(KEEL_BARRIER_CREATE, 0, 2, KEEL_BARRIER_PSHARED);
    KT_CHECK(bar >= 0);
    d = kw_delegate((int)bar, CAP_TYPE_BARRIER);
    kw_arm();
    kw_after(sys_barrier(KEEL_BARRIER_WAIT, d, 0, 0), "barrier");

    memcpy(kw_user(U_NAME), "/kt_kobj_wait", 14);
    *(struct keel_mq_attr *)kw_user(U_ATTR) = (struct keel_mq_attr){2, 16, 0};
    long q = sys_mq_open(U_NAME, KEEL_O_RDWR | KEEL_O_CREAT | KEEL_O_EXCL, 0600,
                         U_ATTR);
    KT_CHECK(q >= 0);
    KT_CHECK_EQ(sys_mq_unlink(U_NAME), 0);
    d = kw_delegate((int)q, CAP_TYPE_MQUEUE);
    kw_arm();
    kw_after(sys_mq_receive(d, U_BUF, 16, 0, 0, kw_deadline(true)), "mq");

    long cv = sys_cond(KEEL_COND_CREATE, 0, KEEL_CLOCKSEL_MONOTONIC,
                       KEEL_COND_F_GRANT, 0);
    KT_CHECK(cv >= 0);
    d = kw_delegate((int)cv, CAP_TYPE_CONDVAR);
    long seq = sys_cond(KEEL_COND_SEQ, d, 0, 0, 0);
    KT_CHECK(seq >= 0);
    kw_arm();
    kw_after(sys_cond(KEEL_COND_WAIT, d, -1, kw_deadline(false), (uint64_t)seq),
             "cond, no mutex");
    /* With a kernel mutex: refused before the mutex is released. */
    KT_CHECK_EQ(sys_mutex(KEEL_MUTEX_LOCK, kw_mslot, 0, 0), 0);
    d = kw_delegate((int)cv, CAP_TYPE_CONDVAR);
    kw_arm();
    kw_after(sys_cond(KEEL_COND_WAIT, d, kw_mslot, kw_deadline(false), 0),
             "cond, kernel mutex");
    KT_CHECK(
        ((struct kmx *)kobj_by_index(capw_obj(kw.p->caps.t.words[kw_mslot])))
            ->owner == kw_self);
    KT_CHECK_EQ(sys_mutex(KEEL_MUTEX_UNLOCK, kw_mslot, 0, 0), 0);

    *(struct keel_sigevent *)kw_user(U_ATTR) =
        (struct keel_sigevent){KEEL_SIGEV_THREAD, 0, 0};
    long tm = sys_timer_create(KEEL_CLOCK_MONOTONIC, U_ATTR);
    KT_CHECK(tm >= 0);
    d = kw_delegate((int)tm, CAP_TYPE_TIMER);
    kw_arm();
    kw_after(sys_timer_ctl(d, KEEL_TIMER_WAIT, 0), "timer");

    kt_world_end(&kw);
    KT_CHECK_EQ(kobj_count(), objs);
}
