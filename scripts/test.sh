#!/usr/bin/env bash
# scripts/test.sh: run every authsessions test suite against one throwaway
# PostgreSQL 15 cluster.
#
#   bash scripts/test.sh
#
# Steps: install missing Debian packages (root only), build and install the
# extension with warnings as errors, start a private cluster, then run
#   1. make installcheck   pg_regress (sql/ vs expected/), then the isolation
#                          specs (test/specs/ vs test/expected/): two suites;
#   2. pg_prove            each test/pgtap/*.sql file is one suite, run in the
#                          database authsessions_tap where pgtap and
#                          authsessions are already created;
#   3. test/extra/*.sh     each executable script is one suite, run in name
#                          order from the repository root with PGHOST, PGPORT,
#                          PGUSER and PGDATABASE exported;
#   4. scripts/package.sh  (as root) the Debian package built, installed,
#                          tried in a cluster of its own and purged: one
#                          suite, last, after the test cluster has stopped
#                          (it replaces the installed files while it runs).
# The last line is "N passed, N failed" (N counts suites); the exit status is
# non-zero when any suite failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh
export AUTHSESSIONS_ROOT="$PGENV_ROOT"
export LC_COLLATE=C # glob order of the test files

passed=0
failed=0
results=() # one "PASS name" / "FAIL name" line per suite

record() { # record PASS|FAIL name
	results+=("$1 $2")
	if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

summary() {
	echo
	echo "=== summary ==="
	local line
	for line in "${results[@]+"${results[@]}"}"; do echo "$line"; done
	echo "$passed passed, $failed failed"
}

section() { printf '\n=== %s ===\n' "$*"; }

section "dependencies"
pgenv_install_deps

section "build and install"
if ! pgenv_build_install; then
	record FAIL build
	summary
	exit 1
fi

section "cluster"
pgenv_start

# 1. pg_regress and isolation tests, both driven by the Makefile's installcheck.
# PGXS runs them in one recipe, so a pg_regress failure would skip the
# isolation specs; each half therefore runs on its own (the other one emptied
# on the command line) and counts as its own suite.
shopt -s nullglob
regress_tests=(sql/*.sql)
isolation_specs=(test/specs/*.spec)
if ((${#regress_tests[@]} > 0)); then
	section "make installcheck: pg_regress (${#regress_tests[@]} tests)"
	rm -f regression.diffs regression.out
	if make installcheck PG_CONFIG="$PG_CONFIG" ISOLATION=; then
		record PASS installcheck-regress
	else
		record FAIL installcheck-regress
		[[ -f regression.diffs ]] && { section regression.diffs; cat regression.diffs; }
	fi
fi
if ((${#isolation_specs[@]} > 0)); then
	section "make installcheck: isolation (${#isolation_specs[@]} specs)"
	rm -f test/output_iso/regression.diffs test/output_iso/regression.out
	if make installcheck PG_CONFIG="$PG_CONFIG" REGRESS=; then
		record PASS installcheck-isolation
	else
		record FAIL installcheck-isolation
		[[ -f test/output_iso/regression.diffs ]] &&
			{ section test/output_iso/regression.diffs; cat test/output_iso/regression.diffs; }
	fi
fi

# 2. pgTAP files, one pg_prove run each so that each counts as a suite.
tap_files=(test/pgtap/*.sql)
if ((${#tap_files[@]} > 0)); then
	section "pgTAP (${#tap_files[@]} files)"
	tap_db=authsessions_tap
	if psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $tap_db" &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$tap_db" \
			-c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION authsessions"; then
		for f in "${tap_files[@]}"; do
			if pg_prove --dbname "$tap_db" "$f"; then
				record PASS "pg_prove $f"
			else
				record FAIL "pg_prove $f"
			fi
		done
	else
		echo "could not prepare database $tap_db: every pgTAP file fails" >&2
		for f in "${tap_files[@]}"; do record FAIL "pg_prove $f"; done
	fi
fi

# 3. Extra suites: executable scripts, in name order.
for f in test/extra/*.sh; do
	if [[ ! -x $f ]]; then
		echo "skipping $f: not executable"
		continue
	fi
	section "$f"
	if "./$f"; then
		record PASS "$f"
	else
		record FAIL "$f"
	fi
done

# Stop the cluster now (the EXIT trap would do it too, but after the summary,
# which must stay the last line of output).
pgenv_stop

# 4. The Debian package (dpkg needs root; make install's files come back).
if ((EUID == 0)); then
	section "scripts/package.sh"
	if bash scripts/package.sh; then
		record PASS scripts/package.sh
	else
		record FAIL scripts/package.sh
	fi
else
	echo "skipping scripts/package.sh: building and installing packages needs root"
fi
summary
((failed == 0))
