/*
 * The signal frame (RISC-V): delivery on the way back to user mode,
 * sigreturn, sigaltstack and the restart of interrupted syscalls
 * (include/signal.h; the frame's layout is struct keel_sigframe in
 * keel/abi.h).
 *
 * Delivery (user_return_prepare, interrupts off, no lock held): each
 * deliverable signal is taken off (signal.c); a default action that
 * terminates ends the process as an uncaught signal always did; a
 * handler gets a frame below the interrupted sp (or at the top of the
 * alternate stack with SA_ONSTACK when not already on it) holding its
 * siginfo and the interrupted context (pc and the trapframe's registers), and
 * the trapframe is changed so the return enters the handler with a0 = sig, a1 =
 * &info, a2 = &uc, ra = the restorer, sp = the frame. Several pending signals
 * nest: each frame sits below the previous handler's entry, the lowest number
 * runs last (first to return).
 *
 * sigreturn reads the frame at the caller's sp back and checks it: a
 * frame that cannot be read, has lost its magic, carries status bits
 * other than KEEL_MC_STATUS_USER, or would return to a pc outside user
 * space kills the process with SIGSEGV; nothing in it can reach kernel
 * state beyond the user registers and the (sanitised) mask.
 *
 * Restart: a syscall interrupted by a signal returns ERESTARTSYS or
 * ERESTARTNOINTR; trap_syscall_return hands it here before delivery, and the
 * syscall is re-executed (sepc back on the ecall, a0 its first argument
 * again) unless the handler about to run lacks SA_RESTART for
 * ERESTARTSYS, which then returns EINTR.
 */
#include "../include/mm.h"
#include "../include/proc.h"
#include "../include/signal.h"

/* The frame is written and read in three pieces, leaving out the FP
 * slots (user code has no FP state: they are never written, their
 * contents are whatever the stack held): the head (siginfo, the
 * ucontext's header, pc), the register words the trapframe holds
 * straight from / into it (x1-x7, x10-x17, x28-x31), and the tail
 * (status, magic), word by word without a loop (uaccess.S: all three
 * out in one call, __sigframe_to_user; in, the head and tail first and
 * the registers once the frame has passed sigreturn's checks). The x0 and
 * s0-s11 words are left as the stack held them: the trapframe has no s
 * registers (the C code keeps them, and the handler keeps them as callee-saved)
 * and sigreturn never read them back into anything user mode sees. */
struct frame_head {
    struct keel_siginfo info;
    uint64_t flags, link;
    struct keel_stack stack;
    uint64_t sigmask, pad;
    uint64_t pc;
};
struct frame_tail {
    uint64_t status, magic, pad;
};
#define FRAME_REGS offsetof(struct keel_sigframe, uc.mc.regs)
#define FRAME_TAIL offsetof(struct keel_sigframe, uc.mc.status)
_Static_assert(sizeof(struct frame_head) == FRAME_REGS &&
                   offsetof(struct frame_head, pc) ==
                       offsetof(struct keel_sigframe, uc.mc.pc) &&
                   offsetof(struct frame_head, sigmask) ==
                       offsetof(struct keel_sigframe, uc.sigmask) &&
                   offsetof(struct frame_head, stack) ==
                       offsetof(struct keel_sigframe, uc.stack),
               "frame head");
_Static_assert(FRAME_TAIL + sizeof(struct frame_tail) ==
                       sizeof(struct keel_sigframe) &&
                   offsetof(struct keel_sigframe, magic) ==
                       FRAME_TAIL + offsetof(struct frame_tail, magic),
               "frame tail");
_Static_assert(sizeof(((struct trapframe *)0)->regs) ==
                   sizeof(((struct keel_mcontext *)0)->regs),
               "the frame's registers are the trapframe's");

/* uaccess.S: the frame's x1-x7, x10-x17, x28-x31 words to / from a
 * trapframe's regs (0 or -EFAULT; the range is checked by the caller). */
long __sigregs_to_user(uint64_t udst, const uint64_t *regs);
long __sigregs_from_user(uint64_t *regs, uint64_t usrc);
/* The whole frame out (head at 0, registers at FRAME_REGS, tail at
 * FRAME_TAIL), and the head and tail in; the offsets are the
 * assembler's constants (uaccess.S), checked here. */
