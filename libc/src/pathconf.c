/*
 * pathconf and fpathconf (POSIX <unistd.h>): the limits of file names
 * that hold for every file on Keel (one ramfs namespace, and the named
 * semaphores and queues in /dev/sem and /dev/mqueue under the same
 * rules):
 *  - _PC_NAME_MAX: bytes in a name component (NAME_MAX, KEEL_NAME_MAX);
 *  - _PC_PATH_MAX: bytes in a path with its terminating NUL
 *    (KEEL_PATH_MAX);
 *  - _PC_NO_TRUNC: 1, a longer name is refused with ENAMETOOLONG, never
 *    truncated.
 * The file must exist (stat/fstat: ENOENT, EBADF, ...). Any other name
 * is EINVAL: Keel associates no other pathconf variable with its files.
 * No state, no locking.
 */
#include <errno.h>
#include <keel/abi.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(NAME_MAX == KEEL_NAME_MAX, "<limits.h> NAME_MAX is Keel's");
_Static_assert(PATH_MAX == KEEL_PATH_MAX, "<limits.h> PATH_MAX is Keel's");

static long pathconf_value(int name)
{
    switch (name) {
    case _PC_NAME_MAX:
        return KEEL_NAME_MAX;
    case _PC_PATH_MAX:
        return KEEL_PATH_MAX;
    case _PC_NO_TRUNC:
        return 1;
    default:
        errno = EINVAL;
        return -1;
    }
}

long pathconf(const char *path, int name)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    return pathconf_value(name);
}

long fpathconf(int fd, int name)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    return pathconf_value(name);
}
