/*
 * Keeps docs/posix.md true: calls every function that file marks
 * supported or partial, and no other POSIX function it lists.
 * `make check` (host-test layer) compiles and links it against Keel's
 * libc and newlib (a function libc lacks fails the link), and
 * tests/host/doc_tests.sh checks that the functions called here and the
 * rows marked supported or partial are the same set, each defined in the
 * linked program.
 *
 * It is also a real program: `make exec APP=tests/posix/posix_api.c`
 * runs it; every call is checked and it prints "posix_api: N checks, F
 * failed" and exits with F (capped at 100). Calls that start programs
 * spawn the program itself (argv[0]) in a child mode, or /bin/true,
 * when the image holds it (a missing /bin/true is skipped, not failed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* <sys/features.h> announces only options posix.md has no missing rows
 * for (after every header above, all of which include it). */
#if defined(_POSIX_THREADS) || defined(_POSIX_TIMERS) ||                       \
    defined(_POSIX_PRIORITY_SCHEDULING) ||                                     \
    defined(_POSIX_THREAD_PRIORITY_SCHEDULING) || defined(_POSIX_SPAWN) ||     \
    defined(_POSIX_TIMEOUTS) || defined(_POSIX_CPUTIME)
#error "an option macro announces what docs/posix.md marks missing"
#endif
#if !defined(_POSIX_SEMAPHORES) || !defined(_POSIX_MESSAGE_PASSING) ||         \
    !defined(_POSIX_REALTIME_SIGNALS) || !defined(_POSIX_CLOCK_SELECTION) ||   \
    !defined(_POSIX_THREAD_PROCESS_SHARED)
#error                                                                         \
    "sem_*, mq_*, real-time signals, clock selection and process-shared sync objects are provided"
#endif
#if !defined(_POSIX_THREAD_ATTR_STACKSIZE) || _POSIX_THREAD_ATTR_STACKSIZE <= 0
#error "_POSIX_THREAD_ATTR_STACKSIZE: pthread_attr_setstacksize is provided"
#endif
#if !defined(_POSIX_MONOTONIC_CLOCK) || _POSIX_MONOTONIC_CLOCK <= 0
#error "_POSIX_MONOTONIC_CLOCK: CLOCK_MONOTONIC works with every clock call"
#endif
#if !defined(_POSIX_MEMLOCK) || !defined(_POSIX_MEMLOCK_RANGE) ||              \
    !defined(_POSIX_FSYNC) || !defined(_POSIX_THREAD_ATTR_STACKADDR)
#error "mlockall, mlock, fsync and pthread_attr_setstack are provided"
#endif
#if !defined(_POSIX_BARRIERS) || !defined(_POSIX_SPIN_LOCKS) ||                \
    !defined(_POSIX_READER_WRITER_LOCKS)
#error "barriers, spin locks and reader-writer locks are provided in full"
#endif

static int nchecks, nfailed;

static void check(int ok, const char *what)
{
    nchecks++;
    if (!ok) {
        nfailed++;
        fprintf(stderr, "posix_api: FAIL %s (errno %d)\n", what, errno);
    }
}

/* ---- child modes (argv[1]) ---- */

static int child_mode(const char *mode)
{
    if (!strcmp(mode, "exit7"))
        _exit(7);
    if (!strcmp(mode, "abort"))
        abort();
    if (!strcmp(mode, "sleep")) {
        sleep(30);
        return 1;
    }
    return 2;
}

/* ---- <unistd.h>, <fcntl.h>, <sys/stat.h> ---- */

static void files(void)
{
    const char *path = "/posix_api.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check(fd >= 0, "open");
    char buf[16];
    check(write(fd, "hello", 5) == 5, "write");
    check(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    check(read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5), "read");
    struct stat st;
    check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5,
          "fstat");
    check(stat(path, &st) == 0 && st.st_size == 5, "stat");
    check((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "fcntl");
    int d = dup(fd);
    check(d >= 0, "dup");
    check(dup2(fd, d) == d, "dup2");
    fcntl(d, F_SETFD, FD_CLOEXEC);
    check(close(d) == 0, "close");
    close(fd);
    check(unlink(path) == 0, "unlink");
    int p[2];
    check(pipe(p) == 0, "pipe");
    check(write(p[1], "x", 1) == 1 && read(p[0], buf, 1) == 1, "pipe io");
    close(p[0]);
    close(p[1]);
    check(isatty(1) == 1 || isatty(1) == 0, "isatty");
    check(getpid() > 0 && getppid() >= 0, "getpid");
    check(sbrk(0) != (void *)-1, "sbrk");
    check(usleep(1000) == 0, "usleep");
    check(sleep(0) == 0, "sleep");
}

/* ---- the working directory, directories ---- */

