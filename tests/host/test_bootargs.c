/* Host tests for fdt_bootarg_u32 (board/fdt.c): the kernel's options
 * from /chosen bootargs (QEMU's -append), e.g. keel.turn_us=N. */
#include "board/fdt.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

TEST(bootarg_found_among_words)
{
    uint32_t v = 7;
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us=10", "keel.turn_us", &v), 0);
    CHECK_EQ(v, 10);
    CHECK_EQ(fdt_bootarg_u32("a=1  keel.turn_us=0 b", "keel.turn_us", &v), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(fdt_bootarg_u32("x keel.turn_us=4294967295", "keel.turn_us", &v),
             0);
    CHECK_EQ(v, 4294967295u);
}

TEST(bootarg_absent_or_other_key)
{
    uint32_t v = 7;
    CHECK_EQ(fdt_bootarg_u32(NULL, "keel.turn_us", &v), -ENOENT);
    CHECK_EQ(fdt_bootarg_u32("", "keel.turn_us", &v), -ENOENT);
    /* a longer key, a prefix of the key, the key as a value */
    CHECK_EQ(fdt_bootarg_u32("keel.turn_usx=1 keel.turn=2 a=keel.turn_us=3",
                             "keel.turn_us", &v),
             -ENOENT);
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us", "keel.turn_us", &v), -ENOENT);
    CHECK_EQ(v, 7); /* untouched */
}

TEST(bootarg_bad_value)
{
    uint32_t v = 7;
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us=", "keel.turn_us", &v), -EINVAL);
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us=10us", "keel.turn_us", &v), -EINVAL);
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us=-1", "keel.turn_us", &v), -EINVAL);
    CHECK_EQ(fdt_bootarg_u32("keel.turn_us=4294967296", "keel.turn_us", &v),
             -EINVAL);
    CHECK_EQ(v, 7);
}
