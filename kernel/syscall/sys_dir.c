/* Path syscalls of issue 7: stat, mkdir, rmdir, chdir, getcwd. Each path
 * is copied in once (vfs_copy_path_in) and resolved by the ramfs
 * (ramfs_dir.c), relative ones from the caller's working directory. */
#include "../include/proc.h"
#include "../include/vfs.h"

long sys_stat(uint64_t upath, uint64_t uout)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    if (err)
        return err;
    struct keel_stat st;
    err = ramfs_stat(path, &st);
    if (err)
        return err;
    return copy_to_user(uout, &st, sizeof(st)) < 0 ? -EFAULT : 0;
}

long sys_mkdir(uint64_t upath)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    return err ? err : ramfs_mkdir(path);
}

long sys_rmdir(uint64_t upath)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    return err ? err : ramfs_rmdir(path);
}

long sys_chdir(uint64_t upath)
{
    char path[KEEL_PATH_MAX];
    long err = vfs_copy_path_in(path, upath);
    return err ? err : ramfs_chdir(path);
}

/* The absolute path with its NUL: the length, -ERANGE when size bytes
 * do not hold it (nothing is written then), -EFAULT. */
long sys_getcwd(uint64_t ubuf, uint64_t size)
{
    char path[KEEL_PATH_MAX];
    int n = ramfs_getcwd(path);
    if (size < (uint64_t)n)
        return -ERANGE;
    return copy_to_user(ubuf, path, (size_t)n) < 0 ? -EFAULT : n;
}
