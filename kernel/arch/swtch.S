/* void swtch(struct context *old, struct context *new):
 * saves the callee-saved registers of the running thread in old and
 * resumes new. */
#include "../include/asm_offsets.h"
    .text
    .globl swtch
swtch:
    sd ra, CTXO_RA(a0)
    sd sp, CTXO_SP(a0)
    sd s0, CTXO_S(0)(a0)
    sd s1, CTXO_S(1)(a0)
    sd s2, CTXO_S(2)(a0)
    sd s3, CTXO_S(3)(a0)
    sd s4, CTXO_S(4)(a0)
    sd s5, CTXO_S(5)(a0)
    sd s6, CTXO_S(6)(a0)
    sd s7, CTXO_S(7)(a0)
    sd s8, CTXO_S(8)(a0)
    sd s9, CTXO_S(9)(a0)
    sd s10, CTXO_S(10)(a0)
    sd s11, CTXO_S(11)(a0)
    ld ra, CTXO_RA(a1)
    ld sp, CTXO_SP(a1)
    ld s0, CTXO_S(0)(a1)
    ld s1, CTXO_S(1)(a1)
    ld s2, CTXO_S(2)(a1)
    ld s3, CTXO_S(3)(a1)
    ld s4, CTXO_S(4)(a1)
    ld s5, CTXO_S(5)(a1)
    ld s6, CTXO_S(6)(a1)
    ld s7, CTXO_S(7)(a1)
    ld s8, CTXO_S(8)(a1)
    ld s9, CTXO_S(9)(a1)
    ld s10, CTXO_S(10)(a1)
    ld s11, CTXO_S(11)(a1)
    ret
