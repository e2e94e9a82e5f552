/*
 * SMP stress of revocation against blocked operations and exit storms
 * (issue 6, "Done when"), bounded in rounds and in time.
 *
 * Two driver threads of the test run rounds at once. In a round, a
 * sender peer A gets process caps for three receiver peers, makes two
 * pipes (X kept empty, Y filled to the brim) and delegates to each
 * receiver X's read end or Y's write end; some receivers block on a dup
 * or dup2 copy of their slot instead. Every receiver then blocks in
 * read() or write(), and the driver fires, without waiting in between:
 * A revokes the delegations of some receivers, the driver SIGKILLs
 * others, A writes "secret!" into X and reads a little from Y, then A
 * exits (or is SIGKILLed) with the rest still delegated, so its exit
 * revokes them. Outcomes:
 *  - a receiver revoked by A: its call fails with EBADF, never data;
 *  - a receiver left for A's exit: EBADF, or the data it was entitled to
 *    while its slot was live ("secret!" read, its 5 bytes written);
 *  - a killed receiver dies by SIGKILL.
 * At the end every pool (processes, threads, files, pipes, delegations)
 * is back where it started.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "ut_peer.h"

#define STORM_DRIVERS 2
#define STORM_ROUNDS 40 /* per driver */
#define STORM_MIN_ROUNDS 3
#define STORM_BUDGET_NS (40ull * 1000000000ull)
#define STORM_RECV 3
#define STORM_PIPE_CAP 4096

enum { F_REVOKE, F_KILL, F_EXIT, F_N };

struct storm {
    unsigned seed;
    uint64_t deadline;
    int rounds;
    int bad;
    char what[160];
    unsigned outcome[F_N][2]; /* [fate][0 EBADF, 1 got its data] */
};

static unsigned storm_rnd(struct storm *st)
{
    st->seed = st->seed * 1103515245u + 12345u;
    return st->seed >> 16;
}

#define SBAD(st, ...)                                                          \
    do {                                                                       \
        if (!(st)->bad++)                                                      \
            snprintf((st)->what, sizeof((st)->what), __VA_ARGS__);             \
    } while (0)

/* Closes our ends of a peer that was killed and reaps it. */
static int storm_reap_killed(struct peer *p)
{
    close(p->cmd);
    close(p->rep);
    return ut_wait(p->pid);
}

static void storm_round(struct storm *st)
{
    struct peer a, b[STORM_RECV];
    struct prep o;
    cap_token_t dproc[STORM_RECV], dfd[STORM_RECV];
    int fate[STORM_RECV], writer[STORM_RECV], slot[STORM_RECV];
    int nb = 0;
    if (peer_start(&a)) {
        SBAD(st, "sender did not start: %s", ut_errname(errno));
        return;
    }
    while (nb < STORM_RECV && peer_start(&b[nb]) == 0)
        nb++;
    int ndp = 0;
    for (; nb == STORM_RECV && ndp < nb; ndp++) {
        cap_token_t tb;
        if (cap_get_token(proc_handle(b[ndp].pid), CAP_TYPE_PROCESS, &tb) ||
            cap_transfer(a.pid, tb, R | W, &dproc[ndp], NULL))
            break;
    }
    int x0 = -1, x1 = -1, y0 = -1, y1 = -1;
    if (ndp == STORM_RECV && PC(&a, P_PIPE, 0, 0) == 0) {
        x0 = o.slot, x1 = (int)o.tok;
        if (PC(&a, P_PIPE, 0, 0) == 0)
            y0 = o.slot, y1 = (int)o.tok;
    }
    if (y1 < 0 || PC(&a, P_WRITEN, y1, STORM_PIPE_CAP) != STORM_PIPE_CAP) {
        SBAD(st, "round set-up failed (%d receivers, %d proc caps): %s", nb,
             ndp, ut_errname(errno));
        kill(a.pid, SIGKILL);
        storm_reap_killed(&a);
        for (int i = 0; i < nb; i++) {
            kill(b[i].pid, SIGKILL);
            storm_reap_killed(&b[i]);
        }
        for (int i = 0; i < ndp; i++)
            cap_revoke_delegate(dproc[i]);
        return;
    }
    /* Delegate and block. */
    for (int i = 0; i < nb; i++) {
        writer[i] = storm_rnd(st) % 2;
        fate[i] = (int)(storm_rnd(st) % F_N);
        slot[i] = -1;
        if (pcall(&a, &o, P_XFER, b[i].pid, writer[i] ? y1 : x0,
                  writer[i] ? W : R, 0, NULL) < 0) {
            SBAD(st, "transfer to a receiver: %s", ut_errname(errno));
            fate[i] = F_KILL; /* nothing to block on: just kill it */
            continue;
        }
        dfd[i] = o.tok;
        slot[i] = o.slot;
        unsigned how = storm_rnd(st) % 3; /* the slot, a dup or a dup2 */
        if (how == 1)
            slot[i] = (int)PC(&b[i], P_DUP, o.slot, 0);
        else if (how == 2)
            slot[i] = (int)PC(&b[i], P_DUP2, o.slot, 70);
        if (slot[i] < 0) {
            SBAD(st, "dup in a receiver: %s", ut_errname(errno));
            fate[i] = F_KILL;
            continue;
        }
        if (writer[i])
            psend(&b[i], P_WRITE, slot[i], 0, 0, 0, "leak!");
        else
            psend(&b[i], P_READ, slot[i], 15, 0, 0, NULL);
    }
    /* The storm: revokes, kills, data, the sender's exit. */
    int nrev = 0;
    for (int i = 0; i < nb; i++) {
        if (fate[i] == F_REVOKE) {
            psend(&a, P_REVOKE, 0, 0, 0, dfd[i], NULL);
            nrev++;
        } else if (fate[i] == F_KILL) {
            kill(b[i].pid, SIGKILL);
        }
    }
    psend(&a, P_WRITE, x1, 0, 0, 0, "secret!");
    psend(&a, P_READ, y0, 15, 0, 0, NULL);
    bool kill_a = storm_rnd(st) % 4 == 0;
    if (kill_a)
        kill(a.pid, SIGKILL);
    else
        psend(&a, P_EXIT, 0, 0, 0, 0, NULL);
    /* Outcomes. */
    if (!kill_a) {
        for (int i = 0; i < nrev; i++)
            if (precv(&a, &o) != 0)
                SBAD(st, "revoke by the sender: %s", ut_errname(errno));
        precv(&a, NULL); /* the write */
        precv(&a, NULL); /* the read */
        precv(&a, NULL); /* the exit */
        close(a.cmd);
        close(a.rep);
        int sa = ut_wait(a.pid);
        if (!WIFEXITED(sa) || WEXITSTATUS(sa) != 0)
            SBAD(st, "sender %s", ut_status_str(sa));
    } else {
        int sa = storm_reap_killed(&a);
        if (!WIFSIGNALED(sa) || WTERMSIG(sa) != SIGKILL)
            SBAD(st, "killed sender %s", ut_status_str(sa));
    }
    for (int i = 0; i < nb; i++) {
        if (fate[i] == F_KILL) {
            int s = storm_reap_killed(&b[i]);
            if (!WIFSIGNALED(s) || WTERMSIG(s) != SIGKILL)
                SBAD(st, "killed receiver %s", ut_status_str(s));
            continue;
        }
        errno = 0;
        long r = precv(&b[i], &o);
        int e = errno;
        bool entitled =
            fate[i] == F_EXIT &&
            (writer[i] ? r == 5 : r == 7 && !memcmp(o.data, "secret!", 7));
        if (r == -1 && e == EBADF)
            st->outcome[fate[i]][0]++;
        else if (entitled)
            st->outcome[fate[i]][1]++;
        else
            SBAD(st, "%s blocked on a %s slot: %ld (%s)",
                 writer[i] ? "write" : "read",
                 fate[i] == F_REVOKE ? "revoked" : "exit-revoked", r,
                 ut_errname(e));
        int s = peer_stop(&b[i]);
        if (!WIFEXITED(s) || WEXITSTATUS(s) != 0)
            SBAD(st, "receiver %s", ut_status_str(s));
    }
    for (int i = 0; i < ndp; i++)
        if (cap_revoke_delegate(dproc[i]) != 0)
            SBAD(st, "revoking a process cap: %s", ut_errname(errno));
}

