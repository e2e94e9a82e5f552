/*
 * lfind and lsearch (<search.h>, POSIX XSI): linear search of a table of
 * *nelp elements of width bytes each; compar returns 0 for a match.
 * lsearch appends the key when it is not found (the caller's table must
 * have room) and counts it in *nelp. No state, no locking: the caller
 * owns the table.
 */
#include <search.h>
#include <string.h>

void *lfind(const void *key, const void *base, size_t *nelp, size_t width,
            int (*compar)(const void *, const void *))
{
    const char *p = base;
    for (size_t i = 0; i < *nelp; i++, p += width)
        if (compar(key, p) == 0)
            return (void *)p;
    return NULL;
}

void *lsearch(const void *key, void *base, size_t *nelp, size_t width,
              int (*compar)(const void *, const void *))
{
    void *found = lfind(key, base, nelp, width, compar);
    if (found != NULL)
        return found;
    char *slot = (char *)base + *nelp * width;
    memmove(slot, key, width);
    (*nelp)++;
    return slot;
}
