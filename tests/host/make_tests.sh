#!/bin/sh
# Checks of the top-level Makefile that a fresh machine depends on
# (host-test layer of make check). Run from the repo root; prints
# "P passed, F failed" last, exits 1 on a failure.
#
#  fresh_link_libgcc: the user link line names libgcc through $(LIBGCC),
#          which asks the cross gcc for its path. On a fresh machine make
#          reads the Makefile before setup has installed that gcc, so a
#          variable expanded while the Makefile is read (:=) would hold no
#          libgcc and every user program of that first `make run` or
#          `make exec` would fail to link (undefined __divdf3 ...). ULIBS
#          and LIBGCC must stay recursive (=): expanded only when a link
#          recipe runs, after setup.
passed=0
failed=0
db=$(mktemp)
# -p prints make's database after reading the Makefile; -q runs nothing.
make --no-print-directory -p -q -f Makefile keel-no-such-goal >"$db" 2>/dev/null
for v in ULIBS LIBGCC; do
    if grep -q "^$v = " "$db"; then
        echo "ok   fresh_link_libgcc: $v is expanded at link time"
        passed=$((passed + 1))
    else
        echo "FAIL fresh_link_libgcc: $v is not a recursive (=) variable:"
        grep "^$v " "$db" | head -n 1
        failed=$((failed + 1))
    fi
done
if grep '^ULIBS = ' "$db" | grep -q '\$(LIBGCC)'; then
    echo "ok   fresh_link_libgcc: ULIBS names \$(LIBGCC)"
    passed=$((passed + 1))
else
    echo "FAIL fresh_link_libgcc: ULIBS does not name \$(LIBGCC)"
    failed=$((failed + 1))
fi
rm -f "$db"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
