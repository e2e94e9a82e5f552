/*
 * Files and the in-memory file system. A struct file is the object an fd
 * slot names; it is reference counted: one reference per cap slot that
 * holds it and one per syscall that has it pinned (cap_fd_get). The last
 * file_put releases it.
 */
#ifndef KEEL_VFS_H
#define KEEL_VFS_H

#include "kernel.h"
#include "kmutex.h"
#include "list.h"
#include "sched.h"
#include "spinlock.h"
#include "../cap/cap_word.h"

struct file;
struct inode;
struct kobj;

/*
 * What a read or write validated (protocol step O1, docs/capabilities.md
 * "Revoking operations in progress"): the slot word it came through and
 * that slot's generation then. The word lives in the caller's own
 * cap_space, which outlives the syscall. A NULL pin (kernel-internal
 * use) is always live.
 */
struct cap_pin {
    const cap_word_t *word;
    uint32_t gen;
};

/* O2: the slot still holds the capability the operation validated.
 * Called under the object's lock, before every transfer and after every
 * wake-up; a revoke bumps the generation (R1) before it takes that lock
 * (R2), so check and transfer are atomic with respect to the revoke. */
static inline bool cap_pin_live(const struct cap_pin *pin)
{
    if (!pin)
        return true;
    cap_word_t w = __atomic_load_n(pin->word, __ATOMIC_RELAXED);
    return capw_valid(w) && capw_gen(w) == pin->gen;
}

struct file_ops {
    long (*read)(struct file *f, uint64_t ubuf, size_t n,
                 const struct cap_pin *pin);
    long (*write)(struct file *f, uint64_t ubuf, size_t n,
                  const struct cap_pin *pin);
    void (*release)(struct file *f);
    /* R2 (revoke): take the object's lock, wake every waiter, unlock;
     * on return no operation that checked its pin before the revoke's
     * generation bump is still transferring. NULL: nothing to wait for. */
    void (*cancel)(struct file *f);
    /* SYS_ioctl (terminals only; NULL: ENOTTY). rights: the slot's. */
    long (*ioctl)(struct file *f, int req, uint64_t arg,
                  const struct cap_pin *pin, unsigned rights);
    bool seekable;
};

/* An inode of the ramfs or a device node. The namespace (names, parent,
 * children, sibling), the counts (nopen, ncwd), unlinked, owner and
 * npages are guarded by ramfs_lock (a spinlock held only for bounded
 * steps); a file's data (pages, image, the page contents) and the
 * writes of size are guarded by the inode's own sleeping lock `lock`
 * (ramfs.c "Locking"). size is read without a lock (stat, fstat, lseek:
 * one aligned load). A file or directory inode lives while it has a name
 * or an open file (nopen): unlink or rmdir takes the name, the last close
 * of an unlinked one frees the inode and its pages (POSIX). A directory
 * that is a process's working directory (ncwd) cannot be removed
 * (EBUSY). */
struct inode {
    int kind; /* KEEL_NODE_* */
    uint32_t ino;
    char name[KEEL_NAME_MAX + 1];
    struct inode *parent;
    struct list children; /* directories */
    struct list sibling;
    struct kmutex lock;         /* a file's data: pages, image, size (writes) */
    uint64_t size;              /* lock to write; read with READ_ONCE */
    const uint8_t *image;       /* file data in the boot image, read-only */
    uint8_t **pages;            /* else: page of page pointers, or NULL */
    const struct file_ops *dev; /* device nodes */
    struct kobj *obj;           /* KEEL_NODE_OBJ: the named object (one
                                   reference; include/objname.h), NULL once
                                   unlinked */
    bool boot;                  /* made at boot (image file, device node,
                                   directory): never removed; an image
                                   file's data is read-only */
    bool unlinked;              /* no name any more: freed at last close */
    uint16_t hash;              /* of name (ramfs.c name_hash): in what
                                   was padding, the size stays */
    uint32_t nopen;             /* struct files open on this inode (files
                                   and directories) */
    uint32_t ncwd;              /* processes whose working directory it is */
    uint32_t npin;              /* walks and opens holding it unlocked */
    /* Quota (quota.h): the process charged for this inode (a created
     * file) and for its npages data pages (the pointer page included);
     * NULL for what the kernel made. Not referenced: a process's struct
     * hands its files to its creator when it is freed (ramfs_disown). */
    struct proc *owner;
    uint64_t npages;
};

struct file {
    uint32_t refs;   /* atomic */
    uint32_t oflags; /* KEEL_O_* (access mode, append) */
    spinlock_t lock; /* off */
    uint64_t off;
    const struct file_ops *ops;
    struct inode *ip;
    struct pipe *pipe;
    struct proc *acct; /* charged for this struct (quota.h); referenced */
};

