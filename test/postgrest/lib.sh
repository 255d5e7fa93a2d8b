# shellcheck shell=bash
# test/postgrest/lib.sh: helpers for the HTTP-side test suites
# (test/extra/20_postgrest_replay.sh, 30_nginx_mapping.sh, 40_openapi_schema.sh;
# the real-HTTP suite, 21_postgrest_http.sh, uses scripts/postgrest.sh).
#
#   t_case NAME ... t_check COND MSG ... t_end   one PASS/FAIL line per case
#   t_summary                                    "N passed, N failed"; status
#   pgrst_request METHOD URL [BODY] [options]    replay one PostgREST 12 request
#
# pgrst_request replays, through test/postgrest/replay.psql and as the
# authenticator role, the transaction PostgREST 12 runs for /rpc/<fn>, then
# turns its outcome into what the client sees, following the PostgREST
# contract notes (SQLSTATE -> status table, response.headers/response.status
# overrides, Content-Range).  It sets:
#   STATUS   the HTTP status
#   BODY     the response body (JSON text)
#   HEADERS  a JSON object of the response headers that matter here, names
#            lower-cased: content-type, content-range, www-authenticate
#   SQLSTATE the error's SQLSTATE ("" on success)
# Options:
#   --role ROLE      a JWT whose "role" claim is ROLE (none: the anon role)
#   --sub SUB        the JWT's "sub" claim (only with --role)
#   --header 'Name: value'   a request header (Prefer, Range, ...); repeatable
# Needs: PGHOST/PGPORT, REPLAY_DB (the database) and PGRST_CONF (the
# postgrest.conf whose db-schemas, db-anon-role and db-extra-search-path apply).

# The repository root (this file is <root>/test/postgrest/lib.sh).
PGRST_LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# need_cmd COMMAND PACKAGE: apt-get install PACKAGE when COMMAND is missing
# (as root; otherwise say what to install and exit).
need_cmd() {
	command -v "$1" >/dev/null && return 0
	if ((EUID != 0)); then
		echo "$1 is missing: apt-get install $2" >&2
		exit 1
	fi
	echo "installing $2"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "$2" </dev/null >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$2" </dev/null >/dev/null; }
}
need_cmd jq jq

T_PASSED=0
T_FAILED=0
T_NAME=""
T_FAILS=()

t_case() {
	T_NAME=$1
	T_FAILS=()
}

# t_check "shell condition" "what it means": records a failure when false.
t_check() {
	if ! eval "$1"; then
		T_FAILS+=("$2")
	fi
}

# t_jq 'jq filter that must yield true' "what it means" [JSON, default $BODY]
t_jq() {
	local json=${3-$BODY}
	if ! jq -e "$1" >/dev/null 2>&1 <<<"$json"; then
		T_FAILS+=("$2")
	fi
}

t_status() { # t_status EXPECTED
	[[ $STATUS == "$1" ]] || T_FAILS+=("status $STATUS, expected $1")
}

