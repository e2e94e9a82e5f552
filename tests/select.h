/*
 * Test selection by name for every test runner (`make utest T=...`,
 * `make ktest T=...`): shell-style glob patterns, several separated by
 * commas. Header-only and dependency-free so the kernel's test runner
 * (kernel/test/ktest.c), the user suite (user/tests/main.c) and the host
 * unit test (tests/host/test_select.c) share one implementation. Pure
 * functions: no state, no locking.
 */
#ifndef KEEL_TESTS_SELECT_H
#define KEEL_TESTS_SELECT_H

#include <stdbool.h>
#include <stddef.h>

/* s matches pat: `*` any run of characters, `?` one character, `[set]`
 * one of a set with ranges (`[a-z_]`), `[!set]` one not in it; a `[`
 * with no closing `]` and every other character stand for themselves.
 * Recursion depth is bounded by the number of `*` in pat. */
static inline bool test_glob(const char *pat, const char *s)
{
    while (*pat) {
        if (*pat == '*') {
            while (*pat == '*')
                pat++;
            if (!*pat)
                return true;
            for (; *s; s++)
                if (test_glob(pat, s))
                    return true;
            return false;
        }
        if (!*s)
            return false;
        if (*pat == '[') {
            const char *p = pat + 1;
            bool neg = *p == '!', hit = false;
            if (neg)
                p++;
            for (bool first = true; *p && (first || *p != ']'); first = false) {
                char lo = *p, hi = lo;
                if (p[1] == '-' && p[2] && p[2] != ']') {
                    hi = p[2];
                    p += 2;
                }
                if (*s >= lo && *s <= hi)
                    hit = true;
                p++;
            }
            if (*p == ']') {
                if (hit == neg)
                    return false;
                pat = p + 1;
                s++;
                continue;
            }
            /* no closing bracket: a literal '[' */
        } else if (*pat == '?') {
            pat++;
            s++;
            continue;
        }
        if (*pat != *s)
            return false;
        pat++;
        s++;
    }
    return !*s;
}

/* name matches one of the comma-separated patterns of list (an empty
 * pattern, as in "a,,b", matches nothing; patterns longer than 127
 * characters match nothing). */
static inline bool test_selected(const char *list, const char *name)
{
    char one[128];
    while (*list) {
        size_t n = 0;
        while (list[n] && list[n] != ',')
            n++;
        if (n && n < sizeof(one)) {
            for (size_t i = 0; i < n; i++)
                one[i] = list[i];
            one[n] = '\0';
            if (test_glob(one, name))
                return true;
        }
        list += n;
        if (*list == ',')
            list++;
    }
    return false;
}

#endif
