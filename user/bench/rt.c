/*
 * /bin/bench: the wake-up latency rows (docs/performance.md, issue 8).
 *
 * For each load, the bench's main thread, at priority RT_TOP_PRIO
 * (SCHED_FIFO), sleeps to absolute deadlines RT_PERIOD_NS apart while
 * one lower-priority process per hart (RT_LOAD_PRIO, SCHED_RR) runs the
 * load (rt_load.c). Its lateness is the time from the deadline to the
 * thread running again in user mode (fine_ns, 1 ns resolution); the row
 * is the maximum over RT_WAKEUPS wake-ups. A deadline missed by more
 * than a period is not re-counted: the next one is the first still
 * ahead. On several harts every row with a load also runs the pacer
 * (rt_pacer.c); wake_latency_pacer is the pacer alone (on one hart too).
 * Also the shared helpers: clock calibration, reporting, priorities and
 * spawning this program in a mode.
 * Single-threaded except where rt_mutex.c says otherwise: no locks.
 */
#include <keel/abi.h>
#include <keel/sys.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define RT_TOP_PRIO 20
#define RT_LOAD_PRIO 10
#define RT_WAKEUPS 300
#define RT_SETTLE_NS 5000000ull /* loads start (or finish) meanwhile */

int64_t fine_off;
bool fine_from_time;
const char *bench_self = "bench";
const char *bench_only;

bool rt_selected(const char *row)
{
    return !bench_only || !strncmp(row, bench_only, strlen(bench_only));
}
int bench_harts = 1;

void bench_clock_calibrate(void)
{
    /* CLOCK_MONOTONIC is the timebase in ns (the kernel's time_now_ns);
     * a kernel that moved it is reported, and followed to within the
     * length of the call. */
    struct timespec m;
    uint64_t t0 = rdtime();
    clock_gettime(CLOCK_MONOTONIC, &m);
    uint64_t mono_ns = (uint64_t)m.tv_sec * 1000000000ull + (uint64_t)m.tv_nsec;
    int64_t mono_off = 0, d = (int64_t)(t0 * 100) - (int64_t)mono_ns;
    if (d > 1000 || d < -1000) {
        mono_off = d;
        printf("bench: CLOCK_MONOTONIC is rdtime*100 %+ld ns\n", (long)-d);
    }
    /* At a timebase step, instret (virtual ns) and rdtime*100 agree. */
    uint64_t t = rdtime(), t1, i;
    do {
        t1 = rdtime();
        i = instret();
    } while (t1 == t);
    fine_off = (int64_t)i - (int64_t)(t1 * 100) + mono_off;
    /* Under -icount both clocks still agree after a sleep (to within a
     * timebase step); otherwise rdinstret counts instructions. */
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
    int64_t drift = (int64_t)(instret() - (uint64_t)fine_off) -
                    (int64_t)(rdtime() * 100 - (uint64_t)mono_off);
    if (drift > 1000 || drift < -1000) {
        fine_from_time = true;
        fine_off = mono_off;
        printf("bench: rdinstret is not the virtual clock (no -icount?): "
               "times in 100 ns timebase steps\n");
    }
}

void report(const char *name, uint64_t total, uint64_t ops)
{
    printf("BENCH %s %lu\n", name, (unsigned long)(total / ops));
}

void report_rt(const char *name, uint64_t value)
{
    /* A leading newline: a killed console load may leave a line open. */
    printf("\nBENCHRT %s %lu\n", name, (unsigned long)value);
    fflush(stdout);
}

static int have_abs = 1; /* clock_nanosleep(TIMER_ABSTIME) works */

void sleep_until_ns(uint64_t dl)
{
    struct keel_timespec ts = {(int64_t)(dl / 1000000000ull),
                               (int64_t)(dl % 1000000000ull)};
    if (have_abs) {
        long r = keel_syscall6(SYS_clock_nanosleep, KEEL_CLOCK_MONOTONIC,
                               KEEL_TIMER_ABSTIME, (long)&ts, 0, 0, 0);
        if (r != -ENOSYS)
            return;
        have_abs = 0;
    }
    uint64_t now = fine_ns();
    if (now >= dl)
        return;
    struct timespec rel = {(time_t)((dl - now) / 1000000000ull),
                           (long)((dl - now) % 1000000000ull)};
    nanosleep(&rel, NULL);
}

