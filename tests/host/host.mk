# Host unit tests of the pure kernel modules, built with the host cc under
# ASan/UBSan. Included by the top-level Makefile, or used alone:
#   make -f tests/host/host.mk host-test
# Paths are relative to the repo root (make runs there).
#
# Each tests/host/test_<x>.c becomes build/host/test_<x>, linked with the
# module sources listed in HOST_SRCS_test_<x>.
#
# host-test also runs tests/host/doc_tests.sh (the issue 6 table of
# docs/testing.md names only tests that exist, one row per item, sorted;
# docs/posix.md matches tests/posix/posix_api.c, whose program the
# top-level Makefile builds for host-test)
# and the cap_table fuzzer (tests/host/fuzz_captable.c,
# built with clang's libFuzzer) for a bounded number of iterations via
# tests/host/fuzz.sh; it counts as one test in the final summary line.
# `make -f tests/host/host.mk host-fuzz` runs the fuzzer alone.

HOST_SAVED_GOAL := $(.DEFAULT_GOAL)

HOST_CC ?= cc
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I.
HOST_BUILD := build/host

HOST_SRCS_test_pool := kernel/mm/pool.c
HOST_SRCS_test_elf := kernel/proc/elf.c
HOST_SRCS_test_path := kernel/fs/path.c
HOST_SRCS_test_fdt := board/fdt.c
HOST_SRCS_test_fdt_hand := board/fdt.c
HOST_SRCS_test_bootargs := board/fdt.c
HOST_SRCS_test_captable := kernel/cap/cap_table.c
HOST_SRCS_test_initrd := kernel/fs/initrd_rec.c
HOST_SRCS_test_timerq := kernel/sched/timerq.c

HOST_TEST_NAMES := $(basename $(notdir $(wildcard tests/host/test_*.c)))
HOST_TEST_BINS := $(addprefix $(HOST_BUILD)/,$(HOST_TEST_NAMES))
# Coarse header dependencies: any header a test or module may include.
HOST_TEST_HDRS := $(wildcard tests/*.h tests/host/*.h kernel/include/*.h \
	kernel/*/*.h board/*.h libc/include/keel/*.h)

define HOST_TEST_RULE
$(HOST_BUILD)/$(1): tests/host/$(1).c $$(HOST_SRCS_$(1)) $$(HOST_TEST_HDRS)
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(HOST_CFLAGS) -o $$@ tests/host/$(1).c $$(HOST_SRCS_$(1))
endef
$(foreach t,$(HOST_TEST_NAMES),$(eval $(call HOST_TEST_RULE,$(t))))

# The fuzzer: clang + libFuzzer. The invariant checker, run after every
# step, is left out of the coverage instrumentation (it is the oracle, and
# its compares would cost most of the time).
HOST_FUZZ_CC ?= clang
HOST_FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fsanitize-coverage-ignorelist=tests/host/fuzz_captable.ignorelist -I.
HOST_FUZZ_BIN := $(HOST_BUILD)/fuzz_captable
HOST_FUZZ_SRCS := tests/host/fuzz_captable.c kernel/cap/cap_table.c
# Bounds of one run (about 30 s on 2 cores; the time cap is a safety net).
HOST_FUZZ_RUNS ?= 200000
HOST_FUZZ_MAX_LEN ?= 512
HOST_FUZZ_MAX_TIME ?= 55
HOST_FUZZ_SEED ?= 0
HOST_FUZZ_ENV := HOST_FUZZ_BIN=$(HOST_FUZZ_BIN) \
	HOST_FUZZ_CORPUS=tests/host/corpus/captable \
	HOST_FUZZ_WORK=$(HOST_BUILD)/fuzz_captable.work \
	HOST_FUZZ_RUNS=$(HOST_FUZZ_RUNS) HOST_FUZZ_MAX_LEN=$(HOST_FUZZ_MAX_LEN) \
	HOST_FUZZ_MAX_TIME=$(HOST_FUZZ_MAX_TIME) HOST_FUZZ_SEED=$(HOST_FUZZ_SEED)

$(HOST_FUZZ_BIN): $(HOST_FUZZ_SRCS) tests/host/fuzz_captable.ignorelist \
		$(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_FUZZ_CC) $(HOST_FUZZ_CFLAGS) -o $@ $(HOST_FUZZ_SRCS)

# The console driver (tests/console/console-test.c) under the sanitizers,
# for its self-test tests/host/console_selftest.sh (against a fake
# console, no QEMU); make console-test builds its own copy.
HOST_CONSOLE_TEST := $(HOST_BUILD)/console-test
$(HOST_CONSOLE_TEST): tests/console/console-test.c tests/console/scn.c \
		tests/console/scn.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/console/console-test.c \
		tests/console/scn.c

.PHONY: host-test host-test-build host-fuzz host-fuzz-build
host-test-build: $(HOST_TEST_BINS) $(HOST_CONSOLE_TEST)
host-fuzz-build: $(HOST_FUZZ_BIN)

# Unit tests first, then the doc check and the fuzzer; one summary line
# for all of them.
host-test: host-test-build host-fuzz-build
	@$(HOST_FUZZ_ENV) sh scripts/run-layer.sh "host unit tests" \
		sh scripts/host-test.sh $(HOST_TEST_BINS) \
		tests/host/doc_tests.sh tests/host/make_tests.sh \
		tests/host/console_selftest.sh \
		tests/host/fuzz.sh

host-fuzz: host-fuzz-build
	@$(HOST_FUZZ_ENV) sh tests/host/fuzz.sh

# Keep the includer's default goal; alone, default to host-test.
ifeq ($(HOST_SAVED_GOAL),)
ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := host-test
else
.DEFAULT_GOAL :=
endif
else
.DEFAULT_GOAL := $(HOST_SAVED_GOAL)
endif
