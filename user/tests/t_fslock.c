/*
 * Issue 8 items 1 and 2, the file system: a file's data is guarded by its
 * inode's sleeping lock and moves one page per preemptible step, while
 * the global ramfs_lock is held only for short steps. These tests check
 * that this stays correct on several harts (concurrent writers, readers
 * racing truncation and unlink, directory races, a writer killed in the
 * middle of a write) and that fstat and stat of one file never wait for
 * a long write to another: the writer runs below us, and we observe it
 * inside its write(2) (the file's size strictly between 0 and 2 MiB
 * before and after our calls) while our fstat and stat complete. Nothing
 * here compares against a time. Every test removes what it made.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

#define D "/ut_fsl"
#define MIB (1l << 20)
#define BIG (2 * MIB)     /* the most a file holds: one long write */
#define SMALL (96 * 1024) /* several pages, for the race tests */
#define LOW_PRIO 5

static void fill(uint8_t *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = ut_pattern(i, seed);
}

/* 0 when buf[0..n) is pattern `seed` (found from buf[0]: the pattern's
 * byte 0 is the seed itself) and the seed is one of 1..nseeds; else the
 * first bad index + 1. */
static long check_one_pattern(const uint8_t *buf, size_t n, unsigned nseeds)
{
    unsigned seed = buf[0];
    if (seed < 1 || seed > nseeds)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (buf[i] != ut_pattern(i, seed))
            return (long)i + 1;
    return 0;
}

/* lseek + read/write: every thread here has its own fd. */
static long read_at(int fd, void *buf, size_t n, long off)
{
    if (lseek(fd, off, SEEK_SET) != off)
        return -1;
    return read(fd, buf, n);
}

static long write_at(int fd, const void *buf, size_t n, long off)
{
    if (lseek(fd, off, SEEK_SET) != off)
        return -1;
    return write(fd, buf, n);
}

static int lower_self(void)
{
    struct sched_param sp = {.sched_priority = LOW_PRIO};
    return pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
}

/* ---- two writers, one file; a reader racing truncation ---- */

/* The thread below us: rewrites (or rereads) the whole file through its
 * own fd until told to stop, so it is inside a write (or read) most of
 * the time, and our calls, each after a sleep, preempt it there on one
 * hart (at a preemption point) or overlap it on several. */
struct lowloop {
    const char *path;
    const uint8_t *buf; /* what a writer writes */
    uint8_t *rbuf;      /* where it reads */
    int writes;         /* 1: write pattern 1, read back; 0: read */
    volatile int stop;
    int err;     /* 0, or the errno (-1: a short transfer) */
    long bad;    /* reads: the first bad index + 1, -1: a short read */
    long rounds; /* transfers done */
};

static void *low_loop(void *p)
{
    struct lowloop *l = p;
    if (lower_self())
        l->err = -2;
    while (!l->err && !l->bad && !__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
        int fd = open(l->path, l->writes ? O_RDWR : O_RDONLY);
        if (fd < 0) {
            if (errno != ENOENT || l->writes)
                l->err = errno; /* unlinked between two rounds: fine */
            continue;
        }
        for (int i = 0; i < 4 && !l->err && !l->bad; i++, l->rounds++) {
            if (l->writes && write_at(fd, l->buf, SMALL, 0) != SMALL) {
                l->err = errno ? errno : -1;
                break;
            }
            /* A writer reads back what it wrote: its own pattern or, if
             * we wrote after it, ours; never a mix of both. */
            long r = read_at(fd, l->rbuf, SMALL, 0);
            if (r == SMALL)
                l->bad = check_one_pattern(l->rbuf, SMALL, 2);
            else if (r != 0)
                l->bad = -1; /* 0: between a truncation and its write */
        }
        close(fd);
    }
    return NULL;
}

/* Each write of a file is atomic with respect to other writes and to
 * reads of it (one lock for the whole operation, not per page): our
 * reads of the whole file, each after a sleep during which the thread
 * below rewrote it, see one writer's pattern, never a mix; so does the
 * final read. */
