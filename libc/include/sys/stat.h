/*
 * Keel's <sys/stat.h>: newlib's, plus lstat, which newlib declares only
 * for a few other targets. Keel has no symbolic links, so lstat is stat
 * (libc/src/sys_io.c).
 */
#ifndef KEEL_SYS_STAT_H
#define KEEL_SYS_STAT_H

#include_next <sys/stat.h>

int lstat(const char *__restrict __path, struct stat *__restrict __buf);

#endif
