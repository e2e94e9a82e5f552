/*
 * Boot: the hart that wins entry.S's lottery reads the device tree, sets
 * up memory, the console, the file system and the first process, then
 * sets boot_ready and starts the other harts through SBI HSM. Every hart
 * then enters its idle loop. boot_lottery and boot_ready live in .data
 * (entry.S); boot_harts_online is atomic.
 */
#include "../include/asm_offsets.h"
#include "../include/mm.h"
#include "../include/kobj.h"
#include "../include/ktimer.h"
#include "../include/proc.h"
#include "../include/riscv.h"
#include "../include/vfs.h"
#include "../../board/fdt.h"
#include "../../board/plic.h"
#include "../../board/rtc.h"
#include "../../board/uart.h"
#include "../../board/virt.h"
#include "boot.h"
#include "sbi.h"

extern char trap_vector[];
extern char _start[], _start_secondary[], boot_stacks[];
extern uint32_t boot_lottery, boot_ready;
static struct thread idle_threads[MAX_HARTS];
static int boot_hart;
uint32_t boot_harts_online;
const void *boot_dtb;
uint64_t boot_dtb_size;

void ktest_run_all(void);

static void hart_setup(int id)
{
    struct hart *h = &harts[id];
    __asm__ volatile("mv tp, %0" ::"r"(h));
    struct thread *idle = &idle_threads[id];
    idle->is_idle = true;
    idle->state = T_RUNNING;
    idle->on_cpu = 1;
    idle->hart = id;
    idle->prio = 0;
    spin_init(&idle->slock, "thread_sched");
    h->idle = idle;
    h->cur = idle;
    timer_hw_probe(id == boot_hart); /* before stvec: it borrows it */
    csr_write(stvec, (uint64_t)trap_vector);
    csr_write(sscratch, 0);
    /* The invariant user_return_prepare relies on: sret goes to U-mode
     * with interrupts enabled there. */
    csr_clear(sstatus, SSTATUS_SPP);
    csr_set(sstatus, SSTATUS_SPIE);
    /* FP is off for user mode (and the kernel, built without F, never
     * uses it): the firmware may leave FS on. See "FP policy" in
     * docs/design.md; trap_return_user clears it again on every return. */
    csr_clear(sstatus, SSTATUS_FS);
    vm_kernel_enable();
    /* Let U-mode read cycle, time and instret (for benchmarks). */
    csr_write(scounteren, 0x7);
    csr_set(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
    plic_init_hart(id, id == boot_hart);
    __atomic_add_fetch(&boot_harts_online, 1, __ATOMIC_RELEASE);
}

uint32_t boot_lottery_entries(void)
{
    return __atomic_load_n(&boot_lottery, __ATOMIC_ACQUIRE);
}

struct mem_range {
    uint64_t start, end;
};

/* Hands the pages of [lo, hi) outside every reserved range to the page
 * allocator (ranges before rsv[0] were found not to overlap [lo, hi)). */
static void page_init_except(uint64_t lo, uint64_t hi,
                             const struct mem_range *rsv, int n)
{
    for (int i = 0; i < n; i++) {
        if (rsv[i].end <= lo || rsv[i].start >= hi)
            continue;
        if (rsv[i].start > lo)
            page_init_except(lo, rsv[i].start, rsv + i + 1, n - i - 1);
        if (rsv[i].end < hi)
            page_init_except(rsv[i].end, hi, rsv + i + 1, n - i - 1);
        return;
    }
    if (hi > lo)
        page_init(lo, hi);
}

#ifdef KEEL_KTEST
/* The test kernel sends its last secondary hart through the boot entry
 * while kmain has barely begun, as a confused firmware might, and waits
 * until that hart has drawn in the lottery: it must lose, wait for
 * boot_ready without touching .bss or a stack, and then come up as a
 * secondary (ktest boot_lottery_one_winner). Returns its id, or -1. */
static int ktest_inject_loser(const struct fdt_info *info, int self)
{
    int last = -1;
    for (int i = 0; i < info->nharts; i++) {
        int id = (int)info->hart_ids[i];
        if (id != self && id < MAX_HARTS)
            last = id;
    }
    if (last < 0 || sbi_hart_start(last, (uint64_t)_start, 0) != 0)
        return -1;
    while (__atomic_load_n(&boot_lottery, __ATOMIC_ACQUIRE) < 2)
        cpu_relax();
    return last;
}
#endif

void kmain(uint64_t hartid, const void *dtb)
{
    boot_hart = (int)hartid;
    for (int i = 0; i < MAX_HARTS; i++)
        sched_init_hart(&harts[i], i);
    __asm__ volatile("mv tp, %0" ::"r"(&harts[hartid]));
    uart_init();
    printk("\nKeel booting on hart %lu\n", hartid);
    struct fdt_info info;
    int err = fdt_parse(dtb, 1 << 20, &info);
    if (err)
        panic("device tree unreadable (%d)", err);
    boot_dtb = dtb;
    boot_dtb_size = info.dtb_size;
    timebase_hz = info.timebase_freq ? info.timebase_freq : 10000000;
    clock_init();
    if (info.rtc_base) /* the MMU is still off: physical access */
        time_set_realtime(rtc_goldfish_read_ns(info.rtc_base));
    else
        printk("keel: no RTC, CLOCK_REALTIME starts at the epoch\n");
    nharts = info.nharts;
    uint32_t turn_us = 0;
    int targ = fdt_bootarg_u32(info.bootargs, "keel.turn_us", &turn_us);
    if (targ == -EINVAL)
        printk("keel: bootargs: keel.turn_us wants a number of us: ignored\n");
    if (targ == 0 && turn_us && nharts > 1) {
        sched_turn_bound_ticks = ns_to_ticks((uint64_t)turn_us * 1000);
        printk("keel: turn bound %u us (keel.turn_us)\n", turn_us);
    }
    uint64_t ram_end = info.mem_base + info.mem_size;
    printk("keel: %lu MiB RAM, %d harts, timebase %lu Hz\n",
           info.mem_size >> 20, nharts, timebase_hz);

    int injected = -1;
#ifdef KEEL_KTEST
    injected = ktest_inject_loser(&info, (int)hartid);
#endif

    thread_init(); /* carves the kernel stacks first */
    vm_kernel_init(ram_end);
    /* Guards under every kernel stack, the boot stacks' too (each is the
     * upper half of its slot: asm_offsets.h). */
    thread_kstack_guards();
    for (int i = 0; i < MAX_HARTS; i++)
        vm_kernel_unmap((uint64_t)boot_stacks + (uint64_t)i * KSTACK_SLOT,
                        KSTACK_SLOT / 2);
    /* All RAM but the kernel image and boot carve-outs (page_init skips
     * them), the boot image (the ramfs serves its files in place) and the
     * device tree (kept intact for good). */
    struct mem_range rsv[2] = {
        {ALIGN_DOWN(info.initrd_start, PAGE_SIZE),
         ALIGN_UP(info.initrd_end, PAGE_SIZE)},
        {ALIGN_DOWN((uint64_t)dtb, PAGE_SIZE),
         ALIGN_UP((uint64_t)dtb + info.dtb_size, PAGE_SIZE)},
    };
    page_init_except(0, ram_end, rsv, 2);
    proc_init();
    file_init();
    kobj_init();
    ramfs_init();
    devfs_init();
    if (info.initrd_end > info.initrd_start)
        initrd_load((const uint8_t *)info.initrd_start,
                    info.initrd_end - info.initrd_start);
    else
        printk("keel: no initrd\n");
    plic_init();
    hart_setup((int)hartid);
    console_out_start(); /* the UART interrupt reaches this hart now */
    printk("keel: hart %lu online, %lu pages free\n", hartid,
           page_free_count());
    /* From here a hart the firmware sends to _start joins as a
     * secondary (entry.S). */
    __atomic_store_n(&boot_ready, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < nharts; i++) {
        int id = (int)info.hart_ids[i];
        if (id != (int)hartid && id < MAX_HARTS && id != injected)
            sbi_hart_start(id, (uint64_t)_start_secondary, 0);
    }
    ktimer_start_worker(); /* POSIX timers' thread-context deliveries */
#ifdef KEEL_KTEST
    ktest_run_all();
#else
    proc_start_init();
#endif
    sched_start();
}

void kmain_secondary(uint64_t hartid)
{
    hart_setup((int)hartid);
    printk("keel: hart %lu online\n", hartid);
    sched_start();
}

void proc_start_init(void)
{
    struct proc *p = proc_alloc("init");
    struct file *con[3];
    KASSERT(p);
    init_proc = p;
    for (int i = 0; i < 3; i++) {
        int err = vfs_open("/dev/console",
                           i == 0 ? KEEL_O_RDONLY : KEEL_O_WRONLY, &con[i]);
        KASSERT(err == 0);
        unsigned rights =
            CAP_RIGHT_GRANT | (i == 0 ? CAP_RIGHT_READ : CAP_RIGHT_WRITE);
        KASSERT(cap_fd_install(p, con[i], rights, false, i) == i);
    }
    quota_init_root(p); /* init's tree may have what is left of each pool */
    /* The machine's authority starts here; init hands it on. */
    KASSERT(cap_system_install(p, CAP_SYSTEM_SLOT, CAP_RIGHTS_ALL) ==
            CAP_SYSTEM_SLOT);
    char *argv[] = {"/bin/init", NULL};
    char *envp[] = {NULL}; /* init sets its children's environment */
    struct proc_args pa = {.argv = argv, .argc = 1, .envp = envp};
    struct thread *t;
    int err = proc_load(p, "/bin/init", &pa, &t);
    if (err)
        panic("cannot start /bin/init (%d)", err);
    t->ceiling = KEEL_PRIO_MAX; /* the first process: the whole range */
    sched_enqueue_new(t);
}
