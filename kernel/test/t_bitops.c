/* In-kernel tests of kernel/lib/bitops.c, the kernel's own __clzdi2 and
 * __ctzdi2 (what __builtin_clzll / __builtin_ctzll call): every single
 * bit, every bit with all bits above / below it set, and random values,
 * against a plain bit-by-bit count; 0 gives what libgcc's give. */
#include "ktest.h"

int __ctzdi2(uint64_t x);
int __clzdi2(uint64_t x);

static int slow_clz(uint64_t x)
{
    int n = 0;
    for (uint64_t b = 1ull << 63; b && !(x & b); b >>= 1)
        n++;
    return n;
}

static int slow_ctz(uint64_t x)
{
    int n = 0;
    for (uint64_t b = 1; b && !(x & b); b <<= 1)
        n++;
    return n;
}

KTEST(bitops_clz_ctz_match_bit_count)
{
    for (int k = 0; k < 64; k++) {
        uint64_t b = 1ull << k;
        KT_CHECK_EQ(__ctzdi2(b), k);
        KT_CHECK_EQ(__clzdi2(b), 63 - k);
        KT_CHECK_EQ(__ctzdi2(~0ull << k), k); /* bits above set too */
        KT_CHECK_EQ(__clzdi2(~0ull >> k), k); /* bits below set too */
        KT_CHECK_EQ(__builtin_ctzll(b | (1ull << 63)), k);
        KT_CHECK_EQ(__builtin_clzll(b | 1), 63 - k);
    }
    KT_CHECK_EQ(__clzdi2(0), 64); /* what libgcc's give */
    KT_CHECK_EQ(__ctzdi2(0), -1);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 4000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        uint64_t x = r >> (i % 64); /* values of every width */
        if (!x)
            continue;
        KT_CHECK_EQ(__clzdi2(x), slow_clz(x));
        KT_CHECK_EQ(__ctzdi2(x), slow_ctz(x));
    }
}
