/*
 * The slot table of a cap_space, as pure logic: no locks, no objects.
 * The kernel wraps it (kernel/cap/cap.c) with the process's cap lock and
 * object reference counts; the host unit tests and the fuzzer
 * (tests/host/) drive it directly.
 *
 * Invariants (checked by cap_table_check):
 *  - bit s of free_map is set iff s < CAP_FD_SLOTS, words[s] is empty
 *    and not retired;
 *  - used counts the valid slots below CAP_FD_SLOTS (quota bounds new
 *    allocations; it may be lowered below used);
 *  - no live slot carries the retired generation;
 *  - deleg[s] is 0 for an empty slot; nonzero only with CAPW_DELEGATED;
 *  - a token validates iff its slot is live with the same type, rights
 *    and generation; generations only grow.
 */
#ifndef KEEL_CAP_TABLE_H
#define KEEL_CAP_TABLE_H

#include "cap_word.h"

struct cap_table {
    uint64_t free_map[(CAP_SLOTS + 63) / 64]; /* bit set: slot free */
    cap_word_t words[CAP_SLOTS];
    uint64_t deleg[CAP_SLOTS]; /* delegation id a slot derives from, or 0 */
    /* A process cap's signal allow-list, stored inverted: bit sig-1 set
     * means the slot may not send sig (SYS_cap_signal_limit). Zeroed by
     * every install; a transfer copies the source slot's. */
    uint64_t sigdeny[CAP_SLOTS];
    uint32_t used;  /* valid slots below CAP_FD_SLOTS */
    uint32_t quota; /* limit on used */
    bool dead;      /* torn down: no new slots */
};

void cap_table_init(struct cap_table *t, uint32_t gen_seed, uint32_t quota);
/* Lowest free slot in [min, CAP_FD_SLOTS): -EMFILE when the quota or the
 * table is full (or the table is dead), -EINVAL for a bad min. */
/* cap_table_alloc: defined inline below */
/* True when `slot` is empty and not retired: the only slots
 * cap_table_install may fill (alloc only returns such slots; callers that
 * pick a slot themselves, like thread caps, must check). */
/* cap_table_usable: defined inline below */
/* Fill a usable slot; the word's generation is replaced by the slot's. */
/* cap_table_install: defined inline below */
/* Empty a live slot, bumping its generation (retiring it at the end of
 * the generation space). Returns the old word. */
/* cap_table_clear: defined inline below */
/* The live word a token names: 0 and *w, or -EBADF. */
/* cap_table_lookup: defined inline below */
/* Next slot >= from derived from delegation id, or -1. */
int cap_table_find_deleg(const struct cap_table *t, uint64_t id, int from);
/* Checks every invariant above; 0 or a negative line-coded error. */
int cap_table_check(const struct cap_table *t);

#include "../include/errno.h"

static inline void capt_map_set(uint64_t *m, int i)
{
    m[i / 64] |= 1ull << (i % 64);
}
static inline void capt_map_clear(uint64_t *m, int i)
{
    m[i / 64] &= ~(1ull << (i % 64));
}

/* The hot operations are inline: every fd syscall uses them. */
static inline int cap_table_alloc(const struct cap_table *t, int min)
{
    if (min < 0 || min >= CAP_FD_SLOTS)
        return -EINVAL;
    if (t->dead || t->used >= t->quota)
        return -EMFILE;
    unsigned w = (unsigned)min / 64;
    uint64_t bits = t->free_map[w] & (~0ull << (min % 64));
    for (;;) {
        if (bits) {
            int slot = (int)(w * 64 + (unsigned)__builtin_ctzll(bits));
            return slot < CAP_FD_SLOTS ? slot : -EMFILE;
        }
        if (++w >= sizeof(t->free_map) / sizeof(t->free_map[0]))
            return -EMFILE;
        bits = t->free_map[w];
    }
}

static inline bool cap_table_usable(const struct cap_table *t, int slot)
{
    cap_word_t w = t->words[slot];
    return !capw_valid(w) && !capw_retired(w);
}

static inline void cap_table_install(struct cap_table *t, int slot,
                                     cap_word_t w, uint64_t deleg)
{
    /* Keep the slot's generation: a token minted now names this use. */
    t->words[slot] = (w & ~((cap_word_t)CAP_GEN_RETIRED << CAPW_GEN_SHIFT)) |
                     ((cap_word_t)capw_gen(t->words[slot]) << CAPW_GEN_SHIFT);
    t->deleg[slot] = deleg;
    t->sigdeny[slot] = 0;
    if (slot < CAP_FD_SLOTS) {
        capt_map_clear(t->free_map, slot);
        t->used++;
    }
}

static inline cap_word_t cap_table_clear(struct cap_table *t, int slot)
{
    cap_word_t old = t->words[slot];
    cap_word_t next;
    bool live = capw_next_empty(old, &next);
    t->words[slot] = next;
    t->deleg[slot] = 0;
    if (slot < CAP_FD_SLOTS) {
        t->used--;
        if (live) /* a retired slot never comes back */
            capt_map_set(t->free_map, slot);
    }
    return old;
}

/* Clears every valid slot derived from delegation id (id != 0) in one
 * pass over the table, storing each old word in out[] in slot order;
 * returns how many (at most CAP_FD_SLOTS). What revoke does with
 * cap_table_find_deleg + cap_table_clear, without a call per slot.
 * Invariant: only the fd slots carry a delegation (received copies and
 * their dups are allocated there; a thread slot holds the process's own
 * thread, deleg 0), so the pass stops at CAP_FD_SLOTS (the 65 thread
 * slots cost revoke_1 +16% when it went on). */
static inline int cap_table_clear_deleg(struct cap_table *t, uint64_t id,
                                        cap_word_t *out)
{
    int n = 0;
    for (int s = 0; s < CAP_FD_SLOTS; s++)
        if (t->deleg[s] == id && capw_valid(t->words[s]))
            out[n++] = cap_table_clear(t, s);
    return n;
}

static inline int cap_table_lookup(const struct cap_table *t, cap_token_t tok,
                                   cap_word_t *w)
{
    unsigned slot = cap_token_slot(tok);
    if (slot >= CAP_SLOTS)
        return -EBADF;
    cap_word_t cur = t->words[slot];
    if (!cap_token_matches(tok, cur))
        return -EBADF;
    *w = cur;
    return 0;
}

#endif
