/* In-kernel tests for issue 6 item 11e: the pid counter wraps (after
 * INT_MAX, to 2) without handing out a pid a pool entry still holds,
 * and two cap locks are taken in pid order whatever the parent/child
 * relation. */
#include "../include/cap.h"
#include "../include/proc.h"
#include "ktest.h"

int proc_test_set_next_pid(int next, bool wrapped);

#define NPROCS 8

KTEST(pid_wrap_skips_live_pids)
{
    uint32_t procs = proc_count();
    int saved = proc_test_set_next_pid(100, false);
    struct proc *p[NPROCS] = {0};
    p[0] = proc_alloc("ktlive"); /* pid 100, alive */
    p[1] = proc_alloc("ktreap"); /* pid 101, reaped but still named */
    KT_CHECK(p[0] && p[1]);
    proc_get(p[1]); /* what a process cap holds */
    proc_free(p[1]);
    proc_test_set_next_pid(__INT_MAX__ - 1, false);
    p[2] = proc_alloc("ktmax1");
    p[3] = proc_alloc("ktmax");
    p[4] = proc_alloc("ktwrap");
    KT_CHECK(p[2] && p[3] && p[4]);
    KT_CHECK_EQ(p[2]->pid, __INT_MAX__ - 1);
    KT_CHECK_EQ(p[3]->pid, __INT_MAX__);
    KT_CHECK_EQ(p[4]->pid, 2); /* wrapped; 1 stays init's */
    /* The counter, after the wrap, lands on held pids: they are skipped. */
    proc_test_set_next_pid(100, true);
    p[5] = proc_alloc("ktskip1");
    KT_CHECK(p[5]);
    KT_CHECK_EQ(p[5]->pid, 102); /* not 100 (alive), not 101 (reaped) */
    proc_test_set_next_pid(__INT_MAX__ - 1, true);
    p[6] = proc_alloc("ktskip2");
    KT_CHECK(p[6]);
    KT_CHECK_EQ(p[6]->pid, 3); /* past both maxima and 2 */
    for (int i = 0; i < NPROCS; i++)
        for (int j = i + 1; j < NPROCS; j++)
            if (p[i] && p[j] && i != 1 && j != 1)
                KT_CHECK(p[i]->pid != p[j]->pid);
    /* Lock pairs by pid: the "child" p[4] has a lower pid than p[3]. */
    cap_lock_pair(p[3], p[4]);
    cap_unlock_pair(p[3], p[4]);
    proc_put(p[1]);
    for (int i = 0; i < NPROCS; i++)
        if (p[i] && i != 1)
            proc_free(p[i]);
    proc_test_set_next_pid(saved, false);
    KT_CHECK_EQ(proc_count(), procs);
}
