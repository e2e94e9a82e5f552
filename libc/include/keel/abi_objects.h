/*
 * Kernel objects behind caps: named objects and message queues,
 * semaphores, barriers, POSIX timers, rwlocks, mutexes and condition
 * variables (docs/syscalls.md "Kernel objects"). New object types add
 * their section at the end of this file.
 * Part of the kernel/user ABI: included by <keel/abi.h> (include that,
 * not this), so the same rules hold: fixed-width types, no libc headers.
 */
#ifndef KEEL_ABI_OBJECTS_H
#define KEEL_ABI_OBJECTS_H

/* ---- named objects and message queues (SYS_mq_*) ---- */

/* A name bound to a kernel object (/dev/mqueue, /dev/sem: readdir and
 * stat report this kind). open() of one gives ENXIO. */
#define KEEL_NODE_OBJ 5

/*
 * SYS_mq_open (name, oflags, mode, attr): name is the POSIX name "/x"
 * (one component after the leading '/', at most KEEL_NAME_MAX bytes),
 * bound in /dev/mqueue; oflags KEEL_O_RDONLY/WRONLY/RDWR | KEEL_O_CREAT |
 * KEEL_O_EXCL (others ignored: O_NONBLOCK is libc's, see below); attr a
 * struct keel_mq_attr * or 0 (the defaults) read only when the queue is
 * created. Returns the slot (mqd_t).
 * SYS_mq_unlink (name).
 * SYS_mq_send (mqd, buf, len, prio, flags, abstime): flags KEEL_MQ_NONBLOCK;
 * abstime a struct keel_timespec * (CLOCK_REALTIME, absolute) or 0.
 * SYS_mq_receive (mqd, buf, len, prio *, flags, abstime): the length.
 * SYS_mq_ctl (mqd, op, arg): the ops below.
 */
#define KEEL_MQ_NONBLOCK 0x1u

#define KEEL_MQ_PRIO_MAX 32           /* priorities 0 .. 31 */
#define KEEL_MQ_DEF_MAXMSG 10         /* attr 0: mq_maxmsg */
#define KEEL_MQ_DEF_MSGSIZE 1024      /* attr 0: mq_msgsize */
#define KEEL_MQ_MAXMSG_MAX 256        /* mq_maxmsg 1 .. this */
#define KEEL_MQ_MSGSIZE_MAX 16384     /* mq_msgsize 1 .. this */
#define KEEL_MQ_BYTES_MAX (64 * 4096) /* maxmsg * msgsize at most */

struct keel_mq_attr {
    int64_t maxmsg;
    int64_t msgsize;
    int64_t curmsgs; /* getattr only */
};

enum {
    KEEL_MQ_CTL_GETATTR = 1, /* arg: struct keel_mq_attr * (out); no right */
    KEEL_MQ_CTL_CLOSE = 2,   /* arg unused: drops the slot (mq_close) */
    KEEL_MQ_CTL_NOTIFY = 3,  /* arg: struct keel_mq_notify * or 0 */
    KEEL_MQ_CTL_NOTIFY_WAIT = 4, /* arg unused: blocks until this process's
                                    KEEL_MQ_NOTIFY_WAKE registration fires
                                    (0) or is removed (-ECANCELED) */
};

/* How a registration notifies (SYS_mq_ctl KEEL_MQ_CTL_NOTIFY). */
#define KEEL_MQ_NOTIFY_NONE 0   /* SIGEV_NONE: nothing, but registered */
#define KEEL_MQ_NOTIFY_SIGNAL 1 /* SIGEV_SIGNAL: signo with value */
#define KEEL_MQ_NOTIFY_WAKE 2   /* SIGEV_THREAD: wakes NOTIFY_WAIT */

struct keel_mq_notify {
    uint32_t how; /* KEEL_MQ_NOTIFY_* */
    int32_t signo;
    uint64_t value; /* sigev_value */
};
/* ---- semaphores (SYS_sem) and barriers (SYS_barrier) ---- */
/* SYS_sem(op, slot, a, b), docs/syscalls.md "Kernel objects":
 *  CREATE   (op, -, value, flags) -> the new slot; flags KEEL_SEM_PSHARED
 *           mints it READ|WRITE|GRANT (transferable, inherited at spawn),
 *           else READ|WRITE. value > KEEL_SEM_VALUE_MAX: EINVAL.
 *  WAIT     (op, slot): READ; blocks; EINTR when interrupted.
 *  TRYWAIT  (op, slot): READ; EAGAIN when the count is 0.
 *  TIMEDWAIT(op, slot, const struct keel_timespec *abs): READ; abs is a
 *           CLOCK_REALTIME time; ETIMEDOUT, EINVAL (bad tv_nsec, only
 *           when it would block).
 *  POST     (op, slot): WRITE; EOVERFLOW at KEEL_SEM_VALUE_MAX.
 *  GETVALUE (op, slot): either right; the count (>= 0).
 *  DESTROY  (op, slot): closes the slot; EBUSY while threads of the
 *           caller's process are blocked on the semaphore.
 *  OPEN     (op, const char *name, oflags, value): sem_open; name "/x" is
 *           /dev/sem/x; oflags KEEL_O_CREAT, KEEL_O_EXCL; value read only
 *           with KEEL_O_CREAT. The new slot, READ|WRITE|GRANT.
 *  UNLINK   (op, const char *name): removes the name.
 *  CLOSE    (op, slot): closes the slot (sem_close), no EBUSY. */
