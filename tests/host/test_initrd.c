/*
 * Host tests for kernel/fs/initrd_rec.c, the boot-image record parser.
 * Every image lives in a malloc'd buffer of exactly its size, so ASan
 * reports any read outside it.
 */
#include "kernel/fs/initrd_rec.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

struct img {
    uint8_t *p;
    uint64_t n;
};

static void put(struct img *m, const void *src, uint64_t n)
{
    m->p = realloc(m->p, m->n + n);
    memcpy(m->p + m->n, src, n);
    m->n += n;
}

static void pad8(struct img *m)
{
    static const uint8_t zero[8];
    put(m, zero, (8 - m->n % 8) % 8);
}

/* A record with explicit header fields; name/data bytes as given. */
static void rec_raw(struct img *m, const char *magic, uint32_t name_len,
                    uint64_t size, const void *name, uint64_t name_bytes,
                    const void *data, uint64_t data_bytes, int padded)
{
    put(m, magic, 4);
    put(m, &name_len, 4);
    put(m, &size, 8);
    put(m, name, name_bytes);
    pad8(m);
    put(m, data, data_bytes);
    if (padded)
        pad8(m);
}

static void rec(struct img *m, const char *name, const char *data)
{
    rec_raw(m, "KRD1", (uint32_t)strlen(name) + 1, strlen(data), name,
            strlen(name) + 1, data, strlen(data), 1);
}

static void end(struct img *m)
{
    rec_raw(m, "KRD1", 0, 0, "", 0, "", 0, 1);
}

/* Parses m to the end: the number of files, or the negative result. */
static int parse_all(const struct img *m, const char **why)
{
    uint64_t off = 0;
    struct initrd_rec r;
    int files = 0, rc;
    while ((rc = initrd_next(m->p, m->n, &off, &r, why)) > 0) {
        if (r.data < m->p || r.size > (uint64_t)(m->p + m->n - r.data))
            return -1000; /* never: data outside the image */
        files++;
    }
    return rc < 0 ? rc : files;
}

TEST(initrd_valid_image)
{
    struct img m = {0};
    rec(&m, "/bin/a", "hello");
    rec(&m, "/etc/b", "0123456789abcdef");
    end(&m);
    uint64_t off = 0;
    struct initrd_rec r;
    const char *why = NULL;
    REQUIRE_EQ(initrd_next(m.p, m.n, &off, &r, &why), 1);
    CHECK_STR_EQ(r.name, "/bin/a");
    CHECK_EQ(r.size, 5);
    CHECK(!memcmp(r.data, "hello", 5));
    REQUIRE_EQ(initrd_next(m.p, m.n, &off, &r, &why), 1);
    CHECK_STR_EQ(r.name, "/etc/b");
    CHECK_EQ(r.size, 16);
    CHECK_EQ(initrd_next(m.p, m.n, &off, &r, &why), 0);
    free(m.p);
}

TEST(initrd_end_without_end_record)
{
    struct img m = {0};
    rec_raw(&m, "KRD1", 3, 3, "/x", 3, "abc", 3, 0); /* no padding either */
    const char *why = NULL;
    CHECK_EQ(parse_all(&m, &why), 1);
    free(m.p);
    struct img e = {0};
    put(&e, "", 0);
    CHECK_EQ(parse_all(&e, &why), 0);
    free(e.p);
}

TEST(initrd_size_overflow_rejected)
{
    /* off + size wraps around 2^64: the old check passed it. */
    struct img m = {0};
    rec(&m, "/ok", "x");
    rec_raw(&m, "KRD1", 3, UINT64_MAX - 7, "/x", 3, "abcdefgh", 8, 1);
    end(&m);
    const char *why = NULL;
    CHECK_EQ(parse_all(&m, &why), -EINVAL);
    CHECK_STR_EQ(why, "data leaves the image");
    free(m.p);
}

TEST(initrd_size_past_end_rejected)
{
    struct img m = {0};
    rec_raw(&m, "KRD1", 3, 9, "/x", 3, "abcdefgh", 8, 0);
    const char *why = NULL;
    CHECK_EQ(parse_all(&m, &why), -EINVAL);
    CHECK_STR_EQ(why, "data leaves the image");
    free(m.p);
}

TEST(initrd_name_overflow_rejected)
{
    /* A name length past the image: the old loader read name[len - 1]
     * outside the image before checking anything. */
    struct img m = {0};
    rec_raw(&m, "KRD1", UINT32_MAX, 0, "/x", 3, "", 0, 1);
    const char *why = NULL;
    CHECK_EQ(parse_all(&m, &why), -EINVAL);
    CHECK_STR_EQ(why, "name leaves the image");
    free(m.p);
    struct img n = {0};
    rec_raw(&n, "KRD1", 9, 0, "/abcdef", 8, "", 0, 0); /* 16 > 8 left */
    CHECK_EQ(parse_all(&n, &why), -EINVAL);
    free(n.p);
}

TEST(initrd_bad_records_rejected)
{
    const char *why = NULL;
    struct img m = {0};
    rec_raw(&m, "KRD1", 2, 0, "/xy", 2, "", 0, 1); /* no NUL in the name */
    CHECK_EQ(parse_all(&m, &why), -EINVAL);
    CHECK_STR_EQ(why, "name not NUL-terminated");
    free(m.p);
    struct img b = {0};
    rec_raw(&b, "KRD2", 3, 0, "/x", 3, "", 0, 1);
    CHECK_EQ(parse_all(&b, &why), -EINVAL);
    CHECK_STR_EQ(why, "bad magic");
    free(b.p);
    struct img t = {0};
    rec(&t, "/a", "b");
    put(&t, "KRD1\x01", 5); /* a header cut short */
    CHECK_EQ(parse_all(&t, &why), -EINVAL);
    CHECK_STR_EQ(why, "truncated header");
    free(t.p);
}
