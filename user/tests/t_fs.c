/*
 * stdio, malloc and the ramfs through open/read/write/lseek/close: file
 * creation, truncation, appending, seeking, directories, device nodes and
 * path errors. Test files live in the root directory (O_CREAT makes files
 * only) and are emptied at the end so their pages go back.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

#define F1 "/ut_f1"
#define F2 "/ut_f2"
#define FSTDIO "/ut_stdio"

/* Fills buf with the test pattern starting at offset off. */
static void fill(uint8_t *buf, size_t n, uint64_t off, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = ut_pattern(off + i, seed);
}

/* Index of the first byte that differs from the pattern, or -1. */
static long verify(const uint8_t *buf, size_t n, uint64_t off, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != ut_pattern(off + i, seed))
            return (long)i;
    return -1;
}

TEST(stdio_printf_malloc)
{
    char buf[64];
    CHECK_EQ(snprintf(buf, sizeof(buf), "%d-%s-%x", 42, "keel", 255), 10);
    CHECK(!strcmp(buf, "42-keel-ff"));
    CHECK(printf("# hello from utest, pid %d\n", (int)getpid()) > 0);

    /* Many sizes, filled and checked, then half freed and reallocated. */
    static uint8_t *blk[64];
    static size_t len[64];
    for (int i = 0; i < 64; i++) {
        len[i] = 1 + ((size_t)i * 397) % 5000;
        if (i % 16 == 15)
            len[i] = 100000 + (size_t)i;
        blk[i] = malloc(len[i]);
        CHECKF(blk[i], "malloc(%lu) failed", (unsigned long)len[i]);
        fill(blk[i], len[i], 0, (unsigned)i);
    }
    for (int i = 0; i < 64; i += 2) {
        free(blk[i]);
        len[i] = 1 + ((size_t)i * 131) % 3000;
        blk[i] = malloc(len[i]);
        CHECK(blk[i]);
        fill(blk[i], len[i], 0, (unsigned)i);
    }
    for (int i = 0; i < 64; i++) {
        CHECKF(verify(blk[i], len[i], 0, (unsigned)i) < 0, "block %d corrupted",
               i);
        free(blk[i]);
    }
    uint8_t *z = calloc(1000, 3);
    CHECK(z);
    for (int i = 0; i < 3000; i++)
        CHECKF(z[i] == 0, "calloc byte %d not zero", i);
    uint8_t *r = realloc(z, 20000);
    CHECK(r);
    CHECK(r[2999] == 0);
    free(r);
}

TEST(stdio_file_roundtrip)
{
    FILE *f = fopen(FSTDIO, "w");
    CHECKF(f, "fopen w: %s", ut_errname(errno));
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d of %s\n", i, "utest");
    CHECK_EQ(fclose(f), 0);

    f = fopen(FSTDIO, "r");
    CHECKF(f, "fopen r: %s", ut_errname(errno));
    char line[64], want[64];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        snprintf(want, sizeof(want), "line %d of utest\n", n);
        if (strcmp(line, want)) {
            fclose(f);
            CHECKF(0, "line %d reads back as \"%s\"", n, line);
        }
        n++;
    }
    CHECK_EQ(ferror(f), 0);
    CHECK_EQ(fseek(f, 5, SEEK_SET), 0);
    CHECK_EQ(ftell(f), 5);
    CHECK_EQ(fgetc(f), '0');
    CHECK_EQ(fclose(f), 0);
    CHECK_EQ(n, 100);

    f = fopen(FSTDIO, "a");
    CHECK(f);
    fputs("tail\n", f);
    CHECK_EQ(fclose(f), 0);
    struct stat st;
    CHECK_OK(stat(FSTDIO, &st));
    CHECK(S_ISREG(st.st_mode));
    long expect = 5 + 10 * (long)strlen("line 0 of utest\n") +
                  90 * (long)strlen("line 10 of utest\n");
    CHECK_EQ(st.st_size, expect);
    ut_scrub(FSTDIO);
}

