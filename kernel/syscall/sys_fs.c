/* File syscalls: every fd is looked up (and pinned) through the cap_space;
 * read and write also carry the slot they came through (struct cap_pin)
 * into the file op, which re-checks it before every transfer. */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../fs/path.h"

long vfs_copy_path_in(char *dst, uint64_t upath)
{
    long n = strncpy_from_user(dst, upath, KEEL_PATH_MAX);
    if (n < 0)
        return n;
    return n == 0 ? -ENOENT : 0;
}

long sys_read(int fd, uint64_t ubuf, uint64_t n)
{
    struct file *f;
    if (unlikely(!user_range_ok(ubuf, n)))
        return -EFAULT; /* the whole buffer, before any byte moves */
    struct cap_pin pin;
    int err = cap_fd_get_pin(current()->proc, fd, CAP_RIGHT_READ, &f, &pin);
    if (unlikely(err))
        return err;
    long r = f->ops->read ? f->ops->read(f, ubuf, n, &pin) : -EBADF;
    file_put(f);
    return r;
}

long sys_write(int fd, uint64_t ubuf, uint64_t n)
{
    struct file *f;
    if (unlikely(!user_range_ok(ubuf, n)))
        return -EFAULT;
    struct cap_pin pin;
    int err = cap_fd_get_pin(current()->proc, fd, CAP_RIGHT_WRITE, &f, &pin);
    if (unlikely(err))
        return err;
    long r = f->ops->write ? f->ops->write(f, ubuf, n, &pin) : -EBADF;
    file_put(f);
    return r;
}

long sys_open(uint64_t upath, int oflags)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    if (err)
        return err;
    struct vfs_open_req r;
    err = vfs_open_prepare(path, oflags, &r); /* checks oflags first */
    if (err)
        return err;
    /* Plain open never mints GRANT: only spawn actions and pipe do. */
    int acc = oflags & KEEL_O_ACCMODE;
    unsigned rights = 0;
    if (acc != KEEL_O_WRONLY)
        rights |= CAP_RIGHT_READ;
    if (acc != KEEL_O_RDONLY)
        rights |= CAP_RIGHT_WRITE;
    /* The slot first, then the file-system change (no trace on EMFILE). */
    /* The path up to its last component first, preemptibly: the commit
     * under the cap lock then resolves one component. */
    vfs_open_prewalk(&r);
    struct inode *trunc;
    int fd = cap_fd_open(current()->proc, &r, rights, oflags & KEEL_O_CLOEXEC,
                         &trunc);
    vfs_open_unpin(&r, 1);
    if (trunc)
        ramfs_truncate(trunc); /* r.f keeps it open */
    file_put(r.f);             /* prepare's reference: the slot holds its own */
    return fd;
}

/* Paths are resolved by the ramfs (ramfs_walk), as for open: relative
 * ones from the caller's working directory. */
long sys_unlink(uint64_t upath)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    if (err)
        return err;
    return ramfs_unlink(path);
}

long sys_close(int fd)
{
    return cap_fd_close(current()->proc, fd);
}

long sys_lseek(int fd, int64_t off, int whence)
{
    struct file *f;
    int err = cap_fd_get(current()->proc, fd, 0, &f);
    if (err)
        return err;
    long r;
    if (!f->ops->seekable) {
        r = -ESPIPE;
    } else {
        spin_lock(&f->lock);
        /* Offsets and sizes stay below 2^63 (files are far smaller), so
         * the bases fit; the sum is checked without signed overflow. An
         * error leaves the offset as it was. */
        int64_t base = whence == KEEL_SEEK_SET   ? 0
                       : whence == KEEL_SEEK_CUR ? (int64_t)f->off
                       : whence == KEEL_SEEK_END
                           ? (int64_t)READ_ONCE(f->ip->size)
                           : -1;
        int64_t pos;
        if (base < 0)
            r = -EINVAL; /* unknown whence */
        else if (__builtin_add_overflow(base, off, &pos))
            r = -EOVERFLOW;
        else if (pos < 0)
            r = -EINVAL;
        else
            r = (long)(f->off = (uint64_t)pos);
        spin_unlock(&f->lock);
    }
    file_put(f);
    return r;
}

