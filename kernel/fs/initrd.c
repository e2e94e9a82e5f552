/*
 * The boot image (initrd) that QEMU loads next to the kernel: a sequence
 * of records { "KRD1", u32 name length (with NUL), u64 size, name, data },
 * each part padded to 8 bytes, ended by a record with name length 0.
 * scripts/mkinitrd.c writes it. Files are added to the ramfs pointing at
 * the image, which is never freed.
 */
#include "../include/vfs.h"

struct rd_header {
    char magic[4];
    uint32_t name_len;
    uint64_t size;
};

void initrd_load(const uint8_t *start, uint64_t size)
{
    uint64_t off = 0;
    int files = 0;
    while (off + sizeof(struct rd_header) <= size) {
        const struct rd_header *h = (const void *)(start + off);
        if (memcmp(h->magic, "KRD1", 4) != 0) {
            printk("keel: initrd: bad record at %lu\n", off);
            return;
        }
        if (h->name_len == 0)
            break;
        off += sizeof(*h);
        const char *name = (const char *)(start + off);
        off += ALIGN_UP(h->name_len, 8);
        if (off + h->size > size || name[h->name_len - 1] != 0) {
            printk("keel: initrd: truncated\n");
            return;
        }
        if (ramfs_add_image(name, start + off, h->size) == 0)
            files++;
        off += ALIGN_UP(h->size, 8);
    }
    printk("keel: initrd: %d files\n", files);
}
