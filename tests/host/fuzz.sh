#!/bin/sh
# A bounded libFuzzer run of the cap_table fuzzer (tests/host/fuzz_captable.c)
# over a scratch copy of its seed corpus, so the tree is never written.
# Prints the fuzzer's closing lines, then "1 passed, 0 failed" if libFuzzer
# exited 0, else the end of its log and "0 passed, 1 failed" (exit 1):
# scripts/host-test.sh counts it like one more test binary.
#
# Settings (environment; host.mk passes its own):
#   HOST_FUZZ_BIN       the fuzzer             (build/host/fuzz_captable)
#   HOST_FUZZ_CORPUS    seed corpus, read only (tests/host/corpus/captable)
#   HOST_FUZZ_WORK      scratch dir            (build/host/fuzz_captable.work)
#   HOST_FUZZ_RUNS      iterations             (200000)
#   HOST_FUZZ_MAX_LEN   input size limit       (512)
#   HOST_FUZZ_MAX_TIME  seconds, a safety cap  (55)
#   HOST_FUZZ_SEED      libFuzzer seed, 0 = a fresh one each run (0)
bin=${HOST_FUZZ_BIN:-build/host/fuzz_captable}
corpus=${HOST_FUZZ_CORPUS:-tests/host/corpus/captable}
work=${HOST_FUZZ_WORK:-build/host/fuzz_captable.work}
runs=${HOST_FUZZ_RUNS:-200000}
max_len=${HOST_FUZZ_MAX_LEN:-512}
max_time=${HOST_FUZZ_MAX_TIME:-55}
seed=${HOST_FUZZ_SEED:-0}

rm -rf "$work"
mkdir -p "$work/corpus" || exit 1
cp "$corpus"/* "$work/corpus/" || exit 1

"$bin" -runs="$runs" -max_len="$max_len" -max_total_time="$max_time" \
    -seed="$seed" -timeout=10 -artifact_prefix="$work/" \
    "$work/corpus" >"$work/log" 2>&1
rc=$?

grep '^INFO: Seed:' "$work/log"
if [ "$rc" -eq 0 ]; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs' "$work/log"
    echo "fuzz_captable: ok (log: $work/log)"
    echo "1 passed, 0 failed"
    exit 0
fi
tail -n 40 "$work/log"
for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
    [ -e "$crash" ] && echo "fuzz_captable: reproduce with: $bin $crash"
done
echo "FAIL fuzz_captable (libFuzzer exit $rc, log: $work/log)"
echo "0 passed, 1 failed"
exit 1
