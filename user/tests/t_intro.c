/*
 * Introspection (issue 7 item 7, the kernel side of `ps` and `caps`):
 * threadinfo's rows tell the true state of each thread (blocked in
 * waitpid on the child wait queue, sleeping in nanosleep, running,
 * exited and not joined) and its CPU time; cap_list shows a process's
 * table only to a holder of a process cap with READ for it and tells
 * nothing about any other process. Also waitpid's ECHILD (item 10).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define MAIN_TID CAP_THREAD_SLOT_BASE /* the main thread's cap slot */

/* ---- helper modes ---- */

static volatile unsigned long spin_count;

/* intro-spin: burns CPU until killed. */
static int mode_spin(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    while (spin_count != ~0ul)
        spin_count++;
    return 4;
}

/* intro-sleep: one long nanosleep (the test kills it long before). */
static int mode_sleep(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct timespec ts = {120, 0};
    nanosleep(&ts, NULL);
    return 3;
}

/* intro-read: blocks reading fd 0 until EOF. */
static int mode_read(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char c;
    return read(0, &c, 1) == 0 ? 0 : 1;
}

/* intro-wait: spawns intro-read on a pipe whose write end only this
 * process holds, then waits for it: blocked in waitpid until killed
 * (its exit closes the pipe, so the reader sees EOF and ends too). */
static int mode_wait(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int p[2];
    if (pipe(p) < 0)
        return 10;
    /* The inherited fds carry no GRANT: keep them out of the child. */
    for (int fd = 0; fd < CAP_FD_SLOTS; fd++)
        if (fd != p[0])
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    pid_t pid;
    int rc = ut_spawn_self(&pid, &fa, NULL, "intro-read", NULL, NULL, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (rc)
        return 11;
    int st;
    waitpid(pid, &st, 0);
    return 12;
}

/* intro-probe: threadinfo without a system cap; 0 when it says EPERM. */
static int mode_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct keel_threadinfo ti;
    long r = keel_syscall6(SYS_threadinfo, 0, (long)&ti, 0, 0, 0, 0);
    return r == -EPERM ? 0 : 1;
}

/* intro-lister: answers cap_list / cap_info requests read from fd 0. */
struct lreq {
    int op; /* 'l' cap_list(pid, slot), 'i' cap_info(slot), 'q' exit */
    int pid, slot;
};
struct lrep {
    int r, err;
    struct cap_info ci;
};

static int mode_lister(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct lreq q;
    while (ut_read_full(0, &q, sizeof(q)) == (long)sizeof(q)) {
        struct lrep a = {0};
        if (q.op == 'q')
            return 0;
        errno = 0;
        a.r = q.op == 'l' ? keel_cap_list(q.pid, q.slot, &a.ci)
                          : cap_info(q.slot, &a.ci);
        a.err = errno;
        if (ut_write_full(1, &a, sizeof(a)) != (long)sizeof(a))
            return 2;
    }
    return 1;
}

/* intro-churn: three threads that keep changing state: two ping-pong
 * a byte over two pipes (blocked on pipe queues, ready, running), the
 * main thread sleeps 1 ms, spins, yields. Until killed. */
static int churn_p[2][2];

static void *churn_pong(void *arg)
{
    int side = (int)(long)arg;
    char c = 'x';
    for (;;) {
        if (side == 0 && write(churn_p[0][1], &c, 1) != 1)
            break;
        if (read(churn_p[side ^ 1][0], &c, 1) != 1)
            break;
        if (side == 1 && write(churn_p[1][1], &c, 1) != 1)
            break;
    }
    return NULL;
}

static int mode_churn(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (pipe(churn_p[0]) < 0 || pipe(churn_p[1]) < 0)
        return 10;
    pthread_t a, b;
    if (pthread_create(&a, NULL, churn_pong, (void *)0L) ||
        pthread_create(&b, NULL, churn_pong, (void *)1L))
        return 11;
    for (;;) {
        ut_sleep_ms(1);
        for (volatile int i = 0; i < 20000; i++)
            ;
        sched_yield();
    }
}

