/*
 * The kernel/user ABI: syscall numbers, flag values and the structures
 * passed across the boundary. Shared verbatim by the kernel and libc, so
 * it uses only fixed-width types and no libc headers.
 *
 * Convention: ecall with the number in a7 and arguments in a0..a5; the
 * result comes back in a0, a negative errno on failure.
 */
#ifndef KEEL_ABI_H
#define KEEL_ABI_H

#include <stdint.h>

enum keel_syscall {
    SYS_getpid = 1,
    SYS_getppid = 2,
    SYS_exit = 3,
    SYS_spawn = 4,
    SYS_waitpid = 5,
    SYS_kill = 6,
    SYS_setpgid = 7, /* (pid, pgid): see "Process groups" below */
    SYS_getpgid = 8, /* (pid): 0 is the caller */
    SYS_ioctl = 9,   /* (fd, KEEL_IOC_*, arg): terminal control */
    SYS_read = 10,
    SYS_write = 11,
    SYS_open = 12,
    SYS_close = 13,
    SYS_lseek = 14,
    SYS_dup = 15,
    SYS_dup2 = 16,
    SYS_pipe = 17,
    SYS_fcntl = 18,
    SYS_fstat = 19,
    SYS_readdir = 20,
    SYS_unlink = 21,
    SYS_mkdir = 22,         /* (path) */
    SYS_rmdir = 23,         /* (path) */
    SYS_vm_fail_after = 24, /* debug kernels: fault injection */
    SYS_brk = 25,
    SYS_thread_detach = 26,
    SYS_chdir = 27,  /* (path) */
    SYS_getcwd = 28, /* (buf, size): the length with the NUL */
    SYS_stat = 29,   /* (path, struct keel_stat *) */
    SYS_thread_create = 30,
    SYS_thread_exit = 31,
    SYS_thread_join = 32,
    SYS_thread_self = 33,
    SYS_sched_yield = 34,
    SYS_thread_setschedparam = 35,
    SYS_thread_getschedparam = 36,
    SYS_thread_setceiling = 37,
    SYS_thread_getceiling = 38,
    SYS_lockstat = 39, /* (index, struct keel_lockstat *): 1, 0 end */
    SYS_nanosleep = 40,
    SYS_clock_gettime = 41,
    SYS_futex = 42,                 /* (uaddr, KEEL_FUTEX_*, val, timeout) */
    SYS_clock_nanosleep = 43,       /* (clock, flags, req, rem): 0 or -errno */
    SYS_clock_getres = 44,          /* (clock, struct keel_timespec *) */
    SYS_clock_settime = 45,         /* (clock, ts): system cap with WRITE */
    SYS_sched_setattr = 46,         /* (thread token or 0, attr, flags) */
    SYS_sched_getattr = 47,         /* (thread token or 0, attr, size, flags) */
    SYS_sched_rr_get_interval = 48, /* (thread token or 0, ts) */
    SYS_cap_get_token = 50,
    SYS_cap_drop = 51,
    SYS_cap_transfer = 52,
    SYS_cap_revoke_delegate = 53,
    SYS_cap_info = 54,
    SYS_proc_handle = 55,
    SYS_quota_info = 56,
    SYS_cap_list = 57,   /* (pid, slot, struct cap_info *): 1, 0 empty */
    SYS_threadinfo = 58, /* (index, struct keel_threadinfo *): 1, 0 end */
    SYS_procinfo = 60,
    SYS_poweroff = 61,
    SYS_kstat = 62,
    /* Issue 9: kernel objects behind caps (docs/syscalls.md). Each
     * object call takes the object's slot; the op codes and argument
     * structures live in the sections below, one per area. */
    SYS_mutex = 64,   /* (op, slot, arg, timeout): KEEL_MUTEX_OP_* */
    SYS_cond = 65,    /* (op, slot, ...): KEEL_COND_OP_* */
    SYS_sem = 66,     /* (op, slot, ...): KEEL_SEM_OP_* */
    SYS_barrier = 67, /* (op, slot, ...): KEEL_BARRIER_OP_* */
    SYS_rwlock = 68,  /* (op, slot, ...): KEEL_RWLOCK_OP_* */
    /* 69..73: message queues (SYS_mq_*) */
    SYS_mq_open = 69,
    SYS_mq_unlink = 70,
    SYS_mq_send = 71,
    SYS_mq_receive = 72,
    SYS_mq_ctl = 73, /* getattr, setattr, notify */
    /* 74..77: timers (SYS_timer_*) */
    SYS_timer_create = 74,
    SYS_timer_settime = 75,
    SYS_timer_gettime = 76,
    SYS_timer_ctl = 77, /* getoverrun, delete */
    /* 78..89: signals */
    SYS_sigaction = 78,
    SYS_sigprocmask = 79,
    SYS_sigpending = 80,
    SYS_sigsuspend = 81,
    SYS_sigtimedwait = 82,
    SYS_sigqueue = 83,
    SYS_sigreturn = 84,
    SYS_sigaltstack = 85,
    SYS_thread_kill = 86,      /* (thread token, sig): pthread_kill */
    SYS_cap_signal_limit = 87, /* narrow a process cap's signal allow-list */
    SYS_alarm = 88, /* (seconds): SIGALRM later; the seconds left before */
    /* 89: spare for signals */
    /* 90..95: threads, memory, files */
    SYS_mlock = 90,   /* (op, addr, len / flags): KEEL_MLOCK_* */
    SYS_fsync = 91,   /* (fd, datasync) */
    SYS_sysinfo = 92, /* (name, ...): the kernel's limits for sysconf */
    /* 93..95: spare */
    SYS_NR = 96, /* table size: numbers at or above give ENOSYS */
};

