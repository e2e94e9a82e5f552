/*
 * Working directories and directories (issue 7 items 4 and 7): chdir and
 * getcwd, relative open/unlink/stat/readdir/spawn, inheritance at spawn,
 * mkdir/rmdir and their errors, stat/lstat/access, opendir/readdir, and
 * the inode quota a directory is charged to. Tests that chdir run
 * isolated (the runner's directory never changes); every test removes
 * what it made, also when it failed (the leak check compares inodes).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

#define D "/ut_d"

/* ---- child modes ---- */

/* utest cwd-hold: reads one byte from fd 0 (or EOF), writes its working
 * directory to fd 1, exits 0 (1 when getcwd failed). */
static int mode_cwd_hold(int argc, char **argv)
{
    char c;
    (void)!read(0, &c, 1);
    char buf[KEEL_PATH_MAX];
    if (!getcwd(buf, sizeof(buf)))
        return 1;
    return ut_write_full(1, buf, strlen(buf)) < 0;
}

/* utest mkdir-fill DIR: makes DIR/0, DIR/1, ... until mkdir fails;
 * writes "COUNT ERRNO LIMIT USED" (its inode quota before) to fd 1. */
static int mode_mkdir_fill(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    struct keel_quota q;
    if (keel_quota_info(0, &q) < 0)
        return 3;
    int n = 0, err = 0;
    for (; n < 1000; n++) {
        char path[64];
        snprintf(path, sizeof(path), "%s/%d", argv[2], n);
        if (mkdir(path, 0755) < 0) {
            err = errno;
            break;
        }
    }
    char line[96];
    int len = snprintf(line, sizeof(line), "%d %d %lu %lu", n, err,
                       (unsigned long)q.limit[KEEL_POOL_INODES],
                       (unsigned long)q.used[KEEL_POOL_INODES]);
    return ut_write_full(1, line, (size_t)len) < 0;
}

const struct ut_mode ut_cwd_modes[] = {
    {"cwd-hold", mode_cwd_hold},
    {"mkdir-fill", mode_mkdir_fill},
    UT_MODE_END,
};

/* ---- helpers ---- */

/* Removes D and everything a test may have made under it (two levels). */
static void cleanup(void)
{
    chdir("/");
    struct keel_dirent d1, d2;
    char p1[KEEL_PATH_MAX], p2[KEEL_PATH_MAX];
    for (int again = 0; again < 4; again++) {
        for (int i = 0; keel_readdir(D, i, &d1) == 1;) {
            snprintf(p1, sizeof(p1), D "/%s", d1.name);
            while (d1.kind == KEEL_NODE_DIR && keel_readdir(p1, 0, &d2) == 1) {
                snprintf(p2, sizeof(p2), "%s/%s", p1, d2.name);
                if (unlink(p2) < 0 && rmdir(p2) < 0)
                    break;
            }
            if (unlink(p1) < 0 && rmdir(p1) < 0)
                i++;
        }
    }
    rmdir(D);
}

static int cwd_is(const char *want)
{
    char buf[KEEL_PATH_MAX];
    if (!getcwd(buf, sizeof(buf)))
        return 0;
    if (strcmp(buf, want)) {
        printf("# getcwd: \"%s\", expected \"%s\"\n", buf, want);
        return 0;
    }
    return 1;
}

static int is_kind(const char *path, mode_t kind)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

/* ---- tests ---- */

static void cwd_chdir_body(void)
{
    CHECK_OK(chdir("/"));
    CHECK(cwd_is("/"));
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(chdir(D));
    CHECK(cwd_is(D));
    /* Relative open, stat, readdir, unlink. */
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    CHECK_OK(fd);
    CHECK_EQ(write(fd, "xyz", 3), 3);
    CHECK_OK(close(fd));
    struct stat st;
    CHECK_OK(stat(D "/f", &st));
    CHECK_EQ(st.st_size, 3);
    CHECK(is_kind("./f", S_IFREG));
    struct keel_dirent de;
    CHECK_EQ(keel_readdir(".", 0, &de), 1);
    CHECK(!strcmp(de.name, "f"));
    CHECK_ERRNO(stat("/f", &st), ENOENT); /* it is not in the root */
    CHECK_OK(unlink("f"));
    CHECK_ERRNO(stat(D "/f", &st), ENOENT);
    /* "." and "..", ".." of the root is the root. */
    CHECK_OK(mkdir("sub", 0755));
    CHECK_OK(chdir("./sub/"));
    CHECK(cwd_is(D "/sub"));
    CHECK_OK(chdir(".."));
    CHECK(cwd_is(D));
    CHECK_OK(chdir("sub/../../ut_d/./sub"));
    CHECK(cwd_is(D "/sub"));
    CHECK_OK(chdir("../../../.."));
    CHECK(cwd_is("/"));
    CHECK_OK(chdir("/.."));
    CHECK(cwd_is("/"));
    CHECK_OK(chdir("ut_d"));
    CHECK(cwd_is(D));
    CHECK_OK(chdir("/"));
    CHECK_OK(rmdir(D "/sub"));
    CHECK_OK(rmdir(D));
}

