# shellcheck shell=bash
# test/postgrest/lib.sh: check helpers for the suites around the HTTP setup
# (test/extra/20_postgrest_replay.sh, 30_nginx_mapping.sh, 40_openapi_schema.sh;
# the requests themselves go to a real PostgREST 12.0.2 and nginx,
# scripts/postgrest.sh).
#
#   t_case NAME ... t_check COND MSG ... t_end   one PASS/FAIL line per case
#   t_jq / t_status / t_code                     checks of BODY and STATUS
#   t_summary                                    "N passed, N failed"; status
#   pgrst_conf KEY                               KEY's value in PGRST_CONF
#   _json_str VAR STRING                         STRING as JSON text, into VAR
#
# It once also replayed PostgREST's transactions in SQL, before PostgREST
# could be installed here; every suite now sends real requests instead.

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

# A JSON string for $2, into the variable named $1 (no fork: this runs often).
_json_str() {
	local s=${2//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	printf -v "$1" '"%s"' "$s"
}
