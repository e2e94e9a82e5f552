/* In-kernel tests: ramfs (read-only boot files, unlink), pipes, ELF
 * loading, process teardown. */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/vfs.h"
#include "../proc/elf.h"
#include "ktest.h"

KTEST(ramfs_boot_image_present)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup("/bin/init", false, &err);
    struct inode *dev = ramfs_lookup("/dev/console", false, &err);
    struct inode *missing = ramfs_lookup("/bin/nope", false, &err);
    spin_unlock(&ramfs_lock);
    KT_CHECK(ip && ip->kind == KEEL_NODE_FILE && ip->image);
    KT_CHECK(dev && dev->kind == KEEL_NODE_CHAR);
    KT_CHECK(!missing && err == -ENOENT);
    struct keel_dirent d;
    KT_CHECK_EQ(ramfs_readdir("/", 0, &d), 1);
    KT_CHECK_EQ(ramfs_readdir("/", 1000, &d), 0);
    KT_CHECK_EQ(ramfs_readdir("/bin/init", 0, &d), -ENOTDIR);
}

KTEST(ramfs_path_errors)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    KT_CHECK(!ramfs_lookup("/bin/init/x", false, &err));
    KT_CHECK_EQ(err, -ENOTDIR);
    KT_CHECK(!ramfs_lookup("/0123456789012345678901234567890123456789", false,
                           &err));
    KT_CHECK_EQ(err, -ENAMETOOLONG);
    KT_CHECK(ramfs_lookup("/bin/../dev/./null", false, &err));
    spin_unlock(&ramfs_lock);
}

KTEST(pipe_create_release)
{
    uint32_t pipes = pipe_count(), files = file_count();
    struct file *r, *w;
    KT_CHECK_EQ(pipe_create(&r, &w), 0);
    KT_CHECK_EQ(pipe_count(), pipes + 1);
    file_put(w);
    KT_CHECK_EQ(pipe_count(), pipes + 1);
    file_put(r);
    KT_CHECK_EQ(pipe_count(), pipes);
    KT_CHECK_EQ(file_count(), files);
}

/* Files with no operations at all (nothing to release). */
static const struct file_ops kt_bare_ops = {.seekable = false};

KTEST(file_pool_exhaustion)
{
    static struct file *fs[MAX_FILES];
    int n = 0;
    uint32_t before = file_count();
    while (n < MAX_FILES && (fs[n] = file_alloc(&kt_bare_ops)))
        n++;
    KT_CHECK_EQ(file_count(), MAX_FILES);
    KT_CHECK(file_alloc(&kt_bare_ops) == NULL);
    for (int i = 0; i < n; i++)
        file_put(fs[i]);
    KT_CHECK_EQ(file_count(), before);
}

KTEST(elf_parse_boot_programs)
{
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup("/bin/hello", false, &err);
    spin_unlock(&ramfs_lock);
    KT_CHECK(ip);
    if (!ip)
        return;
    struct elf_segment segs[8];
    int n = 0;
    uint64_t entry = 0;
    KT_CHECK_EQ(elf_parse(ip->image, ip->size, USER_BASE, USER_TOP, segs, 8, &n,
                          &entry),
                0);
    KT_CHECK(n >= 1);
    KT_CHECK(entry >= USER_BASE);
    for (int i = 0; i < n; i++)
        KT_CHECK(!((segs[i].flags & ELF_PF_W) && (segs[i].flags & ELF_PF_X)));
    /* A truncated image is refused. */
    KT_CHECK_EQ(
        elf_parse(ip->image, 40, USER_BASE, USER_TOP, segs, 8, &n, &entry),
        -ENOEXEC);
}

KTEST(proc_load_and_free_no_leak)
{
    uint64_t pages = page_free_count();
    uint32_t threads = thread_count(), procs = proc_count();
    struct proc *p = proc_alloc("ktest");
    char *argv[] = {"/bin/hello", "a", NULL};
    char *envp[] = {"K=v", NULL};
    struct proc_args pa = {.argv = argv, .argc = 2, .envp = envp, .envc = 1};
    struct thread *t;
    KT_CHECK_EQ(proc_load(p, "/bin/hello", &pa, &t), 0);
    KT_CHECK(p->pagetable != NULL);
    KT_CHECK_EQ(t->tf->regs[TF_A0], 2);
    /* envp follows argv's three pointers (issue 7 item 8). */
    KT_CHECK_EQ(t->tf->regs[TF_A0 + 2], t->tf->regs[TF_A0 + 1] + 3 * 8);
    pa.argc = 1;
    KT_CHECK_EQ(proc_load(p, "/bin/nope", &pa, &t), -ENOENT);
    KT_CHECK_EQ(proc_load(p, "/dev", &pa, &t), -EACCES);
    cap_thread_remove(p, 0);
    thread_release(p->threads[0]);
    cap_space_teardown(p);
    proc_free(p);
    KT_CHECK_EQ(page_free_count(), pages);
    KT_CHECK_EQ(thread_count(), threads);
    KT_CHECK_EQ(proc_count(), procs);
}

/* Issue 6 item 7: boot files are read-only and stay; a created file
 * unlinked while open lives until its last struct file goes. */
