/*
 * Priority-inheriting futexes: KEEL_FUTEX_LOCK_PI, UNLOCK_PI and
 * TRYLOCK_PI (sys_futex in sync/futex.c checks the word and dispatches
 * here). docs/realtime.md "Wait queues, futexes and priority inheritance".
 *
 * The word (libc/include/keel/abi.h): 0 when free, else the owner's lock
 * id in KEEL_FUTEX_TID_MASK, plus KEEL_FUTEX_WAITERS while the kernel has
 * waiters and KEEL_FUTEX_OWNER_DIED once an owner exited holding it. A
 * lock id is the owner's thread cap slot (CAP_THREAD_SLOT_BASE + its
 * thread slot, what SYS_thread_self returns and libc's locks record): the
 * owner is found through the calling process's threads[].
 *
 * Uncontended locking and unlocking stay in user space (compare-and-swap
 * 0 <-> id). The kernel keeps a record (struct fpi) for a word only while
 * threads wait on it: its PI lock's owner is the word's owner, which
 * inherits the waiters' priority (sync/pi.c). UNLOCK_PI hands the word to
 * the highest-priority waiter: word = its id | WAITERS if more wait.
 *
 * Exit: thread_exit calls futex_pi_exit before it leaves the address
 * space; every word the thread owns with kernel waiters goes to its top
 * waiter with OWNER_DIED set. A word it owned uncontended still holds its
 * id; the next LOCK_PI or TRYLOCK_PI that finds no live thread with that
 * id takes the word, with OWNER_DIED. (A new thread in the same slot has
 * the same id and counts as the owner: there is no robust list.)
 *
 * Locking: fpi_lock (global, "waitq" level) guards the record table and
 * every record's uaddr/proc, and is held across each command's read,
 * compare-and-swap and queueing, so a word with waiters changes only
 * under it (user space may change a word only while WAITERS is clear).
 * Order: fpi_lock -> p->lock (briefly, to find an owner; released before
 * anything else), fpi_lock -> pi_glock -> t->slock -> rq lock, and
 * fpi_lock -> sleep_lock (the timeout). User words are read and swapped
 * with uaccess_cmpxchg32 under fpi_lock (a read is a swap of 0 for 0) (a fault
 * is caught, never slept on). Records: MAX_THREADS of them, as each waiting
 * thread keeps at most one alive; lookups hash (proc, uaddr) into
 * FPI_BUCKETS lists.
 */
#include "../include/cap.h"
#include "../include/futex.h"
#include "../include/pi.h"
#include "../include/proc.h"

#define FPI_BUCKETS 32
#define FPI_RETRIES 64 /* user space raced every compare-and-swap: EAGAIN */

struct fpi {
    struct proc *proc; /* NULL: free */
    uint64_t uaddr;
    struct pi_lock pi;
    struct list node; /* on its bucket, or on fpi_free */
};

static spinlock_t fpi_lock = SPINLOCK_INIT("futex_pi");
static struct fpi fpi_pool[MAX_THREADS];
static struct list fpi_buckets[FPI_BUCKETS];
static struct list fpi_free;
static bool fpi_ready;

static void fpi_init_locked(void)
{
    if (fpi_ready)
        return;
    for (int i = 0; i < FPI_BUCKETS; i++)
        list_init(&fpi_buckets[i]);
    list_init(&fpi_free);
    for (int i = 0; i < MAX_THREADS; i++) {
        pi_lock_init(&fpi_pool[i].pi);
        list_push_back(&fpi_free, &fpi_pool[i].node);
    }
    fpi_ready = true;
}

static struct list *fpi_bucket(struct proc *p, uint64_t uaddr)
{
    uint64_t h = (uaddr >> 2) ^ ((uint64_t)proc_slot_of(p) * 0x9e3779b1u);
    return &fpi_buckets[(h ^ (h >> 7)) % FPI_BUCKETS];
}

static struct fpi *fpi_find(struct proc *p, uint64_t uaddr)
{
    list_for_each(it, fpi_bucket(p, uaddr))
    {
        struct fpi *f = list_entry(it, struct fpi, node);
        if (f->proc == p && f->uaddr == uaddr)
            return f;
    }
    return NULL;
}

