/*
 * /bin/bench: irq_latency (docs/performance.md, issue 8): from a UART
 * receive interrupt to the blocked reader running in user mode.
 *
 * The bench main thread (priority 20) puts the console in raw mode,
 * prints "BENCHIRQ ready" and blocks in read(0); the host side of make
 * bench (scripts/bench.sh) answers each such line with one byte. One
 * lower-priority spinner per hart keeps every hart busy, so the reader
 * must preempt it. Under icount the host's timing means nothing, so the
 * start is the kernel's own stamp: kstat's console_rx_irq_ns, the time
 * the receive interrupt that brought the byte in was taken (100 ns
 * timebase steps). A byte that came before the reader blocked is not
 * counted. Row: the maximum over IRQ_ROUNDS bytes.
 * Single-threaded: no locks.
 */
#include <keel/abi.h>
#include <keel/sys.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bench.h"

#define IRQ_ROUNDS 300
#define IRQ_LOAD_PRIO 10

void bench_rt_irq(void)
{
    if (!rt_selected("irq_latency"))
        return;
    struct termios old, raw;
    if (tcgetattr(0, &old) < 0) {
        printf("bench: irq_latency: stdin is not the console\n");
        return;
    }
    raw = old;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
    tcsetattr(0, TCSANOW, &raw);
    pid_t pids[8];
    int n = 0;
    pid_t pacer = rt_pacer_start(false);
    for (; n < bench_harts && n < 8; n++)
        if (spawn_self("load", "spin", IRQ_LOAD_PRIO, &pids[n]))
            break;
    uint64_t max = 0;
    int early = 0, got = 0;
    while (got < IRQ_ROUNDS && early < IRQ_ROUNDS) {
        printf("\nBENCHIRQ ready\n");
        fflush(stdout);
        uint64_t before = fine_ns();
        char c;
        if (read(0, &c, 1) != 1)
            break;
        uint64_t now = fine_ns();
        struct keel_kstat k;
        if (keel_kstat(&k) < 0)
            break;
        if (k.console_rx_irq_ns < before) {
            early++;
            continue;
        }
        uint64_t lat = now - k.console_rx_irq_ns;
        if (lat > max)
            max = lat;
        got++;
    }
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
    rt_pacer_stop(pacer);
    tcsetattr(0, TCSANOW, &old);
    if (got < IRQ_ROUNDS)
        printf("bench: irq_latency: %d bytes timed, %d came early\n", got,
               early);
    report_rt("irq_latency", max);
}
