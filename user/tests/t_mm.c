/*
 * Memory and sizes. Stale translations after an unmap (issue 6 item 0):
 *
 * mm_brk_enomem_tlb replays the reported attack. A child ("brk-tlb") has
 * prober threads on the other harts touching the first heap pages of a
 * brk growth that runs out of memory part-way. The page quotas keep a
 * process tree from ever emptying the page allocator, so the debug
 * kernel's fault injection (keel_vm_fail_after) makes the allocator
 * fail after TLB_MAPPED pages of the growth: the real failure path then
 * unmaps and frees them. The parent puts a secret into a new pipe, whose
 * buffer is the page the failed brk freed last. With a stale TLB entry a
 * prober reads the secret and overwrites it; with the flush the probers'
 * next access faults and the child dies by SIGSEGV.
 *
 * The file also holds the ramfs size limit tests (item 1: /etc/big is a
 * 3 MiB boot-image file) and the lseek overflow tests (item 9).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

#define TLB_PAGES 8     /* heap pages each prober keeps in its TLB */
#define TLB_MAPPED 8192 /* pages the growth maps before it fails */
#define TLB_MAX_PROBERS 3
#define TLB_GROW (48ul << 20) /* the growth: within heap limit and quota */
#define TLB_ATTEMPTS 3

static const char secret[] = "TOPSECRET-of-the-parent-process!";

/* ---- the child: "brk-tlb NPROBERS", fd 0 commands, fd 1 reports ---- */

static struct {
    uintptr_t base; /* the first page the failing growth maps */
    int pipes[TLB_MAX_PROBERS][2];
    volatile int ready, brk_done, stop, touched, found;
    char leak[sizeof(secret)];
} tlb;

static int page_mapped(int *pp, uintptr_t a)
{
    char c;
    if (write(pp[1], (const void *)a, 1) != 1)
        return 0; /* EFAULT: not mapped (yet) */
    return read(pp[0], &c, 1) == 1;
}

static void *tlb_prober(void *arg)
{
    int *pp = tlb.pipes[(intptr_t)arg];
    /* FIFO: nothing of equal priority takes this hart (a switch would
     * flush its TLB and hide the bug). */
    struct sched_param sp = {.sched_priority = 0};
    int policy;
    pthread_getschedparam(pthread_self(), &policy, &sp);
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    __atomic_fetch_add(&tlb.ready, 1, __ATOMIC_RELEASE);
    /* Pages are mapped in address order: wait for the last of ours. */
    while (!page_mapped(pp, tlb.base + (TLB_PAGES - 1) * 4096ul))
        if (__atomic_load_n(&tlb.brk_done, __ATOMIC_ACQUIRE))
            return NULL;                /* the growth never reached them */
    for (int i = 0; i < TLB_PAGES; i++) /* user-mode accesses: cached */
        *(volatile uint64_t *)(tlb.base + i * 4096ul + 64) += 1;
    if (__atomic_fetch_add(&tlb.touched, 1, __ATOMIC_ACQ_REL) == 0)
        ut_write_full(1, "T", 1);
    /* From here on, only a stale translation keeps this loop alive once
     * the growth has failed. */
    while (!__atomic_load_n(&tlb.stop, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < TLB_PAGES; i++) {
            volatile char *pg = (volatile char *)(tlb.base + i * 4096ul);
            size_t n = 0;
            while (n < sizeof(secret) - 1 && pg[n] == secret[n])
                n++;
            if (n == sizeof(secret) - 1 &&
                !__atomic_exchange_n(&tlb.found, 1, __ATOMIC_ACQ_REL)) {
                for (n = 0; n < sizeof(secret) - 1; n++)
                    tlb.leak[n] = pg[n];
                for (n = 0; n < 5; n++)
                    pg[n] = "PWNED"[n]; /* and write the other's page */
                return NULL;
            }
        }
    }
    return NULL;
}

/* Exit codes: 3 leaked the secret, 4 survived the failed growth without
 * a fault, 5 the probers never touched the pages, 6 the growth did not
 * fail, 7 no fault injection (release kernel), 1x set-up failures. */
