/*
 * libFuzzer target for kernel/cap/cap_table.c.
 *
 * The input is a program: a header (two seeds, two quotas), then one
 * operation per opcode byte, each taking its operands from the following
 * bytes (missing bytes read as 0; the program ends with the input). Two
 * tables are driven side by side, each with a shadow model: the word and
 * delegation id every slot must hold, the used count, quota and dead
 * flag. After every operation cap_table_check must pass on the table it
 * worked on (the other one is untouched), and that table must equal its
 * model bit for bit; every call's result is compared with the model's
 * answer. Any disagreement abort()s, which libFuzzer reports as a crash
 * (with the input saved).
 *
 * Callers' contract, respected here: install only into an empty,
 * non-retired slot (fd slots only where alloc pointed), clear only a live
 * slot. Built with -DFUZZ_INSTALL_RETIRED=1 it also installs into retired
 * thread slots, as the kernel's cap_thread_install does (it never checks):
 * see retired_thread_slot_stays_dead_after_install in test_captable.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       tests/host/fuzz_captable.c kernel/cap/cap_table.c \
 *       -o build/host/fuzz_captable
 *
 * (host.mk adds -fno-sanitize-recover=all, so UBSan findings abort too,
 * and leaves cap_table_check out of the coverage instrumentation, which
 * makes it about 2.5x faster.) `make -f tests/host/host.mk host-fuzz`
 * builds it and runs it over a copy of tests/host/corpus/captable, which
 * tests/host/corpus/gen_captable.py regenerates.
 */
#include "kernel/cap/cap_table.h"
#include "kernel/include/errno.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_captable: %s:%d: %s (op %u, table %d)\n",    \
                    __FILE__, __LINE__, #cond, cur_op, cur);                   \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define NSTALE 64

#ifndef FUZZ_INSTALL_RETIRED
#define FUZZ_INSTALL_RETIRED 0
#endif

/* The model and the checks need no coverage feedback: keep the fuzzer's
 * instrumentation (and its cost) on the table code and the op decoder. */
#define NOCOV __attribute__((no_sanitize("coverage")))

struct model {
    cap_word_t word[CAP_SLOTS]; /* the exact word each slot must hold */
    uint32_t deleg[CAP_SLOTS];
    uint32_t init_gen[CAP_SLOTS];
    uint32_t used, quota, seed;
    bool dead;
    bool inited;
    /* Tokens that were valid once and whose slot was cleared since. */
    cap_token_t stale[NSTALE];
    unsigned nstale, stale_next;
};

static struct cap_table tabs[2];
static struct model models[2];
static int cur;
static unsigned cur_op;

/* ---- input ---- */

static const uint8_t *in_p;
static size_t in_n;

static uint8_t get8(void)
{
    if (!in_n)
        return 0;
    in_n--;
    return *in_p++;
}
/* Little-endian; the reads are sequenced (operand order is not). */
static uint16_t get16(void)
{
    uint16_t lo = get8();
    return (uint16_t)(lo | get8() << 8);
}
static uint32_t get32(void)
{
    uint32_t lo = get16();
    return lo | (uint32_t)get16() << 16;
}
static uint64_t get64(void)
{
    uint64_t lo = get32();
    return lo | (uint64_t)get32() << 32;
}

/* ---- the model ---- */

NOCOV static uint32_t m_gen(const struct model *m, int s)
{
    return capw_gen(m->word[s]);
}
NOCOV static bool m_live(const struct model *m, int s)
{
    return capw_valid(m->word[s]);
}
NOCOV static bool m_retired(const struct model *m, int s)
{
    return !m_live(m, s) && m_gen(m, s) == CAP_GEN_RETIRED;
}

NOCOV static int m_alloc(const struct model *m, int min)
{
    if (min < 0 || min >= CAP_FD_SLOTS)
        return -EINVAL;
    if (m->dead || m->used >= m->quota)
        return -EMFILE;
    for (int s = min; s < CAP_FD_SLOTS; s++)
        if (!m_live(m, s) && !m_retired(m, s))
            return s;
    return -EMFILE;
}