#define KEEL_SEM_CREATE 0
#define KEEL_SEM_WAIT 1
#define KEEL_SEM_TRYWAIT 2
#define KEEL_SEM_TIMEDWAIT 3
#define KEEL_SEM_POST 4
#define KEEL_SEM_GETVALUE 5
#define KEEL_SEM_DESTROY 6
#define KEEL_SEM_OPEN 7
#define KEEL_SEM_UNLINK 8
#define KEEL_SEM_CLOSE 9
#define KEEL_SEM_PSHARED 0x1
#define KEEL_SEM_VALUE_MAX 0x7fffffff
/* SYS_barrier(op, slot, a, b):
 *  CREATE   (op, -, count, flags) -> the new slot; count 0: EINVAL;
 *           KEEL_BARRIER_PSHARED adds GRANT as for semaphores.
 *  WAIT     (op, slot): READ|WRITE; 1 for the one caller per cycle that
 *           is PTHREAD_BARRIER_SERIAL_THREAD, 0 for the others; EINTR
 *           when a signal interrupted it before the cycle completed (it
 *           stays counted; the kernel records the cycle in the thread:
 *           libc calls RESUME once the handler ran).
 *  RESUME   (op, slot): READ|WRITE; after EINTR from WAIT or RESUME on
 *           slot: 0 at once if the recorded cycle completed (never the
 *           serial thread), else waits again without counting again (0,
 *           EINTR, EBADF). EINVAL: no interrupted wait recorded; EBADF:
 *           slot no longer holds that barrier (the caller is counted out).
 *  QUERY    (op, slot, uint32_t out[2]): READ; {count, waiting}.
 *  DESTROY  (op, slot): closes the slot; EBUSY while any thread waits. */
#define KEEL_BARRIER_CREATE 0
#define KEEL_BARRIER_WAIT 1
#define KEEL_BARRIER_QUERY 2
#define KEEL_BARRIER_DESTROY 3
#define KEEL_BARRIER_RESUME 4
#define KEEL_BARRIER_PSHARED 0x1

/* ---- POSIX timers (SYS_timer_create .. SYS_timer_ctl) ----
 * docs/syscalls.md "Kernel objects". A timer is a CAP_TYPE_TIMER object;
 * timer_t is its slot. WRITE arms and disarms it, READ reads it.
 *
 * SYS_timer_create(clock, const struct keel_sigevent *ev) -> slot, minted
 *   with READ | WRITE | GRANT. clock: KEEL_CLOCK_MONOTONIC or _REALTIME.
 *   ev 0 means KEEL_SIGEV_SIGNAL with SIGALRM and the slot as value.
 * SYS_timer_settime(slot, flags, const struct keel_itimerspec *new,
 *   struct keel_itimerspec *old or 0): flags 0 or KEEL_TIMER_ABSTIME.
 * SYS_timer_gettime(slot, struct keel_itimerspec *cur).
 * SYS_timer_ctl(slot, op, arg): KEEL_TIMER_GETOVERRUN (READ) -> count;
 *   KEEL_TIMER_DELETE: disarms (with WRITE) and closes the slot;
 *   KEEL_TIMER_WAIT (READ, KEEL_SIGEV_THREAD timers only): blocks until
 *   an expiry is pending, accepts it (0) or -ECANCELED once shut down;
 *   KEEL_TIMER_SHUTDOWN (WRITE, KEEL_SIGEV_THREAD only): disarms, ends
 *   every present and future KEEL_TIMER_WAIT with -ECANCELED. */
