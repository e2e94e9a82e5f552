/*
 * Process-shared read-write locks: the CAP_TYPE_RWLOCK kernel object
 * (issue 9 items 2, 4; kernel/sync/krwlock.c, libc/src/rwlock.c). Every
 * error through the object; holds given back when a thread or a process
 * exits holding them; writer preference with the waiters blocked in the
 * kernel (threadinfo wchan rwlock_r / rwlock_w); mutual exclusion on every
 * hart; use by another process through cap_transfer and through spawn
 * inheritance (no shared memory: the helper attaches the slot); rights
 * (EACCES); revoke while blocked (EBADF, the lock lives on for the
 * sender); forged, stale and wrong-type slots and tokens; no leaks. The
 * object quota's exhaustion and recovery: ktest krwlock_quota.
 * Thread functions use EXPECT only; no time limits, only lower bounds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "t_rwlock.h"
#include "ut_peer.h"

#define MS 1000000ll
#define RW_RIGHTS (CAP_RIGHT_READ | CAP_RIGHT_WRITE)

static long raw(int op, int slot, long arg)
{
    long r = keel_syscall6(SYS_rwlock, op, slot, arg, 0, 0, 0);
    return r;
}

static int make_shared(pthread_rwlock_t *l)
{
    pthread_rwlockattr_t a;
    int rc = pthread_rwlockattr_init(&a);
    if (!rc)
        rc = pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (!rc)
        rc = pthread_rwlock_init(l, &a);
    pthread_rwlockattr_destroy(&a);
    return rc;
}

static int query(pthread_rwlock_t *l, struct keel_rwlock_info *info)
{
    return (int)raw(KEEL_RWLOCK_QUERY, keel_rwlock_slot(l), (long)info);
}

/* ---- the helper process: "rwlock-peer CMDFD REPFD" ---- */

enum {
    K_ATTACH = 1, /* a: slot */
    K_OP,         /* a: RW_* */
    K_INFO,       /* a: slot -> ci */
    K_RAW,        /* a: op, b: slot -> the raw result */
    K_EXIT,       /* exits with a, holding whatever it holds */
};

static int mode_rwlock_peer(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int cmd = atoi(argv[2]), rep = atoi(argv[3]);
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    for (;;) {
        struct pcmd c;
        struct prep o;
        if (ut_read_full(cmd, &c, sizeof(c)) != (long)sizeof(c))
            return 3;
        memset(&o, 0, sizeof(o));
        struct keel_rwlock_info info;
        switch (c.op) {
        case K_ATTACH:
            o.r = keel_rwlock_attach(&l, c.a);
            break;
        case K_OP:
            o.r = rw_op(&l, c.a);
            break;
        case K_INFO:
            o.r = cap_info(c.a, &o.ci);
            break;
        case K_RAW:
            o.r = raw(c.a, c.b, (long)&info);
            o.slot = (int)info.readers;
            break;
        case K_EXIT:
            exit(c.a);
        }
        if (ut_write_full(rep, &o, sizeof(o)) != (long)sizeof(o))
            return 4;
    }
}

const struct ut_mode ut_rwlock_modes[] = {
    {"rwlock-peer", mode_rwlock_peer},
    UT_MODE_END,
};

static int kpeer_start(struct peer *p)
{
    return ut_start_helper(p, "rwlock-peer", NULL);
}

/* Ends the helper (exit 0) and reaps it: its exit status or -1. */
static int kpeer_end(struct peer *p)
{
    psend(p, K_EXIT, 0, 0, 0, 0, NULL);
    close(p->cmd);
    close(p->rep);
    return ut_wait(p->pid);
}

/* Hands the rwlock in our slot to p with rights: its slot there, or -1. */
static int give(struct peer *p, pthread_rwlock_t *l, unsigned rights,
                cap_token_t *deleg)
{
    cap_token_t tok;
    int dslot = -1;
    if (cap_get_token(keel_rwlock_slot(l), CAP_TYPE_RWLOCK, &tok) < 0 ||
        cap_transfer(p->pid, tok, rights, deleg, &dslot) < 0)
        return -1;
    return dslot;
}

/* ---- tests ---- */

static void *exit_holding_fn(void *arg)
{
    pthread_rwlock_t *l = arg;
    EXPECT(pthread_rwlock_rdlock(l) == 0);
    EXPECT(pthread_rwlock_rdlock(l) == 0);
    return NULL; /* holding two read locks */
}

