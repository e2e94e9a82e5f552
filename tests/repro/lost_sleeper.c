/*
 * Issue 6 item 5, the reviewer's lost-sleeper scenario as one program:
 * three priority-10 children loop writing 1 MiB to ramfs files while a
 * priority-20 thread sleeps 1 ms, 100 times. Run it at 4 harts under
 * `-icount shift=0,sleep=off` (docs/testing.md gives the command). On the
 * kernel before issue 6 it stops after "slept 0" and never finishes; now
 * it prints "done" and exits 0. Slow under icount (minutes): the wake-ups
 * wait for the writers' non-preemptible 1 MiB writes (issue 8).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLEEPS 100
static char buf[1 << 20];

static int writer(const char *id)
{
    char path[32];
    snprintf(path, sizeof(path), "/lost_sleeper_w%s", id);
    for (;;) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return 1;
        if (write(fd, buf, sizeof(buf)) < 0)
            return 1;
        close(fd);
    }
}

static void *sleeper(void *arg)
{
    for (int i = 0; i < SLEEPS; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        if (i % 20 == 0)
            printf("slept %d\n", i);
    }
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return writer(argv[1]);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        struct sched_param sp = {.sched_priority = 10};
        posix_spawnattr_setschedparam(&at, &sp);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDPARAM);
        char id[4];
        snprintf(id, sizeof(id), "%d", i);
        char *av[] = {argv[0], id, NULL};
        if (posix_spawn(&pids[i], argv[0], NULL, &at, av, NULL) != 0)
            return 1;
        posix_spawnattr_destroy(&at);
    }
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    pthread_join(th, NULL);
    printf("done\n");
    for (int i = 0; i < 3; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    return 0;
}
