/*
 * mkinitrd: writes Keel's boot image. Usage:
 *   mkinitrd OUT DEST=SRC...
 * Each DEST is the absolute path inside Keel, SRC a host file. The record
 * format is described in kernel/fs/initrd.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pad(FILE *out, uint64_t n)
{
    static const char zero[8];
    fwrite(zero, 1, (8 - n % 8) % 8, out);
}

static void record(FILE *out, const char *name, const void *data, uint64_t size)
{
    uint32_t name_len = name ? (uint32_t)strlen(name) + 1 : 0;
    fwrite("KRD1", 1, 4, out);
    fwrite(&name_len, sizeof(name_len), 1, out);
    fwrite(&size, sizeof(size), 1, out);
    if (!name)
        return;
    fwrite(name, 1, name_len, out);
    pad(out, name_len);
    fwrite(data, 1, size, out);
    pad(out, size);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkinitrd OUT DEST=SRC...\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq || argv[i][0] != '/') {
            fprintf(stderr, "mkinitrd: bad entry %s\n", argv[i]);
            return 2;
        }
        *eq = 0;
        FILE *in = fopen(eq + 1, "rb");
        if (!in) {
            perror(eq + 1);
            return 1;
        }
        fseek(in, 0, SEEK_END);
        long size = ftell(in);
        fseek(in, 0, SEEK_SET);
        char *buf = malloc(size ? (size_t)size : 1);
        if (!buf || fread(buf, 1, (size_t)size, in) != (size_t)size) {
            fprintf(stderr, "mkinitrd: cannot read %s\n", eq + 1);
            return 1;
        }
        fclose(in);
        record(out, argv[i], buf, (uint64_t)size);
        free(buf);
    }
    record(out, NULL, NULL, 0);
    return fclose(out) == 0 ? 0 : 1;
}
