/*
 * Ambient authority (issue 6 item 7): the system cap that poweroff,
 * procinfo and kstat need (who has it, how it travels, forged and stale
 * tokens for it), the read-only boot image, and unlink (removing files
 * gives their inodes and pages back, also while a file is still open).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ut_peer.h"
#include "utest.h"

/* The raw calls, so a refusal is seen as the kernel's errno. */
static long raw_kstat(struct keel_kstat *k)
{
    return keel_syscall6(SYS_kstat, (long)k, 0, 0, 0, 0, 0);
}
static long raw_procinfo(struct keel_procinfo *pi)
{
    return keel_syscall6(SYS_procinfo, 0, (long)pi, 0, 0, 0, 0);
}
static long raw_poweroff(void)
{
    return keel_syscall6(SYS_poweroff, 0, 0, 0, 0, 0, 0);
}

/*
 * sys-probe CLOSE: with CLOSE "1", closes every fd first (the reviewer's
 * poweroff had fds 0-2 closed). Exit status bits: 1 kstat worked, 2
 * procinfo worked, 4 poweroff said EPERM, 8 an unexpected errno, 16 a
 * non-fd cap other than a system cap below the thread slots. poweroff is
 * only tried when kstat and procinfo were refused or the cap held has no
 * WRITE (so an unfixed kernel fails the test instead of powering off).
 */
static int mode_sys_probe(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    if (argv[2][0] == '1')
        for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
            close(fd); /* non-fd slots answer EBADF and stay */
    int code = 0;
    struct keel_kstat k;
    struct keel_procinfo pi;
    long r = raw_kstat(&k);
    code |= r == 0 ? 1 : r == -EPERM ? 0 : 8;
    r = raw_procinfo(&pi);
    code |= r >= 0 ? 2 : r == -EPERM ? 0 : 8;
    int s = keel_system_slot();
    struct cap_info ci = {0};
    int no_write =
        s < 0 || (cap_info(s, &ci) == 0 && ci.type == CAP_TYPE_SYSTEM &&
                  !(ci.rights & CAP_RIGHT_WRITE));
    if (!(code & 3) || no_write) {
        r = raw_poweroff();
        code |= r == -EPERM ? 4 : 8;
    }
    /* Nothing but fds and a system cap handed on explicitly: the
     * parent's process, thread and delegate caps never reach a child. */
    for (int slot = 0; slot < CAP_FD_SLOTS; slot++)
        if (cap_info(slot, &ci) == 0 && ci.type != CAP_TYPE_FD &&
            ci.type != CAP_TYPE_SYSTEM)
            code |= 16;
    return code;
}

/*
 * sys-serve CMDFD REPFD: one byte per command, one byte back.
 *  'k' kstat: 'y' worked, 'n' EPERM, 'e' else;
 *  'o' poweroff (only sent when it must fail): 'n' EPERM, 'e' else;
 *  's' spawn /bin/true handing it our system cap: the errno value (0 ok),
 *      'N' when we hold none;
 *  'q' exit 0.
 */
static int mode_sys_serve(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int cmd = atoi(argv[2]), rep = atoi(argv[3]);
    for (;;) {
        char c, a = 'e';
        if (read(cmd, &c, 1) != 1)
            return 101;
        struct keel_kstat k;
        long r;
        switch (c) {
        case 'k':
            r = raw_kstat(&k);
            a = r == 0 ? 'y' : r == -EPERM ? 'n' : 'e';
            break;
        case 'o':
            a = raw_poweroff() == -EPERM ? 'n' : 'e';
            break;
        case 's': {
            int s = keel_system_slot();
            if (s < 0) {
                a = 'N';
                break;
            }
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, s,
                                           CAP_RIGHT_READ);
            char *av[] = {"true", NULL};
            pid_t pid;
            int rc = posix_spawn(&pid, "/bin/true", &fa, NULL, av, NULL);
            posix_spawn_file_actions_destroy(&fa);
            if (rc == 0)
                ut_wait(pid);
            a = (char)rc;
            break;
        }
        case 'q':
            return 0;
        }
        if (write(rep, &a, 1) != 1)
            return 102;
    }
}

/* create-file PATH: creates PATH and removes it again; 0 when both work,
 * else the failing call's errno. */
