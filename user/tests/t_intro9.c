/*
 * Introspection of the issue-9 objects (item 7): cap_info and cap_list
 * name the type of every cap the process holds (fd, thread, process,
 * system, and each kernel-object type that can be made: message queues,
 * semaphores, barriers), the shell's `caps` prints each it inherits by
 * name, kstat reports a size for every pool and counts kernel objects in
 * KEEL_POOL_OBJECTS as they are made and freed, and the shell's `free`
 * lists the objects pool.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "utest.h"

#define OUT_CAP 8192

/* Runs /bin/sh -c script (with the system cap when syscap) with stdout
 * and stderr on a pipe; the caller's object caps with GRANT are
 * inherited. Fills out (NUL-terminated); returns the wait status or -1. */
static int run_sh(const char *script, int syscap, char *out, size_t cap)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    if (syscap)
        keel_spawn_file_actions_addcap(&fa, CAP_SYSTEM_SLOT, keel_system_slot(),
                                       CAP_RIGHTS_ALL);
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    pid_t pid;
    int rc = ut_spawn(&pid, "/bin/sh", &fa, NULL, argv);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return -1;
    }
    long n = ut_read_full(p[0], out, cap - 1);
    close(p[0]);
    out[n > 0 ? n : 0] = '\0';
    return ut_wait(pid);
}

/* How many of this process's slots hold a cap of type t. */
static int count_type(int t)
{
    struct cap_info ci;
    int n = 0;
    for (int s = 0; s < CAP_SLOTS; s++)
        n += keel_cap_list(0, s, &ci) == 1 && ci.type == t;
    return n;
}

static void *idle(void *arg)
{
    volatile int *stop = arg;
    while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
        ut_sleep_ms(1);
    return NULL;
}