static void directories(void)
{
    const char *dir = "/posix_api.d";
    check(mkdir(dir, 0755) == 0, "mkdir");
    check(chdir(dir) == 0, "chdir");
    char buf[64];
    check(getcwd(buf, sizeof(buf)) == buf && !strcmp(buf, dir), "getcwd");
    int fd = open("f", O_WRONLY | O_CREAT, 0644);
    check(fd >= 0, "open relative");
    close(fd);
    struct stat st;
    check(lstat("f", &st) == 0 && S_ISREG(st.st_mode), "lstat");
    check(access("f", R_OK) == 0 && access("nope", F_OK) < 0, "access");
    DIR *d = opendir(".");
    check(d != NULL, "opendir");
    if (d) {
        struct dirent *e = readdir(d);
        check(e && !strcmp(e->d_name, "f") && !readdir(d), "readdir");
        rewinddir(d);
        long pos = telldir(d);
        check(readdir(d) != NULL, "rewinddir");
        seekdir(d, pos);
        check(readdir(d) != NULL && !readdir(d), "telldir and seekdir");
        check(closedir(d) == 0, "closedir");
    }
    unlink("f");
    check(chdir("/") == 0 && rmdir(dir) == 0, "rmdir");
}

/* ---- process groups, <termios.h> ---- */

static void terminal(void)
{
    check(setpgid(0, 0) == 0 && getpgrp() == getpid(), "setpgid");
    check(getpgid(0) == getpid(), "getpgid");
    struct termios t, raw;
    int r = tcgetattr(0, &t);
    check(r == 0 || errno == ENOTTY, "tcgetattr");
    if (r == 0) {
        raw = t;
        cfmakeraw(&raw);
        check(!(raw.c_lflag & (ECHO | ICANON | ISIG)), "cfmakeraw");
        check(tcsetattr(0, TCSANOW, &t) == 0, "tcsetattr");
        check(tcdrain(0) == 0, "tcdrain");
        pid_t fg = tcgetpgrp(0);
        check(fg >= 0, "tcgetpgrp");
        check(fg == 0 || tcsetpgrp(0, fg) == 0 || errno == EPERM, "tcsetpgrp");
    } else {
        check(tcsetattr(0, TCSANOW, &t) < 0 && tcdrain(0) < 0 &&
                  tcgetpgrp(0) < 0 && tcsetpgrp(0, getpid()) < 0,
              "terminal calls on a non-terminal fail");
        cfmakeraw(&t);
    }
    check(cfsetispeed(&t, B9600) == 0 && cfgetispeed(&t) == B9600 &&
              cfsetospeed(&t, B9600) == 0 && cfgetospeed(&t) == B9600,
          "cf speeds");
}

/* ---- <spawn.h>, <sys/wait.h>, <signal.h> ---- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void processes(const char *self)
{
    /* Spawn refuses to run while we hold an fd without GRANT that is
     * not close-on-exec: the children here need none of ours. */
    for (int fd = 0; fd < 96; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    check(posix_spawn_file_actions_init(&fa) == 0, "fa_init");
    check(posix_spawn_file_actions_addopen(&fa, 5, "/posix_api.out",
                                           O_WRONLY | O_CREAT, 0) == 0,
          "addopen");
    check(posix_spawn_file_actions_adddup2(&fa, 5, 6) == 0, "adddup2");
    check(posix_spawn_file_actions_addclose(&fa, 5) == 0, "addclose");
    posix_spawnattr_t at;
    check(posix_spawnattr_init(&at) == 0, "attr_init");
    struct sched_param sp = {.sched_priority = 10};
    check(posix_spawnattr_setschedpolicy(&at, SCHED_RR) == 0, "setpolicy");
    check(posix_spawnattr_setschedparam(&at, &sp) == 0, "setparam");
    pid_t pg = -1;
    check(posix_spawnattr_setpgroup(&at, 0) == 0 &&
              posix_spawnattr_getpgroup(&at, &pg) == 0 && pg == 0,
          "setpgroup");
    check(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSCHEDULER |
                                            POSIX_SPAWN_SETPGROUP) == 0,
          "setflags");
    short flags = 0;
    int pol = -1;
    check(posix_spawnattr_getflags(&at, &flags) == 0 &&
              flags == (POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETPGROUP),
          "getflags");
    check(posix_spawnattr_getschedpolicy(&at, &pol) == 0 && pol == SCHED_RR,
          "getpolicy");
    check(posix_spawnattr_getschedparam(&at, &sp) == 0 &&
              sp.sched_priority == 10,
          "getparam");
    char *av[] = {(char *)self, "exit7", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, &at, av, NULL);
    check(rc == 0, "posix_spawn");
    int st = 0;
    check(rc || (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 7),
          "waitpid");
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    remove("/posix_api.out");

    char *ab[] = {(char *)self, "abort", NULL};
    rc = posix_spawn(&pid, self, NULL, NULL, ab, NULL);
    check(rc == 0 && wait(&st) == pid && WIFSIGNALED(st) &&
              WTERMSIG(st) == SIGABRT,
          "abort in a child");

    char *sl[] = {(char *)self, "sleep", NULL};
    rc = posix_spawn(&pid, self, NULL, NULL, sl, NULL);
    check(rc == 0 && kill(pid, 0) == 0 && kill(pid, SIGTERM) == 0 &&
              waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
              WTERMSIG(st) == SIGTERM,
          "kill");

    char *tv[] = {"true", NULL};
    rc = posix_spawnp(&pid, "true", NULL, NULL, tv, NULL);
    check(rc == ENOENT || (rc == 0 && waitpid(pid, &st, 0) == pid),
          "posix_spawnp");

    signal(SIGUSR1, on_signal);
    check(raise(SIGUSR1) == 0 && got_signal == SIGUSR1, "signal and raise");
}