static int mode_create_file(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    int fd = open(argv[2], O_CREAT | O_WRONLY);
    if (fd < 0)
        return errno;
    close(fd);
    return unlink(argv[2]) == 0 ? 0 : errno;
}

const struct ut_mode ut_authority_modes[] = {
    {"create-file", mode_create_file},
    {"sys-probe", mode_sys_probe},
    {"sys-serve", mode_sys_serve},
    UT_MODE_END,
};

/* Spawns sys-probe with fa; its exit status, or -1. */
static int probe(const posix_spawn_file_actions_t *fa, const char *close_fds)
{
    pid_t pid;
    if (ut_spawn_self(&pid, fa, NULL, "sys-probe", close_fds, NULL, NULL))
        return -1;
    int st = ut_wait(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char ask(struct peer *p, char c)
{
    char a = '?';
    if (write(p->cmd, &c, 1) != 1 || read(p->rep, &a, 1) != 1)
        return '!';
    return a;
}

TEST(auth_system_cap_gates)
{
    /* We hold a process cap (with GRANT) for this one while probing: it
     * must not reach the probes either. */
    pid_t sleeper;
    posix_spawn_file_actions_t sfa;
    posix_spawn_file_actions_init(&sfa);
    posix_spawn_file_actions_addopen(&sfa, 1, "/dev/null", O_WRONLY, 0);
    int src =
        ut_spawn_self(&sleeper, &sfa, NULL, "sleep-loop", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&sfa);
    CHECK_RC(src, 0);
    ut_step("a child spawned without the cap");
    int c1 = probe(NULL, "0");
    ut_step("the same with its fds 0-2 (all fds) closed");
    int c2 = probe(NULL, "1");
    kill(sleeper, SIGKILL);
    ut_wait(sleeper);
    CHECK_EQ(c1, 4);
    CHECK_EQ(c2, 4);

    ut_step("the suite holds init's cap, with every right");
    int s = keel_system_slot();
    CHECK_EQ(s, CAP_SYSTEM_SLOT);
    struct cap_info ci;
    CHECK_OK(cap_info(s, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_SYSTEM);
    CHECK_EQ(ci.rights, CAP_RIGHTS_ALL);
    struct keel_kstat k;
    struct keel_procinfo pi;
    CHECK_OK(keel_kstat(&k));
    CHECK_EQ(keel_procinfo(0, &pi), 1);

    ut_step("a child given a READ-only copy: counters yes, poweroff no");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    CHECK_RC(keel_spawn_file_actions_addcap(&fa, 40, s, CAP_RIGHT_READ), 0);
    int code = probe(&fa, "0");
    posix_spawn_file_actions_destroy(&fa);
    CHECK_EQ(code, 1 | 2 | 4);
}

TEST(auth_system_cap_transfer_revoke)
{
    int s = keel_system_slot();
    CHECK(s >= 0);
    cap_token_t tok, d, d2;
    CHECK_OK(cap_get_token(s, CAP_TYPE_SYSTEM, &tok));
    struct peer p;
    CHECK_RC(ut_start_helper(&p, "sys-serve", NULL), 0);
    ut_step("no cap: EPERM");
    int dslot = -1;
    EXPECT(ask(&p, 'k') == 'n');
    EXPECT(ask(&p, 's') == 'N');
    ut_step("transfer READ: the counters work, poweroff does not");
    errno = 0;
    EXPECT(cap_transfer(p.pid, tok, CAP_RIGHTS_ALL, &d, NULL) == -1 &&
           errno == EINVAL); /* GRANT never travels by transfer */
    EXPECT(cap_transfer(p.pid, tok, CAP_RIGHT_READ, &d, &dslot) == 0);
    EXPECT(ask(&p, 'k') == 'y');
    EXPECT(ask(&p, 'o') == 'n');
    ut_step("the copy has no GRANT: it cannot be handed on at spawn");
    EXPECT(ask(&p, 's') == EACCES);
    ut_step("revoke: EPERM again");
    EXPECT(cap_revoke_delegate(d) == 0);
    EXPECT(ask(&p, 'k') == 'n');
    errno = 0;
    EXPECT(cap_revoke_delegate(d) == -1 && errno == EBADF);
    ut_step("transfer again, the receiver exits holding it");
    EXPECT(cap_transfer(p.pid, tok, CAP_RIGHT_READ, &d2, NULL) == 0);
    EXPECT(ask(&p, 'k') == 'y');
    char q = 'q';
    EXPECT(write(p.cmd, &q, 1) == 1);
    close(p.cmd);
    close(p.rep);
    int st = ut_wait(p.pid);
    CHECK_EXITED(st, 0);
    CHECK_OK(cap_revoke_delegate(d2)); /* revocable after its exit */
    struct keel_kstat k;
    CHECK_OK(keel_kstat(&k)); /* ours is untouched throughout */
    CHECK_OK(cap_info(s, &(struct cap_info){0}));
}

/* Isolated: drops the test process's own copy at the end. */
TEST(auth_system_cap_tokens)
{
    int s = keel_system_slot();
    CHECK(s >= 0);
    cap_token_t tok, ftok;
    CHECK_OK(cap_get_token(s, CAP_TYPE_SYSTEM, &tok));
    CHECK_EQ(ut_tok_slot(tok), s);
    CHECK_EQ(ut_tok_type(tok), CAP_TYPE_SYSTEM);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_ERRNO(cap_get_token(fd, CAP_TYPE_SYSTEM, &ftok), EINVAL);
    CHECK_OK(cap_get_token(fd, CAP_TYPE_FD, &ftok));

    ut_step("forged tokens: each field, and a file's token retyped");
    cap_token_t forged[] = {
        tok ^ (1ull << CAP_TOK_GEN_SHIFT),
        tok & ~((cap_token_t)CAP_RIGHT_WRITE << CAP_TOK_RIGHTS_SHIFT),
        (tok & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)) |
            ((cap_token_t)CAP_TYPE_FD << CAP_TOK_TYPE_SHIFT),
        (tok & ~(CAP_TOK_SLOT_MASK << CAP_TOK_SLOT_SHIFT)) | (cap_token_t)fd,
        (ftok & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)) |
            ((cap_token_t)CAP_TYPE_SYSTEM << CAP_TOK_TYPE_SHIFT),
        tok | (1ull << 55),
    };
    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++)
        CHECK_ERRNO(cap_drop(forged[i]), EBADF);
    struct keel_kstat k;
    CHECK_OK(keel_kstat(&k)); /* none of them took it away */

    ut_step("spawn actions that must fail");
    posix_spawn_file_actions_t fa;
    char *av[] = {"true", NULL};
    pid_t pid;
    struct {
        int slot, src;
        unsigned rights;
        int err;
    } bad[] = {
        {40, fd, CAP_RIGHT_READ, EINVAL},         /* an fd: not this way */
        {40, 41, CAP_RIGHT_READ, EBADF},          /* an empty slot */
        {40, s, 0x10, EINVAL},                    /* no such right */
        {CAP_FD_SLOTS, s, CAP_RIGHT_READ, EBADF}, /* a thread slot */
        {40, CAP_FD_SLOTS + 1, CAP_RIGHT_READ, EBADF},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        posix_spawn_file_actions_init(&fa);
        CHECK_RC(keel_spawn_file_actions_addcap(&fa, bad[i].slot, bad[i].src,
                                                bad[i].rights),
                 0);
        int rc = ut_spawn(&pid, "/bin/true", &fa, NULL, av);
        posix_spawn_file_actions_destroy(&fa);
        CHECKF(rc == bad[i].err, "bad action %d: %s, expected %s", (int)i,
               ut_errname(rc), ut_errname(bad[i].err));
    }

    ut_step("an open action onto the slot a cap action filled: EBADF");
    posix_spawn_file_actions_init(&fa);
    CHECK_RC(keel_spawn_file_actions_addcap(&fa, 40, s, CAP_RIGHT_READ), 0);
    CHECK_RC(
        posix_spawn_file_actions_addopen(&fa, 40, "/dev/null", O_RDONLY, 0), 0);
    int orc = ut_spawn(&pid, "/bin/true", &fa, NULL, av);
    posix_spawn_file_actions_destroy(&fa);
    CHECKF(orc == EBADF, "open action over a system cap: %s, expected EBADF",
           ut_errname(orc));

    ut_step("dropped: stale token, and no authority left");
    CHECK_OK(cap_drop(tok));
    CHECK_ERRNO(cap_drop(tok), EBADF);
    CHECK_EQ(raw_kstat(&k), -EPERM);
    struct keel_procinfo pi;
    CHECK_EQ(raw_procinfo(&pi), -EPERM);
    CHECK_EQ(raw_poweroff(), -EPERM);
    CHECK_EQ(keel_system_slot(), -1);
    posix_spawn_file_actions_init(&fa);
    keel_spawn_file_actions_addcap(&fa, 40, s, CAP_RIGHT_READ);
    int rc = ut_spawn(&pid, "/bin/true", &fa, NULL, av);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, EBADF);
    close(fd);
}

