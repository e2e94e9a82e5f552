/* Fixed-size object pool; see pool.h for the invariants. Pure logic
 * (the host tests build it too); only the debug kernel's panic on a bad
 * free reaches outside. */
#include "pool.h"

#if defined(KEEL_KERNEL) && defined(KEEL_LOCKCHECK)
#include "../include/kernel.h"
#define POOL_BAD_FREE(p, obj, what)                                            \
    panic("pool %s: %s %p", (p)->name, what, obj)
#else
#define POOL_BAD_FREE(p, obj, what) ((void)0)
#endif

void pool_init(struct pool *p, const char *name, void *storage, uint32_t *links,
               size_t objsize, uint32_t count)
{
    p->name = name;
    p->base = storage;
    p->objsize = objsize;
    p->count = count;
    p->in_use = 0;
    p->next = links;
    /* Ascending free list: 0 -> 1 -> ... -> count-1 -> NONE. */
    for (uint32_t i = 0; i < count; i++)
        links[i] = i + 1 < count ? i + 1 : POOL_NONE;
    p->free_head = count ? 0 : POOL_NONE;
}

void *pool_alloc(struct pool *p)
{
    uint32_t idx = p->free_head;
    if (idx == POOL_NONE)
        return NULL;
    p->free_head = p->next[idx];
    p->next[idx] = POOL_USED;
    p->in_use++;

    /* Zeroed by words when the object allows (every kernel pool's
     * objects are 8-byte aligned and sized): a struct proc is kilobytes,
     * and a byte loop made its zeroing most of spawn's cost. */
    size_t n = p->objsize;
    uint8_t *obj = p->base + (size_t)idx * n;
    if ((((uintptr_t)obj | n) & 7) == 0) {
        uint64_t *w = (uint64_t *)obj;
        for (size_t i = 0; i < n / 8; i++)
            w[i] = 0;
    } else {
        for (size_t i = 0; i < n; i++)
            obj[i] = 0;
    }
    return obj;
}

bool pool_owns(const struct pool *p, const void *obj)
{
    uintptr_t a = (uintptr_t)obj;
    uintptr_t b = (uintptr_t)p->base;
    if (!obj || p->objsize == 0 || a < b)
        return false;
    uintptr_t off = a - b;
    return off / p->objsize < p->count && off % p->objsize == 0;
}

uint32_t pool_index(const struct pool *p, const void *obj)
{
    return (uint32_t)(((uintptr_t)obj - (uintptr_t)p->base) / p->objsize);
}

void *pool_at(const struct pool *p, uint32_t idx)
{
    if (idx >= p->count)
        return NULL;
    return p->base + (size_t)idx * p->objsize;
}

bool pool_allocated(const struct pool *p, const void *obj)
{
    return pool_owns(p, obj) && p->next[pool_index(p, obj)] == POOL_USED;
}

enum pool_free_result pool_free(struct pool *p, void *obj)
{
    if (!obj)
        return POOL_FREE_NULL;
    if (!pool_owns(p, obj)) {
        POOL_BAD_FREE(p, obj, "free of a foreign pointer");
        return POOL_FREE_FOREIGN;
    }
    uint32_t idx = pool_index(p, obj);
    if (p->next[idx] != POOL_USED) {
        POOL_BAD_FREE(p, obj, "double free");
        return POOL_FREE_DOUBLE;
    }
    p->next[idx] = p->free_head;
    p->free_head = idx;
    p->in_use--;
    return POOL_FREED;
}
