#!/bin/sh
# The console driver's self-test (host-test layer of make check): runs
# build/host/console-test (tests/console/console-test.c under ASan and
# UBSan) against tests/console/selftest/fake-console.sh instead of
# `make run`, so its verdicts are checked without QEMU:
#   pass:  every step kind passing gives "N passed, 0 failed", exit 0;
#   fail:  each failing step kind (expect timing out, expect-not finding
#          its text, expect-exit with the wrong status, a send after the
#          exit) is a FAIL with its name in the "failed:" line, the test
#          after a failure still passes, the transcript tail is shown,
#          and the driver exits 1;
#   parse: a scenario that does not parse is a failure naming its line.
# Prints "P passed, F failed" last; exits 1 on a failure.
drv=${CONSOLE_TEST:-build/host/console-test}
dir=tests/console/selftest
fake="sh $dir/fake-console.sh"
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
out=$(mktemp)

$drv -t 20 $dir/pass.scn -- $fake >"$out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^5 passed, 0 failed$' "$out"; then
    pass "console_selftest_pass: every step kind passes"
else
    fail "console_selftest_pass: exit $rc, $(tail -n 1 "$out")"
    cat "$out"
fi

$drv -t 20 $dir/fail.scn -- $fake >"$out" 2>&1
rc=$?
want="failed: st_expect_missing st_expect_not_present st_exit_status_wrong st_after_exit"
if [ $rc = 1 ] && grep -q '^2 passed, 4 failed$' "$out" &&
    grep -qx "$want" "$out" &&
    grep -q '^ok st_after_failure_goes_on$' "$out" &&
    grep -q 'expect "never printed": not seen after 2 s (QEMU still running)' "$out" &&
    grep -q 'expect-not "visible": it was there' "$out" &&
    grep -q 'expect-exit 6: QEMU exited with status 4' "$out" &&
    grep -q '^---- console transcript' "$out"; then
    pass "console_selftest_fail: each failing step kind is reported"
else
    fail "console_selftest_fail: exit $rc, $(tail -n 1 "$out")"
    cat "$out"
fi

$drv $dir/bad.scn -- $fake >"$out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'bad.scn:3: unterminated quoted string' "$out" &&
    grep -q '^0 passed, 1 failed$' "$out"; then
    pass "console_selftest_parse: a bad scenario fails with its line"
else
    fail "console_selftest_parse: exit $rc, $(tail -n 1 "$out")"
    cat "$out"
fi

rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
