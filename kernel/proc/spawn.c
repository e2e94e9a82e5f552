/*
 * posix_spawn in the kernel. Order: every argument (path, argv, the
 * environment, file actions) is copied into the kernel once, then
 * validated, then used. Relative paths (the program's, the open
 * actions') are resolved from the caller's working directory, which the
 * child inherits:
 *  (0) the child's process group: the parent's, or the one
 *      KEEL_SPAWN_SETPGROUP names (EPERM when no such group);
 *  (a) GRANT-gated inheritance: each parent fd with GRANT goes to the
 *      same slot in the child with GRANT stripped; close-on-exec fds are
 *      skipped; any other fd fails the spawn with EACCES. Kernel-object
 *      caps (timers, sync objects, queues) with GRANT are inherited the
 *      same way; one without GRANT is simply not inherited;
 *  (b) the file actions, in the caller's order, on the child's table (an
 *      open action mints with GRANT; a cap action copies one of the
 *      parent's system caps; process, delegate and system caps are
 *      never inherited); an open action installs
 *      a file that is not opened yet (vfs_open_prepare): no file-system
 *      change;
 *  (c) the program is loaded, the parent gets its process cap;
 *  (d) the open actions are resolved, checked and only then carried out
 *      (vfs_open_commit, all or none: the files appear, are created and
 *      truncated here, once nothing else can fail);
 *  (e) the child's main thread is made runnable.
 * Any failure undoes everything: no child, no leaked object, and no file
 * created or truncated.
 *
 * Bounded latency: a preemption point follows each step above (and each
 * file action; proc_load passes its own every two pages). Between steps
 * no lock is held, and what the steps share lives on this thread's stack
 * or in pages it allocated (struct spawn_args); the child is pinned by
 * this spawn (it has no thread yet, and is nobody's child until (e)), the
 * parent by the calling thread, which is not killed inside the call.
 */
#include "../include/kobj.h"
#include "../include/pi.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../fs/path.h"

struct spawn_args {
    struct keel_spawn_req req;
    char path[KEEL_PATH_MAX];
    char *argv[KEEL_SPAWN_ARGV_MAX + 1];
    int argc;
    char *envp[KEEL_SPAWN_ENV_MAX + 1];
    int envc;
    char *argbuf; /* one page: the argument and environment strings */
    struct keel_spawn_action acts[KEEL_SPAWN_ACTIONS_MAX];
    char (*apath)[KEEL_PATH_MAX]; /* one page: the open actions' paths */
    struct vfs_open_req opens[KEEL_SPAWN_ACTIONS_MAX]; /* (b) -> (d) */
    int nopens;
};
_Static_assert(sizeof(struct spawn_args) <= PAGE_SIZE, "one page");

static int copy_path(char *dst, uint64_t usrc)
{
    long n = strncpy_from_user(dst, usrc, KEEL_PATH_MAX);
    if (n < 0)
        return (int)n;
    return n == 0 ? -ENOENT : 0;
}

/* Copy the NULL-terminated user array uvec (at most max strings) into
 * vec, its strings into argbuf from *used on: every argument and
 * environment string shares the KEEL_SPAWN_ARGS_BYTES of argbuf. E2BIG
 * past either limit. */
static int copy_strv(struct spawn_args *a, uint64_t uvec, char **vec, int max,
                     int *count, size_t *used)
{
    for (*count = 0;; (*count)++) {
        uint64_t uptr;
        if (copy_from_user(&uptr, uvec + 8ull * (uint64_t)*count, 8) < 0)
            return -EFAULT;
        if (!uptr)
            break;
        if (*count == max || *used >= KEEL_SPAWN_ARGS_BYTES)
            return -E2BIG;
        long n = strncpy_from_user(a->argbuf + *used, uptr,
                                   KEEL_SPAWN_ARGS_BYTES - *used);
        if (n < 0)
            return n == -ENAMETOOLONG ? -E2BIG : (int)n;
        vec[*count] = a->argbuf + *used;
        *used += (size_t)n + 1;
    }
    vec[*count] = NULL;
    return 0;
}

