/*
 * Process-shared read-write locks: the CAP_TYPE_RWLOCK kernel object
 * behind PTHREAD_PROCESS_SHARED rwlocks (docs/syscalls.md "Read-write locks",
 * docs/capabilities.md "Kernel objects"). Reached only through a cap:
 * the lock operations need READ and WRITE, QUERY only READ.
 *
 * Holds belong to threads: the writer (l->writer) and up to KRW_HOLDERS
 * reader threads, each with a count (read recursion). A thread that
 * exits holding the lock gives its holds back then (krwlock_thread_exit,
 * from thread_exit), as does every thread of a process that exits, so
 * nobody waits for a dead holder. A hold taken through a slot that is
 * later revoked or closed stays until the thread unlocks through
 * another slot naming the lock, or exits.
 *
 * Waiting: a blocked thread links a struct krw_waiter (on its kernel
 * stack) into l->waiters, highest priority first (FIFO among equals, the
 * priority it had when it began to wait), and sleeps on the record's own
 * wait queue. Releases hand the lock over (krw_grant) under l->lock: the
 * woken waiter finds the hold already its own. Writer preference, by
 * the POSIX rule for SCHED_FIFO/SCHED_RR: a reader gets the lock only
 * while no writer holds it and no waiting writer has a priority at least
 * its own; a thread already holding a read lock gets another one at once
 * whatever waits. A waiter that leaves without its grant (timeout,
 * -EINTR, a revoked pin: EBADF) runs krw_grant again, since its leaving
 * may let others in.
 *
 * Locking: l->lock guards every field below the header and each waiter
 * record linked on l->waiters. krw_all_lock guards the list of all
 * rwlocks (krw_all) and is taken before any l->lock (only by the exit
 * scan, creation and destroy). Order: krw_all_lock -> l->lock -> a
 * waiter's wq lock -> (sched_wake) thread and run-queue locks.
 * krw_nholds counts holds of every rwlock (atomic), so thread exit skips
 * the scan when there are none.
 */
#include "../include/krwlock.h"
#include "../include/kernel.h"
#include "../include/kobj.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

#define KRW_HOLDERS 24
#define KRW_HOLD_MAX 0xffffu /* read holds of one thread */

struct krw_hold {
    uint16_t tidx1; /* thread pool index + 1; 0: a free entry */
    uint16_t n;     /* its read holds */
};

struct krwlock {
    struct kobj hdr;
    spinlock_t lock;
    struct list waiters;   /* struct krw_waiter.node, by priority */
    struct list all;       /* on krw_all (krw_all_lock) */
    struct thread *writer; /* the write holder, or NULL */
    uint32_t readers;      /* read holds, all threads */
    uint16_t nrwait, nwwait;
    struct krw_hold holds[KRW_HOLDERS];
};
_Static_assert(sizeof(struct krwlock) <= KOBJ_SIZE_MAX, "rwlock cell");
_Static_assert(MAX_THREADS < 0xffff, "thread indices fit tidx1");

struct krw_waiter {
    struct list node; /* on l->waiters while waiting (l->lock) */
    struct thread *t;
    int prio;
    bool writer;
    bool granted;    /* set by the granter, which took it off the list */
    struct waitq wq; /* only this waiter sleeps here */
};

static spinlock_t krw_all_lock = SPINLOCK_INIT("krw_all");
static struct list krw_all = {&krw_all, &krw_all};
static uint32_t krw_nholds; /* atomic */

static struct krwlock *krw_of(struct kobj *o)
{
    return (struct krwlock *)o;
}

static uint16_t tidx1_of(struct thread *t)
{
    return (uint16_t)(thread_pool_index(t) + 1);
}

/* l->lock held: t's read-hold entry, or NULL. */
static struct krw_hold *krw_find(struct krwlock *l, struct thread *t)
{
    uint16_t id = tidx1_of(t);
    for (int i = 0; i < KRW_HOLDERS; i++)
        if (l->holds[i].tidx1 == id)
            return &l->holds[i];
    return NULL;
}

/* l->lock held: one more read hold for t; false if no entry is free. */
static bool krw_add_reader(struct krwlock *l, struct thread *t,
                           struct krw_hold *h)
{
    if (!h) {
        for (int i = 0; i < KRW_HOLDERS && !h; i++)
            if (!l->holds[i].tidx1)
                h = &l->holds[i];
        if (!h)
            return false;
        h->tidx1 = tidx1_of(t);
    }
    h->n++;
    l->readers++;
    __atomic_fetch_add(&krw_nholds, 1, __ATOMIC_RELAXED);
    return true;
}

