/*
 * Named kernel objects (include/objname.h): the directories /dev/mqueue
 * and /dev/sem, and names in them bound to objects.
 *
 * Locking: ramfs_lock (ramfs.c) guards the directories and every node's
 * obj pointer; each call holds it for one bounded step (one directory
 * scan, one insertion or removal), never while making an object or
 * putting a reference (kobj_put may free pages). A node's reference to
 * its object is taken when the node is made and dropped when the name
 * is removed (objname_unlink, or unlink(2) through ramfs_unlink).
 */
#include "../include/objname.h"
#include "../include/mm.h"
#include "../include/vfs.h"
#include "path.h"
#include "ramfs_int.h"

static struct inode *objname_mq_dir, *objname_sem_dir;

/* ramfs_lock held at boot: directory path, made with its parents and
 * marked boot (never removed). */
static struct inode *boot_dir(const char *path)
{
    int err = 0;
    struct inode *d = ramfs_walk(NULL, path, WALK_MKDIRS, &err, NULL, NULL);
    KASSERT(d && d->kind == KEEL_NODE_DIR);
    for (struct inode *p = d; !p->boot; p = p->parent)
        p->boot = true;
    return d;
}

void objname_init(void)
{
    spin_lock(&ramfs_lock);
    objname_mq_dir = boot_dir("/dev/mqueue/");
    objname_sem_dir = boot_dir("/dev/sem/");
    spin_unlock(&ramfs_lock);
}

static struct inode *type_dir(unsigned type)
{
    KASSERT(type == CAP_TYPE_MQUEUE || type == CAP_TYPE_SEMAPHORE);
    return type == CAP_TYPE_MQUEUE ? objname_mq_dir : objname_sem_dir;
}

int objname_copy_in(uint64_t uname, char *out)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, uname);
    if (err == -ENOENT)
        return -EINVAL; /* "": no leading '/' */
    if (err)
        return (int)err;
    if (path[0] != '/')
        return -EINVAL;
    size_t n = strlen(path + 1);
    if (n > KEEL_NAME_MAX)
        return -ENAMETOOLONG;
    for (size_t i = 1; i <= n; i++)
        if (path[i] == '/')
            return -EINVAL; /* one component only */
    if (n == 0 || !strcmp(path + 1, ".") || !strcmp(path + 1, ".."))
        return -EINVAL;
    memcpy(out, path + 1, n + 1);
    return 0;
}

/* ramfs_lock held: the node `name` in dir, or NULL. */
static struct inode *find(struct inode *dir, const char *name)
{
    struct inode *d = NULL;
    char tmp[KEEL_NAME_MAX + 1];
    int err = 0;
    return ramfs_lookup_at(dir, name, &d, tmp, &err);
}

/* ramfs_lock held: ip is a name bound to an object of type. */
static bool bound_to(const struct inode *ip, unsigned type)
{
    return ip->kind == KEEL_NODE_OBJ && ip->obj && ip->obj->type == type;
}

int objname_open(unsigned type, const char *name, int oflags,
                 objname_make_fn make, void *arg, struct kobj **out,
                 bool *created)
{
    struct inode *dir = type_dir(type);
    bool create = oflags & KEEL_O_CREAT;
    bool excl = create && (oflags & KEEL_O_EXCL);
    struct kobj *made = NULL;
    int err = 0;
    *created = false;
    for (;;) {
        spin_lock(&ramfs_lock);
        struct inode *ip = find(dir, name);
        if (ip && excl) {
            err = -EEXIST;
        } else if (ip && !bound_to(ip, type)) {
            err = -EINVAL;
        } else if (ip) {
            kobj_get(ip->obj);
            *out = ip->obj;
        } else if (!create) {
            err = -ENOENT;
        } else if (made) {
            struct inode *n = ramfs_inode_create(dir, name, KEEL_NODE_OBJ);
            if (!n) {
                err = -ENOSPC;
            } else {
                n->obj = made; /* make's reference becomes the name's */
                kobj_get(made);
                *out = made;
                *created = true;
                made = NULL;
            }
        }
        spin_unlock(&ramfs_lock);
        if (ip || err || !create || *created)
            break;
        /* Not there: make one with no lock held, then look again (another
         * caller may have bound the name meanwhile). */
        made = make(arg, &err);
        if (!made)
            break;
    }
    if (made)
        kobj_put(made); /* the name was taken meanwhile, or no inode */
    return err;
}

/* Remove dir's node `name` if it is bound to an object of type (and to
 * o, if o is given). */
static int unlink_if(unsigned type, const char *name, struct kobj *o)
{
    struct inode *dir = type_dir(type);
    uint8_t **pages = NULL;
    struct kobj *obj = NULL;
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = find(dir, name);
    if (!ip || !bound_to(ip, type) || (o && ip->obj != o))
        err = -ENOENT;
    else
        ramfs_remove_locked(ip, &pages, &obj);
    spin_unlock(&ramfs_lock);
    KASSERT(!pages); /* an object's node has no data pages */
    if (obj)
        kobj_put(obj);
    return err;
}

int objname_unlink(unsigned type, const char *name)
{
    return unlink_if(type, name, NULL);
}

int objname_unlink_obj(unsigned type, const char *name, struct kobj *o)
{
    return unlink_if(type, name, o);
}