/* ---- <signal.h>: actions, masks, waiting, queueing (issue 9) ---- */

static volatile sig_atomic_t got_info_code;
static volatile long got_info_value;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signal = sig;
    got_info_code = si->si_code;
    got_info_value = si->si_value.sival_int;
}

static void *sig_sender(void *arg)
{
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    pthread_kill(*(pthread_t *)arg, SIGUSR2);
    return NULL;
}

/* Until the handler ran (pause may start after the first one). */
static void *sig_sender_loop(void *arg)
{
    struct timespec ts = {0, 10000000};
    for (int i = 0; i < 3000 && got_signal != SIGUSR2; i++) {
        nanosleep(&ts, NULL);
        pthread_kill(*(pthread_t *)arg, SIGUSR2);
    }
    return NULL;
}

static void signals(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    check(sigaction(SIGUSR1, &sa, &old) == 0, "sigaction");
    union sigval v = {.sival_int = 7};
    got_signal = 0;
    check(sigqueue(getpid(), SIGUSR1, v) == 0 && got_signal == SIGUSR1 &&
              got_info_code == SI_QUEUE && got_info_value == 7,
          "sigqueue to oneself runs the handler");
    sigset_t set, cur, pend;
    check(sigemptyset(&set) == 0 && sigaddset(&set, SIGUSR2) == 0 &&
              sigismember(&set, SIGUSR2) == 1 &&
              sigdelset(&set, SIGUSR2) == 0 &&
              sigismember(&set, SIGUSR2) == 0 && sigfillset(&cur) == 0 &&
              sigismember(&cur, SIGRTMAX) == 1,
          "signal sets");
    sigaddset(&set, SIGUSR2);
    check(sigprocmask(SIG_BLOCK, &set, NULL) == 0 &&
              pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 &&
              sigismember(&cur, SIGUSR2) == 1,
          "sigprocmask and pthread_sigmask");
    check(kill(getpid(), SIGUSR2) == 0 && sigpending(&pend) == 0 &&
              sigismember(&pend, SIGUSR2) == 1,
          "kill and sigpending");
    int sig = 0;
    check(sigwait(&set, &sig) == 0 && sig == SIGUSR2, "sigwait");
    struct timespec zero = {0, 0};
    siginfo_t si;
    check(sigtimedwait(&set, &si, &zero) == -1 && errno == EAGAIN,
          "sigtimedwait timeout is EAGAIN");
    pthread_t self = pthread_self(), th;
    if (pthread_create(&th, NULL, sig_sender, &self) == 0) {
        check(sigwaitinfo(&set, &si) == SIGUSR2 && si.si_code == SI_USER,
              "sigwaitinfo and pthread_kill");
        pthread_join(th, NULL);
    }
    check(raise(SIGUSR2) == 0 && killpg(getpgrp(), 0) == 0,
          "raise (blocked) and killpg");
    sigset_t none;
    sigemptyset(&none);
    sa.sa_sigaction = on_info;
    sigaction(SIGUSR2, &sa, NULL);
    got_signal = 0;
    check(sigsuspend(&none) == -1 && errno == EINTR && got_signal == SIGUSR2,
          "sigsuspend");
    stack_t ss = {.ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ}, oss;
    check(ss.ss_sp && sigaltstack(&ss, &oss) == 0 &&
              (oss.ss_flags & SS_DISABLE),
          "sigaltstack");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(ss.ss_sp);
    got_signal = 0;
    if (pthread_create(&th, NULL, sig_sender_loop, &self) == 0) {
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        check(pause() == -1 && errno == EINTR && got_signal == SIGUSR2,
              "pause");
        pthread_join(th, NULL);
    }
    unsigned left = (alarm(100), alarm(0));
    check(left >= 1 && left <= 100 && alarm(0) == 0, "alarm");
    sigaction(SIGUSR1, &old, NULL);
    signal(SIGUSR2, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- <pthread.h>, <sched.h> ---- */

static pthread_mutex_t mu;
static int counter;

static void *worker(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    pthread_exit(arg);
}

static void *idle_thread(void *arg)
{
    sched_yield();
    return arg;
}

static void threads(void)
{
    check(pthread_mutex_init(&mu, NULL) == 0, "mutex_init");
    pthread_attr_t a;
    check(pthread_attr_init(&a) == 0, "attr_init");
    size_t sz = 0;
    check(pthread_attr_setstacksize(&a, 128 * 1024) == 0 &&
              pthread_attr_getstacksize(&a, &sz) == 0 && sz == 128 * 1024,
          "stacksize");
    int v = -1;
    check(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE) == 0 &&
              pthread_attr_getdetachstate(&a, &v) == 0 &&
              v == PTHREAD_CREATE_JOINABLE,
          "detachstate");
    check(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED) == 0 &&
              pthread_attr_getinheritsched(&a, &v) == 0 &&
              v == PTHREAD_EXPLICIT_SCHED,
          "inheritsched");
    check(pthread_attr_setschedpolicy(&a, SCHED_FIFO) == 0 &&
              pthread_attr_getschedpolicy(&a, &v) == 0 && v == SCHED_FIFO,
          "schedpolicy");
    struct sched_param sp = {.sched_priority = 5};
    check(pthread_attr_setschedparam(&a, &sp) == 0 &&
              pthread_attr_getschedparam(&a, &sp) == 0 &&
              sp.sched_priority == 5,
          "schedparam");
    pthread_t t1, t2;
    check(pthread_create(&t1, &a, worker, &counter) == 0, "pthread_create");
    check(pthread_create(&t2, NULL, worker, NULL) == 0, "pthread_create 2");
    pthread_attr_destroy(&a);
    void *r1 = NULL, *r2 = &r2;
    check(pthread_join(t1, &r1) == 0 && r1 == &counter, "pthread_join");
    check(pthread_join(t2, &r2) == 0 && r2 == NULL, "pthread_join 2");
    check(counter == 2000, "mutex_lock");
    check(pthread_mutex_trylock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0,
          "trylock");
    check(pthread_mutex_destroy(&mu) == 0, "mutex_destroy");
    pthread_mutexattr_t ma;
    int mv = -1;
    check(pthread_mutexattr_init(&ma) == 0 &&
              pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE) == 0 &&
              pthread_mutexattr_gettype(&ma, &mv) == 0 &&
              mv == PTHREAD_MUTEX_RECURSIVE,
          "mutexattr type");
    check(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_PROTECT) == 0 &&
              pthread_mutexattr_getprotocol(&ma, &mv) == 0 &&
              mv == PTHREAD_PRIO_PROTECT,
          "mutexattr protocol");
    int prio_now = 0;
    struct sched_param sp0;
    check(pthread_getschedparam(pthread_self(), &mv, &sp0) == 0,
          "own priority");
    prio_now = sp0.sched_priority;
    check(pthread_mutexattr_setprioceiling(&ma, prio_now) == 0 &&
              pthread_mutexattr_getprioceiling(&ma, &mv) == 0 && mv == prio_now,
          "mutexattr ceiling");
    check(pthread_mutex_init(&mu, &ma) == 0 &&
              pthread_mutexattr_destroy(&ma) == 0,
          "mutex_init with attributes");
    struct timespec far;
    clock_gettime(CLOCK_REALTIME, &far);
    far.tv_sec += 60;
    int oldc = -1;
    check(pthread_mutex_timedlock(&mu, &far) == 0 &&
              pthread_mutex_lock(&mu) == 0 && pthread_mutex_unlock(&mu) == 0 &&
              pthread_mutex_unlock(&mu) == 0,
          "timedlock, recursive");
    check(pthread_mutex_setprioceiling(&mu, prio_now, &oldc) == 0 &&
              oldc == prio_now && pthread_mutex_getprioceiling(&mu, &mv) == 0 &&
              mv == prio_now,
          "mutex ceiling");
    check(pthread_mutex_destroy(&mu) == 0, "mutex_destroy 2");
    /* robust and process-shared mutexes (kernel objects) */
    check(pthread_mutexattr_init(&ma) == 0 &&
              pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) == 0 &&
              pthread_mutexattr_getrobust(&ma, &mv) == 0 &&
              mv == PTHREAD_MUTEX_ROBUST &&
              pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0 &&
              pthread_mutexattr_getpshared(&ma, &mv) == 0 &&
              mv == PTHREAD_PROCESS_SHARED &&
              pthread_mutex_init(&mu, &ma) == 0 &&
              pthread_mutexattr_destroy(&ma) == 0,
          "robust pshared mutex");
    check(pthread_mutex_lock(&mu) == 0 &&
              pthread_mutex_consistent(&mu) == EINVAL &&
              pthread_mutex_unlock(&mu) == 0 && pthread_mutex_destroy(&mu) == 0,
          "robust lock, consistent");
    /* condition variables */
    pthread_condattr_t ca;
    pthread_cond_t cv;
    clockid_t ck;
    check(
        pthread_condattr_init(&ca) == 0 &&
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
            pthread_condattr_getclock(&ca, &ck) == 0 && ck == CLOCK_MONOTONIC &&
            pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_PRIVATE) == 0 &&
            pthread_condattr_getpshared(&ca, &mv) == 0 &&
            mv == PTHREAD_PROCESS_PRIVATE && pthread_cond_init(&cv, &ca) == 0 &&
            pthread_condattr_destroy(&ca) == 0,
        "condattr, cond_init");
    struct timespec soon;
    clock_gettime(CLOCK_MONOTONIC, &soon);
    soon.tv_nsec = 0; /* already past */
    check(pthread_mutex_init(&mu, NULL) == 0 && pthread_mutex_lock(&mu) == 0 &&
              pthread_cond_timedwait(&cv, &mu, &soon) == ETIMEDOUT &&
              pthread_cond_signal(&cv) == 0 &&
              pthread_cond_broadcast(&cv) == 0 &&
              pthread_mutex_unlock(&mu) == 0,
          "cond_timedwait, signal, broadcast");
    check(pthread_cond_wait(&cv, &mu) == EPERM, "cond_wait, mutex not held");
    check(pthread_cond_destroy(&cv) == 0 && pthread_mutex_destroy(&mu) == 0,
          "cond_destroy");
    pthread_t t3;
    check(pthread_create(&t3, NULL, idle_thread, NULL) == 0 &&
              pthread_detach(t3) == 0,
          "pthread_detach");
    pthread_t me = pthread_self();
    check(pthread_equal(me, pthread_self()), "pthread_equal");
    int pol;
    check(pthread_getschedparam(me, &pol, &sp) == 0 &&
              pthread_setschedparam(me, pol, &sp) == 0,
          "schedparam self");
    check(sched_get_priority_min(SCHED_RR) >= 1 &&
              sched_get_priority_max(SCHED_RR) >=
                  sched_get_priority_min(SCHED_RR),
          "priority range");
    check(sched_yield() == 0, "sched_yield");
    /* Process scheduling: pid 0 and getpid() name the calling thread. */
    int before = sched_getscheduler(0);
    check(before == SCHED_RR || before == SCHED_FIFO, "sched_getscheduler");
    check(sched_getparam(getpid(), &sp) == 0 && sp.sched_priority >= 1,
          "sched_getparam");
    int prio = sp.sched_priority;
    check(sched_setscheduler(0, SCHED_FIFO, &sp) == before &&
              sched_getscheduler(0) == SCHED_FIFO,
          "sched_setscheduler");
    check(sched_setparam(0, &sp) == 0 && sched_getparam(0, &sp) == 0 &&
              sp.sched_priority == prio,
          "sched_setparam");
    struct timespec slice = {1, 1};
    check(sched_rr_get_interval(0, &slice) == 0 && slice.tv_sec == 0 &&
              slice.tv_nsec == 0,
          "sched_rr_get_interval (FIFO: no slice)");
    check(sched_setscheduler(0, before, &sp) == SCHED_FIFO,
          "sched_setscheduler back");
}

