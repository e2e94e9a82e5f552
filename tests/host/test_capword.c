/* Host tests for kernel/cap/cap_word.h: slot words and tokens. */
#include "kernel/cap/cap_word.h"
#include "tests/host/harness.h"

static const uint32_t gens[] = {
    0, 1, 2, 0x7fff, 0x12345678, 0x80000000, 0xfffffffd, CAP_GEN_RETIRED - 1};
#define NGENS (sizeof(gens) / sizeof(gens[0]))
static const uint32_t objs[] = {0, 1, 0x1234, 0x8000, 0xffff};
#define NOBJS (sizeof(objs) / sizeof(objs[0]))
static const unsigned slots[] = {
    0, 1, 3, CAP_FD_SLOTS - 1, CAP_THREAD_SLOT_BASE, CAP_SLOTS - 1, 0x3ff};
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

TEST(capw_make_round_trip)
{
    for (unsigned type = 0; type < 16; type++) {
        for (unsigned rights = 0; rights < 16; rights++) {
            for (size_t o = 0; o < NOBJS; o++) {
                for (size_t g = 0; g < NGENS; g++) {
                    cap_word_t w = capw_make(type, rights, objs[o], gens[g]);
                    CHECK(capw_valid(w));
                    CHECK_EQ(capw_type(w), type);
                    CHECK_EQ(capw_rights(w), rights);
                    CHECK_EQ(capw_obj(w), objs[o]);
                    CHECK_EQ(capw_gen(w), gens[g]);
                    CHECK(!(w & CAPW_CLOEXEC));
                    CHECK(!(w & CAPW_DELEGATED));
                    CHECK(!capw_retired(w));
                }
            }
        }
    }
}

TEST(capw_make_masks_inputs)
{
    /* Out-of-range inputs are masked, never spill into other fields. */
    cap_word_t w = capw_make(0x1f, 0x1f, 0x1ffff, 7);
    CHECK_EQ(capw_type(w), 0xf);
    CHECK_EQ(capw_rights(w), 0xf);
    CHECK_EQ(capw_obj(w), 0xffff);
    CHECK_EQ(capw_gen(w), 7);
    CHECK(!(w & CAPW_CLOEXEC));
    CHECK(!(w & CAPW_DELEGATED));
}

TEST(capw_flags_independent)
{
    cap_word_t w = capw_make(CAP_TYPE_FD, CAP_RIGHT_READ, 42, 9);
    w |= CAPW_CLOEXEC | CAPW_DELEGATED;
    CHECK_EQ(capw_type(w), CAP_TYPE_FD);
    CHECK_EQ(capw_rights(w), CAP_RIGHT_READ);
    CHECK_EQ(capw_obj(w), 42);
    CHECK_EQ(capw_gen(w), 9);
    CHECK(capw_valid(w));
}

TEST(capw_with_rights)
{
    cap_word_t w =
        capw_make(CAP_TYPE_PROCESS, CAP_RIGHTS_ALL, 0xbeef, 0xabcdef01) |
        CAPW_CLOEXEC | CAPW_DELEGATED;
    for (unsigned r = 0; r < 16; r++) {
        cap_word_t v = capw_with_rights(w, r);
        CHECK_EQ(capw_rights(v), r);
        /* Everything else is untouched. */
        CHECK_EQ(v & ~(0xfull << CAPW_RIGHTS_SHIFT),
                 w & ~(0xfull << CAPW_RIGHTS_SHIFT));
    }
    CHECK_EQ(capw_rights(capw_with_rights(w, 0x13)), 0x3);
    CHECK_EQ(capw_obj(capw_with_rights(w, 0x13)), 0xbeef);
}

/* capw_is (the fast paths' one-mask check) agrees with the three
 * separate tests for every type, rights, needed rights and flag bits, on
 * valid and empty words alike. */
TEST(capw_is_matches_separate_checks)
{
    for (unsigned type = 0; type < 16; type++) {
        for (unsigned rights = 0; rights < 16; rights++) {
            for (unsigned need = 0; need < 16; need++) {
                for (unsigned f = 0; f < 8; f++) {
                    cap_word_t w = capw_make(type, rights, 0x1234, 0xfffe) |
                                   (f & 1 ? CAPW_CLOEXEC : 0) |
                                   (f & 2 ? CAPW_DELEGATED : 0);
                    if (f & 4)
                        w &= ~CAPW_VALID;
                    for (unsigned want = 0; want < 16; want++) {
                        bool sep = capw_valid(w) && capw_type(w) == want &&
                                   (capw_rights(w) & need) == need;
                        CHECK_EQ(capw_is(w, want, need), sep);
                    }
                }
            }
        }
    }
}

