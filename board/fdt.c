/*
 * Flattened-devicetree reader; see fdt.h. All offsets are kept as
 * uint64_t and compared against the end of their block before any byte
 * is read, so no file value can make a read leave [dtb, dtb + totalsize).
 */
#include "fdt.h"
#include "../kernel/include/errno.h"

#include <stdbool.h>

#define FDT_HDR_SIZE 40u /* v17 header */
#define FDT_VERSION 17u

struct fdt_blob {
    const uint8_t *b;
    uint64_t struct_off, struct_end; /* struct block [off, end) */
    uint64_t strings_off, strings_size;
};

/* What the walk gathers about the node currently open at depth 2 (a
 * child of the root) and at depth 3 (a child of /cpus). */
enum top_kind { TOP_OTHER, TOP_MEMORY, TOP_CHOSEN, TOP_CPUS, TOP_SOC };

struct walk {
    uint32_t root_ac, root_sc; /* root #address-cells / #size-cells */
    uint32_t cpus_ac;          /* /cpus #address-cells */
    uint32_t soc_ac;           /* /soc #address-cells */
    enum top_kind top;
    /* depth-2 node */
    bool mem_type;             /* device_type = "memory" */
    uint64_t reg_off, reg_len; /* its "reg", reg_len 0 if none */
    bool have_mem;
    bool rtc_compat; /* compatible has "google,goldfish-rtc" */
    bool have_start, have_end;
    uint64_t initrd_start, initrd_end;
    /* depth-3 node under /cpus */
    bool cpu_type, cpu_ok, cpu_have_reg;
    uint64_t cpu_reg_off, cpu_reg_len;
    /* depth-3 node under /soc */
    bool dev_rtc;
    uint64_t dev_reg_off, dev_reg_len;
    bool have_rtc;
};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Cells value of 1 or 2 cells; the caller checked the bytes exist. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < cells; i++)
        v = (v << 32) | be32(p + 4 * i);
    return v;
}

/* A 4- or 8-byte integer property. */
static int read_int(const uint8_t *p, uint64_t len, uint64_t *v)
{
    if (len != 4 && len != 8)
        return -EINVAL;
    *v = read_cells(p, (uint32_t)(len / 4));
    return 0;
}

/* s is a NUL-terminated string; does [p, p+len) start with it, NUL
 * included (the first entry of a string list)? */
static bool prop_is(const uint8_t *p, uint64_t len, const char *s)
{
    uint64_t i = 0;
    for (; s[i]; i++) {
        if (i >= len || p[i] != (uint8_t)s[i])
            return false;
    }
    return i < len && p[i] == 0;
}

/* Does the string list [p, p+len) hold s as one of its entries? */
static bool prop_has(const uint8_t *p, uint64_t len, const char *s)
{
    for (uint64_t off = 0; off < len;) {
        if (prop_is(p + off, len - off, s))
            return true;
        while (off < len && p[off])
            off++;
        off++; /* past the NUL */
    }
    return false;
}

static bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Node name is exactly `base` or `base@unit`. */
static bool name_is(const char *name, const char *base)
{
    while (*base && *name == *base) {
        name++;
        base++;
    }
    return *base == 0 && (*name == 0 || *name == '@');
}

/* A NUL-terminated string starting at off and ending before end. */
static bool str_in(const uint8_t *b, uint64_t off, uint64_t end)
{
    for (uint64_t i = off; i < end; i++) {
        if (b[i] == 0)
            return true;
    }
    return false;
}

static uint64_t align4(uint64_t x)
{
    return (x + 3) & ~(uint64_t)3;
}

static int check_header(const uint8_t *b, size_t max_size,
                        struct fdt_blob *blob)
{
    if (max_size < FDT_HDR_SIZE || be32(b) != FDT_MAGIC)
        return -EINVAL;
    uint64_t total = be32(b + 4);
    uint64_t off_struct = be32(b + 8);
    uint64_t off_strings = be32(b + 12);
    uint32_t version = be32(b + 20);
    uint32_t last_comp = be32(b + 24);
    uint64_t size_strings = be32(b + 32);
    uint64_t size_struct = be32(b + 36);

    if (total < FDT_HDR_SIZE || total > max_size)
        return -EINVAL;
    if (version < FDT_VERSION || last_comp > FDT_VERSION)
        return -EINVAL;
    if (off_struct < FDT_HDR_SIZE || off_struct % 4 != 0 ||
        off_struct > total || size_struct > total - off_struct)
        return -EINVAL;
    if (off_strings < FDT_HDR_SIZE || off_strings > total ||
        size_strings > total - off_strings)
        return -EINVAL;
    blob->b = b;
    blob->struct_off = off_struct;
    blob->struct_end = off_struct + size_struct;
    blob->strings_off = off_strings;
    blob->strings_size = size_strings;
    return 0;
}

