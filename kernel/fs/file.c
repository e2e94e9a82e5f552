/* File objects: a fixed pool (file_pool_lock guards the pool); each file
 * counts its references atomically. */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../mm/pool.h"
#include "path.h"

static spinlock_t file_pool_lock = SPINLOCK_INIT("file_pool");
struct file file_storage[MAX_FILES];
static uint32_t file_links[MAX_FILES];
static struct pool file_pool;

void file_init(void)
{
    pool_init(&file_pool, "file", file_storage, file_links, sizeof(struct file),
              MAX_FILES);
}

struct file *file_alloc(const struct file_ops *ops)
{
    struct thread *self = current();
    struct proc *acct = self ? self->proc : NULL; /* NULL: the kernel */
    if (quota_charge(acct, KEEL_POOL_FILES, 1) < 0)
        return NULL;
    spin_lock(&file_pool_lock);
    struct file *f = pool_alloc(&file_pool);
    spin_unlock(&file_pool_lock);
    if (!f) {
        quota_uncharge(acct, KEEL_POOL_FILES, 1);
        return NULL;
    }
    if (acct)
        proc_get(acct);
    f->acct = acct;
    f->refs = 1;
    f->ops = ops;
    spin_init(&f->lock, "file");
    return f;
}

static __attribute__((noinline)) void file_free(struct file *f)
{
    if (f->ops->release)
        f->ops->release(f);
    struct proc *acct = f->acct;
    spin_lock(&file_pool_lock);
    pool_free(&file_pool, f);
    spin_unlock(&file_pool_lock);
    quota_uncharge(acct, KEEL_POOL_FILES, 1);
    if (acct)
        proc_put(acct);
}

void file_put(struct file *f)
{
    if (ref_put(&f->refs) == 0)
        file_free(f);
}

uint32_t file_index(struct file *f)
{
    return pool_index(&file_pool, f);
}

uint32_t file_count(void)
{
    return READ_ONCE(file_pool.in_use);
}

int vfs_check_oflags(int oflags)
{
    if (oflags & ~(KEEL_O_ACCMODE | KEEL_O_APPEND | KEEL_O_CREAT |
                   KEEL_O_TRUNC | KEEL_O_EXCL | KEEL_O_CLOEXEC))
        return -EINVAL;
    if ((oflags & KEEL_O_ACCMODE) == 3)
        return -EINVAL;
    return 0;
}

/*
 * Opening in two steps, so that spawn can check every open action before
 * any of them changes the file system (and a failed spawn leaves no
 * trace): vfs_open_prepare allocates the struct file, with no operations
 * yet; vfs_open_commit then resolves a whole batch under one ramfs_lock
 * hold, checks every request (nothing changes if one fails), and only
 * then creates and truncates. vfs_open is a batch of one; open(2) commits
 * under the caller's cap lock once its slot is known (cap_fd_open), so a
 * full fd table changes nothing either. A truncation (O_TRUNC) happens
 * after the commit, outside every spinlock: it takes the file's data
 * lock (a kmutex), waiting for a read or write in progress.
 */
static const struct file_ops vfs_pending_ops = {.seekable = false};

int vfs_open_prepare(const char *path, int oflags, struct vfs_open_req *r)
{
    int err = vfs_check_oflags(oflags);
    if (err)
        return err;
    struct file *f = file_alloc(&vfs_pending_ops);
    if (!f)
        return -EMFILE; /* the caller's file quota, or the pool */
    r->path = path;
    r->oflags = oflags;
    r->f = f;
    r->ip = r->dir = NULL;
    r->same = -1;
    r->walked = false;
    r->start = NULL;
    return 0;
}

void vfs_open_prewalk(struct vfs_open_req *r)
{
    if (path_at_most(r->path, VFS_OPEN_SHORT_PATH))
        return; /* the commit's walk is that many directory steps */
    r->walk_err = 0;
    r->start = ramfs_pin_path(r->path, true, &r->rest, &r->walk_err);
    r->walked = true;
}

void vfs_open_unpin(struct vfs_open_req *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        if (reqs[i].start)
            ramfs_unpin(reqs[i].start);
        reqs[i].start = NULL;
        reqs[i].walked = false;
    }
}

static bool open_truncates(const struct vfs_open_req *r)
{
    return r->ip->kind == KEEL_NODE_FILE && (r->oflags & KEEL_O_TRUNC) &&
           (r->oflags & KEEL_O_ACCMODE) != KEEL_O_RDONLY;
}

/* Check request i of the batch, changing nothing; counts the files it
 * will create. ramfs_lock held. */