const struct ut_mode ut_intro_modes[] = {
    {"intro-churn", mode_churn},   {"intro-spin", mode_spin},
    {"intro-sleep", mode_sleep},   {"intro-read", mode_read},
    {"intro-wait", mode_wait},     {"intro-probe", mode_probe},
    {"intro-lister", mode_lister}, UT_MODE_END,
};

/* ---- helpers ---- */

/* The threadinfo row of pid's thread tid: 1 found, 0 not there, -1 with
 * errno on error. */
static int ti_find(pid_t pid, int tid, struct keel_threadinfo *out)
{
    for (int i = 0; i < 4096; i++) {
        int r = keel_threadinfo(i, out);
        if (r <= 0)
            return r;
        if (out->pid == pid && out->tid == tid)
            return 1;
    }
    return 0;
}

/* Polls (bounded, ~10 s) until the row of (pid, tid) is in `state`:
 * 1 when it was, else 0 (*out holds the last row seen). */
static int ti_wait_state(pid_t pid, int tid, int state,
                         struct keel_threadinfo *out)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (ti_find(pid, tid, out) == 1 && out->state == state)
            return 1;
        ut_sleep_ms(10);
    }
    return 0;
}

/* The pid of a child of `parent` (procinfo), polled ~10 s; -1 if none. */
static pid_t child_of(pid_t parent)
{
    for (int tries = 0; tries < 1000; tries++) {
        struct keel_procinfo pi;
        for (int i = 0; keel_procinfo(i, &pi) > 0; i++)
            if (pi.ppid == parent && pi.state == 0)
                return pi.pid;
        ut_sleep_ms(10);
    }
    return -1;
}

/* Polls ~10 s until no process has pid; 0 then, -1 if it stays. */
static int gone(pid_t pid)
{
    for (int tries = 0; tries < 1000; tries++) {
        struct keel_procinfo pi;
        int seen = 0;
        for (int i = 0; keel_procinfo(i, &pi) > 0; i++)
            seen |= pi.pid == pid;
        if (!seen)
            return 0;
        ut_sleep_ms(10);
    }
    return -1;
}

static int harts_online(void)
{
    struct keel_kstat k;
    return keel_kstat(&k) == 0 ? (int)k.harts_online : 0;
}

/* ---- threadinfo ---- */

/* The caller's own main thread: RUNNING (it is making the call) on a
 * real hart, with its process's name, pid, policy and priorities. */
TEST(intro_threadinfo_self_running)
{
    struct keel_threadinfo ti;
    CHECK_EQ(ti_find(getpid(), MAIN_TID, &ti), 1);
    CHECK_EQ(ti.state, KEEL_TSTATE_RUNNING);
    CHECK(ti.hart >= 0 && ti.hart < harts_online());
    CHECK(!strcmp(ti.name, "utest"));
    int policy, prio;
    struct sched_param sp;
    CHECK_RC(pthread_getschedparam(pthread_self(), &policy, &sp), 0);
    prio = sp.sched_priority;
    CHECK_EQ(ti.policy, policy);
    CHECK_EQ(ti.priority, prio);
    CHECK(ti.ceiling >= KEEL_PRIO_MIN && ti.ceiling <= KEEL_PRIO_MAX);
    CHECK_EQ(ti.pgid, getpgrp());
    CHECK(ti.cpu_ns > 0);
    CHECK_EQ(ti.wchan[0], '\0');
}

static void *exit_at_once(void *arg)
{
    return arg;
}

/* A thread that exited and was not joined has an EXITED row until the
 * join; a live second thread has its own slot as tid. */
TEST(intro_threadinfo_exited_not_joined)
{
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, exit_at_once, NULL), 0);
    /* pthread_t is not the cap slot: find the new row by elimination. */
    struct keel_threadinfo ti;
    int tid = -1;
    for (int tries = 0; tries < 1000 && tid < 0; tries++) {
        for (int i = 0; keel_threadinfo(i, &ti) > 0; i++)
            if (ti.pid == getpid() && ti.state == KEEL_TSTATE_EXITED)
                tid = ti.tid;
        if (tid < 0)
            ut_sleep_ms(10);
    }
    CHECKF(tid > MAIN_TID && tid < CAP_SLOTS, "no EXITED row (tid %d)", tid);
    CHECK_EQ(ti_find(getpid(), tid, &ti), 1);
    CHECK_EQ(ti.state, KEEL_TSTATE_EXITED);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(ti_find(getpid(), tid, &ti), 0);
}

