#!/bin/sh
# layer-summary.sh NAME LOG STATUS [NOTE]
# The closing summary of one test layer (used by run-qemu.sh and
# run-layer.sh). LOG holds the layer's output, STATUS the exit status of
# what produced it, NOTE says what went wrong outside the tests (a
# timeout, a missing summary). Prints
#     == NAME ==
#     P passed, F failed
#     failed: NAME... (the tests' "FAIL NAME" / "CRASH NAME" lines)
#     NOTE
# and, when CHECK_SUMMARY names a file (make check sets it), appends one
# line "NAME<TAB>P<TAB>F<TAB>failed names<TAB>NOTE" to it for
# check-summary.sh. The layer passes when the log's last
# "P passed, F failed" line says 0 failed and STATUS is 0; a layer
# without that line (its "ok"/"FAIL" lines are counted then), or a
# non-zero STATUS with 0 failed, counts one failure more. Exits 0 if the layer passed, else 1.
name=$1
log=$2
status=$3
note=${4:-}
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
names=$(sed -n -E 's/^(FAIL|CRASH) +([^ :]+).*/\2/p' "$log" | awk '!seen[$0]++' |
    tr '\n' ' ' | sed 's/ $//')
if [ -n "$summary" ]; then
    passed=$(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')
    failed=$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
else # cut short: count the result lines there are
    passed=$(grep -c '^ok ' "$log")
    failed=$(grep -Ec '^(FAIL|CRASH) ' "$log")
    [ -n "$note" ] || note="no \"N passed, N failed\" line (exit status $status)"
fi
if [ -z "$summary" ] || { [ "$status" != 0 ] && [ "$failed" = 0 ]; }; then
    failed=$((failed + 1))
    [ -n "$note" ] || note="exit status $status after a clean summary"
    last=$(grep -E '^(ok|FAIL) ' "$log" | tail -n 1)
    [ -z "$last" ] || note="$note; last result line: $last"
fi
echo "== $name =="
echo "$passed passed, $failed failed"
[ -z "$names" ] || echo "failed: $names"
[ -z "$note" ] || echo "$note"
if [ -n "${CHECK_SUMMARY:-}" ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$passed" "$failed" "$names" \
        "$note" >>"$CHECK_SUMMARY"
fi
[ "$failed" = 0 ]
