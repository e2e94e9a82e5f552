/*
 * Pipes: a one-page ring per pipe, from a fixed pool. p->lock guards the
 * ring and the end counts; readers and writers sleep on their waitqs.
 * A pipe is freed when both ends' files are released. Every transfer
 * re-checks, under p->lock, the slot its caller came through (O2), and
 * pipe_cancel (R2) wakes all sleepers so a revoke stops blocked ends.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../mm/pool.h"

#define PIPE_BUF_SIZE PAGE_SIZE

struct pipe {
    spinlock_t lock;
    uint8_t *buf;
    uint32_t r, w; /* free-running indexes */
    int readers, writers;
    struct waitq rq, wq;
    struct proc *acct; /* charged for the pipe (quota.h); referenced */
};

static spinlock_t pipe_pool_lock = SPINLOCK_INIT("pipe_pool");
static struct pipe pipe_storage[MAX_PIPES];
static uint32_t pipe_links[MAX_PIPES];
static struct pool pipe_pool;
static bool pipe_pool_ready;

uint32_t pipe_count(void)
{
    return READ_ONCE(pipe_pool.in_use);
}

static void pipe_free(struct pipe *p)
{
    struct proc *acct = p->acct;
    spin_lock(&pipe_pool_lock);
    pool_free(&pipe_pool, p);
    spin_unlock(&pipe_pool_lock);
    quota_uncharge(acct, KEEL_POOL_PIPES, 1);
    quota_uncharge(acct, KEEL_POOL_PAGES, 1);
    if (acct)
        proc_put(acct);
}

static long pipe_read(struct file *f, uint64_t ubuf, size_t n,
                      const struct cap_pin *pin)
{
    struct pipe *p = f->pipe;
    if (n == 0)
        return 0;
    spin_lock(&p->lock);
    for (;;) {
        /* O2: before the transfer and after every wake-up. */
        if (unlikely(!cap_pin_live(pin))) {
            spin_unlock(&p->lock);
            return -EBADF;
        }
        if (p->r != p->w)
            break;
        if (p->writers == 0) {
            spin_unlock(&p->lock);
            return 0;
        }
        int err = waitq_wait(&p->rq, &p->lock);
        if (err < 0) {
            spin_unlock(&p->lock);
            return -ERESTARTSYS; /* EINTR, or restarted (SA_RESTART) */
        }
    }
    size_t avail = p->w - p->r;
    size_t todo = MIN(n, avail);
    size_t done = 0;
    while (done < todo) {
        size_t idx = p->r % PIPE_BUF_SIZE;
        size_t chunk = MIN(todo - done, PIPE_BUF_SIZE - idx);
        if (copy_to_user(ubuf + done, p->buf + idx, chunk) < 0)
            break;
        p->r += chunk;
        done += chunk;
    }
    spin_unlock(&p->lock);
    waitq_wake_all(&p->wq);
    return done ? (long)done : -EFAULT;
}

/* A write blocked on a full pipe that is revoked part-way returns what it
 * wrote before the revoke (like any partial write), else EBADF. */
static long pipe_write(struct file *f, uint64_t ubuf, size_t n,
                       const struct cap_pin *pin)
{
    struct pipe *p = f->pipe;
    size_t done = 0;
    spin_lock(&p->lock);
    while (done < n) {
        /* O2: before every chunk and after every wake-up. */
        if (unlikely(!cap_pin_live(pin))) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EBADF;
        }
        if (p->readers == 0) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EPIPE;
        }
        size_t space = PIPE_BUF_SIZE - (p->w - p->r);
        if (space == 0) {
            waitq_wake_all(&p->rq);
            int err = waitq_wait(&p->wq, &p->lock);
            if (err < 0) {
                spin_unlock(&p->lock);
                return done ? (long)done : -ERESTARTSYS;
            }
            continue;
        }
        size_t idx = p->w % PIPE_BUF_SIZE;
        size_t chunk = MIN(MIN(n - done, space), PIPE_BUF_SIZE - idx);
        if (copy_from_user(p->buf + idx, ubuf + done, chunk) < 0) {
            spin_unlock(&p->lock);
            return done ? (long)done : -EFAULT;
        }
        p->w += chunk;
        done += chunk;
    }
    spin_unlock(&p->lock);
    waitq_wake_all(&p->rq);
    return (long)done;
}

