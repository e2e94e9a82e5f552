/* Physical page allocator: a free list threaded through the free pages
 * themselves, O(1) both ways. page_lock guards the list and the count.
 *
 * Debug and test kernels (KEEL_LOCKCHECK) poison every freed page and
 * check the poison when the page is handed out again, so a write after
 * free (a stale mapping, a forgotten pointer) panics naming the page
 * instead of corrupting its next owner. Pages from page_init are marked
 * fresh (not poisoned), which keeps boot cheap. */
#include "../include/kernel.h"
#include "../include/mm.h"
#include "../include/spinlock.h"

struct free_page {
    struct free_page *next;
    uint64_t poisoned; /* debug: PAGE_POISON, or 0 for a fresh page */
};

#define PAGE_POISON 0x5afe5afe0ddba11ul
#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t))

#ifdef KEEL_LOCKCHECK
static void page_poison(struct free_page *fp)
{
    uint64_t *w = (uint64_t *)fp;
    for (unsigned i = 2; i < PAGE_WORDS; i++)
        w[i] = PAGE_POISON ^ i;
    fp->poisoned = PAGE_POISON;
}

/* The page fp just left the free list: nobody may have written to it. */
static void page_check_poison(struct free_page *fp)
{
    const uint64_t *w = (const uint64_t *)fp;
    if (fp->poisoned == 0)
        return; /* fresh from page_init */
    if (fp->poisoned != PAGE_POISON)
        panic("page %p written after free (word 1 = %lx)", fp, w[1]);
    for (unsigned i = 2; i < PAGE_WORDS; i++) {
        if (w[i] != (PAGE_POISON ^ i))
            panic("page %p written after free (word %u = %lx)", fp, i, w[i]);
    }
}
#else
static inline void page_poison(struct free_page *fp)
{
    (void)fp;
}
static inline void page_check_poison(struct free_page *fp)
{
    (void)fp;
}
#endif

static spinlock_t page_lock = SPINLOCK_INIT("page");
static struct free_page *free_list;
static uint64_t free_count;
static uint64_t total_count; /* pages page_init handed over */
static uint64_t boot_next;   /* bump pointer before page_init */

void *page_alloc_boot(uint64_t n)
{
    extern char __kernel_end[];
    if (!boot_next)
        boot_next = ALIGN_UP((uint64_t)__kernel_end, PAGE_SIZE);
    void *p = (void *)boot_next;
    boot_next += n * PAGE_SIZE;
    memset(p, 0, n * PAGE_SIZE);
    return p;
}

void page_init(uint64_t start, uint64_t end)
{
    if (boot_next > start)
        start = boot_next;
    start = ALIGN_UP(start, PAGE_SIZE);
    for (uint64_t pa = ALIGN_DOWN(end, PAGE_SIZE) - PAGE_SIZE; pa >= start;
         pa -= PAGE_SIZE) {
        struct free_page *fp = (struct free_page *)pa;
        fp->poisoned = 0;
        fp->next = free_list;
        free_list = fp;
        free_count++;
        total_count++;
    }
}

void *page_alloc(void)
{
    spin_lock(&page_lock);
    struct free_page *fp = free_list;
    if (fp) {
        free_list = fp->next;
        free_count--;
    }
    spin_unlock(&page_lock);
    if (fp) {
        page_check_poison(fp);
        memset(fp, 0, PAGE_SIZE);
    }
    return fp;
}

void page_free(void *pa)
{
    KASSERT(((uint64_t)pa & (PAGE_SIZE - 1)) == 0);
    struct free_page *fp = pa;
    page_poison(fp);
    spin_lock(&page_lock);
    fp->next = free_list;
    free_list = fp;
    free_count++;
    spin_unlock(&page_lock);
}

uint64_t page_free_count(void)
{
    return READ_ONCE(free_count);
}

uint64_t page_total_count(void)
{
    return READ_ONCE(total_count);
}

#ifdef KEEL_KTEST
bool page_is_free(uint64_t pa)
{
    bool found = false;
    spin_lock(&page_lock);
    for (struct free_page *fp = free_list; fp && !found; fp = fp->next)
        found = (uint64_t)fp == pa;
    spin_unlock(&page_lock);
    return found;
}
#endif
