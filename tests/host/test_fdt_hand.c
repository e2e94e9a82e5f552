/* Host tests for board/fdt.c on blobs built by hand: cells handling,
 * initrd forms, cpu filtering, and malformed structure. */
#include "board/fdt.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

#include <stdint.h>

#define MiB (1024ull * 1024)

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

/* ---- a tiny FDT writer for hand-made blobs ---- */

struct fdtw {
    uint8_t st[4096];
    size_t nst;
    char str[1024];
    size_t nstr;
};

static void w_tok(struct fdtw *w, uint32_t v)
{
    put32(w->st + w->nst, v);
    w->nst += 4;
}

static void w_bytes(struct fdtw *w, const void *p, size_t n)
{
    memcpy(w->st + w->nst, p, n);
    w->nst += n;
    while (w->nst % 4)
        w->st[w->nst++] = 0;
}

static uint32_t w_name(struct fdtw *w, const char *name)
{
    for (size_t i = 0; i < w->nstr; i += strlen(w->str + i) + 1) {
        if (strcmp(w->str + i, name) == 0)
            return (uint32_t)i;
    }
    uint32_t off = (uint32_t)w->nstr;
    strcpy(w->str + off, name);
    w->nstr += strlen(name) + 1;
    return off;
}

static void begin(struct fdtw *w, const char *name)
{
    w_tok(w, FDT_BEGIN_NODE);
    w_bytes(w, name, strlen(name) + 1);
}

static void end(struct fdtw *w)
{
    w_tok(w, FDT_END_NODE);
}

static void prop(struct fdtw *w, const char *name, const void *v, size_t n)
{
    w_tok(w, FDT_PROP);
    w_tok(w, (uint32_t)n);
    w_tok(w, w_name(w, name));
    w_bytes(w, v, n);
}

static void prop_u32(struct fdtw *w, const char *name, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    prop(w, name, b, 4);
}

static void prop_u64(struct fdtw *w, const char *name, uint64_t v)
{
    uint8_t b[8];
    put32(b, (uint32_t)(v >> 32));
    put32(b + 4, (uint32_t)v);
    prop(w, name, b, 8);
}

static void prop_str(struct fdtw *w, const char *name, const char *s)
{
    prop(w, name, s, strlen(s) + 1);
}

/* Cells: up to 4 u32 values. */
static void prop_cells(struct fdtw *w, const char *name, int n, uint32_t a,
                       uint32_t b, uint32_t c, uint32_t d)
{
    uint8_t buf[16];
    uint32_t v[4] = {a, b, c, d};
    for (int i = 0; i < n; i++)
        put32(buf + 4 * i, v[i]);
    prop(w, name, buf, 4 * (size_t)n);
}

/* Assemble header + empty reservation map + struct + strings. */
static uint8_t *finish(struct fdtw *w, size_t *size)
{
    size_t off_st = 40 + 16;
    size_t off_str = off_st + w->nst;
    size_t total = off_str + w->nstr;
    uint8_t *b = calloc(1, total);
    if (!b)
        abort();
    put32(b, FDT_MAGIC);
    put32(b + 4, (uint32_t)total);
    put32(b + 8, (uint32_t)off_st);
    put32(b + 12, (uint32_t)off_str);
    put32(b + 16, 40);
    put32(b + 20, 17);
    put32(b + 24, 16);
    put32(b + 32, (uint32_t)w->nstr);
    put32(b + 36, (uint32_t)w->nst);
    memcpy(b + off_st, w->st, w->nst);
    memcpy(b + off_str, w->str, w->nstr);
    *size = total;
    return b;
}

static void w_cpu(struct fdtw *w, const char *name, uint32_t id,
                  const char *type, const char *status)
{
    begin(w, name);
    if (type)
        prop_str(w, "device_type", type);
    prop_u32(w, "reg", id);
    if (status)
        prop_str(w, "status", status);
    begin(w, "interrupt-controller");
    prop_u32(w, "#interrupt-cells", 1);
    end(w);
    end(w);
}

/* A plausible board: 1/1 root cells, memory at 0x40000000 (64 MiB). */
static void w_basic(struct fdtw *w)
{
    memset(w, 0, sizeof(*w));
    begin(w, "");
    prop_u32(w, "#address-cells", 1);
    prop_u32(w, "#size-cells", 1);
    begin(w, "memory@40000000");
    prop_str(w, "device_type", "memory");
    prop_cells(w, "reg", 2, 0x40000000, 0x04000000, 0, 0);
    end(w);
}

