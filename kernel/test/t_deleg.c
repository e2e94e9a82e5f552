/* In-kernel tests: transfer, revoke, delegation quotas, process caps and
 * the lock-order check. The test thread borrows a process identity
 * (current()->proc) and a scratch user page for the syscalls' out
 * arguments. */
#include "../include/cap.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "kt_world.h"
#include "ktest.h"

long sys_cap_get_token(int slot, int type);
long sys_cap_drop(uint64_t tok);
long sys_cap_transfer(int dst, uint64_t tok, unsigned rights, uint64_t ud,
                      uint64_t us);
long sys_cap_revoke_delegate(uint64_t tok);

/* The kt_world pair (a borrowed, b bare) with /dev/null in a's slot 0
 * and a cap for b in slot 1; the counts are checked at the end. */
struct world {
    struct kt_world k;
    struct file *f;
    uint64_t pages;
    uint32_t delegs;
};

#define UD USER_BASE       /* delegate token out */
#define US (USER_BASE + 8) /* destination slot out */

static void world_begin(struct world *w)
{
    w->pages = page_free_count();
    w->delegs = cap_delegations_in_use();
    kt_world_begin_pair(&w->k);
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDWR, &w->f), 0);
    KT_CHECK_EQ(
        cap_fd_install(w->k.a, w->f,
                       CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT,
                       false, 0),
        0);
    KT_CHECK_EQ(cap_proc_install(w->k.a, w->k.b), 1);
}

static void world_end(struct world *w)
{
    kt_world_end(&w->k);
    KT_CHECK_EQ(cap_delegations_in_use(), w->delegs);
    KT_CHECK_EQ(page_free_count(), w->pages);
}

static uint64_t read_u64(struct world *w, uint64_t va)
{
    return kt_read_u64(&w->k, va);
}

KTEST(transfer_then_revoke_copies)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    KT_CHECK(tok >= 0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t dtok = read_u64(&w, UD);
    int ds = (int)(uint32_t)read_u64(&w, US);
    cap_word_t bw = w.k.b->caps.t.words[ds];
    KT_CHECK(capw_valid(bw) && capw_type(bw) == CAP_TYPE_FD);
    KT_CHECK_EQ(capw_rights(bw), CAP_RIGHT_READ); /* GRANT stripped */
    KT_CHECK(bw & CAPW_DELEGATED);
    KT_CHECK(w.k.b->caps.t.deleg[ds] != 0);
    KT_CHECK_EQ(cap_token_type(dtok), CAP_TYPE_DELEGATE);
    KT_CHECK_EQ(w.f->refs, 2);
    /* The receiver copies it: every copy is revoked with the original. */
    int d1 = cap_fd_dup(w.k.b, ds, 0);
    KT_CHECK_EQ(cap_fd_dup2(w.k.b, ds, 40), 40);
    KT_CHECK(w.k.b->caps.t.words[d1] & CAPW_DELEGATED);
    KT_CHECK_EQ(w.f->refs, 4);
    KT_CHECK_EQ(sys_cap_revoke_delegate(dtok), 0);
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[ds]));
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[d1]));
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[40]));
    KT_CHECK_EQ(w.f->refs, 1);
    KT_CHECK_EQ(w.k.a->caps.ndeleg, 0);
    KT_CHECK_EQ(sys_cap_revoke_delegate(dtok), -EBADF); /* stale now */
    KT_CHECK_EQ(cap_table_check(&w.k.a->caps.t), 0);
    KT_CHECK_EQ(cap_table_check(&w.k.b->caps.t), 0);
    world_end(&w);
}

/* O1/O2 of the revoke protocol (cap_deleg.c): a pin taken through a
 * delegated slot or a copy goes stale with the revoke, and stays stale
 * when the slot is filled again; a pin through the sender's own slot of
 * the same file stays live. */
