#!/usr/bin/env bash
# scripts/test.sh: run every authsessions test suite against one throwaway
# cluster of one PostgreSQL version (15, this host's, by default).
#
#   bash scripts/test.sh
#   PGENV_PG_BIN=/usr/lib/postgresql/18/bin bash scripts/test.sh
#
# Steps: install missing Debian packages (root only; the version's section
# of scripts/packages.txt), build and install the extension with warnings as
# errors, start a private cluster, then run
#   1. make installcheck   pg_regress (sql/ vs expected/), then the isolation
#                          specs (test/specs/ vs test/expected/): two suites;
#   2. pg_prove            each test/pgtap/*.sql file is one suite, run in the
#                          database authsessions_tap where pgtap and
#                          authsessions are already created (skipped, and
#                          said, where the Debian suite has no pgtap package
#                          for the version);
#   3. test/extra/*.sh     each executable script is one suite, run in name
#                          order from the repository root with PGHOST, PGPORT,
#                          PGUSER and PGDATABASE exported; one that exits
#                          with 77 skipped itself (a package the Debian suite
#                          lacks), its reason in $AUTHSESSIONS_SKIP_FILE;
#   4. scripts/package.sh  (as root) the Debian package built, installed,
#                          tried in a cluster of its own and purged: one
#                          suite, last, after the test cluster has stopped
#                          (it replaces the installed files while it runs).
# scripts/matrix.sh runs this same script inside its chroots of PostgreSQL 17
# and 18, with AUTHSESSIONS_MATRIX=1: then an extra suite whose header has a
# line "# matrix-skip: why" is skipped, and the log says why.
#
# The log ends with each suite's result, a table of each stage's time, and
# the line "N passed, N failed" (N counts suites; scripts/report.sh); the
# exit status is non-zero when any suite failed.
#
# Environment knobs (besides scripts/pgenv.sh's):
#   AUTHSESSIONS_RESULTS=DIR  also leave the results there, for
#                             scripts/report.sh (DIR/results, DIR/stages,
#                             DIR/version); default: a temporary directory
#   AUTHSESSIONS_MATRIX=1     skip the extra suites marked matrix-skip
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh
export AUTHSESSIONS_ROOT="$PGENV_ROOT"
export LC_COLLATE=C # glob order of the test files

if [[ -n ${AUTHSESSIONS_RESULTS:-} ]]; then
	RESULTS=$AUTHSESSIONS_RESULTS
	mkdir -p "$RESULTS"
else
	RESULTS=$(mktemp -d /tmp/authsessions-results.XXXXXX)
	trap 'rm -rf "$RESULTS"' EXIT # replaced by pgenv_start's trap: see below
fi
: >"$RESULTS/results"
: >"$RESULTS/stages"
rm -f "$RESULTS/version"

# Microseconds since the epoch.
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

stage=""
stage_t0=0
section() { printf '\n=== %s ===\n' "$*"; }
# stage_begin NAME [TITLE]: a new section of the log, timed as stage NAME.
stage_begin() {
	stage=$1
	stage_t0=$(now_us)
	section "${2:-$1}"
}
stage_end() {
	local d=$(($(now_us) - stage_t0))
	printf '%s\t%d.%d\n' "$stage" $((d / 1000000)) $((d / 100000 % 10)) >>"$RESULTS/stages"
}

record() { # record PASS|FAIL|SKIP suite [why]
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$RESULTS/results"
	if [[ $1 == SKIP ]]; then echo "skipping $2: $3"; fi
}

finish() {
	local rc=0
	bash scripts/report.sh "$PGENV_PG_MAJOR=$RESULTS" || rc=$?
	[[ -n ${AUTHSESSIONS_RESULTS:-} ]] || rm -rf "$RESULTS"
	exit "$rc"
}

stage_begin dependencies
pgenv_install_deps
stage_end

stage_begin build "build and install"
if ! pgenv_build_install; then
	stage_end
	record FAIL build
	finish
fi
stage_end

stage_begin cluster
pgenv_start
psql -X -At -d postgres -c 'SELECT version()' | tee "$RESULTS/version"
stage_end

# 1. pg_regress and isolation tests, both driven by the Makefile's installcheck.
# PGXS runs them in one recipe, so a pg_regress failure would skip the
# isolation specs; each half therefore runs on its own (the other one emptied
# on the command line) and counts as its own suite.
shopt -s nullglob
regress_tests=(sql/*.sql)
isolation_specs=(test/specs/*.spec)
if ((${#regress_tests[@]} > 0)); then
	stage_begin pg_regress "make installcheck: pg_regress (${#regress_tests[@]} tests)"
	rm -f regression.diffs regression.out
	if make installcheck PG_CONFIG="$PG_CONFIG" ISOLATION=; then
		record PASS installcheck-regress
	else
		record FAIL installcheck-regress
		[[ -f regression.diffs ]] && { section regression.diffs; cat regression.diffs; }
	fi
	stage_end
fi
if ((${#isolation_specs[@]} > 0)); then
	stage_begin isolation "make installcheck: isolation (${#isolation_specs[@]} specs)"
	rm -f test/output_iso/regression.diffs test/output_iso/regression.out
	if make installcheck PG_CONFIG="$PG_CONFIG" REGRESS=; then
		record PASS installcheck-isolation
	else
		record FAIL installcheck-isolation
		[[ -f test/output_iso/regression.diffs ]] &&
			{ section test/output_iso/regression.diffs; cat test/output_iso/regression.diffs; }
	fi
	stage_end
fi

# 2. pgTAP files, one pg_prove run each so that each counts as a suite.
tap_files=(test/pgtap/*.sql)
if ((${#tap_files[@]} > 0)); then
	stage_begin pgtap "pgTAP (${#tap_files[@]} files)"
	tap_db=authsessions_tap
	if [[ ! -f $("$PG_CONFIG" --sharedir)/extension/pgtap.control ]]; then
		for f in "${tap_files[@]}"; do
			record SKIP "pg_prove $f" "no pgtap package for PostgreSQL $PGENV_PG_MAJOR in this Debian suite"
		done
	elif psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $tap_db" &&
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
	stage_end
fi

# 3. Extra suites: executable scripts, in name order.
for f in test/extra/*.sh; do
	name=${f##*/}
	if [[ ! -x $f ]]; then
		record SKIP "$f" "not executable"
		continue
	fi
	if [[ ${AUTHSESSIONS_MATRIX:-} == 1 ]]; then
		why=$(sed -n '1,40{s/^# matrix-skip: //p}' "$f" | head -n 1)
		if [[ -n $why ]]; then
			record SKIP "$f" "$why"
			continue
		fi
	fi
	stage_begin "${name%.sh}" "$f"
	# exit status 77: the suite skipped itself, its reason in the skip file
	rm -f "$RESULTS/skip"
	rc=0
	AUTHSESSIONS_SKIP_FILE="$RESULTS/skip" "./$f" || rc=$?
	if ((rc == 0)); then
		record PASS "$f"
	elif ((rc == 77)); then
		record SKIP "$f" "$(head -n 1 "$RESULTS/skip" 2>/dev/null || echo 'it skipped itself')"
	else
		record FAIL "$f"
	fi
	stage_end
done

# Stop the cluster now: the package stage replaces the installed files.
pgenv_stop

# 4. The Debian package (dpkg needs root; make install's files come back).
if ((EUID == 0)); then
	stage_begin package scripts/package.sh
	if bash scripts/package.sh; then
		record PASS scripts/package.sh
	else
		record FAIL scripts/package.sh
	fi
	stage_end
else
	record SKIP scripts/package.sh "building and installing packages needs root"
fi
finish
