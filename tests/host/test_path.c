/* Host tests for kernel/fs/path.c. */
#include "kernel/fs/path.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

/* Split path with path_next into "a|b|c" (or an error marker). */
static const char *split(const char *path)
{
    static char out[512];
    char name[KEEL_NAME_MAX + 1];
    const char *cur = path;
    size_t o = 0;
    int n;

    out[0] = '\0';
    while ((n = path_next(&cur, name, sizeof(name))) > 0) {
        if (strlen(name) != (size_t)n)
            return "<bad length>";
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "|" : "",
                              name);
    }
    if (n < 0)
        snprintf(out + o, sizeof(out) - o, "%s<%d>", o ? "|" : "", n);
    return out;
}

TEST(path_next_components)
{
    CHECK_STR_EQ(split("/bin/sh"), "bin|sh");
    CHECK_STR_EQ(split("bin/sh"), "bin|sh");
    CHECK_STR_EQ(split("///bin//sh///"), "bin|sh");
    CHECK_STR_EQ(split("/"), "");
    CHECK_STR_EQ(split(""), "");
    CHECK_STR_EQ(split("a"), "a");
    CHECK_STR_EQ(split("/a/b/c/d/e/f/g/h/i"), "a|b|c|d|e|f|g|h|i");
}

TEST(path_next_dots)
{
    CHECK_STR_EQ(split("/./bin/./sh/."), "bin|sh");
    CHECK_STR_EQ(split("."), "");
    CHECK_STR_EQ(split("/./././"), "");
    CHECK_STR_EQ(split("/a/../b"), "a|..|b");
    CHECK_STR_EQ(split(".."), "..");
    CHECK_STR_EQ(split("..."), "...");
    CHECK_STR_EQ(split(".hidden/.x"), ".hidden|.x");
}

TEST(path_next_cursor)
{
    const char *path = "/usr//lib/";
    const char *cur = path;
    char name[KEEL_NAME_MAX + 1];

    CHECK_EQ(path_next(&cur, name, sizeof(name)), 3);
    CHECK_STR_EQ(name, "usr");
    CHECK(cur == path + 4);
    CHECK_EQ(path_next(&cur, name, sizeof(name)), 3);
    CHECK_STR_EQ(name, "lib");
    CHECK(cur == path + 9);
    memset(name, 'x', sizeof(name));
    CHECK_EQ(path_next(&cur, name, sizeof(name)), 0);
    CHECK_STR_EQ(name, "");
    CHECK(*cur == '\0');
    CHECK_EQ(path_next(&cur, name, sizeof(name)), 0); /* stays done */
}

TEST(path_next_name_max)
{
    char path[80], name[KEEL_NAME_MAX + 1];
    const char *cur;

    /* Exactly 31 characters: fine. */
    memset(path, 'a', KEEL_NAME_MAX);
    strcpy(path + KEEL_NAME_MAX, "/b");
    cur = path;
    CHECK_EQ(path_next(&cur, name, sizeof(name)), KEEL_NAME_MAX);
    CHECK_EQ(strlen(name), KEEL_NAME_MAX);
    CHECK_EQ(path_next(&cur, name, sizeof(name)), 1);

    /* 32 characters: too long, cursor left at the component. */
    path[0] = '/';
    memset(path + 1, 'a', KEEL_NAME_MAX + 1);
    path[KEEL_NAME_MAX + 2] = '\0';
    cur = path;
    CHECK_EQ(path_next(&cur, name, sizeof(name)), -ENAMETOOLONG);
    CHECK(cur == path + 1);
    CHECK_STR_EQ(split(path), "<-91>");

    strcpy(path, "ok/");
    memset(path + 3, 'z', 40);
    path[43] = '\0';
    CHECK_STR_EQ(split(path), "ok|<-91>");
}

TEST(path_next_small_buffer)
{
    char name[4];
    const char *cur = "/abc/abcd";
    CHECK_EQ(path_next(&cur, name, sizeof(name)), 3);
    CHECK_STR_EQ(name, "abc");
    CHECK_EQ(path_next(&cur, name, sizeof(name)), -ENAMETOOLONG);
    /* A zero-size buffer still reports the end of the path. */
    cur = "//";
    CHECK_EQ(path_next(&cur, NULL, 0), 0);
}

TEST(path_check_ok)
{
    CHECK_EQ(path_check("/", KEEL_PATH_MAX), 0);
    CHECK_EQ(path_check("bin/sh", KEEL_PATH_MAX), 0);
    CHECK_EQ(path_check("/bin/sh", KEEL_PATH_MAX), 0);
    CHECK_EQ(path_check(".", KEEL_PATH_MAX), 0);
    CHECK_EQ(path_check("a//b/", KEEL_PATH_MAX), 0);
}