TEST(fdt_hand_cells_and_initrd32)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    w_basic(&w);
    begin(&w, "chosen");
    prop_u32(&w, "linux,initrd-start", 0x41000000);
    prop_u32(&w, "linux,initrd-end", 0x41001000);
    end(&w);
    begin(&w, "cpus");
    prop_u32(&w, "#address-cells", 1);
    prop_u32(&w, "#size-cells", 0);
    prop_u32(&w, "timebase-frequency", 1000000);
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.mem_base, 0x40000000);
    CHECK_EQ(info.mem_size, 64 * MiB);
    CHECK_EQ(info.initrd_start, 0x41000000);
    CHECK_EQ(info.initrd_end, 0x41001000);
    CHECK_EQ(info.timebase_freq, 1000000);
    CHECK_EQ(info.nharts, 1);
    CHECK(info.bootargs == NULL);
    free(b);
}

TEST(fdt_hand_initrd64_and_nops)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    memset(&w, 0, sizeof(w));
    w_tok(&w, FDT_NOP);
    begin(&w, "");
    w_tok(&w, FDT_NOP);
    /* no root cells: defaults 2/2 */
    begin(&w, "memory@100000000");
    prop_cells(&w, "reg", 4, 0x1, 0x0, 0x0, 0x80000000);
    end(&w);
    begin(&w, "chosen");
    prop_u64(&w, "linux,initrd-start", 0x123456789000ull);
    w_tok(&w, FDT_NOP);
    prop_u64(&w, "linux,initrd-end", 0x12345678a000ull);
    prop_str(&w, "bootargs", "console=ttyS0");
    end(&w);
    begin(&w, "cpus");
    prop_u64(&w, "timebase-frequency", 0x100000000ull);
    w_cpu(&w, "cpu@3", 3, "cpu", "okay");
    w_tok(&w, FDT_NOP);
    end(&w);
    end(&w);
    w_tok(&w, FDT_NOP);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.mem_base, 0x100000000ull);
    CHECK_EQ(info.mem_size, 0x80000000ull);
    CHECK_EQ(info.initrd_start, 0x123456789000ull);
    CHECK_EQ(info.initrd_end, 0x12345678a000ull);
    CHECK_EQ(info.timebase_freq, 0x100000000ull);
    CHECK_EQ(info.nharts, 1);
    CHECK_EQ(info.hart_ids[0], 3);
    /* bootargs points into the blob itself (kept for good by the kernel) */
    CHECK_EQ(fdt_parse(b, n, &info), 0);
    CHECK_STR_EQ(info.bootargs, "console=ttyS0");
    free(b);
}

/* A bootargs without its NUL is not a string: the blob is malformed. */
TEST(fdt_hand_bootargs_unterminated)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    w_basic(&w);
    begin(&w, "chosen");
    prop(&w, "bootargs", "keel.turn_us=10", 15);
    end(&w);
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), -EINVAL);
    CHECK(info.bootargs == NULL);
    free(b);
}

TEST(fdt_hand_cpu_filtering)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    w_basic(&w);
    begin(&w, "cpus");
    prop_u32(&w, "#address-cells", 1);
    prop_u32(&w, "timebase-frequency", 10000000);
    w_cpu(&w, "cpu@0", 0, "cpu", "okay");
    w_cpu(&w, "cpu@1", 1, "cpu", "disabled");
    w_cpu(&w, "cpu@2", 2, NULL, "okay"); /* no device_type */
    w_cpu(&w, "cpu@4", 4, "cpu", "ok");  /* old spelling */
    w_cpu(&w, "cpu@5", 5, "cpux", NULL); /* wrong type */
    w_cpu(&w, "cpu@6", 6, "cpu", "fail");
    w_cpu(&w, "cpu@7", 7, "cpu", NULL);
    begin(&w, "cpu-map");
    begin(&w, "cluster0");
    begin(&w, "core0");
    prop_u32(&w, "cpu", 1);
    end(&w);
    end(&w);
    end(&w);
    end(&w);
    /* A cpu-typed node outside /cpus is not a hart. */
    begin(&w, "soc");
    w_cpu(&w, "cpu@9", 9, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.nharts, 3);
    CHECK_EQ(info.hart_ids[0], 0);
    CHECK_EQ(info.hart_ids[1], 4);
    CHECK_EQ(info.hart_ids[2], 7);
    free(b);
}

TEST(fdt_hand_many_cpus_capped)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    char name[16];
    w_basic(&w);
    begin(&w, "cpus");
    prop_u32(&w, "#address-cells", 2); /* 64-bit hart ids */
    for (uint32_t i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "cpu@%u", i);
        begin(&w, name);
        prop_str(&w, "device_type", "cpu");
        prop_cells(&w, "reg", 2, 0, 100 + i, 0, 0);
        end(&w);
    }
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.nharts, FDT_MAX_HARTS);
    for (int i = 0; i < FDT_MAX_HARTS; i++)
        CHECK_EQ(info.hart_ids[i], 100 + i);
    free(b);
}