TEST(cap_token_round_trip)
{
    for (size_t s = 0; s < NSLOTS; s++) {
        for (unsigned type = 0; type < 16; type++) {
            for (unsigned rights = 0; rights < 16; rights++) {
                for (size_t g = 0; g < NGENS; g++) {
                    cap_word_t w = capw_make(type, rights, 77, gens[g]);
                    cap_token_t t = cap_token_make(slots[s], w);
                    CHECK_EQ(cap_token_slot(t), slots[s]);
                    CHECK_EQ(cap_token_type(t), type);
                    CHECK_EQ(cap_token_rights(t), rights);
                    CHECK_EQ(cap_token_gen(t), gens[g]);
                    CHECK((int64_t)t >= 0);
                    CHECK_EQ(t & CAP_TOK_RESERVED_MASK, 0);
                    CHECK(cap_token_matches(t, w));
                }
            }
        }
    }
}

TEST(cap_token_nonnegative_extremes)
{
    cap_word_t w = capw_make(0xf, 0xf, 0xffff, CAP_GEN_RETIRED);
    cap_token_t t = cap_token_make(0xffffffffu, w | CAPW_CLOEXEC);
    CHECK((int64_t)t >= 0);
    CHECK_EQ(t, (1ull << 50) - 1); /* every token bit set, none above */
    CHECK_EQ(cap_token_slot(t), 0x3ff);
    /* Slot numbers are masked to the token's 10 bits. */
    CHECK_EQ(cap_token_slot(cap_token_make(0x400 | 5, w)), 5);
    /* Cloexec/delegated/object are not part of the token. */
    cap_word_t plain = capw_make(CAP_TYPE_FD, 3, 1, 2);
    CHECK_EQ(cap_token_make(4, plain),
             cap_token_make(4, plain | CAPW_CLOEXEC | CAPW_DELEGATED));
    CHECK_EQ(cap_token_make(4, plain),
             cap_token_make(4, capw_make(CAP_TYPE_FD, 3, 999, 2)));
}

TEST(cap_token_field_flips_do_not_match)
{
    for (size_t g = 0; g < NGENS; g++) {
        cap_word_t w = capw_make(CAP_TYPE_FD, CAP_RIGHT_READ | CAP_RIGHT_GRANT,
                                 5, gens[g]);
        cap_token_t t = cap_token_make(17, w);
        REQUIRE(cap_token_matches(t, w));
        /* Every bit of type, rights, generation and the reserved area. */
        for (unsigned bit = CAP_TOK_TYPE_SHIFT; bit < 64; bit++) {
            cap_token_t f = t ^ (1ull << bit);
            if (cap_token_matches(f, w))
                CHECK_EQ(bit, 0xdead); /* report the bit that slipped */
        }
        /* Slot bits: the slot is checked by the caller's indexing, so a
         * flipped slot still matches the word but names another slot. */
        for (unsigned bit = 0; bit < 10; bit++) {
            cap_token_t f = t ^ (1ull << bit);
            CHECK(cap_token_slot(f) != 17);
            CHECK_EQ(cap_token_slot(f), 17u ^ (1u << bit));
        }
    }
}

TEST(cap_token_word_changes_do_not_match)
{
    cap_word_t w = capw_make(CAP_TYPE_THREAD, CAP_RIGHT_READ, 3, 100);
    cap_token_t t = cap_token_make(CAP_THREAD_SLOT_BASE, w);
    CHECK(cap_token_matches(t, w));
    CHECK(!cap_token_matches(t, w & ~CAPW_VALID));        /* emptied */
    CHECK(!cap_token_matches(t, capw_with_rights(w, 0))); /* shrunk */
    CHECK(!cap_token_matches(t, capw_make(CAP_TYPE_FD, 1, 3, 100)));
    CHECK(!cap_token_matches(t, capw_make(CAP_TYPE_THREAD, 1, 3, 101)));
    CHECK(!cap_token_matches(t, capw_make(CAP_TYPE_THREAD, 1, 3, 99)));
    /* A different object in the same slot with the same snapshot would
     * be an allocator bug, not a token mismatch: the token ignores it. */
    CHECK(cap_token_matches(t, capw_make(CAP_TYPE_THREAD, 1, 4, 100)));
    CHECK(cap_token_matches(t, w | CAPW_CLOEXEC));
    /* Reserved token bits never match, whatever the word. */
    CHECK(!cap_token_matches(t | (1ull << 50), w));
    CHECK(!cap_token_matches(t | (1ull << 63), w));
    CHECK(!cap_token_matches(0, 0));
    CHECK(!cap_token_matches(0, (cap_word_t)0 << CAPW_GEN_SHIFT));
}

