/*
 * Trap dispatch. A system call is dispatched by trapentry.S itself (bump
 * sepc, index the table with the arguments still in registers) and ends
 * there too when nothing is pending (the result in a0, never stored in
 * the frame), else in trap_syscall_return (store a0 or restart, the way
 * back); every other
 * user trap arrives in trap_user with the trapframe.
 * Kernel traps (trap_kernel) are interrupts taken in the idle loop and
 * faults in the user-copy routines; anything else is a kernel bug.
 */
#include "../include/asm_offsets.h"
#include "../include/kernel.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/syscall.h"
#include "../../board/plic.h"
#include "../../board/uart.h"
#include "../../board/virt.h"

struct ktrapframe {
    uint64_t regs[32];
    uint64_t sepc;
    uint64_t pad;
};

/* The offsets trapentry.S and swtch.S use (asm_offsets.h). */
#define TF_REG_AT(n)                                                           \
    _Static_assert(offsetof(struct trapframe, regs[n]) == TFO_REG(n),          \
                   "trapframe regs[" #n "]");                                  \
    _Static_assert(offsetof(struct ktrapframe, regs[n]) == TFO_REG(n),         \
                   "ktrapframe regs[" #n "]")
TF_REG_AT(1);
TF_REG_AT(2);
TF_REG_AT(3);
TF_REG_AT(4);
TF_REG_AT(5);
TF_REG_AT(8);
TF_REG_AT(10);
TF_REG_AT(17);
TF_REG_AT(28);
TF_REG_AT(31);
_Static_assert(TFO_REG(TF_RA) == TFO_REG(1) && TFO_REG(TF_SP) == TFO_REG(2) &&
                   TFO_REG(TF_TP) == TFO_REG(4) &&
                   TFO_REG(TF_A0) == TFO_REG(10) &&
                   TFO_REG(TF_A7) == TFO_REG(17),
               "trapframe register indices");
_Static_assert(sizeof(((struct trapframe *)0)->regs) == TFO_REG(32),
               "trapframe regs[32]");
_Static_assert(offsetof(struct trapframe, sepc) == TFO_SEPC, "trapframe sepc");
_Static_assert(offsetof(struct trapframe, hart) == TFO_HART, "trapframe hart");
_Static_assert(sizeof(struct trapframe) == TFO_SIZE, "trapframe size");
_Static_assert(TFO_SIZE % 16 == 0, "trapframe keeps sp 16-byte aligned");
_Static_assert(offsetof(struct ktrapframe, sepc) == TFO_SEPC,
               "ktrapframe sepc");
_Static_assert(sizeof(struct ktrapframe) == KFO_SIZE, "ktrapframe size");
_Static_assert(KFO_SIZE % 16 == 0, "ktrapframe keeps sp 16-byte aligned");
_Static_assert(offsetof(struct context, ra) == CTXO_RA, "context ra");
_Static_assert(offsetof(struct context, sp) == CTXO_SP, "context sp");
_Static_assert(offsetof(struct context, s[0]) == CTXO_S(0), "context s0");
_Static_assert(offsetof(struct context, s[11]) == CTXO_S(11), "context s11");
_Static_assert(sizeof(struct context) == CTXO_SIZE, "context size");
_Static_assert(SSTATUS_FS_BITS == SSTATUS_FS, "sstatus.FS");
_Static_assert(ASM_EXC_ECALL_U == EXC_ECALL_U && ASM_SYS_NR == SYS_NR,
               "trapentry.S's system-call dispatch");
_Static_assert(ASM_ERESTARTSYS == ERESTARTSYS &&
                   ASM_ERESTARTNOINTR == ERESTARTNOINTR &&
                   ERESTARTNOINTR == ERESTARTSYS + 1,
               "trapentry.S's restart check");
#ifndef KEEL_LOCKCHECK /* the debug kernel's layout differs; it never
                        * takes trapentry.S's own way back */
_Static_assert(offsetof(struct hart, cur) == ASM_HART_CUR &&
                   offsetof(struct hart, need_resched) ==
                       ASM_HART_NEED_RESCHED &&
                   sizeof(((struct hart *)0)->need_resched) == 4,
               "trapentry.S's hart words");
_Static_assert(offsetof(struct thread, killed) == ASM_THREAD_KILLED &&
                   sizeof(((struct thread *)0)->killed) == 4 &&
                   offsetof(struct thread, sig.attn) == ASM_THREAD_SIG_ATTN &&
                   sizeof(((struct thread *)0)->sig.attn) == 4,
               "trapentry.S's thread words");
#endif
_Static_assert(BOOT_STACK_SIZE % 16 == 0, "boot stacks 16-byte aligned");
_Static_assert(BOOT_MAX_HARTS == MAX_HARTS, "a boot stack per hart");
_Static_assert(KSTACK_SIZE == 1ul << KSTACK_GUARD_BIT &&
                   BOOT_STACK_SIZE == KSTACK_SIZE &&
                   KSTACK_SLOT == 2 * KSTACK_SIZE,
               "kernel stack slots: stack over an equal guard");

extern char uaccess_start[], uaccess_end[], uaccess_fault[];

static void handle_interrupt(uint64_t cause)
{
    struct hart *h = this_hart();
    switch (cause & ~SCAUSE_INTR) {
    case IRQ_S_TIMER:
        sched_tick();
        break;
    case IRQ_S_SOFT:
        csr_clear(sip, SIP_SSIP);
        h->need_resched = 1;
        h->need_resched_preempt = 1;
        if (unlikely(h->cpt_poke)) /* a CPU-time timer was armed */
            cputimer_poked(h);
        break;
    case IRQ_S_EXT: {
        int irq = plic_claim(h->id);
        if (irq == VIRT_UART0_IRQ)
            uart_irq();
        if (irq)
            plic_complete(h->id, irq);
        break;
    }
    default:
        printk("keel: unexpected interrupt %lx\n", cause);
        break;
    }
}

/* The slow part of the way back: a kill, a reschedule, signals to look
 * at (t->sig.attn: arch/signal_frame.c delivers them, entering handlers
 * or taking default actions), in a loop until none is left. */
static __attribute__((noinline)) void user_return_slow(struct trapframe *tf)
{
    struct hart *h = this_hart();
    for (;;) {
        struct thread *t = h->cur;
        if (unlikely(t->killed))
            thread_exit(0);
        if (h->need_resched) {
            h->need_resched = 0;
            sched_preempt();
            h = this_hart(); /* may have moved to another hart */
            continue;
        }
        if (READ_ONCE(t->sig.attn)) {
            sig_deliver_all(tf);
            continue;
        }
        break;
    }
    lockstat_irqoff_end(); /* interrupts are on again in user mode */
}

/* Checks made on every way back to user mode: three words. */
void user_return_prepare(struct trapframe *tf)
{
    struct hart *h = this_hart();
    struct thread *t = h->cur;
    if (unlikely(t->killed | h->need_resched | READ_ONCE(t->sig.attn))) {
        user_return_slow(tf);
        return;
    }
    lockstat_irqoff_end(); /* interrupts are on again in user mode */
    /* sstatus needs no update: SPP = U and SPIE = 1 hold whenever kernel
     * code runs outside a trap handler (a user trap sets them so, and so
     * does the sret ending a kernel trap; hart_setup sets them at boot). */
}

/* A fault in user mode: to the thread's handler (signal.c sig_fault), or
 * the process dies as it always did. */
static __attribute__((noinline)) void trap_user_fault(struct trapframe *tf,
                                                      uint64_t cause)
{
    {
        uint64_t stval = csr_read(stval);
        const char *what;
        int sig = KEEL_SIGSEGV, code = KEEL_SEGV_MAPERR;
        switch (cause) {
        case EXC_ILLEGAL:
            what = "illegal instruction";
            sig = KEEL_SIGILL;
            code = KEEL_ILL_ILLOPC;
            break;
        case EXC_INST_MISALIGNED:
        case EXC_LOAD_MISALIGNED:
        case EXC_STORE_MISALIGNED:
            what = "misaligned access";
            sig = KEEL_SIGBUS;
            code = KEEL_BUS_ADRALN;
            break;
        case EXC_INST_ACCESS:
        case EXC_LOAD_ACCESS:
        case EXC_STORE_ACCESS:
            code = KEEL_SEGV_ACCERR;
            /* fall through */
        case EXC_INST_PAGE:
        case EXC_LOAD_PAGE:
        case EXC_STORE_PAGE:
            what = cause == EXC_INST_PAGE || cause == EXC_INST_ACCESS
                       ? "instruction fault"
                   : cause == EXC_LOAD_PAGE || cause == EXC_LOAD_ACCESS
                       ? "load fault"
                       : "store fault";
            break;
        case EXC_BREAKPOINT:
            what = "breakpoint";
            sig = KEEL_SIGTRAP;
            code = KEEL_TRAP_BRKPT;
            break;
        default:
            what = "unknown exception";
            break;
        }
        struct thread *t = current();
        struct proc *p = t->proc;
        /* A handler takes it on the way out (si_addr: the faulting
         * address; the instruction's for SIGILL and SIGTRAP). */
        uint64_t addr =
            sig == KEEL_SIGILL || sig == KEEL_SIGTRAP ? tf->sepc : stval;
        if (!sig_fault(t, sig, code, addr)) {
            printk("keel: pid %d (%s) killed by signal %d: %s at %lx, pc "
                   "%lx\n",
                   p->pid, p->name, sig, what, stval, tf->sepc);
            proc_kill(p, sig);
        }
    }
}

/* Out of line so that trap_syscall_return saves no register. */
static __attribute__((noinline)) void trap_syscall_restart(struct trapframe *tf,
                                                           long ret)
{
    sig_syscall_restart(tf, ret);
    user_return_prepare(tf);
}

/* A system call's end (trapentry.S dispatched it: sepc is past the
 * ecall, the handler returned ret). trapentry.S makes the same tests
 * itself first and returns without this call when ret is no restart and
 * user_return_prepare would find nothing to do (not in the debug
 * kernel, whose lockstat_irqoff_end needs the call). */
void trap_syscall_return(struct trapframe *tf, long ret)
{
    /* regs[10] still holds the first argument: a restart needs it. */
    if (unlikely((uint64_t)ret >= (uint64_t)-ERESTARTNOINTR &&
                 (uint64_t)ret <= (uint64_t)-ERESTARTSYS)) {
        trap_syscall_restart(tf, ret);
        return;
    }
    tf->regs[TF_A0] = (uint64_t)ret;
    user_return_prepare(tf);
}

/* Every other trap from user mode: interrupts and faults. */
void trap_user(struct trapframe *tf)
{
    lockstat_irqoff_begin();
    uint64_t cause = csr_read(scause);
    if (cause & SCAUSE_INTR)
        handle_interrupt(cause);
    else
        trap_user_fault(tf, cause);
    user_return_prepare(tf);
}

/* kernel_trap found the kernel sp below its stack (in the guard). Runs
 * on the emergency stack with the overflowed sp. */
void trap_kstack_overflow(uint64_t sp)
{
    struct thread *t = this_hart()->cur;
    panic("kernel stack overflow: sp %lx below the stack of tid %d at %p, "
          "scause %lx stval %lx sepc %lx hart %d",
          sp, t ? t->tid : -1, t ? (void *)t->kstack : NULL, csr_read(scause),
          csr_read(stval), csr_read(sepc), this_hart()->id);
}

void trap_kernel(struct ktrapframe *kf)
{
    uint64_t cause = csr_read(scause);
    if (cause & SCAUSE_INTR) {
        /* Taken inside an interrupt window: the handler is a stretch of
         * its own (the window's end starts the next one). */
        lockstat_irqoff_begin();
        handle_interrupt(cause);
        lockstat_irqoff_end();
        return;
    }
    uint64_t pc = kf->sepc;
    bool fault = cause == EXC_LOAD_PAGE || cause == EXC_STORE_PAGE ||
                 cause == EXC_LOAD_ACCESS || cause == EXC_STORE_ACCESS;
    if (fault && pc >= (uint64_t)uaccess_start && pc < (uint64_t)uaccess_end) {
        kf->sepc = (uint64_t)uaccess_fault;
        return;
    }
    panic("kernel trap: scause %lx stval %lx sepc %lx hart %d", cause,
          csr_read(stval), pc, this_hart()->id);
}
