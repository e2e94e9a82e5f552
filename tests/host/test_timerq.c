/* Host tests for kernel/sched/timerq.c: the timer queue's min-heap. */
#include "kernel/sched/timerq.h"
#include "tests/host/harness.h"

#define N 300

static struct timer_node nodes[N];
static struct timer_node *storage[N];
static struct timerq q;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void setup(void)
{
    timerq_init(&q, storage, N);
    for (int i = 0; i < N; i++)
        timer_node_init(&nodes[i]);
}

TEST(timerq_empty)
{
    setup();
    CHECK(timerq_first(&q) == NULL);
    CHECK(timerq_pop_due(&q, UINT64_MAX) == NULL);
    CHECK(!timer_node_queued(&nodes[0]));
    CHECK(timerq_valid(&q));
}

/* Inserted in random order (with duplicates), popped in deadline order. */
TEST(timerq_pops_in_deadline_order)
{
    setup();
    for (int i = 0; i < N; i++) {
        REQUIRE(timerq_insert(&q, &nodes[i], rnd() % 100));
        CHECK(timer_node_queued(&nodes[i]));
    }
    CHECK(timerq_valid(&q));
    CHECK(!timerq_insert(&q, &(struct timer_node){0, -1, -1, 0}, 1)); /* full */
    uint64_t last = 0;
    int popped = 0;
    struct timer_node *tn;
    while ((tn = timerq_pop_due(&q, UINT64_MAX))) {
        CHECK(tn->deadline >= last);
        CHECK(!timer_node_queued(tn));
        last = tn->deadline;
        popped++;
    }
    CHECK_EQ(popped, N);
    CHECK_EQ(q.n, 0);
}

/* pop_due takes only what is due, and leaves the rest. */
TEST(timerq_pop_due_stops_at_now)
{
    setup();
    for (int i = 0; i < 10; i++)
        timerq_insert(&q, &nodes[i], 100 + i);
    CHECK(timerq_pop_due(&q, 99) == NULL);
    CHECK_EQ(q.n, 10);
    int n = 0;
    while (timerq_pop_due(&q, 104))
        n++;
    CHECK_EQ(n, 5);
    CHECK_EQ(timerq_first(&q)->deadline, 105);
    CHECK(timerq_valid(&q));
}

/* Random inserts, removals of random queued nodes (any position) and
 * pops, checked against the invariants and a model after every step. */
TEST(timerq_random_insert_remove)
{
    setup();
    for (int step = 0; step < 20000; step++) {
        struct timer_node *tn = &nodes[rnd() % N];
        uint64_t r = rnd() % 4;
        if (!timer_node_queued(tn)) {
            REQUIRE(timerq_insert(&q, tn, rnd() % 1000));
        } else if (r < 3) {
            timerq_remove(&q, tn);
            CHECK(!timer_node_queued(tn));
        } else {
            /* The popped node is the minimum of all queued ones. */
            uint64_t min = UINT64_MAX;
            for (int i = 0; i < N; i++)
                if (timer_node_queued(&nodes[i]) && nodes[i].deadline < min)
                    min = nodes[i].deadline;
            struct timer_node *p = timerq_pop_due(&q, UINT64_MAX);
            REQUIRE(p != NULL);
            CHECK_EQ(p->deadline, min);
        }
        int queued = 0;
        for (int i = 0; i < N; i++)
            queued += timer_node_queued(&nodes[i]);
        REQUIRE_EQ(queued, q.n);
        REQUIRE(timerq_valid(&q));
    }
}

/* Removing the last leaf, the root and a middle node all keep the heap. */
TEST(timerq_remove_positions)
{
    setup();
    for (int i = 0; i < 15; i++)
        timerq_insert(&q, &nodes[i], (uint64_t)(15 - i) * 10);
    timerq_remove(&q, q.heap[q.n - 1]);
    CHECK(timerq_valid(&q));
    timerq_remove(&q, q.heap[0]);
    CHECK(timerq_valid(&q));
    timerq_remove(&q, q.heap[3]);
    CHECK(timerq_valid(&q));
    CHECK_EQ(q.n, 12);
    /* A node moved up by the removal (the last leaf smaller than the
     * parent of the hole) is found there. */
    setup();
    uint64_t d[] = {1, 50, 2, 60, 70, 3, 4};
    for (int i = 0; i < 7; i++)
        timerq_insert(&q, &nodes[i], d[i]);
    timerq_remove(&q, &nodes[3]); /* the last leaf (4) moves under 50 */
    CHECK(timerq_valid(&q));
}