static void *exit_writing_fn(void *arg)
{
    EXPECT(pthread_rwlock_wrlock(arg) == 0);
    pthread_exit(NULL); /* holding the write lock */
}

TEST(rwlock_k_semantics)
{
    pthread_rwlock_t l;
    CHECK_RC(make_shared(&l), 0);
    int s = keel_rwlock_slot(&l);
    CHECK(s >= 0);
    struct cap_info ci;
    CHECK_OK(cap_info(s, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_RWLOCK);
    CHECK_EQ(ci.rights, RW_RIGHTS | CAP_RIGHT_GRANT);
    struct keel_rwlock_info info;
    /* Read: recursion, and a read-holder's write would wait for itself. */
    CHECK_RC(pthread_rwlock_unlock(&l), EPERM);
    CHECK_RC(pthread_rwlock_rdlock(&l), 0);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), 0);
    CHECK_EQ(query(&l, &info), 0);
    CHECK_EQ(info.readers, 2);
    CHECK_EQ(info.writer, 0);
    CHECK_RC(pthread_rwlock_wrlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TRYRD), 0); /* exits holding it */
    CHECK_EQ(query(&l, &info), 0);
    CHECK_EQ(info.readers, 2); /* the exited thread's hold is gone */
    CHECK_EQ(rw_from_other(&l, RW_TRYWR), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TIMEDWR_PAST), ETIMEDOUT);
    CHECK_EQ(rw_from_other(&l, RW_UNLOCK), EPERM);
    CHECK_RC(pthread_rwlock_destroy(&l), EBUSY);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), EPERM);
    /* Write. */
    CHECK_RC(pthread_rwlock_wrlock(&l), 0);
    CHECK_EQ(query(&l, &info), 0);
    CHECK_EQ(info.writer, 1);
    CHECK_RC(pthread_rwlock_wrlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_rdlock(&l), EDEADLK);
    CHECK_RC(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TRYRD), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TRYWR), EBUSY);
    CHECK_EQ(rw_from_other(&l, RW_TIMEDRD_PAST), ETIMEDOUT);
    CHECK_EQ(rw_from_other(&l, RW_UNLOCK), EPERM);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    /* Timed: a free lock ignores the time; held elsewhere, it is
     * checked (EINVAL) and kept (ETIMEDOUT no earlier). */
    struct timespec bad = {0, 1000000000};
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &bad), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    struct rw_holder h;
    CHECK_RC(rw_holder_start(&h, &l, RW_WR), 0);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &bad), EINVAL);
    struct timespec neg = {-3, 0};
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &neg), ETIMEDOUT);
    int64_t t0 = rw_rt_ns();
    struct timespec soon = rw_ts_at(t0 + 50 * MS);
    CHECK_RC(pthread_rwlock_timedwrlock(&l, &soon), ETIMEDOUT);
    CHECK(rw_rt_ns() >= t0 + 50 * MS);
    t0 = rw_rt_ns();
    soon = rw_ts_at(t0 + 30 * MS);
    CHECK_RC(pthread_rwlock_timedrdlock(&l, &soon), ETIMEDOUT);
    CHECK(rw_rt_ns() >= t0 + 30 * MS);
    CHECK_RC(rw_holder_stop(&h), 0);
    /* Threads that exit holding: their holds are given back. */
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, exit_holding_fn, &l), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(query(&l, &info), 0);
    CHECK_EQ(info.readers, 0);
    CHECK_RC(pthread_create(&th, NULL, exit_writing_fn, &l), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_RC(pthread_rwlock_trywrlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    /* Destroy closes the slot. */
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
    CHECK_ERRNO(cap_info(s, &ci), EBADF);
    CHECK_RC(pthread_rwlock_rdlock(&l), EBADF);
}

static pthread_rwlock_t kpref_l;
static volatile int kpref_seq, kpref_writer_at, kpref_reader_at;

static void *kpref_writer(void *arg)
{
    (void)arg;
    EXPECT(pthread_rwlock_wrlock(&kpref_l) == 0);
    kpref_writer_at = __atomic_add_fetch(&kpref_seq, 1, __ATOMIC_ACQ_REL);
    ut_sleep_ms(20);
    EXPECT(pthread_rwlock_unlock(&kpref_l) == 0);
    return NULL;
}

static void *kpref_reader(void *arg)
{
    (void)arg;
    EXPECT(pthread_rwlock_rdlock(&kpref_l) == 0);
    kpref_reader_at = __atomic_add_fetch(&kpref_seq, 1, __ATOMIC_ACQ_REL);
    EXPECT(pthread_rwlock_unlock(&kpref_l) == 0);
    return NULL;
}

static void *kpref_high_try(void *arg)
{
    *(int *)arg = pthread_rwlock_tryrdlock(&kpref_l);
    if (*(int *)arg == 0)
        EXPECT(pthread_rwlock_unlock(&kpref_l) == 0);
    return NULL;
}

TEST(rwlock_k_writer_preference)
{
    struct sched_param sp;
    int pol;
    CHECK_RC(pthread_getschedparam(pthread_self(), &pol, &sp), 0);
    int prio = sp.sched_priority;
    CHECK(prio > 1 && prio < ut_ceiling);
    CHECK_RC(make_shared(&kpref_l), 0);
    kpref_seq = kpref_writer_at = kpref_reader_at = 0;
    CHECK_RC(pthread_rwlock_rdlock(&kpref_l), 0);
    pthread_t w, r, hi;
    CHECK_RC(ut_thread_at(&w, SCHED_RR, prio, kpref_writer, NULL), 0);
    CHECKF(rw_wait_blocked((int)w, "rwlock_w"), "the writer never blocked");
    CHECK_EQ(rw_from_other(&kpref_l, RW_TRYRD), EBUSY);
    CHECK_RC(ut_thread_at(&r, SCHED_RR, prio, kpref_reader, NULL), 0);
    CHECKF(rw_wait_blocked((int)r, "rwlock_r"), "the reader was not held back");
    struct keel_rwlock_info info;
    CHECK_EQ(query(&kpref_l, &info), 0);
    CHECK_EQ(info.waiting_writers, 1);
    CHECK_EQ(info.waiting_readers, 1);
    int hi_rc = -1;
    CHECK_RC(ut_thread_at(&hi, SCHED_RR, prio + 1, kpref_high_try, &hi_rc), 0);
    CHECK_RC(pthread_join(hi, NULL), 0);
    CHECK_RC(hi_rc, 0); /* above every waiting writer: it passes */
    CHECK_RC(pthread_rwlock_rdlock(&kpref_l), 0); /* recursion passes */
    CHECK_RC(pthread_rwlock_unlock(&kpref_l), 0);
    CHECK_RC(pthread_rwlock_unlock(&kpref_l), 0);
    CHECK_RC(pthread_join(w, NULL), 0);
    CHECK_RC(pthread_join(r, NULL), 0);
    CHECK_EQ(kpref_writer_at, 1);
    CHECK_EQ(kpref_reader_at, 2);
    CHECK_RC(pthread_rwlock_destroy(&kpref_l), 0);
}

#define KMIX_ITERS 600
static pthread_rwlock_t kmix_l;
static volatile int kmix_readers, kmix_writers;
static volatile long kmix_count;

static void *kmix_fn(void *arg)
{
    int writer = (int)(intptr_t)arg & 1;
    for (int i = 0; i < KMIX_ITERS && !ut_failed(); i++) {
        if (writer) {
            EXPECT(pthread_rwlock_wrlock(&kmix_l) == 0);
            if (__atomic_add_fetch(&kmix_writers, 1, __ATOMIC_ACQ_REL) != 1 ||
                __atomic_load_n(&kmix_readers, __ATOMIC_ACQUIRE))
                EXPECT(!"a writer was not alone");
            kmix_count = kmix_count + 1;
            __atomic_sub_fetch(&kmix_writers, 1, __ATOMIC_ACQ_REL);
        } else {
            EXPECT(pthread_rwlock_rdlock(&kmix_l) == 0);
            __atomic_add_fetch(&kmix_readers, 1, __ATOMIC_ACQ_REL);
            if (__atomic_load_n(&kmix_writers, __ATOMIC_ACQUIRE))
                EXPECT(!"a reader inside with a writer");
            __atomic_sub_fetch(&kmix_readers, 1, __ATOMIC_ACQ_REL);
        }
        EXPECT(pthread_rwlock_unlock(&kmix_l) == 0);
    }
    return NULL;
}

TEST(rwlock_k_writers_exclusive)
{
    CHECK_RC(make_shared(&kmix_l), 0);
    kmix_count = 0;
    pthread_t th[4];
    for (intptr_t i = 0; i < 4; i++)
        CHECK_RC(pthread_create(&th[i], NULL, kmix_fn, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    CHECK_EQ(kmix_count, 2L * KMIX_ITERS);
    struct keel_rwlock_info info;
    CHECK_EQ(query(&kmix_l, &info), 0);
    CHECK(info.readers == 0 && info.writer == 0 && info.waiting_readers == 0 &&
          info.waiting_writers == 0);
    CHECK_RC(pthread_rwlock_destroy(&kmix_l), 0);
}

static void *blocked_wr_fn(void *arg)
{
    int rc = pthread_rwlock_wrlock(arg);
    if (rc == 0)
        EXPECT(pthread_rwlock_unlock(arg) == 0);
    return (void *)(intptr_t)rc;
}

/* cap_transfer: the other process waits for our write lock, then holds
 * a read lock and exits holding it; a write lock it holds when it exits
 * lets our blocked writer in. */
TEST(rwlock_k_transfer_and_exit_holding)
{
    struct peer p;
    CHECK_RC(kpeer_start(&p), 0);
    pthread_rwlock_t l;
    CHECK_RC(make_shared(&l), 0);
    struct prep o;
    cap_token_t deleg;
    int ds = give(&p, &l, RW_RIGHTS, &deleg);
    CHECK(ds >= 0);
    CHECK_EQ(pcall(&p, &o, K_INFO, ds, 0, 0, 0, NULL), 0);
    CHECK_EQ(o.ci.type, CAP_TYPE_RWLOCK);
    CHECK_EQ(o.ci.rights, RW_RIGHTS); /* GRANT stripped */
    CHECK_EQ(pcall(&p, &o, K_ATTACH, ds, 0, 0, 0, NULL), 0);
    CHECK_RC(pthread_rwlock_wrlock(&l), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_TRYWR, 0, 0, 0, NULL), EBUSY);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_TRYRD, 0, 0, 0, NULL), EBUSY);
    CHECK_EQ(psend(&p, K_OP, RW_RD, 0, 0, 0, NULL), 0);
    CHECKF(rw_wait_blocked_pid(p.pid, "rwlock_r"), "the peer never blocked");
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_EQ(precv(&p, &o), 0); /* it reads now */
    CHECK_RC(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_UNLOCK, 0, 0, 0, NULL), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_UNLOCK, 0, 0, 0, NULL), EPERM);
    /* It exits holding a read lock: given back. */
    CHECK_EQ(pcall(&p, &o, K_OP, RW_RD, 0, 0, 0, NULL), 0);
    CHECK_EXITED(kpeer_end(&p), 0);
    CHECK_RC(pthread_rwlock_trywrlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    cap_revoke_delegate(deleg); /* the record goes (it exited) */
    /* A new one exits holding the write lock while our writer waits. */
    CHECK_RC(kpeer_start(&p), 0);
    ds = give(&p, &l, RW_RIGHTS, &deleg);
    CHECK(ds >= 0);
    CHECK_EQ(pcall(&p, &o, K_ATTACH, ds, 0, 0, 0, NULL), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_WR, 0, 0, 0, NULL), 0);
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, blocked_wr_fn, &l), 0);
    CHECKF(rw_wait_blocked((int)th, "rwlock_w"), "our writer never blocked");
    CHECK_EXITED(kpeer_end(&p), 0);
    void *rc;
    CHECK_RC(pthread_join(th, &rc), 0);
    CHECK_EQ((int)(intptr_t)rc, 0);
    cap_revoke_delegate(deleg);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
}

