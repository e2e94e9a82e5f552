/*
 * utest: the user-level test suite's tiny framework. Every .c file in
 * user/tests is linked into one program, /bin/utest.
 *
 * A test is a void function declared with TEST(name); each file lists its
 * tests in a table (UT_CASE / UT_ISOLATED) that main.c runs in order. The
 * CHECK macros record the first failure of the running test, with its
 * line, and return from the test function, so they may only be used in
 * the test function itself; helpers use EXPECT (records, continues) or
 * return a value the test checks. No check ever compares against a time
 * limit: only lower bounds of sleeps are checked.
 *
 * A test marked UT_ISOLATED runs in a child process (utest spawns itself
 * with "--run NAME"), so a test that may kill its process (a libc wrapper
 * touching a bad pointer, say) fails alone instead of taking the suite
 * down. Child "modes" (struct ut_mode) let tests spawn utest itself as a
 * helper process: argv[1] names the mode.
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <keel/abi.h>
#include <keel/cap.h>
#include <keel/sys.h>

struct utest {
    const char *name;
    void (*fn)(void);
    unsigned flags; /* UT_F_* */
};
#define UT_F_ISOLATED 0x1

struct ut_mode {
    const char *name;
    int (*fn)(int argc, char **argv); /* returns the exit status */
};

#define TEST(name) static void test_##name(void)
#define UT_CASE(name)                                                          \
    {                                                                          \
#name, test_##name, 0                                                  \
    }
#define UT_ISOLATED(name)                                                      \
    {                                                                          \
#name, test_##name, UT_F_ISOLATED                                      \
    }
#define UT_END                                                                 \
    {                                                                          \
        NULL, NULL, 0                                                          \
    }
#define UT_MODE_END                                                            \
    {                                                                          \
        NULL, NULL                                                             \
    }

/* ---- failure recording (main.c) ---- */

/* Records a failure of the running test (only the first one is kept). */
void ut_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Nonzero once the running test has failed. */
int ut_failed(void);

#define UT_FAIL(...) ut_fail(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            UT_FAIL("%s", #cond);                                              \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Like CHECK with a printf-style explanation. */
#define CHECKF(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            UT_FAIL(__VA_ARGS__);                                              \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);              \
        if (ut_a_ != ut_b_) {                                                  \
            UT_FAIL("%s == %s: got %lld, expected %lld", #a, #b, ut_a_,        \
                    ut_b_);                                                    \
            return;                                                            \
        }                                                                      \
    } while (0)

/* A call returning -1 and setting errno: must fail with exactly e. */
#define CHECK_ERRNO(call, e)                                                   \
    do {                                                                       \
        errno = 0;                                                             \
        long ut_r_ = (long)(call);                                             \
        int ut_e_ = errno;                                                     \
        if (ut_r_ != -1 || ut_e_ != (e)) {                                     \
            UT_FAIL("%s: returned %ld errno %d (%s), expected -1 errno %d "    \
                    "(%s)",                                                    \
                    #call, ut_r_, ut_e_, ut_errname(ut_e_), (int)(e),          \
                    ut_errname(e));                                            \
            return;                                                            \
        }                                                                      \
    } while (0)

/* A call returning -1 and setting errno on failure: must succeed. */
#define CHECK_OK(call)                                                         \
    do {                                                                       \
        errno = 0;                                                             \
        long ut_r_ = (long)(call);                                             \
        if (ut_r_ < 0) {                                                       \
            int ut_e_ = errno;                                                 \
            UT_FAIL("%s: returned %ld errno %d (%s)", #call, ut_r_, ut_e_,     \
                    ut_errname(ut_e_));                                        \
            return;                                                            \
        }                                                                      \
    } while (0)

/* A call returning an errno value (pthread_*, posix_spawn*): must be e. */
#define CHECK_RC(call, e)                                                      \
    do {                                                                       \
        int ut_rc_ = (int)(call);                                              \
        if (ut_rc_ != (e)) {                                                   \
            UT_FAIL("%s: returned %d (%s), expected %d (%s)", #call, ut_rc_,   \
                    ut_errname(ut_rc_), (int)(e), ut_errname(e));              \
            return;                                                            \
        }                                                                      \
    } while (0)

