/* ELF64 image validation; see elf.h for what a success guarantees. */
#include "elf.h"
#include "../include/errno.h"

#include <stdbool.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

/* The caller has checked that ELF64_EHDR_SIZE bytes are readable. */
static void read_ehdr(const uint8_t *p, struct elf64_ehdr *h)
{
    for (int i = 0; i < ELF_EI_NIDENT; i++)
        h->e_ident[i] = p[i];
    h->e_type = rd16(p + 16);
    h->e_machine = rd16(p + 18);
    h->e_version = rd32(p + 20);
    h->e_entry = rd64(p + 24);
    h->e_phoff = rd64(p + 32);
    h->e_shoff = rd64(p + 40);
    h->e_flags = rd32(p + 48);
    h->e_ehsize = rd16(p + 52);
    h->e_phentsize = rd16(p + 54);
    h->e_phnum = rd16(p + 56);
    h->e_shentsize = rd16(p + 58);
    h->e_shnum = rd16(p + 60);
    h->e_shstrndx = rd16(p + 62);
}

/* The caller has checked that ELF64_PHDR_SIZE bytes are readable. */
static void read_phdr(const uint8_t *p, struct elf64_phdr *ph)
{
    ph->p_type = rd32(p);
    ph->p_flags = rd32(p + 4);
    ph->p_offset = rd64(p + 8);
    ph->p_vaddr = rd64(p + 16);
    ph->p_paddr = rd64(p + 24);
    ph->p_filesz = rd64(p + 32);
    ph->p_memsz = rd64(p + 40);
    ph->p_align = rd64(p + 48);
}

static bool header_ok(const struct elf64_ehdr *h)
{
    const uint8_t *id = h->e_ident;
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
        return false;
    return id[ELF_EI_CLASS] == ELF_CLASS64 && id[ELF_EI_DATA] == ELF_DATA2LSB &&
           id[ELF_EI_VERSION] == ELF_EV_CURRENT &&
           h->e_version == ELF_EV_CURRENT && h->e_machine == ELF_EM_RISCV &&
           h->e_type == ELF_ET_EXEC && h->e_phentsize == ELF64_PHDR_SIZE;
}

/* Checks one non-empty PT_LOAD header, whose filesz <= memsz, against
 * the image and user range, all without overflow. */
static bool segment_ok(const struct elf64_phdr *ph, size_t size,
                       uint64_t user_base, uint64_t user_top)
{
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
        return false;
    if (ph->p_vaddr < user_base || ph->p_vaddr >= user_top)
        return false;
    if (ph->p_memsz > user_top - ph->p_vaddr)
        return false;
    if ((ph->p_flags & ELF_PF_W) && (ph->p_flags & ELF_PF_X))
        return false;
    return true;
}

int elf_parse(const void *image, size_t size, uint64_t user_base,
              uint64_t user_top, struct elf_segment *segs, int max_segs,
              int *nsegs, uint64_t *entry)
{
    const uint8_t *img = image;
    struct elf64_ehdr h;

    if (!image || size < ELF64_EHDR_SIZE || user_base >= user_top)
        return -ENOEXEC;
    read_ehdr(img, &h);
    if (!header_ok(&h))
        return -ENOEXEC;

    /* Program header table inside the image: phnum <= 0xffff, so the
     * product cannot overflow; the sum is checked by subtraction. */
    uint64_t phbytes = (uint64_t)h.e_phnum * ELF64_PHDR_SIZE;
    if (h.e_phoff > size || phbytes > size - h.e_phoff)
        return -ENOEXEC;

    int n = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < h.e_phnum; i++) {
        struct elf64_phdr ph;
        read_phdr(img + h.e_phoff + (uint64_t)i * ELF64_PHDR_SIZE, &ph);
        if (ph.p_type != ELF_PT_LOAD)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return -ENOEXEC;
        if (ph.p_memsz == 0)
            continue; /* nothing to map */
        if (!segment_ok(&ph, size, user_base, user_top))
            return -ENOEXEC;
        if (n >= max_segs)
            return -ENOEXEC;
        segs[n].vaddr = ph.p_vaddr;
        segs[n].memsz = ph.p_memsz;
        segs[n].filesz = ph.p_filesz;
        segs[n].offset = ph.p_offset;
        segs[n].flags = ph.p_flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X);
        n++;
        if ((ph.p_flags & ELF_PF_X) && h.e_entry >= ph.p_vaddr &&
            h.e_entry - ph.p_vaddr < ph.p_memsz)
            entry_ok = true;
    }
    if (!entry_ok)
        return -ENOEXEC;
    *nsegs = n;
    *entry = h.e_entry;
    return 0;
}