/* A process blocked in waitpid shows BLOCKED on the "child" wait queue,
 * its child blocked reading a pipe shows the pipe's queue: not RUNNING. */
TEST(intro_threadinfo_waitpid_blocked)
{
    pid_t a;
    CHECK_RC(ut_spawn_self(&a, NULL, NULL, "intro-wait", NULL, NULL, NULL), 0);
    ut_step("waiter blocked");
    struct keel_threadinfo ti;
    int ok = ti_wait_state(a, MAIN_TID, KEEL_TSTATE_BLOCKED, &ti);
    pid_t b = child_of(a);
    int okb = 0;
    struct keel_threadinfo tb;
    if (b > 0)
        okb = ti_wait_state(b, MAIN_TID, KEEL_TSTATE_BLOCKED, &tb);
    kill(a, SIGKILL);
    int st = ut_wait(a);
    CHECKF(ok, "waiter in state %d wchan '%s'", ti.state, ti.wchan);
    CHECK(!strcmp(ti.wchan, "child"));
    CHECK(ti.hart >= 0 && ti.hart < harts_online());
    CHECK(b > 0);
    CHECKF(okb, "reader in state %d wchan '%s'", tb.state, tb.wchan);
    CHECK(!strcmp(tb.wchan, "pipe_readers"));
    CHECK_SIGNALED(st, SIGKILL);
    ut_step("reader ends at EOF");
    CHECK_EQ(gone(b), 0);
}

/* A sleeper is SLEEPING in nanosleep and its CPU time stands still; a
 * spinner is RUNNING or READY and its CPU time grows. */
TEST(intro_threadinfo_sleeper_and_spinner)
{
    pid_t s, p;
    CHECK_RC(ut_spawn_self(&s, NULL, NULL, "intro-sleep", NULL, NULL, NULL), 0);
    int rc = ut_spawn_self(&p, NULL, NULL, "intro-spin", NULL, NULL, NULL);
    if (rc) {
        kill(s, SIGKILL);
        ut_wait(s);
    }
    CHECK_RC(rc, 0);
    ut_step("sleeper sleeping");
    struct keel_threadinfo s1, s2, p1, p2;
    int ok1 = ti_wait_state(s, MAIN_TID, KEEL_TSTATE_SLEEPING, &s1);
    /* The spinner has run once it has CPU time. */
    int okp = 0;
    for (int tries = 0; tries < 1000 && !okp; tries++) {
        okp = ti_find(p, MAIN_TID, &p1) == 1 && p1.cpu_ns > 0;
        if (!okp)
            ut_sleep_ms(10);
    }
    ut_sleep_ms(200);
    int ok2 = ti_find(s, MAIN_TID, &s2) == 1;
    int okp2 = ti_find(p, MAIN_TID, &p2) == 1;
    kill(s, SIGKILL);
    kill(p, SIGKILL);
    int sts = ut_wait(s), stp = ut_wait(p);
    CHECKF(ok1, "sleeper in state %d", s1.state);
    CHECK(!strcmp(s1.wchan, "nanosleep"));
    CHECK(ok2 && s2.state == KEEL_TSTATE_SLEEPING);
    CHECK_EQ(s2.cpu_ns, s1.cpu_ns);
    CHECK(okp && okp2);
    CHECKF(p1.state == KEEL_TSTATE_RUNNING || p1.state == KEEL_TSTATE_READY,
           "spinner in state %d", p1.state);
    CHECKF(p2.state == KEEL_TSTATE_RUNNING || p2.state == KEEL_TSTATE_READY,
           "spinner in state %d", p2.state);
    CHECKF(p2.cpu_ns > p1.cpu_ns, "spinner cpu_ns %llu then %llu",
           (unsigned long long)p1.cpu_ns, (unsigned long long)p2.cpu_ns);
    CHECK(p2.hart >= 0 && p2.hart < harts_online());
    CHECK_SIGNALED(sts, SIGKILL);
    CHECK_SIGNALED(stp, SIGKILL);
}