int set_self_prio(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

int spawn_self(const char *mode, const char *arg, int prio, pid_t *pid)
{
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    struct sched_param sp = {.sched_priority = prio};
    posix_spawnattr_setschedpolicy(&at, SCHED_RR);
    posix_spawnattr_setschedparam(&at, &sp);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDULER);
    char *argv[] = {(char *)bench_self, (char *)mode, (char *)arg, NULL};
    int err = posix_spawnp(pid, bench_self, NULL, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    return err;
}

/* The maximum lateness over n wake-ups at RT_PERIOD_NS. */
static uint64_t wake_max(int n)
{
    uint64_t dl = (fine_ns() / RT_PERIOD_NS + 2) * RT_PERIOD_NS, max = 0;
    for (int k = 0; k < n; k++) {
        sleep_until_ns(dl);
        uint64_t now = fine_ns();
        uint64_t late = now > dl ? now - dl : 0;
        if (late > max)
            max = late;
        do
            dl += RT_PERIOD_NS;
        while (dl < now + RT_PERIOD_NS / 10);
    }
    return max;
}

static void settle(void)
{
    sleep_until_ns(fine_ns() + RT_SETTLE_NS);
}

/* Starts the loads of `kind` (NULL: none) as a wake row runs them, and
 * lets them settle; rt_loads_stop ends them. */
void rt_loads_start(const char *row, const char *kind, struct rt_loads *l)
{
    pid_t *pids = l->pids;
    int n = 0;
    struct keel_kstat k;
    l->procs_before = keel_kstat(&k) == 0 ? k.procs_in_use : 0;
    /* One console writer (QEMU is slow to pass bytes on): the other
     * harts spin. */
    int nkind = kind && !strcmp(kind, "console_64k") ? 1 : bench_harts;
    if (kind && strcmp(kind, "pacer")) {
        for (; n < bench_harts && n < 8; n++) {
            int err = spawn_self("load", n < nkind ? kind : "spin",
                                 RT_LOAD_PRIO, &pids[n]);
            if (err) {
                printf("bench: %s: spawn: %s\n", row, strerror(err));
                break;
            }
        }
    }
    /* The pacer row: the pacer alone, on one hart too. */
    bool pacer_only = kind && !strcmp(kind, "pacer");
    l->pacer = kind ? rt_pacer_start(pacer_only) : 0;
    l->n = n;
    settle();
}

void rt_loads_stop(const char *row, struct rt_loads *l)
{
    pid_t *pids = l->pids;
    int n = l->n;
    rt_pacer_stop(l->pacer);
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        if (!WIFSIGNALED(st))
            printf("bench: %s: load exited early (status %d)\n", row, st);
        char path[32];
        rt_load_path(pids[i], path, sizeof(path));
        unlink(path); /* the write loads' file, if any */
    }
    settle();
    /* A killed load's child lives on (init reaps it): the exit_32m
     * load's still touches its 32 MiB, for tens of ms on four harts.
     * Wait until every process the loads started is gone (at most 2 s),
     * or it runs on into the next row (mutex_uncontended read 177 after
     * exit_32m, 38 after the others, with keel.turn_us). */
    struct keel_kstat k;
    for (int ms = 0; ms < 2000 && keel_kstat(&k) == 0 &&
                     (k.procs_in_use > l->procs_before || k.threads_exiting);
         ms++)
        sleep_until_ns(fine_ns() + 1000000ull);
}

void rt_timer_read(struct rt_timer_counts *c)
{
    struct keel_kstat k;
    if (keel_kstat(&k) < 0)
        k.timer_ticks = k.timer_exp_holds = 0;
    c->ticks = k.timer_ticks;
    c->holds = k.timer_exp_holds;
}

void rt_timer_note(const char *row, const struct rt_timer_counts *from)
{
    struct rt_timer_counts now;
    rt_timer_read(&now);
    printf("bench: %s: %lu timer ticks, %lu expiry holds\n", row,
           (unsigned long)(now.ticks - from->ticks),
           (unsigned long)(now.holds - from->holds));
}

/* One row: n loads of kind running (kind NULL: none). The note counts
 * the wake-ups' stretch only (no settling, no load start or stop). */
static void wake_row(const char *row, const char *kind)
{
    struct rt_loads l;
    struct rt_timer_counts c;
    rt_loads_start(row, kind, &l);
    rt_timer_read(&c);
    uint64_t max = wake_max(RT_WAKEUPS);
    rt_timer_note(row, &c);
    rt_loads_stop(row, &l);
    report_rt(row, max);
}

const char *const rt_load_kinds[RT_LOAD_KINDS] = {
    "pacer",   "spin",     "spawn",       "write_1m",  "write_2m_new",
    "brk_60m", "spawn_3m", "console_64k", "revoke_64", "exit_32m",
};

void bench_rt_wake(void)
{
    const char *const *kinds = rt_load_kinds;
    int err = set_self_prio(RT_TOP_PRIO);
    if (err) {
        printf("bench: priority %d: %s\n", RT_TOP_PRIO, strerror(err));
        return;
    }
    if (rt_selected("wake_latency_idle"))
        wake_row("wake_latency_idle", NULL);
    for (unsigned i = 0; i < RT_LOAD_KINDS; i++) {
        char row[48];
        snprintf(row, sizeof(row), "wake_latency_%s", kinds[i]);
        if (rt_selected(row))
            wake_row(row, kinds[i]);
    }
}
