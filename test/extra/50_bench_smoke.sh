#!/usr/bin/env bash
# test/extra/50_bench_smoke.sh: the benchmark's smoke run (bench/smoke.sh)
# against the test cluster: every pgbench script, the data check, the memory
# check and the report, at a tiny scale, in a database of its own that it
# drops again.  No timing is asserted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BENCH_CLUSTER="env" exec bash bench/smoke.sh
