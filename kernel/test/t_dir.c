/* In-kernel tests: directories and the working directory (ramfs_dir.c):
 * relative resolution from a process's directory, rmdir refusing one in
 * use, and a child that never ran (a failed spawn) giving its inherited
 * directory back when it is freed. */
#include "../include/proc.h"
#include "../include/vfs.h"
#include "kt_world.h"
#include "ktest.h"

KTEST(ramfs_cwd_relative_and_busy)
{
    uint32_t inodes = inode_count();
    struct kt_world w;
    kt_world_begin(&w); /* relative paths start at w.p's directory */
    char buf[KEEL_PATH_MAX];
    KT_CHECK_EQ(ramfs_getcwd(buf), 2);
    KT_CHECK(!strcmp(buf, "/"));
    KT_CHECK_EQ(ramfs_mkdir("/kt_d"), 0);
    KT_CHECK_EQ(ramfs_chdir("kt_d"), 0);
    KT_CHECK_EQ(ramfs_getcwd(buf), 6);
    KT_CHECK(!strcmp(buf, "/kt_d"));
    KT_CHECK_EQ(ramfs_mkdir("sub"), 0);
    struct keel_stat st;
    KT_CHECK_EQ(ramfs_stat("/kt_d/sub", &st), 0);
    KT_CHECK_EQ(st.kind, KEEL_NODE_DIR);
    KT_CHECK_EQ(ramfs_stat("sub/..", &st), 0);
    KT_CHECK_EQ(ramfs_rmdir("/kt_d"), -ENOTEMPTY);
    KT_CHECK_EQ(ramfs_rmdir("sub"), 0);
    KT_CHECK_EQ(ramfs_rmdir("/kt_d"), -EBUSY); /* ours */

    /* A child that inherits it and is freed unrun (a spawn that failed
     * after the inheritance) gives it back. */
    struct proc *c = proc_alloc("ktchild");
    KT_CHECK(c != NULL);
    ramfs_cwd_inherit(c, w.p);
    KT_CHECK_EQ(ramfs_chdir("/"), 0);
    KT_CHECK_EQ(ramfs_rmdir("/kt_d"), -EBUSY); /* the child's now */
    cap_space_teardown(c);
    proc_free(c);
    KT_CHECK_EQ(ramfs_rmdir("/kt_d"), 0);
    KT_CHECK_EQ(ramfs_chdir("kt_d"), -ENOENT);
    kt_world_end(&w);
    KT_CHECK_EQ(inode_count(), inodes);
}
