#!/bin/sh
# Keeps the "## Issue 6 regression tests" table of docs/testing.md true.
# Run from the repo root by scripts/host-test.sh (host-test layer of
# make check); prints "P passed, F failed" last, exits 1 on a failure.
#
# Checks:
#  rows:   every issue 6 item 0..12 has a row, and so has the Done-when
#          SMP stress tests (item column "stress");
#  order:  rows are sorted by item number (11a before 11b; "12 (sched
#          part)" counts as 12; "stress" comes last);
#  names:  every test name the third column cites exists. A test name is
#          a backticked lowercase identifier (`revoke_storm_smp`), with an
#          optional trailing * for a family (`quota_tree_*`); it must be a
#          user test the suite runs (UT_CASE(name) or UT_ISOLATED(name) in
#          user/tests/*.c), a KTEST(name) in kernel/test/*.c, a host
#          TEST(name) in tests/host/*.c, or a host test program
#          (tests/host/NAME.c).
#          Anything else backticked (paths, calls written `f()`, macros,
#          commands) is not a test name;
#  the same for the tests column of docs/capabilities.md's "## Invariants
#          and the tests that check them" (a user test file, `t_cap`,
#          counts there too);
#  posix:  docs/posix.md's supported and partial functions are exactly
#          the ones tests/posix/posix_api.c calls, each defined in the
#          linked program; its missing ones are not in the libraries
#          (details at the checks below).
# Settings (environment): DOC (docs/testing.md), CAPDOC
# (docs/capabilities.md).
doc=${DOC:-docs/testing.md}
passed=0
failed=0