TEST(cwd_chdir_relative_paths)
{
    cwd_chdir_body();
    cleanup();
}

static void cwd_errors_body(void)
{
    char buf[KEEL_PATH_MAX + 8];
    CHECK_OK(chdir("/"));
    CHECK_ERRNO(chdir("/bin/true"), ENOTDIR);
    CHECK_ERRNO(chdir("/bin/true/"), ENOTDIR);
    CHECK_ERRNO(chdir("/bin/true/x"), ENOTDIR);
    CHECK_ERRNO(chdir("/nope"), ENOENT);
    CHECK_ERRNO(chdir("/nope/x"), ENOENT);
    CHECK_ERRNO(chdir(""), ENOENT);
    char longname[KEEL_NAME_MAX + 2];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_ERRNO(chdir(longname), ENAMETOOLONG);
    memset(buf, '/', KEEL_PATH_MAX); /* no NUL in KEEL_PATH_MAX bytes */
    buf[KEEL_PATH_MAX] = '\0';
    CHECK_ERRNO(chdir(buf), ENAMETOOLONG);
    buf[KEEL_PATH_MAX - 1] = '\0'; /* 255 slashes: the root */
    CHECK_OK(chdir(buf));
    CHECK(cwd_is("/"));
    CHECK_EQ(keel_syscall6(SYS_chdir, 8, 0, 0, 0, 0, 0), -EFAULT);
    CHECK_ERRNO(stat("/bin/true/", (struct stat *)buf), ENOTDIR);
    CHECK_ERRNO(open("/bin/true/.", O_RDONLY), ENOTDIR);
    /* getcwd: the length with the NUL, ERANGE below it, EFAULT. */
    CHECK(getcwd(buf, 2) == buf && !strcmp(buf, "/"));
    CHECK_ERRNO(getcwd(buf, 1) ? 0 : -1, ERANGE);
    CHECK_ERRNO(getcwd(buf, 0) ? 0 : -1, EINVAL);
    CHECK_EQ(keel_syscall6(SYS_getcwd, (long)buf, 0, 0, 0, 0, 0), -ERANGE);
    CHECK_EQ(keel_syscall6(SYS_getcwd, 8, 64, 0, 0, 0, 0), -EFAULT);
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(chdir(D));
    CHECK_EQ(keel_syscall6(SYS_getcwd, (long)buf, 6, 0, 0, 0, 0), 6);
    CHECK(!strcmp(buf, D));
    CHECK_ERRNO(getcwd(buf, 5) ? 0 : -1, ERANGE);
    char *m = getcwd(NULL, 0);
    CHECK(m != NULL);
    int same = !strcmp(m, D);
    free(m);
    CHECK(same);
    m = getcwd(NULL, 3);
    CHECK(m == NULL && errno == ERANGE);
    CHECK_OK(chdir("/"));
    CHECK_OK(rmdir(D));
}

TEST(cwd_chdir_getcwd_errors)
{
    cwd_errors_body();
    cleanup();
}

/* The child starts in the parent's directory: relative program paths and
 * open actions resolve there, and the child's getcwd says so. */
