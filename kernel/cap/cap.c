/*
 * The cap_space in the kernel: the cap lock (with the pid-order check),
 * object references, fd operations and process/thread caps. Lookups that
 * hand an object to a syscall pin it (cap_fd_get takes a file reference
 * under the cap lock), so a concurrent close, revoke or exit never frees
 * an object in use: the last reference frees it. A read or write also
 * remembers the slot it came through (struct cap_pin), so that a revoke
 * stops it even while it is blocked (cap_deleg.c, steps O1-O2, R1-R2).
 */
#include "../include/cap.h"
#include "../include/kobj.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"

void cap_space_init(struct cap_space *cs, uint32_t gen_seed)
{
    spin_init(&cs->lock, "cap");
    cap_table_init(&cs->t, gen_seed, CAP_QUOTA_SLOTS);
    cs->ndeleg = 0;
    cs->sys_hint = CAP_SYSTEM_SLOT; /* where init and its children keep it */
}

/*
 * Lock-order check: each hart remembers the pid whose cap lock it took
 * last (at most two are ever held). Taking another one with a pid not
 * above it is the deadlock the ordering rule forbids.
 */
#ifdef KEEL_LOCKCHECK
static int held_pid[MAX_HARTS][2];
static int nheld[MAX_HARTS];
int lockcheck_expect_violation; /* tests: count instead of panicking */
int lockcheck_violations;

static void lockcheck_acquire(struct proc *p)
{
    int h = this_hart()->id;
    if (nheld[h] > 0 && held_pid[h][nheld[h] - 1] >= p->pid) {
        if (lockcheck_expect_violation) {
            lockcheck_violations++;
        } else {
            panic("lock order: cap lock of pid %d taken while holding cap "
                  "lock of pid %d",
                  p->pid, held_pid[h][nheld[h] - 1]);
        }
    }
    KASSERT(nheld[h] < 2);
    held_pid[h][nheld[h]++] = p->pid;
}

static void lockcheck_release(struct proc *p)
{
    int h = this_hart()->id;
    for (int i = nheld[h] - 1; i >= 0; i--) {
        if (held_pid[h][i] == p->pid) {
            held_pid[h][i] = held_pid[h][nheld[h] - 1];
            nheld[h]--;
            return;
        }
    }
    panic("cap lock of pid %d released but not held", p->pid);
}
#endif

#ifdef KEEL_LOCKCHECK
void cap_lock(struct proc *p)
{
    spin_lock(&p->caps.lock);
    lockcheck_acquire(p);
}

void cap_unlock(struct proc *p)
{
    lockcheck_release(p);
    spin_unlock(&p->caps.lock);
}
#endif

void cap_lock_pair(struct proc *a, struct proc *b)
{
    if (a == b) {
        cap_lock(a);
        return;
    }
    struct proc *lo = a->pid < b->pid ? a : b;
    cap_lock(lo);
    cap_lock(lo == a ? b : a);
}

void cap_unlock_pair(struct proc *a, struct proc *b)
{
    if (a != b)
        cap_unlock(b);
    cap_unlock(a);
}

/* The per-type reference table (include/cap.h). */
static void cap_ref_none(uint32_t idx)
{
    (void)idx;
}
static void fd_ref_get(uint32_t idx)
{
    file_get(file_by_index(idx));
}
static void fd_ref_put(uint32_t idx)
{
    file_put(file_by_index(idx));
}
static void fd_cancel(uint32_t idx)
{
    struct file *f = file_by_index(idx);
    if (f->ops->cancel)
        f->ops->cancel(f);
}
static void proc_ref_get(uint32_t idx)
{
    proc_get(proc_by_index(idx));
}
static void proc_ref_put(uint32_t idx)
{
    proc_put(proc_by_index(idx));
}
static void thread_ref_get(uint32_t idx)
{
    thread_get(thread_by_index(idx));
}
static void thread_ref_put(uint32_t idx)
{
    thread_put(thread_by_index(idx));
}
static void kobj_ref_get(uint32_t idx)
{
    kobj_get(kobj_by_index(idx));
}
static void kobj_ref_put(uint32_t idx)
{
    kobj_put(kobj_by_index(idx));
}
static void kobj_ref_cancel(uint32_t idx)
{
    struct kobj *o = kobj_by_index(idx);
    if (o->ops->cancel)
        o->ops->cancel(o);
}

