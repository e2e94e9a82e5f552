/*
 * posix_spawn on SYS_spawn: the program path, argv, file actions and
 * scheduling attributes, the signal mask and the environment go to the
 * kernel in one struct keel_spawn_req. posix_spawnp searches the
 * caller's PATH. Signals (POSIX): the child's mask is the calling
 * thread's, or the attribute's with POSIX_SPAWN_SETSIGMASK; a signal the
 * caller ignores stays ignored in the child unless POSIX_SPAWN_SETSIGDEF
 * names it; every other action starts default (handlers are the
 * caller's program's, not the child's).
 *
 * newlib's <spawn.h> leaves the attribute and file-action types opaque
 * pointers; the structures behind them are defined here and allocated by
 * the _init functions.
 */
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/cap.h>
#include <keel/sched.h>

#include "internal.h"

/*
 * More actions than the kernel takes (KEEL_SPAWN_ACTIONS_MAX) can be
 * recorded, so that the kernel's own limit check is what callers see.
 */
#define FA_CAP 64

struct __posix_spawn_file_actions {
    uint32_t n;
    struct keel_spawn_action act[FA_CAP]; /* open paths are strdup'ed */
};

struct __posix_spawnattr {
    short flags;         /* POSIX_SPAWN_* */
    sigset_t sigmask;    /* used with POSIX_SPAWN_SETSIGMASK */
    sigset_t sigdefault; /* used with POSIX_SPAWN_SETSIGDEF */
    int policy;          /* used with POSIX_SPAWN_SETSCHEDULER */
    int priority;        /* used with either sched flag */
    int ceiling;         /* keel_spawnattr_setceiling; 0: the caller's */
    pid_t pgroup;        /* used with POSIX_SPAWN_SETPGROUP: 0 a new group */
};

#define SPAWN_KNOWN_FLAGS                                                      \
    (POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP |                            \
     POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER |                    \
     POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)

/* ---- file actions ---- */

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
    if (!fa)
        return EINVAL;
    *fa = calloc(1, sizeof(**fa));
    return *fa ? 0 : ENOMEM;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
    if (!fa || !*fa)
        return EINVAL;
    for (uint32_t i = 0; i < (*fa)->n; i++) {
        if ((*fa)->act[i].kind == KEEL_FA_OPEN)
            free((void *)(uintptr_t)(*fa)->act[i].path);
    }
    free(*fa);
    *fa = NULL;
    return 0;
}

/* The next free action slot, or NULL (with *err set). */
static struct keel_spawn_action *fa_next(posix_spawn_file_actions_t *fa,
                                         int *err)
{
    if (!fa || !*fa) {
        *err = EINVAL;
        return NULL;
    }
    if ((*fa)->n >= FA_CAP) {
        *err = ENOMEM;
        return NULL;
    }
    struct keel_spawn_action *a = &(*fa)->act[(*fa)->n];
    memset(a, 0, sizeof(*a));
    return a;
}

/* mode is ignored: Keel's file systems have no permissions. */
int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
                                     const char *path, int oflag, mode_t mode)
{
    (void)mode;
    int err = 0;
    if (fd < 0)
        return EBADF;
    if (!path)
        return EINVAL;
    struct keel_spawn_action *a = fa_next(fa, &err);
    if (!a)
        return err;
    char *copy = strdup(path); /* POSIX: the caller may reuse path */
    if (!copy)
        return ENOMEM;
    a->kind = KEEL_FA_OPEN;
    a->fd = fd;
    a->src_fd = -1;
    a->oflags = oflag; /* newlib's O_* equal KEEL_O_* */
    a->path = (uint64_t)(uintptr_t)copy;
    (*fa)->n++;
    return 0;
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
{
    int err = 0;
    if (fd < 0)
        return EBADF;
    struct keel_spawn_action *a = fa_next(fa, &err);
    if (!a)
        return err;
    a->kind = KEEL_FA_CLOSE;
    a->fd = fd;
    a->src_fd = -1;
    (*fa)->n++;
    return 0;
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd,
                                     int newfd)
{
    int err = 0;
    if (fd < 0 || newfd < 0)
        return EBADF;
    struct keel_spawn_action *a = fa_next(fa, &err);
    if (!a)
        return err;
    a->kind = KEEL_FA_DUP2;
    a->fd = newfd;
    a->src_fd = fd;
    (*fa)->n++;
    return 0;
}

/* Keel's own action (keel/cap.h): hand one of our caps to the child. The
 * kernel checks the source (type, GRANT, rights) at spawn time. */
int keel_spawn_file_actions_addcap(posix_spawn_file_actions_t *fa, int slot,
                                   int src_slot, unsigned rights)
{
    int err = 0;
    if (slot < 0 || src_slot < 0)
        return EBADF;
    struct keel_spawn_action *a = fa_next(fa, &err);
    if (!a)
        return err;
    a->kind = KEEL_FA_CAP;
    a->fd = slot;
    a->src_fd = src_slot;
    a->oflags = (int32_t)rights;
    (*fa)->n++;
    return 0;
}

/* ---- attributes ---- */

int posix_spawnattr_init(posix_spawnattr_t *attr)
{
    if (!attr)
        return EINVAL;
    *attr = calloc(1, sizeof(**attr));
    if (!*attr)
        return ENOMEM;
    (*attr)->policy = SCHED_RR; /* what the kernel gives new processes */
    (*attr)->priority = KEEL_PRIO_DEFAULT;
    return 0;
}

int posix_spawnattr_destroy(posix_spawnattr_t *attr)
{
    if (!attr || !*attr)
        return EINVAL;
    free(*attr);
    *attr = NULL;
    return 0;
}

/* POSIX_SPAWN_SETPGROUP and the scheduling flags take effect; the flags
 * for ids and signal masks are accepted and have no effect (Keel has no
 * user ids and no signal handlers). */
int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags)
{
    if (!attr || !*attr || (flags & ~SPAWN_KNOWN_FLAGS))
        return EINVAL;
    (*attr)->flags = flags;
    return 0;
}