struct keel_sigevent {
    int32_t notify; /* KEEL_SIGEV_* */
    int32_t signo;  /* SIGNAL: the signal; KEEL_SEM / KEEL_MQ: the slot */
    uint64_t value; /* sigev_value, passed on with the notification */
};
#define KEEL_SIGEV_NONE 1      /* nothing (timer_gettime still works) */
#define KEEL_SIGEV_SIGNAL 2    /* a signal to the creating process */
#define KEEL_SIGEV_THREAD 3    /* a waiter in KEEL_TIMER_WAIT (libc's helper) */
#define KEEL_SIGEV_KEEL_SEM 16 /* post the semaphore cap in signo (WRITE) */
#define KEEL_SIGEV_KEEL_MQ 17  /* send to the queue cap in signo (WRITE) */
struct keel_itimerspec {
    struct keel_timespec it_interval; /* 0: one-shot */
    struct keel_timespec it_value;    /* 0: disarmed */
};
/* The message a KEEL_SIGEV_KEEL_MQ timer sends (priority 0). */
struct keel_timer_msg {
    uint64_t value;   /* sigev_value */
    uint32_t overrun; /* expirations folded into this one (timer_getoverrun) */
    uint32_t slot;    /* the timer's slot in its creator */
};
#define KEEL_TIMER_GETOVERRUN 0
#define KEEL_TIMER_DELETE 1
#define KEEL_TIMER_WAIT 2
#define KEEL_TIMER_SHUTDOWN 3
#define KEEL_DELAYTIMER_MAX 4096 /* overrun counts stop here (POSIX) */
/* A periodic interval below this is rounded up to it (an interrupt storm
 * guard); timer_gettime reports the rounded interval. */
#define KEEL_TIMER_MIN_INTERVAL_NS 100000
#define KEEL_TIMERS_MAX 256         /* timers in the whole system */
#define KEEL_TIMER_DEFAULT_SIGNO 14 /* SIGALRM: timer_create with ev 0 */

/* ---- read-write locks (SYS_rwlock) ---- */

/*
 * SYS_rwlock(op, slot, arg): a process-shared rwlock, a CAP_TYPE_RWLOCK
 * kernel object (docs/syscalls.md "Read-write locks"). CREATE ignores slot and
 * returns the new slot (rights READ|WRITE|GRANT). The lock operations
 * need READ and WRITE (else -EACCES), QUERY only READ. RDLOCK and WRLOCK
 * take in arg an absolute CLOCK_REALTIME struct keel_timespec, or 0 to
 * wait without limit. CLOSE drops the slot (-EBUSY while the caller's
 * process holds the lock through it).
 */
enum keel_rwlock_op {
    KEEL_RWLOCK_CREATE = 0,
    KEEL_RWLOCK_RDLOCK = 1,
    KEEL_RWLOCK_TRYRDLOCK = 2,
    KEEL_RWLOCK_WRLOCK = 3,
    KEEL_RWLOCK_TRYWRLOCK = 4,
    KEEL_RWLOCK_UNLOCK = 5,
    KEEL_RWLOCK_QUERY = 6, /* arg: struct keel_rwlock_info * */
    KEEL_RWLOCK_CLOSE = 7,
};

/* QUERY: the lock's state now. */
struct keel_rwlock_info {
    uint32_t readers;         /* read holds (recursive ones counted) */
    uint32_t writer;          /* 1 while write-locked */
    uint32_t waiting_readers; /* threads blocked in RDLOCK */
    uint32_t waiting_writers; /* threads blocked in WRLOCK */
};
/* ---- mutexes and condition variables (SYS_mutex, SYS_cond) ---- */
/*
 * SYS_mutex(op, slot, a, b): a kernel mutex (CAP_TYPE_MUTEX), what a
 * process-shared or robust pthread_mutex_t is (docs/syscalls.md "Kernel
 * objects"). Rights: READ|WRITE to lock, unlock, make consistent, set
 * the ceiling or destroy; READ alone for INFO. Errors: -EBADF (not a
 * mutex cap, or revoked while blocked), -EACCES (a right missing).
 *  CREATE (slot ignored, a = KEEL_MUTEX_TYPE_* | KEEL_MUTEX_PROTO_* |
 *         KEEL_MUTEX_F_*, b = ceiling): the new slot, minted READ|WRITE
 *         (|GRANT with KEEL_MUTEX_F_GRANT); -EAGAIN out of objects
 *         (KEEL_POOL_OBJECTS) or slots, -EINVAL a bad flag or ceiling.
 *  LOCK (a = struct keel_timespec * absolute on b's clock, or 0;
 *         b = 0 CLOCK_REALTIME, 1 CLOCK_MONOTONIC): 0; -EOWNERDEAD
 *         (held now: the last owner exited holding it);
 *         -ENOTRECOVERABLE; -EDEADLK (relocked by its owner, not
 *         recursive, or a PI chain back to the caller); -EAGAIN
 *         (recursion count full); -ETIMEDOUT; -EINTR (retry);
 *         -EINVAL (a bad time, only checked when it would block).
 *  TRYLOCK: as LOCK, -EBUSY instead of blocking.
 *  UNLOCK: 0, -EPERM (the caller does not hold it).
 *  CONSISTENT: 0, -EINVAL (not robust, or not inconsistent, or the
 *         caller does not hold it).
 *  INFO (a = struct keel_mutex_info *): 0.
 *  SETCEIL (a = new ceiling): the old ceiling; -EINVAL not
 *         PTHREAD_PRIO_PROTECT or a bad ceiling.
 *  DESTROY: closes the slot; -EBUSY while locked or waited on.
 */