long sys_dup(int fd)
{
    return cap_fd_dup(current()->proc, fd, 0);
}

long sys_dup2(int oldfd, int newfd)
{
    return cap_fd_dup2(current()->proc, oldfd, newfd);
}

long sys_pipe(uint64_t ufds)
{
    struct proc *p = current()->proc;
    struct file *rd, *wr;
    if (!user_range_ok(ufds, 2 * sizeof(int)))
        return -EFAULT;
    int err = pipe_create(&rd, &wr);
    if (err)
        return err;
    /* Pipe ends carry GRANT: they are meant to be handed to children. */
    int fds[2];
    fds[0] = cap_fd_install(p, rd, CAP_RIGHT_READ | CAP_RIGHT_GRANT, false, 0);
    fds[1] = fds[0] < 0
                 ? fds[0]
                 : cap_fd_install(p, wr, CAP_RIGHT_WRITE | CAP_RIGHT_GRANT,
                                  false, 0);
    if (fds[1] < 0 || copy_to_user(ufds, fds, sizeof(fds)) < 0) {
        err = fds[1] < 0 ? fds[1] : -EFAULT;
        if (fds[0] >= 0)
            cap_fd_close(p, fds[0]);
        else
            file_put(rd);
        if (fds[1] >= 0)
            cap_fd_close(p, fds[1]);
        else
            file_put(wr);
        return err;
    }
    return 0;
}

long sys_fcntl(int fd, int cmd, int64_t arg)
{
    struct proc *p = current()->proc;
    switch (cmd) {
    case KEEL_F_GETFD:
        return cap_fd_getflags(p, fd);
    case KEEL_F_SETFD:
        return cap_fd_setflags(p, fd, (int)arg);
    case KEEL_F_DUPFD:
        if (arg < 0 || arg >= CAP_FD_SLOTS)
            return -EINVAL;
        return cap_fd_dup(p, fd, (int)arg);
    case KEEL_F_GETFL: {
        struct file *f;
        int err = cap_fd_get(p, fd, 0, &f);
        if (err)
            return err;
        long r = f->oflags;
        file_put(f);
        return r;
    }
    }
    return -EINVAL;
}

long sys_fstat(int fd, uint64_t uout)
{
    struct file *f;
    int err = cap_fd_get(current()->proc, fd, 0, &f);
    if (err)
        return err;
    struct keel_stat st = {0};
    if (f->pipe) {
        st.kind = KEEL_NODE_PIPE;
    } else {
        /* No lock: kind and ino do not change while f has the inode open
         * (nopen), and size is one aligned load (a write in progress
         * holds only the inode's kmutex: fstat never waits for it). */
        st.kind = f->ip->kind;
        st.ino = f->ip->ino;
        st.size = READ_ONCE(f->ip->size);
    }
    file_put(f);
    return copy_to_user(uout, &st, sizeof(st));
}

long sys_readdir(uint64_t upath, int index, uint64_t uout)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    if (err)
        return err;
    if (index < 0)
        return -EINVAL;
    struct keel_dirent d;
    int r = ramfs_readdir(path, index, &d);
    if (r == 1 && copy_to_user(uout, &d, sizeof(d)) < 0)
        return -EFAULT;
    return r;
}

/* fsync/fdatasync: the ramfs keeps every file in memory and has no
 * backing store, so a file or directory is already as durable as it gets
 * (0). A pipe or a device has nothing that could be synchronised: EINVAL,
 * as POSIX allows for such descriptors. */
long sys_fsync(int fd, uint64_t datasync)
{
    if (datasync > 1)
        return -EINVAL;
    struct file *f;
    int err = cap_fd_get(current()->proc, fd, 0, &f);
    if (err)
        return err;
    long r = 0;
    if (f->pipe || !f->ip || f->ip->kind == KEEL_NODE_CHAR)
        r = -EINVAL;
    file_put(f);
    return r;
}
