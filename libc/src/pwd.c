/*
 * The user database (<pwd.h>). Keel has no users (libc/src/ids.c): every
 * process has the one identity, user and group 0. The database therefore
 * holds one entry, that identity: name "root", uid 0, gid 0, home "/",
 * shell "/bin/sh", no password. getpwnam and getpwuid find it by name or
 * id (NULL, errno unchanged, for any other: POSIX's "not found");
 * getpwent returns it once, then NULL, until setpwent rewinds; endpwent
 * rewinds too (there is nothing to close).
 *
 * Locking: the entry is constant; the getpwent position (pw_next) is a
 * plain static, so getpwent, setpwent and endpwent are not thread-safe,
 * which POSIX allows of them.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>

static char pw_root_name[] = "root";
static char pw_empty[] = "";
static char pw_root_dir[] = "/";
static char pw_root_shell[] = "/bin/sh";

static struct passwd pw_root = {
    .pw_name = pw_root_name,
    .pw_passwd = pw_empty,
    .pw_uid = 0,
    .pw_gid = 0,
    .pw_comment = pw_empty,
    .pw_gecos = pw_empty,
    .pw_dir = pw_root_dir,
    .pw_shell = pw_root_shell,
};

static int pw_next; /* getpwent's position: 0 before the entry, 1 after */

struct passwd *getpwnam(const char *name)
{
    return name && !strcmp(name, pw_root.pw_name) ? &pw_root : NULL;
}

struct passwd *getpwuid(uid_t uid)
{
    return uid == pw_root.pw_uid ? &pw_root : NULL;
}

struct passwd *getpwent(void)
{
    if (pw_next)
        return NULL;
    pw_next = 1;
    return &pw_root;
}

void setpwent(void)
{
    pw_next = 0;
}

void endpwent(void)
{
    pw_next = 0;
}
