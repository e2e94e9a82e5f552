/* In-kernel tests: page allocator, address spaces, checked user copies. */
#include "../include/mm.h"
#include "../include/riscv.h"
#include "ktest.h"

KTEST(page_alloc_free_zeroed)
{
    uint64_t before = page_free_count();
    uint8_t *a = page_alloc(), *b = page_alloc();
    KT_CHECK(a && b && a != b);
    KT_CHECK_EQ(page_free_count(), before - 2);
    bool zero = true;
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        zero &= a[i] == 0;
    KT_CHECK(zero);
    memset(a, 0xaa, PAGE_SIZE);
    page_free(a);
    page_free(b);
    KT_CHECK_EQ(page_free_count(), before);
    a = page_alloc();
    KT_CHECK(a && a[100] == 0); /* reused page comes back zeroed */
    page_free(a);
}

KTEST(vm_user_map_translate_destroy)
{
    uint64_t before = page_free_count();
    pagetable_t pt = vm_user_create();
    KT_CHECK(pt);
    KT_CHECK_EQ(vm_user_alloc(pt, USER_BASE, 3 * PAGE_SIZE, PTE_R | PTE_W), 0);
    KT_CHECK(vm_user_translate(pt, USER_BASE + 5) != 0);
    KT_CHECK(vm_user_translate(pt, USER_BASE + 3 * PAGE_SIZE) == 0);
    KT_CHECK(vm_user_translate(pt, 0x80200000) == 0); /* kernel: not user */
    /* W^X: a page may not become writable and executable. */
    KT_CHECK_EQ(vm_user_alloc(pt, USER_BASE, PAGE_SIZE, PTE_X), -EACCES);
    KT_CHECK(vm_user_translate(pt, USER_BASE) != 0); /* left intact */
    KT_CHECK_EQ(vm_user_alloc(pt, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, PTE_R),
                -EFAULT);
    uint32_t v = 0x12345678;
    KT_CHECK_EQ(vm_copy_out(pt, USER_BASE + 4094, &v, 4), 0);
    KT_CHECK_EQ(vm_copy_out(pt, USER_BASE + 3 * PAGE_SIZE - 2, &v, 4), -EFAULT);
    vm_user_destroy(pt);
    KT_CHECK_EQ(page_free_count(), before);
}

KTEST(kernel_map_wx)
{
    extern char __kernel_start[], __text_end[];
    /* Walk the kernel table by hand: text is R+X and not W. */
    pagetable_t pt = kernel_pagetable;
    uint64_t va = (uint64_t)__kernel_start;
    pte_t pte = 0;
    for (int level = 2; level >= 0; level--) {
        pte = pt[(va >> (12 + 9 * level)) & 0x1ff];
        if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W | PTE_X)))
            break;
        pt = (pagetable_t)PTE_TO_PA(pte);
    }
    KT_CHECK(pte & PTE_X);
    KT_CHECK(!(pte & PTE_W));
    KT_CHECK(!(pte & PTE_U));
    (void)__text_end;
}

/* Run copies against a scratch address space. */
KTEST(uaccess_bad_pointers)
{
    uint64_t before = page_free_count();
    pagetable_t pt = vm_user_create();
    KT_CHECK_EQ(vm_user_alloc(pt, USER_BASE, PAGE_SIZE, PTE_R | PTE_W), 0);
    KT_CHECK_EQ(
        vm_user_alloc(pt, USER_TOP - PAGE_SIZE, PAGE_SIZE, PTE_R | PTE_W), 0);
    uint64_t old = csr_read(satp);
    csr_write(satp, vm_satp(pt));
    sfence_vma();
    char buf[64] = "hello";
    KT_CHECK_EQ(copy_to_user(USER_BASE, buf, 6), 0);
    char back[8];
    KT_CHECK_EQ(copy_from_user(back, USER_BASE, 6), 0);
    KT_CHECK(!strcmp(back, "hello"));
    KT_CHECK_EQ(copy_from_user(buf, 0, 4), -EFAULT);          /* null */
    KT_CHECK_EQ(copy_from_user(buf, 0x80200000, 4), -EFAULT); /* kernel */
    KT_CHECK_EQ(copy_from_user(buf, USER_BASE + PAGE_SIZE, 4), -EFAULT);
    KT_CHECK_EQ(copy_to_user(USER_BASE + PAGE_SIZE - 2, buf, 4), -EFAULT);
    KT_CHECK_EQ(copy_from_user(buf, USER_TOP - 8, 16), -EFAULT); /* end */
    KT_CHECK_EQ(copy_from_user(buf, USER_BASE, ~0ul), -EFAULT);  /* wrap */
    KT_CHECK_EQ(copy_from_user(buf, USER_TOP - 8, 8), 0);
    /* Strings: terminated, unterminated within max, running off the end. */
    KT_CHECK_EQ(strncpy_from_user(buf, USER_BASE, sizeof(buf)), 5);
    memset(buf, 'x', sizeof(buf));
    KT_CHECK_EQ(copy_to_user(USER_TOP - 8, buf, 8), 0);
    KT_CHECK_EQ(strncpy_from_user(back, USER_TOP - 8, 4), -ENAMETOOLONG);
    KT_CHECK_EQ(strncpy_from_user(buf, USER_TOP - 8, 64), -EFAULT);
    KT_CHECK_EQ(strncpy_from_user(buf, USER_BASE + PAGE_SIZE, 64), -EFAULT);
    /* SUM is never left set. */
    KT_CHECK(!(csr_read(sstatus) & SSTATUS_SUM));
    csr_write(satp, old);
    sfence_vma();
    vm_user_destroy(pt);
    KT_CHECK_EQ(page_free_count(), before);
}