void file_init(void);
/* A new file charged to the calling process's quota; NULL when its
 * quota (or the pool) is used up: callers answer EMFILE. */
struct file *file_alloc(const struct file_ops *ops);
void file_put(struct file *f);
uint32_t file_index(struct file *f);

/* Inline: every fd syscall goes through these. An index taken from a
 * live cap slot is always in range. */
extern struct file file_storage[MAX_FILES];
static inline struct file *file_by_index(uint32_t idx)
{
    return &file_storage[idx];
}
static inline void file_get(struct file *f)
{
    ref_get(&f->refs);
}
uint32_t file_count(void);
uint32_t inode_count(void);

extern spinlock_t ramfs_lock;
void ramfs_init(void);
/* ramfs_lock held and no other spinlock: resolve a kernel path; returns
 * the inode or NULL with *err set. With create, makes a missing final
 * file (and fails with ENOENT when the parent is missing). The lookup may
 * let ramfs_lock go between two steps (ramfs_int.h WALK_DROP): what it
 * returns is valid under the hold it returns in. */
struct inode *ramfs_lookup(const char *path, bool create, int *err);
/* ramfs_lock held: resolve path from start (NULL: from the root or the
 * working directory) without changing anything, in this one hold. When
 * only the final component is missing, returns NULL with *err = -ENOENT,
 * *dir its directory and name (KEEL_NAME_MAX + 1 bytes) its name; else
 * *dir is NULL. */
struct inode *ramfs_lookup_at(struct inode *start, const char *path,
                              struct inode **dir, char *name, int *err);
/* No spinlock held: resolve path (prefix: all of it but the last
 * component, *rest getting the rest) in bounded, preemptible holds and
 * pin the inode it names (npin: it is not freed, even if removed) until
 * ramfs_unpin. NULL with *err set when the resolution fails. */
struct inode *ramfs_pin_path(const char *path, bool prefix, const char **rest,
                             int *err);
void ramfs_unpin(struct inode *ip);
/* ramfs_lock held: make sure n files can be created by the calling
 * process, charging them to its inode quota: 0, or -ENOSPC (pool or
 * quota) with nothing charged. */
int ramfs_reserve_creates(uint32_t n);
/* ramfs_lock held since ramfs_reserve_creates counted it: a new empty
 * file `name` in dir, owned by the calling process. */
struct inode *ramfs_create_in(struct inode *dir, const char *name);
/* Boot: path (made with its directories) is a read-only file on the
 * image's data; -EISDIR when path names a directory (the root included)
 * or a device node, which stay as they are. */
int ramfs_add_image(const char *path, const uint8_t *data, uint64_t size);
struct inode *ramfs_mknod(const char *dir, const char *name,
                          const struct file_ops *ops);
int ramfs_readdir(const char *path, int index, struct keel_dirent *out);
extern const struct file_ops ramfs_file_ops;
extern const struct file_ops ramfs_dir_ops;
/* Empty file ip (O_TRUNC): takes ip->lock, so it waits for a read or
 * write in progress, and frees the pages with preemption points. No
 * spinlock held; ip stays open (nopen) meanwhile. */
void ramfs_truncate(struct inode *ip);
/* Free a page array detached from its file (ramfs_inode_reclaim) with
 * preemption points; no spinlock held. */
void ramfs_free_pages(uint8_t **pages);
/* Remove the file at path: 0, -ENOENT, -ENOTDIR, -EISDIR (a directory),
 * -EROFS (a boot-image file or device node). An open file keeps its data
 * until its last close. */
int ramfs_unlink(const char *path);
/* ramfs_lock held: one more struct file on file or directory inode ip. */
void ramfs_inode_open(struct inode *ip);
/* One struct file on file or directory inode ip went away (takes
 * ramfs_lock). */
void ramfs_inode_close(struct inode *ip);
/* p's struct is being freed: the files charged to p are charged to heir
 * from now on (its chain already counts them), and p's own counters for
 * them drop to zero. */
void ramfs_disown(struct proc *p, struct proc *heir);

/* A syscall's path argument into dst (KEEL_PATH_MAX bytes): 0, -EFAULT,
 * -ENAMETOOLONG (no NUL in KEEL_PATH_MAX bytes), -ENOENT (empty). */
long vfs_copy_path_in(char *dst, uint64_t upath);

/* Directories and the working directory (ramfs_dir.c). Paths are
 * resolved like every other (ramfs_walk: relative ones from the calling
 * process's working directory). */
