/*
 * Capabilities: tokens (layout, validation against the live slot,
 * staleness after drop and reuse, forgery of every field), cap_info,
 * which rights open, pipe and dup mint, and confinement: a token means
 * nothing in another process.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

static unsigned tok_slot(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_SLOT_SHIFT) & CAP_TOK_SLOT_MASK);
}
static unsigned tok_type(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_TYPE_SHIFT) & CAP_TOK_TYPE_MASK);
}
static unsigned tok_rights(cap_token_t t)
{
    return (unsigned)((t >> CAP_TOK_RIGHTS_SHIFT) & CAP_TOK_RIGHTS_MASK);
}
static uint32_t tok_gen(cap_token_t t)
{
    return (uint32_t)((t >> CAP_TOK_GEN_SHIFT) & CAP_TOK_GEN_MASK);
}

/* drop-token TOKEN: a token from another process must be EBADF here. */
static int mode_drop_token(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    cap_token_t t = (cap_token_t)strtoull(argv[2], NULL, 0);
    errno = 0;
    int r = cap_drop(t);
    if (r == 0)
        return 2;
    return errno == EBADF ? 0 : 3;
}

const struct ut_mode ut_cap_modes[] = {
    {"drop-token", mode_drop_token},
    UT_MODE_END,
};

TEST(cap_token_layout)
{
    for (int fd = 0; fd < 3; fd++) {
        cap_token_t t = 0;
        CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &t));
        struct cap_info ci;
        CHECK_OK(cap_info(fd, &ci));
        CHECKF((int64_t)t >= 0, "token %#llx is negative", (long long)t);
        CHECK_EQ(t & CAP_TOK_RESERVED_MASK, 0);
        CHECK_EQ(tok_slot(t), fd);
        CHECK_EQ(tok_type(t), CAP_TYPE_FD);
        CHECK_EQ(tok_rights(t), ci.rights);
        CHECK_EQ(tok_gen(t), ci.generation);
        /* Asking twice gives the same token: nothing changed. */
        cap_token_t t2 = 0;
        CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &t2));
        CHECK_EQ(t2, t);
    }
}

TEST(cap_get_token_errors)
{
    cap_token_t t = 0x5a5a;
    CHECK_ERRNO(cap_get_token(0, CAP_TYPE_THREAD, &t), EINVAL);
    CHECK_ERRNO(cap_get_token(0, CAP_TYPE_PROCESS, &t), EINVAL);
    CHECK_ERRNO(cap_get_token(0, 99, &t), EINVAL);
    CHECK_ERRNO(cap_get_token(50, CAP_TYPE_FD, &t), EBADF); /* empty */
    CHECK_ERRNO(cap_get_token(-1, CAP_TYPE_FD, &t), EBADF);
    CHECK_ERRNO(cap_get_token(CAP_SLOTS, CAP_TYPE_FD, &t), EBADF);
    CHECK_ERRNO(cap_get_token(100000, CAP_TYPE_FD, &t), EBADF);
    CHECK_EQ(t, 0x5a5a); /* untouched */
}

TEST(cap_info_stdio_and_errors)
{
    static const unsigned want[3] = {CAP_RIGHT_READ | CAP_RIGHT_GRANT,
                                     CAP_RIGHT_WRITE | CAP_RIGHT_GRANT,
                                     CAP_RIGHT_WRITE | CAP_RIGHT_GRANT};
    for (int fd = 0; fd < 3; fd++) {
        struct cap_info ci;
        memset(&ci, 0xff, sizeof(ci));
        CHECK_OK(cap_info(fd, &ci));
        CHECK_EQ(ci.type, CAP_TYPE_FD);
        CHECKF(ci.rights == want[fd], "fd %d rights %#x, expected %#x", fd,
               ci.rights, want[fd]);
        CHECK_EQ(ci.delegated, 0);
        CHECK_EQ(ci.cloexec, 0);
    }
    struct cap_info ci;
    CHECK_ERRNO(cap_info(50, &ci), EBADF);
    CHECK_ERRNO(cap_info(-1, &ci), EBADF);
    CHECK_ERRNO(cap_info(CAP_SLOTS, &ci), EBADF);
    CHECK_ERRNO(cap_info(100000, &ci), EBADF);
    /* The main thread's cap sits in the reserved slots. */
    CHECK_OK(cap_info((int)pthread_self(), &ci));
    CHECK_EQ(ci.type, CAP_TYPE_THREAD);
}

