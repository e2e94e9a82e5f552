/* In-kernel tests: the cap_space slot table and fd operations. */
#include "../include/cap.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "ktest.h"

static struct cap_table cs;

KTEST(cap_slot_alloc_lowest_and_quota)
{
    cap_table_init(&cs, 1234, CAP_QUOTA_SLOTS);
    KT_CHECK_EQ(cap_table_alloc(&cs, 0), 0);
    cap_table_install(&cs, 0, capw_make(CAP_TYPE_FD, 1, 0, 0), 0);
    KT_CHECK_EQ(cap_table_alloc(&cs, 0), 1);
    KT_CHECK_EQ(cap_table_alloc(&cs, 70), 70);
    cs.quota = 1;
    KT_CHECK_EQ(cap_table_alloc(&cs, 0), -EMFILE);
    cs.quota = CAP_QUOTA_SLOTS;
    cap_table_clear(&cs, 0);
    KT_CHECK_EQ(cs.used, 0);
    KT_CHECK_EQ(cap_table_alloc(&cs, 0), 0);
    KT_CHECK_EQ(cap_table_check(&cs), 0);
}

KTEST(cap_clear_bumps_generation)
{
    cap_table_init(&cs, 99, CAP_QUOTA_SLOTS);
    cap_table_install(&cs, 3, capw_make(CAP_TYPE_FD, 3, 7, 0), 0);
    cap_word_t w = cs.words[3];
    cap_token_t tok = cap_token_make(3, w);
    KT_CHECK(cap_token_matches(tok, cs.words[3]));
    KT_CHECK((int64_t)tok >= 0);
    cap_table_clear(&cs, 3);
    KT_CHECK_EQ(capw_gen(cs.words[3]), capw_gen(w) + 1);
    KT_CHECK(!cap_token_matches(tok, cs.words[3]));
    /* Reinstalled: a new token for the same slot, the old one stays dead. */
    cap_table_install(&cs, 3, capw_make(CAP_TYPE_FD, 3, 7, 0), 0);
    KT_CHECK(!cap_token_matches(tok, cs.words[3]));
    KT_CHECK(cap_token_matches(cap_token_make(3, cs.words[3]), cs.words[3]));
}

KTEST(cap_generation_retires_slot)
{
    cap_table_init(&cs, 5, CAP_QUOTA_SLOTS);
    cs.words[9] = (cap_word_t)(CAP_GEN_RETIRED - 1) << CAPW_GEN_SHIFT;
    cap_table_install(&cs, 9, capw_make(CAP_TYPE_FD, 1, 0, 0), 0);
    cap_table_clear(&cs, 9);
    KT_CHECK(capw_retired(cs.words[9]));
    /* The slot is never handed out again. */
    int s = cap_table_alloc(&cs, 9);
    KT_CHECK(s != 9);
    KT_CHECK_EQ(cap_table_check(&cs), 0);
}

KTEST(cap_generation_seeds_differ)
{
    static struct cap_table a, b;
    cap_table_init(&a, 1, CAP_QUOTA_SLOTS);
    cap_table_init(&b, 2, CAP_QUOTA_SLOTS);
    KT_CHECK(capw_gen(a.words[0]) != capw_gen(b.words[0]));
    KT_CHECK(capw_gen(a.words[0]) < CAP_GEN_RETIRED / 2 + 1);
}

KTEST(cap_fd_dup_close_refcounts)
{
    struct proc *p = proc_alloc("ktest");
    KT_CHECK(p);
    uint32_t files = file_count();
    struct file *f;
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDWR, &f), 0);
    int fd = cap_fd_install(p, f, CAP_RIGHT_READ | CAP_RIGHT_WRITE, true, 0);
    KT_CHECK_EQ(fd, 0);
    KT_CHECK_EQ(cap_fd_getflags(p, fd), KEEL_FD_CLOEXEC);
    int d = cap_fd_dup(p, fd, 0);
    KT_CHECK_EQ(d, 1);
    KT_CHECK_EQ(cap_fd_getflags(p, d), 0); /* dup clears close-on-exec */
    KT_CHECK_EQ(f->refs, 2);
    struct file *g;
    KT_CHECK_EQ(cap_fd_get(p, d, CAP_RIGHT_WRITE, &g), 0); /* a pin */
    KT_CHECK_EQ(f->refs, 3);
    KT_CHECK_EQ(cap_fd_close(p, fd), 0);
    KT_CHECK_EQ(cap_fd_close(p, d), 0);
    KT_CHECK_EQ(f->refs, 1); /* the pin keeps it alive */
    KT_CHECK_EQ(file_count(), files + 1);
    file_put(g);
    KT_CHECK_EQ(file_count(), files);
    KT_CHECK_EQ(cap_fd_close(p, d), -EBADF);
    KT_CHECK_EQ(cap_fd_get(p, 200, 0, &g), -EBADF);
    KT_CHECK_EQ(cap_fd_get(p, -1, 0, &g), -EBADF);
    cap_space_teardown(p);
    proc_free(p);
}

