/*
 * Growing and shrinking a live address space in bounded steps (brk and
 * thread stacks), so that no stretch runs long with interrupts off or a
 * spinlock held (docs/realtime.md "Bounded kernel latency").
 *
 * The step protocol:
 *  V1. The caller holds p->vm_mutex (a sleeping lock) for the whole
 *      operation: only a holder changes brk, stack_mapped[] and the
 *      mappings of the heap and the stacks, so the range it works on
 *      stays as it left it between steps. Lock order: vm_mutex ->
 *      vm_lock; no spinlock is held while taking vm_mutex.
 *  V2. Each step takes p->vm_lock, maps at most VM_STEP_PAGES fresh pages
 *      (zeroed) or unmaps at most VM_UNMAP_STEP pages (flushing every hart
 *      that may cache them before the lock drops: vm_user_unmap), and
 *      drops it. Pages to give back are freed afterwards, VM_FREE_STEP
 *      pages per preemption point (never under a spinlock).
 *  V3. Between steps the thread holds no spinlock and passes a preemption
 *      point: it may be preempted and resume on another hart. Nothing it
 *      uses can go away meanwhile: it is not killed there (a kill takes
 *      effect on the way back to user mode), so it stays one of the
 *      process's threads and the process cannot be torn down (that needs
 *      its last thread to leave); the page table stays p->pagetable. The
 *      other threads of the process run on, as they always could on other
 *      harts: a page of the range becomes accessible to them as its step
 *      maps it, before brk says so (touching it is their mistake, but
 *      safe: the page is theirs, zeroed and charged), and inaccessible as
 *      its step unmaps it.
 *  V4. The quota is charged the whole operation's bound before the first
 *      step and trued up after the last, exactly as one call did, so the
 *      quota decides as before, and a growth that fails part-way unmaps
 *      every page it added (from the top down, so the lowest page is freed
 *      last) and leaves the charge as before the call (page-table pages
 *      stay, charged).
 * Cost of a step, in instructions (release kernel): mapping zeroes two
 * pages (2 x ~1,100) plus ~150 of walking and locking; unmapping walks 64
 * PTEs twice (~3,000) and, when another hart runs the process, waits for
 * one SBI remote fence; freeing 8 pages is ~400 (the debug kernel poisons
 * each freed page: ~600 more per page, hence 4 per point there).
 */
#include "../include/proc.h"

#define VM_STEP_PAGES 2
#define VM_UNMAP_STEP 64
#ifdef KEEL_LOCKCHECK
#define VM_FREE_STEP 4
#else
#define VM_FREE_STEP 8
#endif

void proc_vm_free_pages(void *list)
{
    int n = 0;
    while (list) {
        void *next = *(void **)list;
        page_free(list);
        list = next;
        if (++n % VM_FREE_STEP == 0)
            sched_preempt_point();
    }
}

/* Unmap [va, end) top-down in steps; returns the leaf pages unmapped.
 * The caller holds p->vm_mutex and no spinlock. */
static uint64_t unmap_steps(struct proc *p, uint64_t va, uint64_t end)
{
    uint64_t total = 0;
    while (end > va) {
        uint64_t lo = end - va > VM_UNMAP_STEP * PAGE_SIZE
                          ? end - VM_UNMAP_STEP * PAGE_SIZE
                          : va;
        void *undo = NULL;
        spin_lock(&p->vm_lock);
        total += vm_user_unmap(p->pagetable, lo, end - lo, &undo);
        spin_unlock(&p->vm_lock);
        proc_vm_free_pages(undo);
        sched_preempt_point();
        end = lo;
    }
    return total;
}

int proc_vm_grow(struct proc *p, uint64_t va, uint64_t len, uint64_t perm)
{
    KASSERT(kmutex_held(&p->vm_mutex));
    uint64_t bound = proc_vm_bound(len); /* V4 */
    if (quota_charge(p, KEEL_POOL_PAGES, bound) < 0)
        return -ENOMEM;
    uint64_t used = 0, done = 0;
    int err = 0;
    while (done < len) {
        uint64_t step = MIN(len - done, VM_STEP_PAGES * PAGE_SIZE);
        void *undo = NULL;
        spin_lock(&p->vm_lock);
        err = vm_user_alloc_count(p->pagetable, va + done, step, perm, &undo,
                                  &used);
        spin_unlock(&p->vm_lock);
        proc_vm_free_pages(undo); /* this step's own pages, if it failed */
        if (err)
            break;
        done += step;
        sched_preempt_point();
    }
    if (err)
        used -= unmap_steps(p, va, va + done); /* the earlier steps' pages */
    KASSERT(used <= bound);
    quota_uncharge(p, KEEL_POOL_PAGES, bound - used);
    spin_lock(&p->vm_lock);
    p->pages_charged += used;
    spin_unlock(&p->vm_lock);
    return err;
}

uint64_t proc_vm_shrink(struct proc *p, uint64_t va, uint64_t len)
{
    KASSERT(kmutex_held(&p->vm_mutex));
    uint64_t n = unmap_steps(p, va, va + len);
    quota_uncharge(p, KEEL_POOL_PAGES, n); /* page tables stay charged */
    spin_lock(&p->vm_lock);
    p->pages_charged -= n;
    spin_unlock(&p->vm_lock);
    return n;
}
