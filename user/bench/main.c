/*
 * /bin/bench: instruction counts per operation, read with rdinstret, and
 * the real-time rows (rt*.c). Run under `qemu -icount shift=0,sleep=off`
 * (make bench) so counts are exact and repeatable. Prints "BENCH <name>
 * <instructions>" (one hart) and "BENCHRT <name> <ns>" (make bench runs
 * it on one hart, then as `bench --rt` on four, and prints both).
 * Single-threaded except the yield and mutex rows: no locks.
 */
#include <keel/abi.h>
#include <keel/cap.h>
#include <keel/sys.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

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

/* Spawn this program in `mode` with its stdin and stdout on two pipes. */
int holder_start(const char *self, const char *mode, struct holder *h)
{
    int to[2], from[2];
    if (pipe(to) || pipe(from))
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 1);
    posix_spawn_file_actions_addclose(&fa, to[1]);
    posix_spawn_file_actions_addclose(&fa, from[0]);
    char *argv[] = {(char *)self, (char *)mode, NULL};
    /* spawnp: argv[0] is "bench" when the shell started us by name */
    int err = posix_spawnp(&h->pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(to[0]);
    close(from[1]);
    h->cmd = to[1];
    h->ack = from[0];
    return err ? -1 : 0;
}

void holder_stop(struct holder *h)
{
    close(h->cmd);
    close(h->ack);
    waitpid(h->pid, NULL, 0);
}

static void bench_pipe_pingpong(const char *self)
{
    const int n = 2000;
    struct holder h;
    if (holder_start(self, "echo", &h)) {
        printf("bench: spawn failed\n");
        return;
    }
    char c = 'x';
    write(h.cmd, &c, 1); /* warm up */
    read(h.ack, &c, 1);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        write(h.cmd, &c, 1);
        read(h.ack, &c, 1);
    }
    uint64_t total = instret() - t0;
    holder_stop(&h);
    report("pipe_pingpong", total, n);
}

/* Spawn /bin/true and wait for it, n times; with_actions adds three
 * file actions (open, dup2, close). */
static void bench_spawn(const char *name, bool with_actions)
{
    const int n = 50;
    char *argv[] = {"/bin/true", NULL};
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        pid_t pid;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (with_actions) {
            posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
            posix_spawn_file_actions_adddup2(&fa, 1, 2);
            posix_spawn_file_actions_addclose(&fa, 0);
        }
        if (posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ) == 0)
            waitpid(pid, NULL, 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    report(name, instret() - t0, n);
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

static void bench_cap_drop(void)
{
    const int n = 5000;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        int fd = dup(0);
        cap_token_t tok;
        uint64_t t0 = instret();
        cap_get_token(fd, CAP_TYPE_FD, &tok);
        cap_drop(tok);
        total += instret() - t0;
    }
    report("cap_drop", total, n);
}

/* A child that holds delegated caps: on "d<slot><count>" it dups the
 * slot count times and answers one byte; it exits at EOF. */
static int hold_loop(void)
{
    unsigned char cmd[3];
    while (read(0, cmd, 3) == 3) {
        for (int i = 0; i < cmd[2]; i++)
            dup(cmd[1]);
        write(1, "k", 1);
    }
    return 0;
}

static void bench_cap_transfer(const char *self)
{
    const int n = 2000;
    struct holder h;
    int p[2];
    if (holder_start(self, "hold", &h) || pipe(p)) {
        printf("bench: holder failed\n");
        return;
    }
    cap_token_t tok, del;
    cap_get_token(p[1], CAP_TYPE_FD, &tok);
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        cap_transfer(h.pid, tok, CAP_RIGHT_WRITE, &del, NULL);
        cap_revoke_delegate(del);
    }
    report("cap_transfer", instret() - t0, n);
    /* revoke_n: one delegated slot plus n-1 copies the receiver made. */
    static const int ns[] = {1, 16, 64};
    for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        const int rounds = 20;
        uint64_t total = 0;
        for (int r = 0; r < rounds; r++) {
            int slot;
            if (cap_transfer(h.pid, tok, CAP_RIGHT_WRITE, &del, &slot)) {
                printf("bench: transfer: %s\n", strerror(errno));
                break;
            }
            unsigned char cmd[3] = {'d', (unsigned char)slot,
                                    (unsigned char)(ns[k] - 1)};
            char ack;
            write(h.cmd, cmd, 3);
            read(h.ack, &ack, 1);
            uint64_t t1 = instret();
            cap_revoke_delegate(del);
            total += instret() - t1;
        }
        char name[32];
        snprintf(name, sizeof(name), "revoke_%d", ns[k]);
        report(name, total, rounds);
    }
    close(p[0]);
    close(p[1]);
    holder_stop(&h);
}

/* Child side of the ping-pong: echo bytes until EOF. */
static int echo_loop(void)
{
    char c;
    while (read(0, &c, 1) == 1)
        write(1, &c, 1);
    return 0;
}

/* The real-time rows; the UART row only with --irq (a host that answers
 * "BENCHIRQ ready" lines with a byte: scripts/bench.sh). */
static void rt_rows(bool irq)
{
    bench_rt_wake();
    bench_rt_mutex();
    bench_timer_latency();
    if (irq)
        bench_rt_irq();
}

/*
 * bench [--rt] [--irq] [--classic] [--only PREFIX]: every row (the
 * per-operation rows and the real-time rows); --rt only the real-time
 * rows, --classic only the per-operation ones; --irq adds irq_latency;
 * --only PREFIX keeps the real-time rows named PREFIX... Other modes are this
 * program's own children (echo, hold, load KIND, hog MiB).
 */
int main(int argc, char **argv)
{
    bench_self = argv[0];
    const char *mode = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : NULL;
    if (!strcmp(mode, "echo"))
        return echo_loop();
    if (!strcmp(mode, "hold"))
        return hold_loop();
    if (!strcmp(mode, "mq-echo"))
        return mq_echo_main();
    if (!strcmp(mode, "load"))
        return rt_load_main(arg);
    if (!strcmp(mode, "hog"))
        return rt_hog_main(arg);
    if (!strcmp(mode, "pacer"))
        return rt_pacer_main();
    if (!strcmp(mode, "mutex_cap"))
        return mutex_cap_child();
    bool rt_only = false, classic_only = false, irq = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rt"))
            rt_only = true;
        else if (!strcmp(argv[i], "--classic"))
            classic_only = true;
        else if (!strcmp(argv[i], "--irq"))
            irq = true;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            bench_only = argv[++i];
        else {
            fprintf(stderr,
                    "usage: bench [--rt|--classic] [--irq] [--only PREFIX]\n");
            return 2;
        }
    }
    struct keel_kstat k;
    if (keel_kstat(&k) == 0 && k.harts_online > 0)
        bench_harts = (int)k.harts_online;
    bench_clock_calibrate();
    if (!rt_only) {
        bench_null_syscall();
        bench_yield_switch();
        bench_pipe_pingpong(argv[0]);
        bench_mq_roundtrip(argv[0]);
        bench_spawn("spawn_wait", false);
        bench_cap_get_token();
        bench_cap_drop();
        bench_dup_close();
        bench_cap_transfer(argv[0]);
        bench_spawn("spawn_fa3", true);
        bench_sem_pingpong();
        bench_signal_roundtrip();
        bench_file_64();
        bench_mutex_cap(argv[0]);
    }
    if (!classic_only)
        rt_rows(irq);
    return 0;
}