TEST(fdt_hand_memory_by_device_type)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    memset(&w, 0, sizeof(w));
    begin(&w, "");
    begin(&w, "flash@20000000"); /* not memory */
    prop_cells(&w, "reg", 4, 0, 0x20000000, 0, 0x1000000);
    end(&w);
    begin(&w, "ram@0");
    prop_cells(&w, "reg", 4, 0, 0x0, 0, 0x2000000); /* reg first */
    prop_str(&w, "device_type", "memory");
    end(&w);
    begin(&w, "memory@80000000"); /* a second region: ignored */
    prop_cells(&w, "reg", 4, 0, 0x80000000, 0, 0x1000000);
    end(&w);
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.mem_base, 0);
    CHECK_EQ(info.mem_size, 0x2000000);
    CHECK_EQ(info.timebase_freq, 0);
    CHECK_EQ(info.initrd_start, 0);
    free(b);
}

/* A memory node whose first region is empty does not count; the next
 * memory node supplies the region. */
TEST(fdt_hand_empty_memory_region)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    memset(&w, 0, sizeof(w));
    begin(&w, "");
    begin(&w, "memory@0");
    prop_cells(&w, "reg", 4, 0, 0x1000, 0, 0);
    end(&w);
    begin(&w, "memory@80000000");
    prop_cells(&w, "reg", 4, 0, 0x80000000, 0, 0x1000000);
    end(&w);
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.mem_base, 0x80000000ull);
    CHECK_EQ(info.mem_size, 0x1000000);
    free(b);
}

TEST(fdt_hand_missing_pieces)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    uint8_t *b;

    /* No cpus: -ENOENT, memory still reported. */
    w_basic(&w);
    end(&w);
    w_tok(&w, FDT_END);
    b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), -ENOENT);
    CHECK_EQ(info.mem_size, 64 * MiB);
    free(b);

    /* No memory: -ENOENT. */
    memset(&w, 0, sizeof(w));
    begin(&w, "");
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), -ENOENT);
    CHECK_EQ(info.nharts, 1);
    free(b);

    /* Only one initrd bound, or an inverted range: no initrd. */
    w_basic(&w);
    begin(&w, "chosen");
    prop_u32(&w, "linux,initrd-start", 0x5000);
    end(&w);
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.initrd_start, 0);
    CHECK_EQ(info.initrd_end, 0);
    free(b);

    w_basic(&w);
    begin(&w, "chosen");
    prop_u32(&w, "linux,initrd-start", 0x5000);
    prop_u32(&w, "linux,initrd-end", 0x4000);
    end(&w);
    begin(&w, "cpus");
    w_cpu(&w, "cpu@0", 0, "cpu", NULL);
    end(&w);
    end(&w);
    w_tok(&w, FDT_END);
    b = finish(&w, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.initrd_start, 0);
    free(b);
}

/* Malformed structure: each must give -EINVAL. */
enum malformed {
    M_BAD_TOKEN,
    M_EXTRA_END_NODE,
    M_SECOND_ROOT,
    M_NO_END,
    M_UNCLOSED,
    M_PROP_AT_TOP,
    M_PROP_LEN_HUGE,
    M_NAMEOFF_OUT,
    M_NAME_UNTERMINATED,
    M_INITRD_3_BYTES,
    M_CELLS_LEN,
    M_MEM_REG_SHORT,
    M_CPU_REG_SHORT,
    M_ROOT_CELLS_3,
    M_CPU_ID_64,
    M_INITRD_END_5_BYTES,
    M_TIMEBASE_2_BYTES,
    M_CPUS_CELLS_LEN,
    M_CPUS_CELLS_3,
    M_COUNT
};

