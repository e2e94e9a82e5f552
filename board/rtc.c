/*
 * Goldfish RTC: a 64-bit count of nanoseconds since the Unix epoch in two
 * 32-bit registers, TIME_LOW at offset 0x00 and TIME_HIGH at 0x04.
 * Reading TIME_LOW latches the high half, so LOW is read first and HIGH
 * then belongs to the same instant. Read once at boot by the boot hart:
 * no lock.
 */
#include "rtc.h"

#define RTC_TIME_LOW 0x00
#define RTC_TIME_HIGH 0x04

uint64_t rtc_goldfish_read_ns(uint64_t base)
{
    volatile uint32_t *lo = (volatile uint32_t *)(base + RTC_TIME_LOW);
    volatile uint32_t *hi = (volatile uint32_t *)(base + RTC_TIME_HIGH);
    uint32_t l = *lo;
    uint32_t h = *hi;
    return ((uint64_t)h << 32) | l;
}
