/*
 * Bound counters of the debug kernel (include/lockstat.h has the rules):
 * spinlock classes with their longest hold, and each hart's longest
 * interrupts-off stretch. Release kernels compile only the kstat filler
 * (zeros) and the lockstat syscall (ENOSYS).
 */
#include "../include/cap.h"
#include "../include/lockstat.h"
#include "../include/proc.h"
#include "../include/sched.h"

#ifdef KEEL_LOCKCHECK
#define LOCKSTAT_CLASSES 96

struct lockclass {
    const char *name;
    uint64_t acquisitions; /* atomic */
    uint64_t max_ticks;    /* atomic maximum */
};

static struct lockclass classes[LOCKSTAT_CLASSES];
static uint32_t nclasses;     /* published with release after the entry */
static uint32_t classes_busy; /* the test-and-set flag guarding growth */
/* Locks of classes past the table's end (counted, named "(other)"). */
static struct lockclass overflow = {"(other)", 0, 0};

/* Per hart: where the current stretch began (time CSR, 0 outside one)
 * and the longest one so far. Written only by that hart, except the
 * reset (a racing update may survive it: harmless, it was real). */
static uint64_t irq_start[MAX_HARTS];
static uint64_t irq_max[MAX_HARTS];

static void atomic_max(uint64_t *p, uint64_t v)
{
    uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v > cur && !__atomic_compare_exchange_n(
                          p, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static struct lockclass *class_find(const char *name, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (classes[i].name == name || strcmp(classes[i].name, name) == 0)
            return &classes[i];
    return NULL;
}

static struct lockclass *class_of(const char *name)
{
    if (!name)
        name = "(unnamed)";
    struct lockclass *c =
        class_find(name, __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE));
    if (c)
        return c;
    while (__atomic_exchange_n(&classes_busy, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    uint32_t n = nclasses;
    c = class_find(name, n); /* added meanwhile? */
    if (!c && n < LOCKSTAT_CLASSES) {
        c = &classes[n];
        c->name = name;
        __atomic_store_n(&nclasses, n + 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&classes_busy, 0, __ATOMIC_RELEASE);
    return c ? c : &overflow;
}

void lockstat_acquired(spinlock_t *l)
{
    /* Only a holder reads or writes l->cls and l->t_acq. */
    if (unlikely(!l->cls))
        l->cls = class_of(l->name);
    __atomic_fetch_add(&l->cls->acquisitions, 1, __ATOMIC_RELAXED);
    l->t_acq = rdtime();
}

void lockstat_releasing(spinlock_t *l)
{
    atomic_max(&l->cls->max_ticks, rdtime() - l->t_acq);
}

void lockstat_irqoff_begin(void)
{
    irq_start[this_hart()->id] = rdtime();
}

void lockstat_irqoff_end(void)
{
    int id = this_hart()->id;
    uint64_t start = irq_start[id];
    if (start) {
        uint64_t d = rdtime() - start;
        if (d > irq_max[id])
            irq_max[id] = d;
        irq_start[id] = 0;
    }
}

void lockstat_kstat(struct keel_kstat *k, bool reset)
{
    for (int h = 0; h < nharts && h < 8; h++) {
        k->irqoff_max_ns[h] = ticks_to_ns(READ_ONCE(irq_max[h]));
        if (reset)
            WRITE_ONCE(irq_max[h], 0);
    }
    uint32_t n = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
    uint64_t m = __atomic_load_n(&overflow.max_ticks, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < n; i++)
        m = MAX(m, __atomic_load_n(&classes[i].max_ticks, __ATOMIC_RELAXED));
    k->spin_hold_max_ns = ticks_to_ns(m);
    if (reset) {
        for (uint32_t i = 0; i < n; i++)
            __atomic_store_n(&classes[i].max_ticks, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&overflow.max_ticks, 0, __ATOMIC_RELAXED);
    }
}

int lockstat_row(int index, struct keel_lockstat *out)
{
    uint32_t n = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
    struct lockclass *c;
    if ((uint32_t)index < n)
        c = &classes[index];
    else if ((uint32_t)index == n)
        c = &overflow; /* always the last row */
    else
        return 0;
    memset(out, 0, sizeof(*out));
    strlcpy(out->name, c->name, sizeof(out->name));
    out->acquisitions = __atomic_load_n(&c->acquisitions, __ATOMIC_RELAXED);
    out->max_hold_ns =
        ticks_to_ns(__atomic_load_n(&c->max_ticks, __ATOMIC_RELAXED));
    return 1;
}
#else
void lockstat_kstat(struct keel_kstat *k, bool reset)
{
    (void)k;
    (void)reset;
}
#endif

/* The lockstat syscall: row `index` of the class table (see abi.h). */
long sys_lockstat(int index, uint64_t uout)
{
#ifdef KEEL_LOCKCHECK
    if (!cap_system_held(current()->proc, CAP_RIGHT_READ))
        return -EPERM;
    if (index < 0)
        return -EINVAL;
    struct keel_lockstat row;
    if (!lockstat_row(index, &row))
        return 0;
    int err = copy_to_user(uout, &row, sizeof(row));
    return err < 0 ? err : 1;
#else
    (void)index;
    (void)uout;
    return -ENOSYS;
#endif
}
