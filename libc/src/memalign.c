/*
 * posix_memalign: newlib declares it in <stdlib.h> but does not build it
 * for riscv64-unknown-elf; its memalign does the work. No state of its
 * own (malloc's lock is memalign's).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

int posix_memalign(void **out, size_t align, size_t size)
{
    /* POSIX: a power of two multiple of sizeof(void *). */
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    int saved = errno; /* POSIX: errno is not the way it reports */
    void *p = memalign(align, size ? size : 1);
    errno = saved;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