static int mode_brk_tlb(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 1;
    if (n < 1 || n > TLB_MAX_PROBERS)
        return 10;
    uintptr_t cur = (uintptr_t)sbrk(0);
    tlb.base = (cur + 4095) & ~4095ul;
    if (tlb.base != cur && sbrk((intptr_t)(tlb.base - cur)) == (void *)-1)
        return 11;
    pthread_t th[TLB_MAX_PROBERS];
    for (int i = 0; i < n; i++)
        if (pipe(tlb.pipes[i]) < 0 ||
            pthread_create(&th[i], NULL, tlb_prober, (void *)(intptr_t)i))
            return 12;
    for (int i = 0;
         i < 1000 && __atomic_load_n(&tlb.ready, __ATOMIC_ACQUIRE) < n; i++)
        ut_sleep_ms(2); /* bounded: the parent retries if they missed it */
    /* Fails with ENOMEM part-way: after TLB_MAPPED pages. */
    if (keel_vm_fail_after(TLB_MAPPED) < 0)
        return errno == ENOSYS ? 7 : 14;
    void *r = sbrk((intptr_t)TLB_GROW);
    __atomic_store_n(&tlb.brk_done, 1, __ATOMIC_RELEASE);
    if (r != (void *)-1)
        return 6;
    ut_write_full(1, "F", 1);
    char c;
    if (read(0, &c, 1) != 1) /* the parent has planted its secret */
        return 13;
    ut_sleep_ms(200); /* let the probers look (bounded) */
    __atomic_store_n(&tlb.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    if (tlb.found) {
        ut_write_full(1, "L", 1);
        ut_write_full(1, tlb.leak, sizeof(secret) - 1);
        return 3;
    }
    return tlb.touched ? 4 : 5;
}

static volatile int shrink_ready;

static void *shrink_toucher(void *arg)
{
    volatile uint64_t *w = arg;
    __atomic_store_n(&shrink_ready, 1, __ATOMIC_RELEASE);
    for (;;)
        (void)*w; /* faults once the page is gone */
    return NULL;
}

/* "brk-shrink": a shrink unmaps (a probe then gives EFAULT), a regrown
 * page is zeroed, and a thread still reading a page the break shrank
 * over is killed by SIGSEGV (exit codes 2..4 say which check failed). */
static int mode_brk_shrink(int argc, char **argv)
{
    (void)argc, (void)argv;
    int pp[2];
    if (pipe(pp) < 0)
        return 10;
    uintptr_t cur = (uintptr_t)sbrk(0);
    uintptr_t base = (cur + 4095) & ~4095ul;
    if (sbrk((intptr_t)(base - cur + 2 * 4096)) == (void *)-1)
        return 11;
    memset((void *)base, 0xab, 2 * 4096);
    if (sbrk(-2 * 4096) == (void *)-1)
        return 12;
    if (page_mapped(pp, base) || page_mapped(pp, base + 4096))
        return 2;
    if (sbrk(2 * 4096) == (void *)-1)
        return 13;
    for (int i = 0; i < 2 * 4096; i++)
        if (((volatile uint8_t *)base)[i] != 0)
            return 3;
    pthread_t th;
    if (pthread_create(&th, NULL, shrink_toucher, (void *)(base + 4096)))
        return 14;
    for (int i = 0; i < 1000 && !shrink_ready; i++)
        ut_sleep_ms(2);
    if (sbrk(-2 * 4096) == (void *)-1)
        return 15;
    ut_sleep_ms(200); /* the toucher runs here at the latest */
    return 4;
}

const struct ut_mode ut_mm_modes[] = {
    {"brk-shrink", mode_brk_shrink},
    {"brk-tlb", mode_brk_tlb},
    UT_MODE_END,
};

/* ---- the parent ---- */

struct tlb_run {
    int saw_touch, saw_fail, st;
    char leak[64];
    char back[sizeof(secret)];
    long nback;
};

/* One try of the scenario; 0, or an errno value if set-up failed. */
static int tlb_try(int nprobers, struct tlb_run *run)
{
    memset(run, 0, sizeof(*run));
    char arg[8];
    snprintf(arg, sizeof(arg), "%d", nprobers);
    pid_t pid;
    int cmd = -1, rep = -1;
    int rc = ut_spawn_cmd(&pid, &cmd, &rep, "brk-tlb", arg, NULL, NULL);
    if (rc)
        return rc;
    char c;
    while (!run->saw_fail && read(rep, &c, 1) == 1) {
        run->saw_touch |= c == 'T';
        run->saw_fail |= c == 'F';
    }
    /* The freed pages are at the top of the free list: the next page
     * the kernel hands out is the one the growth mapped first. */
    int sp[2];
    rc = pipe(sp) < 0 ? errno : 0;
    if (!rc && ut_write_full(sp[1], secret, sizeof(secret) - 1) < 0)
        rc = errno;
    write(cmd, "G", 1); /* EPIPE if the child is already dead */
    long n = ut_read_full(rep, run->leak, sizeof(run->leak) - 1);
    if (n > 0)
        run->leak[n] = '\0';
    close(cmd);
    close(rep);
    run->st = ut_wait(pid);
    if (!rc) {
        close(sp[1]);
        run->nback = ut_read_full(sp[0], run->back, sizeof(run->back) - 1);
        close(sp[0]);
    }
    return rc;
}

TEST(mm_brk_enomem_tlb)
{
    struct keel_kstat k;
    CHECK_OK(keel_kstat(&k));
    /* Secondary harts may still be coming up right after boot. */
    for (int i = 0; i < 100 && k.harts_online < 2; i++) {
        ut_sleep_ms(10);
        CHECK_OK(keel_kstat(&k));
    }
    if (k.harts_online < 2) {
        printf("# mm_brk_enomem_tlb: one hart, nothing runs beside brk: "
               "skipped\n");
        return;
    }
    int nprobers = (int)k.harts_online - 1;
    if (nprobers > TLB_MAX_PROBERS)
        nprobers = TLB_MAX_PROBERS;
    ut_step("brk growth failing part-way while probers touch its pages");
    struct tlb_run run;
    int rc = 0, tries = 0;
    do
        rc = tlb_try(nprobers, &run);
    while (!rc && !run.saw_touch && ++tries < TLB_ATTEMPTS);
    CHECKF(!rc, "set-up: %s", ut_errname(rc));
    if (WIFEXITED(run.st) && WEXITSTATUS(run.st) == 7) {
        printf("# mm_brk_enomem_tlb: no fault injection in this kernel: "
               "skipped\n");
        return;
    }
    CHECKF(run.saw_touch,
           "probers never touched the heap pages in %d tries (child %s)", tries,
           ut_status_str(run.st));
    CHECKF(run.leak[0] != 'L',
           "the child read the secret through a stale "
           "translation: \"%s\"",
           run.leak + 1);
    CHECK_SIGNALED(run.st, SIGSEGV);
    CHECKF(run.nback == (long)sizeof(secret) - 1 &&
               !memcmp(run.back, secret, sizeof(secret) - 1),
           "the secret came back as \"%.*s\"", (int)run.nback, run.back);
}

TEST(mm_brk_shrink_unmaps)
{
    pid_t pid;
    CHECK_RC(ut_spawn_self(&pid, NULL, NULL, "brk-shrink", NULL, NULL, NULL),
             0);
    CHECK_SIGNALED(ut_wait(pid), SIGSEGV);
}

/* ---- file sizes around the ramfs limit (item 1) and lseek (item 9) ---- */

#define MIB (1l << 20)
#define BIG_SIZE (3 * MIB) /* /etc/big, from the Makefile */

/* Byte o of /etc/big: 16-byte lines, line i is i in 15 digits. */
static char big_byte(long o)
{
    char line[32];
    if (o % 16 == 15)
        return '\n';
    snprintf(line, sizeof(line), "%015ld", o / 16);
    return line[o % 16];
}

/* Reads n bytes at off through fd and checks them against /etc/big;
 * returns the count read, or -2 on a wrong byte. */
static long big_check_at(int fd, long off, long n)
{
    char buf[64];
    if (lseek(fd, off, SEEK_SET) != off)
        return -1;
    long got = ut_read_full(fd, buf, (size_t)n);
    for (long i = 0; i < got; i++)
        if (buf[i] != big_byte(off + i))
            return -2;
    return got;
}

TEST(mm_bigfile_read)
{
    int fd = open("/etc/big", O_RDONLY);
    CHECK_OK(fd);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, BIG_SIZE);
    static const long offs[] = {0,           2 * MIB - 20,   2 * MIB - 1,
                                2 * MIB,     2 * MIB + 4101, 3 * MIB - 40,
                                3 * MIB - 1, 3 * MIB,        3 * MIB + 4096};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        long want = BIG_SIZE - offs[i] < 40 ? BIG_SIZE - offs[i] : 40;
        if (want < 0)
            want = 0;
        long got = big_check_at(fd, offs[i], 40);
        CHECKF(got == want, "read at %ld: got %ld, expected %ld bytes", offs[i],
               got, want);
    }
    CHECK_OK(close(fd));
}

