/* In-kernel tests: spawn's GRANT-gated inheritance and file actions, and
 * revoke racing with drops on other harts. */
#include "../include/cap.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "kt_world.h"
#include "ktest.h"

long sys_waitpid(int pid, uint64_t ustatus, int options);
long sys_cap_get_token(int slot, int type);
long sys_cap_transfer(int dst, uint64_t tok, unsigned rights, uint64_t ud,
                      uint64_t us);
long sys_cap_revoke_delegate(uint64_t tok);

/* The request at the start of the scratch page (kt_world.h). */
static long spawn_true(struct kt_world *w, struct keel_spawn_action *acts,
                       uint32_t n, const char *path)
{
    return kt_spawn(w, acts, n, path, NULL, 0, 0);
}

static void reap(long pid)
{
    KT_CHECK_EQ(sys_waitpid((int)pid, 0, 0), pid);
}

KTEST(spawn_inherits_grant_fds_stripped)
{
    struct kt_world w;
    kt_world_begin(&w);
    /* fd 0: a pipe's read end (GRANT), so the child (/bin/cat) blocks
     * reading it until we close the write end; fd 1: close-on-exec. The
     * child must leave its fds alone: the shell puts a relay pipe of its
     * own (with GRANT) over an inherited fd without GRANT. */
    struct file *rd, *wr;
    KT_CHECK_EQ(pipe_create(&rd, &wr), 0);
    KT_CHECK_EQ(
        cap_fd_install(w.p, rd, CAP_RIGHT_READ | CAP_RIGHT_GRANT, false, 0), 0);
    KT_CHECK_EQ(kt_install_null(w.p, CAP_RIGHT_READ | CAP_RIGHT_GRANT, true, 1),
                1);
    long pid = spawn_true(&w, NULL, 0, "/bin/cat");
    KT_CHECK(pid > 0);
    /* The parent holds a process cap (all rights) for the child. */
    int err = 0;
    struct proc *c = cap_proc_lookup(w.p, (int)pid, CAP_RIGHTS_ALL, &err);
    KT_CHECK(c != NULL);
    if (c) {
        cap_word_t w0 = c->caps.t.words[0];
        KT_CHECK(capw_valid(w0));
        KT_CHECK_EQ(capw_rights(w0), CAP_RIGHT_READ); /* GRANT stripped */
        KT_CHECK(!capw_valid(c->caps.t.words[1]));    /* cloexec skipped */
        proc_put(c);
    }
    file_put(wr); /* EOF: cat exits */
    reap(pid);
    kt_world_end(&w);
}

KTEST(spawn_refuses_non_grant_fd_and_leaves_nothing)
{
    struct kt_world w;
    kt_world_begin(&w);
    KT_CHECK_EQ(kt_install_null(w.p, CAP_RIGHT_READ, false, 0), 0);
    uint32_t procs = proc_count(), files = file_count();
    uint64_t pages = page_free_count();
    KT_CHECK_EQ(spawn_true(&w, NULL, 0, "/bin/true"), -EACCES);
    KT_CHECK_EQ(proc_count(), procs);
    KT_CHECK_EQ(file_count(), files);
    KT_CHECK_EQ(page_free_count(), pages);
    KT_CHECK_EQ(sys_waitpid(-1, 0, KEEL_WNOHANG), -ECHILD);
    kt_world_end(&w);
}

KTEST(spawn_actions_in_order_and_failure_cleanup)
{
    struct kt_world w;
    kt_world_begin(&w);
    uint32_t procs = proc_count(), files = file_count();
    struct keel_spawn_action acts[3] = {
        {.kind = KEEL_FA_OPEN,
         .fd = 0,
         .oflags = KEEL_O_RDONLY,
         .path = (uint64_t) "/dev/null"},
        {.kind = KEEL_FA_DUP2, .fd = 5, .src_fd = 0},
        {.kind = KEEL_FA_OPEN,
         .fd = 1,
         .oflags = KEEL_O_RDONLY,
         .path = (uint64_t) "/no/such"},
    };
    /* The third action fails: its errno, no child, nothing leaked. */
    KT_CHECK_EQ(spawn_true(&w, acts, 3, "/bin/true"), -ENOENT);
    KT_CHECK_EQ(proc_count(), procs);
    KT_CHECK_EQ(file_count(), files);
    struct keel_spawn_action ok[3] = {
        {.kind = KEEL_FA_OPEN,
         .fd = 0,
         .oflags = KEEL_O_RDONLY,
         .path = (uint64_t) "/dev/null"},
        {.kind = KEEL_FA_DUP2, .fd = 5, .src_fd = 0},
        {.kind = KEEL_FA_CLOSE, .fd = 0},
    };
    long pid = spawn_true(&w, ok, 3, "/bin/true");
    KT_CHECK(pid > 0);
    reap(pid);
    struct keel_spawn_action bad = {.kind = 9};
    KT_CHECK_EQ(spawn_true(&w, &bad, 1, "/bin/true"), -EINVAL);
    struct keel_spawn_action range = {.kind = KEEL_FA_CLOSE, .fd = 500};
    KT_CHECK_EQ(spawn_true(&w, &range, 1, "/bin/true"), -EBADF);
    KT_CHECK_EQ(spawn_true(&w, NULL, 0, "/bin/none"), -ENOENT);
    static struct keel_spawn_action many[KEEL_SPAWN_ACTIONS_MAX + 1];
    for (int i = 0; i <= KEEL_SPAWN_ACTIONS_MAX; i++)
        many[i] = (struct keel_spawn_action){.kind = KEEL_FA_CLOSE, .fd = 3};
    KT_CHECK_EQ(spawn_true(&w, many, KEEL_SPAWN_ACTIONS_MAX + 1, "/bin/true"),
                -E2BIG);
    /* The maximum is fine (closing an empty slot fails: use dup2). */
    for (int i = 0; i < KEEL_SPAWN_ACTIONS_MAX; i++)
        many[i] = (struct keel_spawn_action){.kind = KEEL_FA_OPEN,
                                             .fd = i,
                                             .oflags = KEEL_O_RDONLY,
                                             .path = (uint64_t) "/dev/null"};
    pid = spawn_true(&w, many, KEEL_SPAWN_ACTIONS_MAX, "/bin/true");
    KT_CHECK(pid > 0);
    if (pid > 0)
        reap(pid);
    kt_world_end(&w);
}