/* Rows of threads that change state all the time, read from another
 * process on any hart, are each consistent: the state says RUNNING only
 * with a real hart, SLEEPING only with wchan "nanosleep", BLOCKED only
 * with the name of a wait queue, READY and RUNNING with no wchan, and
 * the policy and priority are the ones the threads run with. */
TEST(intro_threadinfo_consistent_under_churn)
{
    pid_t c;
    CHECK_RC(ut_spawn_self(&c, NULL, NULL, "intro-churn", NULL, NULL, NULL), 0);
    int nh = harts_online(), rows = 0, bad = 0, seen[5] = {0};
    struct keel_threadinfo ti, badrow = {0};
    for (int round = 0; round < 400 && !bad; round++) {
        for (int i = 0; keel_threadinfo(i, &ti) > 0; i++) {
            if (ti.pid != c)
                continue;
            rows++;
            int ok = ti.state >= KEEL_TSTATE_RUNNING &&
                     ti.state <= KEEL_TSTATE_EXITED && ti.tid >= MAIN_TID &&
                     ti.tid < CAP_SLOTS && ti.policy == KEEL_SCHED_RR &&
                     ti.priority == KEEL_PRIO_DEFAULT && ti.hart >= -1 &&
                     ti.hart < nh && ti.wchan[sizeof(ti.wchan) - 1] == '\0';
            switch (ti.state) {
            case KEEL_TSTATE_RUNNING:
                ok = ok && ti.hart >= 0 && ti.wchan[0] == '\0';
                break;
            case KEEL_TSTATE_READY:
                ok = ok && ti.wchan[0] == '\0';
                break;
            case KEEL_TSTATE_SLEEPING:
                ok = ok && !strcmp(ti.wchan, "nanosleep");
                break;
            case KEEL_TSTATE_BLOCKED:
                ok = ok && (!strcmp(ti.wchan, "pipe_readers") ||
                            !strcmp(ti.wchan, "pipe_writers"));
                break;
            }
            if (ok && ti.state >= 0 && ti.state < 5)
                seen[ti.state]++;
            if (!ok && !bad) {
                bad = 1;
                badrow = ti;
            }
        }
    }
    kill(c, SIGKILL);
    int st = ut_wait(c);
    CHECKF(!bad, "row tid %d state %d hart %d wchan '%s' policy %d prio %d",
           badrow.tid, badrow.state, badrow.hart, badrow.wchan, badrow.policy,
           badrow.priority);
    CHECK(rows >= 400);
    /* The reads did catch threads off their harts, not only running. */
    CHECK(seen[KEEL_TSTATE_BLOCKED] > 0 || seen[KEEL_TSTATE_SLEEPING] > 0);
    CHECK_SIGNALED(st, SIGKILL);
}

/* threadinfo is system information: a child without the system cap gets
 * EPERM; a bad pointer EFAULT; past the end 0. */
TEST(intro_threadinfo_authority_and_errors)
{
    pid_t c;
    CHECK_RC(ut_spawn_self(&c, NULL, NULL, "intro-probe", NULL, NULL, NULL), 0);
    CHECK_EXITED(ut_wait(c), 0);
    CHECK_ERRNO(keel_threadinfo(0, (struct keel_threadinfo *)8), EFAULT);
    struct keel_threadinfo ti;
    CHECK_EQ(keel_threadinfo(1 << 20, &ti), 0);
    CHECK_EQ(keel_threadinfo(-1, &ti), 0);
}

/* ---- cap_list ---- */

/* On the caller (pid 0 or its own pid) cap_list agrees with cap_info
 * slot by slot; a process cap shows the pid it names. */
