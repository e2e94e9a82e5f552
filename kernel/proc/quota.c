/*
 * Hierarchical quota accounts (see include/quota.h for the rules and
 * docs/capabilities.md "Quotas" for the design). A charge walks the
 * creator chain, at most QUOTA_MAX_DEPTH levels, with one compare-and-
 * swap per level; nothing here takes a lock.
 */
#include "../include/quota.h"
#include "../include/cap.h"
#include "../include/kobj.h"
#include "../include/proc.h"
#include "../include/vfs.h"

static inline bool level_add(struct quota *q, int pool, uint64_t n)
{
    uint64_t cur = __atomic_load_n(&q->used[pool], __ATOMIC_RELAXED);
    uint64_t limit = q->limit[pool];
    do {
        if (cur + n > limit)
            return false;
    } while (!__atomic_compare_exchange_n(&q->used[pool], &cur, cur + n, true,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return true;
}

static void level_sub(struct quota *q, int pool, uint64_t n)
{
    uint64_t old = __atomic_fetch_sub(&q->used[pool], n, __ATOMIC_ACQ_REL);
#ifdef KEEL_LOCKCHECK
    if (old < n)
        panic("quota: pool %d uncharged below zero (%lu - %lu)", pool,
              (unsigned long)old, (unsigned long)n);
#else
    (void)old;
#endif
}

int quota_charge(struct proc *p, int pool, uint64_t n)
{
    struct proc *q;
#ifdef KEEL_LOCKCHECK
    int depth = 0;
#endif
    for (q = p; q; q = q->creator) {
#ifdef KEEL_LOCKCHECK
        KASSERT(++depth <= QUOTA_MAX_DEPTH);
#endif
        if (!level_add(&q->quota, pool, n))
            break;
    }
    if (likely(!q))
        return 0;
    /* Undo the levels below the one that said no. */
    for (struct proc *r = p; r != q; r = r->creator)
        level_sub(&r->quota, pool, n);
    return -1;
}

void quota_uncharge(struct proc *p, int pool, uint64_t n)
{
    for (struct proc *q = p; q; q = q->creator)
        level_sub(&q->quota, pool, n);
}

void quota_init_child(struct proc *child, struct proc *creator)
{
    for (int i = 0; i < QUOTA_NPOOLS; i++) {
        child->quota.used[i] = 0;
        child->quota.limit[i] =
            creator->quota.limit[i] * QUOTA_CHILD_NUM / QUOTA_CHILD_DEN;
    }
}

void quota_init_root(struct proc *init)
{
    struct quota *q = &init->quota;
    memset(q, 0, sizeof(*q));
    /* init's own struct and the kernel's console files are not charged:
     * the limits are what is left of each pool. */
    q->limit[KEEL_POOL_PROCS] = MAX_PROCS - proc_count();
    q->limit[KEEL_POOL_THREADS] = MAX_THREADS - thread_count();
    q->limit[KEEL_POOL_FILES] = MAX_FILES - file_count();
    q->limit[KEEL_POOL_PIPES] = MAX_PIPES - pipe_count();
    q->limit[KEEL_POOL_INODES] = MAX_INODES - inode_count();
    q->limit[KEEL_POOL_DELEGS] = MAX_DELEGATIONS - cap_delegations_in_use();
    q->limit[KEEL_POOL_OBJECTS] = MAX_KOBJS - kobj_count();
    uint64_t free = page_free_count();
    q->limit[KEEL_POOL_PAGES] =
        free > QUOTA_PAGE_RESERVE ? free - QUOTA_PAGE_RESERVE : 0;
}

uint64_t proc_vm_bound(uint64_t len)
{
    /* The pages plus every table the range can need: one level-0 table
     * per 512 pages, plus the tables at the range's two ends and above. */
    uint64_t n = len / PAGE_SIZE;
    return n + n / 512 + 4;
}

void proc_vm_uncharge(struct proc *p)
{
    quota_uncharge(p, KEEL_POOL_PAGES, p->pages_charged);
    p->pages_charged = 0;
}

long sys_quota_info(int pid, uint64_t uout)
{
    struct proc *self = current()->proc;
    struct proc *p = self;
    if (pid != 0 && pid != self->pid) {
        int err;
        p = cap_proc_lookup(self, pid, CAP_RIGHT_READ, &err);
        if (!p)
            return err;
    }
    struct keel_quota out;
    for (int i = 0; i < QUOTA_NPOOLS; i++) {
        out.used[i] = __atomic_load_n(&p->quota.used[i], __ATOMIC_RELAXED);
        out.limit[i] = p->quota.limit[i];
    }
    if (p != self)
        proc_put(p);
    return copy_to_user(uout, &out, sizeof(out));
}
