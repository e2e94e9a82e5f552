/* Common kernel definitions: basic types, printing, panics, strings. */
#ifndef KEEL_KERNEL_H
#define KEEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "param.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member)                                        \
    ((type *)((char *)(ptr)-offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
int snprintk(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintk(char *buf, size_t size, const char *fmt, va_list ap);
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
#ifdef KEEL_KTEST
/* Test kernel: panic() calls this first; it returns unless a test on
 * this hart expects a panic (kernel/test/ktest.c). */
void ktest_panic_hook(const char *fmt, va_list ap);
#endif

#define KASSERT(c)                                                             \
    do {                                                                       \
        if (unlikely(!(c)))                                                    \
            panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__);    \
    } while (0)

/*
 * Reference counts (atomic uint32_t). ref_put drops one and returns how
 * many are left; dropping a reference nobody holds (the count is already
 * 0: a double put, or a put on a freed object) panics in every build,
 * since the check is one compare on the value the atomic returns anyway.
 * ref_get takes one; in the debug and test kernels it panics when the
 * count was 0 (the object is free: no one may revive it).
 */
#define ref_put(r) ref_put_at((r), #r, __FILE__, __LINE__)
#define ref_get(r) ref_get_at((r), #r, __FILE__, __LINE__)
static inline uint32_t ref_put_at(uint32_t *r, const char *what,
                                  const char *file, int line)
{
    uint32_t old = __atomic_fetch_sub(r, 1, __ATOMIC_ACQ_REL);
    if (unlikely(old == 0))
        panic("refcount underflow: %s at %s:%d", what, file, line);
    return old - 1;
}
static inline void ref_get_at(uint32_t *r, const char *what, const char *file,
                              int line)
{
    uint32_t old = __atomic_fetch_add(r, 1, __ATOMIC_RELAXED);
#ifdef KEEL_LOCKCHECK
    if (unlikely(old == 0))
        panic("refcount get on a freed object: %s at %s:%d", what, file, line);
#else
    (void)old, (void)what, (void)file, (void)line;
#endif
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strlcpy(char *d, const char *s, size_t n);

/* Power off QEMU through the virt test device with an exit status. */
void board_poweroff(int status) __attribute__((noreturn));

#endif
