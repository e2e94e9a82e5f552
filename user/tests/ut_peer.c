/*
 * The "peer" helper mode and its driver, for the delegation tests: utest
 * in mode "peer" executes one command at a time from a pipe and answers
 * on another with the call's return value, its errno and whatever the call
 * produced (a cap_info, a slot, a token). See ut_peer.h for the commands.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ut_peer.h"

static int fill_fds[CAP_FD_SLOTS];
static int nfill;

static long peer_xfer(const struct pcmd *c, struct prep *o)
{
    struct cap_info ci;
    cap_token_t t;
    if (cap_info(c->b, &ci) < 0 || cap_get_token(c->b, ci.type, &t) < 0)
        return -1;
    o->slot = -1;
    return cap_transfer(c->a, t, (unsigned)c->c, &o->tok, &o->slot);
}

static long peer_spawn(void)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = ut_spawn_self(&pid, &fa, NULL, "sleep-loop", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    errno = rc;
    return rc ? -1 : pid;
}

static void peer_exec(const struct pcmd *c, struct prep *o)
{
    int p[2], pol;
    struct sched_param sp;
    errno = 0;
    switch (c->op) {
    case P_INFO:
        o->r = cap_info(c->a, &o->ci);
        break;
    case P_DUP:
        o->r = dup(c->a);
        break;
    case P_DUP2:
        o->r = dup2(c->a, c->b);
        break;
    case P_CLOSE:
        o->r = close(c->a);
        break;
    case P_WRITE:
        o->r = write(c->a, c->data, strlen(c->data));
        break;
    case P_READ:
        o->r = read(c->a, o->data, c->b < 15 ? (size_t)c->b : 15);
        break;
    case P_TOKEN:
        o->r = cap_get_token(c->a, c->b, &o->tok);
        break;
    case P_DROP:
        o->r = cap_drop(c->tok);
        break;
    case P_XFER:
        o->r = peer_xfer(c, o);
        break;
    case P_REVOKE:
        o->r = cap_revoke_delegate(c->tok);
        break;
    case P_KILL:
        o->r = kill(c->a, c->b);
        break;
    case P_WAIT:
        o->r = waitpid(c->a, &o->slot, c->b);
        break;
    case P_HANDLE:
        o->r = proc_handle(c->a);
        break;
    case P_SPAWN:
        o->r = peer_spawn();
        break;
    case P_PIPE:
        o->r = pipe(p);
        o->slot = p[0];
        o->tok = (uint64_t)p[1];
        break;
    case P_FILL:
        for (nfill = 0; nfill < CAP_FD_SLOTS;) {
            int fd = dup(c->a);
            if (fd < 0)
                break;
            fill_fds[nfill++] = fd;
        }
        o->r = nfill;
        break;
    case P_UNFILL:
        for (o->r = 0; o->r < c->a && nfill > 0; o->r++)
            close(fill_fds[--nfill]);
        break;
    case P_SCHED:
        errno = pthread_getschedparam((pthread_t)c->a, &pol, &sp);
        o->r = errno ? -1 : 0;
        o->slot = sp.sched_priority;
        break;
    case P_WRITEN: {
        static char fill[4096];
        memset(fill, 'f', sizeof(fill));
        o->r = write(c->a, fill, c->b < 4096 ? (size_t)c->b : sizeof(fill));
        break;
    }
    case P_COUNT:
        for (int s = 0; s < CAP_FD_SLOTS; s++)
            o->r += cap_info(s, &o->ci) == 0;
        break;
    }
    o->err = errno;
}

/* peer CMDFD REPFD: see above. Exits 3 if the command pipe breaks. */
static int mode_peer(int argc, char **argv)
{
    if (argc < 4)
        return 100;
    int cmd = atoi(argv[2]), rep = atoi(argv[3]);
    /* Inherited fds have no GRANT: close-on-exec, so P_SPAWN works. */
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (ut_fd_open(fd))
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    for (;;) {
        struct pcmd c;
        struct prep o;
        if (ut_read_full(cmd, &c, sizeof(c)) != (long)sizeof(c))
            return 3;
        memset(&o, 0, sizeof(o));
        peer_exec(&c, &o);
        if (ut_write_full(rep, &o, sizeof(o)) != (long)sizeof(o))
            return 4;
        if (c.op == P_EXIT)
            return c.a;
    }
}

