/*
 * Smoke tests of /bin/bench's real-time rows (user/bench/, issue 8):
 * the rows run and print "BENCHRT <name> <number>" lines. They check the
 * format and that the run succeeds, never a value: the figures are
 * measurements for make bench (docs/performance.md), not test results.
 * Single-threaded: no locks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

/*
 * Runs `/bin/bench --rt --only prefix` with stdout on a pipe; stores what
 * it printed (NUL-terminated) in out. Returns its wait status, or -1.
 */
static int run_bench(const char *prefix, char *out, size_t cap)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *argv[] = {"/bin/bench", "--rt", "--only", (char *)prefix, NULL};
    pid_t pid;
    int err = ut_spawn(&pid, "/bin/bench", &fa, NULL, argv);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    long n = err ? -1 : ut_read_full(p[0], out, cap - 1);
    close(p[0]);
    out[n > 0 ? n : 0] = '\0';
    return err ? -1 : ut_wait(pid);
}

/* The value on the line "BENCHRT name <digits>" in out, or -1 if there is
 * no such line or its value is not a number. */
static long long row_value(const char *out, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "BENCHRT %s ", name);
    for (const char *s = out; (s = strstr(s, key)); s++) {
        if (s != out && s[-1] != '\n')
            continue;
        const char *v = s + strlen(key);
        char *end;
        long long x = strtoll(v, &end, 10);
        if (end != v && (*end == '\n' || *end == '\r' || *end == '\0'))
            return x;
    }
    return -1;
}

static char bench_out[4096];

TEST(bench_rt_mutex_rows_print)
{
    int st = run_bench("mutex_", bench_out, sizeof(bench_out));
    CHECK_EXITED(st, 0);
    CHECKF(row_value(bench_out, "mutex_uncontended") > 0,
           "no mutex_uncontended row in: %s", bench_out);
    CHECKF(row_value(bench_out, "mutex_handoff") >= 0,
           "no mutex_handoff row in: %s", bench_out);
    CHECKF(row_value(bench_out, "wake_latency_idle") < 0,
           "--only mutex_ ran another row: %s", bench_out);
}

TEST(bench_rt_wake_idle_row_prints)
{
    int st = run_bench("wake_latency_idle", bench_out, sizeof(bench_out));
    CHECK_EXITED(st, 0);
    CHECKF(row_value(bench_out, "wake_latency_idle") >= 0,
           "no wake_latency_idle row in: %s", bench_out);
}

const struct utest ut_bench_tests[] = {
    UT_CASE(bench_rt_mutex_rows_print),
    UT_CASE(bench_rt_wake_idle_row_prints),
    UT_END,
};
