/* The QEMU virt board's Goldfish RTC (found in the device tree). */
#ifndef KEEL_BOARD_RTC_H
#define KEEL_BOARD_RTC_H

#include <stdint.h>

/* Nanoseconds since 1970-01-01 00:00 UTC, read from the Goldfish RTC
 * whose registers are at physical address base (MMU off or identity
 * mapped). */
uint64_t rtc_goldfish_read_ns(uint64_t base);

#endif
