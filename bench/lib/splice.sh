# shellcheck shell=bash
# bench/lib/splice.sh: a generated section of BENCHMARKS.md put in place, for
# the benchmarks that write one (bench/http.sh, bench/useragent.sh).
#
#   bench_fragment NAME FRAGMENT OUT
#       print FRAGMENT; unless OUT is "-", copy it to OUT too and put it into
#       BENCHMARKS.md (of the current directory, the repository's root) with
#       bench_splice
#   bench_splice NAME FRAGMENT FILE
#       FRAGMENT, a section that opens with a line "<!-- NAME begins..."
#       and closes with a line "<!-- NAME ends...", replaces FILE's lines
#       from its own "<!-- NAME begins" line to its "<!-- NAME ends" line;
#       when FILE has no such section, FRAGMENT and a blank line go before
#       its "## Where the time goes" heading (the hand-written analysis).
#       FILE is written again in place (cp: its mode and owner stay).

bench_splice() {
	local name=$1 fragment=$2 file=$3 tmp
	tmp=$(mktemp)
	if awk -v b="<!-- $name begins" 'index($0, b) == 1 { found = 1 } END { exit !found }' "$file"; then
		awk -v frag="$fragment" -v b="<!-- $name begins" -v e="<!-- $name ends" '
			index($0, b) == 1 { while ((getline l < frag) > 0) print l; skip = 1; next }
			index($0, e) == 1 { skip = 0; next }
			!skip { print }' "$file" >"$tmp"
	else
		awk -v frag="$fragment" '
			/^## Where the time goes/ && !done { while ((getline l < frag) > 0) print l; print ""; done = 1 }
			{ print }' "$file" >"$tmp"
	fi
	cp "$tmp" "$file"
	rm -f "$tmp"
}

bench_fragment() {
	cat "$2"
	[[ $3 != - ]] || return 0
	cp "$2" "$3"
	bench_splice "$1" "$2" BENCHMARKS.md
}
