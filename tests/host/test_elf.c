/* Host tests for kernel/proc/elf.c: small ELF images built in memory. */
#include "kernel/proc/elf.h"
#include "kernel/include/errno.h"
#include "tests/host/harness.h"

#define UBASE 0x10000ull
#define UTOP 0x40000000ull
#define IMG_SIZE 0x3000
#define MAXSEG 8

#define TEXT_VA 0x10000ull
#define DATA_VA 0x11000ull

static uint8_t img_buf[IMG_SIZE + 8]; /* +8: room to misalign */
static uint8_t *img = img_buf;
static size_t img_size;

static void w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void w64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Program header i (the table is at offset 64). */
static uint8_t *ph(int i)
{
    return img + ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE;
}

static void set_ph(int i, uint32_t type, uint32_t flags, uint64_t off,
                   uint64_t va, uint64_t filesz, uint64_t memsz)
{
    uint8_t *p = ph(i);
    w32(p, type);
    w32(p + 4, flags);
    w64(p + 8, off);
    w64(p + 16, va);
    w64(p + 24, va);
    w64(p + 32, filesz);
    w64(p + 40, memsz);
    w64(p + 48, 0x1000);
}

static void set_phnum(uint16_t n)
{
    w16(img + 56, n);
}
static void set_entry(uint64_t e)
{
    w64(img + 24, e);
}

/* A valid image: text R|X at TEXT_VA (0x100 bytes at file 0x1000), data
 * R|W at DATA_VA (0x80 file bytes at 0x2000, 0x200 in memory), a
 * PT_GNU_STACK header, entry at the start of text. */
static void build_at(uint8_t *where)
{
    img = where;
    memset(img, 0, IMG_SIZE);
    img[0] = 0x7f;
    img[1] = 'E';
    img[2] = 'L';
    img[3] = 'F';
    img[4] = 2;         /* ELFCLASS64 */
    img[5] = 1;         /* little-endian */
    img[6] = 1;         /* EV_CURRENT */
    w16(img + 16, 2);   /* ET_EXEC */
    w16(img + 18, 243); /* EM_RISCV */
    w32(img + 20, 1);
    set_entry(TEXT_VA);
    w64(img + 32, ELF64_EHDR_SIZE); /* e_phoff */
    w16(img + 52, ELF64_EHDR_SIZE);
    w16(img + 54, ELF64_PHDR_SIZE);
    set_phnum(3);
    set_ph(0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, TEXT_VA, 0x100, 0x100);
    set_ph(1, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x2000, DATA_VA, 0x80, 0x200);
    set_ph(2, 0x6474e551, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0); /* GNU_STACK */
    img_size = IMG_SIZE;
}

static void build(void)
{
    build_at(img_buf);
}

static struct elf_segment segs[16]; /* parse_max may use up to 16 */
static int nsegs;
static uint64_t entry;

static int parse_max(int max)
{
    nsegs = -1;
    entry = 0xdeadbeef;
    return elf_parse(img, img_size, UBASE, UTOP, segs, max, &nsegs, &entry);
}

static int parse(void)
{
    return parse_max(MAXSEG);
}

/* A failing parse leaves *nsegs and *entry alone. */
static int parse_fails(void)
{
    int r = parse();
    CHECK_EQ(nsegs, -1);
    CHECK_EQ(entry, 0xdeadbeef);
    return r == -ENOEXEC;
}

TEST(elf_valid)
{
    build();
    REQUIRE_EQ(parse(), 0);
    REQUIRE_EQ(nsegs, 2);
    CHECK_EQ(entry, TEXT_VA);
    CHECK_EQ(segs[0].vaddr, TEXT_VA);
    CHECK_EQ(segs[0].memsz, 0x100);
    CHECK_EQ(segs[0].filesz, 0x100);
    CHECK_EQ(segs[0].offset, 0x1000);
    CHECK_EQ(segs[0].flags, ELF_PF_R | ELF_PF_X);
    CHECK_EQ(segs[1].vaddr, DATA_VA);
    CHECK_EQ(segs[1].memsz, 0x200);
    CHECK_EQ(segs[1].filesz, 0x80);
    CHECK_EQ(segs[1].offset, 0x2000);
    CHECK_EQ(segs[1].flags, ELF_PF_R | ELF_PF_W);
}

TEST(elf_misaligned_image)
{
    build_at(img_buf + 3);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(nsegs, 2);
    CHECK_EQ(entry, TEXT_VA);
}

TEST(elf_truncated)
{
    build();
    img_size = 0;
    CHECK(parse_fails());
    img_size = ELF64_EHDR_SIZE - 1;
    CHECK(parse_fails());
    img_size = ELF64_EHDR_SIZE; /* header only: phdrs outside */
    CHECK(parse_fails());
    img_size = ELF64_EHDR_SIZE + 3 * ELF64_PHDR_SIZE - 1;
    CHECK(parse_fails());
    img_size = 0x2000 + 0x80 - 1; /* data file bytes cut short */
    CHECK(parse_fails());
    img_size = 0x2000 + 0x80; /* exactly enough */
    CHECK_EQ(parse(), 0);
    CHECK_EQ(
        elf_parse(NULL, IMG_SIZE, UBASE, UTOP, segs, MAXSEG, &nsegs, &entry),
        -ENOEXEC);
}