static const struct cap_type_ops none_type = {cap_ref_none, cap_ref_none,
                                              cap_ref_none};
static const struct cap_type_ops fd_type = {fd_ref_get, fd_ref_put, fd_cancel};
static const struct cap_type_ops proc_type = {proc_ref_get, proc_ref_put,
                                              cap_ref_none};
static const struct cap_type_ops thread_type = {thread_ref_get, thread_ref_put,
                                                cap_ref_none};
/* A DELEGATE slot owns its record: it is never copied (no get). */
static const struct cap_type_ops deleg_type = {cap_ref_none, cap_deleg_free,
                                               cap_ref_none};
static const struct cap_type_ops kobj_type = {kobj_ref_get, kobj_ref_put,
                                              kobj_ref_cancel};

const struct cap_type_ops *const cap_types[16] = {
    [CAP_TYPE_NONE] = &none_type,
    [CAP_TYPE_FD] = &fd_type,
    [CAP_TYPE_THREAD] = &thread_type,
    [CAP_TYPE_PROCESS] = &proc_type,
    [CAP_TYPE_DELEGATE] = &deleg_type,
    [CAP_TYPE_TIMER] = &kobj_type,
    [CAP_TYPE_MUTEX] = &kobj_type,
    [CAP_TYPE_CONDVAR] = &kobj_type,
    [CAP_TYPE_SEMAPHORE] = &kobj_type,
    [CAP_TYPE_BARRIER] = &kobj_type,
    [CAP_TYPE_RWLOCK] = &kobj_type,
    [CAP_TYPE_MQUEUE] = &kobj_type,
    [12] = &none_type, /* endpoints: reserved */
    [CAP_TYPE_SYSTEM] = &none_type,
    [14] = &none_type,
    [15] = &none_type,
};

static bool fd_ok(int fd)
{
    return fd >= 0 && fd < CAP_FD_SLOTS;
}

static bool is_fd(cap_word_t w)
{
    return capw_valid(w) && capw_type(w) == CAP_TYPE_FD;
}

int cap_fd_install(struct proc *p, struct file *f, unsigned rights,
                   bool cloexec, int min_slot)
{
    cap_lock(p);
    int slot = cap_table_alloc(&p->caps.t, min_slot);
    if (slot >= 0) {
        cap_word_t w = capw_make(CAP_TYPE_FD, rights, file_index(f), 0);
        cap_table_install(&p->caps.t, slot, cloexec ? w | CAPW_CLOEXEC : w, 0);
    }
    cap_unlock(p);
    return slot;
}

/* Lock order: the cap lock, then ramfs_lock (inside the commit). */
int cap_fd_open(struct proc *p, struct vfs_open_req *r, unsigned rights,
                bool cloexec, struct inode **trunc)
{
    *trunc = NULL;
    cap_lock(p);
    int slot = cap_table_alloc(&p->caps.t, 0);
    if (slot >= 0) {
        int err = vfs_open_commit_defer(r, 1, NULL, trunc); /* prewalked */
        if (err) {
            slot = err;
        } else {
            file_get(r->f); /* the slot's reference */
            cap_word_t w = capw_make(CAP_TYPE_FD, rights, file_index(r->f), 0);
            cap_table_install(&p->caps.t, slot, cloexec ? w | CAPW_CLOEXEC : w,
                              0);
        }
    }
    cap_unlock(p);
    return slot;
}

int cap_fd_get_pin(struct proc *p, int fd, unsigned rights, struct file **out,
                   struct cap_pin *pin)
{
    if (unlikely(!fd_ok(fd)))
        return -EBADF;
    cap_lock(p);
    cap_word_t w = p->caps.t.words[fd];
    if (unlikely(!is_fd(w) || (capw_rights(w) & rights) != rights)) {
        cap_unlock(p);
        return -EBADF;
    }
    struct file *f = file_by_index(capw_obj(w));
    file_get(f);
    cap_unlock(p);
    if (pin) { /* O1: the slot and generation this operation came through */
        pin->word = &p->caps.t.words[fd];
        pin->gen = capw_gen(w);
    }
    *out = f;
    return 0;
}

