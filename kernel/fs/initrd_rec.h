/*
 * Boot-image records: pure parsing, shared by the kernel's loader
 * (initrd.c) and the host tests. A record is { "KRD1", u32 name length
 * (with its NUL), u64 data size, name, data }, little-endian, name and
 * data each padded to 8 bytes; a record with name length 0 ends the
 * image. scripts/mkinitrd.c writes it.
 */
#ifndef KEEL_INITRD_REC_H
#define KEEL_INITRD_REC_H

#include <stdint.h>

#define INITRD_HDR_SIZE 16

struct initrd_rec {
    const char *name; /* NUL-terminated, inside the image */
    const uint8_t *data;
    uint64_t size; /* data lies in the image: data + size <= img + img_size */
};

/* Parses the record at *off of the image [img, img + img_size). Returns
 * 1 with *rec set and *off moved past the record, 0 at the end record
 * (or when exactly nothing is left), or -EINVAL for a malformed record:
 * bad magic, a header, name or data that does not fit in what is left
 * of the image (checked without overflow), or a name without its NUL.
 * Then *why says which, and *off still names the bad record. */
int initrd_next(const uint8_t *img, uint64_t img_size, uint64_t *off,
                struct initrd_rec *rec, const char **why);

#endif
