/*
 * What the parts of docs/posix.md's program share (tests/posix/): the
 * check counter and the signal flag, and one function per area, called
 * in order by main() in posix_api.c. Each part lives in its own file so
 * work on one area's rows touches one file.
 */
#ifndef POSIX_API_H
#define POSIX_API_H

#include <signal.h>

extern int nchecks, nfailed;
void check(int ok, const char *what);

extern volatile sig_atomic_t got_signal;
void on_signal(int sig);

/* posix_api_sig.c */
void signals(void);
/* posix_api_thread.c */
void threads(void);
void cancellation(void);
void limits_and_memory(void);
/* posix_api_rt.c */
void clocks(void);
void timers(void);
void message_queues(void);
void user_ids(void);
void path_limits(void);
/* posix_api_sync.c */
void sync_more(void);
void semaphores_barriers(void);

#endif
