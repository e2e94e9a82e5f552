#!/usr/bin/env bash
# bench.sh KERNEL IMAGE-1HART IMAGE-4HARTS: make bench's runner.
# Boots KERNEL twice under `-icount shift=0,sleep=off` (one instruction
# is one virtual ns): with one hart (MEM) and IMAGE-1HART (every row),
# then with four (MEM4) and IMAGE-4HARTS (the real-time rows). The guest
# prints "BENCH name value" (per-operation rows, one hart only) and
# "BENCHRT name value" (real-time rows, both boots); each "BENCHIRQ
# ready" line it prints is answered with one byte on the serial port
# (the irq_latency row: user/bench/rt_irq.c). Output: the per-operation
# rows as "name value", then the real-time rows as "name 1-hart 4-harts"
# (docs/performance.md). Guest lines starting "bench:" (problems, and
# notes such as each real-time row's timer ticks and expiry holds) go to
# stderr. Environment: QEMU, MEM, MEM4, TIMEOUT (seconds per boot),
# TURN_US (the four-hart boot's keel.turn_us, default 10; 0: none;
# docs/realtime.md "Four harts under QEMU").
set -u
kernel=$1
img1=$2
img4=$3
qemu=${QEMU:-qemu-system-riscv64}
limit=${TIMEOUT:-600}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run SMP MEM IMAGE OUTFILE
# The serial port's output goes to a log file (chardev logfile; QEMU's
# stdout is /dev/null), never to a pipe: a pipe that fills up makes QEMU
# hold the UART busy while virtual time runs on, which would change the
# console rows. Its input is a FIFO this script writes the answers into.
run() {
    local log=$out/serial.$1 fifo=$out/in.$1 wr qpid line
    mkfifo "$fifo"
    : >"$log"
    exec {wr}<>"$fifo"
    timeout -k 5 "$limit" "$qemu" -machine virt -bios default -m "$2" \
        -smp "$1" -nographic -monitor none \
        -chardev stdio,id=con0,signal=off,logfile="$log" \
        -serial chardev:con0 -icount shift=0,sleep=off -kernel "$kernel" \
        $([ "$1" -gt 1 ] && echo "-append keel.turn_us=${TURN_US:-10}") \
        -initrd "$3" <"$fifo" >/dev/null 2>"$out/qemu-err.$1" &
    qpid=$!
    tail -n +1 -f --pid="$qpid" "$log" |
        grep --line-buffered -E '^(BENCH|bench:)' |
        while IFS= read -r line; do
            line=${line%$'\r'}
            case $line in
            "BENCHIRQ ready") printf 'x' >&"$wr" ;;
            "BENCH "* | "BENCHRT "*)
                echo "$line" >>"$4"
                [ -n "${BENCH_VERBOSE:-}" ] && echo "($1 hart) $line" >&2
                ;;
            *) echo "$line" >&2 ;;
            esac
        done
    wait "$qpid"
    local st=$?
    exec {wr}>&-
    [ "$st" = 0 ] || echo "bench: the $1-hart boot ended with status $st: $(cat "$out/qemu-err.$1")" >&2
}

run 1 "${MEM:-256M}" "$img1" "$out/1"
run 4 "${MEM4:-1G}" "$img4" "$out/4"
touch "$out/1" "$out/4"
awk '$1 == "BENCH" { print $2, $3 }' "$out/1"
awk '$1 != "BENCHRT" { next }
     !($2 in seen) { seen[$2] = 1; order[n++] = $2; v1[$2] = "-"; v4[$2] = "-" }
     FILENAME == ARGV[1] { v1[$2] = $3 }
     FILENAME == ARGV[2] { v4[$2] = $3 }
     END { for (i = 0; i < n; i++) print order[i], v1[order[i]], v4[order[i]] }' \
    "$out/1" "$out/4"