TEST(path_check_empty)
{
    CHECK_EQ(path_check("", KEEL_PATH_MAX), -ENOENT);
    CHECK_EQ(path_check("", 1), -ENOENT);
    CHECK_EQ(path_check(NULL, KEEL_PATH_MAX), -ENOENT);
}

TEST(path_check_length)
{
    char path[KEEL_PATH_MAX + 8];

    /* 255 characters + NUL fits in KEEL_PATH_MAX (components of 15). */
    for (int i = 0; i < KEEL_PATH_MAX - 1; i++)
        path[i] = (i % 16 == 15) ? '/' : 'a';
    path[KEEL_PATH_MAX - 1] = '\0';
    CHECK_EQ(strlen(path), KEEL_PATH_MAX - 1);
    CHECK_EQ(path_check(path, KEEL_PATH_MAX), 0);
    /* 256 characters do not. */
    path[KEEL_PATH_MAX - 1] = 'a';
    path[KEEL_PATH_MAX] = '\0';
    CHECK_EQ(path_check(path, KEEL_PATH_MAX), -ENAMETOOLONG);
    CHECK_EQ(path_check(path, KEEL_PATH_MAX + 1), 0);

    CHECK_EQ(path_check("abc", 4), 0);
    CHECK_EQ(path_check("abc", 3), -ENAMETOOLONG);
    CHECK_EQ(path_check("abc", 0), -ENAMETOOLONG);
}

TEST(path_check_reads_at_most_max_len)
{
    /* An unterminated buffer: ASan catches any read past it. */
    char *buf = malloc(10);
    REQUIRE(buf != NULL);
    memset(buf, 'a', 10);
    buf[4] = '/';
    CHECK_EQ(path_check(buf, 10), -ENAMETOOLONG);
    free(buf);
}

TEST(path_check_component_length)
{
    char path[64];
    path[0] = '/';
    memset(path + 1, 'n', KEEL_NAME_MAX);
    strcpy(path + 1 + KEEL_NAME_MAX, "/x");
    CHECK_EQ(path_check(path, sizeof(path)), 0);
    path[1 + KEEL_NAME_MAX] = 'n'; /* now 32 + "x" = 33 characters */
    CHECK_EQ(path_check(path, sizeof(path)), -ENAMETOOLONG);
    strcpy(path, "a/");
    memset(path + 2, 'q', KEEL_NAME_MAX + 1);
    path[2 + KEEL_NAME_MAX + 1] = '\0';
    CHECK_EQ(path_check(path, sizeof(path)), -ENAMETOOLONG);
}

TEST(path_basename)
{
    CHECK_STR_EQ(path_basename("/bin/sh"), "sh");
    CHECK_STR_EQ(path_basename("bin/sh"), "sh");
    CHECK_STR_EQ(path_basename("sh"), "sh");
    CHECK_STR_EQ(path_basename("/sh"), "sh");
    CHECK_STR_EQ(path_basename("/"), "");
    CHECK_STR_EQ(path_basename(""), "");
    CHECK_STR_EQ(path_basename("/dir/"), "");
    CHECK_STR_EQ(path_basename("/a/../b"), "b");
    const char *p = "/x/yz";
    CHECK(path_basename(p) == p + 3);
}

TEST(path_depth_constant)
{
    CHECK_EQ(PATH_MAX_DEPTH, 8);
}

TEST(path_wants_dir)
{
    CHECK(path_wants_dir("a/"));
    CHECK(path_wants_dir("/a/b//"));
    CHECK(path_wants_dir("a/."));
    CHECK(path_wants_dir("a/.."));
    CHECK(path_wants_dir("."));
    CHECK(path_wants_dir(".."));
    CHECK(path_wants_dir("/"));
    CHECK(!path_wants_dir("a"));
    CHECK(!path_wants_dir("/a/b"));
    CHECK(!path_wants_dir("a/.x"));
    CHECK(!path_wants_dir("a/..."));
    CHECK(!path_wants_dir(""));
}

TEST(path_last_is_dot)
{
    CHECK(path_last_is_dot("."));
    CHECK(path_last_is_dot(".."));
    CHECK(path_last_is_dot("a/."));
    CHECK(path_last_is_dot("/a/../"));
    CHECK(path_last_is_dot("./"));
    CHECK(!path_last_is_dot("/"));
    CHECK(!path_last_is_dot("a/"));
    CHECK(!path_last_is_dot("./a"));
    CHECK(!path_last_is_dot(".a"));
    CHECK(!path_last_is_dot("..."));
    CHECK(!path_last_is_dot(""));
}