/* A waitpid status: exited with code c / killed by signal s. */
#define CHECK_EXITED(st, c)                                                    \
    do {                                                                       \
        int ut_st_ = (st);                                                     \
        if (!WIFEXITED(ut_st_) || WEXITSTATUS(ut_st_) != (c)) {                \
            UT_FAIL("%s: child %s, expected exit %d", #st,                     \
                    ut_status_str(ut_st_), (int)(c));                          \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_SIGNALED(st, s)                                                  \
    do {                                                                       \
        int ut_st_ = (st);                                                     \
        if (!WIFSIGNALED(ut_st_) || WTERMSIG(ut_st_) != (s)) {                 \
            UT_FAIL("%s: child %s, expected signal %d", #st,                   \
                    ut_status_str(ut_st_), (int)(s));                          \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Records a failure but lets the caller go on (for helpers). */
#define EXPECT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            UT_FAIL("%s", #cond);                                              \
    } while (0)

/* ---- helpers (main.c) ---- */

/* The path utest was started as (argv[0]), for spawning itself. */
extern const char *ut_self;
/* The suite's priority ceiling when it started: 63 when init runs it
 * (autorun), one below the shell's when typed at the prompt
 * (docs/realtime.md "Containment of runaway threads"). */
extern int ut_ceiling;

const char *ut_errname(int e);
/* "exited 3", "killed by signal 11", ... (a static buffer per call site
 * is not needed: the text is copied into the failure message at once). */
const char *ut_status_str(int st);

/*
 * posix_spawn of utest itself in `mode`, with up to three extra arguments
 * (NULL ends the list early). Flushes stdio first. Returns posix_spawn's
 * result (0 or an errno value).
 */
int ut_spawn_self(pid_t *pid, const posix_spawn_file_actions_t *fa,
                  const posix_spawnattr_t *attr, const char *mode,
                  const char *a1, const char *a2, const char *a3);
/* posix_spawn of path with argv; flushes stdio first. */
int ut_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
             const posix_spawnattr_t *attr, char *const argv[]);
/* waitpid(pid, &st, 0), retried on EINTR; returns st or -1 (errno set). */
int ut_wait(pid_t pid);
/* Reads until EOF, an error or `cap` bytes; returns the count or -1. */
long ut_read_full(int fd, void *buf, size_t cap);
/* Writes all n bytes; returns n or -1. */
long ut_write_full(int fd, const void *buf, size_t n);
/* Byte i of the shared test pattern. */
static inline uint8_t ut_pattern(uint64_t i, unsigned seed)
{
    return (uint8_t)((i * 131u) ^ (i >> 8) ^ seed);
}
/* Monotonic time in nanoseconds (0 if the clock failed). */
uint64_t ut_now_ns(void);
/* Number of live (not yet reaped) children of this process. */
int ut_count_children(void);
/* Nonzero when fd is open (fcntl F_GETFD succeeds). */
int ut_fd_open(int fd);
/* Number of open fds in [0, CAP_FD_SLOTS). */
/* A helper child: utest MODE A1 A2 A3 with fd 0 <- *cmd and fd 1 -> *rep
 * (our ends close-on-exec); 0 or an errno. */
int ut_spawn_cmd(pid_t *pid, int *cmd, int *rep, const char *mode,
                 const char *a1, const char *a2, const char *a3);
/* The same, spawned with attr (NULL: none). */
int ut_spawn_cmd_attr(pid_t *pid, int *cmd, int *rep,
                      const posix_spawnattr_t *attr, const char *mode,
                      const char *a1, const char *a2, const char *a3);
int ut_count_fds(void);
/* Empties a test file (O_TRUNC) so the suite gives its pages back. */
void ut_scrub(const char *path);
/* Sleeps ms milliseconds (nanosleep; a lower bound only). */
void ut_sleep_ms(unsigned ms);
/* Starts fn(arg) in a new thread of policy (SCHED_FIFO, SCHED_RR) at
 * priority prio (explicit scheduling, not inherited): 0 or the first
 * pthread_attr_* / pthread_create error. */
int ut_thread_at(pthread_t *th, int policy, int prio, void *(*fn)(void *),
                 void *arg);
/*
 * Names the step a test is at (a string literal). When the test dies or
 * hangs, the report names the last step. In an isolated child the step is
 * also sent to the parent at once.
 */
void ut_step(const char *what);

/* Fields of a capability token. */
static inline unsigned ut_tok_slot(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_SLOT_SHIFT) & CAP_TOK_SLOT_MASK);
}
static inline unsigned ut_tok_type(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_TYPE_SHIFT) & CAP_TOK_TYPE_MASK);
}
static inline unsigned ut_tok_rights(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_RIGHTS_SHIFT) & CAP_TOK_RIGHTS_MASK);
}
/*
 * Exited threads and processes are freed once off their hart, a moment
 * after waitpid or pthread_join returns; kstat's threads_exiting counts
 * those not yet off it. ut_kstat_exits_done samples keel_kstat into *out
 * until that reads 0 (no time limit: the runner's watchdog catches a
 * thread that never leaves its hart); the pools in *out then hold every
 * free of every thread that ended before the call. 0, or -1 when kstat
 * fails (no system cap).
 */