/* Decode the first (address, size) pair of a memory node's reg. */
static int finish_memory(const struct fdt_blob *blob, struct walk *w,
                         struct fdt_info *out)
{
    uint32_t ac = w->root_ac, sc = w->root_sc;
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
        return -EINVAL;
    if (w->reg_len < 4 * (uint64_t)(ac + sc))
        return -EINVAL;
    const uint8_t *p = blob->b + w->reg_off;
    uint64_t size = read_cells(p + 4 * ac, sc);
    if (size == 0)
        return 0; /* an empty region: keep looking */
    out->mem_base = read_cells(p, ac);
    out->mem_size = size;
    w->have_mem = true;
    return 0;
}

#define RTC_COMPAT "google,goldfish-rtc"

/* The first address of a reg with `ac` address cells, as the RTC base. */
static int finish_rtc(const struct fdt_blob *blob, struct walk *w, uint32_t ac,
                      uint64_t off, uint64_t len, struct fdt_info *out)
{
    if (ac < 1 || ac > 2 || len < 4 * (uint64_t)ac)
        return -EINVAL;
    out->rtc_base = read_cells(blob->b + off, ac);
    w->have_rtc = true;
    return 0;
}

static int finish_cpu(const struct fdt_blob *blob, struct walk *w,
                      struct fdt_info *out)
{
    if (!w->cpu_type || !w->cpu_ok || !w->cpu_have_reg)
        return 0;
    uint32_t ac = w->cpus_ac;
    if (ac < 1 || ac > 2 || w->cpu_reg_len < 4 * (uint64_t)ac)
        return -EINVAL;
    uint64_t id = read_cells(blob->b + w->cpu_reg_off, ac);
    if (id > 0xffffffffu)
        return -EINVAL;
    if (out->nharts < FDT_MAX_HARTS)
        out->hart_ids[out->nharts++] = (uint32_t)id;
    return 0;
}

/* Handle one property of the node open at `depth` (root = 1). */
static int on_prop(const struct fdt_blob *blob, struct walk *w, int depth,
                   const char *name, uint64_t voff, uint64_t len,
                   struct fdt_info *out)
{
    const uint8_t *v = blob->b + voff;
    uint64_t x;

    if (depth == 1) {
        bool ac = str_eq(name, "#address-cells");
        if (ac || str_eq(name, "#size-cells")) {
            if (len != 4)
                return -EINVAL;
            *(ac ? &w->root_ac : &w->root_sc) = be32(v);
        }
    } else if (depth == 2) {
        if (str_eq(name, "device_type")) {
            w->mem_type = prop_is(v, len, "memory");
        } else if (str_eq(name, "compatible")) {
            w->rtc_compat = prop_has(v, len, RTC_COMPAT);
        } else if (w->top == TOP_SOC && str_eq(name, "#address-cells")) {
            if (len != 4)
                return -EINVAL;
            w->soc_ac = be32(v);
        } else if (str_eq(name, "reg")) {
            w->reg_off = voff;
            w->reg_len = len;
        } else if (w->top == TOP_CHOSEN && str_eq(name, "linux,initrd-start")) {
            if (read_int(v, len, &w->initrd_start))
                return -EINVAL;
            w->have_start = true;
        } else if (w->top == TOP_CHOSEN && str_eq(name, "linux,initrd-end")) {
            if (read_int(v, len, &w->initrd_end))
                return -EINVAL;
            w->have_end = true;
        } else if (w->top == TOP_CHOSEN && str_eq(name, "bootargs")) {
            if (len == 0 || v[len - 1] != 0)
                return -EINVAL; /* not a string */
            out->bootargs = (const char *)v;
        } else if (w->top == TOP_CPUS && str_eq(name, "timebase-frequency")) {
            if (read_int(v, len, &x))
                return -EINVAL;
            out->timebase_freq = x;
        } else if (w->top == TOP_CPUS && str_eq(name, "#address-cells")) {
            if (len != 4)
                return -EINVAL;
            w->cpus_ac = be32(v);
        }
    } else if (depth == 3 && w->top == TOP_CPUS) {
        if (str_eq(name, "device_type")) {
            w->cpu_type = prop_is(v, len, "cpu");
        } else if (str_eq(name, "status")) {
            w->cpu_ok = prop_is(v, len, "okay") || prop_is(v, len, "ok");
        } else if (str_eq(name, "reg")) {
            w->cpu_have_reg = true;
            w->cpu_reg_off = voff;
            w->cpu_reg_len = len;
        }
    } else if (depth == 3 && w->top == TOP_SOC) {
        if (str_eq(name, "compatible")) {
            w->dev_rtc = prop_has(v, len, RTC_COMPAT);
        } else if (str_eq(name, "reg")) {
            w->dev_reg_off = voff;
            w->dev_reg_len = len;
        }
    }
    return 0;
}

static void begin_node(struct walk *w, int depth, const char *name)
{
    if (depth == 2) {
        if (name_is(name, "memory"))
            w->top = TOP_MEMORY;
        else if (name_is(name, "chosen"))
            w->top = TOP_CHOSEN;
        else if (name_is(name, "cpus"))
            w->top = TOP_CPUS;
        else if (name_is(name, "soc"))
            w->top = TOP_SOC;
        else
            w->top = TOP_OTHER;
        w->mem_type = false;
        w->rtc_compat = false;
        w->reg_len = 0;
        w->soc_ac = 2; /* the default #address-cells */
    } else if (depth == 3) {
        w->cpu_type = false;
        w->cpu_ok = true; /* status absent means okay */
        w->cpu_have_reg = false;
        w->dev_rtc = false;
        w->dev_reg_len = 0;
    }
}

