# Keel: one entry point. `make run` boots to the shell, `make check` runs
# every test layer, `make bench` prints instruction counts. Set-up (apt
# packages, newlib) happens by itself on a fresh machine.

SMP ?= 4
comma := ,
MEM ?= 256M

# Keel's own build variables: a caller's `make WARN=...` (or CC=, UCFLAGS=,
# ...) on the command line is dropped here, so it can never rebuild the
# kernel, libc or /bin with foreign flags; flags for a program of your own
# go in APP_CFLAGS / APP_LDFLAGS (make exec). `make help` lists the knobs.
KEEL_INTERNAL_VARS := CROSS CC CXX OBJCOPY QEMU B NEWLIB SETUP_STAMP \
	ARCH_FLAGS LIBGCC WARN KCFLAGS KLDFLAGS UCFLAGS ULDFLAGS ULIBS KSRCS \
	KTSRCS KOBJS KTOBJS KDOBJS LIBC_SRCS LIBC_OBJS CRT0 UPROGS UTEST_SRCS \
	UELFS BIN_ENTRIES QEMU_BASE APP_WARN APP_CBASE APP_CXXBASE HOST_CFLAGS \
	HOST_FUZZ_CFLAGS HOST_TOOLS_STAMP CFLAGS CXXFLAGS LDFLAGS CPPFLAGS \
	UHDRS_HIDDEN
$(foreach v,$(KEEL_INTERNAL_VARS),$(if $(filter command line,$(origin $(v))),\
	$(if $(filter 0,$(MAKELEVEL)),$(warning $(v) is Keel-internal: the \
	command-line value is ignored (use APP_CFLAGS/APP_LDFLAGS for make exec)))\
	$(eval override undefine $(v))))
CROSS := riscv64-unknown-elf-
CC := $(CROSS)gcc
CXX := $(CROSS)g++
OBJCOPY := $(CROSS)objcopy
QEMU := qemu-system-riscv64
B := build
NEWLIB := .cache/newlib/riscv64-unknown-elf
SETUP_STAMP := .cache/newlib/.built-v2