/* ---- <time.h> ---- */

static void clocks(void)
{
    struct timespec a, b, req = {0, 2000000};
    check(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime");
    check(nanosleep(&req, NULL) == 0, "nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &b);
    check(b.tv_sec * 1000000000L + b.tv_nsec >=
              a.tv_sec * 1000000000L + a.tv_nsec + 2000000,
          "slept at least 2 ms");
    struct timespec res;
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 &&
              res.tv_nsec > 0,
          "clock_getres");
    /* An absolute sleep 2 ms past b wakes no earlier. */
    struct timespec until = b;
    until.tv_nsec += 2000000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
          "clock_nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &a);
    check(a.tv_sec > until.tv_sec ||
              (a.tv_sec == until.tv_sec && a.tv_nsec >= until.tv_nsec),
          "woke at or after the absolute time");
    /* The monotonic clock cannot be set (with or without the right). */
    errno = 0;
    check(clock_settime(CLOCK_MONOTONIC, &a) == -1 && errno == EINVAL,
          "clock_settime");
    check(clock_gettime(CLOCK_REALTIME, &a) == 0, "CLOCK_REALTIME");
    time_t now = time(NULL);
    struct timeval tv;
    check(gettimeofday(&tv, NULL) == 0 && tv.tv_sec >= now, "gettimeofday");
    struct tms tm;
    check(times(&tm) != (clock_t)-1, "times");
    check(clock() != (clock_t)-1, "clock");
    struct tm g = *gmtime(&now), l = *localtime(&now);
    check(mktime(&l) != (time_t)-1, "mktime");
    char buf[64];
    check(strftime(buf, sizeof(buf), "%Y-%m-%d", &g) == 10, "strftime");
    check(difftime(now, now) == 0.0, "difftime");
}

/* POSIX timers (issue 9): a one-shot SIGEV_NONE timer on each clock. */
static void timers(void)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
    struct itimerspec its = {{0, 0}, {0, 3000000}}, cur;
    check(timer_settime(t, 0, &its, NULL) == 0, "timer_settime");
    check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 &&
              cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 3000000,
          "timer_gettime");
    check(timer_getoverrun(t) == 0, "timer_getoverrun");
    check(timer_delete(t) == 0, "timer_delete");
    errno = 0;
    check(timer_gettime(t, &cur) == -1 && errno == EINVAL, "deleted timer");
}