static int open_resolve(struct vfs_open_req *reqs, int i,
                        const struct inode *exec_ip, uint32_t *ncreate)
{
    struct vfs_open_req *r = &reqs[i];
    int err = 0;
    bool create = r->oflags & KEEL_O_CREAT;
    bool excl = create && (r->oflags & KEEL_O_EXCL);
    r->same = -1;
    r->ip = NULL;
    if (r->walked && !r->start)
        return r->walk_err; /* its directory part failed */
    if (r->walked && r->start->unlinked)
        return -ENOENT; /* removed since: nothing is made in it */
    r->ip = r->walked
                ? ramfs_lookup_at(r->start, r->rest, &r->dir, r->name, &err)
                : ramfs_lookup_at(NULL, r->path, &r->dir, r->name, &err);
    if (!r->ip) {
        if (!create || !r->dir)
            return err;
        /* An earlier request of the batch creates the same file. */
        for (int j = 0; j < i; j++) {
            if (!reqs[j].ip && reqs[j].same < 0 && reqs[j].dir == r->dir &&
                !strcmp(reqs[j].name, r->name)) {
                r->same = j;
                return excl ? -EEXIST : 0;
            }
        }
        (*ncreate)++;
        return 0;
    }
    if (excl)
        return -EEXIST;
    int acc = r->oflags & KEEL_O_ACCMODE;
    if (r->ip->kind == KEEL_NODE_OBJ)
        return -ENXIO; /* a queue's or semaphore's name: mq_open, sem_open */
    if (r->ip->kind == KEEL_NODE_DIR && acc != KEEL_O_RDONLY)
        return -EISDIR;
    /* Boot-image files are read-only: no write access, no truncation
     * (an existing one opened O_CREAT for reading still opens). */
    if (r->ip->kind == KEEL_NODE_FILE && r->ip->boot &&
        (acc != KEEL_O_RDONLY || (r->oflags & KEEL_O_TRUNC)))
        return -EROFS;
    /* Actions run before the exec: truncating the program first would
     * leave nothing to run. */
    if (r->ip == exec_ip && open_truncates(r))
        return -ENOEXEC;
    return 0;
}

/* Make request r's change (it was checked: nothing fails here); returns
 * the inode to truncate after unlocking (ramfs_truncate waits for the
 * file's data lock, which is never taken under a spinlock), or NULL.
 * ramfs_lock held. */
static struct inode *open_apply(struct vfs_open_req *reqs,
                                struct vfs_open_req *r)
{
    if (!r->ip)
        r->ip =
            r->same >= 0 ? reqs[r->same].ip : ramfs_create_in(r->dir, r->name);
    KASSERT(r->ip);
    struct inode *ip = r->ip;
    struct file *f = r->f;
    f->ip = ip;
    f->oflags = r->oflags & (KEEL_O_ACCMODE | KEEL_O_APPEND);
    f->ops = ip->kind == KEEL_NODE_CHAR  ? ip->dev
             : ip->kind == KEEL_NODE_DIR ? &ramfs_dir_ops
                                         : &ramfs_file_ops;
    if (ip->kind == KEEL_NODE_FILE || ip->kind == KEEL_NODE_DIR)
        ramfs_inode_open(ip); /* an unlink or rmdir now keeps it for f */
    return open_truncates(r) ? ip : NULL;
}

int vfs_open_commit_defer(struct vfs_open_req *reqs, int n,
                          const struct inode *exec_ip, struct inode *trunc[])
{
    uint32_t ncreate = 0;
    int err = 0;
    KASSERT(n <= VFS_OPEN_BATCH_MAX);
    if (n == 0)
        return 0; /* a spawn without open actions */
    spin_lock(&ramfs_lock);
    for (int i = 0; i < n && !err; i++)
        err = open_resolve(reqs, i, exec_ip, &ncreate);
    if (!err)
        err = ramfs_reserve_creates(ncreate); /* the pool and the quota */
    for (int i = 0; i < n; i++)
        trunc[i] = err ? NULL : open_apply(reqs, &reqs[i]);
    spin_unlock(&ramfs_lock);
    return err;
}

int vfs_open_commit(struct vfs_open_req *reqs, int n, const char *exec_path)
{
    struct inode *trunc[VFS_OPEN_BATCH_MAX];
    if (n == 0)
        return 0;
    for (int i = 0; i < n; i++)
        vfs_open_prewalk(&reqs[i]);
    int e = 0;
    struct inode *exec_ip =
        exec_path ? ramfs_pin_path(exec_path, false, NULL, &e) : NULL;
    int err = vfs_open_commit_defer(reqs, n, exec_ip, trunc);
    vfs_open_unpin(reqs, n);
    if (exec_ip)
        ramfs_unpin(exec_ip);
    for (int i = 0; i < n && !err; i++)
        if (trunc[i])
            ramfs_truncate(trunc[i]); /* open: the inode stays */
    return err;
}

int vfs_open(const char *path, int oflags, struct file **out)
{
    struct vfs_open_req r;
    int err = vfs_open_prepare(path, oflags, &r);
    if (err)
        return err;
    err = vfs_open_commit(&r, 1, NULL);
    if (err) {
        file_put(r.f); /* never opened: no release */
        return err;
    }
    *out = r.f;
    return 0;
}
