#!/bin/sh
# check-summary.sh SUMMARY-FILE
# The overall summary at the end of `make check`: one line per layer
# (passed, failed and the failing tests' names) from the lines the
# layers' runners appended (layer-summary.sh, check-layer.sh), then a
# final line. Exits 1 if any layer failed or no layer reported.
sum=$1
echo
echo "==== make check: summary ===="
if [ ! -s "$sum" ]; then
    echo "make check: FAILED (no layer reported a result)"
    exit 1
fi
awk -F '\t' '
    {
        layers++; p += $2; f += $3
        if ($3 > 0) bad++
        line = sprintf("%-56s %5d passed, %3d failed", $1, $2, $3)
        if ($4 != "") line = line ": " $4
        if ($5 != "") line = line " (" $5 ")"
        print line
    }
    END {
        if (bad)
            printf "make check: FAILED, %d of %d layers failed (%d passed, %d failed)\n", bad, layers, p, f
        else
            printf "make check: all %d layers passed (%d passed, 0 failed)\n", layers, p
        exit bad ? 1 : 0
    }' "$sum"