/* Does tok name a live slot of m, field for field? */
NOCOV static bool m_token_ok(const struct model *m, cap_token_t tok)
{
    if (tok & CAP_TOK_RESERVED_MASK)
        return false;
    unsigned s = cap_token_slot(tok);
    if (s >= CAP_SLOTS || !m_live(m, (int)s))
        return false;
    cap_word_t w = m->word[s];
    return capw_type(w) == cap_token_type(tok) &&
           capw_rights(w) == cap_token_rights(tok) &&
           capw_gen(w) == cap_token_gen(tok);
}

NOCOV static int m_find_deleg(const struct model *m, uint32_t id, int from)
{
    for (int s = from < 0 ? 0 : from; s < CAP_SLOTS; s++)
        if (m_live(m, s) && m->deleg[s] == id)
            return s;
    return -1;
}

static void m_add_stale(struct model *m, cap_token_t tok)
{
    m->stale[m->stale_next] = tok;
    m->stale_next = (m->stale_next + 1) % NSTALE;
    if (m->nstale < NSTALE)
        m->nstale++;
}

/* The n-th slot (cyclically) in [lo, hi) satisfying pred, or -1. */
NOCOV static int pick(const struct model *m, unsigned n, int lo, int hi,
                      bool (*pred)(const struct model *, int))
{
    int count = 0;
    for (int s = lo; s < hi; s++)
        count += pred(m, s);
    if (!count)
        return -1;
    n %= (unsigned)count;
    for (int s = lo; s < hi; s++)
        if (pred(m, s) && n-- == 0)
            return s;
    return -1;
}

NOCOV static bool m_empty_usable(const struct model *m, int s)
{
    return !m_live(m, s) && !m_retired(m, s);
}

/* ---- checks ---- */

NOCOV static void verify(int which)
{
    const struct cap_table *t = &tabs[which];
    const struct model *m = &models[which];
    int saved = cur;
    cur = which;
    FUZZ_ASSERT(cap_table_check(t) == 0);
    FUZZ_ASSERT(t->used == m->used);
    FUZZ_ASSERT(t->quota == m->quota);
    FUZZ_ASSERT(t->dead == m->dead);
    for (int s = 0; s < CAP_SLOTS; s++) {
        FUZZ_ASSERT(t->words[s] == m->word[s]);
        FUZZ_ASSERT(t->deleg[s] == m->deleg[s]);
        bool free_bit = (t->free_map[s / 64] >> (s % 64)) & 1;
        FUZZ_ASSERT(free_bit == (s < CAP_FD_SLOTS && m_empty_usable(m, s)));
    }
    cur = saved;
}

/* Look tok up in table `which`; the answer must be the model's. */
static void check_lookup(int which, cap_token_t tok)
{
    const struct model *m = &models[which];
    cap_word_t w = 0x5a5a5a5a5a5a5a5aull;
    int r = cap_table_lookup(&tabs[which], tok, &w);
    if (m_token_ok(m, tok)) {
        FUZZ_ASSERT(r == 0);
        FUZZ_ASSERT(w == m->word[cap_token_slot(tok)]);
    } else {
        FUZZ_ASSERT(r == -EBADF);
        FUZZ_ASSERT(w == 0x5a5a5a5a5a5a5a5aull);
    }
}

/* A token for live slot s of the model; as the kernel mints them. */
static cap_token_t live_token(int which, int s)
{
    cap_token_t tok = cap_token_make((unsigned)s, models[which].word[s]);
    FUZZ_ASSERT((int64_t)tok >= 0);
    FUZZ_ASSERT(!(tok & CAP_TOK_RESERVED_MASK));
    return tok;
}

static void do_init(int which, uint32_t seed, uint32_t quota)
{
    struct cap_table *t = &tabs[which];
    struct model *m = &models[which];
    int saved = cur;
    cur = which;
    memset(t, 0xa5, sizeof(*t)); /* init must not rely on a zeroed table */
    cap_table_init(t, seed, quota);
    memset(m, 0, sizeof(*m));
    m->quota = quota;
    m->seed = seed;
    m->inited = true;
    for (int s = 0; s < CAP_SLOTS; s++) {
        /* Fresh: empty, generation only, at least 2^31 drops to go. */
        FUZZ_ASSERT((t->words[s] & 0xffffffffull) == 0);
        FUZZ_ASSERT(capw_gen(t->words[s]) < 0x80000000u);
        m->word[s] = t->words[s];
        m->init_gen[s] = capw_gen(t->words[s]);
    }
    /* Different seeds (in the 31 bits a generation keeps) give different
     * starting generations in every slot; equal seeds equal ones. */
    const struct model *o = &models[!which];
    if (o->inited) {
        bool differ = (seed ^ o->seed) & 0x7fffffffu;
        for (int s = 0; s < CAP_SLOTS; s++)
            FUZZ_ASSERT((m->init_gen[s] != o->init_gen[s]) == differ);
    }
    cur = saved;
}

