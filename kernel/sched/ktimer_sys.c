/*
 * The POSIX timer syscalls (docs/syscalls.md "Kernel objects"):
 * timer_create, timer_settime, timer_gettime and timer_ctl (getoverrun,
 * delete, and SIGEV_THREAD's wait and shutdown). A timer is reached only
 * through a CAP_TYPE_TIMER slot of the calling process: WRITE arms and
 * disarms, READ reads; a slot without the right gives EACCES, a slot
 * that is empty or of another type EBADF. The object is in ktimer.c (on a
 * CPU-time clock, cputimer.c); no lock is held here.
 */
#include "../include/cap.h"
#include "../include/kobj.h"
#include "../include/ktimer.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "ktimer_impl.h"

#define NSEC 1000000000ull

static int kt_ts_ns(const struct keel_timespec *ts, uint64_t *ns)
{
    /* tv_nsec out of range or a negative time: EINVAL (POSIX). */
    return clock_ts_to_ns(ts, ns) != 0 ? -EINVAL : 0;
}

static struct keel_timespec kt_ns_ts(uint64_t ns)
{
    struct keel_timespec ts = {(int64_t)(ns / NSEC), (int64_t)(ns % NSEC)};
    return ts;
}

long sys_timer_create(int clock, uint64_t uev)
{
    /* A CPU-time clock is one of the caller's (cputimer.c): its process's
     * or one of its threads' (the calling thread's, or by thread slot). */
    bool cpu = cpuclock_is(clock);
    if (clock != KEEL_CLOCK_MONOTONIC && clock != KEEL_CLOCK_REALTIME && !cpu)
        return -EINVAL;
    int kind = !cpu ? clock
               : clock == KEEL_CLOCK_PROCESS_CPUTIME
                   ? KEEL_CLOCK_PROCESS_CPUTIME
                   : KEEL_CLOCK_THREAD_CPUTIME;
    struct proc *p = current()->proc;
    struct keel_sigevent ev = {KEEL_SIGEV_SIGNAL, KEEL_TIMER_DEFAULT_SIGNO, 0};
    bool dflt = !uev;
    if (uev && copy_from_user(&ev, uev, sizeof(ev)) < 0)
        return -EFAULT;
    struct kobj *target = NULL;
    int r;
    switch (ev.notify) {
    case KEEL_SIGEV_NONE:
    case KEEL_SIGEV_THREAD:
        break;
    case KEEL_SIGEV_SIGNAL:
        if (ev.signo < 1 || ev.signo > KEEL_NSIG)
            return -EINVAL;
        break;
    case KEEL_SIGEV_KEEL_MQ: /* the timer keeps this reference */
    case KEEL_SIGEV_KEEL_SEM:
        r = cap_kobj_get(p, ev.signo,
                         ev.notify == KEEL_SIGEV_KEEL_MQ ? CAP_TYPE_MQUEUE
                                                         : CAP_TYPE_SEMAPHORE,
                         CAP_RIGHT_WRITE, &target, NULL);
        if (r < 0)
            return r == -EBADF ? -EINVAL : r;
        break;
    default:
        return -EINVAL;
    }
    struct ktimer *k;
    r = ktimer_create(kind, ev.notify, ev.signo, ev.value, target, &k);
    if (r < 0) {
        if (target)
            kobj_put(target);
        return r;
    }
    if (cpu && (r = cputimer_bind(k, clock)) < 0) {
        kobj_put(&k->hdr); /* and the target's reference with it */
        return r;
    }
    int slot = cap_kobj_install(
        p, &k->hdr, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 0);
    if (slot >= 0 && dflt) {
        spin_lock(&k->lock); /* POSIX: the default value is the timer id */
        k->value = (uint64_t)slot;
        spin_unlock(&k->lock);
    }
    k->slot = slot;    /* before any expiry: it is not armed yet */
    kobj_put(&k->hdr); /* the slot holds it now (or nothing does) */
    return slot < 0 ? -EAGAIN : slot;
}