static void two_writers_body(uint8_t *bufs[4])
{
    const char *path = D "/w";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK_OK(fd);
    fill(bufs[0], SMALL, 1);
    fill(bufs[1], SMALL, 2);
    long w0 = write_at(fd, bufs[1], SMALL, 0);
    struct lowloop l = {
        .path = path, .buf = bufs[0], .rbuf = bufs[3], .writes = 1};
    pthread_t th;
    int rc = pthread_create(&th, NULL, low_loop, &l);
    long bad = 0, r = 0, w = SMALL;
    int round = 0;
    for (; rc == 0 && round < 60 && !bad && w == SMALL && !l.err; round++) {
        ut_sleep_ms(1);
        r = read_at(fd, bufs[2], SMALL, 0);
        bad = r != SMALL ? -1 : check_one_pattern(bufs[2], SMALL, 2);
        w = write_at(fd, bufs[1], SMALL, 0);
    }
    __atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
    if (rc == 0)
        pthread_join(th, NULL);
    long final = read_at(fd, bufs[2], SMALL, 0);
    long fbad = final == SMALL ? check_one_pattern(bufs[2], SMALL, 2) : -1;
    close(fd);
    unlink(path);
    CHECK_RC(rc, 0);
    CHECK_EQ(w0, SMALL);
    CHECK_EQ(w, SMALL);
    CHECK_EQ(l.err, 0);
    CHECKF(!bad, "round %d: read %ld bytes, a mixed file (bad index %ld)",
           round, r, bad - 1);
    CHECKF(!l.bad, "the writer below read back a mixed file (bad index %ld)",
           l.bad - 1);
    CHECKF(!fbad, "final content mixed (bad index %ld)", fbad - 1);
    CHECK(l.rounds > 0);
}

/* A truncation is atomic with respect to reads (it takes the same lock
 * and frees the pages only after detaching them), and an unlinked file
 * stays whole for its open readers: every read of the thread below sees
 * 0 bytes or one whole pattern, never freed (poisoned) or half-truncated
 * data, while we rewrite the file with O_TRUNC (pattern 1 or 2 by
 * round), every third round after unlinking it. */
static void read_vs_truncate_body(uint8_t *bufs[4])
{
    const char *path = D "/t";
    fill(bufs[0], SMALL, 1);
    fill(bufs[1], SMALL, 2);
    int fd0 = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK_OK(fd0);
    long w = write(fd0, bufs[0], SMALL);
    close(fd0);
    CHECK_EQ(w, SMALL);
    struct lowloop l = {.path = path, .rbuf = bufs[2], .writes = 0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, low_loop, &l), 0);
    int err = 0, round = 0;
    for (; round < 60 && !err && !l.bad && !l.err; round++) {
        ut_sleep_ms(1);
        if (round % 3 == 2 && unlink(path) < 0) {
            err = errno;
            break;
        }
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0) {
            err = errno;
            break;
        }
        if (write(fd, bufs[round % 2], SMALL) != SMALL)
            err = errno ? errno : -1;
        close(fd);
    }
    __atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    unlink(path);
    CHECK_EQ(err, 0);
    CHECK_EQ(l.err, 0);
    CHECKF(!l.bad, "round %d: a read gave bad index %ld (after %ld reads)",
           round, l.bad - 1, l.rounds);
    CHECK(l.rounds > 0);
}

static uint8_t *bufs_alloc(uint8_t *bufs[4])
{
    uint8_t *mem = malloc(4 * SMALL);
    for (int i = 0; i < 4; i++)
        bufs[i] = mem ? mem + i * SMALL : NULL;
    return mem;
}

TEST(fslock_two_writers_one_file)
{
    uint8_t *bufs[4];
    uint8_t *mem = bufs_alloc(bufs);
    CHECK(mem);
    mkdir(D, 0755);
    two_writers_body(bufs);
    free(mem);
    rmdir(D);
}

TEST(fslock_read_races_truncate_unlink)
{
    uint8_t *bufs[4];
    uint8_t *mem = bufs_alloc(bufs);
    CHECK(mem);
    mkdir(D, 0755);
    read_vs_truncate_body(bufs);
    free(mem);
    rmdir(D);
}

/* ---- mkdir/rmdir/create/unlink races in one directory ---- */

struct dirracer {
    int which, rounds;
    int bad_errno; /* an errno the operation may not give, or 0 */
    const char *what;
};

static void dir_bad(struct dirracer *d, const char *what)
{
    if (!d->bad_errno) {
        d->bad_errno = errno ? errno : -1;
        d->what = what;
    }
}

