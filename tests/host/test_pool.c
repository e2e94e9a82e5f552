/* Host tests for kernel/mm/pool.c. */
#include "kernel/mm/pool.h"
#include "tests/host/harness.h"

struct obj {
    uint64_t a;
    uint32_t b;
    uint8_t c[12];
};

#define N 8

static struct obj storage[N];
static uint32_t links[N];
static struct pool pool;

static void setup(void)
{
    memset(storage, 0xa5, sizeof(storage));
    pool_init(&pool, "obj", storage, links, sizeof(struct obj), N);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return false;
    }
    return true;
}

TEST(pool_init_state)
{
    setup();
    CHECK_STR_EQ(pool.name, "obj");
    CHECK_EQ(pool.count, N);
    CHECK_EQ(pool.in_use, 0);
    CHECK_EQ(pool.free_head, 0);
    CHECK_EQ(pool.objsize, sizeof(struct obj));
    for (uint32_t i = 0; i + 1 < N; i++)
        CHECK_EQ(links[i], i + 1);
    CHECK_EQ(links[N - 1], POOL_NONE);
}

TEST(pool_alloc_ascending_and_zeroed)
{
    setup();
    for (uint32_t i = 0; i < N; i++) {
        struct obj *o = pool_alloc(&pool);
        REQUIRE(o != NULL);
        CHECK(o == &storage[i]);
        CHECK(all_zero(o, sizeof(*o)));
        CHECK_EQ(pool_index(&pool, o), i);
        CHECK_EQ(pool.in_use, i + 1);
        o->a = 0x1111 * (i + 1); /* dirty it */
    }
    CHECK(pool_alloc(&pool) == NULL);
    CHECK(pool_alloc(&pool) == NULL);
    CHECK_EQ(pool.in_use, N);
    CHECK_EQ(pool.free_head, POOL_NONE);
    /* Neighbours were not touched by later allocations. */
    for (uint32_t i = 0; i < N; i++)
        CHECK_EQ(storage[i].a, 0x1111 * (i + 1));
}

TEST(pool_free_lifo_and_rezero)
{
    setup();
    struct obj *o[N];
    for (int i = 0; i < N; i++)
        o[i] = pool_alloc(&pool);
    memset(o[3], 0xff, sizeof(struct obj));
    pool_free(&pool, o[3]);
    CHECK_EQ(pool.in_use, N - 1);
    pool_free(&pool, o[5]);
    CHECK_EQ(pool.in_use, N - 2);
    /* Last freed is handed out first, and comes back zeroed. */
    struct obj *a = pool_alloc(&pool);
    CHECK(a == o[5]);
    struct obj *b = pool_alloc(&pool);
    CHECK(b == o[3]);
    CHECK(all_zero(b, sizeof(*b)));
    CHECK(pool_alloc(&pool) == NULL);
    CHECK_EQ(pool.in_use, N);
}

TEST(pool_free_all_then_realloc)
{
    setup();
    struct obj *o[N];
    for (int i = 0; i < N; i++)
        o[i] = pool_alloc(&pool);
    for (int i = 0; i < N; i++)
        pool_free(&pool, o[i]);
    CHECK_EQ(pool.in_use, 0);
    /* Freed 0..7: the list is now 7, 6, ..., 0. */
    for (int i = N - 1; i >= 0; i--)
        CHECK(pool_alloc(&pool) == o[i]);
    CHECK(pool_alloc(&pool) == NULL);
}