/* Spawn inheritance: a lock made before the spawn is in the child's
 * table (same slot, GRANT stripped); the child writes, our reader waits
 * in the kernel until it unlocks. */
TEST(rwlock_k_inherited_at_spawn)
{
    pthread_rwlock_t l;
    CHECK_RC(make_shared(&l), 0);
    int s = keel_rwlock_slot(&l);
    struct peer p;
    CHECK_RC(kpeer_start(&p), 0);
    struct prep o;
    CHECK_EQ(pcall(&p, &o, K_INFO, s, 0, 0, 0, NULL), 0);
    CHECK_EQ(o.ci.type, CAP_TYPE_RWLOCK);
    CHECK_EQ(o.ci.rights, RW_RIGHTS);
    CHECK_EQ(pcall(&p, &o, K_ATTACH, s, 0, 0, 0, NULL), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_WR, 0, 0, 0, NULL), 0);
    CHECK_RC(pthread_rwlock_tryrdlock(&l), EBUSY);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_TRYRD, 0, 0, 0, NULL), EBUSY);
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, blocked_wr_fn, &l), 0);
    CHECKF(rw_wait_blocked((int)th, "rwlock_w"), "our writer never blocked");
    CHECK_EQ(pcall(&p, &o, K_OP, RW_UNLOCK, 0, 0, 0, NULL), 0);
    void *rc;
    CHECK_RC(pthread_join(th, &rc), 0);
    CHECK_EQ((int)(intptr_t)rc, 0);
    CHECK_EXITED(kpeer_end(&p), 0);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
}