static void cwd_spawn_body(void)
{
    pid_t pid;
    char *targv[] = {"true", NULL};
    CHECK_OK(chdir("/bin"));
    CHECK_RC(ut_spawn(&pid, "true", NULL, NULL, targv), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(ut_spawn(&pid, "./true", NULL, NULL, targv), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(ut_spawn(&pid, "../bin/true", NULL, NULL, targv), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(chdir("/"));
    CHECK_RC(ut_spawn(&pid, "bin/true", NULL, NULL, targv), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(ut_spawn(&pid, "true", NULL, NULL, targv), ENOENT);

    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(mkdir(D "/s", 0755));
    CHECK_OK(chdir(D "/s"));
    posix_spawn_file_actions_t fa;
    CHECK_RC(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "../out", O_WRONLY | O_CREAT, 0);
    int rc = ut_spawn_self(&pid, &fa, NULL, "cwd-hold", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_RC(rc, 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(chdir("/"));
    char buf[64] = {0};
    int fd = open(D "/out", O_RDONLY);
    CHECK_OK(fd);
    long n = ut_read_full(fd, buf, sizeof(buf) - 1);
    close(fd);
    CHECKF(n == 7 && !strcmp(buf, D "/s"), "child's cwd: \"%s\"", buf);
    CHECK_OK(unlink(D "/out"));
    CHECK_OK(rmdir(D "/s"));
    CHECK_OK(rmdir(D));
}

TEST(cwd_spawn_inherits_and_resolves)
{
    cwd_spawn_body();
    cleanup();
}

static void mkdir_rmdir_body(void)
{
    struct keel_kstat k0;
    struct keel_quota q0, q1;
    CHECK_OK(ut_kstat_quiet(&k0));
    CHECK_OK(keel_quota_info(0, &q0));
    CHECK_OK(mkdir(D, 0755));
    CHECK(is_kind(D, S_IFDIR));
    CHECK_OK(keel_quota_info(0, &q1));
    CHECK_EQ(q1.used[KEEL_POOL_INODES], q0.used[KEEL_POOL_INODES] + 1);
    CHECK_ERRNO(mkdir(D, 0755), EEXIST);
    CHECK_ERRNO(mkdir(D "/", 0755), EEXIST);
    CHECK_ERRNO(mkdir("/", 0755), EEXIST);
    CHECK_ERRNO(mkdir("/bin/true", 0755), EEXIST);
    CHECK_ERRNO(mkdir("/nope/x", 0755), ENOENT);
    CHECK_ERRNO(mkdir(D "/x/.", 0755), ENOENT);
    CHECK_ERRNO(mkdir("/bin/true/x", 0755), ENOTDIR);
    CHECK_ERRNO(mkdir("", 0755), ENOENT);
    CHECK_ERRNO(rmdir(D "/nope"), ENOENT);
    CHECK_ERRNO(rmdir("/bin/true"), ENOTDIR);
    CHECK_ERRNO(rmdir("/"), EBUSY);
    CHECK_ERRNO(rmdir("/bin"), ENOTEMPTY);
    CHECK_ERRNO(rmdir(D "/."), EINVAL);
    CHECK_ERRNO(unlink(D), EISDIR);
    CHECK_ERRNO(open(D, O_WRONLY), EISDIR);
    CHECK_ERRNO(open(D "/new/", O_WRONLY | O_CREAT, 0644), EISDIR);
    CHECK_OK(mkdir(D "/s/", 0755)); /* a trailing '/' is fine */
    CHECK_ERRNO(rmdir(D), ENOTEMPTY);
    CHECK_OK(rmdir(D "/s/"));
    int fd = open(D "/f", O_WRONLY | O_CREAT, 0644);
    CHECK_OK(fd);
    CHECK_OK(close(fd));
    CHECK_ERRNO(rmdir(D), ENOTEMPTY);
    CHECK_ERRNO(rmdir(D "/f"), ENOTDIR);
    CHECK_OK(unlink(D "/f"));
    /* A directory still open lives on without a name until closed. */
    CHECK_OK(mkdir(D "/o", 0755));
    fd = open(D "/o", O_RDONLY);
    CHECK_OK(fd);
    CHECK_OK(rmdir(D "/o"));
    CHECK_ERRNO(stat(D "/o", &(struct stat){0}), ENOENT);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_OK(close(fd));
    CHECK_OK(rmdir(D));
    CHECK_OK(keel_quota_info(0, &q1));
    CHECK_EQ(q1.used[KEEL_POOL_INODES], q0.used[KEEL_POOL_INODES]);
    struct keel_kstat k1;
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.pool_used[KEEL_POOL_INODES], k0.pool_used[KEEL_POOL_INODES]);
}

TEST(mkdir_rmdir_errors)
{
    mkdir_rmdir_body();
    cleanup();
}

/* rmdir of anyone's working directory: EBUSY, until it leaves (exits). */
static void rmdir_busy_body(void)
{
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(mkdir(D "/s", 0755));
    CHECK_OK(chdir(D "/s"));
    CHECK_ERRNO(rmdir(D "/s"), EBUSY);
    CHECK_ERRNO(rmdir("."), EINVAL);
    CHECK_ERRNO(rmdir("../s"), EBUSY);
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "cwd-hold", NULL, NULL, NULL), 0);
    CHECK_OK(chdir("/"));
    CHECK_ERRNO(rmdir(D "/s"), EBUSY); /* the child's */
    CHECK_EQ(write(cmd, "x", 1), 1);
    char buf[64] = {0};
    long n = ut_read_full(rep, buf, sizeof(buf) - 1);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECKF(n == 7 && !strcmp(buf, D "/s"), "child's cwd: \"%s\"", buf);
    CHECK_OK(rmdir(D "/s"));
    CHECK_OK(rmdir(D));
}

TEST(rmdir_cwd_busy)
{
    rmdir_busy_body();
    cleanup();
}

/* Directories are charged to their creator's inode quota: a child that
 * makes them until ENOSPC gets exactly its limit; they stay (charged to
 * us) after it exits, and rmdir gives every one back. */
static void mkdir_quota_body(void)
{
    struct keel_quota q0, q1, q2;
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(keel_quota_info(0, &q0));
    pid_t pid;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "mkdir-fill", D, NULL, NULL), 0);
    char buf[96] = {0};
    long len = ut_read_full(rep, buf, sizeof(buf) - 1);
    close(cmd);
    close(rep);
    CHECK_EXITED(ut_wait(pid), 0);
    int n = -1, err = -1;
    unsigned long limit = 0, used = 1;
    CHECKF(len > 0 &&
               sscanf(buf, "%d %d %lu %lu", &n, &err, &limit, &used) == 4,
           "report \"%s\"", buf);
    CHECK_OK(keel_quota_info(0, &q1));
    for (int i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof(path), D "/%d", i);
        rmdir(path);
    }
    CHECK_OK(keel_quota_info(0, &q2));
    CHECKF(err == ENOSPC, "mkdir stopped with %d (%s) after %d", err,
           ut_errname(err), n);
    CHECK_EQ(used, 0);
    CHECK_EQ((unsigned long)n, limit);
    CHECK_EQ(q1.used[KEEL_POOL_INODES], q0.used[KEEL_POOL_INODES] + n);
    CHECK_EQ(q2.used[KEEL_POOL_INODES], q0.used[KEEL_POOL_INODES]);
    CHECK_OK(rmdir(D));
}

