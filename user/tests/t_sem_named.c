/*
 * Named semaphores (issue 9 item 3: sem_open, sem_close, sem_unlink;
 * libc/src/sem_named.c, kernel/sync/ksem_named.c on the named-object
 * layer, kernel/fs/objname.c): the open-or-create rules (ENOENT, EEXIST,
 * EINVAL for a bad name or value, ENAMETOOLONG), one address per
 * semaphore per process until the matching closes, the name in
 * /dev/sem, unlink while open (the semaphore lives on, the name is
 * gone), two processes meeting by name only (no shared memory, no
 * inherited cap), and the errors when slots (EMFILE) run out, with no
 * name left behind. The object quota case (ENOSPC) is in
 * sem_quota_exhausted_and_recovered (t_sem.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t_sem.h"
#include "utest.h"

TEST(sem_named_open_rules)
{
    long k0 = sem_kobjs();
    const char *n = "/ut_sem_rules";
    sem_unlink(n); /* an earlier failed run */
    CHECK(sem_open(n, 0) == SEM_FAILED && errno == ENOENT);
    CHECK(sem_open(n, O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1u) ==
              SEM_FAILED &&
          errno == EINVAL);
    sem_t *a = sem_open(n, O_CREAT | O_EXCL, 0600, 2);
    CHECK(a != SEM_FAILED);
    CHECK(sem_open(n, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED &&
          errno == EEXIST);
    struct stat st;
    CHECK_OK(stat("/dev/sem/ut_sem_rules", &st));
    /* Opened again: the same address; the value is the one made. */
    sem_t *b = sem_open(n, 0);
    CHECK(b == a);
    sem_t *c = sem_open(n, O_CREAT, 0600, 9); /* exists: value ignored */
    CHECK(c == a);
    int v = -1;
    CHECK_OK(sem_getvalue(a, &v));
    CHECK_EQ(v, 2);
    CHECK_OK(sem_wait(a));
    CHECK_OK(sem_trywait(b));
    CHECK_ERRNO(sem_trywait(c), EAGAIN);
    CHECK_ERRNO(sem_destroy(a), EINVAL); /* named: sem_close's */
    CHECK_OK(sem_close(c));
    CHECK_OK(sem_close(b));
    CHECK_OK(sem_post(a)); /* still open once */
    ut_step("unlink while open");
    CHECK_OK(sem_unlink(n));
    CHECK_ERRNO(stat("/dev/sem/ut_sem_rules", &st), ENOENT);
    CHECK_ERRNO(sem_unlink(n), ENOENT);
    CHECK(sem_open(n, 0) == SEM_FAILED && errno == ENOENT);
    CHECK_OK(sem_trywait(a)); /* the semaphore lives on */
    /* A new semaphore under the old name is another one. */
    sem_t *d = sem_open(n, O_CREAT | O_EXCL, 0600, 0);
    CHECK(d != SEM_FAILED && d != a);
    CHECK_ERRNO(sem_trywait(d), EAGAIN);
    CHECK_OK(sem_close(a));
    CHECK_ERRNO(sem_close(a), EINVAL);
    CHECK_OK(sem_close(d));
    CHECK_OK(sem_unlink(n));
    ut_step("names");
    CHECK(sem_open("noslash", O_CREAT, 0600, 0) == SEM_FAILED &&
          errno == EINVAL);
    CHECK(sem_open("/a/b", O_CREAT, 0600, 0) == SEM_FAILED && errno == EINVAL);
    CHECK(sem_open("/", O_CREAT, 0600, 0) == SEM_FAILED && errno == EINVAL);
    CHECK(sem_open("", O_CREAT, 0600, 0) == SEM_FAILED && errno == EINVAL);
    char longn[40];
    memset(longn, 'x', sizeof(longn));
    longn[0] = '/';
    longn[KEEL_NAME_MAX + 2] = '\0'; /* a component of 32 bytes */
    CHECK(sem_open(longn, O_CREAT, 0600, 0) == SEM_FAILED &&
          errno == ENAMETOOLONG);
    CHECK_ERRNO(sem_unlink(longn), ENAMETOOLONG);
    CHECK_ERRNO(sem_unlink("/a/b"), ENOENT); /* no semaphore has it */
    CHECK_ERRNO(sem_unlink(""), ENOENT);
    CHECK_ERRNO(sem_unlink("noslash"), ENOENT);
    longn[KEEL_NAME_MAX + 1] = '\0'; /* 31 bytes: fine */
    sem_t *e = sem_open(longn, O_CREAT | O_EXCL, 0600, 1);
    CHECK(e != SEM_FAILED);
    CHECK_OK(sem_close(e));
    CHECK_OK(sem_unlink(longn));
    sem_t plain;
    CHECK_OK(sem_init(&plain, 0, 0));
    CHECK_ERRNO(sem_close(&plain), EINVAL); /* not from sem_open */
    CHECK_OK(sem_destroy(&plain));
    CHECK_EQ(sem_kobjs(), k0);
}