static int run_true(void)
{
    char *av[] = {"true", NULL};
    pid_t pid;
    int rc = ut_spawn(&pid, "/bin/true", NULL, NULL, av);
    if (rc)
        return -rc;
    int st = ut_wait(pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

TEST(auth_boot_files_read_only)
{
    struct stat st0, st1;
    CHECK_OK(stat("/bin/true", &st0));
    ut_step("the reviewer's sequence: O_WRONLY|O_TRUNC on /bin/true");
    CHECK_ERRNO(open("/bin/true", O_WRONLY | O_TRUNC), EROFS);
    CHECK_EQ(run_true(), 0);
    ut_step("every other write or truncate open");
    static const int bad[] = {
        O_RDWR,
        O_WRONLY,
        O_RDONLY | O_TRUNC,
        O_WRONLY | O_APPEND,
        O_CREAT | O_WRONLY,
        O_CREAT | O_RDWR | O_TRUNC,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERRNO(open("/bin/true", bad[i]), EROFS);
        CHECK_ERRNO(open("/bin/utest", bad[i]), EROFS);
    }
    CHECK_ERRNO(open("/bin/true", O_CREAT | O_EXCL | O_RDONLY), EEXIST);
    ut_step("O_CREAT for reading opens the boot file as it is");
    int fd = open("/bin/true", O_CREAT | O_RDONLY);
    CHECK(fd >= 0);
    char magic[4];
    CHECK_EQ(read(fd, magic, 4), 4);
    CHECK(!memcmp(magic, "\177ELF", 4));
    close(fd);
    CHECK_OK(stat("/bin/true", &st1));
    CHECK_EQ(st1.st_size, st0.st_size);

    ut_step("a spawn open action gets the same rule");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/bin/true", O_WRONLY | O_TRUNC,
                                     0);
    char *av[] = {"true", NULL};
    pid_t pid;
    int rc = ut_spawn(&pid, "/bin/true", &fa, NULL, av);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, EROFS);
    CHECK_EQ(run_true(), 0);

    ut_step("boot files, devices and directories cannot be unlinked");
    CHECK_ERRNO(unlink("/bin/true"), EROFS);
    CHECK_ERRNO(unlink("/dev/null"), EROFS);
    CHECK_ERRNO(unlink("/bin"), EISDIR);
    CHECK_ERRNO(unlink("/"), EISDIR);
    CHECK_EQ(run_true(), 0);
    ut_step("new files may be created next to them, and removed");
    fd = open("/bin/ut_new", O_CREAT | O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "x", 1), 1);
    close(fd);
    CHECK_OK(unlink("/bin/ut_new"));
    CHECK_ERRNO(open("/bin/ut_new", O_RDONLY), ENOENT);
}

