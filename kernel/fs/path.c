/* Path component scanning; see path.h. */
#include "path.h"
#include "../include/errno.h"

#include <stdbool.h>

static bool is_dot(const char *s, size_t len)
{
    return len == 1 && s[0] == '.';
}

int path_next(const char **cursor, char *name, size_t name_size)
{
    const char *p = *cursor;

    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0') {
            *cursor = p;
            if (name_size)
                name[0] = '\0';
            return 0;
        }
        size_t len = 0;
        while (p[len] != '\0' && p[len] != '/')
            len++;
        if (is_dot(p, len)) {
            p += len;
            continue;
        }
        if (len > KEEL_NAME_MAX || len >= name_size) {
            *cursor = p;
            return -ENAMETOOLONG;
        }
        for (size_t i = 0; i < len; i++)
            name[i] = p[i];
        name[len] = '\0';
        *cursor = p + len;
        return (int)len;
    }
}

int path_check(const char *path, size_t max_len)
{
    if (!path)
        return -ENOENT;
    size_t comp = 0; /* length of the component being scanned */
    for (size_t i = 0; i < max_len; i++) {
        char c = path[i];
        if (c == '\0')
            return i == 0 ? -ENOENT : 0;
        if (c == '/') {
            comp = 0;
        } else if (++comp > KEEL_NAME_MAX) {
            return -ENAMETOOLONG;
        }
    }
    /* No NUL within max_len bytes (this includes max_len == 0). */
    return -ENAMETOOLONG;
}

const char *path_basename(const char *path)
{
    const char *last = path;
    for (const char *p = path; *p; p++) {
        if (*p == '/')
            last = p + 1;
    }
    return last;
}

/* [start, end) of the last component with trailing '/' ignored; empty
 * (start == end) when the path has none ("/", ""). */
static void last_component(const char *path, size_t *start, size_t *end)
{
    size_t n = 0;
    while (path[n])
        n++;
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    *start = s;
    *end = n;
}

static bool is_dotdot(const char *s, size_t len)
{
    return len == 2 && s[0] == '.' && s[1] == '.';
}

bool path_wants_dir(const char *path)
{
    size_t n = 0;
    while (path[n])
        n++;
    if (n > 0 && path[n - 1] == '/')
        return true;
    size_t s, e;
    last_component(path, &s, &e);
    return is_dot(path + s, e - s) || is_dotdot(path + s, e - s);
}

bool path_last_is_dot(const char *path)
{
    size_t s, e;
    last_component(path, &s, &e);
    return is_dot(path + s, e - s) || is_dotdot(path + s, e - s);
}

size_t path_last_start(const char *path)
{
    size_t s, e;
    last_component(path, &s, &e);
    return s;
}

bool path_at_most(const char *path, int max)
{
    int n = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (++n > max)
            return false;
        while (*p && *p != '/')
            p++;
    }
    return true;
}