/* R2: a revoke cleared a slot naming this end. Taking the lock waits out
 * any transfer that checked its pin before the revoke's generation bump;
 * the wake-ups make every sleeper re-check (O2). Readers and writers of
 * other slots go back to sleep. */
static void pipe_cancel(struct file *f)
{
    struct pipe *p = f->pipe;
    spin_lock(&p->lock);
    /* Every sleeper queued itself with p->lock held (waitq_wait), so
     * under it an empty queue has no sleeper to stop; a sleeper leaving
     * concurrently only makes the queue look non-empty (a spare wake). */
    if (READ_ONCE(p->rq.waiters.next) != &p->rq.waiters)
        waitq_wake_all(&p->rq);
    if (READ_ONCE(p->wq.waiters.next) != &p->wq.waiters)
        waitq_wake_all(&p->wq);
    spin_unlock(&p->lock);
}

static void pipe_release(struct file *f)
{
    struct pipe *p = f->pipe;
    if (!p)
        return; /* creation failed before the pipe was attached */
    bool reader = (f->oflags & KEEL_O_ACCMODE) == KEEL_O_RDONLY;
    spin_lock(&p->lock);
    int *ends = reader ? &p->readers : &p->writers;
    KASSERT(*ends > 0); /* an end released twice */
    (*ends)--;
    bool last = p->readers == 0 && p->writers == 0;
    /* Wake the other end before unlocking: once unlocked, its own last
     * release may free the pipe. */
    if (!last)
        waitq_wake_all(reader ? &p->wq : &p->rq);
    spin_unlock(&p->lock);
    if (!last)
        return;
    page_free(p->buf);
    pipe_free(p);
}

static const struct file_ops pipe_read_ops = {
    .read = pipe_read, .release = pipe_release, .cancel = pipe_cancel};
static const struct file_ops pipe_write_ops = {
    .write = pipe_write, .release = pipe_release, .cancel = pipe_cancel};

/* The pipe is charged to the caller's quota, its two files too (EMFILE
 * when either says no). */
int pipe_create(struct file **rd, struct file **wr)
{
    struct proc *acct = current()->proc;
    if (quota_charge(acct, KEEL_POOL_PIPES, 1) < 0)
        return -EMFILE;
    if (quota_charge(acct, KEEL_POOL_PAGES, 1) < 0) { /* the buffer */
        quota_uncharge(acct, KEEL_POOL_PIPES, 1);
        return -ENOMEM;
    }
    spin_lock(&pipe_pool_lock);
    if (!pipe_pool_ready) {
        pool_init(&pipe_pool, "pipe", pipe_storage, pipe_links,
                  sizeof(struct pipe), MAX_PIPES);
        pipe_pool_ready = true;
    }
    struct pipe *p = pool_alloc(&pipe_pool);
    spin_unlock(&pipe_pool_lock);
    if (!p) {
        quota_uncharge(acct, KEEL_POOL_PIPES, 1);
        quota_uncharge(acct, KEEL_POOL_PAGES, 1);
        return -EMFILE;
    }
    p->acct = acct;
    if (acct)
        proc_get(acct);
    p->buf = page_alloc();
    *rd = p->buf ? file_alloc(&pipe_read_ops) : NULL;
    *wr = *rd ? file_alloc(&pipe_write_ops) : NULL;
    if (!*wr) {
        if (*rd)
            file_put(*rd); /* pipe not attached yet: release is a no-op */
        int err = p->buf ? -EMFILE : -ENOMEM;
        if (p->buf)
            page_free(p->buf);
        pipe_free(p);
        return err;
    }
    spin_init(&p->lock, "pipe");
    waitq_init(&p->rq, "pipe_readers");
    waitq_init(&p->wq, "pipe_writers");
    p->readers = p->writers = 1;
    (*rd)->pipe = p;
    (*rd)->oflags = KEEL_O_RDONLY;
    (*wr)->pipe = p;
    (*wr)->oflags = KEEL_O_WRONLY;
    return 0;
}
