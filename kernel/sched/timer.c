/*
 * Time, sleeping and the timer interrupt. Each hart keeps its own sorted
 * list of sleeping threads (guarded by its sleep_lock) and programs its
 * one-shot timer for the earliest of: the first sleeper's deadline and
 * the running RR thread's slice end. An idle hart with no sleepers arms
 * no timer at all.
 */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/sched.h"
#include "../arch/sbi.h"

uint64_t timebase_hz = 10000000; /* from the device tree */
const char sched_sleep_wchan[] = "nanosleep";

uint64_t time_now_ticks(void)
{
    return rdtime();
}

uint64_t time_now_ns(void)
{
    uint64_t t = rdtime();
    return t / timebase_hz * 1000000000ull +
           t % timebase_hz * 1000000000ull / timebase_hz;
}

/* Set once by the boot hart before any other hart or thread runs. */
static uint64_t realtime_at_boot_ns;

void time_set_realtime(uint64_t ns)
{
    uint64_t mono = time_now_ns();
    realtime_at_boot_ns = ns > mono ? ns - mono : 0;
}

uint64_t time_realtime_ns(void)
{
    return realtime_at_boot_ns + time_now_ns();
}

uint64_t ticks_to_ns(uint64_t t)
{
    return t / timebase_hz * 1000000000ull +
           t % timebase_hz * 1000000000ull / timebase_hz;
}

uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / 1000000000ull * timebase_hz +
           (ns % 1000000000ull) * timebase_hz / 1000000000ull;
}

void timer_program(void)
{
    struct hart *h = this_hart();
    uint64_t next = UINT64_MAX;
    struct thread *cur = h->cur;
    if (cur && !cur->is_idle && cur->policy == KEEL_SCHED_RR) {
        /* An expired slice is only noted (need_resched, acted on at the
         * next preemption point or return to user): programmed, it would
         * keep the timer interrupt pending, and a preemption point
         * enabling interrupts would take it again and again forever. */
        if (h->slice_end > time_now_ticks())
            next = h->slice_end;
        else
            h->need_resched = 1;
    }
    spin_lock(&h->sleep_lock);
    if (!list_empty(&h->sleepers)) {
        struct thread *t =
            list_entry(h->sleepers.next, struct thread, sleep_node);
        next = MIN(next, t->wake_time);
    }
    spin_unlock(&h->sleep_lock);
    sbi_set_timer(next);
    csr_set(sie, SIE_STIE);
}

void sched_tick(void)
{
    struct hart *h = this_hart();
    uint64_t now = time_now_ticks();
    spin_lock(&h->sleep_lock);
    while (!list_empty(&h->sleepers)) {
        struct thread *t =
            list_entry(h->sleepers.next, struct thread, sleep_node);
        if (t->wake_time > now)
            break;
        list_remove(&t->sleep_node);
        t->sleep_hart = -1;
        sched_wake(t);
    }
    spin_unlock(&h->sleep_lock);
    struct thread *cur = h->cur;
    if (!cur->is_idle && cur->policy == KEEL_SCHED_RR && now >= h->slice_end)
        h->need_resched = 1;
    timer_program();
}

void timer_sleep_insert(struct thread *t, uint64_t deadline)
{
    struct hart *h = this_hart();
    spin_lock(&h->sleep_lock);
    struct list *pos = &h->sleepers;
    list_for_each(it, &h->sleepers)
    {
        if (list_entry(it, struct thread, sleep_node)->wake_time > deadline) {
            pos = it;
            break;
        }
    }
    t->wake_time = deadline;
    t->sleep_hart = h->id;
    list_insert_between(&t->sleep_node, pos->prev, pos);
    spin_unlock(&h->sleep_lock);
}

void timer_sleep_cancel(struct thread *t)
{
    int sh = READ_ONCE(t->sleep_hart);
    if (sh >= 0) {
        spin_lock(&harts[sh].sleep_lock);
        if (t->sleep_hart == sh) {
            list_remove(&t->sleep_node);
            t->sleep_hart = -1;
        }
        spin_unlock(&harts[sh].sleep_lock);
    }
}

int sleep_until(uint64_t deadline)
{
    struct hart *h = this_hart();
    struct thread *t = h->cur;
    if (t->killed)
        return -EINTR;
    if (deadline <= time_now_ticks())
        return 0;
    t->wchan = sched_sleep_wchan; /* before BLOCKED: threadinfo */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    /* Interrupts are off: this hart's tick cannot see t on its list
     * before it is BLOCKED. */
    timer_sleep_insert(t, deadline);
    sched_set_state(t, T_BLOCKED);
    timer_program();
    sched_block(t);
    /* Woken by the timer (already off the list) or by a kill. */
    timer_sleep_cancel(t);
    return t->killed ? -EINTR : 0;
}