static cap_word_t random_word(void)
{
    unsigned type = 1 + get8() % CAP_TYPE_MAX;
    unsigned rights = get8() & 0xf;
    uint8_t flags = get8();
    uint32_t obj = get16();
    /* A junk generation: install must replace it with the slot's. */
    uint32_t junk_gen = (flags & 0x80) ? get32() : 0;
    cap_word_t w = capw_make(type, rights, obj, junk_gen);
    if (flags & 1)
        w |= CAPW_CLOEXEC;
    if (flags & 2)
        w |= CAPW_DELEGATED;
    return w;
}

/* Delegation id for word w: only delegated words carry one (maybe 0). */
static uint32_t random_deleg(cap_word_t w)
{
    uint8_t b = get8();
    return (w & CAPW_DELEGATED) ? b % 5 : 0;
}

static void install(int which, int s, cap_word_t w, uint32_t deleg)
{
    struct model *m = &models[which];
    FUZZ_ASSERT(m_empty_usable(m, s) ||
                (FUZZ_INSTALL_RETIRED && !m_live(m, s)));
    uint32_t gen = m_gen(m, s);
    FUZZ_ASSERT(deleg == 0 || s < CAP_FD_SLOTS); /* the caller's rule */
    cap_table_install(&tabs[which], s, w, deleg);
    m->word[s] = (w & 0xffffffffull) | ((cap_word_t)gen << CAPW_GEN_SHIFT);
    m->deleg[s] = deleg;
    if (s < CAP_FD_SLOTS)
        m->used++;
}

static void clear(int which, int s)
{
    struct model *m = &models[which];
    FUZZ_ASSERT(m_live(m, s));
    cap_word_t want = m->word[s];
    m_add_stale(m, cap_token_make((unsigned)s, want));
    cap_word_t old = cap_table_clear(&tabs[which], s);
    FUZZ_ASSERT(old == want);
    uint32_t gen = capw_gen(want);
    uint32_t next = gen >= CAP_GEN_RETIRED - 1 ? CAP_GEN_RETIRED : gen + 1;
    m->word[s] = (cap_word_t)next << CAPW_GEN_SHIFT;
    m->deleg[s] = 0;
    if (s < CAP_FD_SLOTS)
        m->used--;
}

static int random_min(void)
{
    static const int bad[] = {-1,        CAP_FD_SLOTS,     CAP_FD_SLOTS + 1,
                              CAP_SLOTS, INT_MIN,          INT_MAX,
                              -64,       CAP_TOK_SLOT_MASK};
    uint8_t b = get8();
    if (b >= 0xf8)
        return bad[b & 7];
    return b < 0x80 ? 0 : (b - 0x80) % CAP_FD_SLOTS;
}

static uint32_t random_quota(void)
{
    uint8_t b = get8();
    if (b == 0xff)
        return UINT32_MAX;
    if (b >= 0xc0)
        return CAP_FD_SLOTS;
    return b % (CAP_FD_SLOTS + 4);
}

static int alloc_and_compare(int which, int min)
{
    int want = m_alloc(&models[which], min);
    int got = cap_table_alloc(&tabs[which], min);
    FUZZ_ASSERT(got == want);
    return got;
}

