/*
 * Directories and the working directory: chdir, getcwd, mkdir, rmdir
 * (SYS_chdir, SYS_getcwd, SYS_mkdir, SYS_rmdir) and the POSIX directory
 * stream (opendir, readdir, ...) on keel_readdir. A DIR belongs to its
 * caller alone (no lock); it holds no fd, so it never blocks a spawn.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/sys.h>

#include "internal.h"

_Static_assert(sizeof(((struct dirent *)0)->d_name) == KEEL_NAME_MAX + 1,
               "d_name holds a Keel name");

int chdir(const char *path)
{
    return (int)keel_ret(keel_sc1(SYS_chdir, (long)path));
}

/* POSIX getcwd; with buf NULL it allocates (size bytes, or as many as
 * the path needs when size is 0), as glibc and the BSDs do. */
char *getcwd(char *buf, size_t size)
{
    if (buf && size == 0) {
        errno = EINVAL;
        return NULL;
    }
    char *mem = NULL;
    if (!buf) {
        if (size == 0)
            size = KEEL_PATH_MAX;
        buf = mem = malloc(size);
        if (!buf) {
            errno = ENOMEM;
            return NULL;
        }
    }
    long r = keel_sc2(SYS_getcwd, (long)buf, (long)size);
    if (r < 0) {
        free(mem);
        keel_ret(r);
        return NULL;
    }
    return buf;
}

/* mode is ignored: Keel's file systems have no permissions. newlib's
 * _mkdir_r calls _mkdir. */
int _mkdir(const char *path, mode_t mode)
{
    (void)mode;
    return (int)keel_ret(keel_sc1(SYS_mkdir, (long)path));
}

int mkdir(const char *path, mode_t mode)
{
    return _mkdir(path, mode);
}

int rmdir(const char *path)
{
    return (int)keel_ret(keel_sc1(SYS_rmdir, (long)path));
}

/* ---- directory streams ---- */

struct __keel_dir {
    char path[KEEL_PATH_MAX]; /* absolute: a later chdir changes nothing */
    long index;               /* the next entry keel_readdir gives */
    struct dirent ent;        /* what readdir returned last */
};

DIR *opendir(const char *name)
{
    struct stat st;
    if (stat(name, &st) < 0)
        return NULL;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return NULL;
    }
    DIR *d = calloc(1, sizeof(*d));
    if (!d) {
        errno = ENOMEM;
        return NULL;
    }
    size_t o = 0;
    if (name[0] != '/') {
        if (!getcwd(d->path, sizeof(d->path))) {
            free(d);
            return NULL;
        }
        o = strlen(d->path);
        if (o > 1)
            d->path[o++] = '/'; /* the root is "/" already */
    }
    size_t len = strlen(name);
    if (o + len >= sizeof(d->path)) {
        free(d);
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(d->path + o, name, len + 1);
    return d;
}

static unsigned char dtype(uint32_t kind)
{
    switch (kind) {
    case KEEL_NODE_FILE:
        return DT_REG;
    case KEEL_NODE_DIR:
        return DT_DIR;
    case KEEL_NODE_CHAR:
        return DT_CHR;
    case KEEL_NODE_PIPE:
        return DT_FIFO;
    }
    return DT_UNKNOWN;
}

/* NULL at the end (errno unchanged) or on an error (errno set, e.g.
 * ENOENT when the directory was removed). Entries are counted by
 * position: one made or removed meanwhile may shift the rest by one. */
struct dirent *readdir(DIR *d)
{
    if (!d) {
        errno = EBADF;
        return NULL;
    }
    struct keel_dirent kd;
    if (keel_readdir(d->path, (int)d->index, &kd) != 1)
        return NULL;
    d->index++;
    d->ent.d_ino = (ino_t)kd.ino;
    d->ent.d_type = dtype(kd.kind);
    memcpy(d->ent.d_name, kd.name, sizeof(d->ent.d_name));
    d->ent.d_name[sizeof(d->ent.d_name) - 1] = '\0';
    return &d->ent;
}

void rewinddir(DIR *d)
{
    if (d)
        d->index = 0;
}

long telldir(DIR *d)
{
    return d ? d->index : -1;
}

void seekdir(DIR *d, long loc)
{
    if (d && loc >= 0)
        d->index = loc;
}

int closedir(DIR *d)
{
    if (!d) {
        errno = EBADF;
        return -1;
    }
    free(d);
    return 0;
}
