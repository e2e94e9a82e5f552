/* The in-kernel test runner: one kernel thread runs every registered
 * test in order, prints a line per test and the totals, then powers off
 * with status 0 only if all passed. A boot-image file /etc/ktest-match
 * (`make ktest T=GLOB`) limits the run to the tests whose names match
 * one of its comma-separated glob patterns (tests/select.h). The pattern is
 * read once by the runner thread before any test: no locking beyond
 * ramfs_lock for the lookup. */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "../../tests/select.h"
#include "ktest.h"

#define KTEST_MATCH_FILE "/etc/ktest-match"

extern const struct ktest __ktests_start[], __ktests_end[];
static int current_failures;

void ktest_fail(const char *file, int line, const char *what)
{
    if (current_failures++ == 0)
        printk("    check failed: %s at %s:%d\n", what, file, line);
}

/* swtch lands here with fn in s0 and arg in s1. */
void kthread_entry(void);
__asm__(".text\n.globl kthread_entry\nkthread_entry:\n"
        "  mv a0, s0\n  mv a1, s1\n  call kthread_start\n");

struct thread *kthread_create(void (*fn)(void *), void *arg, int prio)
{
    struct thread *t = thread_alloc(NULL);
    if (!t)
        return NULL;
    t->ctx.ra = (uint64_t)kthread_entry;
    t->ctx.s[0] = (uint64_t)fn;
    t->ctx.s[1] = (uint64_t)arg;
    t->prio = prio;
    t->policy = KEEL_SCHED_RR;
    t->ceiling = KEEL_PRIO_MAX;
    sched_enqueue_new(t);
    return t;
}

void kthread_start(void (*fn)(void *), void *arg)
{
    sched_finish_switch();
    fn(arg);
    sched_set_state(current(), T_DEAD);
    schedule();
    panic("dead kthread ran");
}

/* Processes and threads an earlier test reaped are freed a little later
 * (once their last thread is off its hart), so a test that takes a pool
 * baseline at its start could count them and never see that count
 * again. Before each test, wait until the pools stop changing: the same
 * counts across 5 consecutive 1 ms sleeps (at most 200 ms). */
static void ktest_quiesce(void)
{
    uint32_t procs = proc_count(), threads = thread_count();
    for (int i = 0, same = 0; i < 200 && same < 5; i++) {
        sleep_until(time_now_ticks() + ns_to_ticks(1000000));
        uint32_t p = proc_count(), t = thread_count();
        same = (p == procs && t == threads) ? same + 1 : 0;
        procs = p;
        threads = t;
    }
}

/* The patterns of /etc/ktest-match (its first line), or "" when there
 * is no such file. */
static void ktest_read_match(char *buf, size_t size)
{
    int err = 0;
    buf[0] = '\0';
    spin_lock(&ramfs_lock);
    struct inode *ip = ramfs_lookup(KTEST_MATCH_FILE, false, &err);
    if (ip && ip->kind == KEEL_NODE_FILE && ip->image) {
        size_t n = ip->size < size - 1 ? ip->size : size - 1;
        memcpy(buf, ip->image, n);
        buf[n] = '\0';
    }
    spin_unlock(&ramfs_lock);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == ' ') {
            *p = '\0';
            break;
        }
}

static void ktest_main(void *arg)
{
    (void)arg;
    int passed = 0, failed = 0;
    static char match[256];
    ktest_read_match(match, sizeof(match));
    if (match[0])
        printk("ktest: only the tests matching %s\n", match);
    for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
        if (match[0] && !test_selected(match, t->name))
            continue;
        ktest_quiesce();
        current_failures = 0;
        t->fn();
        if (current_failures) {
            printk("FAIL %s\n", t->name);
            failed++;
        } else {
            printk("ok %s\n", t->name);
            passed++;
        }
    }
    if (match[0] && passed + failed == 0) {
        printk("FAIL T=%s: no test matches\n", match);
        failed++;
    }
    printk("%d passed, %d failed\n", passed, failed);
    board_poweroff(failed ? 1 : 0);
}