/* A token near a live (or stale) one: one field or bit changed. */
static cap_token_t mutate(cap_token_t tok)
{
    uint8_t how = get8();
    switch (how % 6) {
    case 0:
        return tok ^ (1ull << (get8() % 64));
    case 1: {
        /* Any slot number, or one at the table's edges. */
        uint16_t v = get16();
        unsigned slot = (v & 0x8000)   ? CAP_SLOTS - 2 + (v & 3)
                        : (v & 0x4000) ? CAP_THREAD_SLOT_BASE - 2 + (v & 3)
                                       : v & CAP_TOK_SLOT_MASK;
        return (tok & ~CAP_TOK_SLOT_MASK) | slot;
    }
    case 2:
        return (tok & ~(CAP_TOK_TYPE_MASK << CAP_TOK_TYPE_SHIFT)) |
               ((cap_token_t)(get8() & 0xf) << CAP_TOK_TYPE_SHIFT);
    case 3:
        return (tok & ~(CAP_TOK_RIGHTS_MASK << CAP_TOK_RIGHTS_SHIFT)) |
               ((cap_token_t)(get8() & 0xf) << CAP_TOK_RIGHTS_SHIFT);
    case 4: {
        uint32_t gen = cap_token_gen(tok) + (uint32_t)(int8_t)get8();
        return (tok & ~(CAP_TOK_GEN_MASK << CAP_TOK_GEN_SHIFT)) |
               ((cap_token_t)gen << CAP_TOK_GEN_SHIFT);
    }
    default:
        return tok | ((cap_token_t)get16() << 48);
    }
}

enum {
    OP_OPEN,       /* alloc(min), install a random word there */
    OP_ALLOC,      /* alloc(min) alone: nothing changes */
    OP_THREAD,     /* install into an empty thread slot */
    OP_CLEAR,      /* clear a live slot */
    OP_LOOKUP,     /* a live slot's token validates */
    OP_RANDOM_TOK, /* a random token: only if the model says so */
    OP_MUTATE_TOK, /* a live or stale token, one field changed */
    OP_STALE,      /* every stale token fails */
    OP_QUOTA,      /* set the quota */
    OP_DEAD,       /* tear down: no more slots */
    OP_FIND,       /* find_deleg(id, from) */
    OP_REVOKE,     /* find_deleg + clear for one id, as the kernel does */
    OP_AGE,        /* jump an empty slot near the end of its generations */
    OP_SWITCH,     /* operate on the other table */
    OP_REINIT,     /* init again with a new seed and quota */
    OP_DUP,        /* copy a live slot to a new one, deleg id included */
    OP_CROSS,      /* a token of one table looked up in the other */
    OP_COUNT
};

