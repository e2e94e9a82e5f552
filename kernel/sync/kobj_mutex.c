/*
 * Kernel mutex objects (CAP_TYPE_MUTEX, include/kmx.h): SYS_mutex, the
 * object behind a process-shared or robust pthread_mutex_t
 * (docs/syscalls.md "Kernel objects", docs/capabilities.md).
 *
 * Protocol:
 *  M1. lock: under m->lock, a free mutex is taken at once (the caller's
 *      pin reference becomes the ownership reference, so an owned mutex
 *      outlives every slot naming it); a held one blocks.
 *  M2. PROTO_INHERIT: a blocked locker waits on m->pi, created for the
 *      owner when the first waiter comes (pi_take on its behalf), so the
 *      owner inherits the waiters' priority transitively (sync/pi.c);
 *      unlock hands ownership (and the ownership reference) straight to
 *      the highest-priority waiter; the record goes with the last waiter.
 *  M3. the other protocols: a blocked locker sleeps on m->wq; unlock
 *      frees the mutex and wakes the highest-priority waiter, which takes
 *      it if still free (a running locker may take it first: PRIO_NONE
 *      promises no order). PRIO_PROTECT's ceiling is applied by libc
 *      around the call (libc/src/kmutex.c).
 *  M4. every wake-up re-checks the pin (revoke: -EBADF), kill (-EINTR,
 *      libc retries), the deadline (-ETIMEDOUT) and the state.
 *  M5. owner exit (kmx_thread_exit, from thread_exit): each mutex the
 *      thread holds passes on as by unlock with `died` set; whoever takes
 *      it next gets -EOWNERDEAD and holds it. Robust: the mutex is then
 *      inconsistent until CONSISTENT; unlocked without it, it becomes
 *      not recoverable (every waiter and later locker -ENOTRECOVERABLE).
 *      Not robust: the same -EOWNERDEAD once, the mutex stays usable.
 *  M6. revoke (ops->cancel): takes m->lock, then wakes every waiter;
 *      those that came through the revoked slot see their pin dead and
 *      leave with -EBADF. A locker checks its pin under m->lock before
 *      it first sleeps as well as after every wake-up, so a revoke that
 *      falls between its slot lookup and its sleep is not missed.
 *  M7. the uncontended LOCK and UNLOCK skip the cap lock (sys_mutex,
 *      kmx_fast: the slot word read twice around the object's liveness
 *      check), for the mutex_cap bench row; all else goes through M1-M6.
 *      The owner's record of a mutex is its thread's kmx_one when free
 *      (one store), else its kmx_held list (include/kmx.h), whoever
 *      takes it; M5 walks both.
 *  M8. a thread holding a PROTO_INHERIT mutex keeps its place in its
 *      run queue when its own priority is set (POSIX
 *      pthread_mutexattr_setprotocol; sync/pi.c sched_set_prio_pos),
 *      whether anyone waits or not: kmx_holds_pi answers from kmx_one's
 *      protocol and kmx_pi_listed, the PI mutexes on kmx_held (counted
 *      only off the fast paths' kmx_one branch, so those pay nothing).
 * Locking: include/kmx.h. No kobj_put with a spinlock held.
 */
#include "../include/kmx.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../../libc/include/keel/abi.h"

#define KMX_TYPE(m) ((m)->flags & KEEL_MUTEX_TYPE_MASK)
#define KMX_PI(m)                                                              \
    (((m)->flags & KEEL_MUTEX_PROTO_MASK) == KEEL_MUTEX_PROTO_INHERIT)
#define KMX_ROBUST(m) ((m)->flags & KEEL_MUTEX_F_ROBUST)

static void kmx_destroy(struct kobj *o)
{
    struct kmx *m = (struct kmx *)o;
    KASSERT(m->owner == NULL && m->pi.owner == NULL);
}

/* M6: every waiter looks at its pin again. */
static void kmx_cancel(struct kobj *o)
{
    struct kmx *m = (struct kmx *)o;
    spin_lock(&m->lock);
    list_for_each(it, &m->pi.waiters)
    {
        sched_wake(list_entry(it, struct thread, wait_node));
    }
    spin_unlock(&m->lock);
    waitq_wake_all(&m->wq);
}

