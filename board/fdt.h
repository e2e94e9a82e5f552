/*
 * Minimal flattened-devicetree (FDT v17) reader: just what Keel needs
 * from the QEMU virt board's DTB. Every read is bounds-checked against
 * the blob, so a malformed blob yields -EINVAL and never a stray read.
 */
#ifndef KEEL_FDT_H
#define KEEL_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

#define FDT_MAX_HARTS 8

struct fdt_info {
    uint64_t mem_base, mem_size;       /* first region of the memory node */
    uint64_t initrd_start, initrd_end; /* [start, end); both 0 if none */
    int nharts;                        /* usable cpus found, <= FDT_MAX_HARTS */
    uint32_t hart_ids[FDT_MAX_HARTS];  /* in devicetree order */
    uint64_t timebase_freq;            /* /cpus timebase-frequency, 0 if none */
    uint64_t rtc_base;                 /* goldfish RTC registers, 0 if none */
    uint64_t dtb_size;                 /* the header's totalsize */
    const char *bootargs;              /* /chosen bootargs, NULL if none */
};

/* Parse the blob at dtb, of which at most max_size bytes may be read.
 * Returns 0 with *out filled, -EINVAL for a malformed blob (bad header,
 * a block or token outside the blob, bad nesting, bad property sizes),
 * or -ENOENT for a well-formed blob lacking a memory region or a usable
 * cpu (*out then holds what was found; after -EINVAL it is all zero).
 * Reads:
 *   - the root's #address-cells / #size-cells (default 2 / 2);
 *   - the first "reg" entry of the first memory node (named "memory" or
 *     "memory@..." or with device_type "memory") under the root;
 *   - /chosen linux,initrd-start and linux,initrd-end (4 or 8 bytes each);
 *   - /chosen bootargs (QEMU's -append), a string within the blob: a
 *     bootargs without its terminating NUL is -EINVAL;
 *   - /cpus timebase-frequency (4 or 8 bytes);
 *   - the "reg" (hart id) of each /cpus child whose device_type is "cpu"
 *     and whose status is absent, "okay" or "ok"; the first 8 are kept;
 *   - the address in "reg" of the first node compatible with
 *     "google,goldfish-rtc", a child of the root or of /soc (QEMU's bus,
 *     whose empty "ranges" maps addresses one to one), decoded with its
 *     parent's #address-cells;
 *   - the header's totalsize (the bytes the blob occupies), in dtb_size. */
int fdt_parse(const void *dtb, size_t max_size, struct fdt_info *out);

/* The value of the word `key=N` (N decimal) in the space-separated
 * string args (NULL: none) into *v. Returns 0, -ENOENT if no word has
 * that key, or -EINVAL if its value is not a decimal number below 2^32. */
int fdt_bootarg_u32(const char *args, const char *key, uint32_t *v);

#endif