KTEST(pin_goes_stale_with_revoke)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    KT_CHECK(tok >= 0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t dtok = read_u64(&w, UD);
    int ds = (int)(uint32_t)read_u64(&w, US);
    int d1 = cap_fd_dup(w.k.b, ds, 0);
    KT_CHECK(d1 >= 0);
    struct file *f0, *f1, *f2;
    struct cap_pin p0, p1, p2;
    KT_CHECK_EQ(cap_fd_get_pin(w.k.a, 0, CAP_RIGHT_READ, &f0, &p0), 0);
    KT_CHECK_EQ(cap_fd_get_pin(w.k.b, ds, CAP_RIGHT_READ, &f1, &p1), 0);
    KT_CHECK_EQ(cap_fd_get_pin(w.k.b, d1, CAP_RIGHT_READ, &f2, &p2), 0);
    KT_CHECK(f0 == w.f && f1 == w.f && f2 == w.f);
    KT_CHECK(cap_pin_live(&p0) && cap_pin_live(&p1) && cap_pin_live(&p2));
    KT_CHECK(cap_pin_live(NULL));
    KT_CHECK_EQ(sys_cap_revoke_delegate(dtok), 0);
    KT_CHECK(cap_pin_live(&p0));
    KT_CHECK(!cap_pin_live(&p1));
    KT_CHECK(!cap_pin_live(&p2));
    /* The slot reused by a new capability is not the pinned one. */
    KT_CHECK_EQ(cap_fd_install(w.k.b, w.f, CAP_RIGHT_READ, false, ds), ds);
    file_get(w.f); /* the reference the new slot holds */
    KT_CHECK(!cap_pin_live(&p1));
    KT_CHECK_EQ(cap_fd_close(w.k.b, ds), 0);
    file_put(f0);
    file_put(f1);
    file_put(f2);
    KT_CHECK_EQ(w.f->refs, 1);
    world_end(&w);
}

KTEST(transfer_errors)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    /* Rights may only shrink, and never carry GRANT. */
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_EXEC, UD, US),
                -EINVAL);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok,
                                 CAP_RIGHT_READ | CAP_RIGHT_GRANT, UD, US),
                -EINVAL);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok ^ (1ull << 20), CAP_RIGHT_READ,
                                 UD, US),
                -EBADF); /* forged generation */
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, 0, US),
                -EFAULT);
    /* No process cap for the destination, or no such process. */
    KT_CHECK_EQ(sys_cap_transfer(w.k.a->pid, tok, CAP_RIGHT_READ, UD, US),
                -EPERM);
    KT_CHECK_EQ(sys_cap_transfer(99999, tok, CAP_RIGHT_READ, UD, US), -ESRCH);
    /* No GRANT on the source. */
    struct file *g;
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDONLY, &g), 0);
    int fd = cap_fd_install(w.k.a, g, CAP_RIGHT_READ, false, 0);
    long t2 = sys_cap_get_token(fd, CAP_TYPE_FD);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, t2, CAP_RIGHT_READ, UD, US),
                -EACCES);
    /* The destination's quota: a full table answers ENOSPC. */
    w.k.b->caps.t.quota = 0;
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US),
                -ENOSPC);
    w.k.b->caps.t.quota = CAP_QUOTA_SLOTS;
    /* The delegation quota. */
    for (int i = 0; i < CAP_QUOTA_DELEGATIONS; i++)
        KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US),
                    0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US),
                -ENOSPC);
    KT_CHECK_EQ(w.k.a->caps.ndeleg, CAP_QUOTA_DELEGATIONS);
    /* Revoking one frees one unit of quota. */
    KT_CHECK_EQ(sys_cap_revoke_delegate(read_u64(&w, UD)), 0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    world_end(&w);
}

KTEST(revoke_after_receiver_exit_or_drop)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t d1 = read_u64(&w, UD);
    int s1 = (int)(uint32_t)read_u64(&w, US);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_WRITE, UD, US), 0);
    uint64_t d2 = read_u64(&w, UD);
    /* The receiver drops the first copy itself, then exits. */
    KT_CHECK_EQ(cap_fd_close(w.k.b, s1), 0);
    KT_CHECK_EQ(sys_cap_revoke_delegate(d1), 0);
    cap_space_teardown(w.k.b);
    KT_CHECK_EQ(sys_cap_revoke_delegate(d2), 0);
    KT_CHECK_EQ(w.f->refs, 1);
    world_end(&w);
}

