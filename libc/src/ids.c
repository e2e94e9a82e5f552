/*
 * User and group ids (docs/posix.md <unistd.h>). Keel has no users or
 * groups: what a process may do is decided by the capabilities it holds
 * (docs/capabilities.md), never by an id. So there is one identity, user
 * and group 0, real and effective, for every process; no kernel check
 * reads it, and there is no call to change it. No state, no lock.
 */
#include <unistd.h>

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