TEST(cap_drop_closes_and_goes_stale)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    cap_token_t t;
    CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &t));
    CHECK_OK(cap_drop(t));
    CHECK(!ut_fd_open(fd)); /* dropping the cap closed the fd */
    char c;
    CHECK_ERRNO(read(fd, &c, 1), EBADF);
    CHECK_ERRNO(close(fd), EBADF);
    CHECK_ERRNO(cap_drop(t), EBADF); /* stale now */
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.files_in_use, k0.files_in_use);
}

TEST(cap_token_stale_after_reuse)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    cap_token_t t1, t2;
    struct cap_info c1, c2;
    CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &t1));
    CHECK_OK(cap_info(fd, &c1));
    CHECK_OK(close(fd));
    int fd2 = open("/dev/null", O_RDONLY); /* same slot, same rights */
    CHECK_EQ(fd2, fd);
    CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &t2));
    CHECK_OK(cap_info(fd, &c2));
    CHECK(c2.generation != c1.generation);
    CHECK(t2 != t1);
    CHECK_EQ(tok_slot(t2), tok_slot(t1));
    CHECK_ERRNO(cap_drop(t1), EBADF); /* names the old use of the slot */
    CHECK(ut_fd_open(fd));            /* and did not touch the new one */
    CHECK_OK(cap_drop(t2));
    CHECK(!ut_fd_open(fd));
}

TEST(cap_forged_tokens)
{
    int p[2];
    CHECK_OK(pipe(p));
    int other = open("/dev/null", O_RDONLY);
    CHECK(other >= 0);
    cap_token_t t;
    CHECK_OK(cap_get_token(p[0], CAP_TYPE_FD, &t));
    const cap_token_t gen1 = 1ull << CAP_TOK_GEN_SHIFT;
    const struct {
        const char *what;
        cap_token_t tok;
    } forged[] = {
        {"slot -> the other pipe end",
         (t & ~CAP_TOK_SLOT_MASK) | (cap_token_t)p[1]},
        {"slot -> another open fd",
         (t & ~CAP_TOK_SLOT_MASK) | (cap_token_t)other},
        {"slot -> an empty slot", (t & ~CAP_TOK_SLOT_MASK) | 60},
        {"slot -> out of range", t | CAP_TOK_SLOT_MASK},
        {"type -> THREAD",
         (t & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)) |
             ((cap_token_t)CAP_TYPE_THREAD << CAP_TOK_TYPE_SHIFT)},
        {"type -> NONE", t & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)},
        {"rights + WRITE",
         t | ((cap_token_t)CAP_RIGHT_WRITE << CAP_TOK_RIGHTS_SHIFT)},
        {"rights - GRANT",
         t & ~((cap_token_t)CAP_RIGHT_GRANT << CAP_TOK_RIGHTS_SHIFT)},
        {"rights - READ",
         t & ~((cap_token_t)CAP_RIGHT_READ << CAP_TOK_RIGHTS_SHIFT)},
        {"generation + 1", t + gen1},
        {"generation - 1", t - gen1},
        {"generation top bit", t ^ (gen1 << 31)},
        {"reserved bit 50", t | (1ull << 50)},
        {"reserved bit 62", t | (1ull << 62)},
        {"bit 63 (negative)", t | (1ull << 63)},
        {"zero", 0},
        {"all ones", ~0ull},
    };
    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        if (forged[i].tok == t)
            continue;
        errno = 0;
        int r = cap_drop(forged[i].tok);
        int e = errno;
        int alive = ut_fd_open(p[0]) && ut_fd_open(p[1]) && ut_fd_open(other);
        CHECKF(r == -1 && e == EBADF && alive,
               "forged token (%s) %#llx: returned %d errno %s, fds %s",
               forged[i].what, (unsigned long long)forged[i].tok, r,
               ut_errname(e), alive ? "intact" : "CLOSED");
    }
    CHECK_OK(cap_drop(t)); /* the real one still works */
    CHECK(!ut_fd_open(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(other));
}