KTEST(exit_revokes_outstanding_delegations)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    int s = (int)(uint32_t)read_u64(&w, US);
    KT_CHECK(capw_valid(w.k.b->caps.t.words[s]));
    cap_space_teardown(w.k.a); /* the sender exits */
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[s]));
    KT_CHECK_EQ(cap_delegations_in_use(), w.delegs);
    world_end(&w);
}

KTEST(process_cap_outlives_reap)
{
    struct world w;
    world_begin(&w);
    int err = 0;
    struct proc *b = cap_proc_lookup(w.k.a, w.k.b->pid, CAP_RIGHT_WRITE, &err);
    KT_CHECK(b == w.k.b);
    proc_put(b);
    KT_CHECK(!cap_proc_lookup(w.k.b, w.k.a->pid, 0, &err));
    KT_CHECK_EQ(err, -EPERM); /* b holds no cap for a */
    /* b is reaped while a still names it: the struct stays, as ESRCH. */
    struct proc *keep = w.k.b;
    cap_space_teardown(keep);
    proc_free(keep);
    KT_CHECK_EQ(keep->state, P_REAPED);
    KT_CHECK(!cap_proc_lookup(w.k.a, keep->pid, 0, &err));
    KT_CHECK_EQ(err, -ESRCH);
    cap_proc_forget(w.k.a, keep); /* the last reference: now it is free */
    KT_CHECK_EQ(keep->state, P_FREE);
    w.k.b = proc_alloc("ktB2"); /* world_end frees a b */
    world_end(&w);
}

KTEST(process_cap_rights_are_enforced)
{
    struct world w;
    world_begin(&w);
    /* a -> b with READ only: waitpid-style lookups pass, kill- and
     * transfer-style (WRITE) ones are refused. */
    long ptok = sys_cap_get_token(1, CAP_TYPE_PROCESS);
    KT_CHECK(ptok >= 0);
    struct proc *c = proc_alloc("ktC");
    KT_CHECK_EQ(cap_proc_install(w.k.a, c), 2);
    KT_CHECK_EQ(sys_cap_transfer(c->pid, ptok, CAP_RIGHT_READ, UD, US), 0);
    int err = 0;
    struct proc *r = cap_proc_lookup(c, w.k.b->pid, CAP_RIGHT_READ, &err);
    KT_CHECK(r == w.k.b);
    if (r)
        proc_put(r);
    KT_CHECK(!cap_proc_lookup(c, w.k.b->pid, CAP_RIGHT_WRITE, &err));
    KT_CHECK_EQ(err, -EPERM);
    cap_space_teardown(c);
    proc_free(c);
    world_end(&w);
}

long sys_thread_setschedparam(uint64_t tok, int policy, int prio);
long sys_thread_getschedparam(uint64_t tok, uint64_t upolicy, uint64_t uprio);

