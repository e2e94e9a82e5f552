/*
 * A tiny host test harness. Include it from exactly one .c file per test
 * program (it defines main):
 *
 *   TEST(pool_alloc_order) { CHECK_EQ(f(1), 2); CHECK(ok); }
 *
 * TEST registers the function through a constructor; main runs every
 * test in registration order, prints "ok <name>" or "FAIL <name>: <first
 * failure> [(+N more)]" per test, then the line "P passed, F failed" with
 * counts of tests, and exits non-zero if any failed. CHECK* record a
 * failure and go on; REQUIRE* also return from the test.
 */
#ifndef KEEL_TEST_HARNESS_H
#define KEEL_TEST_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HARNESS_MAX_TESTS 256

struct harness_test {
    const char *name;
    void (*fn)(void);
};

static struct harness_test harness_tests[HARNESS_MAX_TESTS];
static int harness_ntests;
static int harness_nfail_checks; /* failed checks in the running test */
static char harness_first_fail[512];

static void harness_register(const char *name, void (*fn)(void))
{
    if (harness_ntests >= HARNESS_MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        abort();
    }
    harness_tests[harness_ntests].name = name;
    harness_tests[harness_ntests].fn = fn;
    harness_ntests++;
}

__attribute__((format(printf, 3, 4))) static void
harness_fail(const char *file, int line, const char *fmt, ...)
{
    if (harness_nfail_checks++ == 0) {
        va_list ap;
        int n = snprintf(harness_first_fail, sizeof(harness_first_fail),
                         "%s:%d: ", file, line);
        if (n < 0 || (size_t)n >= sizeof(harness_first_fail))
            return;
        va_start(ap, fmt);
        vsnprintf(harness_first_fail + n, sizeof(harness_first_fail) - n, fmt,
                  ap);
        va_end(ap);
    }
}

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void test_register_##name(void)        \
    {                                                                          \
        harness_register(#name, test_##name);                                  \
    }                                                                          \
    static void test_##name(void)

/* Evaluates to the condition's truth, so REQUIRE can build on it. */
#define CHECK(cond) harness_check(__FILE__, __LINE__, #cond, !!(cond))

/* Integer (or pointer) equality; both sides evaluated once. */
#define CHECK_EQ(a, b)                                                         \
    harness_check_eq(__FILE__, __LINE__, #a, #b, (unsigned long long)(a),      \
                     (unsigned long long)(b))

#define CHECK_STR_EQ(a, b)                                                     \
    harness_check_str(__FILE__, __LINE__, #a, #b, (a), (b))

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!CHECK(cond))                                                      \
            return;                                                            \
    } while (0)

#define REQUIRE_EQ(a, b)                                                       \
    do {                                                                       \
        if (!CHECK_EQ(a, b))                                                   \
            return;                                                            \
    } while (0)

static inline int harness_check(const char *file, int line, const char *expr,
                                int ok)
{
    if (!ok)
        harness_fail(file, line, "CHECK(%s) failed", expr);
    return ok;
}

static inline int harness_check_eq(const char *file, int line, const char *ea,
                                   const char *eb, unsigned long long a,
                                   unsigned long long b)
{
    if (a == b)
        return 1;
    harness_fail(file, line,
                 "CHECK_EQ(%s, %s) failed: %lld (%#llx) != %lld "
                 "(%#llx)",
                 ea, eb, (long long)a, a, (long long)b, b);
    return 0;
}

static inline int harness_check_str(const char *file, int line, const char *ea,
                                    const char *eb, const char *a,
                                    const char *b)
{
    if (a && b && strcmp(a, b) == 0)
        return 1;
    harness_fail(file, line, "CHECK_STR_EQ(%s, %s) failed: \"%s\" != \"%s\"",
                 ea, eb, a ? a : "(null)", b ? b : "(null)");
    return 0;
}

int main(void)
{
    int passed = 0, failed = 0;

    for (int i = 0; i < harness_ntests; i++) {
        harness_nfail_checks = 0;
        harness_first_fail[0] = '\0';
        harness_tests[i].fn();
        if (harness_nfail_checks == 0) {
            printf("ok %s\n", harness_tests[i].name);
            passed++;
        } else if (harness_nfail_checks == 1) {
            printf("FAIL %s: %s\n", harness_tests[i].name, harness_first_fail);
            failed++;
        } else {
            printf("FAIL %s: %s (+%d more)\n", harness_tests[i].name,
                   harness_first_fail, harness_nfail_checks - 1);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
