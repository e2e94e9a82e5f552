/*
 * Sv39 page tables. The kernel identity-maps the board's devices and all
 * of RAM below 4 GiB (root entries 0..3) without the U bit, text RX,
 * rodata R, everything else RW: W^X. Every user page table shares those
 * root entries, so a trap needs no satp switch. User space is
 * [USER_BASE, USER_TOP), root entries 4..255.
 *
 * Unmapping (brk failure or shrink, exit, failed loads) invalidates the
 * PTEs first, then flushes every hart that may cache them
 * (vm_tlb_shootdown, see mm.h), and only then touches or frees the pages
 * and tables. Page tables and brk are guarded by the owning process's
 * vm_lock (or are private to a process being built or torn down);
 * vm_hart_pt[h] is written only by hart h.
 */
#include "../include/kernel.h"
#include "../include/mm.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"
#include "../../board/virt.h"

#define VPN(va, level) (((va) >> (12 + 9 * (level))) & 0x1ff)
#define KERNEL_ROOT_ENTRIES 4 /* root entries 0..3 cover [0, 4 GiB) */
/* RSW bit: marks pages vm_user_alloc mapped in the current call. */
#define PTE_NEW (1ul << 8)

pagetable_t kernel_pagetable;
pagetable_t vm_hart_pt[MAX_HARTS];

#ifdef KEEL_LOCKCHECK
/* Fault injection: a mapping into fail_pt fails once fail_left more
 * pages were mapped. Set and used under the vm_lock of fail_pt's
 * process; vm_user_destroy clears it before the table can be reused. */
static pagetable_t fail_pt;
static uint64_t fail_left;

void vm_fail_inject(pagetable_t pt, uint64_t pages)
{
    fail_left = pages;
    __atomic_store_n(&fail_pt, pt, __ATOMIC_RELEASE);
}

static void *user_page_alloc(pagetable_t pt)
{
    if (unlikely(__atomic_load_n(&fail_pt, __ATOMIC_ACQUIRE) == pt)) {
        if (fail_left == 0) {
            __atomic_store_n(&fail_pt, NULL, __ATOMIC_RELAXED);
            return NULL; /* as if memory had run out */
        }
        fail_left--;
    }
    return page_alloc();
}
#else
#define user_page_alloc(pt) page_alloc()
#endif

/* Walk to the level-0 PTE for va, allocating tables when `alloc`.
 * `boot` allocates from the boot bump allocator. */
static pte_t *walk(pagetable_t pt, uint64_t va, bool alloc, bool boot)
{
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &pt[VPN(va, level)];
        if (*pte & PTE_V) {
            if (*pte & (PTE_R | PTE_W | PTE_X))
                return NULL; /* a superpage: no level-0 entry */
            pt = (pagetable_t)PTE_TO_PA(*pte);
        } else {
            if (!alloc)
                return NULL;
            pagetable_t next = boot ? page_alloc_boot(1) : page_alloc();
            if (!next)
                return NULL;
            *pte = PA_TO_PTE(next) | PTE_V;
            pt = next;
        }
    }
    return &pt[VPN(va, 0)];
}

/* walk(pt, va, true, false) that adds the tables it allocates to *n. */
static pte_t *walk_count(pagetable_t pt, uint64_t va, uint64_t *n)
{
    for (int level = 2; level > 0; level--) {
        pte_t *pte = &pt[VPN(va, level)];
        if (*pte & PTE_V) {
            if (*pte & (PTE_R | PTE_W | PTE_X))
                return NULL;
            pt = (pagetable_t)PTE_TO_PA(*pte);
        } else {
            pagetable_t next = page_alloc();
            if (!next)
                return NULL;
            ++*n;
            *pte = PA_TO_PTE(next) | PTE_V;
            pt = next;
        }
    }
    return &pt[VPN(va, 0)];
}

