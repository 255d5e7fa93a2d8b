#!/usr/bin/env bash
# test/extra/40_openapi_schema.sh: the OpenAPI 3.1 document of the documented
# paths (examples/openapi/authenticated-sessions.openapi.json) describes what
# the API really returns, strictly enough to notice when it does not.
#
# In a fresh database with the documented users, the bodies of real requests
# to a real PostgREST 12.0.2 (examples/postgrest/postgrest.conf, the test
# cluster's JWT key file, scripts/postgrest.sh) are validated against the
# document's response schemas with Ajv (JSON Schema 2020-12,
# strict, with formats); then mutated copies of them (an extra key, a wrong
# type, a bad timestamp, ...) must be rejected.  Also: the document is valid
# OpenAPI 3.1, its examples match its schemas, and the nginx site's own error
# bodies match the Error schema.  The validator is installed from npm with
# `npm ci` (test/openapi/package-lock.json) into test/openapi/node_modules.
# Prints PASS/FAIL per check and "N passed, N failed"; exits non-zero when a
# check failed.
# t_check conditions are single-quoted on purpose: t_check evaluates them.
# shellcheck disable=SC2016,SC2034
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# t_case / t_check / t_end / t_summary and _json_str
# shellcheck source=test/postgrest/lib.sh
source test/postgrest/lib.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh

OPENAPI=examples/openapi/authenticated-sessions.openapi.json
export REPLAY_DB="authsessions_openapi_$$"
# shellcheck source=test/extra/lib/example_roles.sh
source test/extra/lib/example_roles.sh
ADMIN=authsessions_admin
USER_GUID=83bde819-ec08-4cee-b635-884145630d0b
USER2_GUID=90b10bb2-8c70-456f-b960-2251ae6d8778
LIST=/v1/authenticated-sessions/list
USESS='/v1/authenticated-sessions/user-sessions/{guid}'
REVOKE=/v1/authenticated-sessions/revoke
REVOKE_USER=/v1/authenticated-sessions/revoke-user

# --- node and the validator -----------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	((EUID == 0)) || { echo "node and npm are missing: apt-get install nodejs npm" >&2; exit 1; }
	echo "installing nodejs and npm"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends nodejs npm </dev/null >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm </dev/null >/dev/null; }
fi
if [[ ! -f test/openapi/node_modules/.package-lock.json ||
	test/openapi/package-lock.json -nt test/openapi/node_modules/.package-lock.json ]]; then
	echo "npm ci in test/openapi"
	npm ci --prefix test/openapi --no-audit --no-fund --loglevel=error >/dev/null
fi

# --- a database with the documented users ------------------------------------------------
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$REPLAY_DB" "$@"; }
work=$(mktemp -d)
# postgrest_start puts postgrest_stop in front of this trap.
cleanup() {
	rm -rf "$work"
	example_roles_dropdb "$REPLAY_DB"
}
trap cleanup EXIT

example_roles_createdb "$REPLAY_DB"
sql >/dev/null <<-EOF
	SELECT authsessions.upsert_user('$USER_GUID', 'user', true);
	SELECT authsessions.upsert_user('$USER2_GUID', 'user2', false);
	SELECT authsessions.create_session('$USER_GUID', '-', 'Other- v. ', 'Other- v. ');
	SELECT authsessions.create_session('$USER2_GUID', 'Pixel 7', 'Android v. 14', 'Mobile v. 3.2');
	SELECT authsessions.create_session('$USER2_GUID', NULL, NULL, NULL);
	SELECT authsessions.create_session('$USER2_GUID', '-', 'Windows v. 11', NULL);
	SELECT authsessions.create_session('$USER2_GUID', '-', 'Linux v. 6.1', 'Firefox v. 121');
EOF
target=$(sql -c "SELECT min(id) FROM authsessions_data.sessions")

# --- a real PostgREST, with the key the server signs issue_jwt's JWTs with ---------------
KEY_FILE=${AUTHSESSIONS_JWT_KEY_FILE:?the key file of authsessions.jwt_secret_file (scripts/pgenv.sh sets it)}
KEY=$(cat "$KEY_FILE")
postgrest_install
POSTGREST_JWT_SECRET="@$KEY_FILE"
postgrest_start "$REPLAY_DB"
NOW=$(date +%s)

