/* Helpers for in-kernel tests that act as a user process (kt_world.h). */
#include "../include/riscv.h"
#include "kt_world.h"
#include "ktest.h"

long sys_spawn(uint64_t ureq);
long sys_waitpid(int pid, uint64_t ustatus, int options);

void kt_world_begin(struct kt_world *w)
{
    w->files = file_count();
    w->procs = proc_count();
    w->p = proc_alloc("ktspawn");
    w->b = NULL;
    w->pt = vm_user_create();
    vm_user_alloc(w->pt, USER_BASE, 2 * PAGE_SIZE, PTE_R | PTE_W);
    w->old_satp = csr_read(satp);
    csr_write(satp, vm_satp(w->pt));
    sfence_vma();
    /* The scheduler restores a thread's satp from its process: while the
     * test thread borrows p, the scratch table is that process's. */
    w->p->pagetable = w->pt;
    current()->proc = w->p;
}

void kt_world_begin_pair(struct kt_world *w)
{
    kt_world_begin(w);
    w->b = proc_alloc("ktB");
}

void kt_world_end(struct kt_world *w)
{
    current()->proc = NULL;
    w->p->pagetable = NULL;
    cap_space_teardown(w->p);
    if (w->b)
        cap_space_teardown(w->b);
    proc_free(w->p);
    if (w->b)
        proc_free(w->b);
    csr_write(satp, w->old_satp);
    sfence_vma();
    vm_user_destroy(w->pt);
    /* A reaped child's struct (and so ours, its creator) is freed once its
     * last thread is off its hart, which on a loaded host can lag the
     * reap: wait for that (bounded, 2 s of 1 ms sleeps), then check. */
    for (int i = 0; i < 2000 && proc_count() != w->procs; i++)
        sleep_until(time_now_ticks() + ns_to_ticks(1000000));
    KT_CHECK_EQ(file_count(), w->files);
    KT_CHECK_EQ(proc_count(), w->procs);
}

int kt_install_path(struct proc *p, const char *path, int oflags,
                    unsigned rights, int slot)
{
    struct file *f;
    if (vfs_open(path, oflags, &f))
        return -1;
    int s = cap_fd_install(p, f, rights, false, slot);
    if (s < 0)
        file_put(f);
    return s;
}

int kt_install_null(struct proc *p, unsigned rights, bool cloexec, int slot)
{
    struct file *f;
    if (vfs_open("/dev/null", KEEL_O_RDWR, &f))
        return -1;
    int s = cap_fd_install(p, f, rights, cloexec, slot);
    if (s < 0)
        file_put(f);
    return s;
}

uint64_t kt_read_u64(struct kt_world *w, uint64_t va)
{
    return *(uint64_t *)vm_user_translate(w->pt, va);
}

uint8_t *kt_scratch(struct kt_world *w)
{
    return (uint8_t *)vm_user_translate(w->pt, USER_BASE);
}

long kt_spawn(struct kt_world *w, struct keel_spawn_action *acts, uint32_t n,
              const char *path, const char *const *argv, uint32_t flags,
              int32_t pgroup)
{
    uint8_t *k = kt_scratch(w);
    uint8_t *k2 = (uint8_t *)vm_user_translate(w->pt, USER_BASE + PAGE_SIZE);
    struct keel_spawn_req *req = (void *)k;
    memset(k, 0, KT_SCRATCH_FREE);
    strlcpy((char *)k + 512, path, 256);
    req->path = USER_BASE + 512;
    if (argv) {
        uint64_t *uargv = (uint64_t *)(k + 768);
        size_t used = 0;
        int i = 0;
        for (; argv[i] && i < 30; i++) {
            size_t len = strlen(argv[i]) + 1;
            memcpy(k + 2048 + used, argv[i], len);
            uargv[i] = USER_BASE + 2048 + used;
            used += len;
        }
        uargv[i] = 0;
        req->argv = USER_BASE + 768;
    }
    struct keel_spawn_action *ua = (void *)(k + 1024);
    for (uint32_t i = 0; i < n; i++) {
        ua[i] = acts[i];
        if (acts[i].kind == KEEL_FA_OPEN) {
            strlcpy((char *)k2 + 256 * i, (const char *)acts[i].path, 256);
            ua[i].path = USER_BASE + PAGE_SIZE + 256 * i;
        }
    }
    req->actions = USER_BASE + 1024;
    req->nactions = n;
    req->flags = flags;
    req->pgroup = pgroup;
    return sys_spawn(USER_BASE);
}

int kt_wait(struct kt_world *w, long pid)
{
    int *st = (int *)(kt_scratch(w) + PAGE_SIZE - 8);
    *st = -1;
    KT_CHECK_EQ(sys_waitpid((int)pid, USER_BASE + PAGE_SIZE - 8, 0), pid);
    return *st;
}
