/* In-kernel tests of the kernel-object layer (include/kobj.h): slot
 * references, pins, rights, transfer, revoke's cancel, exit teardown and
 * the object quota, with a test-only object type. The test thread
 * borrows a process identity (current()->proc), as t_deleg.c does. */
#include "../include/kobj.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "kt_world.h"
#include "ktest.h"

long sys_cap_get_token(int slot, int type);
long sys_cap_transfer(int dst, uint64_t tok, unsigned rights, uint64_t ud,
                      uint64_t us);
long sys_cap_revoke_delegate(uint64_t tok);

/* The test type: counts its destroy and cancel calls. */
struct kt_obj {
    struct kobj hdr;
    int destroyed;
    int cancelled;
};
static int kt_destroys; /* destroy calls since the test began */

static void kt_obj_destroy(struct kobj *o)
{
    ((struct kt_obj *)o)->destroyed++;
    kt_destroys++;
}
static void kt_obj_cancel(struct kobj *o)
{
    ((struct kt_obj *)o)->cancelled++;
}
static const struct kobj_ops kt_obj_ops = {
    .name = "kt_obj", .destroy = kt_obj_destroy, .cancel = kt_obj_cancel};

/* The kt_world pair (a borrowed, b bare) with a cap for b in a's slot 0;
 * the object count is checked at the end. */
struct kt_kw {
    struct kt_world k;
    uint32_t objs;
};

#define UD USER_BASE       /* delegate token out */
#define US (USER_BASE + 8) /* destination slot out */

static void kw_begin(struct kt_kw *w)
{
    w->objs = kobj_count();
    kt_destroys = 0;
    kt_world_begin_pair(&w->k);
    KT_CHECK_EQ(cap_proc_install(w->k.a, w->k.b), 0);
}

static void kw_end(struct kt_kw *w)
{
    kt_world_end(&w->k);
    KT_CHECK_EQ(kobj_count(), w->objs);
}

static struct kt_obj *kt_obj_new(void)
{
    return kobj_create(CAP_TYPE_BARRIER, &kt_obj_ops, sizeof(struct kt_obj));
}

/* A slot and a pin each hold a reference: the object goes (destroy once)
 * when the last of them does, not before; rights and types are checked. */
KTEST(kobj_slot_and_pin_references)
{
    struct kt_kw w;
    kw_begin(&w);
    struct kt_obj *o = kt_obj_new();
    KT_CHECK(o != NULL);
    KT_CHECK_EQ(kobj_count(), w.objs + 1);
    KT_CHECK_EQ(w.k.a->quota.used[KEEL_POOL_OBJECTS], 1);
    int s = cap_kobj_install(w.k.a, &o->hdr, CAP_RIGHT_READ, 1);
    KT_CHECK_EQ(s, 1);
    kobj_put(&o->hdr); /* the creator's reference: the slot keeps it */
    KT_CHECK_EQ(o->destroyed, 0);
    struct kobj *got;
    struct cap_pin pin;
    KT_CHECK_EQ(cap_kobj_get(w.k.a, s, CAP_TYPE_MUTEX, CAP_RIGHT_READ, &got, 0),
                -EBADF); /* another type */
    KT_CHECK_EQ(cap_kobj_get(w.k.a, s, CAP_TYPE_BARRIER,
                             CAP_RIGHT_READ | CAP_RIGHT_WRITE, &got, 0),
                -EACCES); /* a right it lacks */
    KT_CHECK_EQ(cap_kobj_get(w.k.a, 5, CAP_TYPE_BARRIER, 0, &got, 0), -EBADF);
    KT_CHECK_EQ(cap_kobj_get(w.k.a, -1, CAP_TYPE_BARRIER, 0, &got, 0), -EBADF);
    KT_CHECK_EQ(
        cap_kobj_get(w.k.a, s, CAP_TYPE_BARRIER, CAP_RIGHT_READ, &got, &pin),
        0);
    KT_CHECK(got == &o->hdr);
    KT_CHECK(cap_pin_live(&pin));
    KT_CHECK_EQ(cap_kobj_close(w.k.a, s, CAP_TYPE_MUTEX), -EBADF);
    KT_CHECK_EQ(cap_kobj_close(w.k.a, s, CAP_TYPE_BARRIER), 0);
    KT_CHECK(!cap_pin_live(&pin)); /* the slot is gone ... */
    KT_CHECK_EQ(o->destroyed, 0);  /* ... but the pin keeps the object */
    kobj_put(got);
    KT_CHECK_EQ(kt_destroys, 1);
    KT_CHECK_EQ(kobj_count(), w.objs);
    KT_CHECK_EQ(w.k.a->quota.used[KEEL_POOL_OBJECTS], 0);
    kw_end(&w);
}

/* Transfer works for an object cap (GRANT stripped); revoking it calls the
 * object's cancel while the object lives on for its sender; exit teardown
 * drops the last reference. */