static const struct kobj_ops kmx_ops = {"mutex", kmx_destroy, kmx_cancel};

_Static_assert(KEEL_MUTEX_CONSISTENT_STATE == 0 &&
                   offsetof(struct kmx, nwait) ==
                       offsetof(struct kmx, count) + 4 &&
                   offsetof(struct kmx, died) ==
                       offsetof(struct kmx, state) + 4,
               "the fast paths' paired words");

int kmx_deadline(uint64_t uts, long clocksel, struct kdeadline *dl)
{
    struct keel_timespec ts;
    uint64_t ns;
    if (clocksel != KEEL_CLOCKSEL_REALTIME &&
        clocksel != KEEL_CLOCKSEL_MONOTONIC)
        return -EINVAL;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    int r = clock_ts_to_ns(&ts, &ns);
    if (r < 0)
        return r;
    kdl_clock(dl, clocksel == KEEL_CLOCKSEL_REALTIME, ns);
    return 0;
}

/* m goes on t's kmx_held (m->lock held), counted if PI (M8). */
static void kmx_list(struct thread *t, struct kmx *m)
{
    list_push_back(&t->kmx_held, &m->held_node);
    if (KMX_PI(m))
        WRITE_ONCE(t->kmx_pi_listed, t->kmx_pi_listed + 1);
}

/* t's record that it owns m (m->lock held; include/kmx.h): its kmx_one
 * if free, else its kmx_held list. */
static inline void kmx_hold(struct thread *t, struct kmx *m)
{
    if (likely(!t->kmx_one))
        t->kmx_one = m;
    else
        kmx_list(t, m);
}

/* The record goes (m->lock held, t = m->owner). */
static inline void kmx_unhold(struct thread *t, struct kmx *m)
{
    if (likely(t->kmx_one == m)) {
        t->kmx_one = NULL;
    } else {
        list_remove(&m->held_node);
        if (KMX_PI(m))
            WRITE_ONCE(t->kmx_pi_listed, t->kmx_pi_listed - 1);
    }
}

bool kmx_holds_pi(const struct thread *t)
{
    /* kmx_one names a cell of the object pool whatever happens to it (a
     * stale one has some object's flags): the read is safe unlocked. */
    struct kmx *one = READ_ONCE(t->kmx_one);
    return READ_ONCE(t->kmx_pi_listed) || (one && KMX_PI(one));
}

/* m is free (m->lock held): t owns it now. -EOWNERDEAD if the last
 * owner died holding it (M5). */
static int kmx_take(struct kmx *m, struct thread *t)
{
    m->owner = t;
    m->count = 0;
    kmx_hold(t, m);
    if (!m->died)
        return 0;
    m->died = false;
    if (KMX_ROBUST(m))
        m->state = KEEL_MUTEX_INCONSISTENT;
    return -EOWNERDEAD;
}

/* The PI record goes once nobody waits (m->lock held). */
static void kmx_pi_idle(struct kmx *m)
{
    if (list_empty(&m->pi.waiters) && m->pi.owner)
        pi_release(&m->pi);
}

/* Not recoverable: every waiter leaves with -ENOTRECOVERABLE. */
static void kmx_flush(struct kmx *m)
{
    struct thread *w;
    while ((w = pi_release(&m->pi)) != NULL) /* each in turn, then none */
        sched_wake(w);
    waitq_wake_all(&m->wq);
}

bool kmx_release(struct kmx *m, bool died)
{
    KASSERT(m->owner == current()); /* kmx_one is the caller's own */
    kmx_unhold(m->owner, m);
    m->count = 0;
    if (died) {
        m->died = true;
    } else if (m->state == KEEL_MUTEX_INCONSISTENT) {
        m->state = KEEL_MUTEX_NOTRECOVERABLE;
        m->owner = NULL;
        kmx_flush(m);
        return true;
    }
    if (m->pi.owner) { /* M2: hand over, with the reference */
        struct thread *w = pi_release(&m->pi);
        KASSERT(w != NULL);
        m->owner = w;
        kmx_list(w, m);
        kmx_pi_idle(m);
        sched_wake(w);
        return false;
    }
    m->owner = NULL; /* M3 */
    if (m->nwait)
        waitq_wake_one(&m->wq);
    return true;
}