t_code() { # t_code EXPECTED_CODE [EXPECTED_MESSAGE]
	local code message
	code=$(jq -r '.code? // "<none>"' <<<"$BODY" 2>/dev/null || echo "<not json>")
	[[ $code == "$1" ]] || T_FAILS+=("body code $code, expected $1")
	if (($# > 1)); then
		message=$(jq -r '.message? // "<none>"' <<<"$BODY" 2>/dev/null || echo "<not json>")
		[[ $message == "$2" ]] || T_FAILS+=("body message \"$message\", expected \"$2\"")
	fi
}

t_end() {
	if ((${#T_FAILS[@]} == 0)); then
		echo "PASS: $T_NAME"
		T_PASSED=$((T_PASSED + 1))
	else
		echo "FAIL: $T_NAME"
		local f
		for f in "${T_FAILS[@]}"; do echo "      - $f"; done
		[[ -n ${STATUS-} ]] && echo "      (last response: $STATUS ${BODY-})"
		T_FAILED=$((T_FAILED + 1))
	fi
}

t_summary() {
	echo "$T_PASSED passed, $T_FAILED failed"
	((T_FAILED == 0))
}

# The value of KEY in postgrest.conf (a quoted string or a bare word).
pgrst_conf() {
	sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"?([^\"]*)\"?[[:space:]]*$/\1/p" "$PGRST_CONF" | tail -n 1
}

# Percent-decoding of one query-string component ('+' is a space), into the
# variable named $1.
_urldecode() {
	local s=${2//+/ }
	printf -v "$1" '%b' "${s//%/\\x}"
}

# A JSON string for $2, into the variable named $1 (no fork: this runs often).
_json_str() {
	local s=${2//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	printf -v "$1" '"%s"' "$s"
}

# Append "key": value (value already JSON) to the object text in $1.
_json_add() {
	local -n obj=$1
	local k
	_json_str k "$2"
	if [[ $obj == "{}" ]]; then obj="{$k: $3}"; else obj="${obj%\}}, $k: $3}"; fi
}

_PGRST_CONF_LOADED=""
_pgrst_load_conf() {
	[[ $_PGRST_CONF_LOADED == "$PGRST_CONF" ]] && return 0
	PGRST_SCHEMA=$(pgrst_conf db-schemas)
	PGRST_ANON=$(pgrst_conf db-anon-role)
	PGRST_EXTRA=$(pgrst_conf db-extra-search-path)
	[[ -n $PGRST_EXTRA ]] || PGRST_EXTRA=public # PostgREST 12: empty means the default
	_PGRST_CONF_LOADED=$PGRST_CONF
	_PGRST_ERR=$(mktemp)
}

# Remove pgrst_request's scratch file (call from the script's EXIT trap).
pgrst_cleanup() {
	[[ -n ${_PGRST_ERR-} ]] && rm -f "$_PGRST_ERR"
	return 0
}

pgrst_request() {
	local method=$1 url=$2 body=""
	shift 2
	if (($# > 0)) && [[ $1 != --* ]]; then
		body=$1
		shift
	fi
	local role="" sub="" opt
	local -a req_headers=()
	while (($# > 0)); do
		opt=$1
		case $opt in
		--role) role=$2; shift 2 ;;
		--sub) sub=$2; shift 2 ;;
		--header) req_headers+=("$2"); shift 2 ;;
		*) echo "pgrst_request: unknown option $opt" >&2; return 2 ;;
		esac
	done
	_pgrst_load_conf

	local path=${url%%\?*} query=""
	[[ $url == *\?* ]] && query=${url#*\?}
	if [[ $path != /rpc/* ]]; then
		echo "pgrst_request: only /rpc/<fn> is modelled ($path)" >&2
		return 2
	fi
	local fn=${path#/rpc/} js

	# The JWT claims (PostgREST adds or overwrites "role") and the request
	# headers, as PostgREST puts them in request.claims / request.headers.
	local claims='{}' headers_json='{}' authenticated=true
	_json_add headers_json accept '"*/*"'
	_json_add headers_json host '"localhost:3000"'
	_json_add headers_json user-agent '"curl/8.0"'
	if [[ -n $role ]]; then
		_json_str js "$role" && _json_add claims role "$js"
		_json_add claims exp 4102444800
		[[ -n $sub ]] && _json_str js "$sub" && _json_add claims sub "$js"
		_json_add headers_json authorization '"Bearer <the JWT>"'
	else
		role=$PGRST_ANON
		_json_str js "$role" && _json_add claims role "$js"
	fi
	[[ $role == "$PGRST_ANON" ]] && authenticated=false
	if [[ $method == POST ]]; then
		_json_add headers_json content-type '"application/json"'
		_json_add headers_json content-length "\"${#body}\""
	fi
	local h name value count=off prefer="" range=""
	for h in "${req_headers[@]+"${req_headers[@]}"}"; do
		name=${h%%:*}
		name=${name,,}
		value=${h#*:}
		value=${value# }
		_json_str js "$value" && _json_add headers_json "$name" "$js"
		[[ $name == prefer ]] && prefer=$value
		[[ $name == range ]] && range=$value
	done
	[[ ",${prefer// /}," == *,count=exact,* ]] && count=on

	# The payload: the POST body, or the GET query parameters as JSON strings.
	local payload='{}' limit="" offset="" pair key val
	if [[ -n $query ]]; then
		local -a pairs
		IFS='&' read -r -a pairs <<<"$query"
		for pair in "${pairs[@]}"; do
			[[ -z $pair ]] && continue
			[[ $pair == *=* ]] || continue # a valueless ?a is dropped
			_urldecode key "${pair%%=*}"
			_urldecode val "${pair#*=}"
			case $key in
			limit) limit=$val; continue ;;
			offset) offset=$val; continue ;;
			select | columns | on_conflict | *order | *.and | *.or | and | or)
				echo "pgrst_request: ?$key is not modelled" >&2
				return 2
				;;
			esac
			if [[ $val =~ ^(eq|neq|gt|gte|lt|lte|like|ilike|is|in|cs|cd|fts|not)\. ]]; then
				echo "pgrst_request: ?$key=$val would be a filter, not modelled" >&2
				return 2
			fi
			[[ $method == GET ]] && _json_str js "$val" && _json_add payload "$key" "$js"
		done
	fi
	[[ $method == POST ]] && payload=$body
	# Range (GET only) and ?limit/?offset page the outer SELECT.
	if [[ $method == GET && $range =~ ^([0-9]+)-([0-9]*)$ ]]; then
		offset=${BASH_REMATCH[1]}
		[[ -n ${BASH_REMATCH[2]} ]] && limit=$((BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
	fi
	local range_sql=""
	[[ -n $limit ]] && range_sql="LIMIT $limit"
	[[ -n $offset ]] && range_sql="$range_sql OFFSET $offset"

	local out result line details="" hint=""
	out=$(PGUSER=authenticator psql -X -At -d "$REPLAY_DB" \
		-f "$PGRST_LIB_ROOT/test/postgrest/replay.psql" \
		-v schema="$PGRST_SCHEMA" -v fn="$fn" -v method="$method" -v path="$path" \
		-v payload="$payload" -v role="$role" -v claims="$claims" \
		-v headers="$headers_json" -v search_path="\"$PGRST_SCHEMA\", \"$PGRST_EXTRA\"" \
		-v count="$count" -v range_sql="$range_sql" \
		${REPLAY_SHOW_SQL:+-v show_sql=on} 2>"$_PGRST_ERR")
	if [[ -n ${REPLAY_SHOW_SQL-} ]]; then
		printf '%s\n' "$out" | grep -v '^RESULT ' >&2
		cat "$_PGRST_ERR" >&2
	fi
	result=${out##*RESULT }
	[[ $out == *RESULT* ]] || result='{"stage": "harness"}'
	while IFS= read -r line; do
		[[ -z $details && $line == "DETAIL:  "* ]] && details=${line#DETAIL:  }
		[[ -z $hint && $line == "HINT:  "* ]] && hint=${line#HINT:  }
	done <"$_PGRST_ERR"

	# What the client sees (status table, headers): test/postgrest/response.jq.
	# shellcheck disable=SC2034 # HEADERS and SQLSTATE are for the caller
	{
		IFS= read -r STATUS
		IFS= read -r BODY
		IFS= read -r HEADERS
		IFS= read -r SQLSTATE
	} < <(jq -r --arg offset "${offset:-0}" --arg authenticated "$authenticated" \
		--arg details "$details" --arg hint "$hint" \
		-f "$PGRST_LIB_ROOT/test/postgrest/response.jq" <<<"$result" 2>&1 ||
		printf '0\n"harness: %s"\n{}\n\n' "cannot read the replay result")
	if [[ $STATUS == 0 ]]; then
		BODY="harness failure: $out $(cat "$_PGRST_ERR")"
	fi
	return 0
}
