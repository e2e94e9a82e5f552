/*
 * Thread-specific data (issue 9 item 6, libc/src/tsd.c): values are per
 * thread and start as NULL; a deleted key's values vanish and a key
 * created again starts as NULL; EINVAL for keys that do not exist;
 * EAGAIN once all PTHREAD_KEYS_MAX are in use, and recovery after a
 * delete; destructors at thread exit (a return from the start routine
 * and pthread_exit alike), with the value, after setting it to NULL,
 * repeated for values set again by a destructor up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds, and never for NULL values or a
 * deleted key. Thread functions use EXPECT only.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "utest.h"

static pthread_key_t k1, k2;

static void *values_fn(void *arg)
{
    (void)arg;
    EXPECT(pthread_getspecific(k1) == NULL);
    EXPECT(pthread_setspecific(k1, &k2) == 0);
    EXPECT(pthread_getspecific(k1) == &k2);
    return NULL;
}

TEST(key_values_per_thread)
{
    CHECK_RC(pthread_key_create(&k1, NULL), 0);
    CHECK_RC(pthread_key_create(&k2, NULL), 0);
    CHECK(k1 != k2);
    CHECK(pthread_getspecific(k1) == NULL);
    CHECK_RC(pthread_setspecific(k1, &k1), 0);
    CHECK_RC(pthread_setspecific(k2, "two"), 0);
    pthread_t th;
    CHECK_RC(pthread_create(&th, NULL, values_fn, NULL), 0);
    CHECK_RC(pthread_join(th, NULL), 0);
    CHECK(pthread_getspecific(k1) == &k1);
    CHECK(!strcmp(pthread_getspecific(k2), "two"));
    CHECK_RC(pthread_setspecific(k1, NULL), 0);
    CHECK(pthread_getspecific(k1) == NULL);
    /* Deleted: gone, and EINVAL; created again in its place: NULL. */
    CHECK_RC(pthread_setspecific(k1, &k1), 0);
    pthread_key_t old = k1;
    CHECK_RC(pthread_key_delete(k1), 0);
    CHECK_RC(pthread_key_delete(k1), EINVAL);
    CHECK_RC(pthread_setspecific(old, &k1), EINVAL);
    CHECK(pthread_getspecific(old) == NULL);
    CHECK_RC(pthread_key_create(&k1, NULL), 0);
    CHECK_EQ(k1, old); /* the lowest free key */
    CHECK(pthread_getspecific(k1) == NULL);
    CHECK_RC(pthread_key_delete(k1), 0);
    CHECK_RC(pthread_key_delete(k2), 0);
    CHECK_RC(pthread_key_delete(PTHREAD_KEYS_MAX), EINVAL);
    CHECK_RC(pthread_setspecific(PTHREAD_KEYS_MAX, &k1), EINVAL);
    CHECK(pthread_getspecific(PTHREAD_KEYS_MAX) == NULL);
    CHECK_RC(pthread_key_create(NULL, NULL), EINVAL);
}

TEST(key_exhaustion_and_recovery)
{
    static pthread_key_t ks[PTHREAD_KEYS_MAX + 1];
    int n = 0, rc;
    while ((rc = pthread_key_create(&ks[n], NULL)) == 0) {
        n++;
        CHECK(n <= PTHREAD_KEYS_MAX);
    }
    CHECK_RC(rc, EAGAIN);
    CHECK(n >= PTHREAD_KEYS_MAX - 8); /* the suite itself keeps none */
    CHECK_RC(pthread_setspecific(ks[n - 1], &n), 0);
    CHECK_RC(pthread_key_delete(ks[n / 2]), 0);
    pthread_key_t again;
    CHECK_RC(pthread_key_create(&again, NULL), 0);
    CHECK_EQ(again, ks[n / 2]);
    CHECK_RC(pthread_key_create(&ks[n], NULL), EAGAIN);
    for (int i = 0; i < n; i++)
        CHECK_RC(pthread_key_delete(ks[i]), 0);
    CHECK_RC(pthread_key_create(&again, NULL), 0);
    CHECK_RC(pthread_key_delete(again), 0);
}

static pthread_key_t kd_once, kd_again, kd_none, kd_nodtor, kd_deleted;
static int d_once_calls, d_again_calls, d_none_calls, d_deleted_calls;
static void *d_once_arg;
static int d_value_was_null = 1;

static void dtor_once(void *v)
{
    d_once_calls++;
    d_once_arg = v;
    /* POSIX: the value is NULL while its destructor runs. */
    if (pthread_getspecific(kd_once) != NULL)
        d_value_was_null = 0;
}

/* Sets its value again every time: called once per round. */
static void dtor_again(void *v)
{
    d_again_calls++;
    EXPECT(pthread_setspecific(kd_again, v) == 0);
}

static void dtor_none(void *v)
{
    (void)v;
    d_none_calls++;
}

static void dtor_deleted(void *v)
{
    (void)v;
    d_deleted_calls++;
}

static int dtor_token;

static void *dtor_fn(void *arg)
{
    EXPECT(pthread_setspecific(kd_once, &dtor_token) == 0);
    EXPECT(pthread_setspecific(kd_again, &dtor_token) == 0);
    EXPECT(pthread_setspecific(kd_none, NULL) == 0);
    EXPECT(pthread_setspecific(kd_nodtor, &dtor_token) == 0);
    EXPECT(pthread_setspecific(kd_deleted, &dtor_token) == 0);
    EXPECT(pthread_key_delete(kd_deleted) == 0);
    if (arg)
        pthread_exit(NULL);
    return NULL;
}

TEST(key_destructors_at_thread_exit)
{
    CHECK_RC(pthread_key_create(&kd_once, dtor_once), 0);
    CHECK_RC(pthread_key_create(&kd_again, dtor_again), 0);
    CHECK_RC(pthread_key_create(&kd_none, dtor_none), 0);
    CHECK_RC(pthread_key_create(&kd_nodtor, NULL), 0);
    for (int how = 0; how < 2; how++) { /* return, then pthread_exit */
        CHECK_RC(pthread_key_create(&kd_deleted, dtor_deleted), 0);
        d_once_calls = d_again_calls = d_none_calls = d_deleted_calls = 0;
        d_once_arg = NULL;
        pthread_t th;
        CHECK_RC(
            pthread_create(&th, NULL, dtor_fn, how ? (void *)&dtor_token : 0),
            0);
        CHECK_RC(pthread_join(th, NULL), 0);
        CHECK_EQ(d_once_calls, 1);
        CHECK(d_once_arg == &dtor_token);
        CHECK(d_value_was_null);
        CHECK_EQ(d_again_calls, PTHREAD_DESTRUCTOR_ITERATIONS);
        CHECK_EQ(d_none_calls, 0);
        CHECK_EQ(d_deleted_calls, 0);
    }
    /* This thread's own values are untouched by the others' exits. */
    CHECK(pthread_getspecific(kd_once) == NULL);
    CHECK_RC(pthread_key_delete(kd_once), 0);
    CHECK_RC(pthread_key_delete(kd_again), 0);
    CHECK_RC(pthread_key_delete(kd_none), 0);
    CHECK_RC(pthread_key_delete(kd_nodtor), 0);
}

const struct utest ut_key_tests[] = {
    UT_CASE(key_values_per_thread),
    UT_CASE(key_exhaustion_and_recovery),
    UT_CASE(key_destructors_at_thread_exit),
    UT_END,
};
