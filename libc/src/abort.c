/*
 * abort() (<stdlib.h>), replacing newlib's (which raises SIGABRT and then
 * exits with status 1, so a blocked or ignored SIGABRT ended the process
 * with a plain exit). As POSIX says: SIGABRT is sent as by raise (a
 * handler runs, even if the signal was blocked: abort unblocks it, and
 * one that does not return ends nothing); it overrides blocking and
 * ignoring, and the process then ends by SIGABRT (its wait status says
 * signal 6), the action reset to the default if a handler returned.
 * Streams are not flushed (POSIX leaves it open). No state of its own.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

void abort(void)
{
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    struct sigaction sa;
    if (sigaction(SIGABRT, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
        sa.sa_handler = SIG_DFL;
        sigaction(SIGABRT, &sa, NULL);
    }
    sigprocmask(SIG_UNBLOCK, &abrt, NULL);
    raise(SIGABRT);
    /* A handler returned: the default action, and again. */
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &dfl, NULL);
    sigprocmask(SIG_UNBLOCK, &abrt, NULL);
    raise(SIGABRT);
    for (;;)
        _exit(128 + SIGABRT); /* not reached: the raise ends the process */
}