/* open() flags: the same values as newlib's <fcntl.h>. */
#define KEEL_O_ACCMODE 0x3
#define KEEL_O_RDONLY 0x0
#define KEEL_O_WRONLY 0x1
#define KEEL_O_RDWR 0x2
#define KEEL_O_APPEND 0x0008
#define KEEL_O_CREAT 0x0200
#define KEEL_O_TRUNC 0x0400
#define KEEL_O_EXCL 0x0800
#define KEEL_O_CLOEXEC 0x40000

/* fcntl commands (newlib values) */
#define KEEL_F_DUPFD 0
#define KEEL_F_GETFD 1
#define KEEL_F_SETFD 2
#define KEEL_F_GETFL 3
#define KEEL_FD_CLOEXEC 1

/* lseek whence */
#define KEEL_SEEK_SET 0
#define KEEL_SEEK_CUR 1
#define KEEL_SEEK_END 2

/* Node kinds reported by fstat/readdir. */
#define KEEL_NODE_FILE 1
#define KEEL_NODE_DIR 2
#define KEEL_NODE_CHAR 3
#define KEEL_NODE_PIPE 4

struct keel_stat {
    uint32_t kind; /* KEEL_NODE_* */
    uint32_t ino;
    uint64_t size;
};

#define KEEL_NAME_MAX 31
#define KEEL_PATH_MAX 256

struct keel_dirent {
    uint32_t kind; /* KEEL_NODE_* */
    uint32_t ino;
    uint64_t size;
    char name[KEEL_NAME_MAX + 1];
};

/* Scheduling: fixed priorities, higher runs first. */
#define KEEL_PRIO_MIN 1
#define KEEL_PRIO_MAX 63
#define KEEL_PRIO_DEFAULT 20
#define KEEL_SCHED_OTHER 0    /* newlib SCHED_OTHER: accepted, runs as RR */
#define KEEL_SCHED_FIFO 1     /* newlib SCHED_FIFO */
#define KEEL_SCHED_RR 2       /* newlib SCHED_RR */
#define KEEL_SCHED_SPORADIC 4 /* newlib SCHED_SPORADIC: ENOTSUP */
#define KEEL_SCHED_DEADLINE 6 /* EDF with a CBS budget (Linux's number) */

