/* Boot-image record parsing; see initrd_rec.h. No state, no locks. */
#include "initrd_rec.h"
#include "../include/errno.h"

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int bad(const char **why, const char *what)
{
    *why = what;
    return -EINVAL;
}

int initrd_next(const uint8_t *img, uint64_t img_size, uint64_t *off,
                struct initrd_rec *rec, const char **why)
{
    uint64_t o = *off;
    if (o >= img_size)
        return o == img_size ? 0 : bad(why, "offset past the image");
    uint64_t left = img_size - o;
    if (left < INITRD_HDR_SIZE)
        return bad(why, "truncated header");
    const uint8_t *h = img + o;
    if (h[0] != 'K' || h[1] != 'R' || h[2] != 'D' || h[3] != '1')
        return bad(why, "bad magic");
    uint64_t name_len = le(h + 4, 4), size = le(h + 8, 8);
    if (name_len == 0)
        return 0;
    left -= INITRD_HDR_SIZE;
    uint64_t name_span = (name_len + 7) & ~7ull; /* name_len < 2^32 */
    if (name_span > left)
        return bad(why, "name leaves the image");
    const char *name = (const char *)h + INITRD_HDR_SIZE;
    if (name[name_len - 1] != '\0')
        return bad(why, "name not NUL-terminated");
    left -= name_span;
    if (size > left)
        return bad(why, "data leaves the image");
    const uint8_t *data = (const uint8_t *)name + name_span;
    left -= size;
    uint64_t pad = (8 - size % 8) % 8;
    rec->name = name;
    rec->data = data;
    rec->size = size;
    /* The last record's padding may be missing. */
    *off = img_size - left + (pad < left ? pad : left);
    return 1;
}