/* Rights: READ alone may query, not lock (EACCES); WRITE alone neither. */
TEST(rwlock_k_rights)
{
    pthread_rwlock_t l;
    CHECK_RC(make_shared(&l), 0);
    struct peer p;
    CHECK_RC(kpeer_start(&p), 0);
    struct prep o;
    cap_token_t d1, d2;
    int rs = give(&p, &l, CAP_RIGHT_READ, &d1);
    int ws = give(&p, &l, CAP_RIGHT_WRITE, &d2);
    CHECK(rs >= 0 && ws >= 0);
    CHECK_RC(pthread_rwlock_rdlock(&l), 0);
    CHECK_EQ(pcall(&p, &o, K_RAW, KEEL_RWLOCK_QUERY, rs, 0, 0, NULL), 0);
    CHECK_EQ(o.slot, 1); /* our read hold */
    CHECK_EQ(pcall(&p, &o, K_RAW, KEEL_RWLOCK_QUERY, ws, 0, 0, NULL), -EACCES);
    for (int op = KEEL_RWLOCK_RDLOCK; op <= KEEL_RWLOCK_UNLOCK; op++) {
        CHECK_EQ(pcall(&p, &o, K_RAW, op, rs, 0, 0, NULL), -EACCES);
        CHECK_EQ(pcall(&p, &o, K_RAW, op, ws, 0, 0, NULL), -EACCES);
    }
    CHECK_EQ(pcall(&p, &o, K_ATTACH, rs, 0, 0, 0, NULL), 0);
    CHECK_EQ(pcall(&p, &o, K_OP, RW_TRYRD, 0, 0, 0, NULL), EACCES);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_EXITED(kpeer_end(&p), 0);
    cap_revoke_delegate(d1);
    cap_revoke_delegate(d2);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
}

