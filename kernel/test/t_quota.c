/*
 * In-kernel tests of the quota accounts (kernel/proc/quota.c): a charge
 * goes to every level of the creator chain or to none, and the limits a
 * child gets. The user suite (t_quota.c) drives the real pools.
 */
#include "../include/proc.h"
#include "ktest.h"

/* root -> mid -> leaf, linked as spawn links them. */
static struct proc *ktq_child(struct proc *creator, const char *name)
{
    KT_CHECK_EQ(quota_charge(creator, KEEL_POOL_PROCS, 1), 0);
    struct proc *p = proc_alloc(name);
    KT_CHECK(p);
    p->creator = creator;
    proc_get(creator);
    quota_init_child(p, creator);
    return p;
}

KTEST(quota_charge_all_levels_or_none)
{
    const int D = KEEL_POOL_DELEGS;
    uint32_t procs = proc_count();
    struct proc *root = proc_alloc("ktq-root");
    KT_CHECK(root);
    root->quota.limit[D] = 100;
    struct proc *mid = ktq_child(root, "ktq-mid");
    struct proc *leaf = ktq_child(mid, "ktq-leaf");
    KT_CHECK_EQ(mid->quota.limit[D], 75); /* 3/4 of the creator's */
    KT_CHECK_EQ(leaf->quota.limit[D], 56);
    KT_CHECK_EQ(root->quota.used[KEEL_POOL_PROCS], 2); /* mid and leaf */
    KT_CHECK_EQ(mid->quota.used[KEEL_POOL_PROCS], 1);

    /* Up to the leaf's limit: charged at every level. */
    KT_CHECK_EQ(quota_charge(leaf, D, 56), 0);
    KT_CHECK_EQ(leaf->quota.used[D], 56);
    KT_CHECK_EQ(mid->quota.used[D], 56);
    KT_CHECK_EQ(root->quota.used[D], 56);
    /* One more: refused by the leaf, nothing changes anywhere. */
    KT_CHECK_EQ(quota_charge(leaf, D, 1), -1);
    KT_CHECK_EQ(leaf->quota.used[D], 56);
    KT_CHECK_EQ(mid->quota.used[D], 56);
    KT_CHECK_EQ(root->quota.used[D], 56);
    /* The mid level fills up with its own charges... */
    KT_CHECK_EQ(quota_charge(mid, D, 19), 0);
    KT_CHECK_EQ(quota_charge(mid, D, 1), -1);
    quota_uncharge(leaf, D, 56);
    KT_CHECK_EQ(leaf->quota.used[D], 0);
    KT_CHECK_EQ(mid->quota.used[D], 19);
    KT_CHECK_EQ(root->quota.used[D], 19);
    /* ... and a charge refused at the root is undone at the levels below
     * that had taken it. */
    KT_CHECK_EQ(quota_charge(root, D, 71), 0); /* root at 90 of 100 */
    KT_CHECK_EQ(quota_charge(leaf, D, 11), -1);
    KT_CHECK_EQ(leaf->quota.used[D], 0);
    KT_CHECK_EQ(mid->quota.used[D], 19);
    KT_CHECK_EQ(root->quota.used[D], 90);
    KT_CHECK_EQ(quota_charge(leaf, D, 10), 0); /* exactly to the root's */
    KT_CHECK_EQ(root->quota.used[D], 100);
    quota_uncharge(leaf, D, 10);
    quota_uncharge(root, D, 71);
    quota_uncharge(mid, D, 19);
    KT_CHECK_EQ(root->quota.used[D], 0);

    /* Freeing the leaf gives its entry back to its creators. */
    proc_free(leaf);
    KT_CHECK_EQ(mid->quota.used[KEEL_POOL_PROCS], 0);
    KT_CHECK_EQ(root->quota.used[KEEL_POOL_PROCS], 1);
    proc_free(mid);
    KT_CHECK_EQ(root->quota.used[KEEL_POOL_PROCS], 0);
    proc_free(root);
    KT_CHECK_EQ(proc_count(), procs);
}