# request METHOD /rpc/FN[?QUERY] [BODY] [--role ROLE [--sub SUB]] [--header H]...
# sends it to PostgREST; with --role and no Authorization header, a JWT of
# that role (and sub) signed with the key goes with it.  Sets STATUS, BODY
# and HEADERS (the response's headers as a JSON object, names lower-cased).
request() {
	local method=$1 url=$2 role="" sub="" claims auth=false
	local -a opts=()
	shift 2
	if (($# > 0)) && [[ $1 != --* ]]; then
		opts+=(-H 'Content-Type: application/json' --data-binary "$1")
		shift
	fi
	while (($# > 0)); do
		case $1 in
		--role) role=$2 ;;
		--sub) sub=$2 ;;
		--header)
			opts+=(-H "$2")
			[[ ${2,,} == authorization:* ]] && auth=true
			;;
		*) echo "request: unknown option $1" >&2; return 2 ;;
		esac
		shift 2
	done
	if [[ -n $role ]] && ! $auth; then
		claims=$(jq -cn --arg role "$role" --arg sub "$sub" --argjson exp $((NOW + 3600)) \
			'{role: $role, exp: $exp} + (if $sub == "" then {} else {sub: $sub} end)')
		opts+=(-H "Authorization: Bearer $(postgrest_jwt "$claims" "$KEY")")
	fi
	STATUS=$(curl -sS -X "$method" -D "$work/headers" -o "$work/body" -w '%{http_code}' \
		"${opts[@]+"${opts[@]}"}" "$POSTGREST_URL$url")
	BODY=$(cat "$work/body")
	HEADERS=$(tr -d '\r' <"$work/headers" | jq -R -s -c '[split("\n")[] | capture("^(?<k>[^:]+): (?<v>.*)$")?
		| {(.k | ascii_downcase): .v}] | add // {}')
}

# --- real responses ------------------------------------------------------------------------
CASES=() # one JSON object per case
# add_case NAME PATH METHOD STATUS BODY_JSON EXPECT [HEADER]
add_case() {
	local name path header=""
	_json_str name "$1"
	_json_str path "$2"
	[[ -n ${7-} ]] && header=", \"header\": \"$7\""
	CASES+=("{\"name\": $name, \"path\": $path, \"method\": \"$3\", \"status\": \"$4\", \"body\": $5, \"expect\": \"$6\"$header}")
}
# real NAME PATH METHOD REQUEST...: send the request, check its status is a
# documented one, and validate its body against that status's schema.
real() {
	local name=$1 path=$2 method=$3
	shift 3
	request "$@"
	add_case "$name (real: $STATUS)" "$path" "$method" "$STATUS" "$BODY" valid
}

real "list" $LIST get GET /rpc/list --role $ADMIN --sub a
LIST_BODY=$BODY
real "list?page=2&page_size=1" $LIST get GET '/rpc/list?page=2&page_size=1' --role $ADMIN --sub a
real "list?page=9" $LIST get GET '/rpc/list?page=9' --role $ADMIN --sub a
real "list?page_size=1 with Prefer: count=exact" $LIST get GET '/rpc/list?page_size=1' --role $ADMIN --sub a \
	--header 'Prefer: count=exact'
add_case "list?page_size=1 with Prefer: count=exact: Content-Range (real)" $LIST get "$STATUS" \
	"$(jq -c '.["content-range"]' <<<"$HEADERS")" valid Content-Range
request GET '/rpc/list?page=9' --role $ADMIN --sub a --header 'Prefer: count=exact'
add_case "list?page=9 with Prefer: count=exact: Content-Range (real)" $LIST get "$STATUS" \
	"$(jq -c '.["content-range"]' <<<"$HEADERS")" valid Content-Range
request GET /rpc/list --role $ADMIN --sub a
add_case "list without Prefer: Content-Range (real)" $LIST get "$STATUS" \
	"$(jq -c '.["content-range"]' <<<"$HEADERS")" valid Content-Range
