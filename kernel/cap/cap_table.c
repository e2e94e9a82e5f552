/* The cap_space slot table (pure logic; see cap_table.h). */
#include "cap_table.h"
#include "../include/errno.h"

static inline bool map_test(const uint64_t *m, int i)
{
    return (m[i / 64] >> (i % 64)) & 1;
}

void cap_table_init(struct cap_table *t, uint32_t gen_seed, uint32_t quota)
{
    t->used = 0;
    t->quota = quota;
    t->dead = false;
    for (unsigned w = 0; w < sizeof(t->free_map) / sizeof(t->free_map[0]); w++)
        t->free_map[w] = 0;
    for (int i = 0; i < CAP_SLOTS; i++) {
        /* Starting generations differ per process and per slot, and stay
         * below 2^31 so at least 2^31 drops remain before retirement. */
        uint32_t gen = (gen_seed + (uint32_t)i * 0x9e3779b9u) & 0x7fffffffu;
        t->words[i] = (cap_word_t)gen << CAPW_GEN_SHIFT;
        t->deleg[i] = 0;
        if (i < CAP_FD_SLOTS)
            capt_map_set(t->free_map, i);
    }
}

int cap_table_find_deleg(const struct cap_table *t, uint64_t id, int from)
{
    if (id == 0)
        return -1; /* 0 means "not delegated", never an id */
    for (int s = from < 0 ? 0 : from; s < CAP_SLOTS; s++)
        if (t->deleg[s] == id && capw_valid(t->words[s]))
            return s;
    return -1;
}

int cap_table_check(const struct cap_table *t)
{
    uint32_t used = 0;
    for (int s = 0; s < CAP_SLOTS; s++) {
        cap_word_t w = t->words[s];
        bool free_bit = s < CAP_FD_SLOTS && map_test(t->free_map, s);
        if (capw_valid(w)) {
            if (free_bit || capw_gen(w) == CAP_GEN_RETIRED)
                return -__LINE__;
            if (s < CAP_FD_SLOTS)
                used++;
            if (t->deleg[s] && !(w & CAPW_DELEGATED))
                return -__LINE__;
            if (t->deleg[s] && s >= CAP_FD_SLOTS)
                return -__LINE__; /* cap_table_clear_deleg looks no further */
        } else {
            if (t->deleg[s])
                return -__LINE__;
            if (s < CAP_FD_SLOTS && free_bit == capw_retired(w))
                return -__LINE__;
            if (w & ~((cap_word_t)CAP_GEN_RETIRED << CAPW_GEN_SHIFT))
                return -__LINE__; /* an empty slot keeps only its gen */
        }
    }
    if (used != t->used || used > CAP_FD_SLOTS)
        return -__LINE__;
    if (CAP_FD_SLOTS % 64 &&
        (t->free_map[CAP_FD_SLOTS / 64] >> (CAP_FD_SLOTS % 64)))
        return -__LINE__;
    return 0;
}