static void *dir_race(void *p)
{
    struct dirracer *d = p;
    for (int r = 0; r < d->rounds && !d->bad_errno; r++) {
        if (d->which == 0) { /* the subdirectory comes and goes */
            if (mkdir(D "/s", 0755) < 0 && errno != EEXIST)
                dir_bad(d, "mkdir s");
            if (rmdir(D "/s") < 0 && errno != ENOTEMPTY && errno != ENOENT)
                dir_bad(d, "rmdir s");
        } else if (d->which == 1) { /* a file and a directory inside it */
            int fd = open(D "/s/f", O_CREAT | O_WRONLY, 0644);
            if (fd >= 0) {
                if (write(fd, "x", 1) != 1)
                    dir_bad(d, "write s/f");
                close(fd);
                if (unlink(D "/s/f") < 0)
                    dir_bad(d, "unlink s/f"); /* only we unlink it */
            } else if (errno != ENOENT) {
                dir_bad(d, "open s/f");
            }
            if (mkdir(D "/s/x", 0755) == 0) {
                if (rmdir(D "/s/x") < 0)
                    dir_bad(d, "rmdir s/x");
            } else if (errno != ENOENT) {
                dir_bad(d, "mkdir s/x");
            }
        } else { /* lookups through it */
            struct stat st;
            if (stat(D "/s", &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                    dir_bad(d, "stat s: not a directory");
            } else if (errno != ENOENT) {
                dir_bad(d, "stat s");
            }
            if (stat(D "/s/f", &st) < 0 && errno != ENOENT)
                dir_bad(d, "stat s/f");
            if (stat(D "/s/../s/x/..", &st) < 0 && errno != ENOENT)
                dir_bad(d, "stat s/../s/x/..");
        }
    }
    return NULL;
}

TEST(fslock_dir_races_one_dir)
{
    CHECK_OK(mkdir(D, 0755));
    struct dirracer d[3];
    pthread_t th[3];
    int started = 0;
    for (int i = 0; i < 3; i++) {
        d[i] = (struct dirracer){.which = i, .rounds = 300};
        if (pthread_create(&th[i], NULL, dir_race, &d[i]) == 0)
            started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    unlink(D "/s/f");
    rmdir(D "/s/x");
    rmdir(D "/s");
    int rm = rmdir(D);
    CHECK_EQ(started, 3);
    for (int i = 0; i < 3; i++)
        CHECKF(!d[i].bad_errno, "%s: errno %d (%s)", d[i].what, d[i].bad_errno,
               ut_errname(d[i].bad_errno));
    CHECK_OK(rm); /* everything made was removed: the directory is empty */
}

/* ---- path walks racing rmdir ---- */

#define WALK_FILLER 72 /* more entries than a walk scans per lock hold */

struct walker {
    const char *path;
    volatile int stop;
    long ok, gone;
    int bad_errno;
    const char *what;
};

/* Below us: stat and open a path that looks D/zz up again and again
 * (zz is the last of more than WALK_FILLER entries, so the walk lets
 * ramfs_lock go, with the directory it is in pinned, at every step). */
static void *walk_loop(void *p)
{
    struct walker *w = p;
    if (lower_self()) {
        w->bad_errno = -2;
        w->what = "priority";
    }
    while (!w->bad_errno && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        struct stat st;
        if (stat(w->path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                w->bad_errno = -1;
                w->what = "stat: not a directory";
            }
            w->ok++;
        } else if (errno == ENOENT) {
            w->gone++;
        } else {
            w->bad_errno = errno;
            w->what = "stat";
        }
        int fd = open(w->path, O_RDONLY);
        if (fd >= 0)
            close(fd);
        else if (errno != ENOENT && !w->bad_errno) {
            w->bad_errno = errno;
            w->what = "open";
        }
    }
    return NULL;
}

static void walk_cleanup(void)
{
    char p[64];
    rmdir(D "/zz/x");
    rmdir(D "/zz");
    for (int i = 0; i < WALK_FILLER; i++) {
        snprintf(p, sizeof(p), D "/f%02d", i);
        unlink(p);
    }
    rmdir(D);
}

/* A walk that let the lock go in a directory removed meanwhile answers
 * ENOENT, never follows a freed inode, and the last walk out frees it
 * (the leak check counts the inodes): while we remove and remake zz and
 * zz/x after each sleep, the thread below only ever sees zz/x as a
 * directory or ENOENT. */
TEST(fslock_walk_races_rmdir)
{
    char p[64];
    CHECK_OK(mkdir(D, 0755));
    int made = 0;
    for (; made < WALK_FILLER; made++) {
        snprintf(p, sizeof(p), D "/f%02d", made);
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        if (fd < 0)
            break;
        close(fd);
    }
    int e1 = mkdir(D "/zz", 0755), e2 = mkdir(D "/zz/x", 0755);
    if (made < WALK_FILLER || e1 || e2)
        walk_cleanup();
    CHECK_EQ(made, WALK_FILLER);
    CHECK_OK(e1);
    CHECK_OK(e2);
    static char path[KEEL_PATH_MAX];
    strcpy(path, D);
    while (strlen(path) + 12 < 200)
        strcat(path, "/zz/../zz/..");
    strcat(path, "/zz/x");
    struct walker w = {.path = path};
    pthread_t th;
    int rc = pthread_create(&th, NULL, walk_loop, &w);
    int err = 0, round = 0;
    for (; rc == 0 && round < 40 && !err && !w.bad_errno; round++) {
        ut_sleep_ms(1);
        if (rmdir(D "/zz/x") || rmdir(D "/zz") || mkdir(D "/zz", 0755) ||
            mkdir(D "/zz/x", 0755))
            err = errno;
    }
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    if (rc == 0)
        pthread_join(th, NULL);
    walk_cleanup();
    CHECK_RC(rc, 0);
    CHECKF(!err, "round %d: %s", round, ut_errname(err));
    CHECKF(!w.bad_errno, "%s: errno %d (%s)", w.what, w.bad_errno,
           ut_errname(w.bad_errno));
    CHECK(w.ok + w.gone > 0);
}

/* ---- a long write observed from above ---- */

/* The file's size strictly inside a 2 MiB write, or -1. */
static long partial_size(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    return st.st_size > 0 && st.st_size < BIG ? (long)st.st_size : -1;
}

struct bigwriter {
    const char *path;
    const uint8_t *buf;
    int rounds;
    volatile int started, finished, stop;
    int err;
};

/* Below us: O_TRUNC and one 2 MiB write per round. */
static void *big_loop(void *p)
{
    struct bigwriter *b = p;
    if (lower_self())
        b->err = -2;
    for (int r = 0; r < b->rounds && !b->err && !b->stop; r++) {
        __atomic_store_n(&b->started, r + 1, __ATOMIC_SEQ_CST);
        int fd = open(b->path, O_WRONLY | O_TRUNC);
        if (fd < 0) {
            b->err = errno;
            break;
        }
        if (write(fd, b->buf, BIG) != BIG)
            b->err = errno ? errno : -1;
        close(fd);
        __atomic_store_n(&b->finished, r + 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

/* Isolated (its 2 MiB buffer goes with the child). While a lower-priority
 * thread of ours is provably inside one write(2) of 2 MiB to file W (same
 * round before and after, W's size strictly between 0 and 2 MiB and not
 * shrinking), fstat and stat of another file O complete with O's size.
 * With a global lock held across the write, on one hart the writer
 * could not be preempted inside it, and on several our fstat of W would
 * wait for it: W's size would never be seen partial. */
TEST(fslock_fstat_not_behind_write)
{
    uint8_t *buf = malloc(BIG);
    CHECK(buf);
    fill(buf, BIG, 3);
    mkdir(D, 0755);
    int wfd = open(D "/big", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int ofd = open(D "/other", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(wfd >= 0 && ofd >= 0);
    CHECK_EQ(write(ofd, buf, 4096), 4096);
    struct bigwriter b = {.path = D "/big", .buf = buf, .rounds = 48};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, big_loop, &b), 0);
    int seen = 0, other_bad = 0, samples = 0;
    while (!seen && !other_bad && !b.err &&
           __atomic_load_n(&b.finished, __ATOMIC_SEQ_CST) < b.rounds) {
        ut_sleep_ms(1); /* the writer runs; we wake above it */
        samples++;
        int s1 = __atomic_load_n(&b.started, __ATOMIC_SEQ_CST);
        int f1 = __atomic_load_n(&b.finished, __ATOMIC_SEQ_CST);
        long a = partial_size(wfd);
        struct stat st1, st2;
        int e1 = fstat(ofd, &st1), e2 = stat(D "/other", &st2);
        long c = partial_size(wfd);
        int s2 = __atomic_load_n(&b.started, __ATOMIC_SEQ_CST);
        int f2 = __atomic_load_n(&b.finished, __ATOMIC_SEQ_CST);
        if (e1 || e2 || st1.st_size != 4096 || st2.st_size != 4096)
            other_bad = 1;
        seen = s1 == s2 && f1 == f2 && s1 == f1 + 1 && a > 0 && c >= a;
    }
    b.stop = 1;
    pthread_join(th, NULL);
    close(wfd);
    close(ofd);
    unlink(D "/big");
    unlink(D "/other");
    rmdir(D);
    free(buf);
    CHECK_EQ(b.err, 0);
    CHECK(!other_bad);
    CHECKF(seen,
           "never saw the writer inside its write (%d samples, %d rounds)",
           samples, b.finished);
}

/* ---- a writer killed in the middle of a write ---- */

/* utest fsl-writer PATH: below its parent, writes "r" to fd 1, then
 * rewrites PATH (O_TRUNC, one 2 MiB write) until killed. */
static int mode_fsl_writer(int argc, char **argv)
{
    if (argc < 3 || lower_self())
        return 2;
    uint8_t *buf = malloc(BIG);
    if (!buf)
        return 3;
    fill(buf, BIG, 4);
    if (write(1, "r", 1) != 1)
        return 4;
    for (;;) {
        int fd = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (fd < 0)
            return 5;
        if (write(fd, buf, BIG) != BIG)
            return 6;
        close(fd);
    }
}

/* The child is killed while it is inside a write (seen from here: the
 * size strictly between 0 and 2 MiB), half the times after we unlinked
 * the file, so its exit's close frees the nameless file. Its write ends
 * normally (a kill acts on the way back to user mode): afterwards the
 * file's lock is free (we write, read and stat it), and the leak check
 * finds every page, file and inode back. */
TEST(fslock_kill_mid_write)
{
    const char *path = D "/k";
    mkdir(D, 0755);
    int kills_mid = 0;
    for (int round = 0; round < 4 && !ut_failed(); round++) {
        pid_t pid;
        int cmd, rep;
        CHECK_RC(ut_spawn_cmd(&pid, &cmd, &rep, "fsl-writer", path, NULL, NULL),
                 0);
        char c = 0;
        long n = read(rep, &c, 1);
        int fd = -1, mid = 0;
        for (int i = 0; n == 1 && i < 400 && !mid; i++) {
            ut_sleep_ms(1);
            if (fd < 0)
                fd = open(path, O_RDONLY);
            mid = fd >= 0 && partial_size(fd) > 0;
        }
        if (mid && (round & 1))
            unlink(path);
        kill(pid, SIGKILL);
        int st = ut_wait(pid);
        close(cmd);
        close(rep);
        kills_mid += mid;
        if (fd >= 0)
            close(fd);
        CHECK_EQ(n, 1);
        CHECK_SIGNALED(st, SIGKILL);
        /* The lock is free and the file works. */
        int wfd = open(path, O_CREAT | O_RDWR, 0644);
        CHECK_OK(wfd);
        char got[5] = {0};
        long w = write_at(wfd, "abcd", 4, 0);
        long r = read_at(wfd, got, 4, 0);
        struct stat sb;
        int e = fstat(wfd, &sb);
        close(wfd);
        unlink(path);
        CHECK_EQ(w, 4);
        CHECK_EQ(r, 4);
        CHECK(!strcmp(got, "abcd"));
        CHECK_OK(e);
    }
    rmdir(D);
    CHECKF(kills_mid >= 1, "never killed the writer mid-write (%d)", kills_mid);
}

const struct utest ut_fslock_tests[] = {
    UT_CASE(fslock_two_writers_one_file),
    UT_CASE(fslock_read_races_truncate_unlink),
    UT_CASE(fslock_dir_races_one_dir),
    UT_CASE(fslock_walk_races_rmdir),
    UT_ISOLATED(fslock_fstat_not_behind_write),
    UT_CASE(fslock_kill_mid_write),
    UT_END,
};

const struct ut_mode ut_fslock_modes[] = {
    {"fsl-writer", mode_fsl_writer},
    UT_MODE_END,
};
