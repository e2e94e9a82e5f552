#!/usr/bin/env bash
# Drives scripts/keel-exec (and `make exec`) the way a user does, on the
# programs in tests/host/exec/: hosted C, exit statuses, output filtering,
# several files, APP_CFLAGS, spawning /bin programs, piped stdin, TIMEOUT,
# C++. Run from the repo root by `make exec-test` (a layer of make check);
# prints "ok NAME" / "FAIL NAME" per test and "P passed, F failed" last,
# exits 1 on a failure. Each test boots QEMU once (a few seconds).
set -u
# make as a user types it: not as a sub-make of the make running this
# (whose jobserver would make `make -j2` here warn on stderr).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
ke=$top/scripts/keel-exec
d=tests/host/exec
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exec-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() {
    echo "ok   $1"
    passed=$((passed + 1))
}
bad() {
    echo "FAIL $1: $2"
    echo "     stdout: $(head -c 600 "$tmp/out" | od -c | head -n 12)"
    echo "     stderr: $(tail -n 12 "$tmp/err")"
    failed=$((failed + 1))
}
# run NAME [ENV=VALUE ...] -- keel-exec ARGS: stdout, stderr, status in $tmp
run() {
    local envs=()
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    env ${envs[@]+"${envs[@]}"} "$ke" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
}
# expect NAME STATUS EXACT-STDOUT (printf format, no trailing newline added)
expect() {
    local want
    want=$(printf "$3"; echo x)
    want=${want%x}
    local got
    got=$(cat "$tmp/out"; echo x)
    got=${got%x}
    if [ "$rc" != "$2" ]; then
        bad "$1" "status $rc, expected $2"
    elif [ "$got" != "$want" ]; then
        bad "$1" "output differs from $(printf '%q' "$want")"
    else
        ok "$1"
    fi
}

# Hosted C: falling off main is status 0; an unused variable only warns.
run -- $d/fall_off_main.c
if ! grep -q "warning: unused variable 'unused'" "$tmp/err"; then
    bad exec_unused_variable_warns "no unused-variable warning on stderr"
else
    ok exec_unused_variable_warns
fi
expect exec_fall_off_main_is_0 0 'fell off main\n'

# exit(7): status 7; the last line has no newline and the kernel's
# poweroff line, which follows it on the same line, is still dropped.
run -- $d/exit7.c
expect exec_exit_7 7 'line one\nno newline'

# A program whose name is longer than a file name may be (31 bytes) runs
# as /bin/<its first 31 bytes> (init could not find the whole name: 127).
long=$tmp/a_program_named_longer_than_thirty_one_bytes.c
cp $d/exit7.c "$long"
run -- "$long"
expect exec_long_program_name 7 'line one\nno newline'

# Killed by a store fault: 128 + SIGSEGV; the kernel's line says why.
run -- $d/fault.c
if [ "$rc" = 139 ] && grep -q '^about to fault$' "$tmp/out" &&
    grep -q 'killed by signal 11' "$tmp/out" && ! grep -q 'still alive' "$tmp/out"; then
    ok exec_fault_is_128_plus_signal
else
    bad exec_fault_is_128_plus_signal "status $rc, expected 139 and the fault line"
fi

# Only the program's output: no firmware banner, boot log, marker,
# poweroff line or CR; V=1 shows them (CR still stripped).
run -- user/hello.c
if [ "$rc" = 0 ] && grep -q '^Hello from Keel!$' "$tmp/out" &&
    ! grep -q -e OpenSBI -e 'Keel booting' -e 'keel: hart' -e 'init: autorun' \
        -e 'keel: poweroff' "$tmp/out" && ! grep -q $'\r' "$tmp/out" &&
    [ "$(head -n 1 "$tmp/out")" = 'Hello from Keel!' ]; then
    ok exec_output_no_banner_no_cr
else
    bad exec_output_no_banner_no_cr "banner, boot log or CR in the output"
