# shellcheck shell=bash
# test/extra/lib/checks.sh: the PASS/FAIL bookkeeping of the shell suites
# that source it (the trust suites through lib/trust_common.sh, the crash and
# dump suites directly).
#
#   tc_check NAME COMMAND...   run COMMAND; print "PASS NAME" or "FAIL NAME"
#   tc_pass NAME / tc_fail NAME [WHY]
#   tc_summary                 print "N passed, N failed"; returns 1 on failure
#   eq ACTUAL EXPECTED, ge ACTUAL MINIMUM, same_file A B
#                              conditions for tc_check that say why they fail

TC_PASSED=0
TC_FAILED=0

tc_pass() {
	TC_PASSED=$((TC_PASSED + 1))
	echo "PASS $1"
}

tc_fail() {
	TC_FAILED=$((TC_FAILED + 1))
	echo "FAIL $1${2:+: $2}"
}

tc_check() {
	local name=$1
	shift
	if "$@"; then tc_pass "$name"; else tc_fail "$name"; fi
}

tc_summary() {
	echo "$TC_PASSED passed, $TC_FAILED failed"
	((TC_FAILED == 0))
}

eq() { [[ $1 == "$2" ]] || { echo "  expected '$2', got '$1'" >&2; return 1; }; }
ge() { (($1 >= $2)) || { echo "  expected at least $2, got $1" >&2; return 1; }; }
same_file() { diff -u "$1" "$2" >&2; }
