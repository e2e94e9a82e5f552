/*
 * File data of the ramfs: read, write (with growth), truncation, and the
 * freeing of a file's pages.
 *
 * Locking (docs/realtime.md "Files and directories"):
 *  - ip->lock, the inode's kmutex (a sleeping lock), guards the file's
 *    data: ip->pages and the pages themselves, ip->image, and every
 *    write of ip->size. A read, a write and a truncation of one file hold
 *    it from their first byte to their last, so each is atomic with
 *    respect to the others; readers of size alone (stat, fstat, lseek,
 *    readdir) take no lock (one aligned load).
 *  - ramfs_lock (global spinlock) is taken inside ip->lock only for the
 *    O(1) bookkeeping: charging or uncharging pages (ip->owner,
 *    ip->npages, the quota) and detaching the page array.
 *  - f->lock (spinlock) guards the stores of f->off: taken briefly to
 *    store the offset at the end (lseek takes it for its update); the
 *    load at the start is one aligned load without it.
 *  Order: ip->lock, then either ramfs_lock or f->lock (never both, and
 *  never a second inode's kmutex). No kmutex is taken with a spinlock
 *  held, so truncation by open(O_TRUNC), which commits under the cap
 *  lock, happens after the commit (file.c vfs_open_commit_defer).
 *
 * Bounded steps: data moves one page (PAGE_SIZE bytes) at a time, and
 * between two pages the loop calls sched_preempt_point() holding only
 * ip->lock, then re-checks the pin (a revoke in progress stops the
 * operation there: it returns what it moved). Page allocation (which
 * zeroes) and page freeing happen one page per step too. A thread killed
 * meanwhile finishes its syscall normally: the kill acts on the way back
 * to user mode, so no lock stays held and no page is lost.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "ramfs_int.h"

/* ramfs_lock held: charge n data pages of ip to its owner (a file the
 * kernel made is charged to the process writing it, which owns it from
 * then on). -ENOSPC when the owner's page quota says no. */
static int file_charge(struct inode *ip, uint64_t n)
{
    if (!ip->owner) {
        struct thread *self = current();
        if (self && self->proc) {
            if (quota_charge(self->proc, KEEL_POOL_INODES, 1) < 0)
                return -ENOSPC;
            ip->owner = self->proc;
        }
    }
    if (quota_charge(ip->owner, KEEL_POOL_PAGES, n) < 0)
        return -ENOSPC;
    ip->npages += n;
    return 0;
}

/* ramfs_lock held. */
static void file_uncharge(struct inode *ip, uint64_t n)
{
    quota_uncharge(ip->owner, KEEL_POOL_PAGES, n);
    ip->npages -= n;
}

static int charge(struct inode *ip, uint64_t n)
{
    spin_lock(&ramfs_lock);
    int err = file_charge(ip, n);
    spin_unlock(&ramfs_lock);
    return err;
}

static void uncharge(struct inode *ip, uint64_t n)
{
    spin_lock(&ramfs_lock);
    file_uncharge(ip, n);
    spin_unlock(&ramfs_lock);
}

uint8_t **ramfs_detach_pages(struct inode *ip)
{
    file_uncharge(ip, ip->npages);
    uint8_t **pages = ip->pages;
    ip->pages = NULL;
    ip->image = NULL;
    WRITE_ONCE(ip->size, 0);
    return pages;
}

void ramfs_free_pages(uint8_t **pages)
{
    if (!pages)
        return;
    for (uint64_t i = 0; i < FILE_MAX_PAGES; i++) {
        if (pages[i]) {
            page_free(pages[i]);
            sched_preempt_point(); /* one page per step */
        }
    }
    page_free(pages);
}

void ramfs_truncate(struct inode *ip)
{
    kmutex_lock(&ip->lock);
    spin_lock(&ramfs_lock);
    uint8_t **pages = ramfs_detach_pages(ip); /* gives the charge back */
    spin_unlock(&ramfs_lock);
    kmutex_unlock(&ip->lock);
    ramfs_free_pages(pages);
}

/* ip->lock held: give the file its own pages (copying image data, one
 * page per step). On failure nothing has changed and nothing stays
 * charged or allocated. */
static int make_writable(struct inode *ip)
{
    if (ip->pages)
        return 0;
    uint64_t size = ip->size;
    if (size > FILE_MAX_SIZE)
        return -EFBIG; /* before anything is charged, allocated or changed */
    uint64_t n = 1 + ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    if (charge(ip, n) < 0)
        return -ENOSPC;
    uint8_t **pages = page_alloc();
    if (!pages) {
        uncharge(ip, n);
        return -ENOSPC;
    }
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        uint8_t *pg = page_alloc();
        if (!pg) {
            uncharge(ip, n);
            ramfs_free_pages(pages);
            return -ENOSPC;
        }
        memcpy(pg, ip->image + off, MIN(PAGE_SIZE, size - off));
        pages[off / PAGE_SIZE] = pg;
        sched_preempt_point();
    }
    ip->pages = pages;
    ip->image = NULL;
    return 0;
}

