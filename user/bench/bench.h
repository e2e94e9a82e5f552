/*
 * /bin/bench: shared helpers of the benchmark program (main.c: the
 * per-operation rows; rt.c, rt_load.c: the wake-up latency rows;
 * rt_mutex.c: the mutex rows; rt_irq.c: the UART interrupt row).
 *
 * Clocks under `qemu -icount shift=0,sleep=off` (QEMU 7.2): rdinstret
 * and rdcycle read QEMU's virtual clock in ns (one instruction is one
 * ns), shared by every hart; rdtime reads the 10 MHz timebase derived
 * from the same clock (100 ns steps). fine_ns() is rdinstret moved onto
 * CLOCK_MONOTONIC (calibrated once at a timebase step), so it gives
 * 1 ns resolution on the kernel's monotonic clock.
 * Nothing here takes a lock; every row runs in one thread unless it says
 * otherwise.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

static inline uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static inline uint64_t rdtime(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}

#define RT_PERIOD_NS 1000000ull /* the wake-up rows' period, 1 ms */

/* Set by bench_clock_calibrate: fine_ns() = instret() - fine_off, or,
 * where rdinstret is not the virtual clock (no -icount: it counts the
 * hart's own instructions), rdtime() * 100 - fine_off. */
extern int64_t fine_off;
extern bool fine_from_time;

static inline uint64_t fine_ns(void)
{
    if (fine_from_time)
        return rdtime() * 100 - (uint64_t)fine_off;
    return instret() - (uint64_t)fine_off;
}

void bench_clock_calibrate(void);
/* "BENCH name total/ops" (the per-operation rows). */
void report(const char *name, uint64_t total, uint64_t ops);
/* "BENCHRT name value" (the real-time rows; make bench puts the 1-hart
 * and 4-hart values side by side). */
void report_rt(const char *name, uint64_t value);

/* Sleeps until CLOCK_MONOTONIC reaches dl_ns: clock_nanosleep with
 * TIMER_ABSTIME, or (a kernel without it) a relative nanosleep to it. */
void sleep_until_ns(uint64_t dl_ns);
/* The calling thread's priority (SCHED_FIFO); 0 or an errno value. */
int set_self_prio(int prio);

/* Spawns this program as `self mode arg` (arg may be NULL) at priority
 * prio, SCHED_RR. Returns 0 or an errno value. */
int spawn_self(const char *mode, const char *arg, int prio, pid_t *pid);
extern const char *bench_self; /* argv[0] */
/* --only PREFIX: the rows whose names start with PREFIX (NULL: all). */
extern const char *bench_only;
bool rt_selected(const char *row);
extern int bench_harts; /* harts online (kstat) */

/* A child of this program in `mode` with its stdin and stdout on two
 * pipes (main.c). */
struct holder {
    pid_t pid;
    int cmd, ack;
};
int holder_start(const char *self, const char *mode, struct holder *h);
/* The signal_roundtrip row (signal_roundtrip.c). */
void bench_signal_roundtrip(void);
void holder_stop(struct holder *h);

/* Issue 9 per-operation rows, one file each. */
void bench_sem_pingpong(void); /* sem_pingpong.c */
/* mq_roundtrip (mq_roundtrip.c) and its child, `bench mq-echo`. */
void bench_mq_roundtrip(const char *self);
int mq_echo_main(void);
/* mutex_cap (mutex_cap.c) and its child, `bench mutex_cap`. */
void bench_mutex_cap(const char *self);
int mutex_cap_child(void); /* `bench mutex_cap` */

/* Real-time rows (rt.c, rt_mutex.c, rt_irq.c). */
void bench_file_64(void); /* file.c: file_write_64, file_read_64 */
void bench_rt_wake(void);
void bench_rt_mutex(void);
void bench_rt_irq(void);
int rt_load_main(const char *kind); /* `bench load KIND` */
int rt_hog_main(const char *mib);   /* `bench hog MiB` */
int rt_pacer_main(void);            /* `bench pacer` */
/* Starts `bench pacer` on a machine of several harts, or on any if
 * always (rt_pacer.c); 0 if none was started. rt_pacer_stop(0) does
 * nothing. */
pid_t rt_pacer_start(bool always);
void rt_pacer_stop(pid_t pid);
void rt_load_path(pid_t pid, char *buf, size_t n);
/* The wake rows' loads (rt.c), for other rows measured under them
 * (timer_latency.c): rt_loads_start spawns kind's load on every hart
 * (with the pacer on several harts; kind NULL: none) and lets it
 * settle; rt_loads_stop kills and reaps them. */
struct rt_loads {
    pid_t pids[8];
    int n;
    pid_t pacer;
    uint32_t procs_before; /* kstat procs_in_use before the loads */
};
#define RT_LOAD_KINDS 10
extern const char *const rt_load_kinds[RT_LOAD_KINDS];
void rt_loads_start(const char *row, const char *kind, struct rt_loads *l);
void rt_loads_stop(const char *row, struct rt_loads *l);
void bench_timer_latency(void); /* timer_latency.c */
/* kstat's timer counters (all harts): rt_timer_read takes a reading;
 * rt_timer_note prints "bench: ROW: T timer ticks, H expiry holds" for
 * the ticks and the timer expiry budget's holds since `from` (rt.c). */
struct rt_timer_counts {
    uint64_t ticks, holds;
};
void rt_timer_read(struct rt_timer_counts *c);
void rt_timer_note(const char *row, const struct rt_timer_counts *from);

#endif
