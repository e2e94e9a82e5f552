/* What the boot path leaves for others to check (main.c, entry.S). */
#ifndef KEEL_BOOT_H
#define KEEL_BOOT_H

#include <stdint.h>

/* Harts that finished hart_setup (atomic). */
extern uint32_t boot_harts_online;
/* Harts that entered _start: 1 winner plus every loser of the lottery. */
uint32_t boot_lottery_entries(void);
/* The device tree as the firmware passed it; its pages are never given
 * to the page allocator. */
extern const void *boot_dtb;
extern uint64_t boot_dtb_size;

#endif