long sys_timer_settime(int slot, int flags, uint64_t unew, uint64_t uold)
{
    if (flags & ~KEEL_TIMER_ABSTIME)
        return -EINVAL;
    struct keel_itimerspec its;
    if (copy_from_user(&its, unew, sizeof(its)) < 0)
        return -EFAULT;
    struct kobj *o;
    int r = cap_kobj_get(current()->proc, slot, CAP_TYPE_TIMER, CAP_RIGHT_WRITE,
                         &o, NULL);
    if (r < 0)
        return r;
    uint64_t value, interval, ov, oi;
    bool disarm = its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0;
    if (kt_ts_ns(&its.it_value, &value) < 0 ||
        (!disarm && kt_ts_ns(&its.it_interval, &interval) < 0)) {
        kobj_put(o);
        return -EINVAL;
    }
    if (disarm)
        interval = 0;
    /* An absolute time of 0 (the epoch, boot) is past: it expires now. */
    bool abs = !disarm && (flags & KEEL_TIMER_ABSTIME);
    r = ktimer_settime((struct ktimer *)o, abs, value, interval, &ov, &oi);
    kobj_put(o);
    if (r < 0)
        return r; /* nothing changed */
    if (uold) {
        struct keel_itimerspec old = {kt_ns_ts(oi), kt_ns_ts(ov)};
        if (copy_to_user(uold, &old, sizeof(old)) < 0)
            return -EFAULT; /* the new setting stands (as with Linux) */
    }
    return 0;
}

long sys_timer_gettime(int slot, uint64_t ucur)
{
    struct kobj *o;
    int r = cap_kobj_get(current()->proc, slot, CAP_TYPE_TIMER, CAP_RIGHT_READ,
                         &o, NULL);
    if (r < 0)
        return r;
    uint64_t v, i;
    ktimer_gettime((struct ktimer *)o, &v, &i);
    kobj_put(o);
    struct keel_itimerspec cur = {kt_ns_ts(i), kt_ns_ts(v)};
    return copy_to_user(ucur, &cur, sizeof(cur)) < 0 ? -EFAULT : 0;
}

static long kt_delete(struct proc *p, int slot)
{
    struct kobj *o;
    int r = cap_kobj_get(p, slot, CAP_TYPE_TIMER, 0, &o, NULL);
    if (r < 0)
        return r;
    /* POSIX: an armed timer is disarmed first; through a slot without
     * WRITE only the slot goes (the timer's other holders keep it). */
    struct kobj *w;
    if (cap_kobj_get(p, slot, CAP_TYPE_TIMER, CAP_RIGHT_WRITE, &w, NULL) == 0) {
        ktimer_disarm((struct ktimer *)w);
        kobj_put(w);
    }
    r = cap_kobj_close(p, slot, CAP_TYPE_TIMER);
    /* A waiter (SIGEV_THREAD's helper) that came through the slot now
     * has a dead pin: wake it to see so. */
    struct ktimer *k = (struct ktimer *)o;
    waitq_wake_all(&k->wq);
    kobj_put(o);
    return r;
}

long sys_timer_ctl(int slot, int op, uint64_t arg)
{
    (void)arg;
    struct proc *p = current()->proc;
    struct kobj *o;
    struct cap_pin pin;
    int r;
    switch (op) {
    case KEEL_TIMER_GETOVERRUN:
        r = cap_kobj_get(p, slot, CAP_TYPE_TIMER, CAP_RIGHT_READ, &o, NULL);
        if (r < 0)
            return r;
        r = (int)ktimer_getoverrun((struct ktimer *)o);
        kobj_put(o);
        return r;
    case KEEL_TIMER_DELETE:
        return kt_delete(p, slot);
    case KEEL_TIMER_WAIT:
        r = cap_kobj_get(p, slot, CAP_TYPE_TIMER, CAP_RIGHT_READ, &o, &pin);
        if (r < 0)
            return r;
        r = ktimer_wait((struct ktimer *)o, &pin);
        kobj_put(o);
        return r;
    case KEEL_TIMER_SHUTDOWN:
        r = cap_kobj_get(p, slot, CAP_TYPE_TIMER, CAP_RIGHT_WRITE, &o, NULL);
        if (r < 0)
            return r;
        r = ktimer_shutdown((struct ktimer *)o);
        kobj_put(o);
        return r;
    default:
        return -EINVAL;
    }
}
