#!/usr/bin/env bash
# bench/smoke.sh: a tiny run of the whole benchmark (1,000 sessions, one run,
# a few transactions per script, 200 calls per function in the memory check)
# so that it never rots.  No timing is asserted: it fails only when a script,
# the data check or the report fails.  Takes a few seconds.
#
#   bash bench/smoke.sh     # a throwaway cluster of its own (root builds first)
#   BENCH_CLUSTER=env bash bench/smoke.sh   # the server of the PG* variables
#
# test/extra/50_bench_smoke.sh runs it with BENCH_CLUSTER=env.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d /tmp/authsessions-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

BENCH_SCALES=1000 BENCH_RUNS=1 BENCH_TRANSACTIONS=5 \
	BENCH_MEM_CALLS=200 BENCH_MEM_WARMUP=20 BENCH_MEM_SCALE=1000 \
	BENCH_OUT="$work/BENCHMARKS.md" BENCH_WORKDIR="$work" \
	BENCH_DB="authsessions_bench_smoke_$$" \
	bash bench/run.sh

# the report has every section and a figure for every operation
fail=0
for want in '## Floors (issue 17' '## Memory' '## list latency against scale' '## The floor of validate and user_sessions' \
	'its floor, a precomputed answer' \
	'validate, no touch due' 'user_sessions, user with 10 sessions' 'list, first page of 50' \
	'list, keyset page of 50' 'list, offset page 10,000 users deep' 'list, last full page of the set' \
	'revoke (rolled back)' \
	'| create_session |' '| delete_user |'; do
	if ! grep -qF -- "$want" "$work/BENCHMARKS.md"; then
		echo "smoke: the report lacks \"$want\"" >&2
		fail=1
	fi
done
if ((fail)); then
	cat "$work/BENCHMARKS.md" >&2
	exit 1
fi
echo "bench smoke: ok"
