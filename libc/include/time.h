/*
 * Keel's <time.h>: newlib's, read with the option gates it needs to
 * declare what Keel's libc provides (clock_gettime, clock_getres,
 * clock_settime, nanosleep and timer_create, timer_settime,
 * timer_gettime, timer_getoverrun, timer_delete with struct itimerspec
 * and TIMER_ABSTIME behind _POSIX_TIMERS; clock_nanosleep behind
 * _POSIX_CLOCK_SELECTION; CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID and clock_getcpuclockid behind _POSIX_CPUTIME
 * and _POSIX_THREAD_CPUTIME), which are switched off again afterwards
 * unless <sys/features.h> announces them (docs/posix.md). The CPU-time
 * clocks are announced there: clock_gettime, clock_getres and
 * timer_create take them.
 * _POSIX_MONOTONIC_CLOCK is announced there (CLOCK_MONOTONIC works with every
 * clock call).
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
#ifndef _POSIX_CLOCK_SELECTION
#define _POSIX_CLOCK_SELECTION 1
#define KEEL_GATE_TIME_CLOCK_SELECTION
#endif

#ifndef _POSIX_CPUTIME
#define _POSIX_CPUTIME 1
#define KEEL_GATE_TIME_CPUTIME
#endif
#ifndef _POSIX_THREAD_CPUTIME
#define _POSIX_THREAD_CPUTIME 1
#define KEEL_GATE_TIME_THREAD_CPUTIME
#endif

#include_next <time.h>

#ifdef KEEL_GATE_TIME_CPUTIME
#undef _POSIX_CPUTIME
#undef KEEL_GATE_TIME_CPUTIME
#endif
#ifdef KEEL_GATE_TIME_THREAD_CPUTIME
#undef _POSIX_THREAD_CPUTIME
#undef KEEL_GATE_TIME_THREAD_CPUTIME
#endif

#ifdef KEEL_GATE_TIME_TIMERS
#undef _POSIX_TIMERS
#undef KEEL_GATE_TIME_TIMERS
#endif
#ifdef KEEL_GATE_TIME_MONOTONIC_CLOCK
#undef _POSIX_MONOTONIC_CLOCK
#undef KEEL_GATE_TIME_MONOTONIC_CLOCK
#endif
#ifdef KEEL_GATE_TIME_CLOCK_SELECTION
#undef _POSIX_CLOCK_SELECTION
#undef KEEL_GATE_TIME_CLOCK_SELECTION
#endif

#endif