TEST(intro9_cap_info_names_every_type)
{
    struct cap_info ci;
    /* fd 0, the main thread, the system cap: always there in the suite. */
    CHECK_OK(cap_info(0, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_FD);
    CHECK_OK(cap_info(CAP_THREAD_SLOT_BASE, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_THREAD);
    int sys = keel_system_slot();
    CHECK(sys >= 0);
    CHECK_OK(cap_info(sys, &ci));
    CHECK_EQ(ci.type, CAP_TYPE_SYSTEM);
    /* A process cap: a child's. */
    pid_t pid;
    char *targv[] = {"true", NULL};
    CHECK_RC(ut_spawn(&pid, "/bin/true", NULL, NULL, targv), 0);
    int ps = proc_handle(pid);
    int pst = -1;
    if (ps >= 0 && cap_info(ps, &ci) == 0)
        pst = ci.type;
    ut_wait(pid);
    CHECK(ps >= 0);
    CHECK_EQ(pst, CAP_TYPE_PROCESS);
    /* A second thread. */
    volatile int stop = 0;
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, idle, (void *)&stop), 0);
    int tt = cap_info((int)th, &ci) == 0 ? ci.type : -1;
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    CHECK_EQ(tt, CAP_TYPE_THREAD);
    /* A message queue: a kernel object, with READ, WRITE and GRANT. */
    mq_unlink("/intro9");
    mqd_t q = mq_open("/intro9", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    CHECK(q >= 0);
    int qt = cap_info(q, &ci) == 0 ? ci.type : -1;
    unsigned qr = ci.rights;
    int lt = keel_cap_list(0, q, &ci) == 1 ? ci.type : -1;
    mq_close(q);
    mq_unlink("/intro9");
    CHECK_EQ(qt, CAP_TYPE_MQUEUE);
    CHECK_EQ(lt, CAP_TYPE_MQUEUE);
    CHECK_EQ(qr & (CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT),
             CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT);
    /* A semaphore and a barrier: one more cap of each type while they
     * exist, none after. */
    int s0 = count_type(CAP_TYPE_SEMAPHORE), b0 = count_type(CAP_TYPE_BARRIER);
    sem_t sem;
    CHECK_OK(sem_init(&sem, 0, 1));
    pthread_barrier_t bar;
    int brc = pthread_barrier_init(&bar, NULL, 2);
    int s1 = count_type(CAP_TYPE_SEMAPHORE), b1 = count_type(CAP_TYPE_BARRIER);
    sem_destroy(&sem);
    if (brc == 0)
        pthread_barrier_destroy(&bar);
    CHECK_RC(brc, 0);
    CHECK_EQ(s1, s0 + 1);
    CHECK_EQ(b1, b0 + 1);
    CHECK_EQ(count_type(CAP_TYPE_SEMAPHORE), s0);
    CHECK_EQ(count_type(CAP_TYPE_BARRIER), b0);
}

TEST(intro9_kstat_every_pool)
{
    struct keel_kstat k0, k1;
    CHECK_OK(keel_kstat(&k0));
    for (int i = 0; i < KEEL_POOL_N; i++)
        CHECKF(k0.pool_max[i] > 0 && k0.pool_used[i] <= k0.pool_max[i],
               "pool %d: used %lu max %lu", i, (unsigned long)k0.pool_used[i],
               (unsigned long)k0.pool_max[i]);
    CHECK_EQ(k0.pool_max[KEEL_POOL_OBJECTS], 1024);
    /* Three queues: three objects, gone again when closed and unlinked. */
    static const char *const names[3] = {"/intro9a", "/intro9b", "/intro9c"};
    mqd_t q[3];
    for (int i = 0; i < 3; i++) {
        mq_unlink(names[i]);
        q[i] = mq_open(names[i], O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    }
    CHECK_OK(keel_kstat(&k1));
    for (int i = 0; i < 3; i++) {
        if (q[i] >= 0)
            mq_close(q[i]);
        mq_unlink(names[i]);
    }
    CHECK(q[0] >= 0 && q[1] >= 0 && q[2] >= 0);
    CHECK_EQ(k1.pool_used[KEEL_POOL_OBJECTS],
             k0.pool_used[KEEL_POOL_OBJECTS] + 3);
    struct keel_kstat k2;
    CHECK_OK(keel_kstat(&k2));
    CHECK_EQ(k2.pool_used[KEEL_POOL_OBJECTS], k0.pool_used[KEEL_POOL_OBJECTS]);
    /* The caller's quota counts them too. */
    struct keel_quota qa;
    CHECK_OK(keel_quota_info(0, &qa));
    CHECK(qa.limit[KEEL_POOL_OBJECTS] > 0);
}

TEST(intro9_shell_caps_and_free)
{
    static char out[OUT_CAP];
    mq_unlink("/intro9sh");
    mqd_t q = mq_open("/intro9sh", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    CHECK(q >= 0);
    sem_t sem; /* process-shared: its cap has GRANT, so the shell gets it */
    int src = sem_init(&sem, 1, 0);
    /* The shell inherits both and lists its own caps. */
    int st = run_sh("caps", 0, out, sizeof(out));
    char want[64];
    snprintf(want, sizeof(want), "\n%4d mqueue   rw-", (int)q);
    int has_q = strstr(out, want) != NULL;
    int has_sem = strstr(out, " sem      ") != NULL;
    int has_thread = strstr(out, " thread ") != NULL;
    int st2 = run_sh("free", 1, out + 4096, sizeof(out) - 4096);
    int has_objects = strstr(out + 4096, "objects ") != NULL;
    if (src == 0)
        sem_destroy(&sem);
    mq_close(q);
    mq_unlink("/intro9sh");
    CHECK_OK(src);
    CHECK_EXITED(st, 0);
    CHECKF(has_q, "caps printed \"%s\"", out);
    CHECKF(has_sem, "caps printed \"%s\"", out);
    CHECK(has_thread);
    CHECK_EXITED(st2, 0);
    CHECKF(has_objects, "free printed \"%s\"", out + 4096);
}

const struct utest ut_intro9_tests[] = {
    UT_CASE(intro9_cap_info_names_every_type),
    UT_CASE(intro9_kstat_every_pool),
    UT_CASE(intro9_shell_caps_and_free),
    UT_END,
};