real "user_sessions of user" "$USESS" get GET "/rpc/user_sessions?guid=$USER_GUID" --role $ADMIN --sub a
real "user_sessions of user2 (null device fields)" "$USESS" get GET "/rpc/user_sessions?guid=$USER2_GUID" --role $ADMIN --sub a
SESSIONS_BODY=$BODY
real "user_sessions of an unknown user" "$USESS" get GET "/rpc/user_sessions?guid=00000000-0000-4000-8000-000000000000" --role $ADMIN --sub a
real "revoke" $REVOKE post POST /rpc/revoke "{\"Session\": $target}" --role $ADMIN --sub a
REVOKE_BODY=$BODY
real "revoke again: err_NoActiveSession" $REVOKE post POST /rpc/revoke "{\"Session\": $target}" --role $ADMIN --sub a
ERROR_BODY=$BODY
real "revoke {\"session\": N}: PGRST202" $REVOKE post POST /rpc/revoke "{\"session\": $target}" --role $ADMIN --sub a
real "revoke {\"Session\": \"abc\"}" $REVOKE post POST /rpc/revoke '{"Session": "abc"}' --role $ADMIN --sub a
real "list?page=0" $LIST get GET '/rpc/list?page=0' --role $ADMIN --sub a
real "list?after=not-a-guid" $LIST get GET '/rpc/list?after=not-a-guid' --role $ADMIN --sub a
real "user_sessions?page_size=0" "$USESS" get GET "/rpc/user_sessions?guid=$USER_GUID&page_size=0" --role $ADMIN --sub a
real "list without a JWT" $LIST get GET /rpc/list
real "user_sessions with the application role" "$USESS" get GET "/rpc/user_sessions?guid=$USER_GUID" --role authsessions_app --sub b
real "revoke without a JWT" $REVOKE post POST /rpc/revoke '{"Session": 1}'
real "revoke-user" $REVOKE_USER post POST /rpc/revoke_user "{\"UserGuid\": \"$USER2_GUID\"}" --role $ADMIN --sub a
REVOKE_USER_BODY=$BODY
real "revoke-user again: err_NoActiveSession" $REVOKE_USER post POST /rpc/revoke_user "{\"UserGuid\": \"$USER2_GUID\"}" --role $ADMIN --sub a
real "revoke-user {\"UserGuid\": \"abc\"}" $REVOKE_USER post POST /rpc/revoke_user '{"UserGuid": "abc"}' --role $ADMIN --sub a
real "revoke-user {\"guid\": ...}: PGRST202" $REVOKE_USER post POST /rpc/revoke_user "{\"guid\": \"$USER_GUID\"}" --role $ADMIN --sub a
real "revoke-user with the application role" $REVOKE_USER post POST /rpc/revoke_user "{\"UserGuid\": \"$USER_GUID\"}" --role authsessions_app --sub b
real "revoke-user without a JWT" $REVOKE_USER post POST /rpc/revoke_user "{\"UserGuid\": \"$USER_GUID\"}"

# The self-service paths, with a JWT of issue_jwt (the test cluster's key,
# scripts/pgenv.sh) in the Authorization header, as PostgREST passes it.
MY=/v1/my/sessions
USER_JWT=$(sql -c "SELECT authsessions.issue_jwt(authsessions.create_session('$USER2_GUID', 'me') ->> 'Token') ->> 'JWT'")
AS_USER=(--role authsessions_user --sub "$USER2_GUID" --header "Authorization: Bearer $USER_JWT")
real "my_sessions" "$MY" get GET /rpc/my_sessions "${AS_USER[@]}"
MY_BODY=$BODY
real "my_sessions?page_size=0" "$MY" get GET '/rpc/my_sessions?page_size=0' "${AS_USER[@]}"
real "my_sessions with a JWT that is not issue_jwt's" "$MY" get GET /rpc/my_sessions --role authsessions_user --sub x
real "my_sessions with the admin role" "$MY" get GET /rpc/my_sessions --role $ADMIN --sub a
real "revoke_my_session of another user's session" "$MY/revoke" post POST /rpc/revoke_my_session "{\"Session\": $target}" "${AS_USER[@]}"
real "revoke_my_session {\"Session\": \"abc\"}" "$MY/revoke" post POST /rpc/revoke_my_session '{"Session": "abc"}' "${AS_USER[@]}"
real "revoke_my_other_sessions" "$MY/revoke-others" post POST /rpc/revoke_my_other_sessions '{}' "${AS_USER[@]}"
real "logout" "$MY/logout" post POST /rpc/logout '{}' "${AS_USER[@]}"
real "my_sessions after logout: err_SessionEnded" "$MY" get GET /rpc/my_sessions "${AS_USER[@]}"

