/* In-kernel tests of the ramfs locking (issue 8 items 1, 2): truncation
 * and a revoke's cancel wait for a file's data lock (the inode kmutex);
 * a pinned directory outlives its rmdir, a walk through it answers
 * ENOENT, and the last unpin frees it. */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "ktest.h"

#define POLL_MAX 2000 /* 1 ms naps: ~2 s at most before giving up */

static void nap(void)
{
    sleep_until(time_now_ticks() + ns_to_ticks(1000 * 1000));
}

static bool blocked_on_inode(struct thread *t)
{
    return READ_ONCE(t->state) == T_BLOCKED;
}

static bool wait_blocked(struct thread *t)
{
    for (int i = 0; i < POLL_MAX; i++) {
        if (blocked_on_inode(t))
            return true;
        nap();
    }
    return false;
}

static struct file *fl_file;
static volatile int fl_done;

static void fl_truncater(void *arg)
{
    (void)arg;
    ramfs_truncate(fl_file->ip);
    __atomic_store_n(&fl_done, 1, __ATOMIC_RELEASE);
}

static void fl_canceller(void *arg)
{
    (void)arg;
    fl_file->ops->cancel(fl_file);
    __atomic_store_n(&fl_done, 2, __ATOMIC_RELEASE);
}

static bool wait_done(int v)
{
    for (int i = 0; i < POLL_MAX; i++) {
        if (__atomic_load_n(&fl_done, __ATOMIC_ACQUIRE) == v)
            return true;
        nap();
    }
    return false;
}

/* While the test holds the file's data lock (as a read or write in
 * progress does), a truncation and a revoke's cancel block on it, and
 * each finishes once the lock is free. */
KTEST(fslock_truncate_and_cancel_wait_for_data_lock)
{
    KT_CHECK_EQ(vfs_open("/kt_fslock", KEEL_O_CREAT | KEEL_O_RDWR, &fl_file),
                0);
    struct inode *ip = fl_file->ip;
    void (*fns[2])(void *) = {fl_truncater, fl_canceller};
    for (int i = 0; i < 2; i++) {
        fl_done = 0;
        kmutex_lock(&ip->lock);
        struct thread *t = kthread_create(fns[i], NULL, KEEL_PRIO_DEFAULT);
        KT_CHECK(t != NULL);
        bool blocked = t && wait_blocked(t);
        int done_while_held = __atomic_load_n(&fl_done, __ATOMIC_ACQUIRE);
        kmutex_unlock(&ip->lock);
        KT_CHECK(blocked);
        KT_CHECK_EQ(done_while_held, 0);
        KT_CHECK(wait_done(i + 1));
    }
    file_put(fl_file);
    KT_CHECK_EQ(ramfs_unlink("/kt_fslock"), 0);
}

/* A pin keeps a removed directory: rmdir succeeds, the inode stays
 * until the unpin, and a walk that was in it sees it removed. */
KTEST(fslock_pinned_directory_outlives_rmdir)
{
    uint32_t inodes = inode_count();
    KT_CHECK_EQ(ramfs_mkdir("/kt_pin"), 0);
    int err = 0;
    const char *rest = NULL;
    struct inode *d = ramfs_pin_path("/kt_pin/x", true, &rest, &err);
    KT_CHECK(d != NULL);
    if (!d)
        return;
    KT_CHECK(!strcmp(rest, "x"));
    KT_CHECK_EQ(ramfs_rmdir("/kt_pin"), 0);
    KT_CHECK_EQ(inode_count(), inodes + 1); /* pinned: still here */
    KT_CHECK(d->unlinked);
    struct keel_stat st;
    KT_CHECK_EQ(ramfs_stat("/kt_pin", &st), -ENOENT);
    ramfs_unpin(d);
    KT_CHECK_EQ(inode_count(), inodes); /* the last pin freed it */
}
