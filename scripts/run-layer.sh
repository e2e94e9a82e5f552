#!/bin/sh
# run-layer.sh NAME COMMAND...
# Runs one test layer that is not a QEMU boot (host unit tests, the
# console test), showing its output, and ends it with layer-summary.sh's
# closing summary (failing test names; a line for make check's overall
# summary). Exits 0 only if the layer passed.
name=$1
shift
log=$(mktemp)
status_file=$(mktemp)
{
    "$@" 2>&1
    echo $? >"$status_file"
} | tee "$log"
status=$(cat "$status_file")
sh "$(dirname "$0")/layer-summary.sh" "$name" "$log" "${status:-1}"
rc=$?
rm -f "$log" "$status_file"
exit $rc