TEST(file_create_write_read)
{
    static uint8_t out[5000], in[5000];
    int fd = open(F1, O_CREAT | O_RDWR | O_TRUNC);
    CHECKF(fd >= 0, "open: %s", ut_errname(errno));
    fill(out, sizeof(out), 0, 1);
    CHECK_EQ(write(fd, out, sizeof(out)), (long)sizeof(out));
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5000);
    CHECK_EQ(read(fd, in, 10), 0); /* at the end */
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, in, sizeof(in)), (long)sizeof(in));
    CHECK(verify(in, sizeof(in), 0, 1) < 0);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 5000);
    CHECK_OK(close(fd));

    /* A second open sees the data from offset 0; reads in odd chunks. */
    fd = open(F1, O_RDONLY);
    CHECK(fd >= 0);
    size_t got = 0;
    while (got < sizeof(in)) {
        long n = read(fd, in + got, 333);
        CHECK(n > 0);
        got += (size_t)n;
    }
    CHECK(verify(in, sizeof(in), 0, 1) < 0);
    CHECK_EQ(read(fd, in, 1), 0);
    CHECK_OK(close(fd));
    ut_scrub(F1);
}

TEST(file_large_multi_page)
{
    size_t n = 3 * 4096 * 5 + 123; /* 15 pages and a bit */
    uint8_t *buf = malloc(n);
    CHECK(buf);
    fill(buf, n, 0, 7);
    int fd = open(F1, O_CREAT | O_RDWR | O_TRUNC);
    if (fd < 0)
        free(buf);
    CHECK(fd >= 0);
    long w = write(fd, buf, n);
    memset(buf, 0, n);
    long off = lseek(fd, 0, SEEK_SET);
    long r = read(fd, buf, n);
    long bad = verify(buf, n, 0, 7);
    close(fd);
    free(buf);
    ut_scrub(F1);
    CHECK_EQ(w, (long)n);
    CHECK_EQ(off, 0);
    CHECK_EQ(r, (long)n);
    CHECKF(bad < 0, "byte %ld differs", bad);
}

TEST(file_trunc)
{
    int fd = open(F1, O_CREAT | O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    CHECK_OK(close(fd));
    fd = open(F1, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(write(fd, "ab", 2), 2);
    CHECK_OK(close(fd));
    fd = open(F1, O_RDONLY);
    CHECK(fd >= 0);
    char buf[16];
    CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
    CHECK(!memcmp(buf, "ab", 2));
    CHECK_OK(close(fd));
    ut_scrub(F1);
}

TEST(file_append)
{
    int fd = open(F1, O_CREAT | O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "head", 4), 4);
    CHECK_OK(close(fd));
    fd = open(F1, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(fd, "-tail", 5), 5); /* goes to the end anyway */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 9);
    CHECK_OK(close(fd));
    fd = open(F1, O_RDONLY);
    CHECK(fd >= 0);
    char buf[16] = {0};
    CHECK_EQ(read(fd, buf, sizeof(buf)), 9);
    CHECK(!strcmp(buf, "head-tail"));
    CHECK_OK(close(fd));
    ut_scrub(F1);
}

TEST(file_lseek)
{
    int fd = open(F1, O_CREAT | O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "abcdefghij", 10), 10);
    CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
    CHECK_EQ(lseek(fd, 3, SEEK_CUR), 5);
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, 'f');
    CHECK_EQ(lseek(fd, -2, SEEK_END), 8);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, 'i');
    CHECK_EQ(lseek(fd, -1, SEEK_CUR), 8);
    CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERRNO(lseek(fd, -11, SEEK_END), EINVAL);
    CHECK_ERRNO(lseek(fd, -100, SEEK_CUR), EINVAL);
    CHECK_ERRNO(lseek(fd, 0, 7), EINVAL);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8); /* failed seeks moved nothing */
    /* Past the end: reads give 0, a write leaves a hole of zeros. */
    CHECK_EQ(lseek(fd, 20, SEEK_SET), 20);
    CHECK_EQ(read(fd, &c, 1), 0);
    CHECK_EQ(write(fd, "Z", 1), 1);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 21);
    char buf[21];
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buf, sizeof(buf)), 21);
    CHECK(!memcmp(buf, "abcdefghij", 10));
    for (int i = 10; i < 20; i++)
        CHECKF(buf[i] == 0, "hole byte %d is %d", i, buf[i]);
    CHECK_EQ(buf[20], 'Z');
    CHECK_OK(close(fd));
    ut_scrub(F1);
}

