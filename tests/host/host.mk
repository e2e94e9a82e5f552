# Host unit tests of the pure kernel modules, built with the host cc under
# ASan/UBSan. Included by the top-level Makefile, or used alone:
#   make -f tests/host/host.mk host-test
# Paths are relative to the repo root (make runs there).
#
# Each tests/host/test_<x>.c becomes build/host/test_<x>, linked with the
# module sources listed in HOST_SRCS_test_<x>.

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

HOST_TEST_NAMES := $(basename $(notdir $(wildcard tests/host/test_*.c)))
HOST_TEST_BINS := $(addprefix $(HOST_BUILD)/,$(HOST_TEST_NAMES))
# Coarse header dependencies: any header a test or module may include.
HOST_TEST_HDRS := $(wildcard tests/host/*.h kernel/include/*.h \
	kernel/*/*.h board/*.h libc/include/keel/*.h)

define HOST_TEST_RULE
$(HOST_BUILD)/$(1): tests/host/$(1).c $$(HOST_SRCS_$(1)) $$(HOST_TEST_HDRS)
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(HOST_CFLAGS) -o $$@ tests/host/$(1).c $$(HOST_SRCS_$(1))
endef
$(foreach t,$(HOST_TEST_NAMES),$(eval $(call HOST_TEST_RULE,$(t))))

.PHONY: host-test host-test-build
host-test-build: $(HOST_TEST_BINS)

host-test: host-test-build
	@sh scripts/host-test.sh $(HOST_TEST_BINS)

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