/* ---- newlib's stdio, stdlib, string ---- */

static int cmp_int(const void *x, const void *y)
{
    return *(const int *)x - *(const int *)y;
}

static int at_exit_ran;
static void at_exit_hook(void)
{
    at_exit_ran = 1;
}

static void library(const char *self)
{
    FILE *f = fopen("/posix_api.txt", "w+");
    check(f != NULL, "fopen");
    if (f) {
        check(fprintf(f, "%d %s\n", 42, self) > 0, "fprintf");
        check(fwrite("abc", 1, 3, f) == 3, "fwrite");
        check(fflush(f) == 0, "fflush");
        check(fseek(f, 0, SEEK_SET) == 0, "fseek");
        char line[128];
        check(fgets(line, sizeof(line), f) && strtol(line, NULL, 10) == 42,
              "fgets");
        check(fread(line, 1, 3, f) == 3, "fread");
        check(fclose(f) == 0, "fclose");
    }
    check(remove("/posix_api.txt") == 0, "remove");
    char s[32];
    check(snprintf(s, sizeof(s), "%d", nchecks) > 0, "snprintf");
    int *v = malloc(4 * sizeof(int));
    int *z = calloc(4, sizeof(int));
    check(v && z && z[3] == 0, "malloc");
    if (v && z) {
        v[0] = 3, v[1] = 1, v[2] = 2, v[3] = rand() % 4;
        qsort(v, 4, sizeof(int), cmp_int);
        check(v[0] <= v[1] && v[1] <= v[2] && v[2] <= v[3], "qsort");
        int *w = realloc(v, 8 * sizeof(int));
        check(w != NULL, "realloc");
        if (w)
            v = w;
        memcpy(z, v, 4 * sizeof(int));
        check(z[0] == v[0], "memcpy");
    }
    free(v);
    free(z);
    check(setenv("POSIX_API", "1", 1) == 0 && getenv("POSIX_API") &&
              !strcmp(getenv("POSIX_API"), "1"),
          "setenv");
    check(unsetenv("POSIX_API") == 0 && !getenv("POSIX_API"), "unsetenv");
    static char put[] = "POSIX_API=2";
    check(putenv(put) == 0 && getenv("POSIX_API") &&
              !strcmp(getenv("POSIX_API"), "2"),
          "putenv");
    unsetenv("POSIX_API");
    check(strlen(self) > 0 && strerror(ENOENT) != NULL, "strerror");
    errno = ENOENT;
    perror("posix_api: perror test");
    check(atexit(at_exit_hook) == 0, "atexit");
    check(puts("posix_api: puts") >= 0, "puts");
}