static int spawn_copyin(struct spawn_args *a, uint64_t ureq)
{
    if (copy_from_user(&a->req, ureq, sizeof(a->req)) < 0)
        return -EFAULT;
    int err = copy_path(a->path, a->req.path);
    if (err)
        return err;
    size_t used = 0;
    a->argc = 0;
    if (a->req.argv) {
        err = copy_strv(a, a->req.argv, a->argv, KEEL_SPAWN_ARGV_MAX, &a->argc,
                        &used);
        if (err)
            return err;
    }
    if (a->argc == 0) {
        a->argv[0] = a->path;
        a->argc = 1;
    }
    a->argv[a->argc] = NULL;
    a->envc = 0;
    a->envp[0] = NULL;
    if (a->req.envp) { /* 0: an empty environment */
        err = copy_strv(a, a->req.envp, a->envp, KEEL_SPAWN_ENV_MAX, &a->envc,
                        &used);
        if (err)
            return err;
    }
    if (a->req.nactions > KEEL_SPAWN_ACTIONS_MAX)
        return -E2BIG;
    if (a->req.nactions &&
        copy_from_user(a->acts, a->req.actions,
                       a->req.nactions * sizeof(a->acts[0])) < 0)
        return -EFAULT;
    for (uint32_t i = 0; i < a->req.nactions; i++) {
        if (a->acts[i].kind == KEEL_FA_OPEN) {
            err = copy_path(a->apath[i], a->acts[i].path);
            if (err)
                return err;
        }
    }
    return 0;
}

static bool slot_ok(int fd)
{
    return fd >= 0 && fd < CAP_FD_SLOTS;
}

static int spawn_validate(struct spawn_args *a, struct thread *self)
{
    int err;
    for (uint32_t i = 0; i < a->req.nactions; i++) {
        struct keel_spawn_action *x = &a->acts[i];
        switch (x->kind) {
        case KEEL_FA_OPEN:
            err = vfs_check_oflags(x->oflags); /* the same check as open() */
            if (err)
                return err;
            /* fallthrough */
        case KEEL_FA_CLOSE:
            if (!slot_ok(x->fd))
                return -EBADF;
            break;
        case KEEL_FA_DUP2:
            if (!slot_ok(x->fd) || !slot_ok(x->src_fd))
                return -EBADF;
            break;
        case KEEL_FA_CAP:
            if (!slot_ok(x->fd) || !slot_ok(x->src_fd))
                return -EBADF;
            if ((unsigned)x->oflags & ~CAP_RIGHTS_ALL)
                return -EINVAL;
            break;
        default:
            return -EINVAL;
        }
    }
    if (a->req.flags & ~(KEEL_SPAWN_SETSCHED | KEEL_SPAWN_SETCEILING |
                         KEEL_SPAWN_SETPGROUP | KEEL_SPAWN_SETSIGMASK))
        return -EINVAL;
    if ((a->req.flags & KEEL_SPAWN_SETPGROUP) && a->req.pgroup < 0)
        return -EINVAL;
    /* The child's ceiling: the caller's, or lower if asked. */
    int ceiling = READ_ONCE(self->ceiling);
    if (a->req.flags & KEEL_SPAWN_SETCEILING) {
        if (a->req.ceiling < KEEL_PRIO_MIN || a->req.ceiling > KEEL_PRIO_MAX)
            return -EINVAL;
        if (a->req.ceiling > ceiling)
            return -EPERM;
        ceiling = a->req.ceiling;
    }
    a->req.ceiling = ceiling;
    if (a->req.flags & KEEL_SPAWN_SETSCHED) {
        int policy = sched_policy_check(a->req.policy);
        if (policy < 0)
            return policy; /* req.policy stays as asked (SCHED_OTHER) */
        if (a->req.priority < KEEL_PRIO_MIN || a->req.priority > KEEL_PRIO_MAX)
            return -EINVAL;
        if (a->req.priority > READ_ONCE(self->ceiling))
            return -EPERM;
    }
    return 0;
}

/* (a) Both cap locks, in pid order (cap_lock_pair): after a pid wrap the
 * child's pid may be below the parent's. */