/* Fill *out for the node at path: 0, -ENOENT, -ENOTDIR, -ENAMETOOLONG. */
int ramfs_stat(const char *path, struct keel_stat *out);
/* Make directory path, charged to the caller's inode quota: 0, -EEXIST,
 * -ENOENT (a missing parent), -ENOTDIR, -ENOSPC (quota or pool),
 * -ENAMETOOLONG (its absolute path would not fit KEEL_PATH_MAX). */
int ramfs_mkdir(const char *path);
/* Remove empty directory path: 0, -ENOENT, -ENOTDIR, -ENOTEMPTY,
 * -EINVAL (last component "." or ".."), -EBUSY (the root, or some
 * process's working directory), -EROFS (made at boot). */
int ramfs_rmdir(const char *path);
/* The caller's working directory becomes path: 0, -ENOENT, -ENOTDIR. */
int ramfs_chdir(const char *path);
/* The caller's working directory as an absolute path into buf
 * (KEEL_PATH_MAX bytes); returns its length with the NUL. */
int ramfs_getcwd(char *buf);
/* Spawn: child starts in parent's working directory. */
void ramfs_cwd_inherit(struct proc *child, struct proc *parent);
/* Exit or a failed spawn: p gives its working directory up (idempotent). */
void ramfs_cwd_drop(struct proc *p);

/* The open flags open() and spawn open actions accept (one check for
 * both): 0, or -EINVAL for unknown bits or access mode 3. */
int vfs_check_oflags(int oflags);
/* Open a path with KEEL_O_* flags, returning a new file (1 ref). */
int vfs_open(const char *path, int oflags, struct file **out);

/* The steps of an open (file.c), for spawn's open actions. */
#define VFS_OPEN_BATCH_MAX KEEL_SPAWN_ACTIONS_MAX
struct vfs_open_req {
    const char *path; /* kernel copy, alive until the commit */
    int oflags;
    struct file *f; /* from prepare (1 ref); its ops and inode at commit */
    /* set by vfs_open_prewalk: the pinned directory part of the path (or
     * NULL and its error), and the last component to resolve in it */
    bool walked;
    struct inode *start;
    const char *rest;
    int walk_err;
    /* set by the commit's checks */
    struct inode *ip;  /* the file, or NULL: to be created in dir */
    struct inode *dir; /* the missing file's directory */
    char name[KEEL_NAME_MAX + 1];
    int same; /* an earlier request of the batch creating the same file */
};
/* Check oflags (vfs_check_oflags) and allocate r's struct file; no
 * file-system access. Until the commit the file has no operations. */
int vfs_open_prepare(const char *path, int oflags, struct vfs_open_req *r);
/* No spinlock held: resolve all but the last component of r's path in
 * bounded preemptible steps and pin that directory, so that the commit,
 * which may run under a spinlock, resolves one component in its hold (a
 * path of at most VFS_OPEN_SHORT_PATH components is left to the commit
 * whole: as many single-directory steps).
 * vfs_open_unpin gives the pins back (after the commit, or instead). */
#define VFS_OPEN_SHORT_PATH 2 /* components: no prewalk needed */
void vfs_open_prewalk(struct vfs_open_req *r);
void vfs_open_unpin(struct vfs_open_req *reqs, int n);
/* Resolve and check all n requests under one ramfs_lock hold; if any
 * fails (ENOENT, ENOTDIR, EEXIST, EISDIR, ENOSPC, or ENOEXEC for a
 * truncation of the program exec_path names), nothing has changed and
 * its error is returned. Else creates and truncates as asked and gives
 * every file its inode and operations. Each r->f stays the caller's.
 * No spinlock held: it prewalks each request and unpins at the end. */
int vfs_open_commit(struct vfs_open_req *reqs, int n, const char *exec_path);
/* The commit proper, which may run under a spinlock: it truncates
 * nothing, but leaves in trunc[i] the inode request i truncates (or
 * NULL) for the caller to ramfs_truncate after unlocking. exec_ip: the
 * (pinned) program's inode, or NULL. A request not prewalked is resolved
 * whole in the hold. */
int vfs_open_commit_defer(struct vfs_open_req *reqs, int n,
                          const struct inode *exec_ip, struct inode *trunc[]);

void devfs_init(void);
/* The console (fs/console.c). console_input feeds one received byte
 * (tests; the UART goes through console_uart_rx): false when the ring is
 * full and the byte was not taken. */
extern const struct file_ops console_ops;
void console_init(void);
bool console_input(int c);
/* When the last UART receive interrupt that brought in bytes was taken
 * (CLOCK_MONOTONIC ns; 0: none yet): kstat's console_rx_irq_ns. */
uint64_t console_rx_irq_ns(void);

int pipe_create(struct file **rd, struct file **wr);
uint32_t pipe_count(void);

void initrd_load(const uint8_t *start, uint64_t size);

#endif