TEST(intro_cap_list_self)
{
    pid_t c;
    CHECK_RC(ut_spawn_self(&c, NULL, NULL, "intro-sleep", NULL, NULL, NULL), 0);
    int h = proc_handle(c);
    int bad = -1, filled = 0;
    for (int s = 0; s < CAP_SLOTS && bad < 0; s++) {
        struct cap_info a, b, d;
        int r0 = keel_cap_list(0, s, &a);
        int r1 = keel_cap_list(getpid(), s, &b);
        int ri = cap_info(s, &d);
        if (r0 != r1 || r0 != (ri == 0) || r0 < 0)
            bad = s;
        else if (r0 == 1 &&
                 (a.type != d.type || a.rights != d.rights ||
                  a.generation != d.generation || a.delegated != d.delegated ||
                  a.cloexec != d.cloexec || a.object != d.object ||
                  memcmp(&a, &b, sizeof(a))))
            bad = s;
        filled += r0 == 1;
    }
    struct cap_info pc = {0}, th = {0};
    int rh = h >= 0 ? keel_cap_list(0, h, &pc) : -1;
    int rt = keel_cap_list(0, MAIN_TID, &th);
    kill(c, SIGKILL);
    ut_wait(c);
    CHECKF(bad < 0, "slot %d differs", bad);
    CHECK(filled >= 4); /* fds 0-2, the process cap, the main thread... */
    CHECK(h >= 0);
    CHECK_EQ(rh, 1);
    CHECK_EQ(pc.type, CAP_TYPE_PROCESS);
    CHECK_EQ(pc.object, c);
    CHECK_EQ(rt, 1);
    CHECK_EQ(th.type, CAP_TYPE_THREAD);
    struct cap_info ci;
    CHECK_ERRNO(keel_cap_list(0, -1, &ci), EINVAL);
    CHECK_ERRNO(keel_cap_list(0, CAP_SLOTS, &ci), EINVAL);
    CHECK_ERRNO(keel_cap_list(0, 0, (struct cap_info *)8), EFAULT);
}

static int lcall(int cmd, int rep, int op, int pid, int slot, struct lrep *a)
{
    struct lreq q = {op, pid, slot};
    if (ut_write_full(cmd, &q, sizeof(q)) != (long)sizeof(q))
        return -1;
    if (op == 'q')
        return 0;
    return ut_read_full(rep, a, sizeof(*a)) == (long)sizeof(*a) ? 0 : -1;
}

/* On a child through our process cap: every slot as the child itself
 * sees it with cap_info. */
TEST(intro_cap_list_child)
{
    pid_t l;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&l, &cmd, &rep, "intro-lister", NULL, NULL, NULL), 0);
    int bad = -1, filled = 0;
    for (int s = 0; s < CAP_SLOTS && bad < 0; s++) {
        struct cap_info mine;
        struct lrep a;
        errno = 0;
        int r = keel_cap_list(l, s, &mine);
        if (r < 0 || lcall(cmd, rep, 'i', 0, s, &a) < 0 || r != (a.r == 0) ||
            (r == 1 && memcmp(&mine, &a.ci, sizeof(mine))))
            bad = s;
        filled += r == 1;
    }
    lcall(cmd, rep, 'q', 0, 0, NULL);
    close(cmd);
    close(rep);
    int st = ut_wait(l);
    CHECKF(bad < 0, "slot %d differs", bad);
    CHECK(filled >= 3); /* its fds 0 and 1, its main thread */
    CHECK_EXITED(st, 0);
}

/* Without a process cap with READ for a pid, cap_list says EPERM,
 * whether or not the pid exists; with one, the table, until the process
 * is gone (ESRCH); the reaper's own caps for it go at the reap (EPERM). */
