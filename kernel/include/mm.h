/* Physical pages and Sv39 address spaces. */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include "kernel.h"

typedef uint64_t pte_t;
typedef pte_t *pagetable_t; /* one 4 KiB page of 512 PTEs */

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_PPN_SHIFT 10
#define PTE_TO_PA(p) (((p) >> PTE_PPN_SHIFT) << PAGE_SHIFT)
#define PA_TO_PTE(pa) ((((uint64_t)(pa)) >> PAGE_SHIFT) << PTE_PPN_SHIFT)

/* Physical page allocator: O(1) free list, pages come back zeroed. */
void page_init(uint64_t start, uint64_t end);
void *page_alloc(void);
void page_free(void *pa);
uint64_t page_free_count(void);
uint64_t page_total_count(void);
/* Carve `n` contiguous pages before page_init hands memory out (boot). */
void *page_alloc_boot(uint64_t n);
#ifdef KEEL_KTEST
/* pa is on the free list (a walk of the whole list: tests only). */
bool page_is_free(uint64_t pa);
#endif

/* Kernel address space: identity map of devices and RAM, W^X. */
void vm_kernel_init(uint64_t ram_end);
void vm_kernel_enable(void); /* on each hart */
/* Boot: leave [va, va+len) unmapped in the kernel map (guard pages). */
void vm_kernel_unmap(uint64_t va, uint64_t len);
/* The kernel map's entry for va and its level (0: 4 KiB, 1: 2 MiB); an
 * entry without PTE_V means unmapped (at that level). */
pte_t vm_kernel_pte(uint64_t va, int *level);
extern pagetable_t kernel_pagetable;

/* User address spaces. */
pagetable_t vm_user_create(void);
void vm_user_destroy(pagetable_t pt);
/* Map fresh zeroed pages over [va, va+len) with PTE_* perm (U added).
 * On failure nothing this call mapped stays mapped. */
int vm_user_alloc(pagetable_t pt, uint64_t va, uint64_t len, uint64_t perm);
/* The same for callers holding a spinlock (the process's vm_lock): pages
 * to give back are chained on *undo; page_free_list(*undo) after
 * unlocking. */
int vm_user_alloc_undo(pagetable_t pt, uint64_t va, uint64_t len, uint64_t perm,
                       void **undo);
void page_free_list(void *list);
/* vm_user_alloc_undo that adds to *nalloc the pages the address space
 * gained (mapped pages on success, page-table pages in any case). */
int vm_user_alloc_count(pagetable_t pt, uint64_t va, uint64_t len,
                        uint64_t perm, void **undo, uint64_t *nalloc);
/* Unmap the pages of [va, va+len) (those present), flush every hart that
 * may cache them, and chain them on *undo for page_free_list after
 * unlocking. Returns how many pages it unmapped. */
uint64_t vm_user_unmap(pagetable_t pt, uint64_t va, uint64_t len, void **undo);
#ifdef KEEL_LOCKCHECK
/* Fault injection (debug kernels): the next mapping into pt runs out of
 * memory once `pages` more pages were mapped. pt's vm_lock held. */
void vm_fail_inject(pagetable_t pt, uint64_t pages);
#endif
/* Physical address backing user va, or 0 when not mapped. */
uint64_t vm_user_translate(pagetable_t pt, uint64_t va);
/* Copy into a (possibly inactive) user address space through its table. */
int vm_copy_out(pagetable_t pt, uint64_t va, const void *src, size_t n);
#define SATP_SV39_MODE (8ul << 60)
static inline uint64_t vm_satp(pagetable_t pt)
{
    return SATP_SV39_MODE | ((uint64_t)pt >> PAGE_SHIFT);
}

/*
 * TLB shootdown. Keel uses no ASIDs: a hart that writes satp flushes its
 * whole TLB, so only a hart that has a table loaded now can cache its
 * translations. vm_hart_pt[h] names the table hart h has loaded (or is
 * about to load): vm_hart_publish stores it, with a full fence, before
 * the satp write. A flusher clears the PTEs, fences, then reads every
 * vm_hart_pt: either it sees the hart (and flushes it), or the hart's
 * table walks come after the clear. Entries may be stale the other way
 * (naming a table the hart left): that only costs a spare flush.
 */
extern pagetable_t vm_hart_pt[MAX_HARTS];
static inline void vm_hart_publish(int hart, pagetable_t pt)
{
    __atomic_store_n(&vm_hart_pt[hart], pt, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
/* This hart leaves its user table for the kernel's (satp + local flush). */
void vm_switch_kernel(void);
/* After clearing PTEs of pt and before reusing their pages or tables:
 * flush this hart if pt is loaded, and synchronously (SBI RFENCE) every
 * other hart that may have pt loaded. Never sleeps. */
void vm_tlb_shootdown(pagetable_t pt);

/* Checked user access. Each returns 0 or -EFAULT and never faults the
 * kernel: the range must lie inside user space, and a fault inside the
 * copy loop is caught by the trap handler's fixup. */
int copy_from_user(void *dst, uint64_t usrc, size_t n);
int copy_to_user(uint64_t udst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most max bytes (NUL included):
 * returns its length, -EFAULT, or -ENAMETOOLONG when no NUL was found. */
long strncpy_from_user(char *dst, uint64_t usrc, size_t max);
/* Atomic compare-and-swap of an aligned user word (a futex): stores new
 * if *uaddr == old. *cur gets the value found (== old: stored). 0, or
 * -EFAULT when the word is misaligned, unmapped or not user-writable. */
int uaccess_cmpxchg32(uint64_t uaddr, uint32_t old, uint32_t new,
                      uint32_t *cur);
static inline bool user_range_ok(uint64_t va, size_t n)
{
    return va >= USER_BASE && va <= USER_TOP && n <= USER_TOP - va;
}

#endif