TEST(cap_rights_minted_by_open)
{
    static const struct {
        int flags;
        unsigned rights;
    } cases[] = {
        {O_RDONLY, CAP_RIGHT_READ},
        {O_WRONLY, CAP_RIGHT_WRITE},
        {O_RDWR, CAP_RIGHT_READ | CAP_RIGHT_WRITE},
        {O_RDWR | O_CREAT, CAP_RIGHT_READ | CAP_RIGHT_WRITE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd = open("/ut_cap", cases[i].flags | O_CREAT);
        CHECK(fd >= 0);
        struct cap_info ci;
        int r = cap_info(fd, &ci);
        int d = dup(fd);
        struct cap_info cd;
        int rd = cap_info(d, &cd);
        close(d);
        close(fd);
        CHECK_EQ(r, 0);
        CHECKF(ci.rights == cases[i].rights,
               "open flags %#x: rights %#x, expected %#x (never GRANT)",
               cases[i].flags, ci.rights, cases[i].rights);
        CHECK_EQ(rd, 0);
        CHECK_EQ(cd.rights, ci.rights); /* dup keeps the rights */
    }
}

TEST(cap_rights_of_pipe_ends)
{
    int p[2];
    CHECK_OK(pipe(p));
    struct cap_info r, w, d;
    CHECK_OK(cap_info(p[0], &r));
    CHECK_OK(cap_info(p[1], &w));
    CHECK_EQ(r.type, CAP_TYPE_FD);
    CHECK_EQ(r.rights, CAP_RIGHT_READ | CAP_RIGHT_GRANT);
    CHECK_EQ(w.rights, CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
    int dp = dup(p[1]);
    CHECK(dp >= 0);
    CHECK_OK(cap_info(dp, &d));
    CHECK_EQ(d.rights, w.rights);
    CHECK_EQ(d.object, w.object); /* the same file object */
    CHECK_OK(close(dp));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

TEST(cap_info_cloexec)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    struct cap_info ci;
    CHECK_OK(cap_info(fd, &ci));
    CHECK_EQ(ci.cloexec, 1);
    CHECK_OK(fcntl(fd, F_SETFD, 0));
    CHECK_OK(cap_info(fd, &ci));
    CHECK_EQ(ci.cloexec, 0);
    CHECK_OK(close(fd));
}

TEST(cap_token_confined_to_process)
{
    /* Our token for fd 1 (and for a pipe end the child inherits at the
     * same slot) means nothing in the child. */
    int p[2];
    CHECK_OK(pipe(p));
    cap_token_t t1, tp;
    CHECK_OK(cap_get_token(1, CAP_TYPE_FD, &t1));
    CHECK_OK(cap_get_token(p[1], CAP_TYPE_FD, &tp));
    cap_token_t toks[2] = {t1, tp};
    for (int i = 0; i < 2; i++) {
        char arg[32];
        snprintf(arg, sizeof(arg), "%llu", (unsigned long long)toks[i]);
        pid_t pid;
        CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "drop-token", arg, NULL, NULL),
                 0);
        CHECK_EXITED(ut_wait(pid), 0);
    }
    CHECK(ut_fd_open(1));
    CHECK_OK(cap_drop(tp)); /* still valid here */
    CHECK_OK(close(p[0]));
}