TEST(intro_cap_list_authority)
{
    pid_t l, z;
    int cmd, rep;
    CHECK_RC(ut_spawn_cmd(&l, &cmd, &rep, "intro-lister", NULL, NULL, NULL), 0);
    int rc = ut_spawn_self(&z, NULL, NULL, "intro-sleep", NULL, NULL, NULL);
    struct lrep parent = {0}, nosuch = {0}, weak = {0}, live = {0}, dead = {0};
    cap_token_t zt = 0, dw = 0, dr = 0;
    int ok = rc == 0;
    ok = ok && lcall(cmd, rep, 'l', getpid(), 0, &parent) == 0;
    ok = ok && lcall(cmd, rep, 'l', 0x7ffffff0, 0, &nosuch) == 0;
    /* A process cap without READ is not enough. */
    ok = ok && cap_get_token(proc_handle(z), CAP_TYPE_PROCESS, &zt) == 0;
    ok = ok && cap_transfer(l, zt, CAP_RIGHT_WRITE, &dw, NULL) == 0;
    ok = ok && lcall(cmd, rep, 'l', z, 0, &weak) == 0;
    ok = ok && cap_revoke_delegate(dw) == 0;
    ok = ok && cap_transfer(l, zt, CAP_RIGHT_READ, &dr, NULL) == 0;
    ok = ok && lcall(cmd, rep, 'l', z, 0, &live) == 0;
    struct cap_info zmine = {0};
    int zr = rc == 0 ? keel_cap_list(z, 0, &zmine) : -1;
    int zst = -1;
    if (rc == 0) {
        kill(z, SIGKILL);
        zst = ut_wait(z);
    }
    struct cap_info ci;
    errno = 0;
    int after_reap = rc == 0 ? keel_cap_list(z, 0, &ci) : 0;
    int after_errno = errno;
    ok = ok && lcall(cmd, rep, 'l', z, 0, &dead) == 0;
    if (dr)
        cap_revoke_delegate(dr);
    lcall(cmd, rep, 'q', 0, 0, NULL);
    close(cmd);
    close(rep);
    int lst = ut_wait(l);
    CHECK_RC(rc, 0);
    CHECK(ok);
    CHECK(parent.r == -1 && parent.err == EPERM);
    CHECK(nosuch.r == -1 && nosuch.err == EPERM);
    CHECK(weak.r == -1 && weak.err == EPERM);
    CHECKF(live.r >= 0 && live.r == zr, "r %d errno %d, ours %d", live.r,
           live.err, zr);
    CHECK(live.r == 0 || !memcmp(&live.ci, &zmine, sizeof(zmine)));
    CHECK(dead.r == -1 && dead.err == ESRCH);
    CHECK(after_reap == -1 && after_errno == EPERM);
    CHECK_SIGNALED(zst, SIGKILL);
    CHECK_EXITED(lst, 0);
}

/* ---- waitpid's errors (item 10) ---- */

/* No such child is ECHILD: a pid nobody has, a child already reaped,
 * and any child (-1) when there is none, with and without WNOHANG. */
TEST(intro_waitpid_no_child_echild)
{
    int st;
    CHECK_ERRNO(waitpid(0x7ffffff0, &st, 0), ECHILD);
    CHECK_ERRNO(waitpid(0x7ffffff0, &st, WNOHANG), ECHILD);
    pid_t c;
    char *av[] = {"true", NULL};
    CHECK_RC(ut_spawn(&c, "/bin/true", NULL, NULL, av), 0);
    CHECK_EXITED(ut_wait(c), 0);
    CHECK_ERRNO(waitpid(c, &st, 0), ECHILD);
    CHECK_ERRNO(waitpid(c, &st, WNOHANG), ECHILD);
    CHECK_EQ(ut_count_children(), 0);
    CHECK_ERRNO(waitpid(-1, &st, 0), ECHILD);
    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
}

const struct utest ut_intro_tests[] = {
    UT_CASE(intro_threadinfo_self_running),
    UT_CASE(intro_threadinfo_exited_not_joined),
    UT_CASE(intro_threadinfo_waitpid_blocked),
    UT_CASE(intro_threadinfo_sleeper_and_spinner),
    UT_CASE(intro_threadinfo_consistent_under_churn),
    UT_CASE(intro_threadinfo_authority_and_errors),
    UT_CASE(intro_cap_list_self),
    UT_CASE(intro_cap_list_child),
    UT_CASE(intro_cap_list_authority),
    UT_CASE(intro_waitpid_no_child_echild),
    UT_END,
};
