/*
 * pthread_once (docs/posix.md). The state is newlib's pthread_once_t's
 * init_executed word, used as a futex: ONCE_NEW (PTHREAD_ONCE_INIT, or
 * zeroed memory), ONCE_RUNNING while one caller runs the routine,
 * ONCE_WAITED when others also sleep on the word for it to finish, and
 * ONCE_DONE. The first caller to move NEW -> RUNNING runs the routine;
 * every other caller returns once the state is DONE, sleeping in
 * FUTEX_WAIT (not spinning) meanwhile, so a waiter of higher priority
 * than the runner on the same hart lets it finish. The runner stores DONE
 * with release order and wakes every sleeper if any marked the word.
 *
 * A routine that is cancelled (or calls pthread_exit) leaves the control
 * as if pthread_once had never been called, as POSIX says: a cleanup
 * handler stores ONCE_NEW again and wakes the sleepers, and one of them
 * runs the routine. A routine that calls pthread_once on its own control
 * deadlocks (POSIX: undefined).
 *
 * Locking: the word itself.
 */
#include <limits.h>
#include <pthread.h>

#include "internal.h"

#define ONCE_NEW 0u
#define ONCE_RUNNING 1u
#define ONCE_WAITED 2u
#define ONCE_DONE 3u

/* The runner left the routine without returning: start over. */
static void once_abandon(void *arg)
{
    uint32_t *w = arg;
    if (__atomic_exchange_n(w, ONCE_NEW, __ATOMIC_RELEASE) == ONCE_WAITED)
        keel_futex(w, KEEL_FUTEX_WAKE, INT_MAX, NULL);
}

int pthread_once(pthread_once_t *o, void (*fn)(void))
{
    if (!o || !fn)
        return EINVAL;
    uint32_t *w = (uint32_t *)&o->init_executed;
    for (;;) {
        uint32_t v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
        switch (v) {
        case ONCE_DONE:
            return 0;
        case ONCE_NEW:
            if (!keel_cas_acq(w, ONCE_NEW, ONCE_RUNNING))
                continue;
            pthread_cleanup_push(once_abandon, w);
            fn();
            pthread_cleanup_pop(0);
            if (__atomic_exchange_n(w, ONCE_DONE, __ATOMIC_RELEASE) ==
                ONCE_WAITED)
                keel_futex(w, KEEL_FUTEX_WAKE, INT_MAX, NULL);
            return 0;
        case ONCE_RUNNING:
            if (!keel_cas_acq(w, ONCE_RUNNING, ONCE_WAITED))
                continue;
            /* fall through */
        case ONCE_WAITED:
            /* 0, EAGAIN (changed), EINTR (a signal): look again. */
            keel_futex(w, KEEL_FUTEX_WAIT, ONCE_WAITED, NULL);
            continue;
        default:
            return EINVAL; /* not a pthread_once_t's state */
        }
    }
}