#define KEEL_MUTEX_CREATE 0
#define KEEL_MUTEX_LOCK 1
#define KEEL_MUTEX_TRYLOCK 2
#define KEEL_MUTEX_UNLOCK 3
#define KEEL_MUTEX_CONSISTENT 4
#define KEEL_MUTEX_INFO 5
#define KEEL_MUTEX_SETCEIL 6
#define KEEL_MUTEX_DESTROY 7
/* CREATE flags: the low 4 bits the type, then the protocol. */
#define KEEL_MUTEX_TYPE_MASK 0xfu
#define KEEL_MUTEX_NORMAL 0u
#define KEEL_MUTEX_ERRORCHECK 1u
#define KEEL_MUTEX_RECURSIVE 2u
#define KEEL_MUTEX_PROTO_SHIFT 4
#define KEEL_MUTEX_PROTO_MASK 0x30u
#define KEEL_MUTEX_PROTO_NONE 0x00u
#define KEEL_MUTEX_PROTO_INHERIT 0x10u
#define KEEL_MUTEX_PROTO_PROTECT 0x20u
#define KEEL_MUTEX_F_ROBUST 0x100u
#define KEEL_MUTEX_F_GRANT 0x200u /* the slot carries GRANT (pshared) */
/* struct keel_mutex_info.state */
#define KEEL_MUTEX_CONSISTENT_STATE 0
#define KEEL_MUTEX_INCONSISTENT 1 /* EOWNERDEAD given, not yet repaired */
#define KEEL_MUTEX_NOTRECOVERABLE 2
struct keel_mutex_info {
    uint32_t flags; /* as created: type | protocol | KEEL_MUTEX_F_ROBUST */
    int32_t ceiling;
    int32_t state;  /* KEEL_MUTEX_CONSISTENT_STATE .. NOTRECOVERABLE */
    int32_t locked; /* 1 held by someone, 2 held by the caller */
    uint32_t waiters;
    uint32_t pad;
};

/*
 * SYS_cond(op, slot, a, b, c): a kernel condition variable
 * (CAP_TYPE_CONDVAR), what a process-shared pthread_cond_t is. Rights
 * as for mutexes.
 *  CREATE (a = 0 CLOCK_REALTIME, 1 CLOCK_MONOTONIC for timed waits;
 *         b = KEEL_COND_F_GRANT): the new slot; -EAGAIN, -EINVAL.
 *  WAIT (a = the mutex's slot, or -1; b = struct keel_timespec *
 *         absolute on the condvar's clock, or 0; c = with a == -1, the
 *         sequence value read by SEQ): with a mutex slot, atomically
 *         releases that kernel mutex (which the caller must hold:
 *         -EPERM) and blocks; with -1, blocks only if the sequence is
 *         still c. Does NOT relock the mutex (libc does). 0 woken;
 *         -ETIMEDOUT; -EINTR; -EBADF; -EINVAL a bad time.
 *  SIGNAL: wakes the highest-priority waiter (0). BROADCAST: every
 *         waiter; how many of them were still blocked.
 *  SEQ: the sequence value (advanced by every SIGNAL and BROADCAST).
 *  INFO: the clock (0 or 1). DESTROY: closes the slot, -EBUSY while a
 *         waiter is queued (not for one woken but not yet returned).
 */
#define KEEL_COND_CREATE 0
#define KEEL_COND_WAIT 1
#define KEEL_COND_SIGNAL 2
#define KEEL_COND_BROADCAST 3
#define KEEL_COND_SEQ 4
#define KEEL_COND_INFO 5
#define KEEL_COND_DESTROY 6
#define KEEL_COND_F_GRANT 0x1u
#define KEEL_CLOCKSEL_REALTIME 0
#define KEEL_CLOCKSEL_MONOTONIC 1

#endif
