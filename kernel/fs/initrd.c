/*
 * The boot image (initrd) that QEMU loads next to the kernel: records
 * parsed by initrd_rec.c (format there). Files are added to the ramfs
 * pointing at the image, which is never freed. A malformed record (one
 * whose name or data would leave the image, say) ends the loading with
 * a log line: the files before it stay, nothing after it is trusted.
 * Runs once at boot, before other harts start: no locking of its own.
 */
#include "../include/vfs.h"
#include "initrd_rec.h"

void initrd_load(const uint8_t *start, uint64_t size)
{
    uint64_t off = 0;
    int files = 0, r;
    struct initrd_rec rec;
    const char *why = "";
    while ((r = initrd_next(start, size, &off, &rec, &why)) > 0)
        if (ramfs_add_image(rec.name, rec.data, rec.size) == 0)
            files++;
    if (r < 0)
        printk("keel: initrd: record at offset %lu rejected: %s\n", off, why);
    printk("keel: initrd: %d files\n", files);
}
