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
/* Or'd into thread_setschedparam's policy (pthread_setschedprio): keep
 * the thread's policy, set only its priority, with POSIX's queue rule for
 * it (raised: tail of the new level, same: unmoved, lowered: head). */
#define KEEL_SCHED_SETPRIO 0x100
/* thread_setschedparam(0, KEEL_SCHED_PROTECT, floor): the calling
 * thread's PTHREAD_PRIO_PROTECT floor, the highest ceiling of the
 * protected mutexes it holds (0: none; libc's mutex.c keeps it): it runs
 * at no less, while its own priority (what getschedparam reports and
 * setschedparam sets) stays as it is. A floor raised above the caller's
 * ceiling: -EPERM. With KEEL_SCHED_PROTECT_ENTER or'd in (a lock): first
 * -EINVAL if its own priority is above floor. */
#define KEEL_SCHED_PROTECT 0x200
#define KEEL_SCHED_PROTECT_ENTER 0x400
/* A thread's pointer (tp) names its control block; the aligned 32-bit
 * word KEEL_TCB_PI_HELD bytes into it counts the in-process
 * PTHREAD_PRIO_INHERIT mutexes the thread holds (libc's mutex.c keeps
 * it; the kernel never sees one taken without contention).
 * thread_setschedparam reads it: a thread whose count is not 0 is not
 * moved to the tail of its list (POSIX pthread_mutexattr_setprotocol),
 * as one holding a PRIO_PROTECT mutex or a PI one the kernel knows of. */
#define KEEL_TCB_PI_HELD 16

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
/* CPU-time clocks (clock_gettime, clock_getres): the calling process's
 * (the sum over its threads, exited ones included), the calling thread's,
 * and the one of the caller's own thread in thread slot s
 * (CAP_THREAD_SLOT_BASE <= s < CAP_SLOTS): KEEL_CLOCK_THREAD_CPU_BASE + s. */
#define KEEL_CLOCK_PROCESS_CPUTIME 2
#define KEEL_CLOCK_THREAD_CPUTIME 3
#define KEEL_CLOCK_THREAD_CPU_BASE 0x1000
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
/* Where the kernel puts the stack of thread slot ts (0..64; the main
 * thread is 0): its highest address; it maps the stack size below it
 * (the main thread's: KEEL_THREAD_STACK_DEFAULT). */
#define KEEL_USER_TOP 0x4000000000ul
#define KEEL_THREAD_STACK_TOP(ts)                                              \
    (KEEL_USER_TOP - (unsigned long)(ts) * (KEEL_THREAD_STACK_MAX + 4096ul))
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
#define KEEL_SPAWN_SETSIGMASK 0x8 /* the child's signal mask is sigmask */
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
    int32_t ceiling;     /* with KEEL_SPAWN_SETCEILING: at most the caller's */
    int32_t pgroup;      /* with KEEL_SPAWN_SETPGROUP: 0 a new group led by the
                            child, else an existing group (see setpgid) */
    uint64_t envp;       /* user pointer: NULL-terminated char *[], or 0 for an
                            empty environment */
    uint64_t sigmask;    /* with KEEL_SPAWN_SETSIGMASK: KEEL_SIGBIT set blocked
                            in the child's main thread (else nothing is) */
    uint64_t sigdefault; /* signals the caller ignores that the child does
                            not: each other ignored one stays ignored (every
                            other action starts default) */
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
    /* Threads that began to exit and are not yet off their hart: what a
     * reaped process or a joined thread holds is freed only then, so a
     * leak check compares the pools once this reads 0 (it is read before
     * them: a 0 means every such free is in the counts). */
    uint32_t threads_exiting;
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
    /* Summed over the harts since boot: timer interrupts taken, and
     * timer expiry budget holds (docs/realtime.md "The timer expiry
     * budget": a run of back-to-back expiring ticks made a hart hold
     * expiry back). make bench notes both per real-time row. */
    uint64_t timer_ticks;
    uint64_t timer_exp_holds;
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
#define KEEL_SYSINFO_THREADS_MAX 5      /* threads a process can create */
#define KEEL_SYSINFO_CHILD_MAX 6        /* the caller's process quota */
#define KEEL_SYSINFO_OBJECTS_MAX                                               \
    7                               /* kernel objects the caller may           \
                                       hold: its KEEL_POOL_OBJECTS             \
                                       quota, at most the pool */
#define KEEL_SYSINFO_PHYS_PAGES 8   /* pages the allocator manages */
#define KEEL_SYSINFO_AVPHYS_PAGES 9 /* of those, free now */

/* The per-area parts, in one place beside this file. */
#include "abi_signal.h"
#include "abi_objects.h"

#endif
