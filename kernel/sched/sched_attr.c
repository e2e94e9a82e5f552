/*
 * The scheduling-attribute system calls: sched_rr_get_interval, and
 * sched_setattr / sched_getattr (Linux's shape; SCHED_DEADLINE's logic is
 * in edf.c, fixed policies go through thread_setschedparam). The thread
 * is named as
 * in thread_setschedparam: token 0 is the calling thread, else a thread
 * cap token of the caller's (READ to read, WRITE to change).
 *
 * Locking: the caller's cap lock is held across the lookup and the use,
 * which pins the thread (cap_thread_lookup_locked); the scheduling state
 * itself is read or changed under the protocol of sched.c.
 */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"

/* The SCHED_RR quantum of the thread tok names: TIME_SLICE_US for an RR
 * thread, 0 for any other policy (FIFO and DEADLINE threads have no
 * slice; Linux reports 0 for them too). */
long sys_sched_rr_get_interval(uint64_t tok, uint64_t uts)
{
    struct proc *p = current()->proc;
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_READ, &err);
    int policy = t ? READ_ONCE(t->policy) : 0;
    cap_unlock(p);
    if (!t)
        return err;
    uint64_t ns = policy == KEEL_SCHED_RR ? TIME_SLICE_US * 1000ull : 0;
    struct keel_timespec ts = {.tv_sec = (int64_t)(ns / 1000000000ull),
                               .tv_nsec = (int64_t)(ns % 1000000000ull)};
    if (copy_to_user(uts, &ts, sizeof(ts)) < 0)
        return -EFAULT;
    return 0;
}

long sys_thread_setschedparam(uint64_t tok, int policy, int prio);

/* Linux's size rules, loosely: 0 means KEEL_SCHED_ATTR_SIZE; less is
 * EINVAL; more (up to a page) is accepted if every byte past ours is 0,
 * else E2BIG, and then (as Linux does) our size is written back. */
static int attr_copy_in(uint64_t uattr, struct keel_sched_attr *a)
{
    uint32_t size;
    if (!uattr)
        return -EINVAL;
    if (copy_from_user(&size, uattr, sizeof(size)) < 0)
        return -EFAULT;
    if (size == 0)
        size = KEEL_SCHED_ATTR_SIZE;
    if (size < KEEL_SCHED_ATTR_SIZE)
        return -EINVAL;
    bool big = size > PAGE_SIZE;
    uint8_t buf[64];
    for (uint32_t off = KEEL_SCHED_ATTR_SIZE; !big && off < size;) {
        uint32_t n = MIN((uint32_t)sizeof(buf), size - off);
        if (copy_from_user(buf, uattr + off, n) < 0)
            return -EFAULT;
        for (uint32_t i = 0; i < n; i++)
            big |= buf[i] != 0;
        off += n;
    }
    if (big) {
        uint32_t ours = KEEL_SCHED_ATTR_SIZE;
        if (copy_to_user(uattr, &ours, sizeof(ours)) < 0)
            return -EFAULT;
        return -E2BIG;
    }
    if (copy_from_user(a, uattr, sizeof(*a)) < 0)
        return -EFAULT;
    return 0;
}

/*
 * SCHED_DEADLINE with runtime, deadline and period (edf.c), or a fixed
 * policy with a priority, exactly as thread_setschedparam (the same
 * authority and errors). A deadline thread runs above every priority, so
 * making one needs the caller's ceiling to be KEEL_PRIO_MAX (else EPERM),
 * and WRITE on the thread cap.
 */
long sys_sched_setattr(uint64_t tok, uint64_t uattr, unsigned flags)
{
    if (flags)
        return -EINVAL;
    struct keel_sched_attr a;
    int err = attr_copy_in(uattr, &a);
    if (err)
        return err;
    if (a.sched_flags)
        return -EINVAL; /* no SCHED_FLAG_* is supported */
    if (a.sched_policy != KEEL_SCHED_DEADLINE)
        return sys_thread_setschedparam(tok, (int)a.sched_policy,
                                        (int)a.sched_priority);
    struct edf_params prm = {.runtime_ns = a.sched_runtime,
                             .deadline_ns = a.sched_deadline,
                             .period_ns = a.sched_period};
    if (a.sched_priority != 0)
        return -EINVAL;
    err = edf_check(prm.runtime_ns, prm.deadline_ns, &prm.period_ns);
    if (err)
        return err;
    struct thread *self = current();
    struct proc *p = self->proc;
    cap_lock(p);
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_WRITE, &err);
    long r;
    if (!t)
        r = err;
    else if (READ_ONCE(self->ceiling) < KEEL_PRIO_MAX)
        r = -EPERM;
    else
        r = edf_set(t, &prm);
    cap_unlock(p);
    return r;
}

long sys_sched_getattr(uint64_t tok, uint64_t uattr, unsigned size,
                       unsigned flags)
{
    if (flags || !uattr || size < KEEL_SCHED_ATTR_SIZE || size > PAGE_SIZE)
        return -EINVAL;
    struct proc *p = current()->proc;
    struct keel_sched_attr a = {.size = KEEL_SCHED_ATTR_SIZE};
    cap_lock(p);
    int err;
    struct thread *t = cap_thread_lookup_locked(p, tok, CAP_RIGHT_READ, &err);
    if (t) {
        spin_lock(&t->slock);
        a.sched_policy = (uint32_t)sched_policy_report(t, t->policy);
        if (t->policy == KEEL_SCHED_DEADLINE) {
            a.sched_runtime = t->dl.runtime_ns;
            a.sched_deadline = t->dl.deadline_ns;
            a.sched_period = t->dl.period_ns;
        } else {
            /* Its own priority, not what PI lends it. */
            a.sched_priority = (uint32_t)sched_base_prio(t);
        }
        spin_unlock(&t->slock);
    }
    cap_unlock(p);
    if (!t)
        return err;
    if (copy_to_user(uattr, &a, sizeof(a)) < 0)
        return -EFAULT;
    return 0;
}
