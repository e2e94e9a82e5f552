/* The in-kernel test runner: one kernel thread runs every registered
 * test in order, prints a line per test and the totals, then powers off
 * with status 0 only if all passed. */
#include "../include/proc.h"
#include "ktest.h"

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
    sched_enqueue_new(t);
    return t;
}

void kthread_start(void (*fn)(void *), void *arg)
{
    sched_finish_switch();
    fn(arg);
    current()->state = T_DEAD;
    schedule();
    panic("dead kthread ran");
}

static void ktest_main(void *arg)
{
    (void)arg;
    int passed = 0, failed = 0;
    for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
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
    printk("%d passed, %d failed\n", passed, failed);
    board_poweroff(failed ? 1 : 0);
}

void ktest_run_all(void)
{
    printk("keel: running in-kernel tests\n");
    KASSERT(kthread_create(ktest_main, NULL, KEEL_PRIO_DEFAULT));
}
