/*
 * Path handling: pure string code, no VFS state. A path starting with
 * '/' is resolved from the root, any other from the calling process's
 * working directory (ramfs.c walk_at; docs/design.md "Working
 * directory").
 */
#ifndef KEEL_PATH_H
#define KEEL_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "../../libc/include/keel/abi.h"

#define PATH_MAX_DEPTH 8

/* Skip leading '/' and "." components, copy the next component into name
 * (NUL-terminated) and advance *cursor past it. Returns the component
 * length, 0 when no components are left (name is then ""), or
 * -ENAMETOOLONG when the component is longer than KEEL_NAME_MAX or does
 * not fit in name_size bytes (then *cursor is left at the bad component).
 * ".." is returned like any other name. */
int path_next(const char **cursor, char *name, size_t name_size);

/* 0 if path is a NUL-terminated string of fewer than max_len bytes
 * (max_len counts the NUL), non-empty, and with every component at most
 * KEEL_NAME_MAX characters. -ENAMETOOLONG if it or a component is too
 * long, -ENOENT if it is empty (or NULL). Reads at most max_len bytes. */
int path_check(const char *path, size_t max_len);

/* The last component: the text after the last '/' ("" for "/" and for a
 * path ending in '/'), or the whole path if it has no '/'. */
const char *path_basename(const char *path);

/* The path names a directory by its form: it ends in '/' or its last
 * component is "." or ".." ("x/", "x/.", ".."). Such a path that
 * resolves to a non-directory fails with ENOTDIR (POSIX). */
bool path_wants_dir(const char *path);

/* The last component, trailing '/' ignored, is "." or ".." (rmdir
 * refuses those: EINVAL). "/" has no last component: false. */
bool path_last_is_dot(const char *path);

/* Where the last component starts (trailing '/' ignored): path[0..s)
 * names its directory ("" for the start directory), path + s the rest
 * ("c/" of "a/b/c/"); 0 when the path has no component ("/"). */
size_t path_last_start(const char *path);

/* The path has at most max components ("." and ".." count). */
bool path_at_most(const char *path, int max);

#endif