static uint8_t *build_malformed(int m, size_t *size)
{
    static struct fdtw w;
    memset(&w, 0, sizeof(w));
    if (m == M_PROP_AT_TOP)
        prop_u32(&w, "x", 1);
    begin(&w, "");
    if (m == M_ROOT_CELLS_3)
        prop_u32(&w, "#address-cells", 3);
    if (m == M_CELLS_LEN)
        prop_u64(&w, "#size-cells", 2);
    begin(&w, "memory@0");
    prop_cells(&w, "reg", m == M_MEM_REG_SHORT ? 3 : 4, 0, 0, 0, 0x1000000);
    end(&w);
    begin(&w, "chosen");
    if (m == M_INITRD_3_BYTES)
        prop(&w, "linux,initrd-start", "\x01\x02\x03", 3);
    if (m == M_INITRD_END_5_BYTES)
        prop(&w, "linux,initrd-end", "\x01\x02\x03\x04\x05", 5);
    if (m == M_PROP_LEN_HUGE) {
        w_tok(&w, FDT_PROP);
        w_tok(&w, 0xfffffff0);
        w_tok(&w, w_name(&w, "bootargs"));
    }
    if (m == M_NAMEOFF_OUT) {
        w_tok(&w, FDT_PROP);
        w_tok(&w, 0);
        w_tok(&w, 5000);
    }
    end(&w);
    begin(&w, "cpus");
    if (m == M_CPU_ID_64)
        prop_u32(&w, "#address-cells", 2);
    if (m == M_TIMEBASE_2_BYTES)
        prop(&w, "timebase-frequency", "\x01\x02", 2);
    if (m == M_CPUS_CELLS_LEN)
        prop_u64(&w, "#address-cells", 1);
    if (m == M_CPUS_CELLS_3)
        prop_u32(&w, "#address-cells", 3);
    begin(&w, "cpu@0");
    prop_str(&w, "device_type", "cpu");
    if (m == M_CPU_REG_SHORT)
        prop(&w, "reg", "\0\0", 2);
    else if (m == M_CPU_ID_64)
        prop_cells(&w, "reg", 2, 1, 0, 0, 0);
    else
        prop_u32(&w, "reg", 0);
    end(&w);
    end(&w);
    if (m == M_BAD_TOKEN)
        w_tok(&w, 7);
    if (m != M_UNCLOSED)
        end(&w);
    if (m == M_EXTRA_END_NODE)
        end(&w);
    if (m == M_SECOND_ROOT) {
        begin(&w, "");
        end(&w);
    }
    if (m != M_NO_END)
        w_tok(&w, FDT_END);
    uint8_t *b = finish(&w, size);
    if (m == M_NAME_UNTERMINATED) {
        /* Fill the strings block's last NUL: the last name runs off. */
        b[*size - 1] = 'x';
    }
    return b;
}

TEST(fdt_malformed_structure)
{
    struct fdt_info info;
    size_t n;
    for (int m = 0; m < M_COUNT; m++) {
        uint8_t *b = build_malformed(m, &n);
        int r = parse_copy(b, n, &info);
        if (r != -EINVAL)
            printf("  malformed case %d gave %d\n", m, r);
        CHECK_EQ(r, -EINVAL);
        free(b);
    }
    /* The same builder without a defect parses. */
    uint8_t *b = build_malformed(M_COUNT, &n);
    CHECK_EQ(parse_copy(b, n, &info), 0);
    CHECK_EQ(info.mem_size, 0x1000000);
    free(b);
}

/* The goldfish RTC: found under /soc with the bus's #address-cells (and
 * as a later entry of a compatible list), or as a child of the root with
 * the root's cells; a node that is not compatible is ignored. */
TEST(fdt_hand_goldfish_rtc)
{
    struct fdtw w;
    struct fdt_info info;
    size_t n;
    static const char compat[] = "vendor,other\0google,goldfish-rtc";
    for (int where = 0; where < 3; where++) {
        w_basic(&w);
        begin(&w, "cpus");
        prop_u32(&w, "#address-cells", 1);
        prop_u32(&w, "#size-cells", 0);
        w_cpu(&w, "cpu@0", 0, "cpu", NULL);
        end(&w);
        if (where == 0) {
            begin(&w, "soc");
            prop_u32(&w, "#address-cells", 2);
            prop_u32(&w, "#size-cells", 2);
            begin(&w, "rtc@ff000000");
            prop_str(&w, "compatible", "google,goldfish-rtc-old");
            prop_cells(&w, "reg", 4, 0, 0xff000000, 0, 0x1000);
            end(&w);
            begin(&w, "rtc@2101000");
            prop(&w, "compatible", compat, sizeof(compat));
            prop_cells(&w, "reg", 4, 0x1, 0x02101000, 0, 0x1000);
            end(&w);
            end(&w);
        } else if (where == 1) {
            begin(&w, "rtc@101000"); /* root cells: 1 */
            prop_str(&w, "compatible", "google,goldfish-rtc");
            prop_cells(&w, "reg", 2, 0x101000, 0x1000, 0, 0);
            end(&w);
        }
        end(&w);
        w_tok(&w, FDT_END);
        uint8_t *b = finish(&w, &n);
        CHECK_EQ(parse_copy(b, n, &info), 0);
        uint64_t want = where == 0 ? 0x102101000ull : where == 1 ? 0x101000 : 0;
        CHECK_EQ(info.rtc_base, want);
        free(b);
    }
}

/* Random corruption of a real blob: never crashes under ASan, returns
 * only 0, -EINVAL or -ENOENT, and any success is in range. */