const struct ut_mode ut_peer_modes[] = {
    {"peer", mode_peer},
    UT_MODE_END,
};

/* ---- the parent's side ---- */

/* Starts a peer; 0 or an errno value. Our ends are close-on-exec, so a
 * later peer does not inherit them. */
int ut_start_helper(struct peer *p, const char *mode,
                    const posix_spawn_file_actions_t *fa)
{
    int c[2], r[2];
    if (pipe(c) < 0)
        return errno;
    if (pipe(r) < 0) {
        close(c[0]);
        close(c[1]);
        return ENFILE;
    }
    fcntl(c[1], F_SETFD, FD_CLOEXEC);
    fcntl(r[0], F_SETFD, FD_CLOEXEC);
    char a1[16], a2[16];
    snprintf(a1, sizeof(a1), "%d", c[0]);
    snprintf(a2, sizeof(a2), "%d", r[1]);
    int rc = ut_spawn_self(&p->pid, fa, NULL, mode, a1, a2, NULL);
    close(c[0]);
    close(r[1]);
    p->cmd = c[1];
    p->rep = r[0];
    if (rc) {
        close(c[1]);
        close(r[0]);
    }
    return rc;
}

int peer_start(struct peer *p)
{
    return ut_start_helper(p, "peer", NULL);
}

int psend(struct peer *p, int op, int a, int b, int c, uint64_t tok,
          const char *data)
{
    struct pcmd m = {op, a, b, c, tok, {0}};
    if (data)
        strncpy(m.data, data, sizeof(m.data) - 1);
    if (ut_write_full(p->cmd, &m, sizeof(m)) == (long)sizeof(m))
        return 0;
    UT_FAIL("peer %d: sending command %d failed", (int)p->pid, op);
    return -1;
}

long precv(struct peer *p, struct prep *o)
{
    struct prep tmp;
    if (!o)
        o = &tmp;
    memset(o, 0, sizeof(*o));
    if (ut_read_full(p->rep, o, sizeof(*o)) != (long)sizeof(*o)) {
        UT_FAIL("peer %d did not answer", (int)p->pid);
        errno = EIO;
        return -2;
    }
    errno = o->err;
    return o->r;
}

long pcall(struct peer *p, struct prep *o, int op, int a, int b, int c,
           uint64_t tok, const char *data)
{
    if (psend(p, op, a, b, c, tok, data) < 0) {
        errno = EIO;
        return -2;
    }
    return precv(p, o);
}

/* Tells the peer to exit with code; closes our ends (no wait). */
void peer_end(struct peer *p, int code)
{
    pcall(p, NULL, P_EXIT, code, 0, 0, 0, NULL);
    close(p->cmd);
    close(p->rep);
}

int peer_stop(struct peer *p)
{
    peer_end(p, 0);
    return ut_wait(p->pid);
}

/* Live slots below CAP_FD_SLOTS in the peer. */
long pcount(struct peer *p)
{
    return pcall(p, NULL, P_COUNT, 0, 0, 0, 0, NULL);
}

/* Waits (bounded) until pid is a zombie; 0 when it is. */
int ut_wait_zombie(pid_t pid)
{
    for (int tries = 0; tries < 500; tries++) {
        struct keel_procinfo pi;
        for (int i = 0; keel_procinfo(i, &pi) > 0; i++)
            if (pi.pid == pid && pi.state == 1)
                return 0;
        ut_sleep_ms(10);
    }
    return -1;
}

int ut_revoke_all(void)
{
    int n = 0;
    for (int s = 0; s < CAP_FD_SLOTS; s++) {
        cap_token_t t;
        if (cap_get_token(s, CAP_TYPE_DELEGATE, &t) == 0 &&
            cap_revoke_delegate(t) == 0)
            n++;
    }
    return n;
}