pass() {
    echo "ok   $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

if [ ! -r "$doc" ]; then
    echo "FAIL $doc not readable"
    echo "0 passed, 1 failed"
    exit 1
fi

# The table's rows: "item<TAB>tests column", one per line.
rows=$(awk '
    /^## / { insec = ($0 == "## Issue 6 regression tests"); next }
    insec && /^\|/ {
        n = split($0, c, "|")
        item = c[2]; gsub(/^ +| +$/, "", item)
        if (item == "item" || item ~ /^-+$/)
            next
        tests = ""
        for (i = 4; i < n; i++)
            tests = tests (i > 4 ? "|" : "") c[i]
        print item "\t" tests
    }' "$doc")
if [ -z "$rows" ]; then
    fail "rows: no \"## Issue 6 regression tests\" table in $doc"
    echo "$passed passed, $failed failed"
    exit 1
fi

# rows: each required item present.
items=$(printf '%s\n' "$rows" | cut -f1)
missing=""
for want in 0 1 2 3 4 5 6 7 8 9 10 11 12 stress; do
    if ! printf '%s\n' "$items" |
        grep -Eq "^$want([a-z]|[^0-9a-z]|\$)"; then
        missing="$missing $want"
    fi
done
if [ -z "$missing" ]; then
    pass "rows: items 0-12 and the stress tests each have a row"
else
    fail "rows: no row for item(s)$missing"
fi

# order: sort key = number * 100 + letter (a=1), stress = 9999.
bad_order=$(printf '%s\n' "$items" | awk '
    {
        if ($0 ~ /^stress/) key = 9999
        else {
            num = $0; sub(/[^0-9].*$/, "", num)
            let = substr($0, length(num) + 1, 1)
            key = num * 100 + (let ~ /[a-z]/ ? index("abcdefghijklmnopqrstuvwxyz", let) : 0)
        }
        if (NR > 1 && key < prev) print "\"" prevs "\" before \"" $0 "\""
        prev = key; prevs = $0
    }')
if [ -z "$bad_order" ]; then
    pass "order: rows sorted by item number"
else
    fail "order: $(printf '%s' "$bad_order" | tr '\n' ';')"
fi

# names: every cited test exists (also in capabilities.md's table of
# invariants, which may name a user test file: `t_cap`).
defined=$(
    {
        grep -hoE 'UT_(CASE|ISOLATED)\([a-z0-9_]*\)' user/tests/*.c
        grep -ho 'KTEST([a-z0-9_]*)' kernel/test/*.c
        grep -ho '^TEST([a-z0-9_]*)' tests/host/*.c
    } | sed 's/^[A-Z_]*(\(.*\))$/\1/'
    for f in tests/host/*.c user/tests/t_*.c; do basename "$f" .c; done
)

# check_cited LABEL TEXT: the backticked test names in TEXT all exist.
check_cited() {
    cited=$(printf '%s\n' "$2" | grep -o '`[^`]*`' | tr -d '`' |
        grep -E '^[a-z][a-z0-9_]*\*?$' | sort -u)
    nnames=0
    unknown=""
    for name in $cited; do
        nnames=$((nnames + 1))
        case $name in
        *\*) pat="^${name%\*}" ;;
        *) pat="^${name}\$" ;;
        esac
        if ! printf '%s\n' "$defined" | grep -q "$pat"; then
            unknown="$unknown $name"
        fi
    done
    if [ "$nnames" -eq 0 ]; then
        fail "$1: the table cites no test"
    elif [ -z "$unknown" ]; then
        pass "$1: all $nnames cited tests exist"
    else
        fail "$1: no such test:$unknown"
    fi
}

check_cited names "$(printf '%s\n' "$rows" | cut -f2-)"
capdoc=${CAPDOC:-docs/capabilities.md}
check_cited "names ($capdoc invariants)" "$(awk -F'|' '
    /^## / { insec = ($0 == "## Invariants and the tests that check them"); next }
    insec && /^\|/ { print $3 }' "$capdoc" 2>/dev/null)"

# posix: docs/posix.md against tests/posix/posix_api.c (issue 7 item
# 10). A row is "| `name` | status | how |" with status supported,
# partial or missing. The functions the program calls (identifiers
# followed by "(" outside comments) that posix.md lists must be exactly
# the rows marked supported or partial, and each of those must be a
# function defined in the linked program (POSIXELF, built by make for
# host-test; nm from the cross toolchain).
posixdoc=${POSIXDOC:-docs/posix.md}
posixsrc=${POSIXSRC:-tests/posix/posix_api*.c}
posixelf=${POSIXELF:-build/posix/posix_api.elf}
crossnm=${CROSS_NM:-riscv64-unknown-elf-nm}
prows=$(awk -F'|' '/^\| `[a-z_][a-z0-9_]*` \|/ {
        n = $2; s = $3; gsub(/[ `]/, "", n); gsub(/ /, "", s); print n, s
    }' "$posixdoc" 2>/dev/null)
badstatus=$(printf '%s\n' "$prows" |
    awk 'NF == 2 && $2 != "supported" && $2 != "partial" && $2 != "missing" { print $1 }')
if [ -z "$prows" ]; then
    fail "posix: no function rows in $posixdoc"
elif [ -n "$badstatus" ]; then
    fail "posix: rows with an unknown status: $(echo $badstatus)"
else
    pass "posix: $(printf '%s\n' "$prows" | wc -l | tr -d ' ') rows, each supported, partial or missing"
fi
listed=$(printf '%s\n' "$prows" | awk '{ print $1 }' | sort -u)
usable=$(printf '%s\n' "$prows" |
    awk '$2 == "supported" || $2 == "partial" { print $1 }' | sort -u)
called=$(cat $posixsrc | cc -fpreprocessed -dD -E -P - 2>/dev/null |
    grep -oE '[A-Za-z_][A-Za-z0-9_]*[(]' | tr -d '(' | sort -u |
    grep -xF "$listed")
notcalled=$(printf '%s\n' "$usable" | grep -vxF "$called")
notusable=$(printf '%s\n' "$called" | grep -vxF "$usable")
if [ -z "$called" ]; then
    fail "posix: $posixsrc calls no function posix.md lists"
elif [ -z "$notcalled" ] && [ -z "$notusable" ]; then
    pass "posix: the $(printf '%s\n' "$called" | wc -l | tr -d ' ') supported/partial functions are the ones $posixsrc calls"
else
    [ -n "$notcalled" ] &&
        fail "posix: marked supported/partial but not called: $(echo $notcalled)"
    [ -n "$notusable" ] &&
        fail "posix: called but marked missing: $(echo $notusable)"
fi
if [ ! -r "$posixelf" ]; then
    fail "posix: $posixelf not built (make host-test builds it)"
else
    defs=$("$crossnm" --defined-only "$posixelf" 2>/dev/null |
        awk '$2 ~ /^[TtWw]$/ { print $3 }' | sort -u)
    undefined=$(printf '%s\n' "$usable" | grep -vxF "$defs")
    if [ -z "$defs" ]; then
        fail "posix: no symbols read from $posixelf ($crossnm)"
    elif [ -z "$undefined" ]; then
        pass "posix: every supported/partial function is defined in $posixelf"
    else
        fail "posix: not defined in $posixelf: $(echo $undefined)"
    fi
fi

# posix (missing rows): a function marked missing is defined in neither
# Keel's libc nor newlib's, unless its note starts with "links" (a stub
# that fails at run time, like fork), and then it must be defined. So a
# function added to libc while its row still says missing fails here.
libkeel=${LIBKEEL:-build/libc/libkeel.a}
newlibc=${NEWLIBC:-.cache/newlib/riscv64-unknown-elf/lib/libc.a}
if [ ! -r "$libkeel" ] || [ ! -r "$newlibc" ]; then
    fail "posix: $libkeel or $newlibc not there (make host-test builds it)"
else
    adefs=$("$crossnm" --defined-only "$libkeel" "$newlibc" 2>/dev/null |
        awk '$2 ~ /^[TtWw]$/ { print $3 }' | sort -u)
    lies=$(awk -F'|' '/^\| `[a-z_][a-z0-9_]*` \| missing \|/ {
            n = $2; h = $4; gsub(/[ `]/, "", n); sub(/^ +/, "", h)
            print n, (h ~ /^links/ ? "links" : "absent")
        }' "$posixdoc" | while read -r n how; do
            if printf '%s\n' "$adefs" | grep -qxF "$n"; then
                [ "$how" = absent ] && echo "$n(defined)"
            else
                [ "$how" = links ] && echo "$n(not defined)"
            fi
        done)
    if [ -z "$lies" ]; then
        pass "posix: missing rows: absent from libc, or noted as linking stubs"
    else
        fail "posix: missing rows that do not match the libraries: $(echo $lies)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