/* Kernel map: 2 MiB pages where aligned, else 4 KiB. Boot only. */
static void kmap(uint64_t va, uint64_t pa, uint64_t size, uint64_t perm)
{
    uint64_t end = va + size;
    while (va < end) {
        if ((va & 0x1fffff) == 0 && end - va >= 0x200000) {
            pte_t *l1 = &kernel_pagetable[VPN(va, 2)];
            if (!(*l1 & PTE_V))
                *l1 = PA_TO_PTE(page_alloc_boot(1)) | PTE_V;
            pagetable_t t = (pagetable_t)PTE_TO_PA(*l1);
            t[VPN(va, 1)] =
                PA_TO_PTE(pa) | perm | PTE_V | PTE_A | PTE_D | PTE_G;
            va += 0x200000;
            pa += 0x200000;
            continue;
        }
        pte_t *pte = walk(kernel_pagetable, va, true, true);
        KASSERT(pte);
        *pte = PA_TO_PTE(pa) | perm | PTE_V | PTE_A | PTE_D | PTE_G;
        va += PAGE_SIZE;
        pa += PAGE_SIZE;
    }
}

void vm_kernel_init(uint64_t ram_end)
{
    extern char __kernel_start[], __text_end[], __rodata_end[];
    kernel_pagetable = page_alloc_boot(1);
    KASSERT(ram_end <= 4ul << 30);
    kmap(VIRT_TEST_BASE, VIRT_TEST_BASE, PAGE_SIZE, PTE_R | PTE_W);
    kmap(VIRT_PLIC_BASE, VIRT_PLIC_BASE, VIRT_PLIC_SIZE, PTE_R | PTE_W);
    kmap(VIRT_UART0_BASE, VIRT_UART0_BASE, PAGE_SIZE, PTE_R | PTE_W);
    uint64_t ks = (uint64_t)__kernel_start, te = (uint64_t)__text_end,
             re = (uint64_t)__rodata_end;
    kmap(ks, ks, te - ks, PTE_R | PTE_X);
    kmap(te, te, re - te, PTE_R);
    /* Data, bss and every page the allocators hand out: RW, never X.
     * The tables for this range are carved before it is mapped. */
    uint64_t data_end = ALIGN_UP(re, 0x200000);
    kmap(re, re, data_end - re, PTE_R | PTE_W);
    kmap(data_end, data_end, ram_end - data_end, PTE_R | PTE_W);
}

/* Leaves [va, va+len) of the kernel map unmapped (page aligned; boot
 * only, before page_init and before any hart enables the map): a 2 MiB
 * page covering part of it is split into 4 KiB pages first. */
void vm_kernel_unmap(uint64_t va, uint64_t len)
{
    KASSERT(((va | len) & (PAGE_SIZE - 1)) == 0);
    for (uint64_t a = va; a < va + len; a += PAGE_SIZE) {
        pte_t *l2 = &kernel_pagetable[VPN(a, 2)];
        if (!(*l2 & PTE_V))
            continue;
        KASSERT(!(*l2 & (PTE_R | PTE_W | PTE_X))); /* no 1 GiB pages */
        pte_t *l1 = &((pagetable_t)PTE_TO_PA(*l2))[VPN(a, 1)];
        if (!(*l1 & PTE_V))
            continue;
        if (*l1 & (PTE_R | PTE_W | PTE_X)) {
            /* Split: 512 small pages with the big page's permissions. */
            pagetable_t t = page_alloc_boot(1);
            uint64_t base = PTE_TO_PA(*l1), flags = *l1 & 0x3ff;
            for (int i = 0; i < 512; i++)
                t[i] = PA_TO_PTE(base + (uint64_t)i * PAGE_SIZE) | flags;
            *l1 = PA_TO_PTE(t) | PTE_V;
        }
        ((pagetable_t)PTE_TO_PA(*l1))[VPN(a, 0)] = 0;
    }
}

pte_t vm_kernel_pte(uint64_t va, int *level)
{
    pagetable_t pt = kernel_pagetable;
    for (int l = 2; l >= 0; l--) {
        pte_t pte = pt[VPN(va, l)];
        if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W | PTE_X)) || l == 0) {
            *level = l;
            return pte;
        }
        pt = (pagetable_t)PTE_TO_PA(pte);
    }
    return 0;
}

void vm_kernel_enable(void)
{
    sfence_vma();
    csr_write(satp, vm_satp(kernel_pagetable));
    sfence_vma();
}