static void krw_wake(struct krw_waiter *w)
{
    list_remove(&w->node);
    w->granted = true;
    waitq_wake_one(&w->wq);
}

/*
 * l->lock held: hand the lock to the waiters it is now due to. Readers
 * of higher priority than every waiting writer (those ahead of the first
 * writer in the priority-ordered list with a priority above its) get
 * read holds; then, if no thread holds the lock at all, the first
 * writer gets it.
 */
static void krw_grant(struct krwlock *l)
{
    if (l->writer)
        return;
    struct krw_waiter *first_w = NULL;
    list_for_each(it, &l->waiters)
    {
        struct krw_waiter *w = list_entry(it, struct krw_waiter, node);
        if (w->writer) {
            first_w = w;
            break;
        }
    }
    list_for_each_safe(it, tmp, &l->waiters)
    {
        struct krw_waiter *w = list_entry(it, struct krw_waiter, node);
        if (w->writer)
            break; /* the rest are below it, or equal and later */
        if (first_w && w->prio <= first_w->prio)
            break;
        if (!krw_add_reader(l, w->t, krw_find(l, w->t)))
            break; /* no free entry: it waits for a reader to leave */
        krw_wake(w);
    }
    if (first_w && l->readers == 0) {
        l->writer = first_w->t;
        __atomic_fetch_add(&krw_nholds, 1, __ATOMIC_RELAXED);
        krw_wake(first_w);
    }
}

/* Links w into l->waiters before the first waiter of lower priority. */
static void krw_link(struct krwlock *l, struct krw_waiter *w)
{
    list_for_each(it, &l->waiters)
    {
        struct krw_waiter *o = list_entry(it, struct krw_waiter, node);
        if (o->prio < w->prio) {
            list_insert_between(&w->node, it->prev, it);
            return;
        }
    }
    list_push_back(&l->waiters, &w->node);
}

/* l->lock held: may a new reader of priority prio go ahead of the
 * waiting writers? */
static bool krw_reader_may(struct krwlock *l, int prio)
{
    if (l->writer)
        return false;
    list_for_each(it, &l->waiters)
    {
        struct krw_waiter *w = list_entry(it, struct krw_waiter, node);
        if (w->writer)
            return prio > w->prio; /* the highest waiting writer */
    }
    return true;
}

/* The absolute CLOCK_REALTIME time of a timed call, read when it would
 * block: 0, -EFAULT or -EINVAL; *ns the time (0 for a negative tv_sec). */
static int krw_deadline(uint64_t uts, uint64_t *ns)
{
    struct keel_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    int r = clock_ts_to_ns(&ts, ns);
    return r < 0 ? r : 0;
}

/*
 * l->lock held, the caller must wait: blocks until granted (0), the
 * time uts (0: none) has passed (-ETIMEDOUT), the thread is interrupted
 * (-EINTR) or its pin died (-EBADF); -EINVAL/-EFAULT for a bad time.
 */
static int krw_block(struct krwlock *l, bool writer, uint64_t uts,
                     const struct cap_pin *pin)
{
    uint64_t abs_ns = 0;
    struct kdeadline dl;
    if (uts) {
        spin_unlock(&l->lock); /* copy_from_user may fault a page in */
        int e = krw_deadline(uts, &abs_ns);
        spin_lock(&l->lock);
        if (e)
            return e;
        /* Unlocked meanwhile: the caller looks again. */
        if (writer ? !l->writer && l->readers == 0
                   : krw_reader_may(l, READ_ONCE(current()->prio)))
            return -EAGAIN;
    }
    /* The pin before the first sleep too (under l->lock, which the
     * revoke's cancel takes): a revoke between the caller's slot lookup
     * and now has already woken every waiter it could see, not us. */
    if (!cap_pin_live(pin))
        return -EBADF;
    struct thread *t = current();
    struct krw_waiter w = {
        .t = t, .prio = READ_ONCE(t->prio), .writer = writer};
    list_init(&w.node);
    waitq_init(&w.wq, writer ? "rwlock_w" : "rwlock_r");
    krw_link(l, &w);
    if (writer)
        l->nwwait++;
    else
        l->nrwait++;
    int r;
    for (;;) {
        if (uts) {
            /* On CLOCK_REALTIME, following clock_settime (struct
             * kdeadline). */
            kdl_clock(&dl, true, abs_ns);
            r = waitq_wait_deadline(&w.wq, &l->lock, &dl);
        } else {
            r = waitq_wait(&w.wq, &l->lock);
        }
        if (w.granted) {
            r = 0;
            break;
        }
        if (!cap_pin_live(pin))
            r = -EBADF;
        if (r < 0) {
            list_remove(&w.node);
            krw_grant(l); /* its leaving may let others in */
            break;
        }
        /* Woken by a revoke of another slot: wait on. */
    }
    if (writer)
        l->nwwait--;
    else
        l->nrwait--;
    return r;
}