TEST(elf_bad_ident)
{
    for (int i = 0; i < 7; i++) {
        build();
        img[i] ^= 0x40;
        CHECK(parse_fails());
    }
    build();
    img[4] = 1; /* ELFCLASS32 */
    CHECK(parse_fails());
    build();
    img[5] = 2; /* big-endian */
    CHECK(parse_fails());
    build();
    w32(img + 20, 0); /* e_version */
    CHECK(parse_fails());
}

TEST(elf_bad_header_fields)
{
    build();
    w16(img + 18, 62); /* EM_X86_64 */
    CHECK(parse_fails());
    build();
    w16(img + 18, 243 | 0x100);
    CHECK(parse_fails());
    build();
    w16(img + 16, 3); /* ET_DYN */
    CHECK(parse_fails());
    build();
    w16(img + 16, 1); /* ET_REL */
    CHECK(parse_fails());
    build();
    w16(img + 54, 32); /* ELF32 phentsize */
    CHECK(parse_fails());
    build();
    w16(img + 54, 64);
    CHECK(parse_fails());
}

TEST(elf_phdr_table_bounds)
{
    build();
    w64(img + 32, ~0ull - 10); /* phoff + size overflows */
    CHECK(parse_fails());
    build();
    w64(img + 32, IMG_SIZE); /* starts at the end */
    CHECK(parse_fails());
    build();
    w64(img + 32, IMG_SIZE - 2 * ELF64_PHDR_SIZE); /* 3rd runs off */
    CHECK(parse_fails());
    build();
    set_phnum(0xffff);
    CHECK(parse_fails());
    build();
    set_phnum(0); /* no segments at all: no entry */
    CHECK(parse_fails());
}

TEST(elf_w_and_x)
{
    build();
    set_ph(0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W | ELF_PF_X, 0x1000, TEXT_VA,
           0x100, 0x100);
    CHECK(parse_fails());
    build();
    set_ph(1, ELF_PT_LOAD, ELF_PF_W | ELF_PF_X, 0x2000, DATA_VA, 0x80, 0x200);
    CHECK(parse_fails());
    /* W^X applies to PT_LOAD only; GNU_STACK with RWX is ignored. */
    build();
    set_ph(2, 0x6474e551, 7, 0, 0, 0, 0);
    CHECK_EQ(parse(), 0);
}

TEST(elf_user_range)
{
    build(); /* below user_base */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, UBASE - 0x1000, 0x80, 0x200);
    CHECK(parse_fails());
    build(); /* starts below, ends inside */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, UBASE - 0x10, 0x80, 0x200);
    CHECK(parse_fails());
    build(); /* at user_top */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, UTOP, 0x80, 0x200);
    CHECK(parse_fails());
    build(); /* straddles user_top by one byte */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, UTOP - 0x1ff, 0x80, 0x200);
    CHECK(parse_fails());
    build(); /* ends exactly at user_top: fine */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, UTOP - 0x200, 0x80, 0x200);
    CHECK_EQ(parse(), 0);
    build(); /* huge memsz */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, DATA_VA, 0x80, ~0ull);
    CHECK(parse_fails());
    /* vaddr + memsz wraps around: rejected even when the top is ~0. */
    build();
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, ~0ull - 0xfff, 0x80, 0x2000);
    nsegs = -1;
    CHECK_EQ(
        elf_parse(img, img_size, UBASE, ~0ull, segs, MAXSEG, &nsegs, &entry),
        -ENOEXEC);
    /* An empty or inverted user range accepts nothing. */
    build();
    CHECK_EQ(
        elf_parse(img, img_size, UTOP, UBASE, segs, MAXSEG, &nsegs, &entry),
        -ENOEXEC);
    CHECK_EQ(
        elf_parse(img, img_size, UBASE, UBASE, segs, MAXSEG, &nsegs, &entry),
        -ENOEXEC);
}

TEST(elf_file_bounds)
{
    build(); /* offset + filesz overflows */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, ~0ull - 0x10, DATA_VA, 0x80, 0x200);
    CHECK(parse_fails());
    build(); /* offset past the image */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, IMG_SIZE + 1, DATA_VA, 0, 0x200);
    CHECK(parse_fails());
    build(); /* filesz past the image */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, DATA_VA, IMG_SIZE, IMG_SIZE);
    CHECK(parse_fails());
    build(); /* filesz > memsz */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, 0x2000, DATA_VA, 0x201, 0x200);
    CHECK(parse_fails());
    build(); /* file data ending exactly at the end of the image */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R, IMG_SIZE - 0x80, DATA_VA, 0x80, 0x200);
    CHECK_EQ(parse(), 0);
    build(); /* pure bss, offset at the very end */
    set_ph(1, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, IMG_SIZE, DATA_VA, 0, 0x200);
    CHECK_EQ(parse(), 0);
}

