/*
 * Named kernel objects (docs/syscalls.md "Kernel objects"): POSIX names
 * of queues and semaphores live in the file namespace, a name "/x" of
 * type CAP_TYPE_MQUEUE as the node /dev/mqueue/x, of CAP_TYPE_SEMAPHORE
 * as /dev/sem/x (the kernel maps the name; libc passes it as given). The
 * node (kind KEEL_NODE_OBJ, an inode charged to its creator's inode
 * quota) holds one reference to its object; `ls /dev/mqueue` lists the
 * names. The object lives on while caps name it: unlink takes the name
 * and drops the name's reference at once; the last kobj_put frees it.
 *
 * Names: a leading '/', then one component of 1 .. KEEL_NAME_MAX bytes
 * with no further '/' and not "." or "..". Errors: EINVAL for a name
 * without the leading '/' (or "" or "/"), with a second '/', or "." /
 * ".."; ENAMETOOLONG for a component longer than KEEL_NAME_MAX or a
 * string longer than KEEL_PATH_MAX; EFAULT for a bad pointer.
 *
 * Locking: the directory tree is the ramfs's (ramfs_lock, one bounded
 * step per call: one directory lookup or insertion). Objects are made
 * (their make callback) and references put with no lock held.
 */
#ifndef KEEL_OBJNAME_H
#define KEEL_OBJNAME_H

#include "kobj.h"

/* Boot: make /dev/mqueue and /dev/sem (directories, never removed). */
void objname_init(void);

/* Copy a POSIX object name from user space and check it (the errors
 * above); out gets the component without the '/' (KEEL_NAME_MAX + 1
 * bytes). */
int objname_copy_in(uint64_t uname, char *out);

/*
 * Make an object of `type` for objname_open; no lock held. Returns the
 * object with one reference for the name, or NULL with *err set (what
 * the caller's open call answers: EINVAL for bad attributes, ENOSPC ...).
 */
typedef struct kobj *(*objname_make_fn)(void *arg, int *err);

/*
 * Open-or-create the object of `type` named `name` (a component from
 * objname_copy_in). oflags: KEEL_O_CREAT, KEEL_O_EXCL as open(2).
 * On success *out holds a new reference (the caller's, to install in a
 * slot or put) and *created says whether this call made it. Errors:
 * -ENOENT (no such name and no O_CREAT), -EEXIST (O_CREAT|O_EXCL and the
 * name exists), -EINVAL (the name is bound to something else: another
 * object type or a plain file someone put in the directory), -ENOSPC
 * (the caller's inode quota or the inode pool), or make's error. The
 * existing object is found in one ramfs_lock hold; make runs outside it,
 * and if another caller bound the name meanwhile, its object is used
 * (-EEXIST with O_EXCL) and the one just made is put.
 */
int objname_open(unsigned type, const char *name, int oflags,
                 objname_make_fn make, void *arg, struct kobj **out,
                 bool *created);

/* Remove the name: 0, -ENOENT (no such name, or one bound to another
 * type). The name's reference is put after unlocking. */
int objname_unlink(unsigned type, const char *name);

/* Remove the name only if it is still bound to o (undoing a create whose
 * slot could not be installed): 0 or -ENOENT. */
int objname_unlink_obj(unsigned type, const char *name, struct kobj *o);

#endif
