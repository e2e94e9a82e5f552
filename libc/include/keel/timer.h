/*
 * Keel's extensions to POSIX timers (docs/syscalls.md "Kernel objects"):
 * two more sigev_notify values for timer_create, so that a periodic task
 * can wait on a semaphore or a message queue with no signal and no
 * helper thread.
 *
 *   SIGEV_KEEL_SEM: every expiry posts the semaphore whose cap slot is in
 *     sigev_signo (the slot needs WRITE; the timer keeps the semaphore
 *     alive while it exists).
 *   SIGEV_KEEL_MQ: every expiry sends a struct keel_timer_msg (sigev_value,
 *     the overrun count, the timer's slot) at priority 0 to the queue
 *     whose cap slot (mqd_t) is in sigev_signo (WRITE). An expiry that
 *     finds the queue full is counted as an overrun of the next message.
 */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include <keel/abi.h>

#define SIGEV_KEEL_SEM KEEL_SIGEV_KEEL_SEM
#define SIGEV_KEEL_MQ KEEL_SIGEV_KEEL_MQ

#endif