int posix_spawnattr_getflags(const posix_spawnattr_t *attr, short *flags)
{
    if (!attr || !*attr || !flags)
        return EINVAL;
    *flags = (*attr)->flags;
    return 0;
}

int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup)
{
    if (!attr || !*attr || pgroup < 0)
        return EINVAL;
    (*attr)->pgroup = pgroup;
    return 0;
}

int posix_spawnattr_getpgroup(const posix_spawnattr_t *attr, pid_t *pgroup)
{
    if (!attr || !*attr || !pgroup)
        return EINVAL;
    *pgroup = (*attr)->pgroup;
    return 0;
}

int posix_spawnattr_setschedparam(posix_spawnattr_t *attr,
                                  const struct sched_param *param)
{
    if (!attr || !*attr || !param)
        return EINVAL;
    (*attr)->priority = param->sched_priority;
    return 0;
}

int posix_spawnattr_getschedparam(const posix_spawnattr_t *attr,
                                  struct sched_param *param)
{
    if (!attr || !*attr || !param)
        return EINVAL;
    memset(param, 0, sizeof(*param));
    param->sched_priority = (*attr)->priority;
    return 0;
}

int posix_spawnattr_setschedpolicy(posix_spawnattr_t *attr, int policy)
{
    if (!attr || !*attr)
        return EINVAL;
    int err = keel_policy_check(policy);
    if (err)
        return err;
    (*attr)->policy = policy;
    return 0;
}

int posix_spawnattr_getschedpolicy(const posix_spawnattr_t *attr, int *policy)
{
    if (!attr || !*attr || !policy)
        return EINVAL;
    *policy = (*attr)->policy;
    return 0;
}

int keel_spawnattr_setceiling(posix_spawnattr_t *attr, int ceiling)
{
    if (!attr || !*attr || ceiling < KEEL_PRIO_MIN || ceiling > KEEL_PRIO_MAX)
        return EINVAL;
    (*attr)->ceiling = ceiling;
    return 0;
}

int posix_spawnattr_setsigmask(posix_spawnattr_t *restrict attr,
                               const sigset_t *restrict mask)
{
    if (!attr || !*attr || !mask)
        return EINVAL;
    (*attr)->sigmask = *mask;
    return 0;
}

int posix_spawnattr_getsigmask(const posix_spawnattr_t *restrict attr,
                               sigset_t *restrict mask)
{
    if (!attr || !*attr || !mask)
        return EINVAL;
    *mask = (*attr)->sigmask;
    return 0;
}

int posix_spawnattr_setsigdefault(posix_spawnattr_t *restrict attr,
                                  const sigset_t *restrict set)
{
    if (!attr || !*attr || !set)
        return EINVAL;
    (*attr)->sigdefault = *set;
    return 0;
}

int posix_spawnattr_getsigdefault(const posix_spawnattr_t *restrict attr,
                                  sigset_t *restrict set)
{
    if (!attr || !*attr || !set)
        return EINVAL;
    *set = (*attr)->sigdefault;
    return 0;
}

/* ---- spawning ---- */

/* The policy the child gets with SETSCHEDPARAM alone: the caller's. */
static int caller_policy(void)
{
    int policy, prio;
    if (keel_sc3(SYS_thread_getschedparam, 0, (long)&policy, (long)&prio) < 0)
        return SCHED_FIFO;
    return policy;
}