/* M2: blocked on m->pi until handed m (m->lock held). *handed: the
 * ownership reference came with it. */
static int kmx_wait_pi(struct kmx *m, struct thread *t,
                       const struct cap_pin *pin, struct kdeadline *dl,
                       bool *handed)
{
    if (!m->pi.owner)
        pi_take(&m->pi, m->owner);
    int r = pi_wait_begin(&m->pi, t);
    if (r < 0) {
        kmx_pi_idle(m);
        return r; /* -EDEADLK: a chain of owners leads back to t */
    }
    while (t->pi_blocked_on == &m->pi) {
        t->wchan = m->hdr.ops->name;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        if (!cap_pin_live(pin))
            r = -EBADF;
        else if (t->killed)
            r = -EINTR;
        else if (!kdl_block_prepare(t, dl)) /* BLOCKED unless passed */
            r = -ETIMEDOUT;
        if (r) {
            pi_wait_end(&m->pi, t);
            kmx_pi_idle(m);
            return r;
        }
        spin_unlock(&m->lock);
        if (dl)
            timer_program();
        sched_block(t);
        kdl_block_finish(t, dl);
        spin_lock(&m->lock);
    }
    if (m->owner != t) /* flushed: not recoverable */
        return -ENOTRECOVERABLE;
    *handed = true;
    if (!m->died)
        return 0;
    m->died = false;
    if (KMX_ROBUST(m))
        m->state = KEEL_MUTEX_INCONSISTENT;
    return -EOWNERDEAD;
}

/* M3: sleeps on m->wq until m is free and taken (m->lock held). */
static int kmx_wait_plain(struct kmx *m, struct thread *t,
                          const struct cap_pin *pin, struct kdeadline *dl)
{
    int r, w = 0;
    for (;;) {
        /* Before the first sleep too: a revoke between the caller's slot
         * lookup and this lock hold has already run its cancel (M6). */
        if (!cap_pin_live(pin)) {
            r = -EBADF;
            break;
        }
        if (m->state == KEEL_MUTEX_NOTRECOVERABLE) {
            r = -ENOTRECOVERABLE;
            break;
        }
        if (!m->owner)
            return kmx_take(m, t);
        if (w < 0) {
            r = w;
            break;
        }
        w = dl ? waitq_wait_deadline(&m->wq, &m->lock, dl)
               : waitq_wait(&m->wq, &m->lock);
    }
    /* Leaving without it: a wake-up meant for us goes on. */
    if (!m->owner && m->nwait > 1)
        waitq_wake_one(&m->wq);
    return r;
}

/* LOCK and TRYLOCK. terr: the timeout's error, reported only if the call
 * would block. *keep: the pin reference is now the ownership reference. */
static long kmx_lock(struct kmx *m, const struct cap_pin *pin, bool try,
                     struct kdeadline *dl, int terr, bool *keep)
{
    struct thread *t = current();
    bool handed = false;
    long r;
    spin_lock(&m->lock);
    if (unlikely(m->state == KEEL_MUTEX_NOTRECOVERABLE)) {
        r = -ENOTRECOVERABLE;
    } else if (likely(!m->owner)) { /* M1 */
        r = kmx_take(m, t);
        *keep = true;
    } else if (m->owner == t) {
        if (KMX_TYPE(m) != KEEL_MUTEX_RECURSIVE)
            r = try ? -EBUSY : -EDEADLK;
        else if (m->count == UINT32_MAX)
            r = -EAGAIN;
        else {
            m->count++;
            r = 0;
        }
    } else if (try) {
        r = -EBUSY;
    } else if (terr) {
        r = terr;
    } else if (kdl_passed(dl)) {
        r = -ETIMEDOUT;
    } else {
        m->nwait++;
        if (KMX_PI(m)) {
            r = kmx_wait_pi(m, t, pin, dl, &handed);
        } else {
            r = kmx_wait_plain(m, t, pin, dl);
            *keep = m->owner == t;
        }
        m->nwait--;
    }
    spin_unlock(&m->lock);
    return r;
}

