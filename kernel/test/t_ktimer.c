/* In-kernel tests of POSIX timer objects (kernel/sched/ktimer.c). */
#include "../include/kobj.h"
#include "../include/proc.h"
#include "../sched/ktimer_impl.h"
#include "ktest.h"

/* Regression: ktimer_settime queued the node but did not reprogram the
 * hart's timer, so an expiry earlier than the hart's programmed event
 * (none at all on an idle hart) came only with that later event. */
KTEST(ktimer_settime_programs_the_hart)
{
    struct ktimer *k;
    KT_CHECK_EQ(
        ktimer_create(KEEL_CLOCK_MONOTONIC, KEEL_SIGEV_NONE, 0, 0, NULL, &k),
        0);
    uint64_t ov, oi;
    /* 50 us: sooner than any other event this hart has queued. */
    ktimer_settime(k, false, 50000, 0, &ov, &oi);
    uint64_t dl = k->tn.deadline;
    KT_CHECK(timer_node_queued(&k->tn));
    KT_CHECK(this_hart()->timer_armed <= dl);
    ktimer_disarm(k);
    KT_CHECK(!timer_node_queued(&k->tn));
    kobj_put(&k->hdr);
}
