/*
 * The ramfs: a tree of inodes in a fixed pool. Files from the boot image
 * point at the image (read-only, contiguous, so programs load straight
 * from it); a write first copies such a file into pages. A file in pages
 * holds at
 * most FILE_MAX_PAGES pages (2 MiB: the pointer array is one page); a
 * boot-image file may be larger (it is read in place), but a write that
 * would copy it into pages gives EFBIG and changes nothing. Writes at or
 * beyond 2 MiB give EFBIG; reads past the end give 0.
 *
 * Boot-image files, device nodes and the directories made at boot are
 * marked `boot`: they are never removed, and the open path (file.c)
 * refuses to write or truncate a boot-image file (EROFS). Created files
 * can be unlinked; one still open lives on without a name until its last
 * struct file is released (nopen). All path resolution is ramfs_walk: a
 * path starting with '/' from the root, any other from the calling
 * process's working directory (proc->cwd, read under ramfs_lock; NULL
 * is the root). Directories (mkdir, rmdir, the working directory:
 * ramfs_dir.c) follow the same lifetime rule as files: a removed one
 * lives on without a name while a struct file has it open.
 *
 * Locking (docs/realtime.md "Files and directories"): ramfs_lock, a
 * global spinlock, guards the tree (names, parent, children), every
 * inode's counts (nopen, ncwd), unlinked, owner and npages, and every
 * proc->cwd; each hold is one bounded step (a path resolution, one
 * directory's scan for readdir, a count, a charge), never a copy of file
 * data or a loop over a file's pages. A file's data is guarded by its
 * inode's kmutex ip->lock (ramfs_file.c: reads, writes, truncation).
 * Lock order: ip->lock (at most one inode's), then ramfs_lock, which is
 * innermost (a caller's cap lock may be held outside it: open); no
 * kmutex is taken with ramfs_lock or any other spinlock held. Pages
 * detached under ramfs_lock are freed after unlocking, with preemption
 * points (ramfs_free_pages).
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../mm/pool.h"
#include "path.h"
#include "ramfs_int.h"

spinlock_t ramfs_lock = SPINLOCK_INIT("ramfs");
static struct inode inode_storage[MAX_INODES];
static uint32_t inode_links[MAX_INODES];
static struct pool inode_pool;
struct inode *ramfs_root;

struct inode *ramfs_inode_new(struct inode *dir, const char *name, int kind)
{
    struct inode *ip = pool_alloc(&inode_pool);
    if (!ip)
        return NULL;
    ip->kind = kind;
    ip->ino = pool_index(&inode_pool, ip) + 1;
    strlcpy(ip->name, name, sizeof(ip->name));
    list_init(&ip->children);
    list_init(&ip->sibling);
    ip->parent = dir ? dir : ip;
    kmutex_init(&ip->lock, "inode");
    if (dir)
        list_push_back(&dir->children, &ip->sibling);
    return ip;
}

uint32_t inode_count(void)
{
    return READ_ONCE(inode_pool.in_use);
}

void ramfs_init(void)
{
    pool_init(&inode_pool, "inode", inode_storage, inode_links,
              sizeof(struct inode), MAX_INODES);
    ramfs_root = ramfs_inode_new(NULL, "", KEEL_NODE_DIR);
    ramfs_root->boot = true;
}

static struct inode *dir_find(struct inode *dir, const char *name)
{
    if (!strcmp(name, ".."))
        return dir->parent;
    list_for_each(it, &dir->children)
    {
        struct inode *c = list_entry(it, struct inode, sibling);
        if (!strcmp(c->name, name))
            return c;
    }
    return NULL;
}

struct inode *ramfs_inode_create(struct inode *dir, const char *name, int kind)
{
    struct proc *owner = ramfs_creator();
    if (quota_charge(owner, KEEL_POOL_INODES, 1) < 0)
        return NULL;
    struct inode *ip = ramfs_inode_new(dir, name, kind);
    if (!ip)
        quota_uncharge(owner, KEEL_POOL_INODES, 1);
    else
        ip->owner = owner;
    return ip;
}

void ramfs_disown(struct proc *p, struct proc *heir)
{
    spin_lock(&ramfs_lock);
    uint64_t files = 0, pages = 0;
    for (uint32_t i = 0; i < MAX_INODES; i++) {
        struct inode *ip = &inode_storage[i];
        if (pool_allocated(&inode_pool, ip) && ip->owner == p) {
            ip->owner = heir;
            files++;
            pages += ip->npages;
        }
    }
#ifdef KEEL_LOCKCHECK
    /* Nothing else can be charged at p's own level any more: its address
     * space is gone, and every other charged object references p. */
    if (files != p->quota.used[KEEL_POOL_INODES] ||
        pages != p->quota.used[KEEL_POOL_PAGES])
        panic("disown pid %d: %lu files, %lu pages owned; charged %lu, %lu",
              p->pid, (unsigned long)files, (unsigned long)pages,
              (unsigned long)p->quota.used[KEEL_POOL_INODES],
              (unsigned long)p->quota.used[KEEL_POOL_PAGES]);