static int spawn_inherit(struct proc *parent, struct proc *child)
{
    int err = 0;
    cap_lock_pair(parent, child);
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++) {
        cap_word_t w = parent->caps.t.words[fd];
        if (!capw_valid(w) || (w & CAPW_CLOEXEC))
            continue;
        unsigned type = capw_type(w);
        bool obj = kobj_type_valid(type);
        if (type != CAP_TYPE_FD && !obj)
            continue; /* processes, delegations, system caps: never */
        if (!(capw_rights(w) & CAP_RIGHT_GRANT)) {
            if (obj)
                continue; /* an object cap without GRANT stays behind */
            err = -EACCES;
            break;
        }
        cap_word_t cw =
            capw_make(type, capw_rights(w) & ~CAP_RIGHT_GRANT, capw_obj(w), 0) |
            (w & CAPW_DELEGATED);
        cap_obj_get(w);
        cap_table_install(&child->caps.t, fd, cw, 0);
    }
    cap_unlock_pair(parent, child);
    return err; /* on error the caller tears the child's table down */
}

/* (b) One file action on the child's table. An open installs a prepared
 * file; a->opens keeps a reference to it until (d). */
static int spawn_action(struct spawn_args *a, struct proc *parent,
                        struct proc *child, struct keel_spawn_action *x,
                        const char *path)
{
    switch (x->kind) {
    case KEEL_FA_OPEN: {
        struct vfs_open_req *r = &a->opens[a->nopens];
        int err = vfs_open_prepare(path, x->oflags, r);
        if (err)
            return err;
        a->nopens++;
        int acc = x->oflags & KEEL_O_ACCMODE;
        unsigned rights = CAP_RIGHT_GRANT;
        if (acc != KEEL_O_WRONLY)
            rights |= CAP_RIGHT_READ;
        if (acc != KEEL_O_RDONLY)
            rights |= CAP_RIGHT_WRITE;
        /* An fd there is replaced; any other cap (a cap action's) is kept,
         * as dup2 keeps it: EBADF. Nobody else reaches the child yet. */
        if (cap_fd_close(child, x->fd) < 0 &&
            capw_valid(child->caps.t.words[x->fd]))
            return -EBADF;
        file_get(r->f); /* the slot's reference */
        int slot = cap_fd_install(child, r->f, rights,
                                  x->oflags & KEEL_O_CLOEXEC, x->fd);
        if (slot != x->fd) {
            if (slot >= 0)
                cap_fd_close(child, slot); /* drops the slot's reference */
            else
                file_put(r->f);
            return slot < 0 ? slot : -EMFILE;
        }
        return 0;
    }
    case KEEL_FA_CLOSE:
        return cap_fd_close(child, x->fd);
    case KEEL_FA_DUP2:
        return cap_fd_dup2(child, x->src_fd, x->fd) < 0 ? -EBADF : 0;
    case KEEL_FA_CAP:
        return cap_spawn_copy(parent, x->src_fd, child, x->fd,
                              (unsigned)x->oflags);
    }
    return -EINVAL;
}