TEST(cap_thread_token)
{
    pthread_t me = pthread_self();
    cap_token_t t;
    CHECK_OK(cap_get_token((int)me, CAP_TYPE_THREAD, &t));
    CHECK_EQ(tok_type(t), CAP_TYPE_THREAD);
    CHECK_EQ(tok_slot(t), (unsigned)me);
    CHECK((int64_t)t >= 0);
    CHECK_ERRNO(cap_get_token((int)me, CAP_TYPE_FD, &t), EINVAL);
    /* A thread cap is not an fd: fd calls on its slot fail. */
    char c;
    CHECK_ERRNO(read((int)me, &c, 1), EBADF);
    CHECK_ERRNO(dup((int)me), EBADF);
}

/* Spawns a utest child in MODE with stdout on /dev/null. */
static int spawn_quiet(pid_t *pid, const char *mode, const char *a1)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = ut_spawn_self(pid, &fa, NULL, mode, a1, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

TEST(cap_process_handle)
{
    pid_t pid;
    CHECK_RC(spawn_quiet(&pid, "sleep-loop", NULL), 0);
    /* Spawn gave us a process cap for the child. */
    int h = proc_handle(pid);
    CHECKF(h >= 0, "proc_handle(child): %s", ut_errname(errno));
    struct cap_info ci;
    CHECK_OK(cap_info(h, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_PROCESS);
    /* It is not an fd, and dup2 must not destroy it. */
    char c;
    CHECK_ERRNO(read(h, &c, 1), EBADF);
    CHECK_ERRNO(fcntl(h, F_GETFD), EBADF);
    CHECK_ERRNO(close(h), EBADF);
    CHECK_ERRNO(dup2(0, h), EBADF);
    CHECK_OK(cap_info(h, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_PROCESS);
    cap_token_t t;
    CHECK_ERRNO(cap_get_token(h, CAP_TYPE_FD, &t), EINVAL);
    CHECK_OK(cap_get_token(h, CAP_TYPE_PROCESS, &t));
    CHECK_EQ(tok_type(t), CAP_TYPE_PROCESS);
    /* No cap for init or for ourselves. */
    CHECK_ERRNO(proc_handle(1), ESRCH);
    CHECK_ERRNO(proc_handle(getpid()), ESRCH);
    CHECK_ERRNO(proc_handle(1000000), ESRCH);
    CHECK_OK(kill(pid, 0));
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_SIGNALED(ut_wait(pid), SIGKILL);
    /* Reaping removed the cap. */
    CHECK_ERRNO(proc_handle(pid), ESRCH);
    CHECK_ERRNO(cap_info(h, &ci), EBADF);
    CHECK_ERRNO(cap_drop(t), EBADF);
}

TEST(cap_process_cap_dropped)
{
    /* Without its process cap we have no authority over the child: no
     * kill, no waitpid(pid). waitpid(-1) still reaps it. */
    pid_t pid;
    CHECK_RC(spawn_quiet(&pid, "exit", "9"), 0);
    int h = proc_handle(pid);
    CHECK(h >= 0);
    cap_token_t t;
    CHECK_OK(cap_get_token(h, CAP_TYPE_PROCESS, &t));
    CHECK_OK(cap_drop(t));
    CHECK_ERRNO(proc_handle(pid), ESRCH);
    CHECK_ERRNO(kill(pid, SIGKILL), EPERM);
    int st;
    CHECK_ERRNO(waitpid(pid, &st, 0), EPERM);
    CHECK_EQ(waitpid(-1, &st, 0), pid);
    CHECK_EXITED(st, 9);
}

const struct utest ut_cap_tests[] = {
    UT_CASE(cap_token_layout),
    UT_CASE(cap_get_token_errors),
    UT_CASE(cap_info_stdio_and_errors),
    UT_CASE(cap_drop_closes_and_goes_stale),
    UT_CASE(cap_token_stale_after_reuse),
    UT_CASE(cap_forged_tokens),
    UT_CASE(cap_rights_minted_by_open),
    UT_CASE(cap_rights_of_pipe_ends),
    UT_CASE(cap_info_cloexec),
    UT_CASE(cap_token_confined_to_process),
    UT_CASE(cap_thread_token),
    UT_CASE(cap_process_handle),
    UT_CASE(cap_process_cap_dropped),
    UT_END,
};
