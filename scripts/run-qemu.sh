#!/usr/bin/env bash
# run-qemu.sh NAME TIMEOUT QEMU-COMMAND...
# Boots a test image, shows its output, and judges it: the guest must end
# with a line "N passed, N failed" and exit QEMU with status 0. A guest
# still running after TIMEOUT seconds is killed and counts as failed.
# The closing summary (layer-summary.sh) names the failing tests from the
# guest's "FAIL NAME..." lines (utest and ktest print one per failed
# test) and feeds make check's overall summary.
set -u
name=$1
limit=$2
shift 2
log=$(mktemp)
timeout --foreground -k 5 "$limit" "$@" </dev/null 2>&1 | tr -d '\r' | tee "$log"
status=${PIPESTATUS[0]}
note=""
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    note="TIMEOUT after ${limit}s"
elif ! grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$log"; then
    note="no summary line (qemu exit $status)"
fi
bash "$(dirname "$0")/layer-summary.sh" "$name" "$log" "$status" "$note"
rc=$?
rm -f "$log"
exit $rc
