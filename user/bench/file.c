/*
 * /bin/bench: the small-file rows (per-operation, one hart): an lseek to
 * the start plus a 64-byte write, and an lseek plus a 64-byte read, of
 * one ramfs file. They measure the ramfs fast path, whose per-inode
 * sleeping lock (a kmutex, docs/realtime.md "Files and directories") is
 * taken and released once per call.
 * Single-threaded: no locks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

void bench_file_64(void)
{
    const int n = 5000;
    static char buf[64];
    const char *path = "/bench_file64";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) {
        printf("bench: file_write_64: open failed\n");
        return;
    }
    if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
        printf("bench: file_write_64: write failed\n");
    uint64_t t0 = instret();
    for (int i = 0; i < n; i++) {
        lseek(fd, 0, SEEK_SET);
        write(fd, buf, sizeof(buf));
    }
    report("file_write_64", instret() - t0, n);
    t0 = instret();
    for (int i = 0; i < n; i++) {
        lseek(fd, 0, SEEK_SET);
        read(fd, buf, sizeof(buf));
    }
    report("file_read_64", instret() - t0, n);
    close(fd);
    unlink(path);
}
