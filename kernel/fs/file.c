/* File objects: a fixed pool (file_pool_lock guards the pool); each file
 * counts its references atomically. */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../mm/pool.h"

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
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
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

int vfs_open(const char *path, int oflags, struct file **out)
{
    int err = vfs_check_oflags(oflags);
    if (err)
        return err;
    bool create = oflags & KEEL_O_CREAT;
    int acc = oflags & KEEL_O_ACCMODE;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup(path, false, &err);
    if (ip && create && (oflags & KEEL_O_EXCL)) {
        spin_unlock(&ramfs_lock);
        return -EEXIST;
    }
    if (!ip && create && err == -ENOENT)
        ip = ramfs_lookup(path, true, &err);
    if (!ip) {
        spin_unlock(&ramfs_lock);
        return err;
    }
    if (ip->kind == KEEL_NODE_DIR && acc != KEEL_O_RDONLY) {
        spin_unlock(&ramfs_lock);
        return -EISDIR;
    }
    bool file = ip->kind == KEEL_NODE_FILE;
    /* Boot-image files are read-only: no write access, no truncation
     * (an existing one opened O_CREAT for reading still opens). */
    if (file && ip->boot && (acc != KEEL_O_RDONLY || (oflags & KEEL_O_TRUNC))) {
        spin_unlock(&ramfs_lock);
        return -EROFS;
    }
    uint8_t **old = NULL;
    if (file && (oflags & KEEL_O_TRUNC) && acc != KEEL_O_RDONLY)
        old = ramfs_truncate(ip);
    if (file)
        ramfs_inode_open(ip); /* an unlink now keeps the inode for us */
    spin_unlock(&ramfs_lock);
    ramfs_free_pages(old);
    const struct file_ops *ops = ip->kind == KEEL_NODE_CHAR  ? ip->dev
                                 : ip->kind == KEEL_NODE_DIR ? &ramfs_dir_ops
                                                             : &ramfs_file_ops;
    struct file *f = file_alloc(ops);
    if (!f) {
        if (file)
            ramfs_inode_close(ip);
        return -EMFILE; /* the caller's file quota */
    }
    f->ip = ip;
    f->oflags = oflags & (KEEL_O_ACCMODE | KEEL_O_APPEND);
    *out = f;
    return 0;
}