int ut_kstat_exits_done(struct keel_kstat *out);
/*
 * Samples keel_kstat into *got until procs, threads, files and pipes in
 * use equal want's. It waits for threads_exiting to read 0 as long as
 * it takes, then gives other late frees (detached threads that have not
 * ended yet) ~2 s. Returns 0 when they matched, -1 otherwise (*got holds
 * the last sample).
 */
int ut_kstat_settle(const struct keel_kstat *want, struct keel_kstat *got);
/* A kstat baseline taken once earlier tests' frees are done (the same
 * as ut_kstat_exits_done; the runner waits for it before every test). */
int ut_kstat_quiet(struct keel_kstat *out);

/* ---- the test tables, one per file ---- */

extern const struct utest ut_fs_tests[];
extern const struct utest ut_fd_tests[];
extern const struct utest ut_pipe_tests[];
extern const struct utest ut_proc_tests[];
extern const struct utest ut_spawn_tests[];
extern const struct utest ut_thread_tests[];
extern const struct utest ut_time_tests[];
extern const struct utest ut_badptr_tests[];
extern const struct utest ut_fault_tests[];
extern const struct utest ut_signal_tests[];
extern const struct utest ut_signal2_tests[];
extern const struct utest ut_signal3_tests[];
extern const struct utest ut_sigframe_tests[];
extern const struct utest ut_cap_tests[];
extern const struct utest ut_deleg_tests[];
extern const struct utest ut_revoke_tests[];
extern const struct utest ut_stress_tests[];
extern const struct utest ut_small_tests[];
extern const struct utest ut_quota_tests[];
extern const struct utest ut_tty_tests[];
extern const struct utest ut_quota_tree_tests[];
extern const struct utest ut_shell_tests[];
extern const struct utest ut_revoke_ops_tests[];
extern const struct utest ut_revoke_storm_tests[];
extern const struct utest ut_authority_tests[];
extern const struct utest ut_mm_tests[];
extern const struct utest ut_sched_tests[];
extern const struct utest ut_futex_tests[]; /* issue 8 item 5 */
extern const struct utest ut_sem_tests[];   /* issue 9 */
extern const struct utest ut_barrier_tests[];
extern const struct utest ut_sem_proc_tests[];
extern const struct utest ut_sem_named_tests[];
extern const struct utest ut_mutex_tests[];
extern const struct utest ut_kmutex_tests[]; /* issue 9 */
extern const struct utest ut_kmutex_xproc_tests[];
extern const struct utest ut_kmutex_rprio_tests[];
extern const struct utest ut_cond_tests[];
extern const struct utest ut_intro_tests[];
extern const struct utest ut_cwd_tests[];          /* issue 7 items 4, 7 */
extern const struct utest ut_env_tests[];          /* issue 7 item 8 */
extern const struct utest ut_edf_tests[];          /* issue 8 item 7 */
extern const struct utest ut_clock_tests[];        /* issue 8 item 6 */
extern const struct utest ut_rtwait_tests[];       /* issue 9 (settime) */
extern const struct utest ut_timer_tests[];        /* issue 9 item 2 */
extern const struct utest ut_timer_rt_tests[];     /* issue 9 item 2 */
extern const struct utest ut_timer_notify_tests[]; /* issue 9 item 2 */
extern const struct utest ut_console_tx_tests[];   /* issue 8 item 3 */
extern const struct utest ut_place_tests[];        /* issue 8 item 4 */
extern const struct utest ut_bench_tests[];        /* issue 8: bench rows */
extern const struct utest ut_rtbound_tests[];      /* issue 8 items 1, 2 */
extern const struct utest ut_edf_run_tests[];      /* issue 8 item 7 */
extern const struct utest ut_edf_kill_tests[];     /* issue 8 item 7 */
extern const struct utest ut_settle_tests[];       /* leak-check settling */
extern const struct utest ut_attr_tests[];         /* issue 9 item 6 */
extern const struct utest ut_sysconf_tests[];      /* issue 9 item 6 */
extern const struct utest ut_mlock_tests[];        /* issue 9 item 6 */
extern const struct utest ut_cancel_tests[];       /* issue 9 item 6 */
extern const struct utest ut_rwlock_tests[];       /* issue 9 item 2 */
extern const struct utest ut_rwlock_k_tests[];     /* issue 9 item 2 */
extern const struct utest ut_spin_tests[];         /* issue 9 item 3 */
extern const struct utest ut_once_tests[];         /* issue 9 item 6 */
extern const struct utest ut_setprio_tests[];      /* issue 9 conformance */
extern const struct utest ut_cputime_tests[];      /* issue 9 conformance */
extern const struct utest ut_cputimer_tests[];     /* CPU-time timers */
extern const struct utest ut_key_tests[];          /* issue 9 item 6 */
extern const struct utest ut_mq_tests[];           /* issue 9: message queues */
extern const struct utest ut_objstress_tests[];    /* issue 9 stress */
extern const struct utest ut_sigentry_tests[];     /* found by objstress */
extern const struct ut_mode ut_objstress_modes[];
extern const struct ut_mode ut_sysconf_modes[];
extern const struct utest ut_mutex_pp_tests[];       /* PRIO_PROTECT, POSIX */
extern const struct utest ut_mutex_pi_place_tests[]; /* PI holders, POSIX */
extern const struct utest ut_mq_proc_tests[];
extern const struct utest ut_timer_storm_tests[]; /* the expiry budget */
extern const struct ut_mode ut_mq_modes[];
extern const struct utest ut_intro9_tests[]; /* issue 9 item 7 */