/* sem-named A B: opens the named semaphores A and B (made by the test
 * after this process started, so only the names lead there), posts A and
 * waits on B three times. Exit 0 when all went well. */
int ut_mode_sem_named(int argc, char **argv)
{
    if (argc < 4)
        return 10;
    sem_t *a = SEM_FAILED, *b = SEM_FAILED;
    for (int i = 0; i < 2000 && (a == SEM_FAILED || b == SEM_FAILED); i++) {
        if (a == SEM_FAILED)
            a = sem_open(argv[2], 0);
        if (b == SEM_FAILED)
            b = sem_open(argv[3], 0);
        if (a == SEM_FAILED || b == SEM_FAILED) {
            if (errno != ENOENT)
                return 11;
            ut_sleep_ms(10);
        }
    }
    if (a == SEM_FAILED || b == SEM_FAILED)
        return 12;
    for (int i = 0; i < 3; i++)
        if (sem_post(a) || sem_wait(b))
            return 13;
    return sem_close(a) || sem_close(b) ? 14 : 0;
}

TEST(sem_named_two_processes)
{
    long k0 = sem_kobjs();
    const char *na = "/ut_sem_ping", *nb = "/ut_sem_pong";
    sem_unlink(na);
    sem_unlink(nb);
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "sem-named", na, nb, NULL), 0);
    sem_t *a = sem_open(na, O_CREAT | O_EXCL, 0600, 0);
    sem_t *b = sem_open(nb, O_CREAT | O_EXCL, 0600, 0);
    CHECK(a != SEM_FAILED && b != SEM_FAILED);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(sem_wait(a));
        CHECK_OK(sem_post(b));
    }
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(sem_unlink(na));
    CHECK_OK(sem_unlink(nb));
    CHECK_OK(sem_close(a));
    CHECK_OK(sem_close(b));
    for (int i = 0; i < 200 && sem_kobjs() != k0; i++)
        ut_sleep_ms(10);
    CHECK_EQ(sem_kobjs(), k0);
}

TEST(sem_named_emfile_leaves_no_name)
{
    const char *n = "/ut_sem_emfile";
    sem_unlink(n);
    static int fds[CAP_FD_SLOTS];
    int nfd = 0;
    int fd;
    while (nfd < CAP_FD_SLOTS && (fd = open("/dev/null", O_RDONLY)) >= 0)
        fds[nfd++] = fd;
    int e = errno;
    sem_t *s = sem_open(n, O_CREAT, 0600, 0);
    int se = errno;
    while (nfd)
        close(fds[--nfd]);
    CHECK_EQ(e, EMFILE);
    CHECK(s == SEM_FAILED);
    CHECK_EQ(se, EMFILE);
    /* The create was undone: no name is left. */
    CHECK_ERRNO(sem_unlink(n), ENOENT);
    s = sem_open(n, O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED);
    CHECK_OK(sem_close(s));
    CHECK_OK(sem_unlink(n));
}

/* pathconf's name limits are the ones sem_open applies: a name of
 * _PC_NAME_MAX bytes after its '/' works, one more is ENAMETOOLONG. */
TEST(sem_named_pathconf_limits)
{
    long nmax = pathconf("/dev/sem", _PC_NAME_MAX);
    CHECK_EQ(nmax, NAME_MAX);
    CHECK_EQ(pathconf("/", _PC_PATH_MAX), KEEL_PATH_MAX);
    CHECK_EQ(pathconf("/", _PC_NO_TRUNC), 1);
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(fpathconf(fd, _PC_NAME_MAX), nmax);
    close(fd);
    CHECK_ERRNO(fpathconf(fd, _PC_NAME_MAX), EBADF);
    CHECK_ERRNO(pathconf("/no_such_dir_pc", _PC_NAME_MAX), ENOENT);
    CHECK_ERRNO(pathconf("/", 12345), EINVAL);
    char n[NAME_MAX + 3];
    n[0] = '/';
    memset(n + 1, 'p', (size_t)nmax + 1);
    n[nmax + 2] = '\0'; /* one byte too many */
    CHECK(sem_open(n, O_CREAT, 0600, 0) == SEM_FAILED && errno == ENAMETOOLONG);
    n[nmax + 1] = '\0'; /* exactly _PC_NAME_MAX */
    sem_t *s = sem_open(n, O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED);
    CHECK_OK(sem_close(s));
    CHECK_OK(sem_unlink(n));
}

const struct utest ut_sem_named_tests[] = {
    UT_CASE(sem_named_open_rules),
    UT_CASE(sem_named_two_processes),
    UT_CASE(sem_named_emfile_leaves_no_name),
    UT_CASE(sem_named_pathconf_limits),
    UT_END,
};