static int krw_rdlock(struct krwlock *l, bool try, uint64_t uts,
                      const struct cap_pin *pin)
{
    struct thread *t = current();
    spin_lock(&l->lock);
    int r;
    for (;;) {
        struct krw_hold *h = krw_find(l, t);
        if (l->writer == t) {
            r = try ? -EBUSY : -EDEADLK;
        } else if (h || krw_reader_may(l, READ_ONCE(t->prio))) {
            if (h && h->n == KRW_HOLD_MAX)
                r = -EAGAIN;
            else
                r = krw_add_reader(l, t, h) ? 0 : -EAGAIN;
        } else if (try) {
            r = -EBUSY;
        } else {
            r = krw_block(l, false, uts, pin);
            if (r == -EAGAIN)
                continue;
        }
        break;
    }
    spin_unlock(&l->lock);
    return r;
}

static int krw_wrlock(struct krwlock *l, bool try, uint64_t uts,
                      const struct cap_pin *pin)
{
    struct thread *t = current();
    spin_lock(&l->lock);
    int r;
    for (;;) {
        if (l->writer == t || krw_find(l, t)) {
            r = try ? -EBUSY : -EDEADLK; /* it would wait for itself */
        } else if (!l->writer && l->readers == 0) {
            l->writer = t;
            __atomic_fetch_add(&krw_nholds, 1, __ATOMIC_RELAXED);
            r = 0;
        } else if (try) {
            r = -EBUSY;
        } else {
            r = krw_block(l, true, uts, pin);
            if (r == -EAGAIN)
                continue;
        }
        break;
    }
    spin_unlock(&l->lock);
    return r;
}

/* l->lock held: give back one of t's holds (the write hold first). */
static int krw_release(struct krwlock *l, struct thread *t)
{
    if (l->writer == t) {
        l->writer = NULL;
    } else {
        struct krw_hold *h = krw_find(l, t);
        if (!h)
            return -EPERM;
        if (--h->n == 0)
            h->tidx1 = 0;
        l->readers--;
    }
    __atomic_fetch_sub(&krw_nholds, 1, __ATOMIC_RELAXED);
    krw_grant(l);
    return 0;
}

static int krw_unlock(struct krwlock *l)
{
    spin_lock(&l->lock);
    int r = krw_release(l, current());
    spin_unlock(&l->lock);
    return r;
}

void krwlock_thread_exit(struct thread *t)
{
    if (!__atomic_load_n(&krw_nholds, __ATOMIC_RELAXED))
        return;
    uint16_t id = tidx1_of(t);
    spin_lock(&krw_all_lock);
    list_for_each(it, &krw_all)
    {
        struct krwlock *l = container_of(it, struct krwlock, all);
        spin_lock(&l->lock);
        uint32_t gone = 0;
        if (l->writer == t) {
            l->writer = NULL;
            gone++;
        }
        for (int i = 0; i < KRW_HOLDERS; i++)
            if (l->holds[i].tidx1 == id) {
                gone += l->holds[i].n;
                l->readers -= l->holds[i].n;
                l->holds[i] = (struct krw_hold){0, 0};
            }
        if (gone) {
            __atomic_fetch_sub(&krw_nholds, gone, __ATOMIC_RELAXED);
            krw_grant(l);
        }
        spin_unlock(&l->lock);
    }
    spin_unlock(&krw_all_lock);
}

/* ---- the object ---- */

static void krw_destroy(struct kobj *o)
{
    struct krwlock *l = krw_of(o);
    spin_lock(&krw_all_lock);
    list_remove(&l->all);
    spin_unlock(&krw_all_lock);
    /* Holds of threads still alive vanish with the lock. */
    uint32_t left = l->readers + (l->writer ? 1 : 0);
    if (left)
        __atomic_fetch_sub(&krw_nholds, left, __ATOMIC_RELAXED);
}