pagetable_t vm_user_create(void)
{
    pagetable_t pt = page_alloc();
    if (!pt)
        return NULL;
    for (int i = 0; i < KERNEL_ROOT_ENTRIES; i++)
        pt[i] = kernel_pagetable[i];
    return pt;
}

void vm_switch_kernel(void)
{
    vm_hart_publish(this_hart()->id, kernel_pagetable);
    csr_write(satp, vm_satp(kernel_pagetable));
    sfence_vma();
}

void vm_tlb_shootdown(pagetable_t pt)
{
    /* The PTE stores before the vm_hart_pt reads (vm_hart_publish). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int self = this_hart()->id;
    unsigned long mask = 0;
    for (int h = 0; h < nharts; h++)
        if (h != self &&
            __atomic_load_n(&vm_hart_pt[h], __ATOMIC_RELAXED) == pt)
            mask |= 1ul << h;
    if (csr_read(satp) == vm_satp(pt))
        sfence_vma();
    if (mask && sbi_remote_sfence_vma(mask, 0) != 0)
        panic("remote TLB flush of harts %lx failed", mask);
}

/* Frees the user pages and page tables of [KERNEL_ROOT_ENTRIES, 512) of
 * the root, leaves first. A preemption point follows every
 * DESTROY_STEP freed pages and every level-0 table, so one stretch is at
 * most a table's scan (512 loads) plus DESTROY_STEP page_free calls (the
 * debug kernel poisons each freed page). No lock is held: the caller
 * owns pt alone. User mappings are 4 KiB leaves at level 0 only. */
#ifdef KEEL_LOCKCHECK
#define DESTROY_STEP 4
#else
#define DESTROY_STEP 16
#endif

static void free_level0(pagetable_t t, unsigned *n)
{
    for (int i = 0; i < 512; i++) {
        pte_t pte = t[i];
        if (!(pte & PTE_V))
            continue;
        KASSERT(pte & (PTE_R | PTE_W | PTE_X));
        page_free((void *)PTE_TO_PA(pte));
        if (++*n % DESTROY_STEP == 0)
            sched_preempt_point();
    }
    page_free(t);
    sched_preempt_point();
}

/* The caller has switched away from pt; no thread of its process runs,
 * and nothing else can reach pt (it is no process's table any more, or
 * its process is being built or reaped by the caller). Preemptible (see
 * above): the caller holds no spinlock. */
void vm_user_destroy(pagetable_t pt)
{
    vm_tlb_shootdown(pt); /* no hart may walk or cache it once freed */
#ifdef KEEL_LOCKCHECK
    pagetable_t expect = pt;
    __atomic_compare_exchange_n(&fail_pt, &expect, NULL, false,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
#endif
    unsigned n = 0;
    for (int i = KERNEL_ROOT_ENTRIES; i < 512; i++) {
        if (!(pt[i] & PTE_V))
            continue;
        KASSERT(!(pt[i] & (PTE_R | PTE_W | PTE_X)));
        pagetable_t l1 = (pagetable_t)PTE_TO_PA(pt[i]);
        for (int j = 0; j < 512; j++) {
            if (!(l1[j] & PTE_V))
                continue;
            KASSERT(!(l1[j] & (PTE_R | PTE_W | PTE_X)));
            free_level0((pagetable_t)PTE_TO_PA(l1[j]), &n);
        }
        page_free(l1);
    }
    page_free(pt);
}

/*
 * Unmap the leaves of [va, end) that have every bit of `need` and chain
 * their pages on *undo. Pass 1 only clears PTE_V (the page number stays
 * in the invalid PTE; elsewhere an invalid leaf is always 0); then every
 * hart that may cache the old entries is flushed; only pass 2 writes the
 * pages (the undo chain is threaded through them) and zeroes the PTEs. A
 * thread of the process on another hart cannot touch a page after pass 1
 * plus the flush, so it never sees the chain or the page's next owner.
 */
static uint64_t unmap_range(pagetable_t pt, uint64_t va, uint64_t end,
                            uint64_t need, void **undo)
{
    uint64_t n = 0;
    need |= PTE_V;
    for (uint64_t a = va; a < end; a += PAGE_SIZE) {
        pte_t *pte = walk(pt, a, false, false);
        if (pte && (*pte & need) == need) {
            *pte &= ~PTE_V;
            n++;
        }
    }
    if (!n)
        return 0;
    vm_tlb_shootdown(pt);
    for (uint64_t a = va; a < end; a += PAGE_SIZE) {
        pte_t *pte = walk(pt, a, false, false);
        if (pte && *pte && !(*pte & PTE_V)) {
            void **page = (void **)PTE_TO_PA(*pte);
            *pte = 0;
            *page = *undo;
            *undo = page;
        }
    }
    return n;
}

int vm_user_alloc_count(pagetable_t pt, uint64_t va, uint64_t len,
                        uint64_t perm, void **undo, uint64_t *nalloc)
{
    uint64_t leaves = 0;
    KASSERT((va & (PAGE_SIZE - 1)) == 0);
    if (!user_range_ok(va, len))
        return -EFAULT;
    /* Pass 1: pages already mapped (segments sharing a page) may only be
     * widened, never to W+X. Nothing changes if this fails. */
    for (uint64_t a = va; a < va + len; a += PAGE_SIZE) {
        pte_t *pte = walk(pt, a, false, false);
        if (pte && (*pte & PTE_V)) {
            uint64_t p = (*pte | perm) & (PTE_W | PTE_X);
            if (p == (PTE_W | PTE_X))
                return -EACCES;
        }
    }
    /* Pass 2: map. On running out of memory, unmap what this call added. */
    uint64_t a;
    for (a = va; a < va + len; a += PAGE_SIZE) {
        /* Tables this walk adds stay even if the call fails: counted (the
         * quota charges every page an address space holds). */
        pte_t *pte = walk_count(pt, a, nalloc);
        if (!pte)
            goto fail;
        if (*pte & PTE_V) {
            *pte |= perm;
            continue;
        }
        void *page = user_page_alloc(pt);
        if (!page)
            goto fail;
        *pte = PA_TO_PTE(page) | perm | PTE_U | PTE_V | PTE_A | PTE_D;
        *pte |= PTE_NEW;
        leaves++;
    }
    for (a = va; a < va + len; a += PAGE_SIZE)
        *walk(pt, a, false, false) &= ~PTE_NEW;
    *nalloc += leaves;
    return 0;
fail:
    /* Unmap what this call added; the pages go on the caller's undo list
     * (freed once its lock is dropped). */
    unmap_range(pt, va, a, PTE_NEW, undo);
    return -ENOMEM;
}

int vm_user_alloc_undo(pagetable_t pt, uint64_t va, uint64_t len, uint64_t perm,
                       void **undo)
{
    uint64_t n = 0;
    return vm_user_alloc_count(pt, va, len, perm, undo, &n);
}

void page_free_list(void *list)
{
    while (list) {
        void *next = *(void **)list;
        page_free(list);
        list = next;
    }
}

int vm_user_alloc(pagetable_t pt, uint64_t va, uint64_t len, uint64_t perm)
{
    void *undo = NULL;
    int err = vm_user_alloc_undo(pt, va, len, perm, &undo);
    page_free_list(undo);
    return err;
}

uint64_t vm_user_unmap(pagetable_t pt, uint64_t va, uint64_t len, void **undo)
{
    KASSERT((va & (PAGE_SIZE - 1)) == 0);
    return user_range_ok(va, len) ? unmap_range(pt, va, va + len, 0, undo) : 0;
}

uint64_t vm_user_translate(pagetable_t pt, uint64_t va)
{
    if (!user_range_ok(va, 1))
        return 0;
    pte_t *pte = walk(pt, va, false, false);
    if (!pte || !(*pte & PTE_V) || !(*pte & PTE_U))
        return 0;
    return PTE_TO_PA(*pte) | (va & (PAGE_SIZE - 1));
}

int vm_copy_out(pagetable_t pt, uint64_t va, const void *src, size_t n)
{
    const uint8_t *s = src;
    while (n > 0) {
        uint64_t pa = vm_user_translate(pt, va);
        if (!pa)
            return -EFAULT;
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        memcpy((void *)pa, s, chunk);
        va += chunk;
        s += chunk;
        n -= chunk;
    }
    return 0;
}