KTEST(kobj_transfer_revoke_cancel_teardown)
{
    struct kt_kw w;
    kw_begin(&w);
    struct kt_obj *o = kt_obj_new();
    KT_CHECK(o != NULL);
    int s = cap_kobj_install(
        w.k.a, &o->hdr, CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT, 1);
    KT_CHECK_EQ(s, 1);
    kobj_put(&o->hdr);
    long tok = sys_cap_get_token(s, CAP_TYPE_BARRIER);
    KT_CHECK(tok >= 0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t dtok = *(uint64_t *)vm_user_translate(w.k.pt, UD);
    int ds = (int)*(uint32_t *)vm_user_translate(w.k.pt, US);
    cap_word_t bw = w.k.b->caps.t.words[ds];
    KT_CHECK(capw_valid(bw) && capw_type(bw) == CAP_TYPE_BARRIER);
    KT_CHECK_EQ(capw_rights(bw), CAP_RIGHT_READ);
    KT_CHECK_EQ(o->hdr.refs, 2);
    struct kobj *got;
    struct cap_pin pin;
    KT_CHECK_EQ(
        cap_kobj_get(w.k.b, ds, CAP_TYPE_BARRIER, CAP_RIGHT_READ, &got, &pin),
        0);
    KT_CHECK_EQ(sys_cap_revoke_delegate(dtok), 0);
    KT_CHECK_EQ(o->cancelled, 1); /* R2: the object was told */
    KT_CHECK(!cap_pin_live(&pin));
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[ds]));
    kobj_put(got);
    KT_CHECK_EQ(o->destroyed, 0); /* the sender still holds it */
    KT_CHECK_EQ(o->hdr.refs, 1);
    cap_space_teardown(w.k.a);
    KT_CHECK_EQ(kt_destroys, 1);
    kw_end(&w);
}

/* The object quota: a process limited to two objects gets NULL for the
 * third, and can create again once one is gone. */
/* cap_kobj_get's lookup without the cap lock (include/proc.h) with the
 * slot closed, or closed and given to another object, between its
 * reference and its second look at the word (kobj_test_lookup): the
 * changed word sends it to the cap lock, the reference it took goes back
 * (here the last one: the object is destroyed), and it answers for the
 * slot as it is now: EBADF, or the new object pinned. */
static struct thread *kl_self;
static struct proc *kl_p;
static int kl_slot, kl_hits;
static struct kt_obj *kl_new;

static void kl_hook(void)
{
    if (current() != kl_self) { /* not the lookup under test */
        kobj_test_lookup = kl_hook;
        return;
    }
    kl_hits++;
    KT_CHECK_EQ(cap_kobj_close(kl_p, kl_slot, CAP_TYPE_BARRIER), 0);
    if (kl_new) /* the same slot, another generation */
        KT_CHECK_EQ(
            cap_kobj_install(kl_p, &kl_new->hdr, CAP_RIGHT_READ, kl_slot),
            kl_slot);
}

KTEST(kobj_lookup_races_slot_reuse)
{
    struct kt_kw w;
    kw_begin(&w);
    kl_self = current();
    kl_p = w.k.a;
    for (int reuse = 0; reuse < 2; reuse++) {
        kt_destroys = 0;
        struct kt_obj *o = kt_obj_new();
        KT_CHECK(o != NULL);
        kl_slot = cap_kobj_install(w.k.a, &o->hdr, CAP_RIGHT_READ, 1);
        KT_CHECK(kl_slot >= 1);
        kobj_put(&o->hdr); /* the slot's reference is the only one */
        kl_new = reuse ? kt_obj_new() : NULL;
        kl_hits = 0;
        struct kobj *got = NULL;
        struct cap_pin pin;
        kobj_test_lookup = kl_hook;
        int r = cap_kobj_get(w.k.a, kl_slot, CAP_TYPE_BARRIER, CAP_RIGHT_READ,
                             &got, &pin);
        kobj_test_lookup = NULL;
        KT_CHECK_EQ(kl_hits, 1);
        KT_CHECK_EQ(kt_destroys, 1); /* o: the lookup's put was its last */
        if (!reuse) {
            KT_CHECK_EQ(r, -EBADF);
            continue;
        }
        KT_CHECK_EQ(r, 0);
        KT_CHECK(got == &kl_new->hdr);
        KT_CHECK(cap_pin_live(&pin));
        KT_CHECK_EQ(kl_new->hdr.refs, 3); /* creator, slot, this lookup */
        kobj_put(got);
        kobj_put(&kl_new->hdr);
        KT_CHECK_EQ(cap_kobj_close(w.k.a, kl_slot, CAP_TYPE_BARRIER), 0);
        KT_CHECK(!cap_pin_live(&pin));
        KT_CHECK_EQ(kt_destroys, 2);
    }
    kw_end(&w);
}

KTEST(kobj_quota_exhaustion_and_recovery)
{
    struct kt_kw w;
    kw_begin(&w);
    uint64_t old = w.k.a->quota.limit[KEEL_POOL_OBJECTS];
    w.k.a->quota.limit[KEEL_POOL_OBJECTS] = 2;
    struct kt_obj *x = kt_obj_new(), *y = kt_obj_new();
    KT_CHECK(x && y);
    KT_CHECK(kt_obj_new() == NULL);
    KT_CHECK_EQ(kobj_count(), w.objs + 2);
    kobj_put(&x->hdr);
    struct kt_obj *z = kt_obj_new();
    KT_CHECK(z != NULL);
    kobj_put(&y->hdr);
    kobj_put(&z->hdr);
    KT_CHECK_EQ(kt_destroys, 3);
    w.k.a->quota.limit[KEEL_POOL_OBJECTS] = old;
    kw_end(&w);
}