/*
 * Expected panics. ktest_expect_panic saves the callee-saved registers
 * (a setjmp), records the catching hart and runs fn; a panic on that
 * hart calls ktest_panic_hook first, which jumps back, so
 * ktest_expect_panic returns true. Kernel code is not preempted and fn
 * must not block, so fn stays on the catching hart; it must not hold a
 * lock where it may panic (the lock would stay held). catch_jmp and
 * catch_hart are written only by the test thread (a panic on another
 * hart never matches catch_hart).
 */
struct ktest_jmp {
    uint64_t ra, sp, s[12];
};
int ktest_setjmp(struct ktest_jmp *j);
void ktest_longjmp(struct ktest_jmp *j) __attribute__((noreturn));
__asm__(".text\n.globl ktest_setjmp\nktest_setjmp:\n"
        "  sd ra, 0(a0)\n  sd sp, 8(a0)\n"
        "  sd s0, 16(a0)\n  sd s1, 24(a0)\n  sd s2, 32(a0)\n"
        "  sd s3, 40(a0)\n  sd s4, 48(a0)\n  sd s5, 56(a0)\n"
        "  sd s6, 64(a0)\n  sd s7, 72(a0)\n  sd s8, 80(a0)\n"
        "  sd s9, 88(a0)\n  sd s10, 96(a0)\n  sd s11, 104(a0)\n"
        "  li a0, 0\n  ret\n"
        ".globl ktest_longjmp\nktest_longjmp:\n"
        "  ld ra, 0(a0)\n  ld sp, 8(a0)\n"
        "  ld s0, 16(a0)\n  ld s1, 24(a0)\n  ld s2, 32(a0)\n"
        "  ld s3, 40(a0)\n  ld s4, 48(a0)\n  ld s5, 56(a0)\n"
        "  ld s6, 64(a0)\n  ld s7, 72(a0)\n  ld s8, 80(a0)\n"
        "  ld s9, 88(a0)\n  ld s10, 96(a0)\n  ld s11, 104(a0)\n"
        "  li a0, 1\n  ret\n");

extern uint32_t kstack_overflow_taken; /* trapentry.S */
static struct ktest_jmp *volatile catch_jmp;
static volatile int catch_hart = -1;
char ktest_panic_msg[160];

bool ktest_expect_panic(void (*fn)(void *), void *arg)
{
    struct ktest_jmp j;
    ktest_panic_msg[0] = 0;
    if (ktest_setjmp(&j)) {
        catch_hart = -1;
        /* A panic from a trap handler (a kernel stack overflow) left the
         * trap's sstatus: restore the invariant of kernel code outside a
         * trap (SPP = U, SPIE = 1; see trap.c) and free the emergency
         * stack. */
        csr_clear(sstatus, SSTATUS_SPP);
        csr_set(sstatus, SSTATUS_SPIE);
        __atomic_store_n(&kstack_overflow_taken, 0, __ATOMIC_RELEASE);
        return true; /* fn panicked; the hook cleared catch_jmp */
    }
    catch_hart = this_hart()->id;
    catch_jmp = &j;
    fn(arg);
    catch_jmp = NULL;
    catch_hart = -1;
    return false;
}

void ktest_panic_hook(const char *fmt, va_list ap)
{
    struct ktest_jmp *j = catch_jmp;
    if (!j || catch_hart != this_hart()->id)
        return;
    catch_jmp = NULL;
    vsnprintk(ktest_panic_msg, sizeof(ktest_panic_msg), fmt, ap);
    printk("    expected panic: %s\n", ktest_panic_msg);
    ktest_longjmp(j);
}

bool ktest_panic_said(const char *what)
{
    size_t n = strlen(what);
    for (const char *p = ktest_panic_msg; *p; p++)
        if (!strncmp(p, what, n))
            return true;
    return false;
}

void ktest_run_all(void)
{
    printk("keel: running in-kernel tests\n");
    KASSERT(kthread_create(ktest_main, NULL, KEEL_PRIO_DEFAULT));
}
