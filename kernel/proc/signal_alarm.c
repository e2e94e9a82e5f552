/*
 * alarm(): one per-process timer (proc_sig.alarm, a timer_node) whose
 * expiry posts SIGALRM (si_code SI_KERNEL) to the process with sig_post,
 * from the timer interrupt. Arming and cancelling are serialized by
 * p->lock (lock order p->lock -> sleep_lock; the fire takes only
 * proc_sig.lock and sched_wake's locks, never p->lock), and the last
 * thread out cancels it (sig_proc_exit) before the process can be
 * reaped, so a fire never sees a freed or reused process.
 */
#include "../include/proc.h"
#include "../include/signal.h"

static void sig_alarm_fire(struct timer_node *tn)
{
    struct proc_sig *ps = container_of(tn, struct proc_sig, alarm);
    struct proc *p = container_of(ps, struct proc, sig);
    sig_post(p, KEEL_SIGALRM, KEEL_SI_KERNEL, 0);
}

void sig_proc_exit(struct proc *p)
{
    spin_lock(&p->lock);
    timer_cancel(&p->sig.alarm);
    p->sig.alarm_deadline = 0;
    spin_unlock(&p->lock);
}

long sys_alarm(uint64_t secs)
{
    struct proc *p = current()->proc;
    const uint64_t ns_per_s = 1000000000ull;
    if (secs > UINT32_MAX)
        return -EINVAL;
    spin_lock(&p->lock);
    uint64_t now = time_now_ticks(), left = 0;
    if (timer_cancel(&p->sig.alarm) && p->sig.alarm_deadline > now)
        left = ticks_to_ns(p->sig.alarm_deadline - now);
    p->sig.alarm_deadline = 0;
    if (secs && !p->exiting) {
        uint64_t dl = now + clock_ns_to_ticks_ceil(secs * ns_per_s);
        p->sig.alarm_deadline = dl;
        timer_arm(&p->sig.alarm, dl, sig_alarm_fire);
    }
    spin_unlock(&p->lock);
    return (long)((left + ns_per_s - 1) / ns_per_s);
}
