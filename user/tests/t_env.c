/*
 * The environment (issue 7 item 8): spawn's envp reaches the child's
 * environ, NULL gives an empty one, argument and environment strings
 * share KEEL_SPAWN_ARGS_BYTES (E2BIG), newlib's getenv/setenv/unsetenv/
 * putenv work on it, init gives PATH and HOME, and posix_spawnp searches
 * the caller's PATH. Tests that change PATH run isolated, so the runner's
 * environment stays as it was.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

extern char **environ;

/* ---- child mode ---- */

/* utest env-check [NAME=VALUE...]: exits 0 when environ is exactly the
 * given strings in order and getenv agrees; 1 for a count mismatch,
 * 10 + i when string i differs, 50 + i when getenv disagrees. */
static int mode_env_check(int argc, char **argv)
{
    int want = argc - 2, n = 0;
    while (environ && environ[n])
        n++;
    if (n != want) {
        printf("# env-check: %d strings, expected %d\n", n, want);
        return 1;
    }
    for (int i = 0; i < want; i++) {
        const char *exp = argv[2 + i];
        if (strcmp(environ[i], exp))
            return 10 + i;
        const char *eq = strchr(exp, '=');
        char name[64];
        size_t len = eq ? (size_t)(eq - exp) : 0;
        if (!eq || len >= sizeof(name))
            return 50 + i;
        memcpy(name, exp, len);
        name[len] = '\0';
        const char *v = getenv(name);
        if (!v || strcmp(v, eq + 1))
            return 50 + i;
    }
    return 0;
}

const struct ut_mode ut_env_modes[] = {
    {"env-check", mode_env_check},
    UT_MODE_END,
};

/* ---- helpers ---- */

/* Spawns utest env-check with environment envp and the expected strings
 * as arguments (want, NULL-terminated); returns the wait status or -1
 * (*rc: posix_spawn's result). */
static int run_env_check(char *const envp[], char *const want[], int *rc)
{
    char *argv[KEEL_SPAWN_ARGV_MAX + 1] = {(char *)ut_self, "env-check"};
    int n = 2;
    for (int i = 0; want && want[i] && n < KEEL_SPAWN_ARGV_MAX; i++)
        argv[n++] = want[i];
    argv[n] = NULL;
    pid_t pid;
    fflush(NULL);
    *rc = posix_spawn(&pid, ut_self, NULL, NULL, argv, envp);
    if (*rc)
        return -1;
    return ut_wait(pid);
}

/* ---- tests ---- */

TEST(env_passed_to_child)
{
    char *env[] = {"A=1", "B=two words", "EMPTY=", "PATH=/x:/bin", NULL};
    int rc;
    int st = run_env_check(env, env, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
}

TEST(env_null_is_empty)
{
    int rc;
    int st = run_env_check(NULL, NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    char *empty[] = {NULL};
    st = run_env_check(empty, NULL, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
}

/* init starts the shell and the autorun program with PATH=/bin, HOME=/;
 * started from a shell, utest sees what the shell exports (both set). */
TEST(env_from_init)
{
    const char *path = getenv("PATH"), *home = getenv("HOME");
    CHECKF(path && home, "PATH=%s HOME=%s", path ? path : "(null)",
           home ? home : "(null)");
    if (getppid() == 1) {
        CHECKF(!strcmp(path, "/bin"), "PATH=%s", path);
        CHECKF(!strcmp(home, "/"), "HOME=%s", home);
    }
}

static void env_setenv_body(void)
{
    CHECK(getenv("UT_X") == NULL);
    CHECK_OK(setenv("UT_X", "1", 0));
    CHECK(getenv("UT_X") && !strcmp(getenv("UT_X"), "1"));
    CHECK_OK(setenv("UT_X", "2", 0)); /* no overwrite */
    CHECK(!strcmp(getenv("UT_X"), "1"));
    CHECK_OK(setenv("UT_X", "3", 1));
    CHECK(!strcmp(getenv("UT_X"), "3"));
    static char put[] = "UT_Y=put";
    CHECK_OK(putenv(put));
    CHECK(getenv("UT_Y") && !strcmp(getenv("UT_Y"), "put"));
    CHECK_ERRNO(setenv("UT=X", "1", 1), EINVAL);
    /* The changed environment goes to a child as it is now. */
    int n = 0;
    while (environ[n])
        n++;
    int rc;
    int st = run_env_check(environ, environ, &rc);
    CHECK_RC(rc, 0);
    CHECK_EXITED(st, 0);
    CHECK_OK(unsetenv("UT_X"));
    CHECK_OK(unsetenv("UT_Y"));
    CHECK(getenv("UT_X") == NULL && getenv("UT_Y") == NULL);
    int m = 0;
    while (environ[m])
        m++;
    CHECK_EQ(m, n - 2);
}

TEST(env_setenv_getenv_unsetenv)
{
    env_setenv_body();
    unsetenv("UT_X"); /* whatever failed, the runner's environment */
    unsetenv("UT_Y"); /* goes back as it was */
}

TEST(env_e2big)
{
    struct keel_kstat k0, k1;
    CHECK_OK(ut_kstat_quiet(&k0));
    /* One string more than KEEL_SPAWN_ENV_MAX. */
    static char names[KEEL_SPAWN_ENV_MAX + 1][12];
    char *env[KEEL_SPAWN_ENV_MAX + 2];
    for (int i = 0; i <= KEEL_SPAWN_ENV_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "V%d=%d", i, i);
        env[i] = names[i];
    }
    env[KEEL_SPAWN_ENV_MAX + 1] = NULL;
    char *argv[] = {(char *)ut_self, "env-check", NULL};
    pid_t pid;
    CHECK_RC(posix_spawn(&pid, ut_self, NULL, NULL, argv, env), E2BIG);
    /* Exactly KEEL_SPAWN_ENV_MAX strings are fine. */
    env[KEEL_SPAWN_ENV_MAX] = NULL;
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, NULL, env), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    /* Arguments and environment share KEEL_SPAWN_ARGS_BYTES: each half
     * alone fits, both together do not. */
    static char big_arg[KEEL_SPAWN_ARGS_BYTES / 2 + 100];
    static char big_env[KEEL_SPAWN_ARGS_BYTES / 2 + 100];
    memset(big_arg, 'a', sizeof(big_arg) - 1);
    memcpy(big_env, "BIG=", 4);
    memset(big_env + 4, 'e', sizeof(big_env) - 5);
    char *av[] = {"/bin/true", big_arg, NULL};
    char *ev[] = {big_env, NULL};
    char *av1[] = {"/bin/true", NULL};
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, av, NULL), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, av1, ev), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, av, ev), E2BIG);
    /* One string longer than the whole budget. */
    static char huge[KEEL_SPAWN_ARGS_BYTES + 8];
    memcpy(huge, "H=", 2);
    memset(huge + 2, 'h', sizeof(huge) - 3);
    char *hv[] = {huge, NULL};
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, NULL, hv), E2BIG);
    /* A bad pointer in envp, or envp itself: EFAULT. */
    char *bad[] = {"A=1", (char *)8, NULL};
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, NULL, bad), EFAULT);
    char **volatile badp = (char **)8; /* hidden from the compiler */
    CHECK_RC(posix_spawn(&pid, "/bin/true", NULL, NULL, NULL, badp), EFAULT);
    /* Nothing was left behind by the failures. */
    CHECK_EQ(ut_kstat_settle(&k0, &k1), 0);
}

