/*
 * The C++ runtime hooks g++ emits calls to, for programs built by
 * `make exec` / scripts/keel-exec from .cc/.cpp files. Debian ships no
 * libstdc++ (nor libsupc++) for riscv64-unknown-elf, so this is all the
 * C++ support there is: the language without exceptions or RTTI (apps are
 * built with -fno-exceptions -fno-rtti -fno-threadsafe-statics), with
 * newlib's C library, and these few symbols. Linked only into C++ apps,
 * never into Keel's own programs.
 *
 * operator new has no exception to throw: on exhaustion it says so on
 * stderr and aborts (SIGABRT, status 134). Static destructors go through
 * newlib's __cxa_atexit and run at exit(). No shared state and no locks
 * here besides malloc's own.
 */
#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>

namespace std
{
enum class align_val_t : size_t {};
}

extern "C" {
/* Names this "module" to __cxa_atexit; crtbegin would define it, but user
 * programs are linked without the host start files. */
void *__dso_handle = &__dso_handle;

/* A pure virtual function called through a half-built or dead object. */
void __cxa_pure_virtual(void)
{
    fputs("c++: pure virtual function called\n", stderr);
    abort();
}

void __cxa_deleted_virtual(void)
{
    fputs("c++: deleted virtual function called\n", stderr);
    abort();
}
}

static void *cxxrt_alloc(size_t size, size_t align)
{
    if (size == 0)
        size = 1; /* every new-expression yields a distinct pointer */
    void *p = align > sizeof(void *) * 2 ? memalign(align, size) : malloc(size);
    if (!p) {
        fprintf(stderr, "c++: operator new(%lu): out of memory\n",
                (unsigned long)size);
        abort();
    }
    return p;
}

void *operator new(size_t size)
{
    return cxxrt_alloc(size, 0);
}
void *operator new[](size_t size)
{
    return cxxrt_alloc(size, 0);
}
void *operator new(size_t size, std::align_val_t al)
{
    return cxxrt_alloc(size, (size_t)al);
}
void *operator new[](size_t size, std::align_val_t al)
{
    return cxxrt_alloc(size, (size_t)al);
}
void operator delete(void *p) noexcept
{
    free(p);
}
void operator delete[](void *p) noexcept
{
    free(p);
}
void operator delete(void *p, size_t) noexcept
{
    free(p);
}
void operator delete[](void *p, size_t) noexcept
{
    free(p);
}
void operator delete(void *p, std::align_val_t) noexcept
{
    free(p);
}
void operator delete[](void *p, std::align_val_t) noexcept
{
    free(p);
}
void operator delete(void *p, size_t, std::align_val_t) noexcept
{
    free(p);
}
void operator delete[](void *p, size_t, std::align_val_t) noexcept
{
    free(p);
}