KTEST(cap_dup2_never_destroys_non_fd)
{
    struct proc *p = proc_alloc("ktest");
    struct file *f;
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDONLY, &f), 0);
    KT_CHECK_EQ(cap_fd_install(p, f, CAP_RIGHT_READ, false, 0), 0);
    KT_CHECK_EQ(cap_proc_install(p, p), 1);
    KT_CHECK_EQ(cap_fd_dup(p, 0, 0), 2);
    KT_CHECK_EQ(cap_fd_close(p, 2), 0);
    cap_word_t w = p->caps.t.words[1];
    KT_CHECK_EQ(cap_fd_dup2(p, 0, 1), -EBADF);
    KT_CHECK_EQ(p->caps.t.words[1], w);
    KT_CHECK_EQ(cap_fd_close(p, 1), -EBADF); /* close is for fds only */
    KT_CHECK_EQ(cap_fd_dup2(p, 0, 0), 0);
    KT_CHECK_EQ(cap_fd_dup2(p, 0, 200), -EBADF);
    cap_space_teardown(p);
    proc_free(p);
}

KTEST(cap_rights_checked_on_lookup)
{
    struct proc *p = proc_alloc("ktest");
    struct file *f, *g;
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDONLY, &f), 0);
    KT_CHECK_EQ(cap_fd_install(p, f, CAP_RIGHT_READ, false, 0), 0);
    KT_CHECK_EQ(cap_fd_get(p, 0, CAP_RIGHT_WRITE, &g), -EBADF);
    KT_CHECK_EQ(cap_fd_get(p, 0, CAP_RIGHT_READ, &g), 0);
    file_put(g);
    cap_space_teardown(p);
    proc_free(p);
}

/* The system cap at spawn (KEEL_FA_CAP, cap_spawn_copy): the source needs
 * GRANT, the copy gets a subset of its rights (never more), only system
 * caps travel this way, and a holder's READ copy does not power off. */
KTEST(cap_spawn_copy_never_widens)
{
    uint32_t procs = proc_count();
    struct proc *p = proc_alloc("ktsysp"), *c = proc_alloc("ktsysc");
    KT_CHECK(p && c);
    const unsigned RG = CAP_RIGHT_READ | CAP_RIGHT_GRANT;
    KT_CHECK_EQ(cap_system_install(p, 10, RG), 10);
    KT_CHECK_EQ(cap_system_install(p, 11, CAP_RIGHTS_ALL & ~CAP_RIGHT_GRANT),
                11);
    KT_CHECK_EQ(cap_spawn_copy(p, 10, c, 20, CAP_RIGHT_READ | CAP_RIGHT_WRITE),
                -EINVAL);
    KT_CHECK_EQ(cap_spawn_copy(p, 10, c, 20, RG | CAP_RIGHT_EXEC), -EINVAL);
    KT_CHECK_EQ(cap_spawn_copy(p, 11, c, 20, CAP_RIGHT_READ), -EACCES);
    KT_CHECK_EQ(cap_spawn_copy(p, 12, c, 20, CAP_RIGHT_READ), -EBADF);
    KT_CHECK(!capw_valid(c->caps.t.words[20]));
    KT_CHECK(!cap_system_held(c, CAP_RIGHT_READ));
    KT_CHECK_EQ(cap_spawn_copy(p, 10, c, 20, CAP_RIGHT_READ), 0);
    cap_word_t w = c->caps.t.words[20];
    KT_CHECK(capw_valid(w) && capw_type(w) == CAP_TYPE_SYSTEM);
    KT_CHECK_EQ(capw_rights(w), CAP_RIGHT_READ);
    KT_CHECK(cap_system_held(c, CAP_RIGHT_READ));
    KT_CHECK(!cap_system_held(c, CAP_RIGHT_WRITE));
    /* The child's copy has no GRANT: it cannot be handed on again. */
    struct proc *g = proc_alloc("ktsysg");
    KT_CHECK(g);
    KT_CHECK_EQ(cap_spawn_copy(c, 20, g, 5, CAP_RIGHT_READ), -EACCES);
    KT_CHECK(!cap_system_held(g, CAP_RIGHT_READ));
    /* Other cap types do not travel this way (a process cap, GRANT). */
    int ps = cap_proc_install(p, g);
    KT_CHECK(ps >= 0);
    KT_CHECK_EQ(cap_spawn_copy(p, ps, c, 21, CAP_RIGHT_READ), -EINVAL);
    KT_CHECK(!capw_valid(c->caps.t.words[21]));
    cap_space_teardown(g);
    cap_space_teardown(c);
    cap_space_teardown(p);
    proc_free(g);
    proc_free(c);
    proc_free(p);
    KT_CHECK_EQ(proc_count(), procs);
}
