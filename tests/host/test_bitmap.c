/* Host tests for kernel/lib/bitmap.h. */
#include "kernel/lib/bitmap.h"
#include "tests/host/harness.h"

TEST(bitmap_set_test_clear)
{
    uint64_t w[3] = {0, 0, 0};
    static const unsigned bits[] = {0, 1, 31, 32, 63, 64, 65, 127, 128, 191};

    for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        CHECK(!bitmap_test(w, bits[i]));
        bitmap_set(w, bits[i]);
        CHECK(bitmap_test(w, bits[i]));
    }
    CHECK_EQ(w[0], (1ull << 0) | (1ull << 1) | (1ull << 31) | (1ull << 32) |
                       (1ull << 63));
    CHECK_EQ(w[1], (1ull << 0) | (1ull << 1) | (1ull << 63));
    CHECK_EQ(w[2], (1ull << 0) | (1ull << 63));

    /* Setting twice is idempotent; clearing touches only its own bit. */
    bitmap_set(w, 63);
    CHECK_EQ(w[0] >> 63, 1);
    bitmap_clear(w, 63);
    CHECK(!bitmap_test(w, 63));
    CHECK(bitmap_test(w, 32));
    CHECK(bitmap_test(w, 64));
    bitmap_clear(w, 63); /* already clear */
    CHECK(!bitmap_test(w, 63));
    for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        bitmap_clear(w, bits[i]);
    CHECK_EQ(w[0] | w[1] | w[2], 0);
}

TEST(bitmap_every_bit)
{
    uint64_t w[4] = {0};
    for (unsigned i = 0; i < 256; i++) {
        bitmap_set(w, i);
        CHECK_EQ(bitmap_find_first_set(w, 4), i);
        bitmap_clear(w, i);
        CHECK_EQ(bitmap_find_first_set(w, 4), -1);
    }
}

TEST(bitmap_find_first_set)
{
    uint64_t w[3] = {0, 0, 0};
    CHECK_EQ(bitmap_find_first_set(w, 3), -1);
    CHECK_EQ(bitmap_find_first_set(w, 0), -1);
    bitmap_set(w, 150);
    CHECK_EQ(bitmap_find_first_set(w, 3), 150);
    CHECK_EQ(bitmap_find_first_set(w, 2), -1); /* only scans nwords */
    bitmap_set(w, 70);
    CHECK_EQ(bitmap_find_first_set(w, 3), 70);
    bitmap_set(w, 5);
    CHECK_EQ(bitmap_find_first_set(w, 3), 5);
    bitmap_set(w, 0);
    CHECK_EQ(bitmap_find_first_set(w, 3), 0);
    CHECK_EQ(bitmap_find_first_set(w, 0), -1);
}

TEST(bitmap_find_first_clear)
{
    uint64_t w[2] = {~0ull, ~0ull};
    CHECK_EQ(bitmap_find_first_clear(w, 2), -1);
    CHECK_EQ(bitmap_find_first_clear(w, 0), -1);
    bitmap_clear(w, 127);
    CHECK_EQ(bitmap_find_first_clear(w, 2), 127);
    CHECK_EQ(bitmap_find_first_clear(w, 1), -1);
    bitmap_clear(w, 64);
    CHECK_EQ(bitmap_find_first_clear(w, 2), 64);
    bitmap_clear(w, 63);
    CHECK_EQ(bitmap_find_first_clear(w, 2), 63);
    w[0] = 0;
    CHECK_EQ(bitmap_find_first_clear(w, 2), 0);
    for (unsigned i = 0; i < 128; i++) {
        w[0] = w[1] = ~0ull;
        bitmap_clear(w, i);
        CHECK_EQ(bitmap_find_first_clear(w, 2), i);
    }
}

TEST(bitmap_words_macro)
{
    CHECK_EQ(BITMAP_WORDS(0), 0);
    CHECK_EQ(BITMAP_WORDS(1), 1);
    CHECK_EQ(BITMAP_WORDS(64), 1);
    CHECK_EQ(BITMAP_WORDS(65), 2);
    CHECK_EQ(BITMAP_WORDS(128), 2);
}

/* An allocator-style use: claim the lowest free bit until full. */
TEST(bitmap_alloc_pattern)
{
    uint64_t w[2] = {0, 0};
    for (int i = 0; i < 128; i++) {
        int b = bitmap_find_first_clear(w, 2);
        CHECK_EQ(b, i);
        if (b < 0)
            return;
        bitmap_set(w, (unsigned)b);
    }
    CHECK_EQ(bitmap_find_first_clear(w, 2), -1);
    bitmap_clear(w, 77);
    CHECK_EQ(bitmap_find_first_clear(w, 2), 77);
}