static jmp_buf jump;

static void jump_back(int v)
{
    longjmp(jump, v);
}

/* More of newlib: getopt, setjmp/longjmp, number parsing, libm, temporary
 * files, streams on fds. */
static void more_library(void)
{
    char *av[] = {"prog", "-a", "-b", "x", "rest", NULL};
    int a = 0, opt;
    const char *b = NULL;
    while ((opt = getopt(5, av, "ab:")) != -1) {
        if (opt == 'a')
            a = 1;
        else if (opt == 'b')
            b = optarg;
    }
    check(a && b && !strcmp(b, "x") && optind == 4, "getopt");
    volatile int jumped = 0;
    int v = setjmp(jump);
    if (v == 0)
        jump_back(7);
    else
        jumped = v;
    check(jumped == 7, "setjmp/longjmp");
    double d = strtod("2.25", NULL);
    check(sqrt(d) == 1.5, "strtod and sqrt");
    int x = 0, y = 0;
    check(sscanf("12 34", "%d %d", &x, &y) == 2 && x + y == 46, "sscanf");
    char *dup = strdup("keel");
    check(dup && !strcmp(dup, "keel"), "strdup");
    free(dup);
    char tmpl[] = "/posix_api_XXXXXX";
    int fd = mkstemp(tmpl);
    check(fd >= 0, "mkstemp");
    if (fd >= 0) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        FILE *f = fdopen(fd, "w");
        check(f && fileno(f) == fd, "fdopen and fileno");
        if (f) {
            check(setvbuf(f, NULL, _IONBF, 0) == 0, "setvbuf");
            fclose(f);
        } else {
            close(fd);
        }
        unlink(tmpl);
    }
}

/* ---- <mqueue.h> ---- */

