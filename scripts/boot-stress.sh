#!/usr/bin/env bash
# boot-stress.sh [N]: boots Keel N times (default 300) at 4 harts and
# checks every boot (issue 6 item 3: a secondary hart must never run the
# boot path again, whatever the firmware does). Not part of `make check`
# (about 1 s per boot on an idle host; see docs/testing.md).
#
# Each boot runs the release kernel (KERNEL=, default build/keel.elf) with
# the normal boot image and passes once the log shows, in any order:
#   - "Keel booting on hart" exactly once (kmain ran once),
#   - "keel: hart H online" for 4 distinct harts,
#   - "init: starting /bin/sh" (the first process ran: page allocator,
#     ramfs and loader work after boot), or, for the test kernel
#     (KERNEL=build/keel-ktest.elf, which also sends a hart through _start
#     on every boot), its summary "N passed, 0 failed";
# it fails at once on "PANIC" or "killed by signal" in the log, or when
# QEMU exits. A boot that shows neither after HANG_S seconds (default 60)
# counts as hung (a safety net for a wedged guest, not a timing check).
# QEMU is then stopped (only the one this script started). Logs of failed
# boots are kept in $OUT (default build/boot-stress).
set -u
n=${1:-300}
kernel=${KERNEL:-build/keel.elf}
initrd=${INITRD:-build/initrd.img}
hang=${HANG_S:-60}
out=${OUT:-build/boot-stress}
harts=4
mkdir -p "$out"
for f in "$kernel" "$initrd"; do
    [ -f "$f" ] || { echo "boot-stress: $f missing (run make first)"; exit 2; }
done

# Judges a log: prints ok, fail:WHY or wait.
judge() {
    local log=$1
    if grep -q 'PANIC' "$log"; then echo "fail:panic"; return; fi
    if grep -q 'killed by signal' "$log"; then echo "fail:user fault"; return; fi
    if grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then
        echo "fail:test kernel reported failures"
        return
    fi
    local boots online
    boots=$(grep -c 'Keel booting on hart' "$log")
    if [ "$boots" -gt 1 ]; then echo "fail:kmain ran $boots times"; return; fi
    online=$(grep -oE 'keel: hart [0-9]+ online' "$log" | sort -u | wc -l)
    if [ "$boots" = 1 ] && [ "$online" -ge "$harts" ] &&
        grep -qE 'init: starting /bin/sh|^[0-9]+ passed, 0 failed' "$log"; then
        echo ok
        return
    fi
    echo wait
}

start=$(date +%s)
passed=0
failed=0
for i in $(seq 1 "$n"); do
    log="$out/boot-$i.log"
    : >"$log"
    qemu-system-riscv64 -machine virt -bios default -m 256M -smp "$harts" \
        -nographic -monitor none -serial stdio -kernel "$kernel" \
        -initrd "$initrd" </dev/null >"$log" 2>&1 &
    qpid=$!
    t0=$(date +%s)
    verdict=wait
    while :; do
        verdict=$(judge "$log")
        [ "$verdict" = wait ] || break
        if ! kill -0 "$qpid" 2>/dev/null; then
            verdict=$(judge "$log")
            [ "$verdict" = wait ] && verdict="fail:qemu exited early"
            break
        fi
        if [ $(($(date +%s) - t0)) -ge "$hang" ]; then
            verdict="fail:hung (no boot lines after ${hang}s)"
            break
        fi
        sleep 0.05
    done
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
    if [ "$verdict" = ok ]; then
        passed=$((passed + 1))
        rm -f "$log"
    else
        failed=$((failed + 1))
        echo "boot $i: ${verdict#fail:} (log: $log)"
        tr -d '\r' <"$log" | grep -E 'PANIC|Keel booting|online|killed' | head -n 8
    fi
    if [ $((i % 50)) = 0 ]; then
        echo "# $i boots, $failed failed, $(($(date +%s) - start)) s"
    fi
done
echo "# boot-stress: $n boots at $harts harts in $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
