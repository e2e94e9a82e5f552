/*
 * The kernel-object pool and the caps naming objects (include/kobj.h).
 *
 * Locking: kobj_pool_lock guards the pool's free list (allocation and
 * free, a few instructions). An object's refs is atomic; its state is
 * its type's business. Slot operations take the owner's cap lock only;
 * a reference is put after the cap lock is released.
 */
#include "../include/kobj.h"
#include "../include/proc.h"
#include "../include/quota.h"
#include "../mm/pool.h"

static spinlock_t kobj_pool_lock = SPINLOCK_INIT("kobj_pool");
union kobj_cell kobj_storage[MAX_KOBJS];
static uint32_t kobj_links[MAX_KOBJS];
static struct pool kobj_pool;
#ifdef KEEL_KTEST
void (*kobj_test_window)(void);
void (*kobj_test_lookup)(void);
#endif

void kobj_init(void)
{
    pool_init(&kobj_pool, "kobj", kobj_storage, kobj_links,
              sizeof(union kobj_cell), MAX_KOBJS);
}

bool kobj_type_valid(unsigned type)
{
    return type >= CAP_TYPE_KOBJ_FIRST && type <= CAP_TYPE_KOBJ_LAST;
}

void *kobj_create(unsigned type, const struct kobj_ops *ops, size_t size)
{
    KASSERT(kobj_type_valid(type) && size <= KOBJ_SIZE_MAX &&
            size >= sizeof(struct kobj) && ops && ops->destroy);
    struct thread *self = current();
    struct proc *acct = self ? self->proc : NULL; /* NULL: the kernel */
    if (quota_charge(acct, KEEL_POOL_OBJECTS, 1) < 0)
        return NULL;
    spin_lock(&kobj_pool_lock);
    struct kobj *o = pool_alloc(&kobj_pool); /* zeroed */
    spin_unlock(&kobj_pool_lock);
    if (!o) {
        quota_uncharge(acct, KEEL_POOL_OBJECTS, 1);
        return NULL;
    }
    if (acct)
        proc_get(acct);
    o->acct = acct;
    o->type = (uint8_t)type;
    o->ops = ops;
    o->refs = 1;
    return o;
}

void kobj_get(struct kobj *o)
{
    ref_get(&o->refs);
}

void kobj_put_last(struct kobj *o, uint32_t old)
{
    if (unlikely(old == 0))
        panic("refcount underflow: kobj %p (%s)", (void *)o, o->ops->name);
    o->ops->destroy(o);
    struct proc *acct = o->acct;
    spin_lock(&kobj_pool_lock);
    pool_free(&kobj_pool, o);
    spin_unlock(&kobj_pool_lock);
    if (acct) {
        quota_uncharge(acct, KEEL_POOL_OBJECTS, 1);
        proc_put(acct);
    }
}

uint32_t kobj_index(const struct kobj *o)
{
    return pool_index(&kobj_pool, o);
}

uint32_t kobj_count(void)
{
    return READ_ONCE(kobj_pool.in_use);
}

int cap_kobj_install(struct proc *p, struct kobj *o, unsigned rights,
                     int min_slot)
{
    cap_lock(p);
    int slot = cap_table_alloc(&p->caps.t, min_slot);
    if (slot >= 0) {
        kobj_get(o); /* the slot's reference */
        cap_table_install(&p->caps.t, slot,
                          capw_make(o->type, rights, kobj_index(o), 0), 0);
    }
    cap_unlock(p);
    return slot;
}

int cap_kobj_get_locked(struct proc *p, int slot, unsigned type, unsigned need,
                        struct kobj **out, struct cap_pin *pin)
{
    if (unlikely(slot < 0 || slot >= CAP_FD_SLOTS))
        return -EBADF;
    cap_lock(p);
    cap_word_t w = p->caps.t.words[slot];
    if (unlikely(!capw_is(w, type, need))) { /* one mask; then which error */
        cap_unlock(p);
        return capw_valid(w) && capw_type(w) == type ? -EACCES : -EBADF;
    }
    struct kobj *o = kobj_by_index(capw_obj(w));
    kobj_get(o);
    cap_unlock(p);
    if (pin) { /* O1: the slot and generation this operation came through */
        pin->word = &p->caps.t.words[slot];
        pin->gen = capw_gen(w);
        kobj_test_window_hit();
    }
    *out = o;
    return 0;
}

int cap_kobj_get_retry(struct kobj *o, struct proc *p, int slot, unsigned type,
                       unsigned need, struct kobj **out, struct cap_pin *pin)
{
    kobj_put(o); /* no lock held: the callers hold none */
    return cap_kobj_get_locked(p, slot, type, need, out, pin);
}

int cap_kobj_close(struct proc *p, int slot, unsigned type)
{
    if (slot < 0 || slot >= CAP_FD_SLOTS)
        return -EBADF;
    cap_lock(p);
    cap_word_t w = p->caps.t.words[slot];
    if (!capw_valid(w) || capw_type(w) != type) {
        cap_unlock(p);
        return -EBADF;
    }
    cap_table_clear(&p->caps.t, slot);
    cap_unlock(p);
    kobj_put(kobj_by_index(capw_obj(w)));
    return 0;
}
