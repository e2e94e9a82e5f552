/*
 * Keel's <search.h>: newlib's (hsearch, tsearch and their kin) plus the
 * linear searches newlib lacks, lfind and lsearch (POSIX, XSI),
 * implemented in libc/src/search.c.
 */
#ifndef KEEL_SEARCH_H
#define KEEL_SEARCH_H

#include_next <search.h>

#include <stddef.h>

void *lfind(const void *key, const void *base, size_t *nelp, size_t width,
            int (*compar)(const void *, const void *));
void *lsearch(const void *key, void *base, size_t *nelp, size_t width,
              int (*compar)(const void *, const void *));

#endif