int cap_fd_get(struct proc *p, int fd, unsigned rights, struct file **out)
{
    return cap_fd_get_pin(p, fd, rights, out, NULL);
}

int cap_fd_close(struct proc *p, int fd)
{
    if (!fd_ok(fd))
        return -EBADF;
    cap_lock(p);
    cap_word_t w = p->caps.t.words[fd];
    if (!is_fd(w)) {
        cap_unlock(p);
        return -EBADF;
    }
    cap_table_clear(&p->caps.t, fd);
    cap_unlock(p);
    file_put(file_by_index(capw_obj(w)));
    return 0;
}

/* The word a dup makes: same object and rights (never more), delegation
 * mark kept, close-on-exec cleared. */
static cap_word_t dup_word(cap_word_t w)
{
    return capw_make(capw_type(w), capw_rights(w), capw_obj(w), 0) |
           (w & CAPW_DELEGATED);
}

int cap_fd_dup(struct proc *p, int fd, int min_slot)
{
    if (!fd_ok(fd))
        return -EBADF;
    cap_lock(p);
    struct cap_table *t = &p->caps.t;
    cap_word_t w = t->words[fd];
    int slot = -EBADF;
    if (is_fd(w)) {
        slot = cap_table_alloc(t, min_slot);
        if (slot >= 0) {
            file_get(file_by_index(capw_obj(w)));
            cap_table_install(t, slot, dup_word(w), t->deleg[fd]);
        }
    }
    cap_unlock(p);
    return slot;
}

int cap_fd_dup2(struct proc *p, int oldfd, int newfd)
{
    if (!fd_ok(oldfd) || !fd_ok(newfd))
        return -EBADF;
    cap_lock(p);
    struct cap_table *t = &p->caps.t;
    cap_word_t w = t->words[oldfd];
    cap_word_t victim = t->words[newfd];
    int r = newfd;
    if (!is_fd(w)) {
        r = -EBADF;
    } else if (oldfd == newfd) {
        victim = 0;
    } else if (capw_valid(victim) && capw_type(victim) != CAP_TYPE_FD) {
        r = -EBADF; /* never destroy a non-fd capability */
    } else if (capw_retired(victim)) {
        r = -EMFILE;
    } else if (!capw_valid(victim) && (t->dead || t->used >= t->quota)) {
        r = -EMFILE;
    } else {
        if (capw_valid(victim))
            cap_table_clear(t, newfd);
        file_get(file_by_index(capw_obj(w)));
        cap_table_install(t, newfd, dup_word(w), t->deleg[oldfd]);
    }
    cap_unlock(p);
    if (r >= 0 && capw_valid(victim))
        file_put(file_by_index(capw_obj(victim)));
    return r;
}

int cap_fd_getflags(struct proc *p, int fd)
{
    if (!fd_ok(fd))
        return -EBADF;
    cap_word_t w = READ_ONCE(p->caps.t.words[fd]);
    if (!is_fd(w))
        return -EBADF;
    return (w & CAPW_CLOEXEC) ? KEEL_FD_CLOEXEC : 0;
}

int cap_fd_setflags(struct proc *p, int fd, int flags)
{
    if (!fd_ok(fd))
        return -EBADF;
    cap_lock(p);
    cap_word_t *w = &p->caps.t.words[fd];
    int r = 0;
    if (is_fd(*w)) {
        if (flags & KEEL_FD_CLOEXEC)
            *w |= CAPW_CLOEXEC;
        else
            *w &= ~CAPW_CLOEXEC;
    } else {
        r = -EBADF;
    }
    cap_unlock(p);
    return r;
}

int cap_proc_install(struct proc *p, struct proc *target)
{
    cap_lock(p);
    int slot = cap_table_alloc(&p->caps.t, 0);
    if (slot >= 0) {
        proc_get(target);
        cap_table_install(
            &p->caps.t, slot,
            capw_make(CAP_TYPE_PROCESS, CAP_RIGHTS_ALL, proc_index(target), 0),
            0);
    }
    cap_unlock(p);
    return slot;
}

