/*
 * The cap_space: slot allocation, fd slots and the get_token/drop/info
 * syscalls. Every function here that touches a cap_space holds its lock
 * (the process's cap lock); objects named by a slot are pinned (file
 * refcount) before the lock is dropped, so a concurrent close or exit
 * never frees an object a syscall is using.
 */
#include "../include/cap.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../lib/bitmap.h"

void cap_space_init(struct cap_space *cs, uint32_t gen_seed)
{
    spin_init(&cs->lock, "cap");
    cs->used = 0;
    cs->quota = CAP_DEFAULT_QUOTA;
    cs->dead = false;
    for (int i = 0; i < CAP_SLOTS; i++) {
        /* Starting generations differ per process and per slot, and stay
         * far from the retirement value. */
        uint32_t gen = (gen_seed + (uint32_t)i * 0x9e3779b9u) & 0x7fffffffu;
        cs->words[i] = (cap_word_t)gen << CAPW_GEN_SHIFT;
    }
    for (unsigned w = 0; w < ARRAY_SIZE(cs->free_map); w++)
        cs->free_map[w] = 0;
    for (int i = 0; i < CAP_FD_SLOTS; i++)
        bitmap_set(cs->free_map, i);
}

int cap_slot_alloc_locked(struct cap_space *cs, int min)
{
    if (cs->dead || cs->used >= cs->quota)
        return -EMFILE;
    if (min < 0 || min >= CAP_FD_SLOTS)
        return -EINVAL;
    /* Lowest free slot at or above min: mask the words below it. */
    for (unsigned w = (unsigned)min / 64; w < ARRAY_SIZE(cs->free_map); w++) {
        uint64_t bits = cs->free_map[w];
        if (w == (unsigned)min / 64)
            bits &= ~0ull << (min % 64);
        if (bits) {
            int slot = (int)(w * 64 + __builtin_ctzll(bits));
            return slot < CAP_FD_SLOTS ? slot : -EMFILE;
        }
    }
    return -EMFILE;
}

void cap_slot_install_locked(struct cap_space *cs, int slot, cap_word_t w)
{
    KASSERT(!capw_valid(cs->words[slot]));
    /* Keep the slot's generation: a token minted now names this use. */
    cs->words[slot] = w | ((cap_word_t)capw_gen(cs->words[slot])
                           << CAPW_GEN_SHIFT);
    if (slot < CAP_FD_SLOTS) {
        bitmap_clear(cs->free_map, slot);
        cs->used++;
    }
}

cap_word_t cap_slot_clear_locked(struct cap_space *cs, int slot)
{
    cap_word_t old = cs->words[slot];
    KASSERT(capw_valid(old));
    cap_word_t next;
    bool live = capw_next_empty(old, &next);
    cs->words[slot] = next;
    if (slot < CAP_FD_SLOTS) {
        cs->used--;
        if (live) /* a retired slot never comes back */
            bitmap_set(cs->free_map, slot);
    }
    return old;
}

/* Release what a cleared word referenced. Called without the cap lock. */
static void cap_release_object(cap_word_t w)
{
    if (capw_type(w) == CAP_TYPE_FD)
        file_put(file_by_index(capw_obj(w)));
}

int cap_fd_install(struct proc *p, struct file *f, unsigned rights,
                   bool cloexec, int min_slot)
{
    struct cap_space *cs = &p->caps;
    spin_lock(&cs->lock);
    int slot = cap_slot_alloc_locked(cs, min_slot);
    if (slot >= 0) {
        cap_word_t w = capw_make(CAP_TYPE_FD, rights, file_index(f), 0);
        if (cloexec)
            w |= CAPW_CLOEXEC;
        cap_slot_install_locked(cs, slot, w);
    }
    spin_unlock(&cs->lock);
    return slot;
}

static bool fd_ok(int fd) { return fd >= 0 && fd < CAP_FD_SLOTS; }

int cap_fd_get(struct proc *p, int fd, unsigned rights, struct file **out)
{
    if (unlikely(!fd_ok(fd)))
        return -EBADF;
    struct cap_space *cs = &p->caps;
    spin_lock(&cs->lock);
    cap_word_t w = cs->words[fd];
    if (unlikely(!capw_valid(w) || capw_type(w) != CAP_TYPE_FD ||
                 (capw_rights(w) & rights) != rights)) {
        spin_unlock(&cs->lock);
        return -EBADF;
    }
    struct file *f = file_by_index(capw_obj(w));
    file_get(f);
    spin_unlock(&cs->lock);
    *out = f;
    return 0;
}