/* R2: a slot naming the lock was revoked: every waiter looks at its pin
 * (those of the revoked slot leave with EBADF, the others wait on). */
static void krw_cancel(struct kobj *o)
{
    struct krwlock *l = krw_of(o);
    spin_lock(&l->lock);
    list_for_each(it, &l->waiters)
    {
        struct krw_waiter *w = list_entry(it, struct krw_waiter, node);
        waitq_wake_one(&w->wq);
    }
    spin_unlock(&l->lock);
}

static const struct kobj_ops krw_ops = {
    .name = "rwlock", .destroy = krw_destroy, .cancel = krw_cancel};

static long krw_create(struct proc *p)
{
    struct krwlock *l =
        kobj_create(CAP_TYPE_RWLOCK, &krw_ops, sizeof(struct krwlock));
    if (!l)
        return -EAGAIN;
    spin_init(&l->lock, "rwlock");
    list_init(&l->waiters);
    spin_lock(&krw_all_lock);
    list_push_back(&krw_all, &l->all);
    spin_unlock(&krw_all_lock);
    int slot = cap_kobj_install(
        p, &l->hdr, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 0);
    kobj_put(&l->hdr); /* the slot has its own reference, or none */
    return slot;
}

static long krw_query(struct krwlock *l, uint64_t uinfo)
{
    spin_lock(&l->lock);
    struct keel_rwlock_info info = {
        .readers = l->readers,
        .writer = l->writer ? 1 : 0,
        .waiting_readers = l->nrwait,
        .waiting_writers = l->nwwait,
    };
    spin_unlock(&l->lock);
    return copy_to_user(uinfo, &info, sizeof(info)) < 0 ? -EFAULT : 0;
}

/* CLOSE: -EBUSY while a thread of p holds the lock. */
static bool krw_held_by(struct krwlock *l, struct proc *p)
{
    spin_lock(&l->lock);
    bool held = l->writer && l->writer->proc == p;
    for (int i = 0; i < KRW_HOLDERS && !held; i++)
        if (l->holds[i].tidx1 &&
            thread_by_index(l->holds[i].tidx1 - 1u)->proc == p)
            held = true;
    spin_unlock(&l->lock);
    return held;
}

long sys_rwlock(long op, long slot, uint64_t arg)
{
    struct proc *p = current()->proc;
    if (op == KEEL_RWLOCK_CREATE)
        return krw_create(p);
    unsigned need = CAP_RIGHT_READ | CAP_RIGHT_WRITE;
    if (op == KEEL_RWLOCK_QUERY || op == KEEL_RWLOCK_CLOSE)
        need = op == KEEL_RWLOCK_QUERY ? CAP_RIGHT_READ : 0;
    else if (op < KEEL_RWLOCK_RDLOCK || op > KEEL_RWLOCK_UNLOCK)
        return -EINVAL;
    struct kobj *o;
    struct cap_pin pin;
    int r = cap_kobj_get(p, (int)slot, CAP_TYPE_RWLOCK, need, &o, &pin);
    if (r < 0)
        return r;
    struct krwlock *l = krw_of(o);
    long res;
    switch (op) {
    case KEEL_RWLOCK_RDLOCK:
    case KEEL_RWLOCK_TRYRDLOCK:
        res = krw_rdlock(l, op == KEEL_RWLOCK_TRYRDLOCK,
                         op == KEEL_RWLOCK_RDLOCK ? arg : 0, &pin);
        break;
    case KEEL_RWLOCK_WRLOCK:
    case KEEL_RWLOCK_TRYWRLOCK:
        res = krw_wrlock(l, op == KEEL_RWLOCK_TRYWRLOCK,
                         op == KEEL_RWLOCK_WRLOCK ? arg : 0, &pin);
        break;
    case KEEL_RWLOCK_UNLOCK:
        res = krw_unlock(l);
        break;
    case KEEL_RWLOCK_QUERY:
        res = krw_query(l, arg);
        break;
    default: /* CLOSE */
        res = krw_held_by(l, p) ? -EBUSY
                                : cap_kobj_close(p, (int)slot, CAP_TYPE_RWLOCK);
        break;
    }
    kobj_put(o);
    return res;
}
