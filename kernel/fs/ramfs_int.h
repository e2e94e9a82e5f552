/*
 * Private to the ramfs (ramfs.c, ramfs_dir.c, ramfs_file.c). Every
 * function here runs with ramfs_lock held; it guards the tree, every
 * inode's names and counts and every process's working directory
 * (proc->cwd). A file's data has its own lock (ramfs_file.c).
 */
#ifndef KEEL_RAMFS_INT_H
#define KEEL_RAMFS_INT_H

#include "../include/vfs.h"

struct proc;

/* A file in pages: at most one page of page pointers. */
#define FILE_MAX_PAGES (PAGE_SIZE / sizeof(uint8_t *))
#define FILE_MAX_SIZE (FILE_MAX_PAGES * PAGE_SIZE)

extern struct inode *ramfs_root;

/* The calling process (NULL for the kernel): charged for what it makes,
 * and its working directory starts relative paths. */
struct proc *ramfs_creator(void);
/* A new inode `name` of kind in dir (NULL dir: the root itself), owned
 * by nobody; NULL when the pool is empty. */
struct inode *ramfs_inode_new(struct inode *dir, const char *name, int kind);
/* A new inode made by the calling process and charged to its inode
 * quota; NULL (ENOSPC) when the quota or the pool is used up. */
struct inode *ramfs_inode_create(struct inode *dir, const char *name, int kind);
/* Resolve path from start (NULL: from the root if path starts with '/',
 * else the caller's working directory). WALK_CREATE: make a missing
 * final component a file; WALK_MKDIRS: make every other missing
 * component a directory. WALK_DROP: the caller holds no spinlock but
 * ramfs_lock and tolerates the tree changing between two steps: every
 * WALK_SCAN_BUDGET directory entries scanned the walk lets ramfs_lock go
 * for a preemption point, with the directory it is in pinned (npin), and
 * answers ENOENT if that directory was removed meanwhile. Without it the
 * walk is one hold, for the callers that need one (the last component
 * of an open, the boot). When only the final component is missing (and
 * nothing is made), *dir_out (if given) gets its directory and name_out
 * its name. A path in a directory's form ("x/", "x/.") naming a
 * non-directory gives ENOTDIR. */
#define WALK_CREATE 0x1u
#define WALK_MKDIRS 0x2u
#define WALK_DROP 0x4u
#define WALK_SCAN_BUDGET 64
struct inode *ramfs_walk(struct inode *start, const char *path, unsigned flags,
                         int *err, struct inode **dir_out, char *name_out);
/* Free an inode (file or directory) that has no name, no open file, no
 * pin and is nobody's working directory; returns a file's pages, to free after
 * unlocking (NULL otherwise). */
uint8_t **ramfs_inode_reclaim(struct inode *ip);
/* Take ip's name (unlink): *pages gets a file's pages to free and *obj a
 * named object's reference to put, both after unlocking (or NULL). */
void ramfs_remove_locked(struct inode *ip, uint8_t ***pages, struct kobj **obj);
/* Empty ip (size 0, no image) and give its pages' charge back; returns
 * the page array to free after unlocking (ramfs_free_pages). Also needs
 * ip->lock, unless no struct file has ip open. */
uint8_t **ramfs_detach_pages(struct inode *ip);

#endif