# --- mutations: each must be rejected ------------------------------------------------------------
# mutate NAME PATH METHOD STATUS JSON JQ_MUTATION
mutate() {
	add_case "rejects: $1" "$2" "$3" "$4" "$(jq -c "$6" <<<"$5")" invalid
}
mutate "my session without Current" "$MY" get 200 "$MY_BODY" 'del(.[0].Current)'
mutate "Current as a string" "$MY" get 200 "$MY_BODY" '.[0].Current = "true"'
mutate "list item with an extra key" $LIST get 200 "$LIST_BODY" '.[0].Extra = 1'
mutate "list item without IsOperator" $LIST get 200 "$LIST_BODY" 'del(.[0].IsOperator)'
mutate "SessionCount as a string" $LIST get 200 "$LIST_BODY" '.[0].SessionCount |= tostring'
mutate "SessionCount not an integer" $LIST get 200 "$LIST_BODY" '.[0].SessionCount = 1.5'
mutate "IsOperator as a string" $LIST get 200 "$LIST_BODY" '.[0].IsOperator = "true"'
mutate "UserGuid not a GUID" $LIST get 200 "$LIST_BODY" '.[0].UserGuid = "83bde819ec084ceeb635884145630d0b"'
mutate "UserName null" $LIST get 200 "$LIST_BODY" '.[0].UserName = null'
mutate "list wrapped in an object" $LIST get 200 "$LIST_BODY" '{items: .}'
mutate "session with an extra key" "$USESS" get 200 "$SESSIONS_BODY" '.[0].Token = "x"'
mutate "session without Application" "$USESS" get 200 "$SESSIONS_BODY" 'del(.[0].Application)'
mutate "ID as a string" "$USESS" get 200 "$SESSIONS_BODY" '.[0].ID |= tostring'
mutate "UserID null" "$USESS" get 200 "$SESSIONS_BODY" '.[0].UserID = null'
mutate "LastUpdated with a space and an offset" "$USESS" get 200 "$SESSIONS_BODY" '.[0].LastUpdated = "2020-09-21 10:42:50+00"'
mutate "LastUpdated with fractional seconds" "$USESS" get 200 "$SESSIONS_BODY" '.[0].LastUpdated = "2020-09-21T10:42:50.123Z"'
mutate "ExpirationDate with +00:00" "$USESS" get 200 "$SESSIONS_BODY" '.[0].ExpirationDate = "2020-09-23T10:42:50+00:00"'
mutate "ExpirationDate as a date" "$USESS" get 200 "$SESSIONS_BODY" '.[0].ExpirationDate = "2020-09-23"'
mutate "ExpirationDate impossible" "$USESS" get 200 "$SESSIONS_BODY" '.[0].ExpirationDate = "2020-13-45T25:61:61Z"'
mutate "Smartphone as a number" "$USESS" get 200 "$SESSIONS_BODY" '.[0].Smartphone = 5'
mutate "OperatingSystem as an object" "$USESS" get 200 "$SESSIONS_BODY" '.[0].OperatingSystem = {}'
mutate "IsOperator null" "$USESS" get 200 "$SESSIONS_BODY" '.[0].IsOperator = null'
mutate "revoke answer with an extra key" $REVOKE post 200 "$REVOKE_BODY" '.Revoked = 1'
mutate "revoke answer Success false" $REVOKE post 200 "$REVOKE_BODY" '.Success = false'
mutate "revoke answer Success as a string" $REVOKE post 200 "$REVOKE_BODY" '.Success = "true"'
mutate "revoke-user answer Revoked 0" $REVOKE_USER post 200 "$REVOKE_USER_BODY" '.Revoked = 0'
mutate "revoke-user answer Revoked as a string" $REVOKE_USER post 200 "$REVOKE_USER_BODY" '.Revoked |= tostring'
mutate "revoke-user answer with Success too" $REVOKE_USER post 200 "$REVOKE_USER_BODY" '.Success = true'
mutate "error without hint" $REVOKE post 404 "$ERROR_BODY" 'del(.hint)'
mutate "error with an extra key" $REVOKE post 404 "$ERROR_BODY" '.status = 404'
mutate "error with a numeric code" $REVOKE post 404 "$ERROR_BODY" '.code = 404'
add_case "rejects: Content-Range without a total" $LIST get 206 '"0-0"' invalid Content-Range
add_case "accepts: a session whose device fields are all null (control)" "$USESS" get 200 \
	"$(jq -c '.[0] | .Smartphone = null | .OperatingSystem = null | .Application = null | [.]' <<<"$SESSIONS_BODY")" valid

(IFS=,; printf '[%s]\n' "${CASES[*]}") >"$work/cases.json"

# --- validate -------------------------------------------------------------------------------
STATUS="" # no "last response" lines from here on
checks=0
while IFS=$'\t' read -r ok name detail; do
	checks=$((checks + 1))
	t_case "$name"
	[[ $ok == ok ]] || T_FAILS+=("${detail:-failed}")
	t_end
done < <(node test/openapi/validate.mjs "$OPENAPI" "$work/cases.json" examples/postgrest/nginx.conf ||
	printf 'fail\tvalidate.mjs ran to the end\tit failed\n')

t_case "every case was validated"
want=$(jq 'length' "$work/cases.json")
t_check '((checks > want))' "only $checks results for $want cases"
t_end

t_summary