/* envp NULL: the child's environment is empty. */
static int do_spawn(pid_t *pid, const char *path,
                    const posix_spawn_file_actions_t *fa,
                    const posix_spawnattr_t *attr, char *const argv[],
                    char *const envp[])
{
    char *const default_argv[2] = {(char *)path, NULL};
    struct keel_spawn_req req;
    memset(&req, 0, sizeof(req));
    req.path = (uint64_t)(uintptr_t)path;
    req.argv = (uint64_t)(uintptr_t)(argv ? argv : default_argv);
    req.envp = (uint64_t)(uintptr_t)envp;
    if (fa && *fa) {
        req.actions = (uint64_t)(uintptr_t)(*fa)->act;
        req.nactions = (*fa)->n;
    }
    /* The mask: inherited from the calling thread unless the attribute
     * sets one (POSIX). */
    sigset_t mask;
    if (attr && *attr && ((*attr)->flags & POSIX_SPAWN_SETSIGMASK))
        mask = (*attr)->sigmask;
    else if (sigprocmask(SIG_BLOCK, NULL, &mask) < 0)
        sigemptyset(&mask);
    req.flags |= KEEL_SPAWN_SETSIGMASK;
    req.sigmask = (uint64_t)mask;
    if (attr && *attr && ((*attr)->flags & POSIX_SPAWN_SETSIGDEF))
        req.sigdefault = (uint64_t)(*attr)->sigdefault;
    if (attr && *attr) {
        short flags = (*attr)->flags;
        if (flags & POSIX_SPAWN_SETSCHEDULER) {
            req.flags |= KEEL_SPAWN_SETSCHED;
            req.policy = (*attr)->policy;
            req.priority = (*attr)->priority;
        } else if (flags & POSIX_SPAWN_SETSCHEDPARAM) {
            req.flags |= KEEL_SPAWN_SETSCHED;
            req.policy = caller_policy();
            req.priority = (*attr)->priority;
        }
        if (flags & POSIX_SPAWN_SETPGROUP) {
            req.flags |= KEEL_SPAWN_SETPGROUP;
            req.pgroup = (int32_t)(*attr)->pgroup;
        }
        if ((*attr)->ceiling) {
            req.flags |= KEEL_SPAWN_SETCEILING;
            req.ceiling = (*attr)->ceiling;
        }
    }
    long r = keel_sc1(SYS_spawn, (long)&req);
    if (r < 0) {
        errno = (int)-r;
        return (int)-r;
    }
    if (pid)
        *pid = (pid_t)r;
    return 0;
}

int posix_spawn(pid_t *pid, const char *path,
                const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[],
                char *const envp[])
{
    return do_spawn(pid, path, fa, attr, argv, envp);
}

/* An error after which the search goes on to the next PATH entry: the
 * program is not there (or that entry cannot hold it). */
static int search_goes_on(int err)
{
    return err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG ||
           err == EACCES;
}

/*
 * A file with a '/' is spawned as it is. Otherwise each entry of the
 * caller's PATH ("/bin" when PATH is unset; an empty entry is the
 * working directory) is tried in order, as execvp does: the first that
 * spawns wins; ENOENT, ENOTDIR, ENAMETOOLONG and EACCES go on to the next
 * entry, any other error ends the search with it. After the whole PATH:
 * EACCES if some entry gave it, else ENOENT.
 */
int posix_spawnp(pid_t *pid, const char *file,
                 const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[],
                 char *const envp[])
{
    if (!file || strchr(file, '/'))
        return do_spawn(pid, file, fa, attr, argv, envp);
    size_t len = strlen(file);
    if (len == 0) {
        errno = ENOENT;
        return ENOENT;
    }
    const char *search = getenv("PATH");
    if (!search)
        search = "/bin";
    int seen_eacces = 0;
    char path[KEEL_PATH_MAX];
    for (const char *p = search;; p++) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        int err;
        if (dlen + 1 + len >= sizeof(path)) {
            err = ENAMETOOLONG;
        } else {
            size_t o = 0;
            if (dlen) { /* an empty entry: the working directory */
                memcpy(path, p, dlen);
                o = dlen;
                path[o++] = '/';
            }
            memcpy(path + o, file, len + 1);
            err = do_spawn(pid, path, fa, attr, argv, envp);
            if (err == 0)
                return 0;
        }
        if (!search_goes_on(err))
            return err; /* errno set by do_spawn */
        seen_eacces |= err == EACCES;
        if (!end)
            break;
        p = end;
    }
    int err = seen_eacces ? EACCES : ENOENT;
    errno = err;
    return err;
}