static long kmx_unlock(struct kmx *m)
{
    spin_lock(&m->lock);
    if (m->owner != current()) {
        spin_unlock(&m->lock);
        return -EPERM;
    }
    if (m->count) {
        m->count--;
        spin_unlock(&m->lock);
        return 0;
    }
    bool put = kmx_release(m, false);
    spin_unlock(&m->lock);
    if (put)
        kobj_put(&m->hdr); /* the ownership reference */
    return 0;
}

void kmx_thread_exit(struct thread *t)
{
    for (;;) {
        struct kmx *m = t->kmx_one;
        if (!m && list_empty(&t->kmx_held))
            break;
        if (!m)
            m = list_entry(t->kmx_held.next, struct kmx, held_node);
        spin_lock(&m->lock);
        KASSERT(m->owner == t);
        bool put = kmx_release(m, true); /* M5 */
        spin_unlock(&m->lock);
        if (put)
            kobj_put(&m->hdr);
    }
}

static long kmx_create(uint64_t flags, long ceiling)
{
    unsigned type = flags & KEEL_MUTEX_TYPE_MASK;
    unsigned proto = flags & KEEL_MUTEX_PROTO_MASK;
    if ((flags & ~(uint64_t)(KEEL_MUTEX_TYPE_MASK | KEEL_MUTEX_PROTO_MASK |
                             KEEL_MUTEX_F_ROBUST | KEEL_MUTEX_F_GRANT)) ||
        type > KEEL_MUTEX_RECURSIVE || proto > KEEL_MUTEX_PROTO_PROTECT ||
        ceiling < KEEL_PRIO_MIN || ceiling > KEEL_PRIO_MAX)
        return -EINVAL;
    struct kmx *m = kobj_create(CAP_TYPE_MUTEX, &kmx_ops, sizeof(*m));
    if (!m)
        return -EAGAIN;
    spin_init(&m->lock, "kmutex_obj");
    pi_lock_init(&m->pi);
    waitq_init(&m->wq, "kmutex_obj");
    list_init(&m->held_node);
    m->flags = (uint32_t)flags & ~KEEL_MUTEX_F_GRANT;
    m->ceiling = (int)ceiling;
    unsigned rights = CAP_RIGHT_READ | CAP_RIGHT_WRITE;
    if (flags & KEEL_MUTEX_F_GRANT)
        rights |= CAP_RIGHT_GRANT;
    int slot = cap_kobj_install(current()->proc, &m->hdr, rights, 0);
    kobj_put(&m->hdr); /* the slot has its own */
    return slot < 0 ? -EAGAIN : slot;
}

static long kmx_info(struct kmx *m, uint64_t uinfo)
{
    struct keel_mutex_info in = {0};
    spin_lock(&m->lock);
    in.flags = m->flags;
    in.ceiling = m->ceiling;
    in.state = m->state;
    in.locked = m->owner == current() ? 2 : m->owner != NULL;
    in.waiters = m->nwait;
    spin_unlock(&m->lock);
    return copy_to_user(uinfo, &in, sizeof(in)) < 0 ? -EFAULT : 0;
}

/* The ops on an existing mutex (pinned by the caller). */
static long kmx_op(struct kmx *m, long op, int slot, uint64_t a, uint64_t b,
                   const struct cap_pin *pin, bool *keep)
{
    long r;
    switch (op) {
    case KEEL_MUTEX_LOCK: {
        struct kdeadline dl;
        if (a && b != KEEL_CLOCKSEL_REALTIME && b != KEEL_CLOCKSEL_MONOTONIC)
            return -EINVAL;
        /* A bad tv_nsec counts only if the call would block (POSIX). */
        int terr = a ? kmx_deadline(a, (long)b, &dl) : 0;
        if (terr == -EFAULT)
            return terr;
        return kmx_lock(m, pin, false, a && !terr ? &dl : NULL, terr, keep);
    }
    case KEEL_MUTEX_TRYLOCK:
        return kmx_lock(m, pin, true, NULL, 0, keep);
    case KEEL_MUTEX_UNLOCK:
        return kmx_unlock(m);
    case KEEL_MUTEX_CONSISTENT:
        spin_lock(&m->lock);
        r = -EINVAL;
        if (KMX_ROBUST(m) && m->owner == current() &&
            m->state == KEEL_MUTEX_INCONSISTENT) {
            m->state = KEEL_MUTEX_CONSISTENT_STATE;
            r = 0;
        }
        spin_unlock(&m->lock);
        return r;
    case KEEL_MUTEX_INFO:
        return kmx_info(m, a);
    case KEEL_MUTEX_SETCEIL:
        if ((m->flags & KEEL_MUTEX_PROTO_MASK) != KEEL_MUTEX_PROTO_PROTECT ||
            (long)a < KEEL_PRIO_MIN || (long)a > KEEL_PRIO_MAX)
            return -EINVAL;
        spin_lock(&m->lock);
        r = m->ceiling;
        m->ceiling = (int)a;
        spin_unlock(&m->lock);
        return r;
    case KEEL_MUTEX_DESTROY:
        spin_lock(&m->lock);
        r = m->owner || m->nwait ? -EBUSY : 0;
        spin_unlock(&m->lock);
        return r ? r : cap_kobj_close(current()->proc, slot, CAP_TYPE_MUTEX);
    default:
        return -EINVAL;
    }
}