/* Revoke while blocked: the other process's waiting writer (then reader)
 * leaves with EBADF; the lock lives on for us. */
TEST(rwlock_k_revoke_while_blocked)
{
    pthread_rwlock_t l;
    CHECK_RC(make_shared(&l), 0);
    struct peer p;
    CHECK_RC(kpeer_start(&p), 0);
    struct prep o;
    CHECK_RC(pthread_rwlock_wrlock(&l), 0);
    for (int round = 0; round < 2; round++) {
        cap_token_t deleg;
        int ds = give(&p, &l, RW_RIGHTS, &deleg);
        CHECK(ds >= 0);
        CHECK_EQ(pcall(&p, &o, K_ATTACH, ds, 0, 0, 0, NULL), 0);
        CHECK_EQ(psend(&p, K_OP, round ? RW_RD : RW_WR, 0, 0, 0, NULL), 0);
        CHECKF(rw_wait_blocked_pid(p.pid, round ? "rwlock_r" : "rwlock_w"),
               "the peer never blocked");
        CHECK_OK(cap_revoke_delegate(deleg));
        CHECK_EQ(precv(&p, &o), EBADF);
        CHECK_EQ(pcall(&p, &o, K_OP, RW_TRYRD, 0, 0, 0, NULL), EBADF);
    }
    struct keel_rwlock_info info;
    CHECK_EQ(query(&l, &info), 0);
    CHECK(info.writer == 1 && info.waiting_readers == 0 &&
          info.waiting_writers == 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_RC(pthread_rwlock_rdlock(&l), 0);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    CHECK_EXITED(kpeer_end(&p), 0);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
}

/* Forged, stale and wrong-type slots and tokens. */
TEST(rwlock_k_forged_and_stale)
{
    struct keel_rwlock_info info;
    int bad_slots[] = {-1, CAP_FD_SLOTS, CAP_SLOTS, 100000, 0 /* stdin */};
    for (unsigned i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
        for (int op = KEEL_RWLOCK_RDLOCK; op <= KEEL_RWLOCK_CLOSE; op++)
            CHECK_EQ(raw(op, bad_slots[i], (long)&info), -EBADF);
    pthread_rwlock_t l;
    CHECK_RC(keel_rwlock_attach(&l, 0), EBADF);
    CHECK_RC(keel_rwlock_attach(&l, -5), EBADF);
    CHECK_RC(keel_rwlock_attach(NULL, 0), EINVAL);
    pthread_rwlock_t forged = {.__kind = 1, .__slot = 1 /* stdout */};
    CHECK_RC(pthread_rwlock_rdlock(&forged), EBADF);
    CHECK_RC(pthread_rwlock_unlock(&forged), EBADF);
    CHECK_RC(make_shared(&l), 0);
    int s = keel_rwlock_slot(&l);
    CHECK_EQ(raw(99, s, 0), -EINVAL);
    CHECK_EQ(raw(-1, s, 0), -EINVAL);
    CHECK_EQ(raw(KEEL_RWLOCK_QUERY, s, 8), -EFAULT);
    /* A bad time pointer is read only when the call would block. */
    CHECK_EQ(raw(KEEL_RWLOCK_WRLOCK, s, 8), 0);
    CHECK_EQ(rw_from_other(&l, RW_TIMEDRD_PAST), ETIMEDOUT);
    CHECK_RC(pthread_rwlock_unlock(&l), 0);
    struct rw_holder h;
    CHECK_RC(rw_holder_start(&h, &l, RW_WR), 0);
    CHECK_EQ(raw(KEEL_RWLOCK_RDLOCK, s, 8), -EFAULT);
    CHECK_RC(rw_holder_stop(&h), 0);
    /* A forged token (another generation) and the stale one after
     * destroy do not transfer; the stale slot, reused by a pipe, is not
     * a rwlock. */
    cap_token_t tok;
    CHECK_OK(cap_get_token(s, CAP_TYPE_RWLOCK, &tok));
    cap_token_t fake = tok ^ ((cap_token_t)1 << CAP_TOK_GEN_SHIFT);
    cap_token_t d;
    int ds;
    CHECK_ERRNO(cap_transfer(getpid(), fake, RW_RIGHTS, &d, &ds), EBADF);
    CHECK_RC(pthread_rwlock_destroy(&l), 0);
    CHECK_ERRNO(cap_transfer(getpid(), tok, RW_RIGHTS, &d, &ds), EBADF);
    CHECK_EQ(raw(KEEL_RWLOCK_RDLOCK, s, 0), -EBADF);
    int pfd[2];
    CHECK_OK(pipe(pfd));
    CHECK_EQ(raw(KEEL_RWLOCK_TRYWRLOCK, pfd[0], 0), -EBADF);
    CHECK_EQ(raw(KEEL_RWLOCK_CLOSE, pfd[1], 0), -EBADF);
    CHECK(ut_fd_open(pfd[0]) && ut_fd_open(pfd[1]));
    close(pfd[0]);
    close(pfd[1]);
}

/* No leak: objects in use come back to where they were. */
TEST(rwlock_k_no_leak)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    pthread_rwlock_t l[16];
    for (int i = 0; i < 16; i++)
        CHECK_RC(make_shared(&l[i]), 0);
    CHECK_OK(keel_kstat(&k1));
    CHECK(k1.pool_used[KEEL_POOL_OBJECTS] >=
          k0.pool_used[KEEL_POOL_OBJECTS] + 16);
    for (int i = 0; i < 16; i++) {
        CHECK_RC(pthread_rwlock_wrlock(&l[i]), 0);
        CHECK_RC(pthread_rwlock_unlock(&l[i]), 0);
        CHECK_RC(pthread_rwlock_destroy(&l[i]), 0);
    }
    struct keel_quota q;
    CHECK_OK(keel_quota_info(0, &q));
    CHECK_EQ(q.used[KEEL_POOL_OBJECTS], 0);
}

const struct utest ut_rwlock_k_tests[] = {
    UT_CASE(rwlock_k_semantics),
    UT_CASE(rwlock_k_writer_preference),
    UT_CASE(rwlock_k_writers_exclusive),
    UT_CASE(rwlock_k_transfer_and_exit_holding),
    UT_CASE(rwlock_k_inherited_at_spawn),
    UT_CASE(rwlock_k_rights),
    UT_CASE(rwlock_k_revoke_while_blocked),
    UT_CASE(rwlock_k_forged_and_stale),
    UT_CASE(rwlock_k_no_leak),
    UT_END,
};