#else
    (void)files, (void)pages;
#endif
    p->quota.used[KEEL_POOL_INODES] = 0;
    p->quota.used[KEEL_POOL_PAGES] = 0;
    spin_unlock(&ramfs_lock);
}

/* ramfs_lock held: where a relative path starts. */
static struct inode *walk_start(const char *path)
{
    if (path[0] == '/')
        return ramfs_root;
    struct proc *p = ramfs_creator();
    return p && p->cwd ? p->cwd : ramfs_root;
}

struct inode *ramfs_walk(const char *path, bool create_file, bool mkdirs,
                         int *err, struct inode **dir_out, char *name_out)
{
    char name[KEEL_NAME_MAX + 1];
    const char *cur = path;
    struct inode *ip = walk_start(path);
    int n;
    while ((n = path_next(&cur, name, sizeof(name))) > 0) {
        if (ip->kind != KEEL_NODE_DIR) {
            *err = -ENOTDIR;
            return NULL;
        }
        struct inode *next = dir_find(ip, name);
        if (!next) {
            const char *rest = cur;
            char tmp[KEEL_NAME_MAX + 1];
            bool last = path_next(&rest, tmp, sizeof(tmp)) == 0;
            if (last && create_file)
                next = ramfs_inode_create(ip, name, KEEL_NODE_FILE);
            else if (mkdirs)
                next = ramfs_inode_new(ip, name, KEEL_NODE_DIR);
            else {
                if (last && dir_out) {
                    *dir_out = ip;
                    strlcpy(name_out, name, KEEL_NAME_MAX + 1);
                }
                *err = -ENOENT;
                return NULL;
            }
            if (!next) {
                *err = -ENOSPC;
                return NULL;
            }
        }
        ip = next;
    }
    if (n < 0) {
        *err = n;
        return NULL;
    }
    if (ip->kind != KEEL_NODE_DIR && path_wants_dir(path)) {
        *err = -ENOTDIR; /* "file/", "file/." */
        return NULL;
    }
    return ip;
}

static struct inode *walk(const char *path, bool create_file, bool mkdirs,
                          int *err)
{
    return ramfs_walk(path, create_file, mkdirs, err, NULL, NULL);
}

struct inode *ramfs_lookup(const char *path, bool create, int *err)
{
    return walk(path, create, false, err);
}

struct inode *ramfs_lookup_at(const char *path, struct inode **dir, char *name,
                              int *err)
{
    *dir = NULL;
    struct inode *ip = ramfs_walk(path, false, false, err, dir, name);
    if (!ip && *dir && path_wants_dir(path)) {
        *dir = NULL; /* open("new/", O_CREAT): no file by that form */
        *err = -EISDIR;
    }
    return ip;
}

struct proc *ramfs_creator(void)
{
    struct thread *self = current();
    return self ? self->proc : NULL;
}

