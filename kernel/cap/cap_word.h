/*
 * Pure packing of cap slot words and tokens. No locks, no kernel state:
 * compiled into the kernel and into the host unit tests alike.
 *
 * Slot word (64 bits, lives in the cap_space, guarded by its lock):
 *   bit  0       valid
 *   bits 1..4    type
 *   bits 5..8    rights
 *   bit  9       close-on-exec
 *   bit  10      delegated (arrived by transfer, or a copy of such a slot)
 *   bits 16..31  object index in the type's pool
 *   bits 32..63  generation
 * The generation lives in the word even while the slot is empty, so a
 * drop (generation + 1) invalidates every outstanding token at once.
 */
#ifndef KEEL_CAP_WORD_H
#define KEEL_CAP_WORD_H

#include <stdbool.h>
#include <stdint.h>

#include "../../libc/include/keel/cap.h"

typedef uint64_t cap_word_t;

#define CAPW_VALID 0x1ull
#define CAPW_TYPE_SHIFT 1
#define CAPW_RIGHTS_SHIFT 5
#define CAPW_CLOEXEC (1ull << 9)
#define CAPW_DELEGATED (1ull << 10)
#define CAPW_OBJ_SHIFT 16
#define CAPW_OBJ_MASK 0xffffull
#define CAPW_GEN_SHIFT 32
/* The bits that name an object: type and object index. */
#define CAPW_NAME_MASK                                                         \
    ((0xfull << CAPW_TYPE_SHIFT) | (CAPW_OBJ_MASK << CAPW_OBJ_SHIFT))

/* A generation of this value may not be bumped again: the slot retires. */
#define CAP_GEN_RETIRED 0xffffffffu

static inline cap_word_t capw_make(unsigned type, unsigned rights, uint32_t obj,
                                   uint32_t gen)
{
    return CAPW_VALID | ((cap_word_t)(type & 0xf) << CAPW_TYPE_SHIFT) |
           ((cap_word_t)(rights & 0xf) << CAPW_RIGHTS_SHIFT) |
           ((cap_word_t)(obj & CAPW_OBJ_MASK) << CAPW_OBJ_SHIFT) |
           ((cap_word_t)gen << CAPW_GEN_SHIFT);
}

static inline bool capw_valid(cap_word_t w)
{
    return w & CAPW_VALID;
}
static inline unsigned capw_type(cap_word_t w)
{
    return (w >> CAPW_TYPE_SHIFT) & 0xf;
}
static inline unsigned capw_rights(cap_word_t w)
{
    return (w >> CAPW_RIGHTS_SHIFT) & 0xf;
}
/* Is w a valid slot of `type` with every right in `need`? One mask and
 * one compare (the fast paths' check; the general ones tell EBADF from
 * EACCES). */
static inline bool capw_is(cap_word_t w, unsigned type, unsigned need)
{
    const cap_word_t mask = CAPW_VALID | (0xfull << CAPW_TYPE_SHIFT) |
                            ((cap_word_t)(need & 0xf) << CAPW_RIGHTS_SHIFT);
    return (w & mask) ==
           (CAPW_VALID | ((cap_word_t)(type & 0xf) << CAPW_TYPE_SHIFT) |
            ((cap_word_t)(need & 0xf) << CAPW_RIGHTS_SHIFT));
}
static inline uint32_t capw_obj(cap_word_t w)
{
    return (w >> CAPW_OBJ_SHIFT) & CAPW_OBJ_MASK;
}
static inline uint32_t capw_gen(cap_word_t w)
{
    return (uint32_t)(w >> CAPW_GEN_SHIFT);
}
static inline cap_word_t capw_with_rights(cap_word_t w, unsigned rights)
{
    w &= ~(0xfull << CAPW_RIGHTS_SHIFT);
    return w | ((cap_word_t)(rights & 0xf) << CAPW_RIGHTS_SHIFT);
}
/* The empty word that follows `w` after a drop: generation + 1, nothing
 * else kept. Returns false when the generation is exhausted; the caller
 * then retires the slot (it stays empty at CAP_GEN_RETIRED forever). */
static inline bool capw_next_empty(cap_word_t w, cap_word_t *out)
{
    uint32_t gen = capw_gen(w);
    if (gen >= CAP_GEN_RETIRED - 1) {
        *out = (cap_word_t)CAP_GEN_RETIRED << CAPW_GEN_SHIFT;
        return false;
    }
    *out = (cap_word_t)(gen + 1) << CAPW_GEN_SHIFT;
    return true;
}
static inline bool capw_retired(cap_word_t w)
{
    return !capw_valid(w) && capw_gen(w) == CAP_GEN_RETIRED;
}

static inline cap_token_t cap_token_make(unsigned slot, cap_word_t w)
{
    return ((cap_token_t)(slot & CAP_TOK_SLOT_MASK) << CAP_TOK_SLOT_SHIFT) |
           ((cap_token_t)capw_type(w) << CAP_TOK_TYPE_SHIFT) |
           ((cap_token_t)capw_rights(w) << CAP_TOK_RIGHTS_SHIFT) |
           ((cap_token_t)capw_gen(w) << CAP_TOK_GEN_SHIFT);
}
static inline unsigned cap_token_slot(cap_token_t t)
{
    return (t >> CAP_TOK_SLOT_SHIFT) & CAP_TOK_SLOT_MASK;
}
static inline unsigned cap_token_type(cap_token_t t)
{
    return (t >> CAP_TOK_TYPE_SHIFT) & CAP_TOK_TYPE_MASK;
}
static inline unsigned cap_token_rights(cap_token_t t)
{
    return (t >> CAP_TOK_RIGHTS_SHIFT) & CAP_TOK_RIGHTS_MASK;
}
static inline uint32_t cap_token_gen(cap_token_t t)
{
    return (t >> CAP_TOK_GEN_SHIFT) & CAP_TOK_GEN_MASK;
}
/* A token matches only the live slot word it was made from: same slot
 * (checked by the caller's indexing), valid, and type, rights and
 * generation equal to the snapshot. Reserved bits must be zero. */
static inline bool cap_token_matches(cap_token_t t, cap_word_t w)
{
    if (t & CAP_TOK_RESERVED_MASK)
        return false;
    return capw_valid(w) && capw_type(w) == cap_token_type(t) &&
           capw_rights(w) == cap_token_rights(t) &&
           capw_gen(w) == cap_token_gen(t);
}

#endif