/* The general path of every op. */
static __attribute__((noinline, used)) long kmx_sys_slow(long op, long slot,
                                                         uint64_t a, uint64_t b)
{
    if (op == KEEL_MUTEX_CREATE)
        return kmx_create(a, (long)b);
    if ((unsigned long)op > KEEL_MUTEX_DESTROY)
        return -EINVAL;
    unsigned need = CAP_RIGHT_READ;
    if (op != KEEL_MUTEX_INFO)
        need |= CAP_RIGHT_WRITE;
    struct kobj *o;
    struct cap_pin pin;
    long r = cap_kobj_get(current()->proc, (int)slot, CAP_TYPE_MUTEX, need, &o,
                          &pin);
    if (r < 0)
        return r;
    bool keep = false;
    r = kmx_op((struct kmx *)o, op, (int)slot, a, b, &pin, &keep);
    if (!keep)
        kobj_put(o);
    return r;
}

/* The fast paths' ways out of line, each a tail call, so that sys_mutex
 * stays a leaf that saves no register: the general path after giving
 * back the reference the fast LOCK took, and the last put of an UNLOCK
 * (the mutex is destroyed). */
static __attribute__((noinline)) long
kmx_slow_after_put(struct kmx *m, long op, long slot, uint64_t a, uint64_t b)
{
    kobj_put(&m->hdr);
    return kmx_sys_slow(op, slot, a, b);
}

static __attribute__((noinline)) long kmx_put_last0(struct kmx *m, uint32_t old)
{
    kobj_put_last(&m->hdr, old);
    return 0;
}

/*
 * M7, the fast paths: LOCK (no timeout) of a free consistent mutex and
 * UNLOCK of one the caller holds once, nobody waiting; anything else
 * takes the general path. The slot word is read without the cap lock (as
 * cap_pin_live reads it) and its type and rights checked with one mask
 * (capw_is), then read again once the object is known alive: a
 * bit-identical word (the generation changes whenever a slot is cleared)
 * means the slot named this object, holding its reference, all along, so
 * the cell was this live mutex when looked at. LOCK takes a reference
 * only if the object still has one (a reference taken on a cell reused
 * meanwhile is simply put back); it becomes the ownership reference.
 * UNLOCK needs none: a mutex the caller owns is kept alive by its
 * ownership reference, which it puts at the end.
 */
static inline long kmx_fast_lock(struct thread *t, const cap_word_t *wp,
                                 cap_word_t w, struct kmx *m, long slot)
{
    if (unlikely(!kobj_get_live(&m->hdr)))
        return kmx_sys_slow(KEEL_MUTEX_LOCK, slot, 0, 0);
    /* Relaxed: the acquire of the reference orders it. */
    if (unlikely(__atomic_load_n(wp, __ATOMIC_RELAXED) != w))
        return kmx_slow_after_put(m, KEEL_MUTEX_LOCK, slot, 0, 0);
    kobj_test_window_hit();
    spin_lock(&m->lock);
    /* The word once more under m->lock (cap_pin_live's O2 check): a
     * revoke between the look above and this lock hold has run its
     * cancel already and must not see a lock taken after it. */
    if (unlikely(__atomic_load_n(wp, __ATOMIC_RELAXED) != w || m->owner ||
                 m->state_died)) { /* died, or not consistent */
        spin_unlock(&m->lock);
        return kmx_slow_after_put(m, KEEL_MUTEX_LOCK, slot, 0, 0);
    }
    m->owner = t; /* M1: our reference is the ownership one */
    m->count = 0;
    kmx_hold(t, m);
    spin_unlock(&m->lock);
    return 0;
}