static void *storm_driver(void *arg)
{
    struct storm *st = arg;
    for (st->rounds = 0; st->rounds < STORM_ROUNDS && !st->bad;) {
        storm_round(st);
        st->rounds++;
        if (st->rounds >= STORM_MIN_ROUNDS && ut_now_ns() > st->deadline)
            break;
    }
    return NULL;
}

TEST(revoke_storm_smp)
{
    DELEG_TEST_BEGIN(k0);
    struct storm st[STORM_DRIVERS];
    pthread_t th[STORM_DRIVERS];
    uint64_t t0 = ut_now_ns();
    uint64_t deadline = t0 + STORM_BUDGET_NS;
    int started = 0;
    for (int i = 0; i < STORM_DRIVERS; i++) {
        memset(&st[i], 0, sizeof(st[i]));
        st[i].seed = 0x5eed0000u + (unsigned)i * 7919u;
        st[i].deadline = deadline;
        if (pthread_create(&th[i], NULL, storm_driver, &st[i]) == 0)
            started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(started, STORM_DRIVERS);
    unsigned tot[F_N][2] = {{0}};
    for (int i = 0; i < STORM_DRIVERS; i++) {
        CHECKF(!st[i].bad, "driver %d, round %d: %s (%d bad)", i, st[i].rounds,
               st[i].what, st[i].bad);
        CHECK(st[i].rounds >= STORM_MIN_ROUNDS);
        for (int f = 0; f < F_N; f++)
            for (int k = 0; k < 2; k++)
                tot[f][k] += st[i].outcome[f][k];
    }
    printf("# revoke storm: %d+%d rounds in %llu ms; blocked calls ended by "
           "a revoke: %u (EBADF), by the sender's exit: %u EBADF, %u with "
           "the data they were entitled to before it\n",
           st[0].rounds, st[1].rounds,
           (unsigned long long)((ut_now_ns() - t0) / 1000000), tot[F_REVOKE][0],
           tot[F_EXIT][0], tot[F_EXIT][1]);
    CHECK_EQ(ut_revoke_all(), 0);
    CHECK_KSTAT_BACK(k0);
    struct keel_kstat k1;
    CHECK_OK(keel_kstat(&k1));
    CHECK_EQ(k1.delegations_in_use, k0.delegations_in_use);
}

const struct utest ut_revoke_storm_tests[] = {
    UT_CASE(revoke_storm_smp),
    UT_END,
};