TEST(elf_segment_count)
{
    build();
    CHECK_EQ(parse_max(2), 0);
    CHECK_EQ(nsegs, 2);
    build();
    nsegs = -1;
    CHECK_EQ(parse_max(1), -ENOEXEC);
    CHECK_EQ(nsegs, -1);
    build();
    CHECK_EQ(parse_max(0), -ENOEXEC);
    /* Eight loadable segments fit in eight slots, nine do not. */
    build();
    set_phnum(9);
    for (int i = 0; i < 9; i++)
        set_ph(i, ELF_PT_LOAD, i == 0 ? ELF_PF_R | ELF_PF_X : ELF_PF_R, 0x1000,
               TEXT_VA + 0x1000 * (uint64_t)i, 0x100, 0x100);
    CHECK_EQ(parse_max(8), -ENOEXEC);
    CHECK_EQ(parse_max(9), 0);
    CHECK_EQ(nsegs, 9);
}

TEST(elf_empty_and_other_segments_skipped)
{
    build();
    set_phnum(5);
    /* Empty PT_LOAD: not counted, not range-checked. */
    set_ph(2, ELF_PT_LOAD, ELF_PF_R, 0, 0, 0, 0);
    /* PT_NOTE with wild values is ignored. */
    set_ph(3, 4, ELF_PF_R, ~0ull, ~0ull, ~0ull, ~0ull);
    set_ph(4, 0x6474e551, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0);
    CHECK_EQ(parse_max(2), 0);
    CHECK_EQ(nsegs, 2);
    /* ...but an empty one with filesz > memsz is still malformed. */
    build();
    set_ph(2, ELF_PT_LOAD, ELF_PF_R, 0, 0, 1, 0);
    CHECK(parse_fails());
}

TEST(elf_entry)
{
    build();
    set_entry(TEXT_VA + 0xff); /* last byte of text */
    CHECK_EQ(parse(), 0);
    CHECK_EQ(entry, TEXT_VA + 0xff);
    build();
    set_entry(TEXT_VA + 0x100); /* one past text */
    CHECK(parse_fails());
    build();
    set_entry(TEXT_VA - 1);
    CHECK(parse_fails());
    build();
    set_entry(DATA_VA); /* in a non-executable segment */
    CHECK(parse_fails());
    build();
    set_entry(0);
    CHECK(parse_fails());
    build();
    set_entry(~0ull);
    CHECK(parse_fails());
    /* Entry in bss of an executable segment (beyond filesz) is allowed:
     * the check is against the mapped range. */
    build();
    set_ph(0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, TEXT_VA, 0x80, 0x100);
    set_entry(TEXT_VA + 0x90);
    CHECK_EQ(parse(), 0);
}

/* Every truncation of a valid image fails cleanly (ASan checks reads). */
TEST(elf_every_truncation)
{
    static uint8_t exact[0x2080];
    build();
    img_size = 0x2080;
    memcpy(exact, img, img_size);
    for (size_t n = 0; n < sizeof(exact); n++) {
        uint8_t *copy = malloc(n ? n : 1);
        REQUIRE(copy != NULL);
        memcpy(copy, exact, n);
        nsegs = -1;
        int r = elf_parse(copy, n, UBASE, UTOP, segs, MAXSEG, &nsegs, &entry);
        free(copy);
        if (r != -ENOEXEC) {
            CHECK_EQ(r, -ENOEXEC);
            return;
        }
    }
    CHECK_EQ(elf_parse(exact, sizeof(exact), UBASE, UTOP, segs, MAXSEG, &nsegs,
                       &entry),
             0);
}

/* Random header corruption: never crashes, any success is consistent. */
TEST(elf_fuzz_headers)
{
    uint64_t rng = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        build();
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (rng >> 33) % (ELF64_EHDR_SIZE + 3 * ELF64_PHDR_SIZE);
            img[at] ^= (uint8_t)(1u << ((rng >> 20) & 7));
        }
        uint8_t *copy = malloc(img_size);
        REQUIRE(copy != NULL);
        memcpy(copy, img, img_size);
        int r = elf_parse(copy, img_size, UBASE, UTOP, segs, MAXSEG, &nsegs,
                          &entry);
        if (r == 0) {
            bool entry_in_x = false;
            CHECK(nsegs >= 1 && nsegs <= MAXSEG);
            for (int i = 0; i < nsegs; i++) {
                const struct elf_segment *s = &segs[i];
                CHECK(s->memsz > 0 && s->filesz <= s->memsz);
                CHECK(s->offset <= img_size &&
                      s->filesz <= img_size - s->offset);
                CHECK(s->vaddr >= UBASE && s->vaddr < UTOP &&
                      s->memsz <= UTOP - s->vaddr);
                CHECK(!((s->flags & ELF_PF_W) && (s->flags & ELF_PF_X)));
                if ((s->flags & ELF_PF_X) && entry >= s->vaddr &&
                    entry - s->vaddr < s->memsz)
                    entry_in_x = true;
            }
            CHECK(entry_in_x);
        } else {
            CHECK_EQ(r, -ENOEXEC);
        }
        free(copy);
    }
}