int proc_test_set_next_pid(int next, bool wrapped);

/* Issue 6 item 11e: a spawn right at the pid wrap. The parent gets
 * INT_MAX, its child the wrapped pid 2, below the parent's: inheritance
 * takes both cap locks in pid order (the debug check panics otherwise),
 * and the child is waited for and killed by its pid as usual. */
KTEST(spawn_across_pid_wrap)
{
    int saved = proc_test_set_next_pid(__INT_MAX__, false);
    struct kt_world w;
    kt_world_begin(&w);
    KT_CHECK_EQ(w.p->pid, __INT_MAX__);
    /* A GRANT fd, so inheritance has something to copy under both locks. */
    KT_CHECK_EQ(
        kt_install_null(w.p, CAP_RIGHT_READ | CAP_RIGHT_GRANT, false, 0), 0);
    long pid = spawn_true(&w, NULL, 0, "/bin/true");
    KT_CHECK(pid >= 2 && pid < w.p->pid); /* wrapped, below the parent */
    if (pid > 0)
        reap(pid);
    kt_world_end(&w);
    proc_test_set_next_pid(saved, false);
}

/* Revoke on one hart while the receiver drops and dups on another: every
 * call ends in success or the errno the race allows, and nothing leaks. */
static struct proc *race_a, *race_b;
static volatile int race_stop, race_done, race_bad;

static void race_receiver(void *arg)
{
    (void)arg;
    while (!READ_ONCE(race_stop)) {
        for (int s = 0; s < CAP_FD_SLOTS; s++) {
            cap_word_t w = READ_ONCE(race_b->caps.t.words[s]);
            if (!capw_valid(w) || capw_type(w) != CAP_TYPE_FD)
                continue;
            int r =
                (s & 1) ? cap_fd_close(race_b, s) : cap_fd_dup(race_b, s, 0);
            if (r < 0 && r != -EBADF && r != -EMFILE)
                race_bad++;
        }
        schedule();
    }
    __atomic_fetch_add(&race_done, 1, __ATOMIC_RELEASE);
}

KTEST(revoke_races_receiver_drop_and_dup)
{
    struct kt_world w;
    kt_world_begin(&w);
    race_a = w.p;
    race_b = proc_alloc("ktrace");
    KT_CHECK(cap_proc_install(race_a, race_b) >= 0);
    int fd = kt_install_null(race_a, CAP_RIGHTS_ALL, false, 0);
    long tok = sys_cap_get_token(fd, CAP_TYPE_FD);
    race_stop = 0;
    race_done = 0;
    race_bad = 0;
    KT_CHECK(kthread_create(race_receiver, NULL, KEEL_PRIO_DEFAULT));
    int ok = 0;
    for (int i = 0; i < 2000; i++) {
        long r = sys_cap_transfer(race_b->pid, tok, CAP_RIGHT_READ, USER_BASE,
                                  USER_BASE + 8);
        if (r == -ENOSPC) {
            schedule();
            continue;
        }
        KT_CHECK_EQ(r, 0);
        uint64_t del = *(uint64_t *)kt_scratch(&w);
        if ((i & 3) == 0)
            schedule(); /* let the receiver get at the copies */
        KT_CHECK_EQ(sys_cap_revoke_delegate(del), 0);
        ok++;
    }
    race_stop = 1;
    while (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE))
        schedule();
    KT_CHECK(ok > 1000);
    KT_CHECK_EQ(race_bad, 0);
    KT_CHECK_EQ(race_a->caps.ndeleg, 0);
    KT_CHECK_EQ(cap_table_check(&race_b->caps.t), 0);
    KT_CHECK_EQ(cap_table_check(&race_a->caps.t), 0);
    /* Copies the receiver dup'ed of a revoked slot carry its id and were
     * revoked with it: only undelegated slots may remain (none here). */
    for (int s = 0; s < CAP_FD_SLOTS; s++)
        KT_CHECK(!capw_valid(race_b->caps.t.words[s]));
    cap_proc_forget(race_a, race_b);
    cap_space_teardown(race_b);
    proc_free(race_b);
    kt_world_end(&w);
}
