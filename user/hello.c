/* /bin/hello: a first user program; exercises stdio, malloc and argv. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBLOCKS 100

/* Byte j of block i: a pattern that differs between blocks. */
static unsigned char pattern(size_t i, size_t j)
{
    return (unsigned char)(i * 31 + j * 7 + 1);
}

/* Allocates blocks of varied sizes, fills them, checks, frees. */
static int malloc_test(void)
{
    static unsigned char *blk[NBLOCKS];
    static size_t len[NBLOCKS];

    for (size_t i = 0; i < NBLOCKS; i++) {
        len[i] = 1 + (i * 397) % 5000; /* 1 .. 5000 bytes */
        if (i % 25 == 24)
            len[i] = 64 * 1024; /* a few large ones too */
        blk[i] = malloc(len[i]);
        if (!blk[i]) {
            printf("malloc of %lu bytes failed\n", (unsigned long)len[i]);
            return -1;
        }
        for (size_t j = 0; j < len[i]; j++)
            blk[i][j] = pattern(i, j);
    }
    /* Free every other block and reuse the space, to stir the heap. */
    for (size_t i = 0; i < NBLOCKS; i += 2) {
        free(blk[i]);
        len[i] = 1 + (i * 131) % 3000;
        blk[i] = malloc(len[i]);
        if (!blk[i]) {
            printf("malloc of %lu bytes failed\n", (unsigned long)len[i]);
            return -1;
        }
        for (size_t j = 0; j < len[i]; j++)
            blk[i][j] = pattern(i, j);
    }
    int bad = 0;
    for (size_t i = 0; i < NBLOCKS; i++) {
        for (size_t j = 0; j < len[i]; j++) {
            if (blk[i][j] != pattern(i, j)) {
                printf("block %lu corrupt at byte %lu\n", (unsigned long)i,
                       (unsigned long)j);
                bad = 1;
                break;
            }
        }
        free(blk[i]);
    }
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    printf("Hello from Keel!\n");
    if (malloc_test() < 0) {
        printf("malloc FAILED\n");
        return 1;
    }
    printf("malloc ok\n");
    printf("pid %d, argc %d\n", (int)getpid(), argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    return 0;
}