TEST(pool_double_and_foreign_free_detected)
{
    setup();
    struct obj *a = pool_alloc(&pool);
    struct obj *b = pool_alloc(&pool);
    CHECK(pool_allocated(&pool, a));
    CHECK_EQ(pool_free(&pool, a), POOL_FREED);
    CHECK(!pool_allocated(&pool, a));
    CHECK_EQ(pool.in_use, 1);
    uint32_t head = pool.free_head;
    /* Double free: detected, no effect. */
    CHECK_EQ(pool_free(&pool, a), POOL_FREE_DOUBLE);
    CHECK_EQ(pool.in_use, 1);
    CHECK_EQ(pool.free_head, head);
    /* Owned but never allocated: also a double free. */
    CHECK_EQ(pool_free(&pool, &storage[N - 1]), POOL_FREE_DOUBLE);

    struct obj other;
    CHECK_EQ(pool_free(&pool, &other), POOL_FREE_FOREIGN);
    CHECK_EQ(pool_free(&pool, (uint8_t *)b + 1), POOL_FREE_FOREIGN);
    CHECK_EQ(pool_free(&pool, &storage[N]), POOL_FREE_FOREIGN); /* past end */
    CHECK_EQ(pool_free(&pool, (uint8_t *)storage - sizeof(struct obj)),
             POOL_FREE_FOREIGN);
    CHECK_EQ(pool_free(&pool, NULL), POOL_FREE_NULL);
    CHECK_EQ(pool.in_use, 1);
    CHECK_EQ(pool.free_head, head);
    CHECK(pool_allocated(&pool, b));

    /* The free list is intact: exactly N-1 more allocations succeed. */
    int n = 0;
    while (pool_alloc(&pool))
        n++;
    CHECK_EQ(n, N - 1);
    CHECK_EQ(pool_free(&pool, b), POOL_FREED);
}

TEST(pool_owns_and_at)
{
    setup();
    for (uint32_t i = 0; i < N; i++) {
        CHECK(pool_owns(&pool, &storage[i]));
        CHECK(pool_at(&pool, i) == &storage[i]);
        CHECK_EQ(pool_index(&pool, &storage[i]), i);
    }
    CHECK(pool_at(&pool, N) == NULL);
    CHECK(pool_at(&pool, POOL_NONE) == NULL);
    CHECK(!pool_owns(&pool, NULL));
    CHECK(!pool_owns(&pool, (uint8_t *)storage + 1));
    CHECK(!pool_owns(&pool, (uint8_t *)&storage[2] + sizeof(struct obj) - 1));
    CHECK(!pool_owns(&pool, storage + N)); /* one past the end */
    CHECK(!pool_owns(&pool, links));
    uint8_t before[16];
    CHECK(!pool_owns(&pool, before));
}

TEST(pool_empty)
{
    uint32_t l[1];
    struct pool p;
    pool_init(&p, "empty", storage, l, sizeof(struct obj), 0);
    CHECK_EQ(p.free_head, POOL_NONE);
    CHECK(pool_alloc(&p) == NULL);
    CHECK(!pool_owns(&p, storage));
    CHECK(pool_at(&p, 0) == NULL);
}

TEST(pool_single_byte_objects)
{
    uint8_t bytes[5];
    uint32_t l[5];
    struct pool p;
    memset(bytes, 0xff, sizeof(bytes));
    pool_init(&p, "bytes", bytes, l, 1, 5);
    for (int i = 0; i < 5; i++) {
        uint8_t *b = pool_alloc(&p);
        CHECK(b == &bytes[i]);
        CHECK(b && *b == 0);
        CHECK(pool_owns(&p, &bytes[i]));
    }
    CHECK(pool_alloc(&p) == NULL);
    CHECK(!pool_owns(&p, bytes + 5));
}

/* A random alloc/free sequence checked against a shadow model. */
TEST(pool_random_against_model)
{
    setup();
    bool live[N] = {false};
    uint32_t nlive = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;

    for (int step = 0; step < 20000; step++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if (rng & 1) {
            struct obj *o = pool_alloc(&pool);
            if (nlive == N) {
                CHECK(o == NULL);
                continue;
            }
            REQUIRE(o != NULL);
            uint32_t i = pool_index(&pool, o);
            CHECK(!live[i]);
            CHECK(all_zero(o, sizeof(*o)));
            memset(o, (int)i + 1, sizeof(*o));
            live[i] = true;
            nlive++;
        } else {
            uint32_t i = (uint32_t)(rng >> 8) % N;
            if (!live[i]) {
                CHECK_EQ(pool_free(&pool, &storage[i]), POOL_FREE_DOUBLE);
            } else {
                CHECK_EQ(storage[i].b, 0x01010101u * (i + 1));
                CHECK_EQ(pool_free(&pool, &storage[i]), POOL_FREED);
                live[i] = false;
                nlive--;
            }
        }
        CHECK_EQ(pool.in_use, nlive);
    }
}
