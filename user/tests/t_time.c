/*
 * Time: CLOCK_MONOTONIC never goes back; sleeps last at least as long as
 * asked (a lower bound only: no test here has an upper time limit);
 * invalid requests fail with EINVAL, in libc and in the kernel alike.
 */
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define MS 1000000ull

TEST(clock_monotonic)
{
    struct timespec prev, ts;
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &prev));
    CHECK(prev.tv_sec >= 0);
    CHECK(prev.tv_nsec >= 0 && prev.tv_nsec < 1000000000L);
    for (int i = 0; i < 2000; i++) {
        CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &ts));
        CHECKF(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L,
               "tv_nsec %ld out of range", (long)ts.tv_nsec);
        CHECKF(ts.tv_sec > prev.tv_sec ||
                   (ts.tv_sec == prev.tv_sec && ts.tv_nsec >= prev.tv_nsec),
               "went back: %ld.%09ld after %ld.%09ld", (long)ts.tv_sec,
               (long)ts.tv_nsec, (long)prev.tv_sec, (long)prev.tv_nsec);
        prev = ts;
    }
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &ts));
    struct timeval tv;
    CHECK_OK(gettimeofday(&tv, NULL));
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

TEST(clock_invalid_id)
{
    struct timespec ts;
    CHECK_ERRNO(clock_gettime((clockid_t)99, &ts), EINVAL);
    CHECK_ERRNO(clock_gettime((clockid_t)-1, &ts), EINVAL);
    struct keel_timespec ks;
    CHECK_EQ(keel_syscall6(SYS_clock_gettime, 99, (long)&ks, 0, 0, 0, 0),
             -EINVAL);
}

TEST(clock_advances_while_sleeping)
{
    uint64_t t0 = ut_now_ns();
    ut_sleep_ms(5);
    uint64_t t1 = ut_now_ns();
    CHECK(t0 > 0);
    CHECKF(t1 > t0, "clock did not advance over a 5 ms sleep");
}

TEST(nanosleep_lower_bound)
{
    uint64_t t0 = ut_now_ns();
    struct timespec req = {0, 30 * (long)MS}, rem = {5, 5};
    CHECK_OK(nanosleep(&req, &rem));
    uint64_t t1 = ut_now_ns();
    CHECKF(t1 - t0 >= 30 * MS, "nanosleep(30 ms) took %lu us",
           (unsigned long)((t1 - t0) / 1000));
    CHECK_OK(usleep(20000));
    uint64_t t2 = ut_now_ns();
    CHECKF(t2 - t1 >= 20 * MS, "usleep(20000) took %lu us",
           (unsigned long)((t2 - t1) / 1000));
    CHECK_EQ(sleep(1), 0);
    uint64_t t3 = ut_now_ns();
    CHECKF(t3 - t2 >= 1000 * MS, "sleep(1) took %lu us",
           (unsigned long)((t3 - t2) / 1000));
    /* A zero sleep returns at once (well, returns). */
    req.tv_sec = 0;
    req.tv_nsec = 0;
    CHECK_OK(nanosleep(&req, NULL));
    /* The kernel call itself honours the bound too. */
    struct keel_timespec ks = {0, 10 * (long)MS};
    uint64_t t4 = ut_now_ns();
    CHECK_EQ(keel_syscall6(SYS_nanosleep, (long)&ks, 0, 0, 0, 0, 0), 0);
    uint64_t t5 = ut_now_ns();
    CHECKF(t5 - t4 >= 10 * MS, "SYS_nanosleep(10 ms) took %lu us",
           (unsigned long)((t5 - t4) / 1000));
}

TEST(nanosleep_einval)
{
    struct timespec req = {0, 1000000000L};
    CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
    req.tv_nsec = -1;
    CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
    req.tv_sec = -1;
    req.tv_nsec = 0;
    CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
    /* The same checks in the kernel, past libc's. */
    struct keel_timespec ks = {0, 1000000000L};
    CHECK_EQ(keel_syscall6(SYS_nanosleep, (long)&ks, 0, 0, 0, 0, 0), -EINVAL);
    ks.tv_nsec = -1;
    CHECK_EQ(keel_syscall6(SYS_nanosleep, (long)&ks, 0, 0, 0, 0, 0), -EINVAL);
    ks.tv_sec = -1;
    ks.tv_nsec = 0;
    CHECK_EQ(keel_syscall6(SYS_nanosleep, (long)&ks, 0, 0, 0, 0, 0), -EINVAL);
}

const struct utest ut_time_tests[] = {
    UT_CASE(clock_monotonic),
    UT_CASE(clock_invalid_id),
    UT_CASE(clock_advances_while_sleeping),
    UT_CASE(nanosleep_lower_bound),
    UT_CASE(nanosleep_einval),
    UT_END,
};