long __sigframe_to_user(uint64_t usp, const struct frame_head *h,
                        const uint64_t *regs, const struct frame_tail *tl);
long __sigframe_head_from_user(struct frame_head *h, struct frame_tail *tl,
                               uint64_t usp);
_Static_assert(FRAME_REGS == 128 && sizeof(struct frame_head) == 16 * 8 &&
                   FRAME_TAIL == 648 && sizeof(struct frame_tail) == 3 * 8,
               "uaccess.S's signal frame offsets");

static bool on_altstack(const struct keel_stack *as, uint64_t sp)
{
    return !(as->flags & KEEL_SS_DISABLE) && as->size && sp > as->sp &&
           sp - as->sp <= as->size;
}

/* Build the frame for sig's handler and enter it on return; false when
 * the frame cannot be written (the process then dies of SIGSEGV). The
 * register words are the trapframe's: x1..x31 as the thread left user
 * mode, except x0 and s0-s11 (not written: see the frame pieces above;
 * sigreturn ignores them). */
static bool sig_setup_frame(struct thread *t, struct trapframe *tf, int sig,
                            struct frame_head *h,
                            const struct keel_sigaction *act,
                            uint64_t frame_mask)
{
    const struct keel_stack *as = &t->sig.altstack;
    uint64_t sp = tf->regs[TF_SP];
    bool on_alt = on_altstack(as, sp);
    if ((act->flags & KEEL_SA_ONSTACK) && !(as->flags & KEEL_SS_DISABLE) &&
        as->size && !on_alt)
        sp = as->sp + as->size;
    sp = (sp - sizeof(struct keel_sigframe)) & ~15ull;
    /* h->info is filled already (sig_dequeue_deliverable took the
     * signal straight into it); every other word is set here, so nothing
     * of the kernel stack goes out. */
    h->flags = 0;
    h->link = 0;
    h->stack = *as;
    h->stack.flags = on_alt ? KEEL_SS_ONSTACK : as->flags;
    h->sigmask = frame_mask;
    h->pad = 0;
    h->pc = tf->sepc;
    struct frame_tail tl = {.status = KEEL_MC_STATUS_USER,
                            .magic = KEEL_SIGFRAME_MAGIC};
    if (!user_range_ok(sp, sizeof(struct keel_sigframe)) ||
        __sigframe_to_user(sp, h, tf->regs, &tl) < 0)
        return false;
    t->sig.restore_mask = false; /* the frame has it now */
    /* The handler's mask is set already (sig_dequeue_deliverable). */
    bool si = act->flags & KEEL_SA_SIGINFO;
    tf->regs[TF_SP] = sp;
    tf->regs[TF_A0] = (uint64_t)sig;
    tf->regs[TF_A0 + 1] = si ? sp + offsetof(struct keel_sigframe, info) : 0;
    tf->regs[TF_A0 + 2] = si ? sp + offsetof(struct keel_sigframe, uc) : 0;
    tf->regs[TF_RA] = act->restorer;
    tf->sepc = act->handler;
    return true;
}

void sig_deliver_all(struct trapframe *tf)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    struct frame_head h; /* the signal is taken into h.info */
    struct keel_sigaction act;
    uint64_t frame_mask;
    int sig;
    /* One signal per call: attn is cleared before the look (a post after
     * the look sets it again), and the handler's new mask was set under
     * the signal lock, which sets attn again if anything is still
     * deliverable under it; user_return_slow then calls again, so several
     * pending signals nest as before (each frame below the previous
     * handler's entry), at most 64 standard ones and the bounded
     * real-time queue. No loop here keeps the one-signal case short. */
    __atomic_store_n(&t->sig.attn, 0, __ATOMIC_SEQ_CST);
    sig = sig_dequeue_deliverable(t, &h.info, &act, &frame_mask);
    if (sig) {
        if (act.handler == KEEL_SIG_DFL) { /* only terminating ones */
            proc_kill(p, sig);
            return;
        }
        if (!sig_setup_frame(t, tf, sig, &h, &act, frame_mask)) {
            printk("keel: pid %d (%s) killed by signal %d: no room for "
                   "the frame of signal %d at %lx\n",
                   p->pid, p->name, KEEL_SIGSEGV, sig, tf->regs[TF_SP]);
            proc_kill(p, KEEL_SIGSEGV);
        }
        return; /* restore_mask is false: a frame was written */
    }
    if (t->sig.restore_mask) { /* sigsuspend and no handler ran */
        t->sig.restore_mask = false;
        sig_set_mask(t, t->sig.saved_mask);
    }
}