static int listed(const char *dir, const char *name)
{
    struct keel_dirent d;
    for (int i = 0; keel_readdir(dir, i, &d) == 1; i++)
        if (!strcmp(d.name, name))
            return 1;
    return 0;
}

TEST(auth_unlink_semantics)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    CHECK_ERRNO(unlink("/ut_nope"), ENOENT);
    CHECK_ERRNO(unlink(""), ENOENT);
    int fd = open("/ut_unl", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "abc", 3), 3);
    CHECK_ERRNO(unlink("/ut_unl/x"), ENOTDIR);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    int ino = (int)st.st_ino;

    ut_step("unlink while open: the name goes, the data stays");
    CHECK_OK(unlink("/ut_unl"));
    CHECK_ERRNO(open("/ut_unl", O_RDONLY), ENOENT);
    CHECK_ERRNO(unlink("/ut_unl"), ENOENT);
    CHECK(!listed("/", "ut_unl"));
    char buf[8] = {0};
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buf, sizeof(buf)), 3);
    CHECK(!memcmp(buf, "abc", 3));
    CHECK_EQ(write(fd, "def", 3), 3);
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 6);
    int fd2 = dup(fd);
    CHECK(fd2 >= 0);

    ut_step("the name is free for a new, empty file");
    int nfd = open("/ut_unl", O_CREAT | O_RDWR);
    CHECK(nfd >= 0);
    CHECK_OK(fstat(nfd, &st));
    CHECK_EQ(st.st_size, 0);
    CHECK((int)st.st_ino != ino);
    close(nfd);
    CHECK_OK(remove("/ut_unl")); /* newlib's remove: the same call */

    ut_step("last close frees the unlinked file");
    close(fd);
    CHECK_EQ(lseek(fd2, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd2, buf, sizeof(buf)), 6);
    close(fd2);
    CHECKF(ut_kstat_settle(&k0, &k1) == 0, "pools not back");
    CHECK_EQ(k1.free_pages, k0.free_pages);
    CHECK_EQ(k1.pool_used[KEEL_POOL_INODES], k0.pool_used[KEEL_POOL_INODES]);
}