/* A boot-image file over the 2 MiB limit: either the boot image is
 * read-only (EROFS/EACCES at open), or every write fails with EFBIG and
 * leaves the file as it was. */
TEST(mm_bigfile_write_efbig)
{
    int fd = open("/etc/big", O_RDWR);
    if (fd < 0) {
        CHECKF(errno == EROFS || errno == EACCES, "open(/etc/big, O_RDWR): %s",
               ut_errname(errno));
    } else {
        ut_step("write at offset 0");
        CHECK_ERRNO(write(fd, "x", 1), EFBIG);
        ut_step("write at 2 MiB + 5");
        CHECK_EQ(lseek(fd, 2 * MIB + 5, SEEK_SET), 2 * MIB + 5);
        CHECK_ERRNO(write(fd, "x", 1), EFBIG);
        CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2 * MIB + 5);
        ut_step("the file is unchanged");
        CHECK_EQ(big_check_at(fd, 0, 40), 40);
        CHECK_EQ(big_check_at(fd, 2 * MIB - 8, 40), 40);
        CHECK_EQ(big_check_at(fd, 3 * MIB - 16, 40), 16);
        CHECK_OK(close(fd));
        ut_step("O_APPEND");
        fd = open("/etc/big", O_WRONLY | O_APPEND);
        CHECK_OK(fd);
        CHECK_ERRNO(write(fd, "x", 1), EFBIG);
        CHECK_OK(close(fd));
    }
    fd = open("/etc/big", O_RDONLY);
    CHECK_OK(fd);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, BIG_SIZE);
    CHECK_EQ(big_check_at(fd, 2 * MIB + 4096, 40), 40);
    CHECK_OK(close(fd));
}

