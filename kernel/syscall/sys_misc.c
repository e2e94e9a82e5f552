/* Time, power and kernel counters. Power and counters need the caller
 * to hold a system cap (CAP_TYPE_SYSTEM): WRITE to power off, READ to
 * read the counters; EPERM without. */
#include "../include/cap.h"
#include "../include/kobj.h"
#include "../include/proc.h"
#include "../include/vfs.h"

long sys_nanosleep(uint64_t ureq)
{
    struct keel_timespec ts;
    if (copy_from_user(&ts, ureq, sizeof(ts)) < 0)
        return -EFAULT;
    uint64_t ns;
    if (clock_ts_to_ns(&ts, &ns) != 0) /* bad tv_nsec or negative */
        return -EINVAL;
    /* Saturating: a huge request sleeps "forever", it does not wrap. */
    return clock_sleep_relative(ns, 0);
}

long sys_clock_gettime(int clock, uint64_t uout)
{
    uint64_t ns;
    if (clock == KEEL_CLOCK_REALTIME)
        ns = time_realtime_ns();
    else if (clock == KEEL_CLOCK_MONOTONIC)
        ns = time_now_ns();
    else if (!cpuclock_is(clock))
        return -EINVAL;
    else if (cpuclock_read(clock, &ns) < 0)
        return -EINVAL; /* a thread clock with no thread behind it */
    struct keel_timespec ts = {(int64_t)(ns / 1000000000ull),
                               (int64_t)(ns % 1000000000ull)};
    return copy_to_user(uout, &ts, sizeof(ts));
}

long sys_poweroff(int status)
{
    if (!cap_system_held(current()->proc, CAP_RIGHT_WRITE))
        return -EPERM;
    printk("keel: poweroff, status %d\n", status);
    board_poweroff(status);
}

long sys_kstat(uint64_t uout, unsigned flags)
{
    if (!cap_system_held(current()->proc, CAP_RIGHT_READ))
        return -EPERM;
    if (flags & ~(unsigned)KEEL_KSTAT_RESET_MAX)
        return -EINVAL;
    struct keel_kstat k = {0};
    k.threads_exiting = thread_exiting_count(); /* first: see abi.h */
    k.free_pages = page_free_count();
    k.procs_in_use = proc_count();
    k.threads_in_use = thread_count();
    k.files_in_use = file_count();
    k.pipes_in_use = pipe_count();
    k.delegations_in_use = cap_delegations_in_use();
    k.pool_used[KEEL_POOL_PROCS] = k.procs_in_use;
    k.pool_used[KEEL_POOL_THREADS] = k.threads_in_use;
    k.pool_used[KEEL_POOL_FILES] = k.files_in_use;
    k.pool_used[KEEL_POOL_PIPES] = k.pipes_in_use;
    k.pool_used[KEEL_POOL_INODES] = inode_count();
    k.pool_used[KEEL_POOL_DELEGS] = k.delegations_in_use;
    k.pool_used[KEEL_POOL_OBJECTS] = kobj_count();
    k.pool_max[KEEL_POOL_PROCS] = MAX_PROCS;
    k.pool_max[KEEL_POOL_THREADS] = MAX_THREADS;
    k.pool_max[KEEL_POOL_FILES] = MAX_FILES;
    k.pool_max[KEEL_POOL_PIPES] = MAX_PIPES;
    k.pool_max[KEEL_POOL_INODES] = MAX_INODES;
    k.pool_max[KEEL_POOL_DELEGS] = MAX_DELEGATIONS;
    k.pool_max[KEEL_POOL_OBJECTS] = MAX_KOBJS;
    k.pool_max[KEEL_POOL_PAGES] = page_total_count();
    k.pool_used[KEEL_POOL_PAGES] = k.pool_max[KEEL_POOL_PAGES] -
                                   (k.free_pages < k.pool_max[KEEL_POOL_PAGES]
                                        ? k.free_pages
                                        : k.pool_max[KEEL_POOL_PAGES]);
    for (int h = 0; h < nharts; h++) {
        k.harts_online += harts[h].online;
        k.nharts_ran_user += harts[h].ran_user;
        k.timer_ticks += READ_ONCE(harts[h].ticks);
        k.timer_exp_holds += READ_ONCE(harts[h].exp_holds);
    }
    k.console_rx_irq_ns = console_rx_irq_ns();
#ifdef KEEL_LOCKCHECK
    sched_place_sample(&k);
#endif
    /* The bounds (debug kernels; zero in release). With RESET_MAX the
     * maxima restart even when the copy-out fails: the caller asked. */
    lockstat_kstat(&k, flags & KEEL_KSTAT_RESET_MAX);
    return copy_to_user(uout, &k, sizeof(k));
}
