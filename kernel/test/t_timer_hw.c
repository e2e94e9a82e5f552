/* In-kernel tests of the hart timer's hardware path (kernel/arch/sbi.h
 * "The supervisor timer"): the Sstc probe agrees with the device tree,
 * timer_program's deadline reaches stimecmp, and the compare register
 * raises and clears the pending timer interrupt as the SBI call did. */
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../arch/sbi.h"
#include "ktest.h"

#define SIP_STIP (1ul << 5)

extern const void *boot_dtb;
extern uint64_t boot_dtb_size;

/* Does the blob hold the ISA extension name "_sstc" (in a cpu's
 * riscv,isa string) or "sstc" as its own string (riscv,isa-extensions)? */
static bool dtb_mentions_sstc(void)
{
    const char *b = boot_dtb;
    for (uint64_t i = 0; i + 5 <= boot_dtb_size; i++)
        if ((b[i] == '_' || b[i] == '\0') && b[i + 1] == 's' &&
            b[i + 2] == 's' && b[i + 3] == 't' && b[i + 4] == 'c')
            return true;
    return false;
}

KTEST(timer_hw_sstc_compare)
{
    /* A hart whose device tree announces Sstc has it enabled (QEMU's
     * OpenSBI sets menvcfg.STCE): a failing probe would silently put
     * every timer write back through the firmware. */
    KT_CHECK(!dtb_mentions_sstc() || timer_sstc);
    if (!timer_sstc)
        return;
    bool on = csr_read(sstatus) & SSTATUS_SIE;
    intr_off();
    struct hart *h = this_hart();
    timer_program();
    KT_CHECK_EQ(csr_read(0x14d), h->timer_armed);
    /* A time reached raises STIP at once; a future one clears it. */
    uint64_t now = rdtime();
    timer_hw_set(now);
    KT_CHECK(csr_read(sip) & SIP_STIP);
    timer_hw_set(now + ns_to_ticks(1000000000ull));
    KT_CHECK(!(csr_read(sip) & SIP_STIP));
    KT_CHECK_EQ(csr_read(0x14d), now + ns_to_ticks(1000000000ull));
    timer_program(); /* the hart's real next event again */
    KT_CHECK_EQ(csr_read(0x14d), h->timer_armed);
    if (on)
        intr_on();
}

/* keel.turn_us (sched_turn_bound_ticks, timer.c): with a bound set, a
 * hart running a thread arms its timer no further ahead than the bound,
 * and its next real event when that comes sooner; with none, the next
 * event alone. */
KTEST(timer_turn_bound_arms_soon)
{
    bool on = csr_read(sstatus) & SSTATUS_SIE;
    intr_off();
    struct hart *h = this_hart();
    uint64_t saved = sched_turn_bound_ticks, bound = ns_to_ticks(50000);
    sched_turn_bound_ticks = 0;
    timer_program();
    uint64_t real = h->timer_armed;
    sched_turn_bound_ticks = bound;
    uint64_t before = time_now_ticks();
    timer_program();
    uint64_t after = time_now_ticks(), armed = h->timer_armed;
    sched_turn_bound_ticks = saved;
    timer_program();
    if (real <= after + bound)
        printk("    (an event within the bound: only its arming checked)\n");
    KT_CHECK(armed == real ||
             (armed >= before + bound && armed <= after + bound));
    KT_CHECK(armed <= real);
    KT_CHECK(real <= after + bound || armed < real);
    if (!saved)
        KT_CHECK_EQ(h->timer_armed, real);
    if (on)
        intr_on();
}