TEST(mkdir_quota_charged_and_returned)
{
    mkdir_quota_body();
    cleanup();
}

/* Deep directories: every directory's absolute path fits KEEL_PATH_MAX
 * (with its NUL), so mkdir refuses one that would not. */
static void mkdir_deep_body(void)
{
    char name[KEEL_NAME_MAX + 1];
    memset(name, 'd', KEEL_NAME_MAX);
    name[KEEL_NAME_MAX] = '\0';
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(chdir(D));
    size_t len = strlen(D);
    int depth = 0;
    while (len + 1 + KEEL_NAME_MAX + 1 <= KEEL_PATH_MAX) {
        CHECK_OK(mkdir(name, 0755));
        CHECK_OK(chdir(name));
        len += 1 + KEEL_NAME_MAX;
        depth++;
    }
    CHECK_ERRNO(mkdir(name, 0755), ENAMETOOLONG);
    CHECK_OK(mkdir("x", 0755)); /* a shorter name still fits */
    CHECK_OK(rmdir("x"));
    char buf[KEEL_PATH_MAX];
    CHECK(getcwd(buf, sizeof(buf)) == buf);
    CHECK_EQ(strlen(buf), len);
    CHECK_ERRNO(getcwd(buf, len) ? 0 : -1, ERANGE);
    for (; depth > 0; depth--) {
        CHECK_OK(chdir(".."));
        CHECK_OK(rmdir(name));
    }
    CHECK(cwd_is(D));
    CHECK_OK(chdir("/"));
    CHECK_OK(rmdir(D));
}