/* A file created at run time grows to exactly 2 MiB, then EFBIG. */
TEST(mm_ramfs_grow_to_limit)
{
    static const char path[] = "/ut_mm_limit";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK_OK(fd);
    static uint8_t buf[64 * 1024];
    for (long done = 0; done < 2 * MIB; done += (long)sizeof(buf)) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = ut_pattern((uint64_t)done + i, 7);
        CHECK_EQ(write(fd, buf, sizeof(buf)), (long)sizeof(buf));
    }
    CHECK_ERRNO(write(fd, "x", 1), EFBIG);
    CHECK_EQ(lseek(fd, 2 * MIB - 1, SEEK_SET), 2 * MIB - 1);
    CHECK_EQ(write(fd, "yz", 2), 1); /* up to the limit, no further */
    CHECK_ERRNO(write(fd, "z", 1), EFBIG);
    CHECK_EQ(lseek(fd, 5 * MIB, SEEK_SET), 5 * MIB);
    CHECK_ERRNO(write(fd, "z", 1), EFBIG);
    CHECK_EQ(read(fd, buf, 16), 0);
    CHECK_EQ(lseek(fd, 2 * MIB - 10, SEEK_SET), 2 * MIB - 10);
    CHECK_EQ(read(fd, buf, 20), 10);
    for (int i = 0; i < 9; i++)
        CHECK_EQ(buf[i], ut_pattern((uint64_t)(2 * MIB - 10 + i), 7));
    CHECK_EQ(buf[9], 'y');
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 2 * MIB);
    CHECK_OK(close(fd));
    CHECK_OK(unlink(path));
}

TEST(mm_lseek_overflow)
{
    static const char path[] = "/ut_mm_lseek";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK_OK(fd);
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    ut_step("SEEK_CUR past INT64_MAX");
    CHECK_EQ(lseek(fd, INT64_MAX, SEEK_SET), INT64_MAX);
    CHECK_ERRNO(lseek(fd, 1, SEEK_CUR), EOVERFLOW);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), INT64_MAX); /* unchanged */
    CHECK_ERRNO(lseek(fd, INT64_MAX, SEEK_CUR), EOVERFLOW);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), INT64_MAX);
    ut_step("at INT64_MAX: read gives 0, write EFBIG");
    char c;
    CHECK_EQ(read(fd, &c, 1), 0);
    CHECK_ERRNO(write(fd, "x", 1), EFBIG);
    ut_step("SEEK_END past INT64_MAX");
    CHECK_ERRNO(lseek(fd, INT64_MAX - 5, SEEK_END), EOVERFLOW);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), INT64_MAX);
    CHECK_EQ(lseek(fd, INT64_MAX - 10, SEEK_END), INT64_MAX); /* exactly */
    ut_step("negative results");
    CHECK_EQ(lseek(fd, 5, SEEK_SET), 5);
    CHECK_ERRNO(lseek(fd, -6, SEEK_CUR), EINVAL);
    CHECK_ERRNO(lseek(fd, INT64_MIN, SEEK_CUR), EINVAL);
    CHECK_ERRNO(lseek(fd, -11, SEEK_END), EINVAL);
    CHECK_ERRNO(lseek(fd, INT64_MIN, SEEK_END), EINVAL);
    CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERRNO(lseek(fd, 0, 99), EINVAL);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5); /* unchanged by every error */
    CHECK_EQ(lseek(fd, -10, SEEK_END), 0);
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, '0');
    CHECK_OK(close(fd));
    CHECK_OK(unlink(path));
}

const struct utest ut_mm_tests[] = {
    UT_CASE(mm_brk_shrink_unmaps),
    UT_CASE(mm_bigfile_read),
    UT_CASE(mm_bigfile_write_efbig),
    UT_CASE(mm_ramfs_grow_to_limit),
    UT_CASE(mm_lseek_overflow),
    UT_CASE(mm_brk_enomem_tlb),
    UT_END,
};