TEST(capw_next_empty_bumps)
{
    for (size_t g = 0; g + 1 < NGENS; g++) {
        cap_word_t w = capw_make(CAP_TYPE_FD, 0xf, 0x1234, gens[g]) |
                       CAPW_CLOEXEC | CAPW_DELEGATED;
        cap_token_t t = cap_token_make(3, w);
        cap_word_t e;
        CHECK(capw_next_empty(w, &e));
        CHECK(!capw_valid(e));
        CHECK_EQ(capw_gen(e), gens[g] + 1);
        /* Nothing else survives the drop. */
        CHECK_EQ(e, (cap_word_t)(gens[g] + 1) << CAPW_GEN_SHIFT);
        CHECK(!capw_retired(e));
        CHECK(!cap_token_matches(t, e));
        /* Re-filling the slot mints a new generation: the old token
         * stays dead even with identical type and rights. */
        cap_word_t refill = capw_make(CAP_TYPE_FD, 0xf, 0x1234, capw_gen(e));
        CHECK(!cap_token_matches(t, refill));
        CHECK(cap_token_matches(cap_token_make(3, refill), refill));
    }
    /* An empty word bumps too (a drop of an already-empty slot). */
    cap_word_t e;
    CHECK(capw_next_empty(0, &e));
    CHECK_EQ(capw_gen(e), 1);
}

TEST(capw_next_empty_retires)
{
    cap_word_t e;
    /* gen RETIRED-2 -> RETIRED-1 is the last ordinary bump. */
    cap_word_t w = capw_make(CAP_TYPE_FD, 1, 0, CAP_GEN_RETIRED - 2);
    CHECK(capw_next_empty(w, &e));
    CHECK_EQ(capw_gen(e), CAP_GEN_RETIRED - 1);
    CHECK(!capw_retired(e));

    /* From RETIRED-1 the slot retires instead of reaching a live gen. */
    w = capw_make(CAP_TYPE_FD, 1, 0, CAP_GEN_RETIRED - 1);
    cap_token_t t = cap_token_make(0, w);
    CHECK(!capw_next_empty(w, &e));
    CHECK(!capw_valid(e));
    CHECK_EQ(capw_gen(e), CAP_GEN_RETIRED);
    CHECK(capw_retired(e));
    CHECK(!cap_token_matches(t, e));

    /* A retired word stays retired. */
    cap_word_t e2;
    CHECK(!capw_next_empty(e, &e2));
    CHECK(capw_retired(e2));
    CHECK_EQ(e2, e);

    /* Valid words are never "retired", whatever their generation. */
    CHECK(!capw_retired(capw_make(CAP_TYPE_FD, 1, 0, CAP_GEN_RETIRED)));
    CHECK(!capw_retired(0));
}

TEST(capw_drop_sequence_never_reuses_generation)
{
    /* Walk one slot from gen 0xfffffff0 to retirement: each live token
     * dies at its drop and no generation repeats. */
    cap_word_t w = capw_make(CAP_TYPE_FD, 3, 0, 0xfffffff0u);
    cap_token_t prev[32];
    int n = 0;
    for (;;) {
        cap_token_t t = cap_token_make(9, w);
        for (int i = 0; i < n; i++)
            CHECK(!cap_token_matches(prev[i], w));
        prev[n++] = t;
        cap_word_t e;
        bool ok = capw_next_empty(w, &e);
        CHECK(!cap_token_matches(t, e));
        if (!ok) {
            CHECK(capw_retired(e));
            break;
        }
        w = capw_make(CAP_TYPE_FD, 3, 0, capw_gen(e));
        REQUIRE(n < 32);
    }
    CHECK_EQ(n, 15); /* gens 0xfffffff0 .. 0xfffffffe */
}
