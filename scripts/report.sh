#!/usr/bin/env bash
# scripts/report.sh: the end of a test log, from the result files of one or
# more runs of scripts/test.sh (one per PostgreSQL version).
#
#   bash scripts/report.sh LABEL=DIR [LABEL=DIR ...]
#
# Each DIR holds what scripts/test.sh wrote there (AUTHSESSIONS_RESULTS=DIR):
#   results   one line per suite: PASS|FAIL|SKIP <tab> suite <tab> why
#   stages    one line per stage: stage <tab> seconds
#   version   the server's version() (optional)
# Prints each run's suites (skipped ones with the reason), then a table of
# each stage's time with a column per run, then "N passed, N failed" as the
# last line (N counts suites over all runs; skipped suites are not counted).
# Exits non-zero when a suite failed or a run left no results at all.
set -euo pipefail

labels=()
dirs=()
for arg in "$@"; do
	[[ $arg == *=* ]] || { echo "usage: $0 LABEL=DIR..." >&2; exit 2; }
	labels+=("${arg%%=*}")
	dirs+=("${arg#*=}")
done
((${#labels[@]} > 0)) || { echo "usage: $0 LABEL=DIR..." >&2; exit 2; }

passed=0
failed=0
stage_names=()
printf '\n=== summary ===\n'
for i in "${!labels[@]}"; do
	dir=${dirs[i]}
	echo
	echo "PostgreSQL ${labels[i]}: $(cat "$dir/version" 2>/dev/null || echo 'no server started')"
	if [[ ! -s $dir/results ]]; then
		echo "  FAIL no suite ran"
		failed=$((failed + 1))
		continue
	fi
	while IFS=$'\t' read -r result suite why; do
		case $result in
		PASS) passed=$((passed + 1)) ;;
		FAIL) failed=$((failed + 1)) ;;
		esac
		printf '  %s %s%s\n' "$result" "$suite" "${why:+ ($why)}"
	done <"$dir/results"
	[[ -f $dir/stages ]] || continue
	while IFS=$'\t' read -r stage _; do
		[[ " ${stage_names[*]-} " == *" $stage "* ]] || stage_names+=("$stage")
	done <"$dir/stages"
done

printf '\n=== time per stage (seconds) ===\n'
printf '%-32s' stage
for label in "${labels[@]}"; do printf '%10s' "$label"; done
echo
for stage in "${stage_names[@]+"${stage_names[@]}"}" total; do
	printf '%-32s' "$stage"
	for dir in "${dirs[@]}"; do
		if [[ $stage == total ]]; then
			value=$(awk -F'\t' '{ s += $2 } END { if (NR) printf "%.1f", s }' "$dir/stages" 2>/dev/null || true)
		else
			value=$(awk -F'\t' -v s="$stage" '$1 == s { v = $2 } END { print v }' "$dir/stages" 2>/dev/null || true)
		fi
		printf '%10s' "${value:--}"
	done
	echo
done

echo
echo "$passed passed, $failed failed"
((failed == 0))