static void message_queues(void)
{
    const char *n = "/posix_api_mq";
    mq_unlink(n);
    struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 16};
    mqd_t q = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
    check(q >= 0, "mq_open");
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    check(mq_notify(q, &ev) == 0 && mq_notify(q, NULL) == 0, "mq_notify");
    check(mq_send(q, "ab", 2, 1) == 0, "mq_send");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    check(mq_timedsend(q, "cde", 3, 2, &ts) == 0, "mq_timedsend");
    char buf[16];
    unsigned prio = 0;
    check(mq_receive(q, buf, sizeof(buf), &prio) == 3 && prio == 2,
          "mq_receive");
    check(mq_timedreceive(q, buf, sizeof(buf), &prio, &ts) == 2 && prio == 1,
          "mq_timedreceive");
    struct mq_attr got, set = {.mq_flags = O_NONBLOCK};
    check(mq_getattr(q, &got) == 0 && got.mq_maxmsg == 4 &&
              got.mq_msgsize == 16 && got.mq_curmsgs == 0,
          "mq_getattr");
    check(mq_setattr(q, &set, &got) == 0 && got.mq_flags == 0 &&
              mq_receive(q, buf, sizeof(buf), NULL) == -1 && errno == EAGAIN,
          "mq_setattr");
    check(mq_close(q) == 0, "mq_close");
    check(mq_unlink(n) == 0, "mq_unlink");
}

/* Issue 9 item 6: sysconf, memory locking, fsync, more thread
 * attributes. */
static void *stack_worker(void *arg)
{
    return arg;
}

static volatile int cancel_go, cancel_cleaned;

static void cancel_cleanup(void *arg)
{
    (void)arg;
    cancel_cleaned = 1;
}

static void *cancel_target(void *arg)
{
    int old = -1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
    pthread_cleanup_push(cancel_cleanup, NULL);
    while (!cancel_go)
        sched_yield();
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return arg;
}

static void cancellation(void)
{
    pthread_t t;
    void *r = NULL;
    check(pthread_create(&t, NULL, cancel_target, NULL) == 0 &&
              pthread_cancel(t) == 0,
          "pthread_cancel");
    cancel_go = 1;
    check(pthread_join(t, &r) == 0 && r == PTHREAD_CANCELED && cancel_cleaned,
          "cancelled at pthread_testcancel, cleanup ran");
}

static void limits_and_memory(void)
{
    check(sysconf(_SC_PAGESIZE) == 4096, "sysconf pagesize");
    check(sysconf(_SC_NPROCESSORS_ONLN) >= 1, "sysconf processors");
    check(sysconf(_SC_MEMLOCK) == _POSIX_MEMLOCK, "sysconf option");
    static char page[4096] __attribute__((aligned(4096)));
    page[0] = 1;
    check(mlock(page, sizeof(page)) == 0 && munlock(page, sizeof(page)) == 0,
          "mlock");
    check(mlockall(MCL_CURRENT | MCL_FUTURE) == 0 && munlockall() == 0,
          "mlockall");
    int fds[2];
    if (pipe(fds) == 0) {
        errno = 0;
        check(fsync(fds[0]) == -1 && errno == EINVAL, "fsync pipe");
        errno = 0;
        check(fdatasync(fds[1]) == -1 && errno == EINVAL, "fdatasync pipe");
        close(fds[0]);
        close(fds[1]);
    }
    pthread_attr_t a;
    check(pthread_attr_init(&a) == 0, "attr_init");
    int v = -1;
    check(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM) == 0 &&
              pthread_attr_getscope(&a, &v) == 0 && v == PTHREAD_SCOPE_SYSTEM,
          "scope");
    size_t g = 0;
    check(pthread_attr_setguardsize(&a, 8192) == 0 &&
              pthread_attr_getguardsize(&a, &g) == 0 && g == 8192,
          "guardsize");
    static char stk[16384] __attribute__((aligned(16)));
    void *addr = NULL;
    size_t sz = 0;
    check(pthread_attr_setstack(&a, stk, sizeof(stk)) == 0 &&
              pthread_attr_getstack(&a, &addr, &sz) == 0 && addr == stk &&
              sz == sizeof(stk),
          "stack");
    pthread_t t;
    void *r = NULL;
    check(pthread_create(&t, &a, stack_worker, stk) == 0 &&
              pthread_join(t, &r) == 0 && r == stk,
          "thread on its own stack");
    pthread_attr_destroy(&a);
    check(pthread_setconcurrency(2) == 0 && pthread_getconcurrency() == 2,
          "concurrency");
    void *al = NULL;
    check(posix_memalign(&al, 4096, 100) == 0 && al &&
              ((uintptr_t)al & 4095) == 0 &&
              posix_memalign(&al, 3, 8) == EINVAL,
          "posix_memalign");
    free(al);
}

/* ---- <pthread.h>: rwlocks, spin locks, once, keys ---- */

static pthread_once_t once_ctl = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_fn(void)
{
    once_runs++;
}

static int key_dtor_calls;

static void key_dtor(void *v)
{
    (void)v;
    key_dtor_calls++;
}

static pthread_key_t tkey;

static void *key_thread(void *arg)
{
    pthread_setspecific(tkey, arg);
    return pthread_getspecific(tkey);
}

