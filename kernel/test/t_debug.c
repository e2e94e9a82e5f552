/*
 * In-kernel tests of the debug-build invariant checks (issue 6 item 12):
 * each provokes the bug a check exists for and expects the panic
 * (ktest_expect_panic), then checks the state was left alone.
 */
#include "../include/asm_offsets.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "../mm/pool.h"
#include "ktest.h"

struct dbg_obj {
    uint64_t v[3];
};
static struct dbg_obj dbg_storage[4];
static uint32_t dbg_links[4];
static struct pool dbg_pool; /* the test thread's own: no lock needed */

static void free_arg(void *obj)
{
    pool_free(&dbg_pool, obj);
}

KTEST(debug_pool_double_free_panics)
{
    pool_init(&dbg_pool, "dbg", dbg_storage, dbg_links, sizeof(dbg_storage[0]),
              4);
    struct dbg_obj *a = pool_alloc(&dbg_pool);
    KT_CHECK(a);
    KT_CHECK(!ktest_expect_panic(free_arg, a)); /* a good free */
    KT_CHECK(ktest_expect_panic(free_arg, a));  /* the same again */
    KT_CHECK(ktest_panic_said("pool dbg: double free"));
    KT_CHECK_EQ(dbg_pool.in_use, 0);
    static struct dbg_obj outside;
    KT_CHECK(ktest_expect_panic(free_arg, &outside));
    KT_CHECK(ktest_panic_said("foreign pointer"));
    KT_CHECK(ktest_expect_panic(free_arg, (char *)&dbg_storage[1] + 8));
    KT_CHECK(ktest_panic_said("foreign pointer"));
    /* The free list survived: all 4 objects can be had. */
    int n = 0;
    while (pool_alloc(&dbg_pool))
        n++;
    KT_CHECK_EQ(n, 4);
}

static void put_arg(void *r)
{
    ref_put((uint32_t *)r);
}

static void get_arg(void *r)
{
    ref_get((uint32_t *)r);
}

KTEST(debug_refcount_underflow_panics)
{
    uint32_t refs = 1;
    KT_CHECK(!ktest_expect_panic(put_arg, &refs));
    KT_CHECK_EQ(refs, 0);
    KT_CHECK(ktest_expect_panic(put_arg, &refs)); /* one put too many */
    KT_CHECK(ktest_panic_said("refcount underflow"));
    refs = 0;
    KT_CHECK(ktest_expect_panic(get_arg, &refs)); /* reviving a freed one */
    KT_CHECK(ktest_panic_said("freed object"));
}

/* The put functions of every refcounted kernel object use ref_put: a put
 * on a struct whose count is 0 panics before anything is freed. */
static void file_put_arg(void *f)
{
    file_put(f);
}

KTEST(debug_file_put_underflow_panics)
{
    static const struct file_ops none;
    struct file *f = file_alloc(&none);
    KT_CHECK(f);
    if (!f)
        return;
    f->refs = 0; /* as if one put too many had happened */
    KT_CHECK(ktest_expect_panic(file_put_arg, f));
    KT_CHECK(ktest_panic_said("refcount underflow"));
    f->refs = 1;
    file_put(f); /* frees it */
}

static void alloc_arg(void *out)
{
    *(void **)out = page_alloc();
}

KTEST(debug_page_write_after_free_panics)
{
    uint64_t *pg = page_alloc();
    KT_CHECK(pg);
    page_free(pg);
    pg[100] = 42; /* a write after free */
    void *got = NULL;
    /* The free list is LIFO: the next allocation on an otherwise quiet
     * kernel is this page, and its poison is gone. */
    KT_CHECK(ktest_expect_panic(alloc_arg, &got));
    KT_CHECK(ktest_panic_said("written after free"));
    /* The panic came after the page left the free list: it is ours.
     * Freed again, it is poisoned afresh and hands out cleanly. */
    page_free(pg);
    got = NULL;
    KT_CHECK(!ktest_expect_panic(alloc_arg, &got));
    KT_CHECK(got != NULL);
    page_free(got);
}

/* Every kernel stack (the 256 thread stacks, the 8 boot stacks) is the
 * upper half of an aligned KSTACK_SLOT: mapped RW with 4 KiB pages, and
 * the half below it unmapped. */
static int check_stack_slot(uint64_t slot)
{
    int bad = 0, level;
    for (uint64_t a = slot; a < slot + KSTACK_SLOT; a += PAGE_SIZE) {
        pte_t pte = vm_kernel_pte(a, &level);
        bool guard = a < slot + KSTACK_SLOT / 2;
        if (guard && (pte & PTE_V))
            bad++;
        if (!guard && (!(pte & PTE_V) || level != 0 ||
                       (pte & (PTE_R | PTE_W | PTE_X)) != (PTE_R | PTE_W)))
            bad++;
    }
    return bad;
}

KTEST(debug_kstack_guards_unmapped)
{
    extern char boot_stacks[];
    int bad = 0;
    for (uint32_t i = 0; i < MAX_THREADS; i++) {
        uint64_t slot = (uint64_t)thread_kstack_slot(i);
        bad += slot % KSTACK_SLOT != 0;
        bad += check_stack_slot(slot);
    }
    KT_CHECK_EQ(bad, 0);
    bad = 0;
    for (int i = 0; i < MAX_HARTS; i++) {
        uint64_t slot = (uint64_t)boot_stacks + (uint64_t)i * KSTACK_SLOT;
        bad += slot % KSTACK_SLOT != 0;
        bad += check_stack_slot(slot);
    }
    KT_CHECK_EQ(bad, 0);
    /* This thread runs on such a stack, sp in its upper half. */
    struct thread *t = current();
    uint64_t sp = (uint64_t)__builtin_frame_address(0);
    KT_CHECK((uint64_t)t->kstack % KSTACK_SLOT == KSTACK_SLOT / 2);
    KT_CHECK(sp > (uint64_t)t->kstack &&
             sp <= (uint64_t)t->kstack + KSTACK_SIZE);
}

/* Recursion that needs far more than 16 KiB of stack. */
static int __attribute__((noinline)) deep(int n)
{
    volatile char buf[512];
    buf[n % 512] = (char)n;
    if (n == 0)
        return buf[0];
    return deep(n - 1) + buf[n % 512];
}

static void deep_arg(void *arg)
{
    (void)arg;
    deep(200); /* about 100 KiB */
}

/* A real overflow: the recursion runs into the guard, the fault's trap
 * sees sp below the stack and panics on the emergency stack, naming the
 * overflow, instead of pushing a frame into the guard (or, without the
 * guard, running on into the next thread's stack). */
KTEST(debug_kstack_overflow_caught)
{
    KT_CHECK(ktest_expect_panic(deep_arg, NULL));
    KT_CHECK(ktest_panic_said("kernel stack overflow"));
    /* The kernel carries on: traps and the scheduler still work. */
    schedule();
    KT_CHECK_EQ(csr_read(sscratch), 0);
}