static int end_node(const struct fdt_blob *blob, struct walk *w, int depth,
                    struct fdt_info *out)
{
    if (depth == 2 && !w->have_mem && w->reg_len &&
        (w->top == TOP_MEMORY || w->mem_type))
        return finish_memory(blob, w, out);
    if (depth == 2 && !w->have_rtc && w->rtc_compat && w->reg_len)
        return finish_rtc(blob, w, w->root_ac, w->reg_off, w->reg_len, out);
    if (depth == 3 && w->top == TOP_CPUS)
        return finish_cpu(blob, w, out);
    if (depth == 3 && w->top == TOP_SOC && !w->have_rtc && w->dev_rtc &&
        w->dev_reg_len)
        return finish_rtc(blob, w, w->soc_ac, w->dev_reg_off, w->dev_reg_len,
                          out);
    return 0;
}

static int walk_struct(const struct fdt_blob *blob, struct walk *w,
                       struct fdt_info *out)
{
    const uint8_t *b = blob->b;
    uint64_t pos = blob->struct_off, end = blob->struct_end;
    int depth = 0;
    bool root_done = false;

    for (;;) {
        if (end - pos < 4)
            return -EINVAL; /* ran off the block without FDT_END */
        uint32_t tok = be32(b + pos);
        pos += 4;
        int err = 0;

        switch (tok) {
        case FDT_BEGIN_NODE: {
            if (root_done || !str_in(b, pos, end))
                return -EINVAL;
            const char *name = (const char *)(b + pos);
            uint64_t n = 0;
            while (name[n])
                n++;
            pos = align4(pos + n + 1);
            if (pos > end)
                return -EINVAL;
            depth++;
            begin_node(w, depth, name);
            break;
        }
        case FDT_END_NODE:
            if (depth == 0)
                return -EINVAL;
            err = end_node(blob, w, depth, out);
            if (--depth == 0)
                root_done = true;
            break;
        case FDT_PROP: {
            if (depth == 0 || end - pos < 8)
                return -EINVAL;
            uint64_t len = be32(b + pos);
            uint64_t nameoff = be32(b + pos + 4);
            pos += 8;
            if (len > end - pos || nameoff >= blob->strings_size)
                return -EINVAL;
            uint64_t soff = blob->strings_off + nameoff;
            if (!str_in(b, soff, blob->strings_off + blob->strings_size))
                return -EINVAL;
            err = on_prop(blob, w, depth, (const char *)(b + soff), pos, len,
                          out);
            pos = align4(pos + len);
            if (pos > end)
                return -EINVAL;
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            return root_done ? 0 : -EINVAL;
        default:
            return -EINVAL;
        }
        if (err)
            return err;
    }
}

static void info_clear(struct fdt_info *out)
{
    out->mem_base = out->mem_size = 0;
    out->initrd_start = out->initrd_end = 0;
    out->nharts = 0;
    for (int i = 0; i < FDT_MAX_HARTS; i++)
        out->hart_ids[i] = 0;
    out->timebase_freq = 0;
    out->rtc_base = 0;
    out->bootargs = NULL;
}

int fdt_parse(const void *dtb, size_t max_size, struct fdt_info *out)
{
    struct fdt_blob blob;
    struct walk w = {.root_ac = 2, .root_sc = 2, .cpus_ac = 1};

    info_clear(out);
    if (!dtb)
        return -EINVAL;
    int err = check_header(dtb, max_size, &blob);
    if (!err)
        err = walk_struct(&blob, &w, out);
    if (err) {
        info_clear(out); /* nothing half-parsed escapes */
        return err;
    }
    out->dtb_size = be32((const uint8_t *)dtb + 4); /* checked <= max_size */
    if (w.have_start && w.have_end && w.initrd_start <= w.initrd_end) {
        out->initrd_start = w.initrd_start;
        out->initrd_end = w.initrd_end;
    }
    if (!w.have_mem || out->nharts == 0)
        return -ENOENT;
    return 0;
}

int fdt_bootarg_u32(const char *args, const char *key, uint32_t *v)
{
    if (!args)
        return -ENOENT;
    for (const char *p = args; *p;) {
        while (*p == ' ')
            p++;
        const char *k = key;
        while (*k && *p == *k) {
            p++;
            k++;
        }
        if (*k == 0 && *p == '=') {
            uint64_t n = 0;
            const char *d = ++p;
            for (; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (uint64_t)(*p - '0');
                if (n > 0xffffffffu)
                    return -EINVAL;
            }
            if (p == d || (*p && *p != ' '))
                return -EINVAL;
            *v = (uint32_t)n;
            return 0;
        }
        while (*p && *p != ' ')
            p++; /* another word */
    }
    return -ENOENT;
}
