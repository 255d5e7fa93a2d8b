# shellcheck shell=bash
# test/extra/lib/http_checks.sh: one request at a time with curl, and checks
# of its response, for the suites that talk HTTP to PostgREST and nginx
# (21_postgrest_http.sh, 23_jwt_http.sh, 68_standby_http.sh).  Source it
# after lib/checks.sh (done_case counts through tc_pass / tc_fail) and
# scripts/postgrest.sh (the response files go to POSTGREST_DIR, which
# postgrest_start makes).
#
#   req METHOD URL [curl options...]
#                         send it; sets STATUS (000 when curl failed), BODY,
#                         HDRS (the response headers, names lower-cased, no
#                         CR) and REQ ("METHOD URL").  HEAD is sent as
#                         curl --head.
#   hdr NAME              the last response's header NAME (lower case)
#   note WHY              record a failed check of the current case
#   want_status STATUS    the last response's status is STATUS
#   want_jq FILTER [WHY]  jq -e FILTER holds on the last body
#   want_code CODE [MESSAGE]
#                         the body's "code" is CODE (and its "message"
#                         MESSAGE)
#   want_hdr NAME VALUE   the last response's header NAME is VALUE
#   want ACTUAL EXPECTED [WHAT]
#                         ACTUAL is EXPECTED
#   done_case NAME        PASS NAME when no check since the last done_case
#                         failed; else FAIL NAME, each failed check's note and
#                         the last request and response
#
# A case is any number of req and want_* calls, ended by done_case.

FAIL_NOTE=()

req() {
	local method=$1 url=$2 work=${POSTGREST_DIR:?start PostgREST first (scripts/postgrest.sh)}
	shift 2
	local head=()
	[[ $method == HEAD ]] && head=(--head)
	STATUS=$(curl -sS -X "$method" "${head[@]+"${head[@]}"}" -D "$work/headers" -o "$work/body" \
		-w '%{http_code}' "$@" "$url" 2>"$work/curl.err") || STATUS=000
	BODY=$(cat "$work/body" 2>/dev/null || true)
	HDRS=$(tr -d '\r' <"$work/headers" | sed 's/^\([^:]*\):/\L\1:/')
	REQ="$method $url"
}
hdr() { sed -n "s/^$1: //p" <<<"$HDRS" | tail -n 1; }

note() { FAIL_NOTE+=("$1"); }
want_status() { [[ $STATUS == "$1" ]] || note "status $STATUS, expected $1"; }
want_jq() { jq -e "$1" >/dev/null 2>&1 <<<"$BODY" || note "${2:-body: $1 does not hold}"; }
want_code() {
	local c m
	c=$(jq -r '.code? // "<none>"' <<<"$BODY" 2>/dev/null || echo '<not json>')
	[[ $c == "$1" ]] || note "code $c, expected $1"
	if (($# > 1)); then
		m=$(jq -r '.message? // "<none>"' <<<"$BODY" 2>/dev/null || echo '<not json>')
		[[ $m == "$2" ]] || note "message '$m', expected '$2'"
	fi
}
want_hdr() {
	[[ $(hdr "$1") == "$2" ]] || note "$1: '$(hdr "$1")', expected '$2'"
}
want() { [[ $1 == "$2" ]] || note "${3:-value} '$1', expected '$2'"; }

done_case() {
	if ((${#FAIL_NOTE[@]} == 0)); then
		tc_pass "$1"
	else
		tc_fail "$1"
		local n
		for n in "${FAIL_NOTE[@]}"; do echo "      - $n"; done
		echo "      ($REQ -> $STATUS ${BODY:0:300})"
	fi
	FAIL_NOTE=()
}