TEST(mkdir_deep_enametoolong)
{
    mkdir_deep_body();
    if (ut_failed()) { /* remove the chain from the bottom */
        char name[KEEL_NAME_MAX + 1];
        memset(name, 'd', KEEL_NAME_MAX);
        name[KEEL_NAME_MAX] = '\0';
        for (int i = 0; i < 8; i++) {
            chdir(D);
            for (int d = 0; d < 8 && chdir(name) == 0; d++)
                ;
            chdir("..");
            rmdir(name);
        }
    }
    cleanup();
}

TEST(stat_lstat_access)
{
    struct stat st;
    CHECK_OK(stat("/bin/true", &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size > 0 && st.st_ino > 0);
    ino_t ino = st.st_ino;
    CHECK_OK(lstat("/bin/true", &st));
    CHECK(S_ISREG(st.st_mode) && st.st_ino == ino);
    CHECK_OK(stat("/bin", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_OK(stat("/dev/console", &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_OK(stat("/", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_ERRNO(stat("/nope", &st), ENOENT);
    CHECK_ERRNO(stat("", &st), ENOENT);
    CHECK_EQ(keel_syscall6(SYS_stat, (long)"/bin", 8, 0, 0, 0, 0), -EFAULT);
    CHECK_EQ(keel_syscall6(SYS_stat, 8, (long)&st, 0, 0, 0, 0), -EFAULT);
    CHECK_OK(access("/bin/true", X_OK));
    CHECK_OK(access("/bin", F_OK));
    CHECK_ERRNO(access("/nope", F_OK), ENOENT);
    CHECK_ERRNO(access("/bin/true", 0x100), EINVAL);
    int fds[2];
    CHECK_OK(pipe(fds));
    CHECK_OK(fstat(fds[0], &st));
    close(fds[0]);
    close(fds[1]);
    CHECK(S_ISFIFO(st.st_mode));
}

static void dirent_body(void)
{
    CHECK_OK(mkdir(D, 0755));
    CHECK_OK(mkdir(D "/c", 0755));
    int fd = open(D "/a", O_WRONLY | O_CREAT, 0644);
    CHECK_OK(fd);
    close(fd);
    DIR *d = opendir(D);
    CHECK(d != NULL);
    int seen_a = 0, seen_c = 0, other = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, "a") && e->d_type == DT_REG)
            seen_a++;
        else if (!strcmp(e->d_name, "c") && e->d_type == DT_DIR)
            seen_c++;
        else
            other++;
    }
    int end_errno = errno;
    rewinddir(d);
    e = readdir(d);
    int again = e != NULL;
    CHECK_OK(closedir(d));
    CHECK(seen_a == 1 && seen_c == 1 && other == 0);
    CHECK_EQ(end_errno, 0);
    CHECK(again);
    /* A relative name is fixed at opendir: a later chdir changes nothing. */
    CHECK_OK(chdir(D));
    d = opendir("c/..");
    CHECK(d != NULL);
    CHECK_OK(chdir("/"));
    int n = 0;
    while (readdir(d))
        n++;
    CHECK_OK(closedir(d));
    CHECK_EQ(n, 2);
    errno = 0;
    CHECK(opendir("/bin/true") == NULL && errno == ENOTDIR);
    errno = 0;
    CHECK(opendir("/nope") == NULL && errno == ENOENT);
    CHECK_OK(unlink(D "/a"));
    CHECK_OK(rmdir(D "/c"));
    CHECK_OK(rmdir(D));
}

TEST(dirent_opendir_readdir)
{
    dirent_body();
    cleanup();
}

const struct utest ut_cwd_tests[] = {
    UT_ISOLATED(cwd_chdir_relative_paths),
    UT_ISOLATED(cwd_chdir_getcwd_errors),
    UT_ISOLATED(cwd_spawn_inherits_and_resolves),
    UT_CASE(mkdir_rmdir_errors),
    UT_ISOLATED(rmdir_cwd_busy),
    UT_CASE(mkdir_quota_charged_and_returned),
    UT_ISOLATED(mkdir_deep_enametoolong),
    UT_CASE(stat_lstat_access),
    UT_ISOLATED(dirent_opendir_readdir),
    UT_END,
};
