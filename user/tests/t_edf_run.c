/*
 * Issue 8 item 7, SCHED_DEADLINE at run time: a deadline thread runs
 * ahead of FIFO 63 spinners on every hart and is throttled when it
 * overruns while they still make progress; reservations that cannot
 * share a hart run one per hart; sched_yield ends a job.
 *
 * Every test runs isolated (it changes its threads' policies), thread
 * functions never CHECK, and no check compares against a time upper
 * bound (lower bounds only; the watchdog catches a hang). Spinners are
 * bounded by time so the suite's own threads get the harts back.
 */
#include <stdio.h>

#include "t_edf.h"

#define SPIN_WINDOW_NS (500 * MS)
#define SPIN_MAX 8

static volatile uint64_t dl_count;
static volatile int dl_ready, dl_stop, spin_started;
static struct spinner {
    uint64_t before, after; /* dl_count around its window */
    uint64_t loops;
    int all_started;
} spinners[SPIN_MAX];
static int nspin;

/* A deadline thread that never blocks: 2 ms every 10 ms (20%). */
static void *dl_spin(void *arg)
{
    (void)arg;
    int r = set_dl(2 * MS, 10 * MS, 10 * MS);
    dl_ready = r ? -r - 1 : 1;
    if (r)
        return NULL;
    uint64_t deadline = now_ns() + 60000 * MS; /* a bound for a lost stop */
    for (uint64_t i = 1; !dl_stop; i++) {
        dl_count++;
        if (!(i & 0xffff) && now_ns() > deadline)
            break;
    }
    return NULL;
}

/* A FIFO 63 thread spinning for SPIN_WINDOW_NS once all are started. */
static void *fifo_spin(void *arg)
{
    struct spinner *s = arg;
    __atomic_add_fetch(&spin_started, 1, __ATOMIC_ACQ_REL);
    uint64_t give_up = now_ns() + 20000 * MS;
    while (__atomic_load_n(&spin_started, __ATOMIC_ACQUIRE) < nspin &&
           now_ns() < give_up)
        ;
    s->all_started = __atomic_load_n(&spin_started, __ATOMIC_ACQUIRE) == nspin;
    s->before = dl_count;
    uint64_t end = now_ns() + SPIN_WINDOW_NS;
    while (now_ns() < end)
        s->loops++;
    s->after = dl_count;
    return NULL;
}

/*
 * A deadline thread that spins forever, with a FIFO priority-63 spinner
 * on every hart (so one shares its hart): the deadline thread runs ahead
 * of them (it makes progress while they all spin), is throttled when its
 * budget runs out (the kernel counts it), and every FIFO spinner still
 * makes progress. No time is asserted.
 */
TEST(edf_overrun_throttled_fifo_progresses)
{
    EDF_NEEDS_TOP();
    nspin = harts_online();
    CHECK(nspin <= SPIN_MAX);
    dl_count = 0;
    dl_ready = dl_stop = spin_started = 0;
    memset(spinners, 0, sizeof(spinners));
    pthread_t dl;
    CHECK_RC(pthread_create(&dl, NULL, dl_spin, NULL), 0);
    for (int i = 0; i < 20000 && !dl_ready; i++)
        ut_sleep_ms(1);
    CHECKF(dl_ready == 1, "deadline thread: ready %d", dl_ready);
    /* We run at 63 too, so the spinners queue behind us until we join. */
    struct sched_param top = {.sched_priority = KEEL_PRIO_MAX};
    CHECK(sched_setscheduler(0, SCHED_FIFO, &top) >= 0);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&at, SCHED_FIFO);
    pthread_attr_setschedparam(&at, &top);
    pthread_t th[SPIN_MAX];
    for (int i = 0; i < nspin; i++)
        CHECK_RC(pthread_create(&th[i], &at, fifo_spin, &spinners[i]), 0);
    pthread_attr_destroy(&at);
    for (int i = 0; i < nspin; i++)
        CHECK_RC(pthread_join(th[i], NULL), 0);
    struct keel_threadinfo ti;
    int found = my_row(dl, &ti);
    dl_stop = 1;
    CHECK_RC(pthread_join(dl, NULL), 0);
    for (int i = 0; i < nspin; i++) {
        CHECKF(spinners[i].all_started, "spinner %d: not all %d started", i,
               nspin);
        CHECKF(spinners[i].loops > 0, "spinner %d made no progress", i);
        CHECKF(spinners[i].after > spinners[i].before,
               "deadline thread stood still while spinner %d ran (%llu)", i,
               (unsigned long long)spinners[i].before);
    }
    CHECK_EQ(found, 1);
    /* Still spinning: not stopped only by its own 60 s bound. */
    CHECKF(ti.state != KEEL_TSTATE_EXITED,
           "the deadline thread was never stopped (ran to its bound)");
    CHECK_EQ(ti.policy, SCHED_DEADLINE);
    CHECKF(ti.dl_throttled >= 2, "throttled %llu times",
           (unsigned long long)ti.dl_throttled);
}