static struct fpi *fpi_new(struct proc *p, uint64_t uaddr, struct thread *o)
{
    KASSERT(!list_empty(&fpi_free)); /* one per waiter at most */
    struct fpi *f = list_entry(fpi_free.next, struct fpi, node);
    list_remove(&f->node);
    f->proc = p;
    f->uaddr = uaddr;
    list_push_back(fpi_bucket(p, uaddr), &f->node);
    pi_take(&f->pi, o);
    return f;
}

/* The last waiter left: the owner keeps the word, the record goes. */
static void fpi_drop_if_idle(struct fpi *f)
{
    if (!list_empty(&f->pi.waiters))
        return;
    if (f->pi.owner)
        pi_release(&f->pi);
    list_remove(&f->node);
    f->proc = NULL;
    list_push_back(&fpi_free, &f->node);
}

/* One atomic read of the word: a compare-and-swap that changes nothing. */
static int load_word(uint64_t uaddr, uint32_t *v)
{
    return uaccess_cmpxchg32(uaddr, 0, 0, v);
}

static bool fpi_is_record(struct pi_lock *l)
{
    uint64_t a = (uint64_t)l, lo = (uint64_t)fpi_pool;
    return a >= lo && a < (uint64_t)(fpi_pool + MAX_THREADS);
}

static uint32_t lock_id(struct thread *t)
{
    return (uint32_t)(CAP_THREAD_SLOT_BASE + t->tslot);
}

/* The live thread of p whose lock id is id, or NULL (fpi_lock held; the
 * thread cannot finish exiting while we hold it, see futex_pi_exit). */
static struct thread *owner_of(struct proc *p, uint32_t id)
{
    if (id < CAP_THREAD_SLOT_BASE || id >= CAP_SLOTS)
        return NULL;
    spin_lock(&p->lock);
    struct thread *t = p->threads[id - CAP_THREAD_SLOT_BASE];
    if (t && READ_ONCE(t->futex_exited))
        t = NULL;
    spin_unlock(&p->lock);
    return t;
}

/* Free, or owned by no live thread: try to take the word as `self`.
 * 1 taken, 0 the word changed (look again), <0 a fault. */
static int take_word(uint64_t uaddr, uint32_t v, uint32_t self, bool orphaned)
{
    uint32_t nw = self | (v & KEEL_FUTEX_WAITERS);
    if (orphaned || (v & KEEL_FUTEX_OWNER_DIED))
        nw |= KEEL_FUTEX_OWNER_DIED;
    uint32_t seen;
    int err = uaccess_cmpxchg32(uaddr, v, nw, &seen);
    if (err)
        return err;
    return seen == v;
}

static long lock_pi(uint64_t uaddr, struct kdeadline *dl, bool try)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    uint32_t self = lock_id(t);
    struct fpi *f = NULL;
    long r = -EAGAIN;
    spin_lock(&fpi_lock);
    fpi_init_locked();
    for (int tries = 0; tries < FPI_RETRIES; tries++) {
        uint32_t v, seen;
        int err = load_word(uaddr, &v);
        if (err) {
            r = err;
            goto out;
        }
        uint32_t oid = v & KEEL_FUTEX_TID_MASK;
        if (oid == self) {
            r = -EDEADLK;
            goto out;
        }
        struct thread *o = oid ? owner_of(p, oid) : NULL;
        if (!o) {
            /* Free, or its owner is gone: ours, if the word holds still.
             * A record left with no owner (the word was freed behind the
             * kernel's back) makes us the owner of its waiters. */
            int got = take_word(uaddr, v, self, oid != 0);
            if (got < 0) {
                r = got;
                goto out;
            }
            if (!got)
                continue;
            f = fpi_find(p, uaddr);
            if (f && !f->pi.owner)
                pi_take(&f->pi, t);
            r = 0;
            goto out;
        }
        if (try) {
            r = -EBUSY;
            goto out;
        }
        if (kdl_passed(dl)) {
            r = -ETIMEDOUT;
            goto out;
        }
        f = fpi_find(p, uaddr);
        if (f && f->pi.owner != o) {
            r = -EINVAL; /* the word and the kernel's record disagree */
            goto out;
        }
        if (!(v & KEEL_FUTEX_WAITERS)) {
            err = uaccess_cmpxchg32(uaddr, v, v | KEEL_FUTEX_WAITERS, &seen);
            if (err) {
                r = err;
                goto out;
            }
            if (seen != v)
                continue;
        }
        if (!f)
            f = fpi_new(p, uaddr, o);
        r = pi_wait_begin(&f->pi, t);
        if (r < 0) {
            fpi_drop_if_idle(f);
            goto out;
        }
        break;
    }
    if (r == -EAGAIN)
        goto out;
    /* Queued on f: block until handed the word, a kill or the deadline.
     * pi_release clears pi_blocked_on when it hands us the word (f may
     * be gone by then). */
    for (;;) {
        if (!t->pi_blocked_on) {
            r = 0;
            break;
        }
        t->wchan = fpi_lock.name;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        /* The deadline on its clock: a clock_settime wakes a realtime
         * one to look again (sched.h struct kdeadline). */
        if (t->killed || !kdl_block_prepare(t, dl)) {
            r = t->killed ? -EINTR : -ETIMEDOUT;
            pi_wait_end(&f->pi, t);
            fpi_drop_if_idle(f);
            break;
        }
        spin_unlock(&fpi_lock);
        if (dl)
            timer_program();
        sched_block(t);
        kdl_block_finish(t, dl);
        spin_lock(&fpi_lock);
    }
