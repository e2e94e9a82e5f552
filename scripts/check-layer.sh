#!/bin/sh
# check-layer.sh SUMMARY-FILE MAKE-COMMAND...
# One layer of `make check`: runs MAKE-COMMAND with CHECK_SUMMARY set, so
# the layer's runner (layer-summary.sh) appends its line to SUMMARY-FILE.
# When the command fails without adding a line (a build error before any
# test ran), adds one that says so. Always exits 0: make check goes on
# with the next layer, and check-summary.sh gives the verdict at the end.
sum=$1
shift
before=$(cat "$sum" 2>/dev/null | wc -l)
CHECK_SUMMARY=$sum
export CHECK_SUMMARY
"$@"
status=$?
after=$(cat "$sum" 2>/dev/null | wc -l)
if [ "$status" != 0 ] && [ "$after" = "$before" ]; then
    layer=$(printf '%s ' "$@" | sed 's/^[^ ]* --no-print-directory //; s/ $//')
    printf '%s\t0\t1\t\t%s\n' "make $layer" \
        "make exited with status $status before any test summary (a build error?)" >>"$sum"
fi
exit 0
