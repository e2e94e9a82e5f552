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
#   failon: a fail-on text ends the wait at once (the step's timeout is
#          600 s), quoting its line: a FAIL line, a summary with failures;
#          the scenario's later tests are reported as not run;
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
if [ $rc = 0 ] && grep -q '^6 passed, 0 failed$' "$out"; then
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

$drv -t 20 $dir/failon.scn $dir/failsum.scn -- $fake >"$out" 2>&1
rc=$?
want="failed: st_failon_fail_line st_failon_not_run st_failon_summary"
if [ $rc = 1 ] && grep -q '^1 passed, 3 failed$' "$out" &&
    grep -qx "$want" "$out" &&
    grep -q '^ok st_failon_quiet$' "$out" &&
    grep -q '^FAIL st_failon_fail_line: .*fail-on "FAIL ": seen in ".*FAIL demo_test: t.c:9: broken"$' "$out" &&
    grep -qF 'fail-on " failed\n": seen in "' "$out" &&
    grep -q '^FAIL st_failon_summary: .*seen in ".*7 passed, 2 failed"$' "$out" &&
    grep -q "^FAIL st_failon_not_run: not run: the scenario stopped at st_failon_fail_line's failure$" "$out"; then
    pass "console_selftest_failon: a fail-on text stops the wait and the scenario"
else
    fail "console_selftest_failon: exit $rc, $(tail -n 1 "$out")"
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
