// keel-exec test: C++ with Keel's own headers (<keel/sys.h>, <keel/cap.h>,
// <keel/sched.h>: extern "C" inside) and libc's pthread/sched/time ones.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <keel/sys.h>
#include <keel/cap.h>
#include <keel/sched.h>

static void *worker(void *arg)
{
    return (void *)((long)arg + 1);
}

int main()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, worker, (void *)41);
    pthread_join(t, &r);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    // each links only through the extern "C" in its <keel/...> header
    int slot = keel_system_slot();                          // cap.h
    long pid = keel_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0); // sys.h
    int ceiling = -1;
    int e = keel_pthread_getceiling(pthread_self(), &ceiling); // sched.h
    printf("thread %ld prio max %d keel calls %s\n", (long)r,
           sched_get_priority_max(SCHED_FIFO),
           slot >= -1 && pid == getpid() && e == 0 && ceiling > 0 ? "ok"
                                                                  : "wrong");
    return 0;
}