KTEST(ramfs_unlink_and_read_only_boot)
{
    struct file *f;
    KT_CHECK_EQ(vfs_open("/bin/init", KEEL_O_WRONLY, &f), -EROFS);
    KT_CHECK_EQ(vfs_open("/bin/init", KEEL_O_RDONLY | KEEL_O_TRUNC, &f),
                -EROFS);
    KT_CHECK_EQ(vfs_open("/bin/init", KEEL_O_CREAT | KEEL_O_RDONLY, &f), 0);
    file_put(f);
    KT_CHECK_EQ(ramfs_unlink("/bin/init"), -EROFS);
    KT_CHECK_EQ(ramfs_unlink("/dev/null"), -EROFS);
    KT_CHECK_EQ(ramfs_unlink("/bin"), -EISDIR);
    KT_CHECK_EQ(ramfs_unlink("/bin/init/x"), -ENOTDIR);

    uint32_t inodes = inode_count();
    KT_CHECK_EQ(vfs_open("/kt_unlink", KEEL_O_CREAT | KEEL_O_RDWR, &f), 0);
    KT_CHECK_EQ(inode_count(), inodes + 1);
    KT_CHECK_EQ(ramfs_unlink("/kt_unlink"), 0);
    KT_CHECK_EQ(inode_count(), inodes + 1); /* still open */
    KT_CHECK_EQ(ramfs_unlink("/kt_unlink"), -ENOENT);
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *gone = ramfs_lookup("/kt_unlink", false, &err);
    spin_unlock(&ramfs_lock);
    KT_CHECK(!gone && err == -ENOENT);
    file_put(f);
    KT_CHECK_EQ(inode_count(), inodes);
    KT_CHECK_EQ(vfs_open("/kt_unlink", KEEL_O_CREAT | KEEL_O_RDWR, &f), 0);
    file_put(f);
    KT_CHECK_EQ(ramfs_unlink("/kt_unlink"), 0);
    KT_CHECK_EQ(inode_count(), inodes);
}

/* Issue 6 item 1 (boot-image loader): a record naming the root, an
 * existing directory or a device node is refused, and leaves that node
 * as it was (it used to give the directory or device node the record's
 * data and size). */
KTEST(ramfs_add_image_rejects_non_files)
{
    static const uint8_t data[8] = "KRD1xxx";
    static const char *const paths[] = {"/",    "",      "/.",       "/..",
                                        "/bin", "/dev/", "/dev/null"};
    uint32_t inodes = inode_count();
    for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        KT_CHECK_EQ(ramfs_add_image(paths[i], data, sizeof(data)), -EISDIR);
    KT_CHECK_EQ(inode_count(), inodes);
    struct file *f;
    KT_CHECK_EQ(vfs_open("/", KEEL_O_RDONLY, &f), 0);
    KT_CHECK(f->ip->kind == KEEL_NODE_DIR && !f->ip->image && !f->ip->size);
    file_put(f);
    KT_CHECK_EQ(vfs_open("/bin", KEEL_O_RDONLY, &f), 0);
    KT_CHECK(f->ip->kind == KEEL_NODE_DIR && !f->ip->image && !f->ip->size);
    file_put(f);
    KT_CHECK_EQ(vfs_open("/dev/null", KEEL_O_RDWR, &f), 0);
    KT_CHECK(f->ip->kind == KEEL_NODE_CHAR && !f->ip->image);
    file_put(f);
}

/* Issue 6 item 1: a boot-image file over 2 MiB cannot be copied into
 * pages (a one-page array of 512 page pointers). Boot files are read-only
 * at open (EROFS), so this drives the write path directly: EFBIG, and
 * nothing charged, allocated or changed. */
KTEST(ramfs_big_image_write_efbig)
{
    static uint8_t data[3ul << 20]; /* .bss of the test kernel only */
    const uint64_t size = sizeof(data);
    KT_CHECK_EQ(ramfs_add_image("/kt_big", data, size), 0);
    int err = 0;
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup("/kt_big", false, &err);
    KT_CHECK(ip);
    ramfs_inode_open(ip);
    spin_unlock(&ramfs_lock);
    struct file *f = file_alloc(&ramfs_file_ops);
    KT_CHECK(f);
    f->ip = ip;
    f->oflags = KEEL_O_RDWR;
    uint64_t free = page_free_count();
    /* The source is never read: the limit comes first. */
    static const uint64_t offs[] = {0, (2ul << 20) - 1, (2ul << 20) + 5};
    for (unsigned i = 0; i < 3; i++) {
        f->off = offs[i];
        KT_CHECK_EQ(ramfs_file_ops.write(f, USER_BASE, 1, NULL), -EFBIG);
        KT_CHECK_EQ(f->off, offs[i]);
    }
    f->oflags = KEEL_O_WRONLY | KEEL_O_APPEND;
    KT_CHECK_EQ(ramfs_file_ops.write(f, USER_BASE, 1, NULL), -EFBIG);
    KT_CHECK(!ip->pages && ip->image == data && ip->size == size);
    KT_CHECK_EQ(ip->npages, 0);
    KT_CHECK_EQ(page_free_count(), free);
    file_put(f);
}