static void sync_more(void)
{
    pthread_rwlockattr_t ra;
    int v = -1;
    check(pthread_rwlockattr_init(&ra) == 0 &&
              pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_PRIVATE) ==
                  0 &&
              pthread_rwlockattr_getpshared(&ra, &v) == 0 &&
              v == PTHREAD_PROCESS_PRIVATE,
          "rwlockattr");
    pthread_rwlock_t rw;
    check(pthread_rwlock_init(&rw, &ra) == 0 &&
              pthread_rwlockattr_destroy(&ra) == 0,
          "rwlock_init");
    struct timespec far;
    clock_gettime(CLOCK_REALTIME, &far);
    far.tv_sec += 60;
    check(
        pthread_rwlock_rdlock(&rw) == 0 && pthread_rwlock_tryrdlock(&rw) == 0 &&
            pthread_rwlock_timedrdlock(&rw, &far) == 0 &&
            pthread_rwlock_trywrlock(&rw) == EBUSY &&
            pthread_rwlock_unlock(&rw) == 0 &&
            pthread_rwlock_unlock(&rw) == 0 && pthread_rwlock_unlock(&rw) == 0,
        "rwlock read");
    check(pthread_rwlock_wrlock(&rw) == 0 &&
              pthread_rwlock_wrlock(&rw) == EDEADLK &&
              pthread_rwlock_unlock(&rw) == 0 &&
              pthread_rwlock_timedwrlock(&rw, &far) == 0 &&
              pthread_rwlock_unlock(&rw) == 0,
          "rwlock write");
    check(pthread_rwlock_destroy(&rw) == 0, "rwlock_destroy");
    pthread_spinlock_t sl;
    check(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE) == 0 &&
              pthread_spin_lock(&sl) == 0 &&
              pthread_spin_trylock(&sl) == EBUSY &&
              pthread_spin_unlock(&sl) == 0 && pthread_spin_destroy(&sl) == 0,
          "spin locks");
    check(pthread_once(&once_ctl, once_fn) == 0 &&
              pthread_once(&once_ctl, once_fn) == 0 && once_runs == 1,
          "pthread_once");
    check(pthread_key_create(&tkey, key_dtor) == 0, "key_create");
    pthread_t th;
    void *got = NULL;
    check(pthread_create(&th, NULL, key_thread, &tkey) == 0 &&
              pthread_join(th, &got) == 0 && got == &tkey &&
              key_dtor_calls == 1 && pthread_getspecific(tkey) == NULL,
          "key values and destructor");
    check(pthread_key_delete(tkey) == 0, "key_delete");
}

static void *barrier_peer(void *arg)
{
    return (void *)(long)pthread_barrier_wait(arg);
}

static void semaphores_barriers(void)
{
    sem_t s;
    int v = -1;
    check(sem_init(&s, 0, 1) == 0, "sem_init");
    check(sem_trywait(&s) == 0 && sem_trywait(&s) == -1 && errno == EAGAIN,
          "sem_trywait");
    check(sem_post(&s) == 0 && sem_wait(&s) == 0, "sem_post, sem_wait");
    struct timespec past = {0, 0};
    check(sem_timedwait(&s, &past) == -1 && errno == ETIMEDOUT,
          "sem_timedwait");
    check(sem_getvalue(&s, &v) == 0 && v == 0, "sem_getvalue");
    check(sem_destroy(&s) == 0, "sem_destroy");
    sem_unlink("/posix_api_sem");
    sem_t *ns = sem_open("/posix_api_sem", O_CREAT | O_EXCL, 0600, 1);
    check(ns != SEM_FAILED && sem_trywait(ns) == 0, "sem_open");
    check(ns != SEM_FAILED && sem_close(ns) == 0, "sem_close");
    check(sem_unlink("/posix_api_sem") == 0, "sem_unlink");
    pthread_barrierattr_t ba;
    int ps = -1;
    check(pthread_barrierattr_init(&ba) == 0 &&
              pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_PRIVATE) ==
                  0 &&
              pthread_barrierattr_getpshared(&ba, &ps) == 0 &&
              ps == PTHREAD_PROCESS_PRIVATE,
          "barrierattr");
    pthread_barrier_t b;
    check(pthread_barrier_init(&b, &ba, 2) == 0, "pthread_barrier_init");
    pthread_t t;
    void *other = NULL;
    int mine = -2;
    if (pthread_create(&t, NULL, barrier_peer, &b) == 0) {
        mine = pthread_barrier_wait(&b);
        pthread_join(t, &other);
    }
    check((mine == PTHREAD_BARRIER_SERIAL_THREAD) +
                  ((long)other == PTHREAD_BARRIER_SERIAL_THREAD) ==
              1,
          "pthread_barrier_wait: one serial thread");
    check(pthread_barrier_destroy(&b) == 0 &&
              pthread_barrierattr_destroy(&ba) == 0,
          "barrier destroy");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_mode(argv[1]);
    const char *self = argc > 0 && argv[0] ? argv[0] : "/bin/posix_api";
    files();
    directories();
    terminal();
    processes(self);
    signals();
    threads();
    sync_more();
    clocks();
    timers();
    library(self);
    more_library();
    message_queues();
    limits_and_memory();
    cancellation();
    semaphores_barriers();
    printf("posix_api: %d checks, %d failed\n", nchecks, nfailed);
    fflush(stdout);
    exit(nfailed > 100 ? 100 : nfailed);
}
