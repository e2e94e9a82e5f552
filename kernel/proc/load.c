/*
 * Program loading: map the PT_LOAD segments of an ELF file from the boot
 * image into a fresh address space (W^X enforced by elf_parse and
 * vm_user_alloc), give the main thread its stack (with a guard page below
 * it: the page under each stack is never mapped) and lay out argv and
 * the environment (main's argc, argv, envp in a0..a2).
 */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "elf.h"

#define MAX_SEGS 8

static uint64_t seg_perm(uint32_t flags)
{
    uint64_t perm = 0;
    if (flags & ELF_PF_R)
        perm |= PTE_R;
    if (flags & ELF_PF_W)
        perm |= PTE_W | PTE_R;
    if (flags & ELF_PF_X)
        perm |= PTE_X;
    return perm;
}

/* Copy strings v[0..n) below *sp, the first lowest; ptrs[i] gets each
 * one's address and ptrs[n] 0. */
static int push_strings(pagetable_t pt, uint64_t top, uint64_t *sp,
                        char *const v[], int n, uint64_t ptrs[])
{
    for (int i = n - 1; i >= 0; i--) {
        size_t len = strlen(v[i]) + 1;
        *sp -= len;
        if (top - *sp > USTACK_SIZE / 2)
            return -E2BIG;
        if (vm_copy_out(pt, *sp, v[i], len) < 0)
            return -EFAULT;
        ptrs[i] = *sp;
    }
    ptrs[n] = 0;
    return 0;
}

/* Push the environment and argv onto the new stack: their strings at
 * the top, then argv's NULL-terminated pointer array and right after it
 * envp's; sp (16-byte aligned) is argv. */
static int push_args(pagetable_t pt, uint64_t top, const struct proc_args *pa,
                     uint64_t *sp_out, uint64_t *envp_out)
{
    uint64_t ptrs[KEEL_SPAWN_ARGV_MAX + 1 + KEEL_SPAWN_ENV_MAX + 1];
    KASSERT(pa->argc <= KEEL_SPAWN_ARGV_MAX && pa->envc <= KEEL_SPAWN_ENV_MAX);
    uint64_t sp = top;
    int err =
        push_strings(pt, top, &sp, pa->envp, pa->envc, ptrs + pa->argc + 1);
    if (!err)
        err = push_strings(pt, top, &sp, pa->argv, pa->argc, ptrs);
    if (err)
        return err;
    uint64_t nptrs = (uint64_t)(pa->argc + 1 + pa->envc + 1);
    sp = ALIGN_DOWN(sp - nptrs * 8, 16);
    if (top - sp > USTACK_SIZE / 2)
        return -E2BIG;
    if (vm_copy_out(pt, sp, ptrs, nptrs * 8) < 0)
        return -EFAULT;
    *sp_out = sp;
    *envp_out = sp + (uint64_t)(pa->argc + 1) * 8;
    return 0;
}

/* Loading in bounded steps (docs/realtime.md "Bounded kernel latency"):
 * the new table pt is private to the loader (p is not running, and pt is
 * not p->pagetable until the end), so no lock guards it, and the loader
 * passes a preemption point after every LOAD_STEP_PAGES pages mapped
 * (zeroed) or copied from the image. Across a point: the image is boot-
 * image memory, never freed or written (ramfs.c), and p is pinned by the
 * spawn that builds it. A failure part-way leaves the steps done mapped
 * and counted in p->pages_charged; proc_load's failure path destroys the
 * table and gives them all back. */
#define LOAD_STEP_PAGES 2

static int load_map(struct proc *p, pagetable_t pt, uint64_t va, uint64_t len,
                    uint64_t perm)
{
    /* The quota is charged the bound for the whole range and trued up at
     * the end, as one call over the range did: it decides as before. */
    uint64_t bound = proc_vm_bound(len);
    if (quota_charge(p, KEEL_POOL_PAGES, bound) < 0)
        return -ENOMEM;
    uint64_t used = 0;
    int err = 0;
    for (uint64_t done = 0; done < len && !err;) {
        uint64_t step = MIN(len - done, LOAD_STEP_PAGES * PAGE_SIZE);
        void *undo = NULL;
        err = vm_user_alloc_count(pt, va + done, step, perm, &undo, &used);
        page_free_list(undo);
        done += step;
        sched_preempt_point();
    }
    KASSERT(used <= bound);
    quota_uncharge(p, KEEL_POOL_PAGES, bound - used);
    p->pages_charged += used;
    return err;
}