ARCH_FLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
# The multilib lookup does not match the _zicsr_zifencei spelling: name
# the rv64imac/lp64 libgcc explicitly.
LIBGCC = $(shell $(CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
KCFLAGS := -std=gnu11 -O2 -g $(ARCH_FLAGS) $(WARN) -ffreestanding -nostdlib \
	-fno-builtin -fno-stack-protector \
	-fno-pie -no-pie -DKEEL_KERNEL -I. -MMD -MP
KLDFLAGS := -nostdlib -static -T linker.ld -Wl,--no-warn-rwx-segments
UCFLAGS := -std=gnu11 -O2 -g $(ARCH_FLAGS) $(WARN) -ffreestanding \
	-Ilibc/include -isystem $(NEWLIB)/include -MMD -MP
ULDFLAGS := -nostdlib -nostartfiles -static -T libc/user.ld
# Recursive (=), like LIBGCC: on a fresh machine make reads this file
# before setup installs the cross gcc, so $(LIBGCC) may only be expanded
# when a link runs (tests/host/make_tests.sh).
ULIBS = -Wl,--start-group $(B)/libc/libkeel.a $(NEWLIB)/lib/libc.a \
	$(NEWLIB)/lib/libm.a $(LIBGCC) -Wl,--end-group

# Kernel sources: everything under kernel/ and board/ except the in-kernel
# tests, which only the test build links.
KSRCS := $(filter-out kernel/test/%,$(wildcard kernel/*/*.c kernel/*/*.S board/*.c))
KTSRCS := $(wildcard kernel/test/*.c)
KOBJS := $(patsubst %,$(B)/k/%.o,$(basename $(KSRCS)))
KTOBJS := $(patsubst %,$(B)/kt/%.o,$(basename $(KSRCS) $(KTSRCS)))
# The debug kernel (lock-order checks on) runs the user suite; `make run
# DEBUG=1` boots it too.
KDOBJS := $(patsubst %,$(B)/kd/%.o,$(basename $(KSRCS)))
DEBUG ?= 0
RUN_KERNEL := $(if $(filter 1,$(DEBUG)),$(B)/keel-debug.elf,$(B)/keel.elf)

LIBC_SRCS := $(wildcard libc/src/*.c libc/src/*.S)
LIBC_OBJS := $(patsubst %,$(B)/libc/%.o,$(basename $(filter-out libc/src/crt0.S,$(LIBC_SRCS))))
CRT0 := $(B)/libc/libc/src/crt0.o

# A program is user/NAME.c, or every .c file in a folder user/NAME/
# (user/tests is the utest suite, linked below).
UDIRS := $(filter-out tests,$(sort $(patsubst user/%/,%,$(dir $(wildcard user/*/*.c)))))
UPROGS := $(basename $(notdir $(wildcard user/*.c))) $(UDIRS)
UTEST_SRCS := $(wildcard user/tests/*.c)
UELFS := $(addprefix $(B)/user/,$(addsuffix .elf,$(UPROGS))) $(B)/user/utest.elf
BIN_ENTRIES = $(foreach p,$(UPROGS) utest,/bin/$(p)=$(B)/user/$(p).elf)

# The serial port on a stdio chardev with signal=off: ^C reaches the guest
# (the console's foreground program ends) instead of killing QEMU; mux=on
# keeps QEMU's escape keys, so Ctrl-A x leaves QEMU.
QEMU_SERIAL = -chardev stdio,id=con0,mux=on,signal=off -serial chardev:con0
# Under -icount on several harts, `make exec` bounds QEMU's turns between
# harts (the kernel's keel.turn_us; docs/realtime.md "Four harts under
# QEMU"); TURN_US=0 turns it off.
TURN_US ?= 10
QEMU_TURN = $(if $(findstring -icount,$(QEMU_EXTRA)),$(if $(filter-out 1,$(SMP)),-append keel.turn_us=$(TURN_US)))
QEMU_BASE = $(QEMU) -machine virt -bios default -m $(MEM) -smp $(SMP) \
	-nographic -monitor none $(QEMU_SERIAL)
TIMEOUT ?= 600

.PHONY: all setup run check bench debug exec exec-image exec-test clean help \
	host-test ktest utest FORCE utest-icount utest-rt console-test
all: $(B)/keel.elf $(B)/initrd.img

setup: $(SETUP_STAMP)
$(SETUP_STAMP):
	@bash scripts/setup.sh
# clang and its runtimes only for the host tests' fuzzer (make host-test).
HOST_TOOLS_STAMP := .cache/.host-tools-v1
$(HOST_TOOLS_STAMP):
	@bash scripts/setup.sh --host-tools

# ---- kernel ----
$(B)/k/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -c $< -o $@
$(B)/k/%.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -c $< -o $@
$(B)/kt/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -DKEEL_KTEST -DKEEL_LOCKCHECK -c $< -o $@
$(B)/kt/%.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -DKEEL_KTEST -DKEEL_LOCKCHECK -c $< -o $@
$(B)/kd/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -DKEEL_LOCKCHECK -c $< -o $@
$(B)/kd/%.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(KCFLAGS) -DKEEL_LOCKCHECK -c $< -o $@
$(B)/keel-debug.elf: $(KDOBJS) linker.ld
	@echo "  CC      $@"; $(CC) $(KCFLAGS) $(KLDFLAGS) $(KDOBJS) $(LIBGCC) -o $@
$(B)/keel.elf: $(KOBJS) linker.ld
	@echo "  CC      $@"; $(CC) $(KCFLAGS) $(KLDFLAGS) $(KOBJS) $(LIBGCC) -o $@
$(B)/keel-ktest.elf: $(KTOBJS) linker.ld
	@echo "  CC      $@"; $(CC) $(KCFLAGS) $(KLDFLAGS) $(KTOBJS) $(LIBGCC) -o $@

# ---- libc and user programs ----
# Keel's wrappers of newlib's internal headers are first read from inside
# newlib's own (system) headers, so -MMD leaves them out of the .d files:
# named here, a change to them rebuilds what includes them.
UHDRS_HIDDEN := libc/include/sys/features.h libc/include/sys/_pthreadtypes.h
$(B)/libc/%.o: %.c $(UHDRS_HIDDEN) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(UCFLAGS) -c $< -o $@
$(B)/libc/%.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(UCFLAGS) -c $< -o $@
$(B)/libc/libkeel.a: $(LIBC_OBJS)
	@rm -f $@; echo "  AR      $@"; $(CROSS)ar rcs $@ $^
$(B)/uobj/%.o: %.c $(UHDRS_HIDDEN) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(UCFLAGS) -c $< -o $@
$(B)/user/%.elf: $(B)/uobj/user/%.o $(CRT0) $(B)/libc/libkeel.a libc/user.ld
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(ARCH_FLAGS) $(ULDFLAGS) $(CRT0) $< $(ULIBS) -o $@
define UDIR_RULE
$(B)/user/$(1).elf: $(patsubst %.c,$(B)/uobj/%.o,$(wildcard user/$(1)/*.c)) $(CRT0) $(B)/libc/libkeel.a libc/user.ld
	@mkdir -p $$(@D)
	@echo "  CC      $$@"; $$(CC) $$(ARCH_FLAGS) $$(ULDFLAGS) $$(CRT0) $$(filter-out $$(CRT0),$$(filter %.o,$$^)) $$(ULIBS) -o $$@
endef
$(foreach d,$(UDIRS),$(eval $(call UDIR_RULE,$(d))))
$(B)/user/utest.elf: $(patsubst %.c,$(B)/uobj/%.o,$(UTEST_SRCS)) $(CRT0) $(B)/libc/libkeel.a libc/user.ld
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(ARCH_FLAGS) $(ULDFLAGS) $(CRT0) $(filter-out $(CRT0),$(filter %.o,$^)) $(ULIBS) -o $@

# docs/posix.md's program (tests/posix/posix_api.c): compiled and linked
# for the host-test layer, whose doc check compares it with posix.md.
# No builtins, so every call it makes stays a call to a linked function.
POSIX_API := $(B)/posix/posix_api.elf
POSIX_API_OBJS := $(patsubst %.c,$(B)/uobj/%.o,$(sort $(wildcard tests/posix/posix_api*.c)))
$(POSIX_API_OBJS): UCFLAGS += -fno-builtin
$(POSIX_API_OBJS): tests/posix/posix_api.h
$(POSIX_API): $(POSIX_API_OBJS) $(CRT0) $(B)/libc/libkeel.a libc/user.ld
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(ARCH_FLAGS) $(ULDFLAGS) $(CRT0) $(POSIX_API_OBJS) $(ULIBS) -o $@
host-test: $(POSIX_API)

# The chained user/%.c -> .o -> .elf objects are kept (as intermediates
# make would delete them, and the next `make` would build them again).
.SECONDARY: $(patsubst %,$(B)/uobj/user/%.o,$(UPROGS))

# ---- boot images ----
# What /bin holds, rewritten only when it changes: every image depends on
# it, so a user/*.c added or deleted rebuilds them (a deleted program's
# stale build/user/*.elf and .d files are then simply unused).
$(B)/bin.list: FORCE
	@mkdir -p $(@D)
	@echo '$(BIN_ENTRIES)' | cmp -s - $@ || echo '$(BIN_ENTRIES)' > $@
$(B)/initrd.img $(B)/initrd-utest.img $(B)/initrd-utest-only.img \
	$(B)/initrd-bench.img $(B)/initrd-bench-rt.img $(B)/initrd-icount.img \
	$(B)/initrd-ktest-match.img: \
	$(B)/bin.list
$(B)/mkinitrd: scripts/mkinitrd.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"; cc -O2 -Wall -o $@ $<
# The `make run` image also holds /etc/big (below), so /bin/utest typed
# at keel> finds every file it finds under make check.
$(B)/initrd.img: $(B)/mkinitrd $(UELFS) $(B)/big.dat
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /etc/big=$(B)/big.dat
$(B)/autorun-utest:
	@mkdir -p $(@D)
	echo "/bin/utest" > $@
# A boot-image file over 2 MiB for the ramfs size tests: 16-byte lines,
# line i holds i as 15 digits.
$(B)/big.dat:
	@mkdir -p $(@D)
	awk 'BEGIN { for (i = 0; i < 196608; i++) printf "%015d\n", i }' > $@
UTEST_FILES = $(BIN_ENTRIES) /etc/big=$(B)/big.dat
$(B)/initrd-utest.img: $(B)/mkinitrd $(UELFS) $(B)/autorun-utest $(B)/big.dat
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(UTEST_FILES) /etc/autorun=$(B)/autorun-utest
# `make utest T=GLOB[,GLOB...]` runs only the user tests matching one of
# the patterns (`T=cap_*`), `make utest ONLY=PREFIX` only those named
# PREFIX... (tests/select.h; docs/testing.md "Running some tests").
$(B)/initrd-utest-only.img: $(B)/mkinitrd $(UELFS) $(B)/big.dat FORCE
	@echo "/bin/utest $(if $(T),--match $(T),--only $(ONLY))" > $(B)/autorun-utest-only
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(UTEST_FILES) /etc/autorun=$(B)/autorun-utest-only
# `make ktest T=GLOB[,GLOB...]`: the test kernel reads the patterns from
# /etc/ktest-match.
$(B)/initrd-ktest-match.img: $(B)/mkinitrd $(UELFS) FORCE
	@echo "$(T)" > $(B)/ktest-match
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /etc/ktest-match=$(B)/ktest-match
FORCE:
# make bench's two images: every row on one hart, the real-time rows on
# four (scripts/bench.sh). Only they hold /bin/big3m, a program with 3 MiB
# of initialised data (the spawn_3m load).
$(B)/autorun-bench: Makefile
	@mkdir -p $(@D)
	echo "/bin/bench --irq" > $@
$(B)/autorun-bench-rt: Makefile
	@mkdir -p $(@D)
	echo "/bin/bench --rt --irq" > $@
BIG3M := $(B)/bench/big3m.elf
$(BIG3M): $(B)/uobj/tests/bench/big3m.o $(CRT0) $(B)/libc/libkeel.a libc/user.ld
	@mkdir -p $(@D)
	@echo "  CC      $@"; $(CC) $(ARCH_FLAGS) $(ULDFLAGS) $(CRT0) $< $(ULIBS) -o $@
$(B)/initrd-bench.img: $(B)/mkinitrd $(UELFS) $(BIG3M) $(B)/autorun-bench
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /bin/big3m=$(BIG3M) /etc/autorun=$(B)/autorun-bench
$(B)/initrd-bench-rt.img: $(B)/mkinitrd $(UELFS) $(BIG3M) $(B)/autorun-bench-rt
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /bin/big3m=$(BIG3M) /etc/autorun=$(B)/autorun-bench-rt

run: $(RUN_KERNEL) $(B)/initrd.img
	$(QEMU_BASE) -kernel $(RUN_KERNEL) -initrd $(B)/initrd.img

debug: $(B)/keel.elf $(B)/initrd.img
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb-multiarch -x scripts/gdbinit"
	$(QEMU_BASE) -kernel $(B)/keel.elf -initrd $(B)/initrd.img -s -S

# ---- your own program: make exec / scripts/keel-exec ----
# APP="a.c b.c" (or .cc/.cpp) is built as ordinary hosted C (C++): the
# project's warnings are shown but not fatal, falling off main returns 0.
# APP_CFLAGS / APP_LDFLAGS reach these files and this link only. The image
# holds every standard /bin program plus the app as /bin/<name> (named
# after the first file), started by init through /etc/autorun.
# scripts/keel-exec builds it (exec-image) and boots it; `make exec` just
# calls keel-exec (make turns any failure into status 2, so it prints the
# program's status; keel-exec itself exits with it).
APP_WARN := -Wall -Wextra -Wno-unused-parameter
APP_CBASE := -std=gnu11 -O2 -g $(ARCH_FLAGS) $(APP_WARN) \
	-Ilibc/include -isystem $(NEWLIB)/include
# No libstdc++ exists for riscv64-unknown-elf on Debian: C++ is the
# language plus the C library (no exceptions, RTTI, iostream or STL);
# libc/cxx/cxxrt.cc supplies new/delete and the ABI hooks g++ emits.
APP_CXXBASE := -std=gnu++17 -O2 -g $(ARCH_FLAGS) $(APP_WARN) -fno-exceptions \
	-fno-rtti -fno-threadsafe-statics -Ilibc/include -isystem $(NEWLIB)/include
# The program's /bin name: its first file's, cut to 31 bytes (a file
# name component's limit, NAME_MAX: a longer one would not be found).
APP_NAME = $(shell printf '%.31s' '$(basename $(notdir $(firstword $(APP))))')
APP_DIR = $(B)/exec/$(APP_NAME)
APP_CXX = $(filter %.cc %.cpp %.cxx %.C,$(APP))
APP_BIN = $(filter-out /bin/$(APP_NAME)=%,$(BIN_ENTRIES)) \
	/bin/$(APP_NAME)=$(APP_DIR)/app.elf /etc/autorun=$(APP_DIR)/autorun \
	/etc/autorun-front=$(APP_DIR)/autorun \
	$(if $(filter 1,$(EXEC_NOECHO)),/etc/autorun-noecho=$(APP_DIR)/autorun)
APP_RUNTIME = $(CRT0) $(B)/libc/libkeel.a libc/user.ld \
	$(if $(APP_CXX),$(B)/libc/cxx/cxxrt.o)

$(B)/libc/cxx/cxxrt.o: libc/cxx/cxxrt.cc | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CXX     $@"; $(CXX) $(APP_CXXBASE) -Werror -c $< -o $@

# The app is compiled on every call (it is small, and APP_CFLAGS may
# differ from the last run); Keel's own objects are made by their rules.
exec-image: $(B)/keel.elf $(B)/mkinitrd $(UELFS) $(APP_RUNTIME) FORCE
	@test -n "$(APP)" || { echo "usage: make exec APP=\"prog.c [more.c]\" [APP_CFLAGS=...]"; exit 2; }
	@test "$(APP_NAME)" != init || { echo "make exec: an app named init would replace /bin/init: rename it" >&2; exit 2; }
	@rm -rf $(APP_DIR) && mkdir -p $(APP_DIR)/obj
	@set -e; i=0; for src in $(APP); do \
		i=$$((i + 1)); obj=$(APP_DIR)/obj/$$i-$$(basename $$src).o; \
		case $$src in \
		*.cc|*.cpp|*.cxx|*.C) echo "  CXX     $$src"; \
			$(CXX) $(APP_CXXBASE) $(APP_CFLAGS) -c $$src -o $$obj ;; \
		*) echo "  CC      $$src"; \
			$(CC) $(APP_CBASE) $(APP_CFLAGS) -c $$src -o $$obj ;; \
		esac; done
	@echo "  LD      $(APP_DIR)/app.elf"; \
	$(if $(APP_CXX),$(CXX),$(CC)) $(ARCH_FLAGS) $(ULDFLAGS) $(CRT0) \
		$(APP_DIR)/obj/*.o $(if $(APP_CXX),$(B)/libc/cxx/cxxrt.o) \
		$(APP_LDFLAGS) $(ULIBS) -o $(APP_DIR)/app.elf
	@echo "/bin/$(APP_NAME) $(APP_ARGS)" > $(APP_DIR)/autorun
	@$(B)/mkinitrd $(APP_DIR)/initrd.img $(APP_BIN)
	@printf '%s\n' $(QEMU_BASE) $(QEMU_TURN) $(QEMU_EXTRA) -kernel $(B)/keel.elf \
		-initrd $(APP_DIR)/initrd.img > $(APP_DIR)/qemu-cmd

# make exec APP=path/to/prog.c [APP_ARGS=...] [SMP=n] [TIMEOUT=s] [V=1]: build, boot, run
# it, print its status (scripts/keel-exec exits with it).
exec:
	@test -n "$(APP)" || { echo 'usage: make exec APP="prog.c [more.c ...]" [APP_ARGS=...] [SMP=n] [TIMEOUT=s] [V=1] (make help)' >&2; exit 2; }
	@st=0; SMP=$(SMP) MEM=$(MEM) V=$(V) \
		TIMEOUT=$(if $(filter command line environment,$(origin TIMEOUT)),$(TIMEOUT)) \
		APP_CFLAGS='$(APP_CFLAGS)' APP_LDFLAGS='$(APP_LDFLAGS)' \
		QEMU_EXTRA='$(QEMU_EXTRA)' MAKE='$(MAKE)' scripts/keel-exec $(APP) $(if $(APP_ARGS),-- $(APP_ARGS)) || st=$$?; \
	if [ $$st -ne 0 ]; then echo "make exec: $(firstword $(APP)) exited with status $$st (make reports 2; scripts/keel-exec exits with $$st)" >&2; exit $$st; fi

# ---- tests ----
include tests/host/host.mk
$(HOST_FUZZ_BIN): | $(HOST_TOOLS_STAMP)

KTEST_IMG = $(if $(T),$(B)/initrd-ktest-match.img,$(B)/initrd.img)
ktest: $(B)/keel-ktest.elf $(KTEST_IMG)
	@bash scripts/run-qemu.sh "kernel suite (SMP=4$(if $(T),$(comma) T=$(T)))" $(TIMEOUT) \
		$(QEMU) -machine virt -bios default -m $(MEM) -smp 4 -nographic \
		-monitor none -serial stdio -kernel $(B)/keel-ktest.elf -initrd $(KTEST_IMG)

# The user suite runs on the debug kernel; `make utest UTEST_KERNEL=build/keel.elf`
# on the release one (make check does both).
UTEST_KERNEL ?= $(B)/keel-debug.elf
UTEST_IMG = $(B)/initrd-utest$(if $(T)$(ONLY),-only).img
utest: $(UTEST_KERNEL) $(UTEST_IMG)
	@bash scripts/run-qemu.sh "user suite (SMP=$(SMP), $(notdir $(UTEST_KERNEL))$(if $(T),$(comma) T=$(T),$(if $(ONLY),$(comma) ONLY=$(ONLY))))" $(TIMEOUT) \
		$(QEMU) -machine virt -bios default -m $(MEM) -smp $(SMP) -nographic \
		-monitor none -serial stdio -kernel $(UTEST_KERNEL) -initrd $(UTEST_IMG)

# The scheduling tests under instruction counting with the host's sleep
# off (virtual time runs only as guest code does: item 5's lost sleeper).
$(B)/autorun-icount: Makefile
	@mkdir -p $(@D)
	echo "/bin/utest --match sched_*" > $@
$(B)/initrd-icount.img: $(B)/mkinitrd $(UELFS) $(B)/autorun-icount
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /etc/autorun=$(B)/autorun-icount
utest-icount: $(B)/keel-debug.elf $(B)/initrd-icount.img
	@bash scripts/run-qemu.sh "sched tests (SMP=4, icount)" $(TIMEOUT) \
		$(QEMU) -machine virt -bios default -m $(MEM) -smp 4 -nographic \
		-monitor none -serial stdio -icount shift=0,sleep=off \
		-kernel $(B)/keel-debug.elf -initrd $(B)/initrd-icount.img

# The recorded latency bounds (issue 8 items 1, 2: user/tests/t_rtbound.c)
# where they are exact: one hart under instruction counting, so a hart's
# interrupts-off stretch is its own instruction count, whatever the host.
$(B)/autorun-rt: Makefile
	@mkdir -p $(@D)
	echo "/bin/utest --match rt_*" > $@
$(B)/initrd-rt.img: $(B)/mkinitrd $(UELFS) $(B)/autorun-rt
	@echo "  INITRD  $@"; $(B)/mkinitrd $@ $(BIN_ENTRIES) /etc/autorun=$(B)/autorun-rt
utest-rt: $(B)/keel-debug.elf $(B)/initrd-rt.img
	@bash scripts/run-qemu.sh "latency bounds (SMP=1, icount)" $(TIMEOUT) \
		$(QEMU) -machine virt -bios default -m $(MEM) -smp 1 -nographic \
		-monitor none -serial stdio -icount shift=0,sleep=off \
		-kernel $(B)/keel-debug.elf -initrd $(B)/initrd-rt.img

# scripts/keel-exec and make exec driven as a user would (one boot each).
exec-test: $(B)/keel.elf $(B)/initrd.img
	@sh scripts/run-layer.sh "exec tests" bash tests/host/exec_tests.sh

# The console test: tests/console/console-test drives `make run` through
# a pseudo-terminal with the scenarios tests/console/*.scn
# (docs/testing.md "Console tests"); CONSOLE_SCN= picks other files.
CONSOLE_SCN ?= $(sort $(wildcard tests/console/*.scn))
$(B)/console-test: tests/console/console-test.c tests/console/scn.c tests/console/scn.h
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"; cc -O2 -Wall -Wextra -Werror -o $@ tests/console/console-test.c tests/console/scn.c
console-test: $(B)/console-test $(RUN_KERNEL) $(B)/initrd.img
	@sh scripts/run-layer.sh "console test" \
		$(B)/console-test $(CONSOLE_SCN) -- $(MAKE) --no-print-directory run

# Every layer runs, even after a failed one; each ends with its own
# summary (failing tests named), and scripts/check-summary.sh prints the
# overall one last and gives the verdict.
CHECK_SUM := $(B)/check-summary.txt
CHECK_LAYER = sh scripts/check-layer.sh $(CHECK_SUM) $(MAKE) --no-print-directory
check: $(SETUP_STAMP)
	@mkdir -p $(B) && rm -f $(CHECK_SUM)
	@$(CHECK_LAYER) host-test
	@$(CHECK_LAYER) ktest
	@$(CHECK_LAYER) utest SMP=4
	@$(CHECK_LAYER) utest SMP=1
	@$(CHECK_LAYER) utest SMP=4 UTEST_KERNEL=$(B)/keel.elf
	@$(CHECK_LAYER) utest SMP=2 T=mm_brk_enomem_tlb
	@$(CHECK_LAYER) utest-icount
	@$(CHECK_LAYER) utest-rt
	@$(CHECK_LAYER) console-test
	@$(CHECK_LAYER) exec-test
	@sh scripts/check-summary.sh $(CHECK_SUM)

# Two boots under -icount shift=0,sleep=off: one hart (MEM) for every
# row, four harts (BENCH_MEM4) for the real-time rows; scripts/bench.sh
# answers the irq_latency row's prompts and prints both columns.
BENCH_MEM4 ?= 1G
bench: $(B)/keel.elf $(B)/initrd-bench.img $(B)/initrd-bench-rt.img
	@QEMU=$(QEMU) MEM=$(MEM) MEM4=$(BENCH_MEM4) TIMEOUT=$(TIMEOUT) \
		bash scripts/bench.sh $(B)/keel.elf $(B)/initrd-bench.img \
		$(B)/initrd-bench-rt.img

clean:
	rm -rf $(B)

# One line per target; a new target adds its line here.
help:
	@echo 'Targets (make TARGET [VAR=value ...]):'
	@echo '  all (default)  build the kernel build/keel.elf and the boot image build/initrd.img'
	@echo '  run            boot to the keel> shell in QEMU; DEBUG=1: the debug kernel'
	@echo '  exec           APP="prog.c [more.c]": build your program, boot, run it as /bin/<name> (scripts/keel-exec)'
	@echo '  exec-image     build the make exec image only (build/exec/<name>/), as scripts/keel-exec does'
	@echo '  check          every test layer below, in order; fails if any fails'
	@echo '  host-test      host unit tests (ASan/UBSan), the docs table check and a bounded libFuzzer run'
	@echo '  ktest          the in-kernel suite (test kernel, 4 harts); T=GLOB[,GLOB] runs the matching tests alone'
	@echo '  utest          the user suite (/bin/utest); T=GLOB[,GLOB] or ONLY=PREFIX for some tests, UTEST_KERNEL= another kernel'
	@echo '  utest-icount   the scheduling tests under instruction counting'
	@echo '  utest-rt       the latency-bound tests, one hart, instruction counting'
	@echo '  console-test   keystrokes into make run through a pseudo-terminal (tests/console/*.scn; CONSOLE_SCN=)'
	@echo '  exec-test      scripts/keel-exec and make exec driven as a user would (tests/host/exec_tests.sh)'
	@echo '  bench          instruction counts per operation and the real-time rows on 1 and 4 harts (docs/performance.md)'
	@echo '  debug          boot with QEMU waiting for gdb-multiarch -x scripts/gdbinit on :1234'
	@echo '  setup          install the Debian packages and build newlib once (scripts/setup.sh; runs by itself;'
	@echo '                 clang only when the host tests first need it: scripts/setup.sh --host-tools)'
	@echo '  host-fuzz      the cap_table fuzzer alone'
	@echo '  clean          remove build/ (the newlib cache in .cache/ stays)'
	@echo '  help           this list'
	@echo 'Variables: SMP=1..8 (harts, default 4), MEM=256M, DEBUG=1, TIMEOUT=seconds,'
	@echo '  APP, APP_ARGS, APP_CFLAGS, APP_LDFLAGS, QEMU_EXTRA, V=1 (make exec: show the boot log too), T=GLOB, ONLY=PREFIX'

-include $(shell find $(B) -name '*.d' 2>/dev/null)