/* Isolated: sets PATH. /ut_pa/true is a directory (EACCES: the search
 * goes on), /ut_px/true a data file (ENOEXEC: the search stops). */
static void spawnp_body(void)
{
    pid_t pid;
    char *argv[] = {"true", NULL};
    CHECK_OK(mkdir("/ut_pa", 0755));
    CHECK_OK(mkdir("/ut_pa/true", 0755));
    CHECK_OK(mkdir("/ut_px", 0755));
    int fd = open("/ut_px/true", O_WRONLY | O_CREAT, 0644);
    CHECK_OK(fd);
    CHECK_EQ(write(fd, "data", 4), 4);
    CHECK_OK(close(fd));

    CHECK_OK(setenv("PATH", "/nope:/dev:/ut_pa:/bin", 1));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(
        posix_spawnp(&pid, "ut-no-such-program", NULL, NULL, argv, environ),
        ENOENT);
    CHECK_OK(setenv("PATH", "/nope", 1));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), ENOENT);
    /* A name with '/' is used as it is, whatever PATH says. */
    CHECK_RC(posix_spawnp(&pid, "/bin/true", NULL, NULL, argv, environ), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    /* EACCES only once the whole PATH failed; other errors at once. */
    CHECK_OK(setenv("PATH", "/ut_pa:/nope", 1));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), EACCES);
    CHECK_OK(setenv("PATH", "/ut_px:/bin", 1));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), ENOEXEC);
    /* An empty entry is the working directory. */
    CHECK_OK(setenv("PATH", "/nope::", 1));
    CHECK_OK(chdir("/bin"));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_OK(chdir("/"));
    /* Unset: /bin. */
    CHECK_OK(unsetenv("PATH"));
    CHECK_RC(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
    CHECK_EXITED(ut_wait(pid), 0);
    CHECK_RC(posix_spawnp(&pid, "", NULL, NULL, argv, environ), ENOENT);
    /* The child gets the envp argument, not the caller's environment. */
    char *env[] = {"ONLY=1", NULL};
    char *ecargv[] = {"utest", "env-check", "ONLY=1", NULL};
    CHECK_RC(posix_spawnp(&pid, "utest", NULL, NULL, ecargv, env), 0);
    CHECK_EXITED(ut_wait(pid), 0);
}

TEST(env_spawnp_path_search)
{
    spawnp_body();
    chdir("/");
    unlink("/ut_px/true");
    rmdir("/ut_px");
    rmdir("/ut_pa/true");
    rmdir("/ut_pa");
}

const struct utest ut_env_tests[] = {
    UT_CASE(env_passed_to_child),
    UT_CASE(env_null_is_empty),
    UT_CASE(env_from_init),
    UT_CASE(env_setenv_getenv_unsetenv),
    UT_CASE(env_e2big),
    UT_ISOLATED(env_spawnp_path_search),
    UT_END,
};