static void step(uint8_t opcode)
{
    struct model *m = &models[cur];
    struct cap_table *t = &tabs[cur];
    cur_op = opcode % OP_COUNT;
    switch (cur_op) {
    case OP_OPEN: {
        int s = alloc_and_compare(cur, random_min());
        if (s >= 0) {
            cap_word_t w = random_word();
            install(cur, s, w, random_deleg(w));
        }
        break;
    }
    case OP_ALLOC:
        alloc_and_compare(cur, random_min());
        break;
    case OP_THREAD: {
        int s = CAP_THREAD_SLOT_BASE + get8() % CAP_THREAD_SLOTS;
        if (m_empty_usable(m, s) || (FUZZ_INSTALL_RETIRED && !m_live(m, s))) {
            /* A thread slot carries no delegation (cap_table_clear_deleg
             * looks at the fd slots only), as in the kernel. */
            cap_word_t w = random_word();
            get8(); /* the byte random_deleg took, so old inputs replay */
            install(cur, s, w, 0);
        }
        break;
    }
    case OP_CLEAR: {
        int s = pick(m, get8(), 0, CAP_SLOTS, m_live);
        if (s >= 0)
            clear(cur, s);
        break;
    }
    case OP_LOOKUP: {
        int s = pick(m, get8(), 0, CAP_SLOTS, m_live);
        if (s >= 0) {
            cap_token_t tok = live_token(cur, s);
            FUZZ_ASSERT(m_token_ok(m, tok));
            check_lookup(cur, tok);
        }
        break;
    }
    case OP_RANDOM_TOK:
        check_lookup(cur, get64());
        break;
    case OP_MUTATE_TOK: {
        uint8_t b = get8();
        int s = pick(m, b >> 1, 0, CAP_SLOTS, m_live);
        cap_token_t tok;
        if ((b & 1) && m->nstale)
            tok = m->stale[(b >> 1) % m->nstale];
        else if (s >= 0)
            tok = live_token(cur, s);
        else
            tok = get64();
        check_lookup(cur, mutate(tok));
        break;
    }
    case OP_STALE:
        for (unsigned i = 0; i < m->nstale; i++) {
            FUZZ_ASSERT(!m_token_ok(m, m->stale[i]));
            check_lookup(cur, m->stale[i]);
        }
        break;
    case OP_QUOTA:
        m->quota = t->quota = random_quota();
        break;
    case OP_DEAD:
        /* Rarely: a dead table stays dead until the next init. */
        if (get8() < 0x20)
            m->dead = t->dead = true;
        break;
    case OP_FIND: {
        uint32_t id = 1 + get8() % 4;
        int from = (int)get8() - 8;
        FUZZ_ASSERT(cap_table_find_deleg(t, id, from) ==
                    m_find_deleg(m, id, from));
        break;
    }
    case OP_REVOKE: {
        uint32_t id = 1 + get8() % 4;
        int s = 0;
        for (;; s++) {
            int want = m_find_deleg(m, id, s);
            s = cap_table_find_deleg(t, id, s);
            FUZZ_ASSERT(s == want);
            if (s < 0)
                break;
            clear(cur, s);
            verify(cur);
        }
        FUZZ_ASSERT(cap_table_find_deleg(t, id, 0) == -1);
        break;
    }
    case OP_AGE: {
        int s = pick(m, get8(), 0, CAP_SLOTS, m_empty_usable);
        uint32_t gen = CAP_GEN_RETIRED - 1 - get8() % 4;
        if (s >= 0 && gen > m_gen(m, s)) {
            /* Generations only grow: the stale tokens stay stale. */
            t->words[s] = m->word[s] = (cap_word_t)gen << CAPW_GEN_SHIFT;
        }
        break;
    }
    case OP_SWITCH:
        cur = !cur;
        break;
    case OP_REINIT: {
        uint32_t seed = get32();
        do_init(cur, seed, random_quota());
        break;
    }
    case OP_DUP: {
        int src = pick(m, get8(), 0, CAP_SLOTS, m_live);
        int min = random_min();
        if (src < 0)
            break;
        int s = alloc_and_compare(cur, min);
        if (s >= 0) {
            cap_word_t w = m->word[src];
            cap_word_t d =
                capw_make(capw_type(w), capw_rights(w), capw_obj(w), 0) |
                (w & CAPW_DELEGATED);
            install(cur, s, d, m->deleg[src]);
            FUZZ_ASSERT(live_token(cur, s) != live_token(cur, src));
        }
        break;
    }
    case OP_CROSS: {
        int s = pick(m, get8(), 0, CAP_SLOTS, m_live);
        if (s >= 0)
            check_lookup(!cur, live_token(cur, s));
        break;
    }
    }
    verify(cur);  /* the other table was not touched */
#ifdef FUZZ_TRACE /* -DFUZZ_TRACE: follow a crashing input step by step */
    int live = 0, retired = 0;
    for (int s = 0; s < CAP_SLOTS; s++) {
        live += m_live(&models[cur], s);
        retired += m_retired(&models[cur], s);
    }
    fprintf(stderr, "op %2u table %d: used %u quota %u%s live %d retired %d\n",
            cur_op, cur, models[cur].used, models[cur].quota,
            models[cur].dead ? " dead" : "", live, retired);
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_p = data;
    in_n = size;
    cur = 0;
    cur_op = 0;
    memset(models, 0, sizeof(models));
    for (int which = 0; which < 2; which++) {
        uint32_t seed = get32();
        do_init(which, seed, random_quota());
    }
    verify(0);
    verify(1);
    while (in_n)
        step(get8());
    /* Finally: every live slot's token works, every stale one fails. */
    for (int which = 0; which < 2; which++) {
        cur = which;
        for (int s = 0; s < CAP_SLOTS; s++) {
            cap_token_t tok =
                cap_token_make((unsigned)s, models[which].word[s]);
            FUZZ_ASSERT(m_token_ok(&models[which], tok) ==
                        m_live(&models[which], s));
            check_lookup(which, tok);
        }
        for (unsigned i = 0; i < models[which].nstale; i++)
            check_lookup(which, models[which].stale[i]);
    }
    return 0;
}
