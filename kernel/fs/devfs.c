/*
 * Device nodes: /dev/console (console.c: the UART's input discipline,
 * terminal modes, ioctl) and /dev/null; the named-object directories
 * /dev/mqueue and /dev/sem (objname.c). /dev/null keeps no state, so it
 * needs no lock and no revoke step.
 */
#include "../include/mm.h"
#include "../include/objname.h"
#include "../include/vfs.h"

/* /dev/null moves no data and never blocks: no pin to check. */
static long null_read(struct file *f, uint64_t ubuf, size_t n,
                      const struct cap_pin *pin)
{
    (void)f, (void)ubuf, (void)n, (void)pin;
    return 0;
}

static long null_write(struct file *f, uint64_t ubuf, size_t n,
                       const struct cap_pin *pin)
{
    (void)f, (void)pin;
    if (n && !user_range_ok(ubuf, n))
        return -EFAULT;
    return (long)n;
}

static const struct file_ops null_ops = {.read = null_read,
                                         .write = null_write};

void devfs_init(void)
{
    console_init();
    ramfs_mknod("/dev", "console", &console_ops);
    ramfs_mknod("/dev", "null", &null_ops);
    objname_init(); /* /dev/mqueue, /dev/sem */
}
