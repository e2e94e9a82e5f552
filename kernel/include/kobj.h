/*
 * The kernel-object layer (docs/capabilities.md "Kernel objects"): every
 * object a cap of type CAP_TYPE_TIMER..CAP_TYPE_MQUEUE names starts with
 * a struct kobj, the common header (type, reference count, operations),
 * so slot references, pins, transfer, spawn inheritance, revoke and exit
 * teardown handle every type the same way (kernel/cap/cap.c keeps one
 * table of per-type reference operations, no per-type switch).
 *
 * Storage: objects live in one fixed pool of MAX_KOBJS cells of
 * KOBJ_SIZE_MAX bytes (O(1) allocation); an object needing more (a queue's
 * messages) allocates pages itself, charged to its creator's page quota,
 * and frees them in its destroy op. The slot word's object field is the
 * cell's index.
 *
 * References: one per slot naming the object, one per pin (an operation
 * in progress, cap_kobj_get), and any the type keeps itself (a name in
 * /dev/sem or /dev/mqueue, an armed timer's target). The last kobj_put
 * calls ops->destroy, then uncharges the creator and frees the cell.
 *
 * Locking: the pool is guarded by kobj_pool_lock (allocation and free
 * only). refs is atomic. Each type guards its own state with its own lock
 * (a spinlock at the waitq level, S1). kobj_put may call destroy, which
 * may free pages: never call it with a spinlock held or in interrupt
 * context.
 */
#ifndef KEEL_KOBJ_H
#define KEEL_KOBJ_H

#include "cap.h"
#include "vfs.h" /* struct cap_pin */

#define MAX_KOBJS 1024
#define KOBJ_SIZE_MAX 256 /* bytes per object, header included */

struct kobj;

struct kobj_ops {
    const char *name; /* for messages and debugging */
    /* The last reference is gone: release what the object owns (pages,
     * references it holds), but not the object itself. No lock held. */
    void (*destroy)(struct kobj *o);
    /* A slot naming o was revoked (revoke protocol step 6 / R2,
     * kernel/cap/cap_deleg.c): wake every waiter so that those that came
     * through a revoked slot see their pin dead (cap_pin_live) and fail
     * with EBADF; the others wait on. A reference keeps o alive; no lock
     * held. May be NULL (an object nobody blocks on). */
    void (*cancel)(struct kobj *o);
};

struct kobj {
    uint32_t refs; /* atomic */
    uint8_t type;  /* CAP_TYPE_*, fixed at creation */
    const struct kobj_ops *ops;
    struct proc *acct; /* charged one KEEL_POOL_OBJECTS unit; referenced */
};

void kobj_init(void);
/*
 * A new object of `type` (CAP_TYPE_KOBJ_FIRST..LAST) and `size` bytes
 * (at most KOBJ_SIZE_MAX; the struct kobj must be its first member),
 * zeroed, header filled, with one reference for the caller (usually
 * handed on to a slot by cap_kobj_install, or dropped with kobj_put).
 * Charged to the calling process's KEEL_POOL_OBJECTS quota. NULL when
 * that quota or the pool is used up: the caller answers with its call's
 * errno for "no resources" (EAGAIN, ENOSPC, ENOMEM as POSIX names it).
 */
void *kobj_create(unsigned type, const struct kobj_ops *ops, size_t size);
void kobj_get(struct kobj *o);
/* The last reference (old 1: destroy and free) or an underflow (old 0:
 * panic); kobj_put's out-of-line part. */
void kobj_put_last(struct kobj *o, uint32_t old);
/* refs - 1, returning what it was: one acquire-release AMO (the
 * compiler's builtin is a fence, the AMO and a sign extension). The
 * result is amoadd.w's, sign-extended: as an unsigned long it is at most
 * 1 exactly when the 32-bit value is (0 and 1 stay, the rest is more). */
static inline unsigned long kobj_ref_dec(struct kobj *o)
{
    long old;
    __asm__ volatile("amoadd.w.aqrl %0, %2, %1"
                     : "=r"(old), "+A"(o->refs)
                     : "r"(-1L)
                     : "memory");
    return (unsigned long)old;
}
/* A reference on o unless it has none left (refs 0: being destroyed, or
 * a free cell): false then. Acquire, so what the caller reads next (the
 * slot word again, to learn that the cell is still the object it named)
 * comes after it. One LR/SC loop (the builtin compare-and-swap is a load
 * and an LR/SC loop inside a retry loop). */