/* The slot of p's first process cap naming pid that carries `need`:
 * -1 when p holds none for pid, -2 when it holds only weaker ones.
 * Cap lock held. */
static int find_proc_slot(struct proc *p, int pid, unsigned need)
{
    int r = -1;
    for (int s = 0; s < CAP_FD_SLOTS; s++) {
        cap_word_t w = p->caps.t.words[s];
        if (capw_valid(w) && capw_type(w) == CAP_TYPE_PROCESS &&
            proc_by_index(capw_obj(w))->pid == pid) {
            if ((capw_rights(w) & need) == need)
                return s;
            r = -2;
        }
    }
    return r;
}

int cap_proc_slot_locked(struct proc *p, int pid, unsigned need)
{
    return find_proc_slot(p, pid, need);
}

struct proc *cap_proc_lookup(struct proc *p, int pid, unsigned need, int *err)
{
    cap_lock(p);
    int s = find_proc_slot(p, pid, need);
    struct proc *target = NULL;
    if (s >= 0) {
        target = proc_by_index(capw_obj(p->caps.t.words[s]));
        proc_get(target);
    }
    cap_unlock(p);
    if (s == -2) {
        *err = -EPERM; /* a cap without the right this call needs */
        return NULL;
    }
    if (!target) {
        spin_lock(&proc_tree_lock);
        bool exists = proc_find_locked(pid) != NULL; /* alive or zombie */
        spin_unlock(&proc_tree_lock);
        *err = exists ? -EPERM : -ESRCH;
        return NULL;
    }
    if (READ_ONCE(target->state) != P_ALIVE) {
        proc_put(target);
        *err = -ESRCH;
        return NULL;
    }
    return target;
}

long sys_proc_handle(int pid)
{
    struct proc *p = current()->proc;
    cap_lock(p);
    int s = find_proc_slot(p, pid, 0);
    cap_unlock(p);
    return s >= 0 ? s : -ESRCH;
}

void cap_proc_forget(struct proc *p, struct proc *target)
{
    cap_word_t dropped[CAP_FD_SLOTS];
    int n = 0;
    cap_lock(p);
    for (int s; (s = find_proc_slot(p, target->pid, 0)) >= 0;)
        dropped[n++] = cap_table_clear(&p->caps.t, s);
    cap_unlock(p);
    for (int i = 0; i < n; i++)
        cap_obj_put(dropped[i]);
}

void cap_thread_install(struct proc *p, int tslot, struct thread *t)
{
    thread_get(t);
    cap_lock(p);
    KASSERT(cap_table_usable(&p->caps.t, CAP_THREAD_SLOT_BASE + tslot));
    cap_table_install(
        &p->caps.t, CAP_THREAD_SLOT_BASE + tslot,
        capw_make(CAP_TYPE_THREAD,
                  CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT,
                  thread_pool_index(t), 0),
        0);
    cap_unlock(p);
}

void cap_thread_remove(struct proc *p, int tslot)
{
    int slot = CAP_THREAD_SLOT_BASE + tslot;
    cap_lock(p);
    cap_word_t w = p->caps.t.words[slot];
    if (capw_valid(w))
        cap_table_clear(&p->caps.t, slot);
    cap_unlock(p);
    if (capw_valid(w))
        cap_obj_put(w);
}

struct thread *cap_thread_lookup_locked(struct proc *p, uint64_t tok,
                                        unsigned need, int *err)
{
    *err = -ESRCH;
    if (tok == 0)
        return current();
    cap_word_t w = 0;
    if (cap_table_lookup(&p->caps.t, tok, &w) < 0 ||
        capw_type(w) != CAP_TYPE_THREAD)
        return NULL;
    if ((capw_rights(w) & need) != need) {
        *err = -EPERM;
        return NULL;
    }
    struct thread *t = thread_by_index(capw_obj(w));
    /* Gone once thread_exit has begun: it wakes the joiner before the
     * thread is T_DEAD, and a cap held elsewhere must not name a thread
     * its own process has already joined. */
    if (READ_ONCE(t->exiting))
        return NULL;
    return t->state == T_DEAD || t->state == T_FREE ? NULL : t;
}