out:
    spin_unlock(&fpi_lock);
    return r;
}

/* Sets a word that has kernel waiters (fpi_lock held): such a word only
 * changes under fpi_lock, but it is swapped, never torn, all the same. */
static int store_word(uint64_t uaddr, uint32_t nw)
{
    for (int tries = 0; tries < FPI_RETRIES; tries++) {
        uint32_t v, seen;
        int err = load_word(uaddr, &v);
        if (!err)
            err = uaccess_cmpxchg32(uaddr, v, nw, &seen);
        if (err)
            return err;
        if (seen == v)
            return 0;
    }
    return -EAGAIN;
}

/* Hands f's word from its owner to the top waiter (fpi_lock held);
 * `died` marks the word OWNER_DIED. 0 or an error (the word could not
 * be written; ownership moved all the same). */
static int fpi_handoff(struct fpi *f, bool died)
{
    struct thread *w = pi_release(&f->pi);
    KASSERT(w != NULL);
    uint32_t nw = lock_id(w);
    if (!list_empty(&f->pi.waiters))
        nw |= KEEL_FUTEX_WAITERS;
    if (died)
        nw |= KEEL_FUTEX_OWNER_DIED;
    int err = store_word(f->uaddr, nw);
    fpi_drop_if_idle(f);
    sched_wake(w);
    return err;
}

static long unlock_pi(uint64_t uaddr)
{
    struct thread *t = current();
    uint32_t self = lock_id(t);
    long r = -EAGAIN;
    spin_lock(&fpi_lock);
    fpi_init_locked();
    for (int tries = 0; tries < FPI_RETRIES; tries++) {
        uint32_t v, seen;
        int err = load_word(uaddr, &v);
        if (err) {
            r = err;
            break;
        }
        if ((v & KEEL_FUTEX_TID_MASK) != self) {
            r = -EPERM;
            break;
        }
        struct fpi *f = fpi_find(t->proc, uaddr);
        if (f && !list_empty(&f->pi.waiters)) {
            if (f->pi.owner != t) {
                r = -EINVAL;
                break;
            }
            r = fpi_handoff(f, false);
            break;
        }
        err = uaccess_cmpxchg32(uaddr, v, 0, &seen);
        if (err) {
            r = err;
            break;
        }
        if (seen == v) {
            r = 0;
            break;
        }
    }
    spin_unlock(&fpi_lock);
    return r;
}

long futex_pi(uint64_t uaddr, int cmd, struct kdeadline *dl)
{
    switch (cmd) {
    case KEEL_FUTEX_LOCK_PI:
        return lock_pi(uaddr, dl, false);
    case KEEL_FUTEX_TRYLOCK_PI:
        return lock_pi(uaddr, NULL, true);
    case KEEL_FUTEX_UNLOCK_PI:
        return unlock_pi(uaddr);
    default:
        return -EINVAL;
    }
}

void futex_pi_exit(struct thread *t)
{
    spin_lock(&fpi_lock);
    WRITE_ONCE(t->futex_exited, true); /* owner_of: no longer an owner */
    struct pi_lock *l;
    while ((l = pi_first_held(t)) != NULL && fpi_is_record(l)) {
        struct fpi *f = container_of(l, struct fpi, pi);
        fpi_handoff(f, true); /* a fault: the waiter owns it anyway */
    }
    spin_unlock(&fpi_lock);
}
