/* QEMU `virt` board: the fixed parts of the memory map. RAM size, the hart
 * list and the initrd come from the device tree (board/fdt.c). */
#ifndef KEEL_BOARD_VIRT_H
#define KEEL_BOARD_VIRT_H

#define VIRT_TEST_BASE 0x00100000ul /* sifive test device: exit QEMU */
#define VIRT_PLIC_BASE 0x0c000000ul
#define VIRT_PLIC_SIZE 0x04000000ul
#define VIRT_UART0_BASE 0x10000000ul
#define VIRT_UART0_IRQ 10
#define VIRT_RAM_BASE 0x80000000ul
#define VIRT_MAX_HARTS 8

#endif
