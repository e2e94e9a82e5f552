/*
 * /bin/bench: instruction counts per operation, read with rdinstret.
 * Run under `qemu -icount shift=0` with one hart (make bench) so counts
 * are exact and repeatable. Prints "BENCH <name> <instructions>".
 */
#include <keel/abi.h>
#include <keel/cap.h>
#include <keel/sys.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static inline uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static void report(const char *name, uint64_t total, uint64_t ops)
{
    printf("BENCH %s %lu\n", name, (unsigned long)(total / ops));
}

static void bench_null_syscall(void)
{
    const int n = 10000;
    keel_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++)
        keel_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    report("null_syscall", instret() - t0, n);
}

static volatile int yield_stop;

static void *yielder(void *arg)
{
    (void)arg;
    while (!yield_stop)
        sched_yield();
    return NULL;
}

static void bench_yield_switch(void)
{
    const int n = 2000;
    pthread_t t;
    yield_stop = 0;
    pthread_create(&t, NULL, yielder, NULL);
    sched_yield();
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++)
        sched_yield();
    uint64_t total = instret() - t0;
    yield_stop = 1;
    pthread_join(t, NULL);
    report("yield_switch", total, 2ull * n); /* two switches per round */
}

static void bench_pipe_pingpong(const char *self)
{
    const int n = 2000;
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) {
        perror("pipe");
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, to_parent[1], 1);
    posix_spawn_file_actions_addclose(&fa, to_child[1]);
    posix_spawn_file_actions_addclose(&fa, to_parent[0]);
    char *argv[] = {(char *)self, "echo", NULL};
    pid_t pid;
    int err = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        printf("bench: spawn: %s\n", strerror(err));
        return;
    }
    close(to_child[0]);
    close(to_parent[1]);
    char c = 'x';
    write(to_child[1], &c, 1); /* warm up */
    read(to_parent[0], &c, 1);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        write(to_child[1], &c, 1);
        read(to_parent[0], &c, 1);
    }
    uint64_t total = instret() - t0;
    close(to_child[1]);
    close(to_parent[0]);
    waitpid(pid, NULL, 0);
    report("pipe_pingpong", total, n);
}

static void bench_spawn_wait(void)
{
    const int n = 50;
    char *argv[] = {"/bin/true", NULL};
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        pid_t pid;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ) == 0)
            waitpid(pid, NULL, 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    report("spawn_wait", instret() - t0, n);
}

static void bench_cap_get_token(void)
{
    const int n = 10000;
    cap_token_t tok;
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++)
        cap_get_token(0, CAP_TYPE_FD, &tok);
    report("cap_get_token", instret() - t0, n);
}

static void bench_dup_close(void)
{
    const int n = 10000;
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++)
        close(dup(0));
    report("dup_close", instret() - t0, n);
}

/* Child side of the ping-pong: echo bytes until EOF. */
static int echo_loop(void)
{
    char c;
    while (read(0, &c, 1) == 1)
        write(1, &c, 1);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "echo"))
        return echo_loop();
    bench_null_syscall();
    bench_yield_switch();
    bench_pipe_pingpong(argv[0]);
    bench_spawn_wait();
    bench_cap_get_token();
    bench_dup_close();
    return 0;
}
