/*
 * The "peer" helper process of the delegation tests (ut_peer.c): utest in
 * mode "peer" runs commands sent by the test and answers each one, so a
 * test can make another process call cap_info, dup, cap_transfer, ... on
 * its own table at the moment the test wants.
 */
#ifndef UT_PEER_H
#define UT_PEER_H

#include "utest.h"

enum {
    P_INFO = 1, /* a: slot -> ci */
    P_DUP,      /* a: fd */
    P_DUP2,     /* a -> b */
    P_CLOSE,    /* a */
    P_WRITE,    /* a: fd, data */
    P_READ,     /* a: fd, b: count -> data */
    P_TOKEN,    /* a: slot, b: type -> tok */
    P_DROP,     /* tok */
    P_XFER,     /* a: pid, b: slot (type from cap_info), c: rights ->
                   tok (the delegate), slot (in the receiver) */
    P_REVOKE,   /* tok */
    P_KILL,     /* a: pid, b: signal */
    P_WAIT,     /* a: pid, b: options -> slot (the status) */
    P_HANDLE,   /* a: pid */
    P_SPAWN,    /* a child in mode sleep-loop, stdout on /dev/null */
    P_PIPE,     /* -> slot (read end), tok (write end) */
    P_FILL,     /* dup a until it fails (errno says why) */
    P_UNFILL,   /* close a of the fds P_FILL made */
    P_SCHED,    /* pthread_getschedparam(slot a) -> slot (priority) */
    P_COUNT,    /* live slots below CAP_FD_SLOTS */
    P_WRITEN,   /* a: fd, b: count of 'f' bytes in one write() */
    P_EXIT,     /* answers, then exits with a */
};

struct pcmd {
    int op, a, b, c;
    uint64_t tok;
    char data[16];
};

struct prep {
    long r;
    int err;
    int slot;
    uint64_t tok;
    struct cap_info ci;
    char data[16];
};

/* A helper process and our ends of its command and answer pipes. */
struct peer {
    pid_t pid;
    int cmd, rep;
};

/*
 * Spawns utest in `mode` with two pipes, "MODE CMDFD REPFD": the child
 * reads commands from CMDFD and answers on REPFD; p gets the pid and our
 * ends (close-on-exec, so a later helper does not inherit them). 0 or an
 * errno value.
 */
int ut_start_helper(struct peer *p, const char *mode,
                    const posix_spawn_file_actions_t *fa);
/* Starts a peer (ut_start_helper in mode "peer"). */
int peer_start(struct peer *p);
/* One command; returns the call's result with errno set as the peer saw
 * it (-2 and a recorded failure if the peer did not answer). o may be
 * NULL. */
long pcall(struct peer *p, struct prep *o, int op, int a, int b, int c,
           uint64_t tok, const char *data);
/* pcall in two halves, for a call that blocks in the peer: 0 or -1. */
int psend(struct peer *p, int op, int a, int b, int c, uint64_t tok,
          const char *data);
long precv(struct peer *p, struct prep *o);
/* The common short form: fills a `struct prep o` in scope. */
#define PC(p, op, a, b) pcall(p, &o, op, a, b, 0, 0, NULL)
/* Tells the peer to exit with code; closes our ends (no wait). */
void peer_end(struct peer *p, int code);
/* peer_end(p, 0), then its wait status. */
int peer_stop(struct peer *p);
/* Live slots below CAP_FD_SLOTS in the peer. */
long pcount(struct peer *p);
/* Waits (bounded, ~5 s) until pid is a zombie; 0 when it is. */
int ut_wait_zombie(pid_t pid);
/* Revokes every delegation the caller still holds a DELEGATE handle for
 * (what an earlier failed test left behind); returns how many. */
int ut_revoke_all(void);

/* kernel/include/cap.h: outstanding delegations per process. */
#define DELEG_QUOTA 16

/* Short names for the rights. */
#define R CAP_RIGHT_READ
#define W CAP_RIGHT_WRITE
#define X CAP_RIGHT_EXEC
#define G CAP_RIGHT_GRANT

static inline int fd_token(int fd, cap_token_t *t)
{
    return cap_get_token(fd, CAP_TYPE_FD, t);
}

/* The pools in use (keel_kstat) are back to k0, after settling. */
#define CHECK_KSTAT_BACK(k0)                                                   \
    do {                                                                       \
        struct keel_kstat k1_;                                                 \
        ut_kstat_settle(&(k0), &k1_);                                          \
        CHECK_EQ(k1_.procs_in_use, (k0).procs_in_use);                         \
        CHECK_EQ(k1_.threads_in_use, (k0).threads_in_use);                     \
        CHECK_EQ(k1_.files_in_use, (k0).files_in_use);                         \
        CHECK_EQ(k1_.pipes_in_use, (k0).pipes_in_use);                         \
    } while (0)

/* Every delegation test starts clean (no delegation an earlier failed
 * test left behind) and snapshots the kernel counters into `k` so it
 * can check they come back. The snapshot waits for the pools to go
 * quiet (ut_kstat_quiet): a process an earlier test reaped may still be
 * counted until its last thread is off its hart, and a baseline holding
 * it would never be reached again (procs_in_use 2, expected 4). */
#define DELEG_TEST_BEGIN(k)                                                    \
    ut_revoke_all();                                                           \
    struct keel_kstat k;                                                       \
    CHECK_OK(ut_kstat_quiet(&k))

#endif