static inline long kmx_fast_unlock(struct thread *t, const cap_word_t *wp,
                                   cap_word_t w, struct kmx *m, long slot)
{
    /* Acquire: the second look at the word comes after this one. Not
     * ours (or not a mutex any more): the general way. */
    if (unlikely(__atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) != t ||
                 __atomic_load_n(wp, __ATOMIC_RELAXED) != w))
        return kmx_sys_slow(KEEL_MUTEX_UNLOCK, slot, 0, 0);
    spin_lock(&m->lock);
    /* state_died: an owned mutex's died is clear (the taker cleared it),
     * so this is the state. */
    if (unlikely(m->count_nwait || m->pi.owner || m->state_died)) {
        spin_unlock(&m->lock);
        return kmx_sys_slow(KEEL_MUTEX_UNLOCK, slot, 0, 0);
    }
    kmx_unhold(t, m);
    m->owner = NULL;
    spin_unlock(&m->lock);
    /* The ownership reference: kobj_put, with the last put a tail call. */
    unsigned long old = kobj_ref_dec(&m->hdr);
    if (unlikely(old <= 1))
        return kmx_put_last0(m, (uint32_t)old);
    return 0;
}

/* The slot's word and its checks, one copy in each of the two fast
 * paths (so that each tests its op once, and the copies of the
 * arguments the general path needs stay out of them). */
static inline __attribute__((always_inline)) long kmx_fast(long op, long slot)
{
    if (unlikely((unsigned long)slot >= CAP_FD_SLOTS))
        return kmx_sys_slow(op, slot, 0, 0);
    struct thread *t = current();
    const cap_word_t *wp = &t->proc->caps.t.words[slot];
    cap_word_t w = __atomic_load_n(wp, __ATOMIC_RELAXED);
    if (unlikely(!capw_is(w, CAP_TYPE_MUTEX, CAP_RIGHT_READ | CAP_RIGHT_WRITE)))
        return kmx_sys_slow(op, slot, 0, 0);
    struct kmx *m = (struct kmx *)kobj_by_index(capw_obj(w));
    if (op == KEEL_MUTEX_LOCK)
        return kmx_fast_lock(t, wp, w, m, slot);
    return kmx_fast_unlock(t, wp, w, m, slot);
}

/* sys_mutex(op, slot, a, b) dispatches in assembly (below): the compiler
 * keeps copies of the arguments around its tests for the general path's
 * tail call. The two fast paths take (op, slot) as they came, op being
 * LOCK (UNLOCK); noipa keeps them ordinary functions with that ABI. */
static __attribute__((noipa, used)) long kmx_sys_lock(long op, long slot)
{
    (void)op;
    return kmx_fast(KEEL_MUTEX_LOCK, slot);
}

static __attribute__((noipa, used)) long kmx_sys_unlock(long op, long slot)
{
    (void)op;
    return kmx_fast(KEEL_MUTEX_UNLOCK, slot);
}

long sys_mutex(long op, long slot, uint64_t a, uint64_t b);
_Static_assert(KEEL_MUTEX_LOCK == 1 && KEEL_MUTEX_UNLOCK == 3,
               "sys_mutex's dispatch");
/* UNLOCK and LOCK without a timeout (a == 0) to their fast paths, every
 * other call to the general path, each with its arguments untouched. */
__asm__(".text\n"
        ".globl sys_mutex\n"
        ".type sys_mutex, @function\n"
        "sys_mutex:\n"
        "  li t0, 3\n"
        "  beq a0, t0, 1f\n"
        "  li t0, 1\n"
        "  bne a0, t0, 2f\n"
        "  bnez a2, 2f\n"
        "  j kmx_sys_lock\n"
        "1: j kmx_sys_unlock\n"
        "2: j kmx_sys_slow\n"
        ".size sys_mutex, . - sys_mutex\n");