/* sched_yield from a deadline thread ends its job: it runs again only in
 * its next period, so k yields take at least k periods. */
#define YIELD_PERIOD (20 * MS)
#define YIELDS 5

static void *dl_yield(void *arg)
{
    uint64_t *out = arg; /* [0] error, [1] elapsed ns */
    uint64_t start = now_ns();
    int r = set_dl(1 * MS, YIELD_PERIOD, YIELD_PERIOD);
    if (r) {
        out[0] = (uint64_t)r;
        return NULL;
    }
    for (int i = 0; i < YIELDS; i++)
        sched_yield();
    out[1] = now_ns() - start;
    struct keel_threadinfo ti;
    out[2] = my_row(pthread_self(), &ti) ? ti.dl_throttled : 0;
    return NULL;
}

TEST(edf_yield_ends_job)
{
    EDF_NEEDS_TOP();
    uint64_t out[3] = {0, 0, 0};
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, dl_yield, out), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK_EQ(out[0], 0);
    CHECKF(out[1] + 10000 >= YIELDS * YIELD_PERIOD,
           "%d yields took %llu ns, under %d periods", YIELDS,
           (unsigned long long)out[1], YIELDS);
    CHECK(out[2] >= YIELDS);
}

/* ---- partitioning ---- */

static struct part {
    pthread_t th;
    int rc;
    unsigned harts_seen; /* bit per hart its threadinfo row showed */
    int rows;
} part[SPIN_MAX];
static volatile int part_admitted;
static int part_n; /* threads the test starts */

/* Becomes a 60% deadline thread, then notes the hart its threadinfo row
 * names (where it runs now) at least 200 times and until every thread
 * of the test has been admitted: a thread that exited earlier would give
 * its hart's reservation back, and a later one could then rightly be
 * admitted to the same hart (bounded, in case the test gave up). */
static void *part_thread(void *arg)
{
    struct part *p = arg;
    p->rc = set_dl(6 * MS, 10 * MS, 10 * MS);
    __atomic_add_fetch(&part_admitted, 1, __ATOMIC_ACQ_REL);
    if (p->rc)
        return NULL;
    for (int i = 0;
         i < 200 || (i < 2000000 && __atomic_load_n(&part_admitted,
                                                    __ATOMIC_ACQUIRE) < part_n);
         i++) {
        struct keel_threadinfo ti;
        if (my_row(pthread_self(), &ti) && ti.hart >= 0 && ti.hart < 32) {
            p->harts_seen |= 1u << ti.hart;
            p->rows++;
        }
    }
    return NULL;
}

/* Two 60% threads cannot share a hart (95% bound), so n of them on n
 * harts are assigned one per hart; each runs only where it was
 * assigned, from its first instruction after sched_setattr on (the
 * kernel moves a thread admitted elsewhere at once): every thread sees
 * one hart, and no two see the same. */
TEST(edf_partitioned_one_per_hart)
{
    EDF_NEEDS_TOP();
    int n = harts_online();
    CHECK(n <= SPIN_MAX);
    memset(part, 0, sizeof(part));
    part_admitted = 0;
    part_n = n;
    for (int i = 0; i < n; i++) {
        CHECK_RC(pthread_create(&part[i].th, NULL, part_thread, &part[i]), 0);
        /* One at a time: admission sees the earlier ones' reservations. */
        for (int t = 0; t < 20000 && part_admitted <= i; t++)
            ut_sleep_ms(1);
    }
    unsigned all = 0;
    for (int i = 0; i < n; i++) {
        CHECK_RC(pthread_join(part[i].th, NULL), 0);
        CHECKF(part[i].rc == 0, "thread %d: %s", i, ut_errname(part[i].rc));
        CHECK(part[i].rows > 0);
        CHECKF(__builtin_popcount(part[i].harts_seen) == 1,
               "thread %d ran on harts %#x", i, part[i].harts_seen);
        CHECKF(!(all & part[i].harts_seen), "thread %d shares hart %#x", i,
               part[i].harts_seen);
        all |= part[i].harts_seen;
    }
}

const struct utest ut_edf_run_tests[] = {
    UT_ISOLATED(edf_overrun_throttled_fifo_progresses),
    UT_ISOLATED(edf_yield_ends_job),
    UT_ISOLATED(edf_partitioned_one_per_hart),
    UT_END,
};
