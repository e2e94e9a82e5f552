/*
 * Directories of the ramfs and each process's working directory: stat,
 * mkdir, rmdir, chdir, getcwd, and the working directory's life at spawn
 * and exit.
 *
 * Locking: ramfs_lock guards the tree and every proc->cwd (read by every
 * relative path resolution, ramfs_walk). A working directory is a
 * pointer to a directory inode (NULL: the root) counted in the inode's
 * ncwd; rmdir refuses such a directory with EBUSY, so a working directory
 * always has a name, and its parent chain (each a non-empty directory)
 * cannot be removed either: getcwd always finds the absolute path.
 * mkdir refuses a directory whose absolute path would not fit in
 * KEEL_PATH_MAX bytes, so getcwd never needs more.
 */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "path.h"
#include "ramfs_int.h"

int ramfs_stat(const char *path, struct keel_stat *out)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_walk(NULL, path, WALK_DROP, &err, NULL, NULL);
    if (ip) {
        memset(out, 0, sizeof(*out));
        out->kind = (uint32_t)ip->kind;
        out->ino = ip->ino;
        out->size = READ_ONCE(ip->size);
    }
    spin_unlock(&ramfs_lock);
    return ip ? 0 : err;
}

/* ramfs_lock held: the length of d's absolute path without the NUL ("/"
 * for the root: 1). */
static size_t dir_path_len(const struct inode *d)
{
    size_t n = 0;
    for (; d != ramfs_root; d = d->parent)
        n += 1 + strlen(d->name);
    return n ? n : 1;
}

int ramfs_mkdir(const char *path)
{
    int err = 0;
    struct inode *dir = NULL;
    char name[KEEL_NAME_MAX + 1];
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_walk(NULL, path, WALK_DROP, &err, &dir, name);
    if (ip) {
        err = -EEXIST;
    } else if (dir && path_last_is_dot(path)) {
        err = -ENOENT; /* "new/.": "new" would have to exist already */
    } else if (dir) {
        /* The parent's path, a '/' unless it is the root, the name, NUL. */
        size_t len = dir_path_len(dir) + (dir != ramfs_root) + strlen(name);
        if (len + 1 > KEEL_PATH_MAX)
            err = -ENAMETOOLONG;
        else if (!ramfs_inode_create(dir, name, KEEL_NODE_DIR))
            err = -ENOSPC; /* the caller's inode quota or the pool */
        else
            err = 0;
    }
    spin_unlock(&ramfs_lock);
    return err;
}

int ramfs_rmdir(const char *path)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_walk(NULL, path, WALK_DROP, &err, NULL, NULL);
    if (!ip)
        ; /* err set */
    else if (ip == ramfs_root)
        err = -EBUSY;
    else if (ip->kind != KEEL_NODE_DIR)
        err = -ENOTDIR;
    else if (path_last_is_dot(path))
        err = -EINVAL;
    else if (!list_empty(&ip->children))
        err = -ENOTEMPTY;
    else if (ip->boot)
        err = -EROFS;
    else if (ip->ncwd)
        err = -EBUSY;
    if (ip && !err) {
        list_remove(&ip->sibling);
        list_init(&ip->sibling);
        ip->unlinked = true;
        /* A directory has no pages: nothing to free after unlocking. */
        uint8_t **pages = ramfs_inode_reclaim(ip);
        KASSERT(!pages);
    }
    spin_unlock(&ramfs_lock);
    return err;
}

/* ramfs_lock held: p's working directory becomes d (NULL: the root). */
static void cwd_set(struct proc *p, struct inode *d)
{
    struct inode *old = p->cwd;
    if (d)
        d->ncwd++;
    p->cwd = d;
    if (old) {
        KASSERT(old->ncwd > 0);
        KASSERT(!old->unlinked); /* rmdir refuses it while counted */
        old->ncwd--;
    }
}

int ramfs_chdir(const char *path)
{
    struct proc *p = ramfs_creator();
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_walk(NULL, path, WALK_DROP, &err, NULL, NULL);
    if (ip && ip->kind != KEEL_NODE_DIR)
        err = -ENOTDIR;
    else if (ip && p)
        cwd_set(p, ip == ramfs_root ? NULL : ip);
    spin_unlock(&ramfs_lock);
    return ip && !err ? 0 : err;
}

int ramfs_getcwd(char *buf)
{
    struct proc *p = ramfs_creator();
    char tmp[KEEL_PATH_MAX];
    size_t pos = sizeof(tmp) - 1;
    tmp[pos] = '\0';
    spin_lock(&ramfs_lock);
    const struct inode *d = p && p->cwd ? p->cwd : ramfs_root;
    for (; d != ramfs_root; d = d->parent) {
        size_t len = strlen(d->name);
        KASSERT(pos >= len + 1); /* mkdir keeps every path in bounds */
        pos -= len;
        memcpy(tmp + pos, d->name, len);
        tmp[--pos] = '/';
    }
    spin_unlock(&ramfs_lock);
    if (pos == sizeof(tmp) - 1)
        tmp[--pos] = '/';
    size_t n = sizeof(tmp) - pos; /* with the NUL */
    memcpy(buf, tmp + pos, n);
    return (int)n;
}

void ramfs_cwd_inherit(struct proc *child, struct proc *parent)
{
    spin_lock(&ramfs_lock);
    KASSERT(!child->cwd);
    cwd_set(child, parent->cwd);
    spin_unlock(&ramfs_lock);
}

void ramfs_cwd_drop(struct proc *p)
{
    spin_lock(&ramfs_lock);
    if (p->cwd)
        cwd_set(p, NULL);
    spin_unlock(&ramfs_lock);
}