int cap_fd_close(struct proc *p, int fd)
{
    if (!fd_ok(fd))
        return -EBADF;
    struct cap_space *cs = &p->caps;
    spin_lock(&cs->lock);
    cap_word_t w = cs->words[fd];
    if (!capw_valid(w) || capw_type(w) != CAP_TYPE_FD) {
        spin_unlock(&cs->lock);
        return -EBADF;
    }
    cap_slot_clear_locked(cs, fd);
    spin_unlock(&cs->lock);
    cap_release_object(w);
    return 0;
}

/* The word a dup makes: same object and rights, delegation mark kept,
 * close-on-exec cleared. */
static cap_word_t dup_word(cap_word_t w)
{
    cap_word_t n = capw_make(capw_type(w), capw_rights(w), capw_obj(w), 0);
    return n | (w & CAPW_DELEGATED);
}

int cap_fd_dup(struct proc *p, int fd, int min_slot)
{
    if (!fd_ok(fd))
        return -EBADF;
    struct cap_space *cs = &p->caps;
    spin_lock(&cs->lock);
    cap_word_t w = cs->words[fd];
    int slot = -EBADF;
    if (capw_valid(w) && capw_type(w) == CAP_TYPE_FD) {
        slot = cap_slot_alloc_locked(cs, min_slot);
        if (slot >= 0) {
            file_get(file_by_index(capw_obj(w)));
            cap_slot_install_locked(cs, slot, dup_word(w));
        }
    }
    spin_unlock(&cs->lock);
    return slot;
}

int cap_fd_dup2(struct proc *p, int oldfd, int newfd)
{
    if (!fd_ok(oldfd) || !fd_ok(newfd))
        return -EBADF;
    struct cap_space *cs = &p->caps;
    spin_lock(&cs->lock);
    cap_word_t w = cs->words[oldfd];
    cap_word_t victim = cs->words[newfd];
    int r = newfd;
    if (!capw_valid(w) || capw_type(w) != CAP_TYPE_FD) {
        r = -EBADF;
    } else if (oldfd == newfd) {
        victim = 0;
    } else if (capw_valid(victim) && capw_type(victim) != CAP_TYPE_FD) {
        r = -EBADF; /* never destroy a non-fd capability */
    } else if (capw_retired(victim)) {
        r = -EMFILE;
    } else {
        if (capw_valid(victim))
            cap_slot_clear_locked(cs, newfd);
        else if (cs->used >= cs->quota)
            r = -EMFILE;
        if (r >= 0) {
            file_get(file_by_index(capw_obj(w)));
            cap_slot_install_locked(cs, newfd, dup_word(w));
        }
    }
    spin_unlock(&cs->lock);
    if (r >= 0 && capw_valid(victim))
        cap_release_object(victim);
    return r;
}

int cap_fd_getflags(struct proc *p, int fd)
{
    if (!fd_ok(fd))
        return -EBADF;
    spin_lock(&p->caps.lock);
    cap_word_t w = p->caps.words[fd];
    int r = (capw_valid(w) && capw_type(w) == CAP_TYPE_FD)
                ? ((w & CAPW_CLOEXEC) ? KEEL_FD_CLOEXEC : 0)
                : -EBADF;
    spin_unlock(&p->caps.lock);
    return r;
}

int cap_fd_setflags(struct proc *p, int fd, int flags)
{
    if (!fd_ok(fd))
        return -EBADF;
    spin_lock(&p->caps.lock);
    cap_word_t *w = &p->caps.words[fd];
    int r = 0;
    if (capw_valid(*w) && capw_type(*w) == CAP_TYPE_FD) {
        if (flags & KEEL_FD_CLOEXEC)
            *w |= CAPW_CLOEXEC;
        else
            *w &= ~CAPW_CLOEXEC;
    } else {
        r = -EBADF;
    }
    spin_unlock(&p->caps.lock);
    return r;
}

void cap_space_teardown(struct proc *p)
{
    struct cap_space *cs = &p->caps;
    for (int slot = 0; slot < CAP_SLOTS; slot++) {
        spin_lock(&cs->lock);
        cs->dead = true;
        cap_word_t w = cs->words[slot];
        if (capw_valid(w))
            cap_slot_clear_locked(cs, slot);
        spin_unlock(&cs->lock);
        if (capw_valid(w))
            cap_release_object(w);
    }
}

