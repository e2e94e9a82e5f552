/*
 * Keel's <time.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (clock_gettime, nanosleep and
 * CLOCK_MONOTONIC), which are switched off again afterwards: Keel does not
 * provide these options in full (see <sys/features.h> and docs/posix.md).
 */
#ifndef KEEL_TIME_H
#define KEEL_TIME_H

#include <sys/features.h>
#ifndef _POSIX_TIMERS
#define _POSIX_TIMERS 1
#define KEEL_GATE_TIME_TIMERS
#endif
#ifndef _POSIX_MONOTONIC_CLOCK
#define _POSIX_MONOTONIC_CLOCK 1
#define KEEL_GATE_TIME_MONOTONIC_CLOCK
#endif

#include_next <time.h>

#ifdef KEEL_GATE_TIME_TIMERS
#undef _POSIX_TIMERS
#undef KEEL_GATE_TIME_TIMERS
#endif
#ifdef KEEL_GATE_TIME_MONOTONIC_CLOCK
#undef _POSIX_MONOTONIC_CLOCK
#undef KEEL_GATE_TIME_MONOTONIC_CLOCK
#endif

#endif
