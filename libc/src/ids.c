/*
 * User and group ids (docs/posix.md <unistd.h>). Keel has no users or
 * groups: what a process may do is decided by the capabilities it holds
 * (docs/capabilities.md), never by an id. So there is one identity, user
 * and group 0, real and effective, for every process; no kernel check
 * reads it. setuid, seteuid, setgid and setegid accept that one id (and
 * change nothing); any other is EINVAL, POSIX's error for an id "not
 * supported by the implementation". The user database (libc/src/pwd.c)
 * holds the same identity. No state, no lock.
 */
#include <errno.h>
#include <unistd.h>

static int id_set(unsigned long id)
{
    if (id != 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int setuid(uid_t uid)
{
    return id_set(uid);
}

int seteuid(uid_t uid)
{
    return id_set(uid);
}

int setgid(gid_t gid)
{
    return id_set(gid);
}

int setegid(gid_t gid)
{
    return id_set(gid);
}

uid_t getuid(void)
{
    return 0;
}

uid_t geteuid(void)
{
    return 0;
}

gid_t getgid(void)
{
    return 0;
}

gid_t getegid(void)
{
    return 0;
}
