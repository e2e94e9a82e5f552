/*
 * Bitmaps over arrays of 64-bit words. Bit i lives in word i / 64 at
 * position i % 64. Pure and lock-free: callers serialise access.
 */
#ifndef KEEL_BITMAP_H
#define KEEL_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITMAP_WORD_BITS 64u
/* Words needed to hold n bits. */
#define BITMAP_WORDS(n) (((n) + BITMAP_WORD_BITS - 1) / BITMAP_WORD_BITS)

static inline void bitmap_set(uint64_t *w, unsigned i)
{
    w[i / BITMAP_WORD_BITS] |= 1ull << (i % BITMAP_WORD_BITS);
}

static inline void bitmap_clear(uint64_t *w, unsigned i)
{
    w[i / BITMAP_WORD_BITS] &= ~(1ull << (i % BITMAP_WORD_BITS));
}

static inline bool bitmap_test(const uint64_t *w, unsigned i)
{
    return (w[i / BITMAP_WORD_BITS] >> (i % BITMAP_WORD_BITS)) & 1u;
}

/* Index of the lowest set bit in the first nwords words, or -1. */
static inline int bitmap_find_first_set(const uint64_t *w, unsigned nwords)
{
    for (unsigned i = 0; i < nwords; i++) {
        if (w[i])
            return (int)(i * BITMAP_WORD_BITS + __builtin_ctzll(w[i]));
    }
    return -1;
}

/* Index of the lowest clear bit in the first nwords words, or -1. A
 * caller whose bit count is not a multiple of 64 must keep the unused
 * top bits of the last word set, or check the result against its count. */
static inline int bitmap_find_first_clear(const uint64_t *w, unsigned nwords)
{
    for (unsigned i = 0; i < nwords; i++) {
        if (~w[i])
            return (int)(i * BITMAP_WORD_BITS + __builtin_ctzll(~w[i]));
    }
    return -1;
}

#endif