static inline bool kobj_get_live(struct kobj *o)
{
    long v, fail;
    __asm__ volatile("1: lr.w.aq %0, %2\n"
                     "   beqz %0, 2f\n"
                     "   addiw %0, %0, 1\n"
                     "   sc.w %1, %0, %2\n"
                     "   bnez %1, 1b\n"
                     "2:"
                     : "=&r"(v), "=&r"(fail), "+A"(o->refs)
                     :
                     : "memory");
    return v != 0;
}
/* Inline, so a put that is not the last one is one atomic and a branch
 * (the fast paths of every object type put a pin per operation). */
static inline void kobj_put(struct kobj *o)
{
    unsigned long old = kobj_ref_dec(o);
    if (likely(old > 1))
        return;
    kobj_put_last(o, (uint32_t)old);
}
uint32_t kobj_index(const struct kobj *o);

/* The pool's cells (kernel/cap/kobj.c), here so the lookup is inline. */
union kobj_cell {
    struct kobj hdr;
    uint8_t bytes[KOBJ_SIZE_MAX];
};
extern union kobj_cell kobj_storage[MAX_KOBJS];

/* The object in cell idx; only meaningful for an index taken from a live
 * slot or reference. */
static inline struct kobj *kobj_by_index(uint32_t idx)
{
    return &kobj_storage[idx].hdr;
}
uint32_t kobj_count(void); /* objects in use */
bool kobj_type_valid(unsigned type);

/*
 * Caps naming objects. Slots are ordinary fd-range slots (0 ..
 * CAP_FD_SLOTS-1): mqd_t and timer_t are slot numbers.
 *
 * cap_kobj_install: a new slot in p (the lowest free one at or above
 * min_slot) naming o with `rights`; takes its own reference. The slot, or
 * -EMFILE (p's slot quota or table full).
 *
 * cap_kobj_get: the object in p's slot `slot`, which must hold a cap of
 * `type` carrying every right in `need`, pinned by a new reference (pair
 * with kobj_put). -EBADF: out of range, empty, or another type; -EACCES:
 * the cap lacks a needed right. With pin non-NULL the slot and generation
 * are recorded (revoke step O1), for an operation that may block: it
 * re-checks cap_pin_live under the object's lock after every wake-up.
 *
 * cap_kobj_close: drop p's slot `slot` if it holds a cap of `type` (the
 * slot's reference goes after the cap lock is released): 0 or -EBADF.
 */
int cap_kobj_install(struct proc *p, struct kobj *o, unsigned rights,
                     int min_slot);
#ifdef KEEL_KTEST
/* Tests (kernel/test/t_kobj_wait.c): run once, then cleared, where an
 * operation that may block has validated its slot and holds no lock yet
 * (cap_kobj_get with a pin, the mutex fast path's second look): a revoke
 * run there is one that races the operation's start. */
extern void (*kobj_test_window)(void);
static inline void kobj_test_window_hit(void)
{
    void (*f)(void) = kobj_test_window;
    if (f) {
        kobj_test_window = NULL;
        f();
    }
}
/* And one in cap_kobj_get's lookup without the cap lock, after the
 * reference is taken and before the word is read again (kernel/test/
 * t_kobj.c: a close or a reuse of the slot there must send the lookup
 * to the cap lock, with the reference put back). */
extern void (*kobj_test_lookup)(void);
static inline void kobj_test_lookup_hit(void)
{
    void (*f)(void) = kobj_test_lookup;
    if (f) {
        kobj_test_lookup = NULL;
        f();
    }
}
#else
static inline void kobj_test_window_hit(void) {}
static inline void kobj_test_lookup_hit(void) {}
#endif
/* cap_kobj_get itself is inline (include/proc.h): the lookup without
 * the cap lock; these are its ways out of line, under the cap lock (the
 * word was not a live cap of that type and rights when looked at, or it
 * changed meanwhile: _retry first puts back the reference o taken). */
int cap_kobj_get_locked(struct proc *p, int slot, unsigned type, unsigned need,
                        struct kobj **out, struct cap_pin *pin);
int cap_kobj_get_retry(struct kobj *o, struct proc *p, int slot, unsigned type,
                       unsigned need, struct kobj **out, struct cap_pin *pin);
int cap_kobj_close(struct proc *p, int slot, unsigned type);

struct thread;
/* thread_exit: a barrier wait t was interrupted in and never resumed is
 * left (counted out unless its cycle completed): sync/kbarrier.c. */
void kbarrier_thread_exit(struct thread *t);

#endif
