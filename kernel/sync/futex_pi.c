/*
 * Priority-inheriting futex commands (KEEL_FUTEX_LOCK_PI, UNLOCK_PI,
 * TRYLOCK_PI): pending the priority-inheritance work of issue 8 item 5,
 * which replaces this file. Until then every PI command answers ENOSYS,
 * which libc's PTHREAD_PRIO_INHERIT mutexes do not depend on for their
 * uncontended paths.
 */
#include "../include/futex.h"

long futex_pi(uint64_t uaddr, int cmd, uint64_t abs_deadline)
{
    (void)uaddr, (void)cmd, (void)abs_deadline;
    return -ENOSYS;
}
