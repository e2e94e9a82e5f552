#!/bin/sh
# Run host unit-test binaries and aggregate their results.
# Usage: scripts/host-test.sh BIN...
# A BIN ending in .sh is a script, run with sh (tests/host/fuzz.sh).
# Each binary ends its output with "P passed, F failed". A binary that
# crashes or exits without that line counts as one failure. Prints the
# summed "P passed, F failed" last; exits non-zero on any failure.
passed=0
failed=0
status=0
for bin in "$@"; do
    out=$(mktemp)
    case $bin in
    *.sh) sh "$bin" >"$out" 2>&1 ;;
    *) "$bin" >"$out" 2>&1 ;;
    esac
    rc=$?
    cat "$out"
    last=$(tail -n 1 "$out")
    rm -f "$out"
    p=$(printf '%s\n' "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p')
    f=$(printf '%s\n' "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p')
    if [ -z "$p" ]; then
        echo "CRASH $bin (exit $rc, no summary line)"
        failed=$((failed + 1))
        status=1
        continue
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        [ "$f" -eq 0 ] && failed=$((failed + 1)) &&
            echo "CRASH $bin (exit $rc after its summary line)"
        status=1
    fi
done
echo "$passed passed, $failed failed"
exit $status