fi
run V=1 -- user/hello.c
if [ "$rc" = 0 ] && grep -q OpenSBI "$tmp/out" && grep -q 'Keel booting' "$tmp/out" &&
    grep -q '^keel: poweroff, status 0$' "$tmp/out" && ! grep -q $'\r' "$tmp/out"; then
    ok exec_verbose_shows_everything
else
    bad exec_verbose_shows_everything "V=1 lacks the banner or the poweroff line"
fi

# Two files make one program named after the first; arguments after --.
run -- $d/two_main.c $d/two_lib.c
expect exec_two_files 3 'sum 42\n'
run -- user/hello.c -- one two
if [ "$rc" = 0 ] && grep -q '^argv\[2\] = "two"$' "$tmp/out"; then
    ok exec_arguments
else
    bad exec_arguments "argv[2] is not \"two\""
fi

# APP_CFLAGS reaches the app only; neither it nor a caller's WARN= on
# make's command line rebuilds the kernel, libc or /bin/init.
stamp() {
    stat -c '%n %Y.%y' build/keel.elf build/libc/libkeel.a build/user/init.elf \
        build/user/sh.elf build/k/kernel/arch/main.o build/libc/libc/src/start.o 2>&1
}
before=$(stamp)
run APP_CFLAGS=-DX=5 -- $d/define_x.c
expect exec_app_cflags 5 'X=5\n'
make --no-print-directory exec APP=$d/define_x.c APP_CFLAGS=-DX=6 \
    WARN=-DKEEL_BROKEN_BY_CALLER UCFLAGS=-DKEEL_BROKEN_BY_CALLER \
    >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
after=$(stamp)
if [ "$before" != "$after" ]; then
    bad exec_flags_leave_keel_objects "Keel objects rebuilt: $after"
elif [ "$rc" != 2 ] || ! grep -q '^X=6$' "$tmp/out" ||
    ! grep -q 'exited with status 6' "$tmp/err"; then
    bad exec_flags_leave_keel_objects "make exec: status $rc, expected 2 and 'exited with status 6'"
else
    ok exec_flags_leave_keel_objects
fi
# APP_LDFLAGS reaches the app's link (without it the symbol is missing).
run APP_LDFLAGS=-Wl,--defsym=exec_ld_marker=0x1234 -- $d/ldflags.c
expect exec_app_ldflags 0 'marker 1234\n'

# make's own view of its variables (-p, nothing run): the caller's WARN=
# and UCFLAGS= are not in Keel's flags.
vars=$(make -pqn WARN=-DKEEL_BROKEN_BY_CALLER UCFLAGS=-DKEEL_BROKEN_BY_CALLER \
    CC=broken-cc all 2>/dev/null | grep -E '^(WARN|KCFLAGS|UCFLAGS|CC) :?= ')
if [ "$(printf '%s\n' "$vars" | grep -c '^KCFLAGS := .*-Werror')" != 1 ]; then
    bad exec_caller_flags_ignored "no KCFLAGS with -Werror in make -p"
elif printf '%s\n' "$vars" | grep -q -e KEEL_BROKEN_BY_CALLER -e broken-cc; then
    bad exec_caller_flags_ignored "caller's flags in Keel's: $vars"
else
    ok exec_caller_flags_ignored
fi
run -- $d/define_x.c
expect exec_app_cflags_not_sticky 99 'X=99\n'

# The image holds the standard /bin programs: the app spawns /bin/true,
# and /bin/sh (a multi-file program) with a line spawning /bin/true.
run -- $d/spawn_true.c
expect exec_spawn_bin_true 0 'true -> 0\nsh -> 4\n'

# 64 KiB through the console's transmit ring: every byte in order, the
# crashing child's line and the kernel's line for it in their place, the
# last line (no newline) flushed before the exit status.
run -- $d/console_bulk.c
awk 'BEGIN { for (i = 0; i < 1024; i++) { s = sprintf("%04d ", i);
    for (j = 0; j < 58; j++) s = s sprintf("%c", 97 + (i + j) % 26); print s } }' \
    >"$tmp/want"
