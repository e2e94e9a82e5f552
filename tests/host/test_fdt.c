/* Host tests for board/fdt.c on real QEMU virt DTBs (dumped with
 * -machine virt,dumpdtb=..., trimmed to totalsize) and corrupted copies.
 * Hand-built blobs are in test_fdt_hand.c. */
#include "board/fdt.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

#include <stdint.h>

#define MiB (1024ull * 1024)

/* Load tests/host/data/<name> (relative to the repo root, or to
 * $KEEL_TEST_DATA) into an exactly-sized heap buffer. */
static uint8_t *load(const char *name, size_t *size)
{
    const char *dir = getenv("KEEL_TEST_DATA");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/host/data", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Parse a private, exactly-sized copy so ASan sees any overrun. */
static int parse_copy(const uint8_t *blob, size_t n, struct fdt_info *info)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, blob, n);
    int r = fdt_parse(copy, n, info);
    free(copy);
    return r;
}

static void check_virt(const char *file, int harts, uint64_t mem)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load(file, &n);
    REQUIRE(dtb != NULL);
    CHECK_EQ(get32(dtb + 4), n); /* stored trimmed to totalsize */
    CHECK_EQ(fdt_parse(dtb, n, &info), 0);
    CHECK_EQ(info.mem_base, 0x80000000ull);
    CHECK_EQ(info.mem_size, mem);
    CHECK_EQ(info.nharts, harts);
    for (int i = 0; i < harts; i++)
        CHECK_EQ(info.hart_ids[i], i);
    CHECK_EQ(info.timebase_freq, 10000000);
    CHECK_EQ(info.dtb_size, n);
    CHECK_EQ(info.initrd_start, 0);
    CHECK_EQ(info.initrd_end, 0);
    CHECK_EQ(info.rtc_base, 0x101000); /* /soc/rtc@101000, goldfish */
    free(dtb);
}

TEST(fdt_virt_4)
{
    check_virt("virt-4.dtb", 4, 256 * MiB);
}
TEST(fdt_virt_1)
{
    check_virt("virt-1.dtb", 1, 256 * MiB);
}
TEST(fdt_virt_8)
{
    check_virt("virt-8.dtb", 8, 256 * MiB);
}

/* -smp 2 -m 128M -kernel k -initrd <13-byte file> */
TEST(fdt_virt_initrd)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-2-initrd.dtb", &n);
    REQUIRE(dtb != NULL);
    CHECK_EQ(fdt_parse(dtb, n, &info), 0);
    CHECK_EQ(info.mem_base, 0x80000000ull);
    CHECK_EQ(info.mem_size, 128 * MiB);
    CHECK_EQ(info.nharts, 2);
    CHECK_EQ(info.hart_ids[1], 1);
    CHECK_EQ(info.initrd_start, 0x84200000ull);
    CHECK_EQ(info.initrd_end, 0x8420000dull);
    free(dtb);
}

TEST(fdt_max_size)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-4.dtb", &n);
    REQUIRE(dtb != NULL);
    CHECK_EQ(fdt_parse(dtb, n - 1, &info), -EINVAL);
    CHECK_EQ(info.nharts, 0);
    CHECK_EQ(info.mem_size, 0);
    CHECK_EQ(fdt_parse(dtb, 39, &info), -EINVAL);
    CHECK_EQ(fdt_parse(dtb, 0, &info), -EINVAL);
    CHECK_EQ(fdt_parse(NULL, n, &info), -EINVAL);
    /* A larger window than the blob is fine (the kernel passes a bound). */
    uint8_t *big = calloc(1, n + 4096);
    REQUIRE(big != NULL);
    memcpy(big, dtb, n);
    CHECK_EQ(fdt_parse(big, n + 4096, &info), 0);
    CHECK_EQ(info.nharts, 4);
    free(big);
    free(dtb);
}

/* Every prefix, with and without totalsize patched to match. */
TEST(fdt_every_truncation)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-4.dtb", &n);
    REQUIRE(dtb != NULL);
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        if (parse_copy(dtb, k, &info) != -EINVAL)
            bad++;
        if (k >= 8) {
            uint8_t *c = malloc(k);
            memcpy(c, dtb, k);
            put32(c + 4, (uint32_t)k);
            if (fdt_parse(c, k, &info) != -EINVAL)
                bad++;
            free(c);
        }
    }
    CHECK_EQ(bad, 0);
    free(dtb);
}

/* The struct block cut short at every token boundary and mid-token. */
TEST(fdt_struct_block_cut)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-4.dtb", &n);
    REQUIRE(dtb != NULL);
    uint32_t size_struct = get32(dtb + 36);
    int bad = 0;
    for (uint32_t k = 0; k < size_struct; k++) {
        put32(dtb + 36, k);
        if (parse_copy(dtb, n, &info) != -EINVAL)
            bad++;
    }
    CHECK_EQ(bad, 0);
    put32(dtb + 36, size_struct);
    CHECK_EQ(parse_copy(dtb, n, &info), 0);
    free(dtb);
}

TEST(fdt_bad_header)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-4.dtb", &n);
    REQUIRE(dtb != NULL);
    uint8_t *c = malloc(n);
    REQUIRE(c != NULL);
    static const struct {
        unsigned off;
        uint32_t val;
    } cases[] = {
        {0, 0xd00dfeee},  /* magic */
        {0, 0xedfe0dd0},  /* byte-swapped magic */
        {4, 39},          /* totalsize below the header */
        {4, 0xffffffff},  /* totalsize beyond max_size */
        {8, 0xffffff00},  /* off_dt_struct */
        {8, 58},          /* misaligned struct block */
        {8, 4},           /* struct block inside the header */
        {12, 0xfffffff0}, /* off_dt_strings */
        {20, 16},         /* version 16 */
        {24, 18},         /* last_comp_version 18 */
        {32, 0xffffffff}, /* size_dt_strings */
        {32, 0x80000000}, /* size_dt_strings (sum overflows 32 bits) */
        {36, 0xffffffff}, /* size_dt_struct */
        {36, 0xfffffff0}, /* size_dt_struct */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(c, dtb, n);
        put32(c + cases[i].off, cases[i].val);
        int r = fdt_parse(c, n, &info);
        if (r != -EINVAL)
            printf("  header case %u gave %d\n", i, r);
        CHECK_EQ(r, -EINVAL);
    }
    free(c);
    free(dtb);
}

TEST(fdt_fuzz)
{
    size_t n;
    struct fdt_info info;
    uint8_t *dtb = load("virt-8.dtb", &n);
    REQUIRE(dtb != NULL);
    uint8_t *c = malloc(n);
    REQUIRE(c != NULL);
    uint64_t rng = 0x243f6a8885a308d3ull;
    int bad = 0, ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(c, dtb, n);
        int flips = 1 + iter % 8;
        for (int f = 0; f < flips; f++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t at = (rng >> 16) % n;
            if (iter % 3 == 0)
                c[at] = (uint8_t)(rng >> 8); /* random byte */
            else
                c[at] ^= (uint8_t)(1u << (rng & 7));
        }
        int r = fdt_parse(c, n, &info);
        if (r == 0) {
            ok++;
            if (info.nharts < 1 || info.nharts > FDT_MAX_HARTS)
                bad++;
        } else if (r != -EINVAL && r != -ENOENT) {
            bad++;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(ok > 0); /* some flips hit harmless bytes */
    free(c);
    free(dtb);
}
