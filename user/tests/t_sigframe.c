/*
 * The signal frame's registers (kernel/arch/signal_frame.c): a signal
 * that interrupts user code at an arbitrary instruction (a timer's
 * SIGEV_SIGNAL while the thread spins) runs a handler that overwrites
 * every caller-saved register, and sigreturn gives the interrupted code
 * all of them back: ra, t0-t6 and a0-a7 each hold their own pattern
 * across the handler. The frame writes and reads those words one by one
 * (uaccess.S __sigregs_to_user / __sigregs_from_user), so a word left
 * out there fails here. UT_ISOLATED: it sets a disposition.
 */
#include <signal.h>
#include <time.h>

#include "utest.h"

static volatile int fr_hits;

static void fr_handler(int sig)
{
    (void)sig;
    /* every caller-saved register but ra changed (ra: the call did) */
    __asm__ volatile("li t0, -1\n"
                     "li t1, -1\n"
                     "li t2, -1\n"
                     "li a0, -1\n"
                     "li a1, -1\n"
                     "li a2, -1\n"
                     "li a3, -1\n"
                     "li a4, -1\n"
                     "li a5, -1\n"
                     "li a6, -1\n"
                     "li a7, -1\n"
                     "li t3, -1\n"
                     "li t4, -1\n"
                     "li t5, -1\n"
                     "li t6, -1\n" ::
                         : "t0", "t1", "t2", "a0", "a1", "a2", "a3", "a4", "a5",
                           "a6", "a7", "t3", "t4", "t5", "t6");
    fr_hits++;
}

/* Loads the patterns, spins until the handler has run `want` times in
 * all, and counts the registers that lost their pattern. */
static long fr_spin_and_check(int want)
{
    long bad;
    __asm__ volatile("li s3, 0\n"
                     "li ra, 0x5a00000101010101\n"
                     "li t0, 0x5a00000202020202\n"
                     "li t1, 0x5a00000303030303\n"
                     "li t2, 0x5a00000404040404\n"
                     "li a0, 0x5a00000505050505\n"
                     "li a1, 0x5a00000606060606\n"
                     "li a2, 0x5a00000707070707\n"
                     "li a3, 0x5a00000808080808\n"
                     "li a4, 0x5a00000909090909\n"
                     "li a5, 0x5a00000a0a0a0a0a\n"
                     "li a6, 0x5a00000b0b0b0b0b\n"
                     "li a7, 0x5a00000c0c0c0c0c\n"
                     "li t3, 0x5a00000d0d0d0d0d\n"
                     "li t4, 0x5a00000e0e0e0e0e\n"
                     "li t5, 0x5a00000f0f0f0f0f\n"
                     "li t6, 0x5a00001010101010\n"
                     "2: lw s2, 0(%1)\n"
                     "blt s2, %2, 2b\n"
                     "li s4, 0x5a00000101010101\n"
                     "beq ra, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000202020202\n"
                     "beq t0, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000303030303\n"
                     "beq t1, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000404040404\n"
                     "beq t2, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000505050505\n"
                     "beq a0, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000606060606\n"
                     "beq a1, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000707070707\n"
                     "beq a2, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000808080808\n"
                     "beq a3, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000909090909\n"
                     "beq a4, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000a0a0a0a0a\n"
                     "beq a5, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000b0b0b0b0b\n"
                     "beq a6, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000c0c0c0c0c\n"
                     "beq a7, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000d0d0d0d0d\n"
                     "beq t3, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000e0e0e0e0e\n"
                     "beq t4, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00000f0f0f0f0f\n"
                     "beq t5, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "li s4, 0x5a00001010101010\n"
                     "beq t6, s4, 1f\n"
                     "addi s3, s3, 1\n"
                     "1:\n"
                     "mv %0, s3\n"
                     : "=r"(bad)
                     : "r"(&fr_hits), "r"((long)want)
                     : "ra", "t0", "t1", "t2", "a0", "a1", "a2", "a3", "a4",
                       "a5", "a6", "a7", "t3", "t4", "t5", "t6", "s2", "s3",
                       "s4", "memory");
    return bad;
}

TEST(sig_frame_keeps_caller_saved_registers)
{
    struct sigaction sa = {0};
    sa.sa_handler = fr_handler;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    timer_t tm;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &tm));
    /* 300 us apart: expiries land anywhere in the spin loop */
    struct itimerspec its = {.it_value = {0, 300000},
                             .it_interval = {0, 300000}};
    CHECK_OK(timer_settime(tm, 0, &its, NULL));
    long bad = 0;
    for (int round = 1; round <= 20; round++)
        bad += fr_spin_and_check(round);
    CHECK_OK(timer_delete(tm));
    CHECK_EQ(bad, 0);
    CHECK(fr_hits >= 20);
}

const struct utest ut_sigframe_tests[] = {
    UT_ISOLATED(sig_frame_keeps_caller_saved_registers),
    UT_END,
};