echo end >>"$tmp/want" # grep ends its last line with a newline
if [ "$rc" != 5 ]; then
    bad exec_console_bulk_order "status $rc, expected 5"
elif [ "$(tail -c 4 "$tmp/out" | od -An -c | tr -d ' ')" != '\nend' ]; then
    bad exec_console_bulk_order "the output does not end in the unterminated line 'end'"
elif ! grep -v -e '^crash: writing to a kernel address$' -e 'killed by signal 11' \
    "$tmp/out" | cmp -s - "$tmp/want"; then
    bad exec_console_bulk_order "the 1024 lines and 'end' are not all there in order"
elif [ "$(sed -n '512p' "$tmp/out")" != "$(sed -n '512p' "$tmp/want")" ] ||
    ! sed -n '513p' "$tmp/out" | grep -q '^crash: writing' ||
    ! sed -n '514p' "$tmp/out" | grep -q '(crash) killed by signal 11'; then
    bad exec_console_bulk_order "the child's and the kernel's lines are not after line 511"
else
    ok exec_console_bulk_order
fi

# Piped stdin: the program reads the bytes, then EOF (last read 0); with
# and without a final newline, and with nothing at all.
printf 'hello\nworld\n' | "$ke" $d/read_stdin.c >"$tmp/out" 2>"$tmp/err"
rc=$?
expect exec_stdin_pipe_then_eof 0 'bytes 12 lines 2 sum 2728214711924645424 last 0\n'
printf 'abc' | "$ke" $d/read_stdin.c >"$tmp/out" 2>"$tmp/err"
rc=$?
expect exec_stdin_no_final_newline 0 'bytes 3 lines 0 sum 96354 last 0\n'
# 5000 lines (23897 bytes, far more than the console's ring) arrive whole;
# a ^A (QEMU's escape key on a terminal) is an ordinary byte here.
{ seq 1 5000; printf 'a\001x\n'; } | "$ke" $d/read_stdin.c >"$tmp/out" 2>"$tmp/err"
rc=$?
want=$({ seq 1 5000; printf 'a\001x\n'; } | perl -e 'use integer; local $/; my $d = <STDIN>;
    my $s = 0; $s = $s * 31 + ord for split //, $d;
    printf "bytes %d lines %d sum %u last 0\n", length $d, ($d =~ tr/\n//), $s'
)
expect exec_stdin_large_pipe 0 "$want\n"
run -- $d/read_stdin.c
expect exec_stdin_empty 0 'bytes 0 lines 0 sum 0 last 0\n'

# TIMEOUT stops a program that never ends: status 124 and a message
# (whether it had started by then depends on the host's load: not checked).
run TIMEOUT=4 -- $d/loop.c
if [ "$rc" = 124 ] && grep -q 'timed out after 4s' "$tmp/err"; then
    ok exec_timeout_124
else
    bad exec_timeout_124 "status $rc, expected 124"
fi

# On a terminal (a pseudo-terminal, driven by the console test's
# build/console-test): a prompt without a newline shows, typed input
# reaches the program, ^C ends a program in front (status 130).
terminal() { # SCENARIO PROGRAM
    local out
    out=$(build/console-test -t 120 "$d/$1" -- "$ke" "$d/$2" 2>&1)
    printf '%s\n' "$out" | grep -E '^(ok|FAIL) '
    local sum p f
    sum=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$sum" ]; then
        printf '%s\n' "$out" | tail -n 20
        echo "FAIL $1: no summary from build/console-test"
        failed=$((failed + 1))
        return
    fi
    p=${sum%% passed*}
    f=${sum#*passed, }
    f=${f%% failed}
    [ "$f" = 0 ] || printf '%s\n' "$out" | grep -v -E '^(ok|FAIL) ' | tail -n 20
    passed=$((passed + p))
    failed=$((failed + f))
}
if make -s build/console-test >"$tmp/out" 2>&1; then
    terminal terminal_ask.scn ask_name.c
    terminal terminal_intr.scn intr_loop.c
else
    cat "$tmp/out"
    echo "FAIL exec_terminal: build/console-test did not build"
    failed=$((failed + 1))
fi

# A build error is status 125 with the compiler's message.
printf 'int main(void) { return undeclared; }\n' >"$tmp/broken.c"
run -- "$tmp/broken.c"
if [ "$rc" = 125 ] && grep -q "'undeclared' undeclared" "$tmp/err"; then
    ok exec_build_error_125
else
    bad exec_build_error_125 "status $rc, expected 125"
fi

# C++ without libstdc++: classes, virtuals, new/delete, static objects.
run -- $d/hello_cxx.cc
expect exec_cxx 0 'area 12 twice 14 global 42\ncounter 2\nglobal destructor\n'
run -- $d/cxx_keel_headers.cc
expect exec_cxx_keel_headers 0 'thread 42 prio max 63 keel calls ok\n'

# A second `make` has nothing to do (the chained user objects are kept,
# set-up's stamp is the one scripts/setup.sh writes).
# (the /bin programs' objects and ELFs built afresh, as after make clean)
rm -f build/uobj/user/*.o build/uobj/user/*.d build/user/*.elf
make -s -j2 all >"$tmp/out" 2>"$tmp/err"
make --no-print-directory -j2 all >"$tmp/out" 2>"$tmp/err"
if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
    bad make_twice_builds_nothing "the second make all did something"
elif make -n all 2>&1 | grep -q setup.sh; then
    make -n all >"$tmp/out" 2>&1
    bad make_twice_builds_nothing "set-up would run again (its stamp is not the one make checks)"
else
    ok make_twice_builds_nothing
fi

# A user/*.c added appears in /bin; deleted, it leaves /bin (its stale
# build/user/*.elf and .d files notwithstanding).
probe=user/zz_exec_test_probe.c
trap 'rm -rf "$tmp"; rm -f "$top/$probe"' EXIT
printf '/* exec_tests.sh probe */\nint main(void) { return 0; }\n' >"$probe"
make -s -j2 all >"$tmp/out" 2>"$tmp/err"
grep -a -q /bin/zz_exec_test_probe build/initrd.img
added=$?
rm -f "$probe"
make -s -j2 all >"$tmp/out" 2>>"$tmp/err"
grep -a -q /bin/zz_exec_test_probe build/initrd.img
gone=$?
if [ "$added" = 0 ] && [ "$gone" = 1 ]; then
    ok deleted_user_program_leaves_bin
else
    bad deleted_user_program_leaves_bin "in /bin after adding: $added (0 = yes), after deleting: $gone (1 = no)"
fi

# scripts/setup.sh with fake id/dpkg-query/apt-get/sudo first on PATH
# (every package missing): as root it calls apt-get itself, as a user
# through sudo (DEBIAN_FRONTEND kept inside it), without sudo it says what
# to run; clang only with --host-tools.
fake=$tmp/fakebin
mkdir -p "$fake"
printf '#!/bin/sh\n[ "$1" = -u ] && echo "$FAKE_UID"\n' >"$fake/id"
printf '#!/bin/sh\nexit 1\n' >"$fake/dpkg-query"
printf '#!/bin/sh\necho "apt-get $*" >>"$FAKE_LOG"\n' >"$fake/apt-get"
printf '#!/bin/sh\necho "sudo $1 $2" >>"$FAKE_LOG"\nexec "$@"\n' >"$fake/sudo"
chmod +x "$fake"/*
setup() { # UID SUDO(0/1) ARGS...: log in $tmp/setup.log, status in rc
    local uid=$1 sudo=$2
    shift 2
    : >"$tmp/setup.log"
    [ "$sudo" = 1 ] || mv "$fake/sudo" "$fake/nosudo" 2>/dev/null
    FAKE_UID=$uid FAKE_LOG=$tmp/setup.log PATH="$fake:$PATH" \
        bash scripts/setup.sh "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ -e "$fake/nosudo" ] && mv "$fake/nosudo" "$fake/sudo"
}
setup 0 0
if [ "$rc" = 0 ] && grep -q '^apt-get update' "$tmp/setup.log" &&
    grep -q '^apt-get install .*gcc-riscv64-unknown-elf' "$tmp/setup.log" &&
    ! grep -q -e '^sudo' -e clang "$tmp/setup.log"; then
    ok setup_root_without_sudo
else
    bad setup_root_without_sudo "status $rc, calls: $(tr '\n' ';' <"$tmp/setup.log")"
fi
setup 1000 1
if [ "$rc" = 0 ] && grep -q '^sudo apt-get update' "$tmp/setup.log" &&
    grep -q '^sudo env DEBIAN_FRONTEND=noninteractive' "$tmp/setup.log" &&
    grep -q '^apt-get install .*qemu-system-misc' "$tmp/setup.log"; then
    ok setup_user_with_sudo
else
    bad setup_user_with_sudo "status $rc, calls: $(tr '\n' ';' <"$tmp/setup.log")"
fi
setup 1000 0
if [ "$rc" != 0 ] && [ ! -s "$tmp/setup.log" ] && grep -q 'no sudo: as root, run  apt-get install' "$tmp/err"; then
    ok setup_user_without_sudo_says_what_to_run
else
    bad setup_user_without_sudo_says_what_to_run "status $rc, calls: $(tr '\n' ';' <"$tmp/setup.log")"
fi
setup 0 0 --host-tools
if [ "$rc" = 0 ] && grep -q '^apt-get install .*clang libclang-rt-14-dev' "$tmp/setup.log" &&
    ! grep -q riscv "$tmp/setup.log"; then
    ok setup_clang_only_for_host_tools
else
    bad setup_clang_only_for_host_tools "status $rc, calls: $(tr '\n' ';' <"$tmp/setup.log")"
fi

# make help has a line for every .PHONY target (but the internal FORCE
# and *-build helpers).
missing=""
help=$(make --no-print-directory help 2>/dev/null)
for t in $(make -pqn 2>/dev/null | sed -n 's/^\.PHONY: //p'); do
    case $t in FORCE | *-build) continue ;; esac
    printf '%s\n' "$help" | grep -q "^  $t[ (]" || missing="$missing $t"
done
if [ -z "$help" ] || [ -n "$missing" ]; then
    echo "     (make help lacks:${missing:- everything})" >"$tmp/err"
    : >"$tmp/out"
    bad make_help_lists_every_target "no help line for:${missing:- (no help output)}"
else
    ok make_help_lists_every_target
fi

# A program that never calls pthread_cancel links no thread code: the
# cancellation points in read, write, waitpid, nanosleep, ... reach
# cancel.c only through the hook pthread_cancel sets (internal.h). Without
# it /bin/true grew from 5 to 13 KiB of text and spawn_wait by 17%
# (docs/performance.md "Kernel-object rows"). Nor does the fork() every
# program links reach atfork.c (and the mutex code pthread_atfork uses)
# unless pthread_atfork is called: with it /bin/true grew from 5.4 to 9.2
# KiB and spawn_wait by 5%.
make --no-print-directory build/user/true.elf >"$tmp/out" 2>"$tmp/err"
if riscv64-unknown-elf-nm build/user/true.elf >"$tmp/out" 2>"$tmp/err" &&
    ! grep -Eq ' T (pthread_create|pthread_exit|pthread_cancel|pthread_atfork|pthread_mutex_lock)$' "$tmp/out"; then
    ok exec_true_links_no_thread_code
else
    bad exec_true_links_no_thread_code "build/user/true.elf defines thread code"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
