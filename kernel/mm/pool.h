/*
 * Fixed-size object pool: `count` objects of `objsize` bytes in caller
 * storage, with O(1) alloc and free through a free list of indices kept
 * in a separate links array (so a freed object's bytes are not used as
 * list storage). No locking: the caller holds the lock guarding the pool.
 *
 * Invariants:
 *   - next[i] == POOL_USED exactly when object i is allocated;
 *   - otherwise i is on the free list and next[i] is the following free
 *     index or POOL_NONE;
 *   - in_use == count - (length of the free list).
 */
#ifndef KEEL_POOL_H
#define KEEL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_NONE 0xffffffffu /* ends the free list */
#define POOL_USED 0xfffffffeu /* links entry of an allocated object */

struct pool {
    const char *name;
    uint8_t *base;
    size_t objsize;
    uint32_t count; /* at most POOL_USED - 1 objects */
    uint32_t in_use;
    uint32_t free_head; /* POOL_NONE when exhausted */
    uint32_t *next;     /* count entries: free-list links / POOL_USED */
};

/* storage holds count * objsize bytes, links holds count entries. The
 * free list starts ascending, so allocation after init hands out index
 * 0, 1, 2, ... in order. */
void pool_init(struct pool *p, const char *name, void *storage, uint32_t *links,
               size_t objsize, uint32_t count);
/* A zeroed object, or NULL when the pool is exhausted. */
void *pool_alloc(struct pool *p);
/* What pool_free found. */
enum pool_free_result {
    POOL_FREED = 0,        /* obj went back on the free list */
    POOL_FREE_NULL = 1,    /* obj was NULL: nothing to do */
    POOL_FREE_FOREIGN = 2, /* not one of p's objects (outside, misaligned) */
    POOL_FREE_DOUBLE = 3,  /* one of p's objects, but already free */
};
/* Return obj to the pool; it is pushed on the free list head, so it is
 * the next one handed out. Freeing NULL, an object the pool does not own,
 * or an object that is already free leaves the pool unchanged and says
 * so in the result; in the debug and test kernels (KEEL_LOCKCHECK) the
 * last two are kernel bugs and panic, naming the pool. */
enum pool_free_result pool_free(struct pool *p, void *obj);
/* Index of obj, which must be owned by p. */
uint32_t pool_index(const struct pool *p, const void *obj);
/* The object at idx (allocated or not), or NULL if idx >= count. */
void *pool_at(const struct pool *p, uint32_t idx);
/* obj lies inside the pool and on an object boundary. */
bool pool_owns(const struct pool *p, const void *obj);
/* obj is owned by p and currently allocated. */
bool pool_allocated(const struct pool *p, const void *obj);

#endif
