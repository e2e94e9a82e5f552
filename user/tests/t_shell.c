/*
 * User tests of /bin/sh (issue 7 items 1 and 4): each runs
 * `/bin/sh -c SCRIPT` with stdout and stderr on one pipe (and stdin on
 * /dev/null unless said otherwise) and checks everything the shell and
 * its children printed, and the shell's exit status.
 *
 * The shell's fds 1 and 2 are then a pipe end without GRANT, which it
 * cannot hand to a child: it relays them (user/sh/io.c), so these tests
 * also cover "a program started by a shell can start programs".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utest.h"

#define OUT_CAP 8192

static char out[OUT_CAP + 1];

/*
 * Runs /bin/sh -c script. stdin: "" for /dev/null, NULL for utest's own
 * fd 0 (the console), else those bytes through a pipe. Fills `out` (NUL
 * terminated) and returns the wait status, or -1 with a failure
 * recorded.
 */
static int run_sh_opt(const char *script, const char *input, int syscap)
{
    int p[2], in[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    if (pipe(p) < 0) {
        UT_FAIL("pipe: %s", ut_errname(errno));
        return -1;
    }
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    if (input && *input) {
        if (pipe(in) < 0) {
            UT_FAIL("pipe: %s", ut_errname(errno));
            close(p[0]);
            close(p[1]);
            return -1;
        }
        fcntl(in[1], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_init(&fa);
    if (in[0] >= 0) {
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_addclose(&fa, in[0]);
    } else if (input) {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    if (syscap) /* what init gives the shell */
        keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, keel_system_slot(),
                                       CAP_RIGHTS_ALL);
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    pid_t pid;
    int rc = ut_spawn(&pid, "/bin/sh", &fa, NULL, argv);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (rc) {
        UT_FAIL("spawn /bin/sh: %s", ut_errname(rc));
        close(p[0]);
        if (in[1] >= 0)
            close(in[1]);
        return -1;
    }
    if (in[1] >= 0) {
        ut_write_full(in[1], input, strlen(input));
        close(in[1]);
    }
    long n = ut_read_full(p[0], out, OUT_CAP);
    close(p[0]);
    out[n < 0 ? 0 : n] = '\0';
    int st = ut_wait(pid);
    if (st == -1)
        UT_FAIL("waitpid: %s", ut_errname(errno));
    return st;
}

static int run_sh_in(const char *script, const char *input)
{
    return run_sh_opt(script, input, 0);
}

/* The whole output must be `want` and the shell must exit with code;
 * CHECK_SH_SYS: the shell holds a system cap. */
#define CHECK_SH(script, want, code) CHECK_SH_OPT(script, want, code, 0)
#define CHECK_SH_SYS(script, want, code) CHECK_SH_OPT(script, want, code, 1)
#define CHECK_SH_OPT(script, want, code, sys)                                  \
    do {                                                                       \
        int st_ = run_sh_opt(script, "", sys);                                 \
        if (ut_failed())                                                       \
            return;                                                            \
        CHECKF(strcmp(out, (want)) == 0, "sh -c '%s' printed \"%s\"",          \
               (script), out);                                                 \
        CHECKF(WIFEXITED(st_) && WEXITSTATUS(st_) == (code),                   \
               "sh -c '%s': %s, expected exit %d", (script),                   \
               ut_status_str(st_), (code));                                    \
    } while (0)

/* Item 1: the shell's children can spawn in turn (utest -> sh -> sh ->
 * hello: three generations below utest). */
TEST(shell_grandchild_spawns)
{
    CHECK_SH("/bin/sh -c 'sh -c hello' | grep -c Hello", "1\n", 0);
    CHECK_SH("sh -c 'sh -c true && echo deep'; echo $?", "deep\n0\n", 0);
}

/* Item 1: with the console on fd 0 the shell hands its child a fresh
 * console fd through an open action: it carries GRANT (the 'g'). */
TEST(shell_console_child_has_grant)
{
    int st = run_sh_in("sh -c caps", NULL);
    CHECK(!ut_failed());
    CHECKF(strstr(out, "\n   0 fd       r--g") != NULL, "caps printed \"%s\"",
           out);
    CHECK_EXITED(st, 0);
}

TEST(shell_pipelines)
{
    CHECK_SH("echo one two three | cat | wc -w", "3\n", 0);
    CHECK_SH("echo x | cat | cat | cat | cat | cat | wc -c", "2\n", 0);
    /* the status of a pipeline is its last command's */
    CHECK_SH("echo a | false; echo $?; false | echo b; echo $?", "1\nb\n0\n",
             0);
    /* a builtin in a pipeline runs as a child */
    CHECK_SH("ls /bin | grep -c utest", "1\n", 0);
}

TEST(shell_redirections)
{
    CHECK_SH("echo hello > /sh_t1; cat < /sh_t1; rm /sh_t1", "hello\n", 0);
    CHECK_SH("echo a > /sh_t2; /bin/echo b >> /sh_t2; cat /sh_t2; rm /sh_t2",
             "a\nb\n", 0);
    /* 2>&1 in a child and a builtin, n>file */
    CHECK_SH("cat /sh_none 2>&1 | wc -l", "1\n", 0);
    CHECK_SH("cat /sh_none 2>/sh_t3; wc -l < /sh_t3; rm /sh_t3", "1\n", 0);
    CHECK_SH("echo out 1>&2 2>/dev/null", "out\n", 0);
    CHECK_SH("cat < /sh_none", "sh: /sh_none: No such file or directory\n", 1);
}

TEST(shell_status)
{
    CHECK_SH("false; echo $?; true; echo $?", "1\n0\n", 0);
    CHECK_SH("nope_cmd; echo $?", "sh: nope_cmd: command not found\n127\n", 0);
    /* the message goes where the command's stderr was redirected */
    CHECK_SH("nope_cmd 2>/dev/null; echo $?", "127\n", 0);
    CHECK_SH("nope_cmd 2>&1 | grep -c found", "1\n", 0);
    CHECK_SH("/bin/none; echo $?",
             "sh: /bin/none: No such file or directory\n127\n", 0);
    CHECK_SH("exit 7", "", 7);
    CHECK_SH("sh -c 'exit 300'; echo $?", "44\n", 0);
    /* a killed child: 128 + the signal */
    CHECK_SH("sh -c 'kill -9 $$'; echo $?", "137\n", 0);
    CHECK_SH("echo a |", "sh: syntax error near 'end of line'\n", 2);
}

TEST(shell_and_or)
{
    CHECK_SH("true && echo a || echo b; false && echo c || echo d; echo e",
             "a\nd\ne\n", 0);
    CHECK_SH("false || false || echo f; true || echo g && echo h", "f\nh\n", 0);
}

TEST(shell_quoting)
{
    CHECK_SH("echo 'a  b' \"c  $SH_UNSET\" \\$y \"q\\\"q\" '$HOME'",
             "a  b c   $y q\"q $HOME\n", 0);
    CHECK_SH("X='1 2'; echo $X; /bin/echo \"$X\" ${X}x", "1 2\n1 2 1 2x\n", 0);
    CHECK_SH("echo a#b # comment", "a#b\n", 0);
}

TEST(shell_background_wait)
{
    CHECK_SH("sleep 0.1 & echo started; wait; echo waited $?",
             "started\nwaited 0\n", 0);
    CHECK_SH("sh -c 'exit 5' & wait $!; echo $?", "5\n", 0);
    CHECK_SH("false & wait %1; echo $?", "1\n", 0);
    CHECK_SH("echo a && echo b & wait; echo c", "a\nb\nc\n", 0);
}

TEST(shell_long_line)
{
    static char script[700];
    memcpy(script, "echo ", 5);
    memset(script + 5, 'x', 600);
    strcpy(script + 605, " | wc -c");
    CHECK_SH(script, "601\n", 0);
}

TEST(shell_stdin_script)
{
    /* plain lines from a pipe; a child reads the rest of them */
    int st = run_sh_in("sh", "echo one\nX=2; echo $X\ncat\nthree\n");
    CHECK(!ut_failed());
    CHECKF(strcmp(out, "one\n2\nthree\n") == 0, "printed \"%s\"", out);
    CHECK_EXITED(st, 0);
    /* sh FILE with arguments */
    CHECK_SH("echo 'echo $0 $1 $#' > /sh_t4; sh /sh_t4 a; rm /sh_t4",
             "/sh_t4 a 1\n", 0);
}

/* Exported variables reach children (spawn's envp), others do not;
 * posix_spawnp searches the exported PATH. */
TEST(shell_export_env)
{
    CHECK_SH("export X=1; sh -c 'echo $X'", "1\n", 0);
    CHECK_SH("Y=2; sh -c 'echo [$Y]'; Y=3 sh -c 'echo $Y'; echo $Y",
             "[]\n3\n2\n", 0);
    CHECK_SH("export Z=4; unset Z; sh -c 'echo [$Z]'", "[]\n", 0);
    CHECK_SH("export X=1; sh -c 'export X=2; sh -c \"echo \\$X\"'; echo $X",
             "2\n1\n", 0);
    CHECK_SH("export PATH=/nowhere; hello", "sh: hello: command not found\n",
             127);
    CHECK_SH("export PATH=/nowhere:/bin; hello | grep -c Hello", "1\n", 0);
}

/* cd and pwd, relative paths for the shell and its children. */
TEST(shell_cd_relative)
{
    CHECK_SH("cd /bin; pwd; ls | grep -c utest; ./true && echo rel-ok; "
             "sh -c pwd; cd; pwd",
             "/bin\n1\nrel-ok\n/bin\n/\n", 0);
    CHECK_SH("mkdir /sh_d; cd /sh_d; echo x > f; cat /sh_d/f; cat < f; "
             "rm f; cd ..; rmdir sh_d; ls /sh_d",
             "x\nx\nls: /sh_d: No such file or directory\n", 1);
    CHECK_SH("cd /sh_none", "cd: /sh_none: No such file or directory\n", 1);
    CHECK_SH("HOME=/bin; cd; pwd", "/bin\n", 0);
}

/* kill and caps act through the shell's process caps: its children's
 * yes, anyone else's no. */
TEST(shell_kill_and_caps)
{
    CHECK_SH("sleep 5 & kill $!; wait $!; echo $?", "143\n", 0);
    CHECK_SH("sleep 5 & caps $! > /sh_k1; kill -KILL $!; wait $!; echo $?; "
             "grep -c ' fd ' /sh_k1; rm /sh_k1",
             "137\n3\n", 0);
    CHECK_SH("kill -s INT 1",
             "kill: 1: not permitted: the shell holds no process cap for it "
             "(only for the programs it started)\n",
             1);
    CHECK_SH("caps 1",
             "caps: 1: the shell holds no process cap for it (only for the "
             "programs it started)\n",
             1);
    CHECK_SH("kill -NOPE 5",
             "kill: NOPE: unknown signal (kill -l lists them)\n", 2);
}

/* KEEL_SYSCAP: utest (named by default) gets the shell's system cap with
 * every right (sys-probe exits 3: kstat and procinfo work, poweroff not
 * tried), anything else none (4: both EPERM, poweroff EPERM). */
TEST(shell_syscap_policy)
{
    CHECK_SH_SYS("utest sys-probe 0; echo $?", "3\n", 0);
    CHECK_SH_SYS("KEEL_SYSCAP='bench'; utest sys-probe 0; echo $?", "4\n", 0);
    CHECK_SH_SYS("KEEL_SYSCAP=; /bin/utest sys-probe 0; echo $?", "4\n", 0);
    CHECK_SH_SYS("KEEL_SYSCAP='x utest'; /bin/utest sys-probe 0; echo $?",
                 "3\n", 0);
    /* a shell without one has none to give */
    CHECK_SH("utest sys-probe 0; echo $?", "4\n", 0);
    /* ps and free: in the shell, and as a child with READ only */
    /* the shell's main thread (tid 96) runs ps; its relay threads
     * (tids 97..) may be running too just after start-up, so not them */
    CHECK_SH_SYS("ps > /sh_p1; grep ' sh ' /sh_p1 | grep '   96 ' | "
                 "grep -c running; rm /sh_p1",
                 "1\n", 0);
    CHECK_SH_SYS("ps | grep -c POLICY", "1\n", 0);
    CHECK_SH_SYS("free | grep -c pages", "2\n", 0);
    CHECK_SH("ps", "ps: Not owner (needs the system cap)\n", 1);
}

const struct utest ut_shell_tests[] = {
    UT_CASE(shell_grandchild_spawns),
    UT_CASE(shell_console_child_has_grant),
    UT_CASE(shell_pipelines),
    UT_CASE(shell_redirections),
    UT_CASE(shell_status),
    UT_CASE(shell_and_or),
    UT_CASE(shell_quoting),
    UT_CASE(shell_background_wait),
    UT_CASE(shell_long_line),
    UT_CASE(shell_stdin_script),
    UT_CASE(shell_export_env),
    UT_CASE(shell_cd_relative),
    UT_CASE(shell_kill_and_caps),
    UT_CASE(shell_syscap_policy),
    UT_END,
};
