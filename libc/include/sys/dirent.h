/*
 * Keel's <sys/dirent.h>, which newlib's <dirent.h> includes (newlib's
 * own one only says "<dirent.h> not supported" for this target). The
 * stream reads a directory by path through keel_readdir (libc/src/dir.c):
 * opendir, readdir, rewinddir, telldir, seekdir and closedir exist;
 * fdopendir, dirfd, readdir_r, scandir and alphasort, which <dirent.h>
 * declares too, do not (a program using them fails to link).
 */
#ifndef _SYS_DIRENT_H
#define _SYS_DIRENT_H

#include <sys/types.h>

/* d_type values (the BSD numbering) */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8

struct dirent {
    ino_t d_ino;
    unsigned char d_type; /* DT_* */
    char d_name[32];      /* KEEL_NAME_MAX + 1 */
};

typedef struct __keel_dir DIR;

#endif