extern const struct ut_mode ut_attr_modes[];    /* issue 9 item 6 */
extern const struct ut_mode ut_setprio_modes[]; /* issue 9 conformance */
extern const struct ut_mode ut_tty_modes[];
extern const struct ut_mode ut_proc_modes[];
extern const struct ut_mode ut_pipe_modes[];
extern const struct ut_mode ut_signal2_modes[];
extern const struct ut_mode ut_signal3_modes[];
extern const struct ut_mode ut_spawn_modes[];
extern const struct ut_mode ut_thread_modes[];
extern const struct ut_mode ut_cap_modes[];
extern const struct ut_mode ut_authority_modes[];
extern const struct ut_mode ut_fault_modes[];
extern const struct ut_mode ut_peer_modes[];
extern const struct ut_mode ut_stress_modes[];
extern const struct ut_mode ut_small_modes[];
extern const struct ut_mode ut_quota_modes[];
extern const struct ut_mode ut_quota_tree_modes[];
extern const struct ut_mode ut_mm_modes[];
extern const struct ut_mode ut_sched_modes[];
extern const struct ut_mode ut_futex_modes[];
extern const struct ut_mode ut_sem_modes[]; /* issue 9 */
extern const struct utest ut_pi_tests[];    /* issue 8 item 5 (PI) */
extern const struct ut_mode ut_pi_modes[];
extern const struct ut_mode ut_mutex_modes[];
extern const struct ut_mode ut_intro_modes[];
extern const struct ut_mode ut_cwd_modes[];
extern const struct utest ut_fslock_tests[]; /* issue 8 items 1, 2 */
extern const struct ut_mode ut_fslock_modes[];
extern const struct ut_mode ut_env_modes[];
extern const struct ut_mode ut_edf_modes[];
extern const struct ut_mode ut_edfk_modes[];
extern const struct ut_mode ut_clock_modes[];
extern const struct ut_mode ut_timer_modes[];       /* issue 9 item 2 */
extern const struct ut_mode ut_timer_storm_modes[]; /* the expiry budget */
extern const struct ut_mode ut_rtbound_modes[];
extern const struct ut_mode ut_rwlock_modes[];
extern const struct ut_mode ut_kmutex_modes[]; /* issue 9 */
extern const struct ut_mode ut_kobj_util_modes[];
extern const struct utest ut_mmap_tests[]; /* session 10: mmap, in part */
extern const struct utest ut_cond_cancel_tests[];  /* session 10 */
extern const struct utest ut_cond_destroy_tests[]; /* session 12 */

#endif
