/* In-kernel tests of the process-shared rwlock object
 * (kernel/sync/krwlock.c): the object quota's exhaustion and recovery
 * through SYS_rwlock's CREATE and CLOSE, and holds given back when the
 * holding thread exits (krwlock_thread_exit). The test thread borrows a
 * process identity (current()->proc), as t_kobj.c does. */
#include "../include/kobj.h"
#include "../include/krwlock.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../../libc/include/keel/abi.h"
#include "ktest.h"

struct kt_rw {
    struct proc *a;
    pagetable_t pt;
    uint64_t old_satp;
    uint32_t objs, procs;
};

#define UINFO USER_BASE /* a struct keel_rwlock_info out */

static void rw_begin(struct kt_rw *w)
{
    w->objs = kobj_count();
    w->procs = proc_count();
    w->a = proc_alloc("ktRW");
    w->pt = vm_user_create();
    vm_user_alloc(w->pt, USER_BASE, PAGE_SIZE, PTE_R | PTE_W);
    w->old_satp = csr_read(satp);
    csr_write(satp, vm_satp(w->pt));
    sfence_vma();
    w->a->pagetable = w->pt;
    current()->proc = w->a;
}

static void rw_end(struct kt_rw *w)
{
    current()->proc = NULL;
    w->a->pagetable = NULL;
    cap_space_teardown(w->a);
    proc_free(w->a);
    csr_write(satp, w->old_satp);
    sfence_vma();
    vm_user_destroy(w->pt);
    KT_CHECK_EQ(kobj_count(), w->objs);
    KT_CHECK_EQ(proc_count(), w->procs);
}

/* A process limited to two objects gets EAGAIN for a third rwlock, and
 * makes one again once it closed one; the quota is back at 0 after. */
KTEST(krwlock_quota_exhaustion_and_recovery)
{
    struct kt_rw w;
    rw_begin(&w);
    uint64_t old = w.a->quota.limit[KEEL_POOL_OBJECTS];
    w.a->quota.limit[KEEL_POOL_OBJECTS] = 2;
    long s1 = sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0);
    long s2 = sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0);
    KT_CHECK(s1 >= 0 && s2 >= 0 && s1 != s2);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0), -EAGAIN);
    KT_CHECK_EQ(w.a->quota.used[KEEL_POOL_OBJECTS], 2);
    KT_CHECK_EQ(kobj_count(), w.objs + 2);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s1, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s1, 0), -EBADF);
    long s3 = sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0);
    KT_CHECK(s3 >= 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0), -EAGAIN);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s2, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s3, 0), 0);
    KT_CHECK_EQ(w.a->quota.used[KEEL_POOL_OBJECTS], 0);
    w.a->quota.limit[KEEL_POOL_OBJECTS] = old;
    rw_end(&w);
}

/* Holds belong to threads: CLOSE is EBUSY while the caller holds the
 * lock; krwlock_thread_exit gives a write hold and recursive read holds
 * back (QUERY shows none), after which CLOSE works. */
KTEST(krwlock_thread_exit_gives_holds_back)
{
    struct kt_rw w;
    rw_begin(&w);
    long s = sys_rwlock(KEEL_RWLOCK_CREATE, -1, 0);
    KT_CHECK(s >= 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_WRLOCK, s, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s, 0), -EBUSY);
    krwlock_thread_exit(current());
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_UNLOCK, s, 0), -EPERM);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_RDLOCK, s, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_TRYRDLOCK, s, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_QUERY, s, UINFO), 0);
    struct keel_rwlock_info *info = (void *)UINFO;
    uint32_t readers;
    KT_CHECK_EQ(copy_from_user(&readers, UINFO, sizeof(readers)), 0);
    KT_CHECK_EQ(readers, 2);
    (void)info;
    krwlock_thread_exit(current());
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_QUERY, s, UINFO), 0);
    KT_CHECK_EQ(copy_from_user(&readers, UINFO, sizeof(readers)), 0);
    KT_CHECK_EQ(readers, 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_TRYWRLOCK, s, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_UNLOCK, s, 0), 0);
    KT_CHECK_EQ(sys_rwlock(KEEL_RWLOCK_CLOSE, s, 0), 0);
    rw_end(&w);
}