void cap_thread_install(struct proc *p, int tslot, uint32_t thread_idx)
{
    spin_lock(&p->caps.lock);
    cap_slot_install_locked(
        &p->caps, CAP_THREAD_SLOT_BASE + tslot,
        capw_make(CAP_TYPE_THREAD,
                  CAP_RIGHT_READ | CAP_RIGHT_WRITE | CAP_RIGHT_GRANT,
                  thread_idx, 0));
    spin_unlock(&p->caps.lock);
}

void cap_thread_remove(struct proc *p, int tslot)
{
    spin_lock(&p->caps.lock);
    if (capw_valid(p->caps.words[CAP_THREAD_SLOT_BASE + tslot]))
        cap_slot_clear_locked(&p->caps, CAP_THREAD_SLOT_BASE + tslot);
    spin_unlock(&p->caps.lock);
}

/* Resolve a thread token (0 = the caller) to a thread; the caller holds
 * the cap lock while it uses the thread, which keeps it from exiting. */
struct thread *cap_thread_lookup_locked(struct proc *p, uint64_t tok)
{
    if (tok == 0)
        return current();
    unsigned slot = cap_token_slot(tok);
    if (slot >= CAP_SLOTS)
        return NULL;
    cap_word_t w = p->caps.words[slot];
    if (!cap_token_matches(tok, w) || capw_type(w) != CAP_TYPE_THREAD)
        return NULL;
    return thread_by_index(capw_obj(w));
}

long sys_cap_get_token(int slot, int type, uint64_t uout)
{
    struct proc *p = current()->proc;
    if (slot < 0 || slot >= CAP_SLOTS)
        return -EBADF;
    spin_lock(&p->caps.lock);
    cap_word_t w = p->caps.words[slot];
    long r = 0;
    if (!capw_valid(w))
        r = -EBADF;
    else if ((int)capw_type(w) != type)
        r = -EINVAL;
    spin_unlock(&p->caps.lock);
    if (r < 0)
        return r;
    cap_token_t tok = cap_token_make((unsigned)slot, w);
    return copy_to_user(uout, &tok, sizeof(tok));
}

long sys_cap_drop(uint64_t tok)
{
    struct proc *p = current()->proc;
    unsigned slot = cap_token_slot(tok);
    if (slot >= CAP_SLOTS)
        return -EBADF;
    spin_lock(&p->caps.lock);
    cap_word_t w = p->caps.words[slot];
    if (!cap_token_matches(tok, w) || capw_type(w) == CAP_TYPE_THREAD) {
        /* thread caps go away with their thread, not by drop */
        spin_unlock(&p->caps.lock);
        return capw_type(w) == CAP_TYPE_THREAD && cap_token_matches(tok, w)
                   ? -EPERM
                   : -EBADF;
    }
    cap_slot_clear_locked(&p->caps, (int)slot);
    spin_unlock(&p->caps.lock);
    cap_release_object(w);
    return 0;
}

long sys_cap_info(int slot, uint64_t uout)
{
    struct proc *p = current()->proc;
    if (slot < 0 || slot >= CAP_SLOTS)
        return -EBADF;
    spin_lock(&p->caps.lock);
    cap_word_t w = p->caps.words[slot];
    spin_unlock(&p->caps.lock);
    if (!capw_valid(w))
        return -EBADF;
    struct cap_info info = {
        .type = (int)capw_type(w),
        .rights = capw_rights(w),
        .generation = capw_gen(w),
        .delegated = (w & CAPW_DELEGATED) ? 1 : 0,
        .cloexec = (w & CAPW_CLOEXEC) ? 1 : 0,
        .object = capw_obj(w),
    };
    return copy_to_user(uout, &info, sizeof(info));
}

/* Lock two processes' cap spaces in ascending pid order (the one rule
 * that makes concurrent A->B and B->A operations deadlock-free). */
void cap_lock_pair(struct proc *a, struct proc *b)
{
    if (a == b) {
        spin_lock(&a->caps.lock);
        return;
    }
    struct proc *lo = a->pid < b->pid ? a : b;
    struct proc *hi = a->pid < b->pid ? b : a;
    spin_lock(&lo->caps.lock);
    spin_lock(&hi->caps.lock);
}

void cap_unlock_pair(struct proc *a, struct proc *b)
{
    spin_unlock(&a->caps.lock);
    if (a != b)
        spin_unlock(&b->caps.lock);
}