#define POOL_PROBE_MAX 1024

static void name_of(char *buf, size_t n, int i)
{
    snprintf(buf, n, "/ut_p%d", i);
}

/* Creates /ut_p<i> (one byte of data each) until a create fails; the
 * count, with *err the failure's errno. */
static int fill(int *err)
{
    char name[32];
    int n = 0;
    for (; n < POOL_PROBE_MAX; n++) {
        name_of(name, sizeof(name), n);
        int fd = open(name, O_CREAT | O_WRONLY);
        if (fd < 0) {
            *err = errno;
            break;
        }
        long w = write(fd, "z", 1);
        close(fd);
        if (w != 1) {
            *err = errno;
            unlink(name);
            break;
        }
    }
    return n;
}

static int unlink_all(int n)
{
    char name[32];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        name_of(name, sizeof(name), i);
        bad += unlink(name) != 0;
    }
    return bad;
}

TEST(auth_unlink_frees_inode_pool)
{
    struct keel_kstat k0, k1, k2;
    CHECK_OK(keel_kstat(&k0));
    int err = 0;
    ut_step("create until the inode pool (or our share of it) is full");
    int n = fill(&err);
    CHECKF(n > 0 && n < POOL_PROBE_MAX && (err == ENOSPC || err == EDQUOT),
           "%d files, then %s", n, ut_errname(err));
    CHECK_OK(keel_kstat(&k1));
    CHECKF(k1.free_pages + (uint64_t)n <= k0.free_pages,
           "%d files hold only %ld pages", n,
           (long)(k0.free_pages - k1.free_pages));
    CHECK_EQ(k1.pool_used[KEEL_POOL_INODES],
             k0.pool_used[KEEL_POOL_INODES] + (uint64_t)n);
    ut_step("unlink them all: inodes and pages come back");
    CHECK_EQ(unlink_all(n), 0);
    CHECKF(ut_kstat_settle(&k0, &k2) == 0, "pools not back");
    CHECK_EQ(k2.free_pages, k0.free_pages);
    CHECK_EQ(k2.pool_used[KEEL_POOL_INODES], k0.pool_used[KEEL_POOL_INODES]);
    ut_step("the same number can be created again");
    int n2 = fill(&err);
    CHECK_EQ(unlink_all(n2), 0);
    CHECK_EQ(n2, n);
    ut_step("another process can create (and remove) a file now");
    pid_t pid;
    CHECK_RC(
        ut_spawn_self(&pid, NULL, NULL, "create-file", "/ut_after", NULL, NULL),
        0);
    CHECK_EXITED(ut_wait(pid), 0);
}

const struct utest ut_authority_tests[] = {
    UT_CASE(auth_system_cap_gates),
    UT_CASE(auth_system_cap_transfer_revoke),
    UT_ISOLATED(auth_system_cap_tokens),
    UT_CASE(auth_boot_files_read_only),
    UT_CASE(auth_unlink_semantics),
    UT_CASE(auth_unlink_frees_inode_pool),
    UT_END,
};
