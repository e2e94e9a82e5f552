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
 * inode's counts (nopen, ncwd, npin), unlinked, owner and npages, and
 * every proc->cwd; each hold is one bounded step (a count, a charge, one
 * readdir index, a part of a path walk: ramfs_walk lets the lock go every
 * WALK_SCAN_BUDGET directory entries when its caller allows, pinning the
 * directory it is in), never a copy of file data or a loop over a file's
 * pages. A file's data is guarded by its
 * inode's kmutex ip->lock (ramfs_file.c: reads, writes, truncation).
 * Lock order: ip->lock (at most one inode's), then ramfs_lock, which is
 * innermost (a caller's cap lock may be held outside it: open); no
 * kmutex is taken with ramfs_lock or any other spinlock held. Pages
 * detached under ramfs_lock are freed after unlocking, with preemption
 * points (ramfs_free_pages).
 */
#include "../include/kobj.h"
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

/* FNV-1a: compared before the name, so a directory scan costs a few
 * instructions per entry. */
static uint16_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return (uint16_t)(h ^ h >> 16);
}

struct inode *ramfs_inode_new(struct inode *dir, const char *name, int kind)
{
    struct inode *ip = pool_alloc(&inode_pool);
    if (!ip)
        return NULL;
    ip->kind = kind;
    ip->ino = pool_index(&inode_pool, ip) + 1;
    strlcpy(ip->name, name, sizeof(ip->name));
    ip->hash = name_hash(ip->name);
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

/* ramfs_lock held: one directory step; *scanned counts the entries. */
static struct inode *dir_find(struct inode *dir, const char *name,
                              unsigned *scanned)
{
    if (name[0] == '.' && name[1] == '.' && name[2] == '\0')
        return dir->parent;
    uint16_t h = name_hash(name);
    list_for_each(it, &dir->children)
    {
        struct inode *c = list_entry(it, struct inode, sibling);
        (*scanned)++;
        if (c->hash == h && !strcmp(c->name, name))
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

/* ramfs_lock held, and no other spinlock: let it go for a moment with
 * dir pinned (a preemption point), then take it again. false when dir
 * was removed meanwhile (it is empty then: nothing is found in it, and
 * its parent may be gone). */
static bool walk_relax(struct inode *dir)
{
    dir->npin++;
    spin_unlock(&ramfs_lock);
    sched_preempt_point();
    spin_lock(&ramfs_lock);
    dir->npin--;
    if (!dir->unlinked)
        return true;
    uint8_t **pages = ramfs_inode_reclaim(dir); /* if we were the last */
    KASSERT(!pages);                            /* a directory has none */
    return false;
}

struct inode *ramfs_walk(struct inode *start, const char *path, unsigned flags,
                         int *err, struct inode **dir_out, char *name_out)
{
    char name[KEEL_NAME_MAX + 1];
    const char *cur = path;
    struct inode *ip = start ? start : walk_start(path);
    unsigned scanned = 0;
    int n;
    while ((n = path_next(&cur, name, sizeof(name))) > 0) {
        if (ip->kind != KEEL_NODE_DIR) {
            *err = -ENOTDIR;
            return NULL;
        }
        if ((flags & WALK_DROP) && scanned >= WALK_SCAN_BUDGET) {
            if (!walk_relax(ip)) {
                *err = -ENOENT;
                return NULL;
            }
            scanned = 0;
        }
        struct inode *next = dir_find(ip, name, &scanned);
        if (!next) {
            const char *rest = cur;
            char tmp[KEEL_NAME_MAX + 1];
            bool last = path_next(&rest, tmp, sizeof(tmp)) == 0;
            if (last && (flags & WALK_CREATE))
                next = ramfs_inode_create(ip, name, KEEL_NODE_FILE);
            else if (flags & WALK_MKDIRS)
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

static struct inode *walk(const char *path, unsigned flags, int *err)
{
    return ramfs_walk(NULL, path, flags, err, NULL, NULL);
}

struct inode *ramfs_lookup(const char *path, bool create, int *err)
{
    return walk(path, WALK_DROP | (create ? WALK_CREATE : 0), err);
}

struct inode *ramfs_lookup_at(struct inode *start, const char *path,
                              struct inode **dir, char *name, int *err)
{
    *dir = NULL;
    struct inode *ip = ramfs_walk(start, path, 0, err, dir, name);
    if (!ip && *dir && path_wants_dir(path)) {
        *dir = NULL; /* open("new/", O_CREAT): no file by that form */
        *err = -EISDIR;
    }
    return ip;
}

struct inode *ramfs_pin_path(const char *path, bool prefix, const char **rest,
                             int *err)
{
    size_t s = prefix ? path_last_start(path) : 0;
    struct inode *ip;
    spin_lock(&ramfs_lock);
    if (prefix && s == 0) {
        ip = walk_start(path); /* "name", "/", ".": no prefix to walk */
    } else if (prefix) {
        char pre[KEEL_PATH_MAX];
        memcpy(pre, path, s); /* s < strlen(path) < KEEL_PATH_MAX */
        pre[s] = '\0';
        ip = walk(pre, WALK_DROP, err);
    } else {
        ip = walk(path, WALK_DROP, err);
    }
    if (ip)
        ip->npin++;
    spin_unlock(&ramfs_lock);
    if (rest)
        *rest = path + s;
    return ip;
}

void ramfs_unpin(struct inode *ip)
{
    spin_lock(&ramfs_lock);
    KASSERT(ip->npin > 0);
    ip->npin--;
    uint8_t **pages = ramfs_inode_reclaim(ip);
    spin_unlock(&ramfs_lock);
    ramfs_free_pages(pages);
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
    struct inode *ip = walk(path, WALK_CREATE | WALK_MKDIRS, &err);
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
    struct inode *d = walk(dir, WALK_MKDIRS, &err);
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
    struct inode *dir = walk(path, WALK_DROP, &err);
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
    if (!ip->unlinked || ip->nopen || ip->ncwd || ip->npin)
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

void ramfs_remove_locked(struct inode *ip, uint8_t ***pages, struct kobj **obj)
{
    list_remove(&ip->sibling);
    list_init(&ip->sibling);
    ip->unlinked = true;
    *obj = ip->obj; /* a named object: the name's reference goes now */
    ip->obj = NULL;
    *pages = ramfs_inode_reclaim(ip);
}

int ramfs_unlink(const char *path)
{
    int err = 0;
    uint8_t **pages = NULL;
    struct kobj *obj = NULL;
    spin_lock(&ramfs_lock);
    struct inode *ip = walk(path, WALK_DROP, &err);
    if (ip && ip->kind == KEEL_NODE_DIR)
        err = -EISDIR;
    else if (ip && ip->boot)
        err = -EROFS;
    else if (ip)
        ramfs_remove_locked(ip, &pages, &obj);
    spin_unlock(&ramfs_lock);
    ramfs_free_pages(pages);
    if (obj)
        kobj_put(obj); /* no lock held: it may be the last reference */
    return err;
}