TEST(file_access_modes)
{
    int fd = open(F1, O_CREAT | O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    char c = 'x';
    CHECK_ERRNO(read(fd, &c, 1), EBADF);
    CHECK_EQ(write(fd, &c, 1), 1);
    CHECK_OK(close(fd));
    fd = open(F1, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_ERRNO(write(fd, &c, 1), EBADF);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_OK(close(fd));
    CHECK_ERRNO(open(F1, O_ACCMODE), EINVAL);
    ut_scrub(F1);
}

TEST(file_open_excl)
{
    int fd = open(F2, O_CREAT | O_WRONLY);
    CHECK(fd >= 0);
    CHECK_OK(close(fd));
    CHECK_ERRNO(open(F2, O_CREAT | O_EXCL | O_WRONLY), EEXIST);
}

TEST(open_path_errors)
{
    CHECK_ERRNO(open("/ut_no_such_file", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("/ut_no_dir/f", O_CREAT | O_RDWR), ENOENT);
    CHECK_ERRNO(open("/bin/hello/x", O_RDONLY), ENOTDIR);

    static char p[400];
    /* A 32-character component is over the 31-character name limit. */
    memset(p, 0, sizeof(p));
    p[0] = '/';
    memset(p + 1, 'n', 32);
    CHECK_ERRNO(open(p, O_CREAT | O_RDWR), ENAMETOOLONG);
    /* A 300-character component. */
    memset(p + 1, 'n', 300);
    CHECK_ERRNO(open(p, O_RDONLY), ENAMETOOLONG);
    /* <limits.h> PATH_MAX (bytes with the NUL) is the kernel's limit,
     * the one pathconf answers: newlib's 4096 promised paths that the
     * kernel refuses with ENAMETOOLONG. */
    CHECK_EQ(PATH_MAX, KEEL_PATH_MAX);
    CHECK_EQ(pathconf("/", _PC_PATH_MAX), PATH_MAX);
    /* A PATH_MAX-character path of short components: too long. */
    memset(p, 0, sizeof(p));
    for (int i = 0; i < PATH_MAX; i++)
        p[i] = (i % 2) ? 'x' : '/';
    CHECK_EQ(strlen(p), PATH_MAX);
    CHECK_ERRNO(open(p, O_RDONLY), ENAMETOOLONG);
    /* PATH_MAX - 1 characters fit: the lookup itself then fails. */
    p[PATH_MAX - 1] = '\0';
    CHECK_ERRNO(open(p, O_RDONLY), ENOENT);
    /* Exactly 31 characters is a valid name. */
    memset(p, 0, sizeof(p));
    memcpy(p, "/ut_", 4);
    memset(p + 4, 'm', 28);
    int fd = open(p, O_CREAT | O_RDWR);
    CHECKF(fd >= 0, "31-char name: %s", ut_errname(errno));
    CHECK_OK(close(fd));
}

TEST(open_path_forms)
{
    static const char *const forms[] = {"/bin/hello", "//bin///hello",
                                        "/bin/./hello", "/bin/../bin/hello",
                                        "/./bin/hello"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        int fd = open(forms[i], O_RDONLY);
        CHECKF(fd >= 0, "open(\"%s\"): %s", forms[i], ut_errname(errno));
        char magic[4];
        long n = read(fd, magic, 4);
        close(fd);
        CHECKF(n == 4 && !memcmp(magic, "\177ELF", 4),
               "\"%s\" does not read as an ELF file", forms[i]);
    }
}

TEST(directory_ops)
{
    int fd = open("/bin", O_RDONLY);
    CHECKF(fd >= 0, "open /bin: %s", ut_errname(errno));
    char c;
    CHECK_ERRNO(read(fd, &c, 1), EISDIR);
    CHECK_ERRNO(write(fd, &c, 1), EBADF);
    CHECK_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_OK(close(fd));
    fd = open("/", O_RDONLY);
    CHECKF(fd >= 0, "open /: %s", ut_errname(errno));
    CHECK_OK(close(fd));
    CHECK_ERRNO(open("/bin", O_WRONLY), EISDIR);
    CHECK_ERRNO(open("/bin", O_RDWR), EISDIR);
    CHECK_ERRNO(open("/bin", O_WRONLY | O_CREAT), EISDIR);
}

TEST(readdir_bin)
{
    static const char *const want[] = {"hello", "crash", "init", "sh", "utest"};
    int found[5] = {0};
    struct keel_dirent d;
    int i = 0, r;
    while (i < 100 && (r = keel_readdir("/bin", i, &d)) == 1) {
        for (int k = 0; k < 5; k++)
            if (!strcmp(d.name, want[k])) {
                found[k] = 1;
                CHECKF(d.kind == KEEL_NODE_FILE && d.size > 0,
                       "/bin/%s: kind %u size %lu", d.name, (unsigned)d.kind,
                       (unsigned long)d.size);
            }
        i++;
    }
    CHECKF(r == 0, "readdir entry %d: %d (%s)", i, r, ut_errname(errno));
    for (int k = 0; k < 5; k++)
        CHECKF(found[k], "/bin/%s not listed", want[k]);
    CHECK_ERRNO(keel_readdir("/bin/hello", 0, &d), ENOTDIR);
    CHECK_ERRNO(keel_readdir("/ut_no_dir", 0, &d), ENOENT);
    CHECK_ERRNO(keel_readdir("/bin", -1, &d), EINVAL);
}

TEST(console_and_null)
{
    CHECK_ERRNO(lseek(1, 0, SEEK_SET), ESPIPE);
    CHECK_ERRNO(lseek(0, 0, SEEK_CUR), ESPIPE);
    struct stat st;
    CHECK_OK(fstat(1, &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(isatty(1), 1);
    int fd = open("/dev/null", O_RDWR);
    CHECKF(fd >= 0, "open /dev/null: %s", ut_errname(errno));
    char buf[8];
    CHECK_EQ(write(fd, "discard", 7), 7);
    CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
    CHECK_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
    CHECK_OK(close(fd));
    fd = open("/bin/hello", O_RDONLY);
    CHECK(fd >= 0);
    errno = 0;
    int tty = isatty(fd);
    close(fd);
    CHECK_EQ(tty, 0);
}

TEST(file_shared_offset_two_opens)
{
    /* Two opens of one file have separate offsets; writes are shared. */
    int a = open(F1, O_CREAT | O_RDWR | O_TRUNC);
    CHECK(a >= 0);
    int b = open(F1, O_RDWR);
    if (b < 0)
        close(a);
    CHECK(b >= 0);
    long w = write(a, "12345", 5);
    char buf[8] = {0};
    long r = read(b, buf, 5);
    long pos_b = lseek(b, 0, SEEK_CUR), pos_a = lseek(a, 0, SEEK_CUR);
    close(a);
    close(b);
    ut_scrub(F1);
    CHECK_EQ(w, 5);
    CHECK_EQ(r, 5);
    CHECK(!strcmp(buf, "12345"));
    CHECK_EQ(pos_a, 5);
    CHECK_EQ(pos_b, 5);
}

const struct utest ut_fs_tests[] = {
    UT_CASE(stdio_printf_malloc),
    UT_CASE(stdio_file_roundtrip),
    UT_CASE(file_create_write_read),
    UT_CASE(file_large_multi_page),
    UT_CASE(file_trunc),
    UT_CASE(file_append),
    UT_CASE(file_lseek),
    UT_CASE(file_access_modes),
    UT_CASE(file_open_excl),
    UT_CASE(file_shared_offset_two_opens),
    UT_CASE(open_path_errors),
    UT_CASE(open_path_forms),
    UT_CASE(directory_ops),
    UT_CASE(readdir_bin),
    UT_CASE(console_and_null),
    UT_END,
};
