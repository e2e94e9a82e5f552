/*
 * In-kernel tests. KTEST(name) { ... } registers a test in the .ktests
 * section; the test build (KEEL_KTEST) runs them all at boot in a kernel
 * thread and powers QEMU off with the verdict.
 */
#ifndef KEEL_KTEST_H
#define KEEL_KTEST_H

#include "../include/kernel.h"

struct ktest {
    const char *name;
    void (*fn)(void);
};

#define KTEST(tname)                                                           \
    static void ktest_fn_##tname(void);                                        \
    static const struct ktest ktest_##tname __attribute__((                    \
        section(".ktests"), used, aligned(8))) = {#tname, ktest_fn_##tname};   \
    static void ktest_fn_##tname(void)

void ktest_fail(const char *file, int line, const char *what);

#define KT_CHECK(c)                                                            \
    do {                                                                       \
        if (!(c))                                                              \
            ktest_fail(__FILE__, __LINE__, #c);                                \
    } while (0)
#define KT_CHECK_EQ(a, b)                                                      \
    do {                                                                       \
        long __a = (long)(a), __b = (long)(b);                                 \
        if (__a != __b) {                                                      \
            printk("    %s = %ld, expected %ld\n", #a, __a, __b);              \
            ktest_fail(__FILE__, __LINE__, #a " == " #b);                      \
        }                                                                      \
    } while (0)

/* Runs fn(arg) on this hart and returns true if it panicked (the panic
 * is caught and its message kept in ktest_panic_msg); fn must not block
 * or hold a lock where it may panic. */
bool ktest_expect_panic(void (*fn)(void *), void *arg);
extern char ktest_panic_msg[160];
/* The last caught panic's message contains what. */
bool ktest_panic_said(const char *what);

/* Kernel threads for tests: run fn(arg) on some hart, then exit. */
struct thread *kthread_create(void (*fn)(void *), void *arg, int prio);

#endif
