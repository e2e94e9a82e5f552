#!/usr/bin/env bash
# run-qemu.sh NAME TIMEOUT QEMU-COMMAND...
# Boots a test image, shows its output, and judges it: the guest must end
# with a line "N passed, N failed" and exit QEMU with status 0. A guest
# still running after TIMEOUT seconds is killed and counts as failed.
set -u
name=$1
limit=$2
shift 2
log=$(mktemp)
timeout --foreground -k 5 "$limit" "$@" </dev/null 2>&1 | tr -d '\r' | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
rm -f "$log"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "$name: TIMEOUT after ${limit}s"
    [ -n "$summary" ] || summary="0 passed, 1 failed"
    failed=1
elif [ -z "$summary" ]; then
    echo "$name: no summary line (qemu exit $status)"
    summary="0 passed, 1 failed"
    failed=1
else
    nfail=$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    failed=0
    [ "$nfail" = 0 ] && [ "$status" = 0 ] || failed=1
fi
echo "== $name =="
echo "$summary"
exit $failed