int ramfs_reserve_creates(uint32_t n)
{
    if (n == 0)
        return 0;
    if (n > inode_pool.count - inode_pool.in_use ||
        quota_charge(ramfs_creator(), KEEL_POOL_INODES, n) < 0)
        return -ENOSPC;
    return 0;
}

struct inode *ramfs_create_in(struct inode *dir, const char *name)
{
    struct inode *ip = ramfs_inode_new(dir, name, KEEL_NODE_FILE);
    KASSERT(ip); /* reserved: the lock has been held since */
    ip->owner = ramfs_creator();
    return ip;
}

int ramfs_add_image(const char *path, const uint8_t *data, uint64_t size)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = walk(path, true, true, &err);
    if (ip && ip->kind != KEEL_NODE_FILE) {
        err = -EISDIR; /* "/", an existing directory or device node */
        ip = NULL;
    }
    if (ip) {
        ip->image = data;
        ip->size = size;
        ip->boot = true;
        for (struct inode *d = ip->parent; !d->boot; d = d->parent)
            d->boot = true; /* the directories it made (root: ramfs_init) */
    }
    spin_unlock(&ramfs_lock);
    return ip ? 0 : err;
}

struct inode *ramfs_mknod(const char *dir, const char *name,
                          const struct file_ops *ops)
{
    int err;
    spin_lock(&ramfs_lock);
    struct inode *d = walk(dir, false, true, &err);
    struct inode *ip = d ? ramfs_inode_new(d, name, KEEL_NODE_CHAR) : NULL;
    if (ip) {
        ip->dev = ops;
        ip->boot = true;
        for (struct inode *p = d; !p->boot; p = p->parent)
            p->boot = true;
    }
    spin_unlock(&ramfs_lock);
    return ip;
}

int ramfs_readdir(const char *path, int index, struct keel_dirent *out)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *dir = walk(path, false, false, &err);
    if (dir && dir->kind != KEEL_NODE_DIR)
        err = -ENOTDIR;
    int r = 0;
    if (dir && !err) {
        int i = 0;
        list_for_each(it, &dir->children)
        {
            if (i++ != index)
                continue;
            struct inode *c = list_entry(it, struct inode, sibling);
            memset(out, 0, sizeof(*out));
            out->kind = c->kind;
            out->ino = c->ino;
            out->size = READ_ONCE(c->size);
            strlcpy(out->name, c->name, sizeof(out->name));
            r = 1;
            break;
        }
    }
    spin_unlock(&ramfs_lock);
    return err ? err : r;
}

void ramfs_inode_open(struct inode *ip)
{
    ip->nopen++;
}

uint8_t **ramfs_inode_reclaim(struct inode *ip)
{
    if (!ip->unlinked || ip->nopen || ip->ncwd)
        return NULL;
    uint8_t **pages = ramfs_detach_pages(ip); /* gives the charge back */
    quota_uncharge(ip->owner, KEEL_POOL_INODES, 1);
    ip->kind = 0;
    pool_free(&inode_pool, ip);
    return pages;
}

void ramfs_inode_close(struct inode *ip)
{
    spin_lock(&ramfs_lock);
    KASSERT(ip->nopen > 0);
    ip->nopen--;
    uint8_t **pages = ramfs_inode_reclaim(ip);
    spin_unlock(&ramfs_lock);
    ramfs_free_pages(pages);
}

int ramfs_unlink(const char *path)
{
    int err = 0;
    uint8_t **pages = NULL;
    spin_lock(&ramfs_lock);
    struct inode *ip = walk(path, false, false, &err);
    if (ip && ip->kind == KEEL_NODE_DIR)
        err = -EISDIR;
    else if (ip && ip->boot)
        err = -EROFS;
    else if (ip) {
        list_remove(&ip->sibling);
        list_init(&ip->sibling);
        ip->unlinked = true;
        pages = ramfs_inode_reclaim(ip);
    }
    spin_unlock(&ramfs_lock);
    ramfs_free_pages(pages);
    return err;
}