/* Without f->lock: one aligned load, and every store of f->off is under
 * f->lock (lseek, off_set), so it sees one whole offset. */
static uint64_t off_get(struct file *f)
{
    return READ_ONCE(f->off);
}

static void off_set(struct file *f, uint64_t off)
{
    spin_lock(&f->lock);
    f->off = off;
    spin_unlock(&f->lock);
}

static long file_read(struct file *f, uint64_t ubuf, size_t n,
                      const struct cap_pin *pin)
{
    struct inode *ip = f->ip;
    kmutex_lock(&ip->lock);
    if (!cap_pin_live(pin)) { /* O2, before every transfer */
        kmutex_unlock(&ip->lock);
        return -EBADF;
    }
    uint64_t off = off_get(f);
    uint64_t size = ip->size; /* stable: ip->lock */
    long done = 0;
    while (n > 0 && off < size) {
        if (done > 0) {
            sched_preempt_point(); /* between two pages */
            if (!cap_pin_live(pin))
                break; /* revoked meanwhile: what moved stays */
        }
        size_t chunk = MIN(n, MIN(size - off, PAGE_SIZE - off % PAGE_SIZE));
        const uint8_t *src;
        if (ip->image) {
            src = ip->image + off;
        } else {
            /* A file in pages never exceeds FILE_MAX_SIZE (file_write,
             * make_writable): the index stays inside the array. */
            uint8_t *pg = ip->pages && off < FILE_MAX_SIZE
                              ? ip->pages[off / PAGE_SIZE]
                              : NULL;
            if (!pg) {
                static const uint8_t zero[PAGE_SIZE];
                src = zero;
            } else {
                src = pg + off % PAGE_SIZE;
            }
        }
        if (copy_to_user(ubuf + done, src, chunk) < 0) {
            if (!done)
                done = -EFAULT;
            break;
        }
        done += chunk;
        off += chunk;
        n -= chunk;
    }
    if (done > 0)
        off_set(f, off);
    kmutex_unlock(&ip->lock);
    return done;
}

/* ip->lock held: the page at off, allocated (zeroed) and charged if it
 * is missing; NULL when the quota or the pool says no. */
static uint8_t *page_at(struct inode *ip, uint64_t off)
{
    uint8_t **slot = &ip->pages[off / PAGE_SIZE];
    if (*slot)
        return *slot;
    if (charge(ip, 1) < 0)
        return NULL;
    uint8_t *pg = page_alloc();
    if (!pg) {
        uncharge(ip, 1);
        return NULL;
    }
    return *slot = pg;
}

static long file_write(struct file *f, uint64_t ubuf, size_t n,
                       const struct cap_pin *pin)
{
    struct inode *ip = f->ip;
    kmutex_lock(&ip->lock);
    if (!cap_pin_live(pin)) { /* O2 */
        kmutex_unlock(&ip->lock);
        return -EBADF;
    }
    /* Every limit is checked before the file changes in any way. */
    uint64_t off = (f->oflags & KEEL_O_APPEND) ? ip->size : off_get(f);
    long done = 0;
    if (n > 0 && off >= FILE_MAX_SIZE)
        done = -EFBIG;
    else if (n > 0)
        done = make_writable(ip);
    while (done >= 0 && n > 0 && off < FILE_MAX_SIZE) {
        if (done > 0) {
            sched_preempt_point(); /* between two pages */
            if (!cap_pin_live(pin))
                break; /* revoked meanwhile: what moved stays */
        }
        size_t chunk = MIN(n, PAGE_SIZE - off % PAGE_SIZE);
        uint8_t *pg = page_at(ip, off);
        if (!pg) {
            if (!done)
                done = -ENOSPC;
            break;
        }
        if (copy_from_user(pg + off % PAGE_SIZE, ubuf + done, chunk) < 0) {
            if (!done)
                done = -EFAULT;
            break;
        }
        done += chunk;
        off += chunk;
        n -= chunk;
        if (off > ip->size)
            WRITE_ONCE(ip->size, off);
    }
    if (done > 0)
        off_set(f, off);
    kmutex_unlock(&ip->lock);
    return done;
}

static long dir_read(struct file *f, uint64_t ubuf, size_t n,
                     const struct cap_pin *pin)
{
    (void)f, (void)ubuf, (void)n, (void)pin;
    return -EISDIR;
}

/* R2: a read or write holds ip->lock from its first pin check to its
 * last byte and re-checks the pin before every page: taking the lock
 * once waits out every transfer that checked the pin before the revoke's
 * generation bump. Called with no spinlock held (cap_deleg.c step 6). */
static void file_cancel(struct file *f)
{
    kmutex_lock(&f->ip->lock);
    kmutex_unlock(&f->ip->lock);
}

static void file_release(struct file *f)
{
    ramfs_inode_close(f->ip);
}

const struct file_ops ramfs_file_ops = {.read = file_read,
                                        .write = file_write,
                                        .cancel = file_cancel,
                                        .release = file_release,
                                        .seekable = true};
const struct file_ops ramfs_dir_ops = {
    .read = dir_read, .write = NULL, .release = file_release};
