/*
 * File-descriptor calls: the plain system layer newlib's reentrant
 * wrappers call (_read, _write, _open, ...), and the POSIX calls newlib
 * does not provide (dup, dup2, pipe, fcntl). newlib's own read(), write(),
 * open(), close(), lseek() and fstat() reach the ones here (isatty():
 * tty.c).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* abi.h promises newlib's values, so flags pass through unchanged. */
_Static_assert(O_RDONLY == KEEL_O_RDONLY && O_WRONLY == KEEL_O_WRONLY &&
                   O_RDWR == KEEL_O_RDWR && O_ACCMODE == KEEL_O_ACCMODE,
               "open access modes");
_Static_assert(O_APPEND == KEEL_O_APPEND && O_CREAT == KEEL_O_CREAT &&
                   O_TRUNC == KEEL_O_TRUNC && O_EXCL == KEEL_O_EXCL &&
                   O_CLOEXEC == KEEL_O_CLOEXEC,
               "open flags");
_Static_assert(F_DUPFD == KEEL_F_DUPFD && F_GETFD == KEEL_F_GETFD &&
                   F_SETFD == KEEL_F_SETFD && F_GETFL == KEEL_F_GETFL &&
                   FD_CLOEXEC == KEEL_FD_CLOEXEC,
               "fcntl commands");
_Static_assert(SEEK_SET == KEEL_SEEK_SET && SEEK_CUR == KEEL_SEEK_CUR &&
                   SEEK_END == KEEL_SEEK_END,
               "lseek whence");

/*
 * read and write are cancellation points (cancel.c); newlib's stdio calls
 * _read/_write directly (through _read_r/_write_r) while it holds a
 * stream's lock, which a thread leaving there would never release, so
 * only these POSIX entry points check for a pending request.
 */
ssize_t read(int fd, void *buf, size_t n)
{
    long r = keel_cp4(SYS_read, fd, (long)buf, (long)n, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return keel_ret(r);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    long r = keel_cp4(SYS_write, fd, (long)buf, (long)n, 0);
    if (r == -EINTR)
        keel_cancel_point();
    return keel_ret(r);
}

_ssize_t _read(int fd, void *buf, size_t n)
{
    return keel_ret(keel_sc3(SYS_read, fd, (long)buf, (long)n));
}

_ssize_t _write(int fd, const void *buf, size_t n)
{
    return keel_ret(keel_sc3(SYS_write, fd, (long)buf, (long)n));
}

/* The mode argument is ignored: Keel's file systems have no permissions. */
int _open(const char *path, int flags, ...)
{
    return (int)keel_ret(keel_sc2(SYS_open, (long)path, flags));
}

int _close(int fd)
{
    return (int)keel_ret(keel_sc1(SYS_close, fd));
}

_off_t _lseek(int fd, _off_t off, int whence)
{
    return keel_ret(keel_sc3(SYS_lseek, fd, off, whence));
}

/* Converts the kernel's node description into a struct stat. */
static void fill_stat(struct stat *st, const struct keel_stat *ks)
{
    memset(st, 0, sizeof(*st));
    switch (ks->kind) {
    case KEEL_NODE_FILE:
        st->st_mode = S_IFREG | 0644;
        break;
    case KEEL_NODE_DIR:
        st->st_mode = S_IFDIR | 0755;
        break;
    case KEEL_NODE_CHAR:
        st->st_mode = S_IFCHR | 0666;
        break;
    case KEEL_NODE_PIPE:
        st->st_mode = S_IFIFO | 0600;
        break;
    default:
        break;
    }
    st->st_ino = (ino_t)ks->ino;
    st->st_nlink = 1;
    st->st_size = (off_t)ks->size;
}

/*
 * The kernel writes its struct keel_stat into the head of the caller's
 * struct stat, so that a bad pointer gets EFAULT from the kernel's checked
 * copy rather than a fault here; then the struct stat is filled in.
 */
_Static_assert(sizeof(struct stat) >= sizeof(struct keel_stat),
               "struct stat must hold a struct keel_stat");

int _fstat(int fd, struct stat *st)
{
    long r = keel_sc2(SYS_fstat, fd, (long)st);
    if (r < 0)
        return (int)keel_ret(r);
    struct keel_stat ks;
    memcpy(&ks, st, sizeof(ks));
    fill_stat(st, &ks);
    return 0;
}

/* newlib's stat() calls this. Like _fstat, the kernel writes into the
 * caller's struct stat first (EFAULT for a bad pointer). */
int _stat(const char *path, struct stat *st)
{
    long r = keel_sc2(SYS_stat, (long)path, (long)st);
    if (r < 0)
        return (int)keel_ret(r);
    struct keel_stat ks;
    memcpy(&ks, st, sizeof(ks));
    fill_stat(st, &ks);
    return 0;
}

/* Keel has no symbolic links: lstat is stat. */
int lstat(const char *path, struct stat *st)
{
    return _stat(path, st);
}

/* Keel's file systems have no permissions: access checks that path
 * resolves (F_OK, R_OK, W_OK, X_OK all answer the same; EINVAL for
 * other mode bits). Writing a boot-image file still fails (EROFS). */
int access(const char *path, int mode)
{
    if (mode & ~(F_OK | R_OK | W_OK | X_OK)) {
        errno = EINVAL;
        return -1;
    }
    struct keel_stat ks;
    return (int)keel_ret(keel_sc2(SYS_stat, (long)path, (long)&ks));
}

/* Keel's file systems have no links or renames; files can be removed
 * (unlink), directories made and removed (dir.c). */
int _link(const char *oldpath, const char *newpath)
{
    (void)oldpath;
    (void)newpath;
    errno = ENOSYS;
    return -1;
}

int _unlink(const char *path)
{
    return (int)keel_ret(keel_sc1(SYS_unlink, (long)path));
}

int dup(int fd)
{
    return (int)keel_ret(keel_sc1(SYS_dup, fd));
}

int dup2(int oldfd, int newfd)
{
    return (int)keel_ret(keel_sc2(SYS_dup2, oldfd, newfd));
}

int pipe(int fds[2])
{
    return (int)keel_ret(keel_sc1(SYS_pipe, (long)fds));
}

/* Replaces newlib's fcntl, which only answers ENOSYS on this target. */
int fcntl(int fd, int cmd, ...)
{
    long arg = 0;
    if (cmd != F_GETFD && cmd != F_GETFL) { /* only these take no arg */
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    return (int)keel_ret(keel_sc3(SYS_fcntl, fd, cmd, arg));
}