static int load_copy(pagetable_t pt, uint64_t va, const uint8_t *src,
                     uint64_t n)
{
    while (n > 0) {
        /* To the end of the LOAD_STEP_PAGES-th page from va. */
        uint64_t chunk =
            MIN(n, LOAD_STEP_PAGES * PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (vm_copy_out(pt, va, src, chunk) < 0)
            return -EFAULT;
        va += chunk;
        src += chunk;
        n -= chunk;
        sched_preempt_point();
    }
    return 0;
}

int proc_load(struct proc *p, const char *path, const struct proc_args *pa,
              struct thread **main_out)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup(path, false, &err);
    const uint8_t *image = NULL;
    uint64_t size = 0;
    if (ip && ip->kind == KEEL_NODE_FILE) {
        image = ip->image;
        size = ip->size;
    } else if (ip) {
        err = -EACCES;
    }
    spin_unlock(&ramfs_lock);
    if (err)
        return err;
    if (!image)
        return -ENOEXEC; /* only boot-image programs are executable */

    struct elf_segment segs[MAX_SEGS];
    int nsegs;
    uint64_t entry;
    err = elf_parse(image, size, USER_BASE, thread_stack_top(CAP_THREAD_SLOTS),
                    segs, MAX_SEGS, &nsegs, &entry);
    if (err)
        return err;
    sched_preempt_point();
    /* Every page of the new address space is charged to p's quota:
     * the root table here, the rest in load_map. */
    if (quota_charge(p, KEEL_POOL_PAGES, 1) < 0)
        return -ENOMEM;
    pagetable_t pt = vm_user_create();
    if (!pt) {
        quota_uncharge(p, KEEL_POOL_PAGES, 1);
        return -ENOMEM;
    }
    p->pages_charged = 1;
    uint64_t heap = USER_BASE;
    for (int i = 0; i < nsegs; i++) {
        uint64_t va = ALIGN_DOWN(segs[i].vaddr, PAGE_SIZE);
        uint64_t end = ALIGN_UP(segs[i].vaddr + segs[i].memsz, PAGE_SIZE);
        err = load_map(p, pt, va, end - va, seg_perm(segs[i].flags));
        if (!err)
            err = load_copy(pt, segs[i].vaddr, image + segs[i].offset,
                            segs[i].filesz);
        if (err)
            goto fail;
        heap = MAX(heap, end);
    }
    uint64_t top = thread_stack_top(0);
    err = load_map(p, pt, top - USTACK_SIZE, USTACK_SIZE, PTE_R | PTE_W);
    if (err)
        goto fail;
    uint64_t sp, envp;
    err = push_args(pt, top, pa, &sp, &envp);
    if (err)
        goto fail;
    struct thread *t = thread_alloc(p);
    if (!t) {
        err = -EAGAIN;
        goto fail;
    }
    p->pagetable = pt;
    p->heap_base = p->brk = heap;
    p->stack_mapped[0] = USTACK_SIZE;
    t->tslot = 0;
    t->tf->sepc = entry;
    t->tf->regs[TF_SP] = sp;
    t->tf->regs[TF_A0] = (uint64_t)pa->argc;
    t->tf->regs[TF_A0 + 1] = sp; /* argv */
    t->tf->regs[TF_A0 + 2] = envp;
    p->threads[0] = t;
    p->nthreads = 1;
    sig_thread_init(t, NULL);
    sig_thread_attach(p, t);
    cap_thread_install(p, 0, t);
    *main_out = t;
    return 0;
fail:
    vm_user_destroy(pt);
    proc_vm_uncharge(p);
    return err;
}

/* brk in bounded steps (proc/vm_step.c): vm_mutex keeps brk and the
 * heap's mappings ours across them; brk itself is written under vm_lock
 * too. Growing maps fresh zeroed pages, all or nothing; shrinking unmaps
 * and frees the pages above the new end. Every hart that may cache an
 * unmapped page is flushed before the page is freed. */
long sys_brk(uint64_t new_brk)
{
    struct proc *p = current()->proc;
    kmutex_lock(&p->vm_mutex);
    uint64_t cur = p->brk;
    long r = (long)cur;
    if (new_brk == 0 || new_brk == cur)
        goto out;
    if (new_brk < p->heap_base || new_brk > p->heap_base + USER_HEAP_MAX) {
        r = -ENOMEM;
        goto out;
    }
    uint64_t old_end = ALIGN_UP(cur, PAGE_SIZE);
    uint64_t new_end = ALIGN_UP(new_brk, PAGE_SIZE);
    if (new_end > old_end &&
        proc_vm_grow(p, old_end, new_end - old_end, PTE_R | PTE_W) < 0) {
        r = -ENOMEM;
        goto out;
    }
    if (new_end < old_end)
        proc_vm_shrink(p, new_end, old_end - new_end);
    spin_lock(&p->vm_lock);
    p->brk = new_brk;
    spin_unlock(&p->vm_lock);
    r = (long)new_brk;
out:
    kmutex_unlock(&p->vm_mutex);
    return r;
}

/* Fault injection for the user suite: only the debug and test kernels
 * (KEEL_LOCKCHECK) have it; the release kernel answers ENOSYS. */
long sys_vm_fail_after(uint64_t pages)
{
#ifdef KEEL_LOCKCHECK
    struct proc *p = current()->proc;
    spin_lock(&p->vm_lock);
    vm_fail_inject(p->pagetable, pages);
    spin_unlock(&p->vm_lock);
    return 0;
#else
    (void)pages;
    return -ENOSYS;
#endif
}