void sig_syscall_restart(struct trapframe *tf, long ret)
{
    struct thread *t = current();
    struct proc_sig *ps = &t->proc->sig;
    bool restart = true;
    if (ret == -ERESTARTSYS) {
        spin_lock(&ps->lock);
        uint64_t d = (t->sig.pending | ps->pending) & ~t->sig.mask;
        if (d) {
            const struct keel_sigaction *a = &ps->act[__builtin_ctzll(d)];
            if (a->handler != KEEL_SIG_DFL && a->handler != KEEL_SIG_IGN &&
                !(a->flags & KEEL_SA_RESTART))
                restart = false;
        }
        spin_unlock(&ps->lock);
    }
    if (restart) {
        tf->sepc -= 4; /* the ecall again; a0 still holds its argument */
    } else {
        tf->regs[TF_A0] = (uint64_t)-EINTR;
    }
}

long sys_sigreturn(void)
{
    struct thread *t = current();
    struct proc *p = t->proc;
    struct trapframe *tf = t->tf;
    uint64_t sp = tf->regs[TF_SP];
    struct frame_head h;
    struct frame_tail tl;
    const char *why = NULL;
    if ((sp & 15) || !user_range_ok(sp, sizeof(struct keel_sigframe)) ||
        __sigframe_head_from_user(&h, &tl, sp) < 0)
        why = "unreadable";
    else if (tl.magic != KEEL_SIGFRAME_MAGIC)
        why = "no magic";
    else if (tl.status != KEEL_MC_STATUS_USER)
        why = "status bits";
    else if (h.pc < USER_BASE || h.pc >= USER_TOP || (h.pc & 1))
        why = "pc";
    else if (__sigregs_from_user(tf->regs, sp + FRAME_REGS) < 0)
        why = "unreadable"; /* the registers are the user's own anyway */
    else if (tf->regs[TF_A0] == (uint64_t)-ERESTARTSYS ||
             tf->regs[TF_A0] == (uint64_t)-ERESTARTNOINTR)
        why = "a0";
    if (why) {
        printk("keel: pid %d (%s) killed by signal %d: bad signal frame at "
               "%lx (%s)\n",
               p->pid, p->name, KEEL_SIGSEGV, sp, why);
        proc_kill(p, KEEL_SIGSEGV);
        return 0;
    }
    tf->sepc = h.pc;
    sig_set_mask(t, h.sigmask);
    return (long)tf->regs[TF_A0]; /* trap_syscall_return stores it in a0 */
}

long sys_sigaltstack(uint64_t unew, uint64_t uold)
{
    struct thread *t = current();
    struct keel_stack *as = &t->sig.altstack;
    bool on_alt = on_altstack(as, t->tf->regs[TF_SP]);
    struct keel_stack old = *as;
    old.flags = on_alt ? KEEL_SS_ONSTACK : as->flags;
    if (unew) {
        struct keel_stack ns;
        if (copy_from_user(&ns, unew, sizeof(ns)) < 0)
            return -EFAULT;
        if (on_alt)
            return -EPERM;
        if (ns.flags & ~KEEL_SS_DISABLE)
            return -EINVAL;
        if (ns.flags & KEEL_SS_DISABLE) {
            *as = (struct keel_stack){.flags = KEEL_SS_DISABLE};
        } else {
            if (ns.size < KEEL_MINSIGSTKSZ)
                return -ENOMEM;
            if (!user_range_ok(ns.sp, ns.size))
                return -EFAULT;
            *as = (struct keel_stack){.sp = ns.sp, .size = ns.size};
        }
    }
    if (uold && copy_to_user(uold, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}