long sys_spawn(uint64_t ureq)
{
    struct thread *self = current();
    struct proc *parent = self->proc;
    /* The three argument pages below are the caller's while it spawns:
     * charged to its page quota, so concurrent spawns cannot empty the
     * allocator either. */
    if (quota_charge(parent, KEEL_POOL_PAGES, 3) < 0)
        return -ENOMEM;
    struct spawn_args *a = page_alloc();
    sched_preempt_point(); /* each page is zeroed (and checked in debug) */
    char *argbuf = page_alloc();
    sched_preempt_point();
    void *apath = page_alloc();
    sched_preempt_point();
    if (a)
        a->nopens = 0;
    struct proc *child = NULL;
    long err = -ENOMEM;
    if (!a || !argbuf || !apath)
        goto out;
    KASSERT(sizeof(*a) <= PAGE_SIZE);
    a->argbuf = argbuf;
    a->apath = apath;
    err = spawn_copyin(a, ureq);
    sched_preempt_point();
    if (!err)
        err = spawn_validate(a, self);
    if (err)
        goto out;
    sched_preempt_point();
    /* The child's pool entry is charged to the parent's creator chain
     * before it exists (atomically: concurrent spawns cannot overshoot),
     * and given back when the struct is freed (proc_put), however long
     * caps keep it after the reap. */
    if (quota_charge(parent, KEEL_POOL_PROCS, 1) < 0) {
        err = -EAGAIN;
        goto out;
    }
    if (!(child = proc_alloc(path_basename(a->path)))) {
        quota_uncharge(parent, KEEL_POOL_PROCS, 1);
        err = -EAGAIN;
        goto out;
    }
    child->creator = parent;
    proc_get(parent);
    quota_init_child(child, parent);
    ramfs_cwd_inherit(child, parent); /* proc_free gives it back */
    sched_preempt_point();
    /* Its group first: once set, the child itself keeps the group alive
     * for the rest of the spawn. */
    err = pgrp_spawn_join(child, parent, a->req.flags & KEEL_SPAWN_SETPGROUP,
                          a->req.pgroup);
    if (!err)
        err = spawn_inherit(parent, child);
    sched_preempt_point();
    for (uint32_t i = 0; !err && i < a->req.nactions; i++) {
        err = spawn_action(a, parent, child, &a->acts[i], a->apath[i]);
        sched_preempt_point();
    }
    struct thread *t = NULL;
    struct proc_args pa = {
        .argv = a->argv, .argc = a->argc, .envp = a->envp, .envc = a->envc};
    if (!err)
        err = proc_load(child, a->path, &pa, &t);
    /* The parent's handle on the child: waitpid, kill, cap_transfer. */
    bool handle = false;
    if (!err && (err = cap_proc_install(parent, child)) >= 0) {
        handle = true;
        err = 0;
    }
    /* (d) Last, as it cannot be undone: the open actions' effects. */
    if (!err)
        err = vfs_open_commit(a->opens, a->nopens, a->path);
    if (err) {
        if (handle)
            cap_proc_forget(parent, child);
        cap_space_teardown(child); /* also drops the main thread's cap */
        if (t)
            thread_release(t);
        proc_free(child);
        goto out;
    }
    if (a->req.flags & KEEL_SPAWN_SETSCHED) {
        t->policy = sched_policy_check(a->req.policy); /* checked above */
        t->sched_other = a->req.policy == KEEL_SCHED_OTHER;
        t->prio = a->req.priority;
    } else {
        t->policy = edf_inherit_policy(self->policy);
        t->sched_other = READ_ONCE(self->sched_other);
        t->prio = pi_base_prio(self); /* not a boost it has now */
    }
    t->ceiling = a->req.ceiling;
    /* Not running yet: its mask and actions are written before it can
     * look. What the parent ignores stays ignored (POSIX), but for
     * sigdefault; a handler does not carry over (another program). */
    if (a->req.flags & KEEL_SPAWN_SETSIGMASK)
        t->sig.mask = a->req.sigmask & ~SIG_UNBLOCKABLE;
    spin_lock(&parent->sig.lock);
    for (int s = 1; s <= KEEL_NSIG; s++)
        if (parent->sig.act[s - 1].handler == KEEL_SIG_IGN &&
            !(a->req.sigdefault & KEEL_SIGBIT(s)))
            child->sig.act[s - 1] =
                (struct keel_sigaction){.handler = KEEL_SIG_IGN};
    spin_unlock(&parent->sig.lock);
    spin_lock(&proc_tree_lock);
    child->parent = parent;
    list_push_back(&parent->children, &child->sibling);
    spin_unlock(&proc_tree_lock);
    err = child->pid;
    sched_enqueue_new(t);
out:
    for (int i = 0; a && i < a->nopens; i++)
        file_put(a->opens[i].f); /* (b)'s references */
    if (a)
        page_free(a);
    if (argbuf)
        page_free(argbuf);
    if (apath)
        page_free(apath);
    quota_uncharge(parent, KEEL_POOL_PAGES, 3);
    return err;
}