KTEST(thread_cap_rights_are_enforced)
{
    struct world w;
    world_begin(&w);
    /* A thread of a (not started) in its reserved slot 1, handed to b
     * with READ only: b may read its parameters but not set them. */
    struct thread *t = thread_alloc(w.k.a);
    KT_CHECK(t != NULL);
    t->tslot = 1;
    t->state = T_BLOCKED; /* parked: a live thread nobody will wake */
    cap_thread_install(w.k.a, 1, t);
    long ttok = sys_cap_get_token(CAP_THREAD_SLOT_BASE + 1, CAP_TYPE_THREAD);
    KT_CHECK(ttok >= 0);
    KT_CHECK_EQ(cap_proc_install(w.k.b, w.k.a), 0); /* so b may transfer back */
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, ttok, CAP_RIGHT_READ, UD, US), 0);
    int bs = (int)(uint32_t)read_u64(&w, US);
    current()->proc = w.k.b;
    w.k.a->pagetable = NULL;
    w.k.b->pagetable = w.k.pt;
    long btok = sys_cap_get_token(bs, CAP_TYPE_THREAD);
    KT_CHECK_EQ(sys_thread_setschedparam(btok, KEEL_SCHED_RR, 5), -EPERM);
    KT_CHECK_EQ(sys_thread_getschedparam(btok, UD, US), 0);
    KT_CHECK_EQ(sys_thread_setschedparam(btok + 1, KEEL_SCHED_RR, 5), -ESRCH);
    current()->proc = w.k.a;
    w.k.b->pagetable = NULL;
    w.k.a->pagetable = w.k.pt;
    /* The thread's own cap has WRITE: setting works through it. */
    KT_CHECK_EQ(sys_thread_setschedparam(ttok, KEEL_SCHED_RR, 5), 0);
    KT_CHECK_EQ(t->prio, 5);
    /* A thread inside thread_exit (its joiner may have returned already)
     * is gone for the other holders of its cap as well: ESRCH. */
    t->exiting = true;
    current()->proc = w.k.b;
    w.k.a->pagetable = NULL;
    w.k.b->pagetable = w.k.pt;
    KT_CHECK_EQ(sys_thread_getschedparam(btok, UD, US), -ESRCH);
    current()->proc = w.k.a;
    w.k.b->pagetable = NULL;
    w.k.a->pagetable = w.k.pt;
    t->exiting = false; /* threads_exiting was not counted for it */
    t->state = T_DEAD;
    cap_thread_remove(w.k.a, 1);
    cap_space_teardown(w.k.b); /* drops b's copy: the last cap reference */
    thread_release(t);         /* the "alive" reference */
    world_end(&w);
}

#ifdef KEEL_LOCKCHECK
extern int lockcheck_expect_violation, lockcheck_violations;

KTEST(lock_order_check_catches_inversion)
{
    struct proc *a = proc_alloc("lo"), *b = proc_alloc("hi");
    lockcheck_expect_violation = 1;
    lockcheck_violations = 0;
    cap_lock_pair(b, a); /* the helper orders them: fine */
    cap_unlock_pair(b, a);
    KT_CHECK_EQ(lockcheck_violations, 0);
    cap_lock(b);
    cap_lock(a); /* higher pid first, then lower: the forbidden order */
    cap_unlock(a);
    cap_unlock(b);
    KT_CHECK_EQ(lockcheck_violations, 1);
    lockcheck_expect_violation = 0;
    proc_free(a);
    proc_free(b);
}
#endif

uint64_t cap_deleg_test_set_next(uint64_t next);

/* Issue 6 item 11e: delegation ids must not wrap into live ones. With
 * the counter just below a multiple of 2^32 past a live delegation's id,
 * a 32-bit id would come round to that id again: revoking the new
 * delegation would then also clear the old one's slot. */
KTEST(deleg_id_does_not_wrap_into_live)
{
    struct world w;
    world_begin(&w);
    long tok = sys_cap_get_token(0, CAP_TYPE_FD);
    KT_CHECK(tok >= 0);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t old_dtok = read_u64(&w, UD);
    int old_ds = (int)(uint32_t)read_u64(&w, US);
    uint64_t old_id = w.k.b->caps.t.deleg[old_ds];
    KT_CHECK(old_id != 0);
    uint64_t saved = cap_deleg_test_set_next(old_id + (1ull << 32) - 1);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t mid_dtok = read_u64(&w, UD);
    KT_CHECK_EQ(sys_cap_transfer(w.k.b->pid, tok, CAP_RIGHT_READ, UD, US), 0);
    uint64_t new_dtok = read_u64(&w, UD);
    int new_ds = (int)(uint32_t)read_u64(&w, US);
    KT_CHECK(w.k.b->caps.t.deleg[new_ds] != old_id);
    KT_CHECK_EQ(sys_cap_revoke_delegate(new_dtok), 0);
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[new_ds]));
    KT_CHECK(capw_valid(w.k.b->caps.t.words[old_ds])); /* untouched */
    KT_CHECK_EQ(sys_cap_revoke_delegate(mid_dtok), 0);
    KT_CHECK_EQ(sys_cap_revoke_delegate(old_dtok), 0);
    KT_CHECK(!capw_valid(w.k.b->caps.t.words[old_ds]));
    cap_deleg_test_set_next(saved);
    world_end(&w);
}
