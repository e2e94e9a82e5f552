/*
 * In-kernel tests of the boot path and the hart set-up (issue 6 items 2
 * and 3): the boot-entry lottery, the device tree kept out of the page
 * allocator, FP off.
 */
#include "../../board/fdt.h"
#include "../arch/boot.h"
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "ktest.h"

/* kmain sent its last secondary hart to _start early in boot, before
 * the kernel was initialised, and waited until it drew in the lottery
 * (KEEL_KTEST only): it must have lost (kmain ran once; before the
 * lottery it cleared .bss under the booting kernel and ran kmain again,
 * panicking on the device tree), waited for boot_ready and come up as a
 * secondary all the same. */
KTEST(boot_lottery_one_winner)
{
    while (__atomic_load_n(&boot_harts_online, __ATOMIC_ACQUIRE) <
           (uint32_t)nharts)
        schedule(); /* the others are still on their way up */
    KT_CHECK_EQ(boot_harts_online, nharts);
    KT_CHECK_EQ(boot_lottery_entries(), nharts > 1 ? 2 : 1);
}

KTEST(boot_dtb_reserved)
{
    KT_CHECK(boot_dtb != NULL);
    KT_CHECK(boot_dtb_size >= 40);
    const uint8_t *b = boot_dtb;
    uint32_t magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                     (uint32_t)b[2] << 8 | b[3];
    KT_CHECK_EQ(magic, FDT_MAGIC);
    uint64_t lo = ALIGN_DOWN((uint64_t)boot_dtb, PAGE_SIZE);
    uint64_t hi = ALIGN_UP((uint64_t)boot_dtb + boot_dtb_size, PAGE_SIZE);
    int free_pages = 0;
    for (uint64_t pa = lo; pa < hi; pa += PAGE_SIZE)
        free_pages += page_is_free(pa);
    KT_CHECK_EQ(free_pages, 0);
}

/* FP policy: sstatus.FS is Off in the kernel (and so on every return to
 * user mode). */
KTEST(fp_off_in_kernel)
{
    KT_CHECK_EQ(csr_read(sstatus) & SSTATUS_FS, 0);
}