/* sched_setattr / sched_getattr: Linux's struct sched_attr, field for
 * field. size is sizeof(struct keel_sched_attr) (KEEL_SCHED_ATTR_SIZE).
 * For SCHED_DEADLINE: 0 < runtime <= deadline <= period (period 0 means
 * period = deadline), all in ns; sched_priority must be 0. */
#define KEEL_SCHED_ATTR_SIZE 48
struct keel_sched_attr {
    uint32_t size;
    uint32_t sched_policy; /* KEEL_SCHED_* */
    uint64_t sched_flags;  /* 0 */
    int32_t sched_nice;    /* ignored (0) */
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

/* Clocks: newlib's clockid_t values and flags. */
#define KEEL_CLOCK_REALTIME 1
#define KEEL_CLOCK_MONOTONIC 4
#define KEEL_TIMER_ABSTIME 4 /* clock_nanosleep: req is an absolute time */

/* Futex: a 32-bit aligned word in the caller's address space.
 *  WAIT (val, timeout): sleep while *uaddr == val (else -EAGAIN); timeout
 *    is a struct keel_timespec * or 0, relative unless KEEL_FUTEX_ABSTIME
 *    (then on CLOCK_MONOTONIC, or CLOCK_REALTIME with
 *    KEEL_FUTEX_CLOCK_REALTIME); -ETIMEDOUT, -EINTR when killed.
 *  WAKE (n): wake up to n waiters, highest priority first; returns the
 *    number woken.
 *  LOCK_PI (timeout, always absolute): the word holds the owner's id
 *    (KEEL_FUTEX_TID_MASK: the thread's lock id, its thread cap slot as
 *    SYS_thread_self returns it and libc's locks record it) or 0
 *    when free; the kernel sets KEEL_FUTEX_WAITERS, blocks the caller and
 *    lends its priority to the owner (transitively, bounded depth).
 *  UNLOCK_PI: the owner hands the word to the highest-priority waiter;
 *    -EPERM if the caller does not own it.
 *  TRYLOCK_PI: take it if free, else -EBUSY (never blocks). */
#define KEEL_FUTEX_WAIT 0
#define KEEL_FUTEX_WAKE 1
#define KEEL_FUTEX_LOCK_PI 6
#define KEEL_FUTEX_UNLOCK_PI 7
#define KEEL_FUTEX_TRYLOCK_PI 8
#define KEEL_FUTEX_CMD_MASK 0xff
#define KEEL_FUTEX_ABSTIME 0x100
#define KEEL_FUTEX_CLOCK_REALTIME 0x200
#define KEEL_FUTEX_WAITERS 0x80000000u
#define KEEL_FUTEX_OWNER_DIED 0x40000000u
#define KEEL_FUTEX_TID_MASK 0x3fffffffu

/* Threads: thread_create's stack size (0: the 64 KiB default) is rounded
 * up to whole pages and may be at most KEEL_THREAD_STACK_MAX; its flags. */
#define KEEL_THREAD_STACK_DEFAULT (64 * 1024)
#define KEEL_THREAD_STACK_MAX (1024 * 1024)
#define KEEL_THREAD_DETACHED 0x1 /* the slot is freed at exit, no join */

/* Spawn: the whole request is one structure, copied in once. */
#define KEEL_SPAWN_ARGV_MAX 32     /* argument strings */
#define KEEL_SPAWN_ARGS_BYTES 4096 /* all argument strings together */
#define KEEL_SPAWN_ACTIONS_MAX 16  /* file actions */

enum keel_spawn_action_kind {
    KEEL_FA_OPEN = 1,
    KEEL_FA_CLOSE = 2,
    KEEL_FA_DUP2 = 3,
    KEEL_FA_CAP = 4, /* copy the parent's cap in src_fd to slot fd, with
                        the rights in oflags (keel/cap.h) */
};

struct keel_spawn_action {
    int32_t kind;   /* KEEL_FA_* */
    int32_t fd;     /* open/close: target slot; dup2: new fd */
    int32_t src_fd; /* dup2: old fd; cap: the parent's slot */
    int32_t oflags; /* open: KEEL_O_*; cap: the rights */
    uint64_t path;  /* open: user pointer to a NUL-terminated path */
};

#define KEEL_SPAWN_SETSCHED 0x1   /* apply policy/priority below */
#define KEEL_SPAWN_SETCEILING 0x2 /* lower the child's ceiling to ceiling */
#define KEEL_SPAWN_SETPGROUP 0x4  /* put the child in process group pgroup */
/* The environment: at most KEEL_SPAWN_ENV_MAX strings; argument and
 * environment strings share the KEEL_SPAWN_ARGS_BYTES budget (E2BIG). */
#define KEEL_SPAWN_ENV_MAX 64

struct keel_spawn_req {
    uint64_t path;    /* user pointer: program path */
    uint64_t argv;    /* user pointer: NULL-terminated char *[] */
    uint64_t actions; /* user pointer: struct keel_spawn_action[] */
    uint32_t nactions;
    uint32_t flags; /* KEEL_SPAWN_* */
    int32_t policy;
    int32_t priority;
    int32_t ceiling; /* with KEEL_SPAWN_SETCEILING: at most the caller's */
    int32_t pgroup;  /* with KEEL_SPAWN_SETPGROUP: 0 a new group led by the
                        child, else an existing group (see setpgid) */
    uint64_t envp;   /* user pointer: NULL-terminated char *[], or 0 for an
                        empty environment */
};

/* waitpid status: the usual encoding (newlib's <sys/wait.h> reads it). */
#define KEEL_WSTATUS_EXITED(code) (((code)&0xff) << 8)
#define KEEL_WSTATUS_SIGNALED(sig) ((sig)&0x7f)
#define KEEL_WNOHANG 1

#define KEEL_SIGHUP 1
#define KEEL_SIGINT 2 /* the console's ^C, to its foreground group */
#define KEEL_SIGQUIT 3
#define KEEL_SIGKILL 9
#define KEEL_SIGPIPE 13
#define KEEL_SIGSEGV 11
#define KEEL_SIGILL 4
#define KEEL_SIGBUS 7
#define KEEL_SIGTERM 15
/* Ignored by default (POSIX): kill() with one of these is a no-op until
 * signal handlers exist. */
#define KEEL_SIGURG 16
#define KEEL_SIGCONT 19
#define KEEL_SIGCHLD 20
#define KEEL_SIGWINCH 28

struct keel_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/* Terminal control (SYS_ioctl on a console fd; other fds: ENOTTY). */
#define KEEL_IOC_TCGETS 1    /* arg: struct keel_termios * (out) */
#define KEEL_IOC_TCSETS 2    /* arg: const struct keel_termios * */
#define KEEL_IOC_TIOCGPGRP 3 /* arg: int32_t * (out): foreground group */
#define KEEL_IOC_TIOCSPGRP 4 /* arg: const int32_t *: set it */
#define KEEL_TTY_ECHO 0x1    /* echo input */
#define KEEL_TTY_ICANON 0x2  /* line at a time, with erase and ^D */
#define KEEL_TTY_ISIG 0x4    /* ^C sends SIGINT to the foreground group */
struct keel_termios {
    uint32_t lflag; /* KEEL_TTY_* */
    uint32_t pad;
};

/* threadinfo: one row of `ps` per thread (system cap with READ). */
enum keel_thread_state {
    KEEL_TSTATE_RUNNING = 0,  /* on a hart now (hart says which) */
    KEEL_TSTATE_READY = 1,    /* runnable, queued */
    KEEL_TSTATE_SLEEPING = 2, /* nanosleep */
    KEEL_TSTATE_BLOCKED = 3,  /* on a wait queue: wchan names it */
    KEEL_TSTATE_EXITED = 4,   /* exited, not yet joined or reaped */
};
struct keel_threadinfo {
    int32_t pid;
    int32_t tid; /* the thread's cap slot in its process */
    int32_t pgid;
    int32_t policy; /* KEEL_SCHED_* */
    int32_t priority;
    int32_t ceiling;
    int32_t state;   /* KEEL_TSTATE_* */
    int32_t hart;    /* the hart it runs on or last ran on; -1 never ran */
    uint64_t cpu_ns; /* time spent running */
    char name[KEEL_NAME_MAX + 1];  /* the process's name */
    char wchan[KEEL_NAME_MAX + 1]; /* BLOCKED: the wait queue's name */
    /* priority is the effective one (with what PI lends); this is the
     * thread's own, as setschedparam set it. */
    int32_t base_priority;
    uint64_t dl_throttled; /* SCHED_DEADLINE: times its budget ran out */
};

/* procinfo: one row of `ps`. */
struct keel_procinfo {
    int32_t pid;
    int32_t ppid;
    int32_t state; /* 0 running, 1 zombie */
    int32_t nthreads;
    char name[KEEL_NAME_MAX + 1];
};

/* The shared pools a user program can fill, each guarded by the
 * hierarchical quota (docs/capabilities.md "Quotas"). Index of the
 * used/max and used/limit arrays below. */
enum keel_pool {
    KEEL_POOL_PROCS = 0,   /* struct proc, live, zombie or cap-pinned */
    KEEL_POOL_THREADS = 1, /* struct thread (with its kernel stack) */
    KEEL_POOL_FILES = 2,   /* struct file (open file descriptions) */
    KEEL_POOL_PIPES = 3,   /* pipes */
    KEEL_POOL_INODES = 4,  /* ramfs inodes */
    KEEL_POOL_DELEGS = 5,  /* cap_transfer delegation records */
    KEEL_POOL_PAGES = 6,   /* physical pages */
    KEEL_POOL_OBJECTS = 7, /* kernel objects (timers, sync objects, queues) */
    KEEL_POOL_N = 8,
};

/* kstat: kernel counters, for leak checks in tests. */
struct keel_kstat {
    uint64_t free_pages;
    uint32_t procs_in_use;
    uint32_t threads_in_use;
    uint32_t files_in_use;
    uint32_t pipes_in_use;
    uint32_t harts_online;
    uint32_t nharts_ran_user;    /* harts that have run a user thread */
    uint32_t delegations_in_use; /* cap_transfer records outstanding */
    uint32_t pad;
    /* Every pool: objects in use and the pool's size (pages: pages in
     * use by anyone, and all pages the allocator manages). */
    uint64_t pool_used[KEEL_POOL_N];
    uint64_t pool_max[KEEL_POOL_N];
    /* Real-time bounds, recorded by debug kernels only (0 in release):
     * the longest stretch each hart ran with interrupts off, and the
     * longest any spinlock was held (its class in lockstat), in ns. */
    uint64_t irqoff_max_ns[8];
    uint64_t spin_hold_max_ns;
    /* CLOCK_MONOTONIC ns (timebase steps) at the last UART receive
     * interrupt that brought in bytes, 0 before any: make bench's
     * irq_latency row (docs/performance.md). */
    uint64_t console_rx_irq_ns;
    /* Placement sampling (debug kernels only, 0 in release): each kstat
     * call takes one sample of every hart and run queue; totals since
     * boot. A sample is quiet when no hart is inside a placement step
     * and no reschedule request is in flight; a violation is a quiet
     * sample in which a queued thread outranks a running one
     * (docs/realtime.md "Placement on several harts"). */
    uint64_t place_samples;
    uint64_t place_quiet;
    uint64_t place_violations;
};
#define KEEL_KSTAT_RESET_MAX 1 /* kstat flag: zero the maxima after reading */

/* lockstat: one row per spinlock class (locks sharing a name), debug
 * kernels only (release: -ENOSYS). System cap with READ. */
struct keel_lockstat {
    char name[KEEL_NAME_MAX + 1];
    uint64_t acquisitions;
    uint64_t max_hold_ns;
};

/* quota_info: a process's quota account. used counts what the process
 * and its creator-descendants hold (or keep alive), limit bounds it. */
struct keel_quota {
    uint64_t used[KEEL_POOL_N];
    uint64_t limit[KEEL_POOL_N];
};

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
 *           when interrupted before the cycle completed (the caller is
 *           no longer counted: libc calls WAIT again).
 *  QUERY    (op, slot, uint32_t out[2]): READ; {count, waiting}.
 *  DESTROY  (op, slot): closes the slot; EBUSY while any thread waits. */
#define KEEL_BARRIER_CREATE 0
#define KEEL_BARRIER_WAIT 1
#define KEEL_BARRIER_QUERY 2
#define KEEL_BARRIER_DESTROY 3
#define KEEL_BARRIER_PSHARED 0x1

/* ---- threads, memory, files (SYS_mlock, SYS_fsync, SYS_sysinfo) ---- */

/* SYS_mlock (op, addr, len) or (KEEL_MLOCK_ALL, flags): Keel never pages,
 * so every mapped page is always resident; the calls only validate.
 * LOCK/UNLOCK: addr page-aligned (-EINVAL), every page of [addr,
 * addr+len) mapped in the caller (-ENOMEM); len 0 is a no-op. ALL: flags
 * a non-empty subset of KEEL_MCL_* (-EINVAL). */
#define KEEL_MLOCK_LOCK 0
#define KEEL_MLOCK_UNLOCK 1
#define KEEL_MLOCK_ALL 2
#define KEEL_MLOCK_UNLOCK_ALL 3
#define KEEL_MCL_CURRENT 0x1 /* <sys/mman.h> MCL_CURRENT */
#define KEEL_MCL_FUTURE 0x2  /* <sys/mman.h> MCL_FUTURE */

/* SYS_fsync (fd, datasync 0 or 1): -EBADF for a slot holding no fd,
 * -EINVAL for a pipe or a device (nothing to synchronise), 0 for a ramfs
 * file or directory (already as durable as the ramfs gets). */

/* SYS_sysinfo (name): a value >= 0 the kernel alone knows, for sysconf;
 * -EINVAL for an unknown name. */
#define KEEL_SYSINFO_NPROCESSORS_CONF 1 /* harts the kernel brought up */
#define KEEL_SYSINFO_NPROCESSORS_ONLN 2 /* of those, online now */
#define KEEL_SYSINFO_PAGESIZE 3         /* bytes per page */
#define KEEL_SYSINFO_OPEN_MAX 4         /* fd slots per process */
#define KEEL_SYSINFO_THREADS_MAX 5      /* thread slots per process */
#define KEEL_SYSINFO_CHILD_MAX 6        /* the caller's process quota */
#define KEEL_SYSINFO_OBJECTS_MAX                                               \
    7                               /* kernel objects the caller may           \
                                       hold: its KEEL_POOL_OBJECTS             \
                                       quota, at most the pool */
#define KEEL_SYSINFO_PHYS_PAGES 8   /* pages the allocator manages */
#define KEEL_SYSINFO_AVPHYS_PAGES 9 /* of those, free now */
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
#define KEEL_SIGQUEUE_MAX 32 /* queued real-time signals per process */
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
 *  SIGNAL: wakes the highest-priority waiter. BROADCAST: every waiter.
 *  SEQ: the sequence value (advanced by every SIGNAL and BROADCAST).
 *  INFO: the clock (0 or 1). DESTROY: closes the slot, -EBUSY while
 *         waited on.
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
