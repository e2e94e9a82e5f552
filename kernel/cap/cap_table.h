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
    uint32_t deleg[CAP_SLOTS]; /* delegation id a slot derives from, or 0 */
    uint32_t used;             /* valid slots below CAP_FD_SLOTS */
    uint32_t quota;            /* limit on used */
    bool dead;                 /* torn down: no new slots */
};

void cap_table_init(struct cap_table *t, uint32_t gen_seed, uint32_t quota);
/* Lowest free slot in [min, CAP_FD_SLOTS): -EMFILE when the quota or the
 * table is full (or the table is dead), -EINVAL for a bad min. */
int cap_table_alloc(const struct cap_table *t, int min);
/* True when `slot` is empty and not retired: the only slots
 * cap_table_install may fill (alloc only returns such slots; callers that
 * pick a slot themselves, like thread caps, must check). */
bool cap_table_usable(const struct cap_table *t, int slot);
/* Fill a usable slot; the word's generation is replaced by the slot's. */
void cap_table_install(struct cap_table *t, int slot, cap_word_t w,
                       uint32_t deleg);
/* Empty a live slot, bumping its generation (retiring it at the end of
 * the generation space). Returns the old word. */
cap_word_t cap_table_clear(struct cap_table *t, int slot);
/* The live word a token names: 0 and *w, or -EBADF. */
int cap_table_lookup(const struct cap_table *t, cap_token_t tok, cap_word_t *w);
/* Next slot >= from derived from delegation id, or -1. */
int cap_table_find_deleg(const struct cap_table *t, uint32_t id, int from);
/* Checks every invariant above; 0 or a negative line-coded error. */
int cap_table_check(const struct cap_table *t);

#endif
