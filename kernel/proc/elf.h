/*
 * ELF64 parsing and validation of a user program image held in memory.
 * Pure: reads only the image bytes, never writes them, and does no
 * allocation. Every offset and size from the file is checked against the
 * image and the user range before it is returned.
 */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4

/* On-disk layouts (little-endian ELF64). elf.c reads the fields byte by
 * byte, so the image need not be aligned. */
#define ELF_EI_NIDENT 16
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_EV_CURRENT 1
#define ELF_ET_EXEC 2
#define ELF_EM_RISCV 243
#define ELF_PT_LOAD 1

struct elf64_ehdr {
    uint8_t e_ident[ELF_EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

#define ELF64_EHDR_SIZE 64
#define ELF64_PHDR_SIZE 56

/* One loadable segment: map [vaddr, vaddr + memsz), copy filesz bytes
 * from image + offset to vaddr, zero the rest. Guaranteed on success:
 * 0 < memsz, filesz <= memsz, offset + filesz <= image size,
 * user_base <= vaddr, vaddr + memsz <= user_top, and not (W and X). */
struct elf_segment {
    uint64_t vaddr, memsz, filesz, offset;
    uint32_t flags; /* ELF_PF_* */
};

/* Validate the image and fill segs[0..*nsegs) with its non-empty PT_LOAD
 * segments (in program-header order) and *entry with the entry point,
 * which lies in an executable segment. Returns 0, or -ENOEXEC for any
 * malformed or unacceptable image (then *nsegs and *entry are not
 * written; segs may be partly written). */
int elf_parse(const void *image, size_t size, uint64_t user_base,
              uint64_t user_top, struct elf_segment *segs, int max_segs,
              int *nsegs, uint64_t *entry);

#endif
