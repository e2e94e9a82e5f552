/*
 * The kernel's count-leading-zeros and count-trailing-zeros. The kernel
 * is built for rv64imac (no Zbb), so __builtin_clzll / __builtin_ctzll
 * become calls to libgcc's __clzdi2 / __ctzdi2, which go through a byte
 * table with a branch per step (33-37 instructions each; they are on
 * the scheduler's pick, the cap slot allocator and signal delivery).
 * These definitions come before libgcc in the link, so they replace it:
 * both are a few straight-line instructions and one table load (a de
 * Bruijn sequence: multiplying a single set bit 2^k by it puts a
 * distinct 6-bit pattern in the top bits for each k). The builtins are
 * undefined for 0 and every caller tests for it first; for 0 these
 * give what libgcc's give (clz 64, ctz -1).
 * Pure functions, no state: no lock.
 */
#include <stdint.h>

#define BITOPS_DEBRUIJN 0x03f79d71b4ca8b09ull

static const uint8_t bitops_pos[64] = {
    0,  1,  56, 2,  57, 49, 28, 3,  61, 58, 42, 50, 38, 29, 17, 4,
    62, 47, 59, 36, 45, 43, 51, 22, 53, 39, 33, 30, 24, 18, 12, 5,
    63, 55, 48, 27, 60, 41, 37, 16, 46, 35, 44, 21, 52, 32, 23, 11,
    54, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6};

/* The index of the single set bit of b. */
static inline int bitops_index(uint64_t b)
{
    return bitops_pos[(b * BITOPS_DEBRUIJN) >> 58];
}

int __ctzdi2(uint64_t x);
int __clzdi2(uint64_t x);

int __ctzdi2(uint64_t x)
{
    if (!x)
        return -1;
    return bitops_index(x & -x);
}

int __clzdi2(uint64_t x)
{
    if (!x)
        return 64;
    /* Every bit below the highest set one set too, then the highest
     * alone. */
    x |= x >> 1;
    x |= x >> 2;
    x |= x >> 4;
    x |= x >> 8;
    x |= x >> 16;
    x |= x >> 32;
    return 63 - bitops_index(x ^ (x >> 1));
}
