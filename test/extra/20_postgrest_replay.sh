#!/usr/bin/env bash
# test/extra/20_postgrest_replay.sh: the documented admin API through
# PostgREST 12, proven without a PostgREST binary.
#
# Each case replays, as the authenticator role of examples/postgrest/roles.sql
# and with the settings of examples/postgrest/postgrest.conf, the transaction
# PostgREST 12 runs for one request (test/postgrest/replay.psql: BEGIN ...
# READ ONLY/READ WRITE, the set_config calls, the WITH pgrst_source ...
# json_to_record ... query, COMMIT/ABORT) and asserts the status, the body
# and, where it matters, the headers a client would see (test/postgrest/lib.sh
# maps SQLSTATEs with the contract's table).
#
# Needs PGHOST/PGPORT/PGUSER (a superuser) of a cluster where the extension is
# installed; creates its own database and drops it (and the example roles, if
# it created them) at the end.  Prints PASS/FAIL per case and
# "N passed, N failed"; exits non-zero when a case failed.
#   REPLAY_SHOW_SQL=1 test/extra/20_postgrest_replay.sh   also prints the SQL
# t_check conditions are single-quoted on purpose: t_check evaluates them.
# shellcheck disable=SC2016,SC2034
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/postgrest/lib.sh
source test/postgrest/lib.sh

export PGRST_CONF=examples/postgrest/postgrest.conf
export REPLAY_DB="authsessions_replay_$$"
EXAMPLE_ROLES="authenticator authsessions_anon authsessions_admin authsessions_app"

ADMIN=authsessions_admin
APP=authsessions_app
ADMIN_SUB="admin@example.com"
USER_GUID=83bde819-ec08-4cee-b635-884145630d0b  # "user": operator, 1 session
USER2_GUID=90b10bb2-8c70-456f-b960-2251ae6d8778 # "user2": 4 active sessions
USER3_GUID=6f2b8a4e-3c1d-4e5f-9a7b-0c1d2e3f4a5b # "user3": no active session
UNKNOWN_GUID=00000000-0000-4000-8000-000000000000

# Superuser access to the test database.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$REPLAY_DB" "$@"; }

created_roles=""
cleanup() {
	pgrst_cleanup
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $REPLAY_DB WITH (FORCE)" >/dev/null 2>&1 || true
	local r
	for r in $created_roles; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

# --- set-up ----------------------------------------------------------------
existing=$(psql -X -At -d postgres -c \
	"SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname IN ('${EXAMPLE_ROLES// /\',\'}')")
for r in $EXAMPLE_ROLES; do
	[[ " $existing " == *" $r "* ]] || created_roles+=" $r"
done

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $REPLAY_DB" >/dev/null
# validate slides on every call (no 60 s wait), so a slide that should not
# happen would show.
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "ALTER DATABASE $REPLAY_DB SET authsessions.touch_interval = 0" >/dev/null
# The example roles and grants, exactly as a user loads them.
PGOPTIONS="-c client_min_messages=warning" sql -f examples/postgrest/roles.sql >/dev/null

# Fixtures: the documented users.  user2 also has an expired session and
# user3 only a revoked one: neither counts.
sql >/dev/null <<-EOF
	SELECT authsessions.upsert_user('$USER_GUID', 'user', true);
	SELECT authsessions.upsert_user('$USER2_GUID', 'user2', false);
	SELECT authsessions.upsert_user('$USER3_GUID', 'user3', false);
	SELECT authsessions.create_session('$USER3_GUID') ->> 'ID' AS id \gset revoked_
	SELECT authsessions.revoke(:revoked_id);
	SELECT authsessions.create_session('$USER2_GUID', 'old', 'old', 'old') ->> 'ID' AS id \gset expired_
	UPDATE authsessions_data.sessions SET last_updated = now() - interval '3 days',
		expires_at = now() - interval '1 day'
	WHERE id = :expired_id;
	-- and user2's session summary, as the writers would have kept it
	UPDATE authsessions_data.users u SET session_expiries = ARRAY(
		SELECT s.expires_at FROM authsessions_data.sessions s
		WHERE s.user_id = u.id AND s.revoked_at IS NULL ORDER BY s.expires_at);
EOF
S_USER=$(sql -c "SELECT authsessions.create_session('$USER_GUID', '-', 'Other- v. ', 'Other- v. ') ->> 'ID'")
S2=()
S2+=("$(sql -c "SELECT authsessions.create_session('$USER2_GUID', 'Pixel 7', 'Android v. 14', 'Mobile v. 3.2') ->> 'ID'")")
S2+=("$(sql -c "SELECT authsessions.create_session('$USER2_GUID', NULL, NULL, NULL) ->> 'ID'")")
S2+=("$(sql -c "SELECT authsessions.create_session('$USER2_GUID', '-', 'Windows v. 11', 'Chrome v. 120') ->> 'ID'")")
S2+=("$(sql -c "SELECT authsessions.create_session('$USER2_GUID', '-', 'Linux v. 6.1', 'Firefox v. 121') ->> 'ID'")")

DOC_LIST=$(jq -cn --arg g1 "$USER_GUID" --arg g2 "$USER2_GUID" '[
	{UserGuid: $g1, UserName: "user", SessionCount: 1, IsOperator: true},
	{UserGuid: $g2, UserName: "user2", SessionCount: 4, IsOperator: false}]')
USER1_ROW=$(jq -c '.[0]' <<<"$DOC_LIST")
USER2_ROW=$(jq -c '.[1]' <<<"$DOC_LIST")
SESSION_KEYS='["Application","ExpirationDate","ID","IsOperator","LastUpdated","OperatingSystem","Smartphone","UserGuid","UserID","UserName"]'
TS='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

is_active() { # is_active SESSION_ID -> t/f
	sql -c "SELECT revoked_at IS NULL AND expires_at > now() FROM authsessions_data.sessions WHERE id = $1"
}

# --- configuration and catalogue ---------------------------------------------
t_case "postgrest.conf exposes only schema authsessions, anon role authsessions_anon"
t_check '[[ $(pgrst_conf db-schemas) == authsessions ]]' "db-schemas is '$(pgrst_conf db-schemas)'"
t_check '[[ $(pgrst_conf db-anon-role) == authsessions_anon ]]' "db-anon-role is '$(pgrst_conf db-anon-role)'"
t_check '[[ $(pgrst_conf db-extra-search-path) != *authsessions_data* ]]' "db-extra-search-path names authsessions_data"
t_end

# Every function's COMMENT: a one-line summary, then a description that
# covers the result, every argument and the errors (PostgREST's OpenAPI
# output uses the first line as summary and the rest as description).
while IFS='|' read -r fn oid; do
	comment=$(sql -c "SELECT obj_description($oid, 'pg_proc')")
	summary=${comment%%$'\n'*}
	rest=""
	[[ $comment == *$'\n'* ]] && rest=${comment#*$'\n'}
	t_case "COMMENT ON FUNCTION authsessions.$fn: a summary line, then result, arguments, errors"
	t_check '[[ -n $comment ]]' "no comment"
	t_check '[[ -n $rest ]]' "no description after the summary line"
	t_check '[[ $summary =~ ^[A-Z].{9,99}\.$ ]]' "the first line is not one sentence of 10-100 characters: '$summary'"
	t_check '[[ $rest == *Return* ]]' "the description does not say what it returns"
	t_check '[[ ${rest,,} == *error* ]]' "the description does not mention errors"
	for a in $(sql -c "SELECT array_to_string(proargnames, ' ') FROM pg_proc WHERE oid = $oid"); do
		t_check '[[ $rest == *"$a"* ]]' "the description does not mention argument $a"
	done
	t_end
done < <(sql -c "SELECT proname || '|' || oid FROM pg_proc
                 WHERE pronamespace = 'authsessions'::regnamespace ORDER BY proname")

# --- admin: list -------------------------------------------------------------
pgrst_request GET /rpc/list --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/list -> 200, exactly the documented array"
t_status 200
t_jq ". == $DOC_LIST" "body is not the documented array"
t_jq '.["content-range"] == "0-0/*"' "Content-Range is not PostgREST's 0-0/* (no count asked)" "$HEADERS"
t_end

pgrst_request GET '/rpc/list?page=2&page_size=1' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/list?page=2&page_size=1 (JSON string values) -> 200, the second user"
t_status 200
t_jq ". == [$USER2_ROW]" "body is not [user2]"
t_end

pgrst_request POST /rpc/list '{"page": 2, "page_size": 1}' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/list {page: 2, page_size: 1} (STABLE: READ ONLY) -> 200, the second user"
t_status 200
t_jq ". == [$USER2_ROW]" "body is not [user2]"
t_end

pgrst_request GET "/rpc/list?page_size=1&after=$USER_GUID" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/list?after=<user's guid>&page_size=1 -> 200, the next page"
t_status 200
t_jq ". == [$USER2_ROW]" "body is not [user2]"
t_end

pgrst_request GET "/rpc/list?after=$USER2_GUID" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/list?after=<last guid> -> 200, []"
t_status 200
t_jq '. == []' "body is not []"
t_end

for bad in 'page=0|22023' 'page=-1|22023' 'page_size=0|22023' 'page_size=1001|22023' 'page=abc|22P02' \
	"after=$UNKNOWN_GUID|22023" "page=2&after=$USER_GUID|22023" 'after=not-a-guid|22P02'; do
	pgrst_request GET "/rpc/list?${bad%|*}" --role $ADMIN --sub "$ADMIN_SUB"
	t_case "admin GET /rpc/list?${bad%|*} -> 400 ${bad#*|}"
	t_status 400
	t_code "${bad#*|}"
	t_end
done

pgrst_request GET '/rpc/list?limit_rows=5' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/list?limit_rows=5 (not a parameter) -> 404 PGRST202"
t_status 404
t_code PGRST202
t_end

# --- Prefer: count=exact -------------------------------------------------------
count_case() { # count_case URL EXPECTED_STATUS EXPECTED_RANGE JQ_BODY_CHECK [PREFER]
	pgrst_request GET "$1" --role $ADMIN --sub "$ADMIN_SUB" --header "Prefer: ${5:-count=exact}"
	t_case "admin GET $1 with Prefer: ${5:-count=exact} -> $2, Content-Range: $3"
	t_status "$2"
	t_jq ".[\"content-range\"] == \"$3\"" "Content-Range is $(jq -r '.["content-range"]' <<<"$HEADERS")" "$HEADERS"
	t_jq "$4" "body: $4 does not hold"
	t_end
}
count_case /rpc/list 200 0-1/2 ". == $DOC_LIST"
count_case '/rpc/list?page_size=1' 206 0-0/2 ". == [$USER1_ROW]"
count_case '/rpc/list?page=2&page_size=1' 206 1-1/2 ". == [$USER2_ROW]" 'handling=lenient, count=exact'
count_case '/rpc/list?page=3&page_size=1' 200 '*/2' '. == []'
count_case "/rpc/list?page_size=1&after=$USER_GUID" 206 1-1/2 ". == [$USER2_ROW]"
count_case "/rpc/list?after=$USER2_GUID" 200 '*/2' '. == []'
count_case "/rpc/user_sessions?guid=$USER2_GUID&page_size=3" 206 0-2/4 'length == 3'
count_case "/rpc/user_sessions?guid=$USER2_GUID&page=2&page_size=3" 206 3-3/4 'length == 1'
count_case "/rpc/user_sessions?guid=$USER2_GUID" 200 0-3/4 'length == 4'
count_case "/rpc/user_sessions?guid=$UNKNOWN_GUID" 200 '*/0' '. == []'

pgrst_request GET '/rpc/list?page_size=1' --role $ADMIN --sub "$ADMIN_SUB" --header 'Prefer: count=planned'
t_case "admin GET /rpc/list?page_size=1 with Prefer: count=planned -> 200, no total computed"
t_status 200
t_jq '.["content-range"] == "0-0/*"' "Content-Range is $(jq -r '.["content-range"]' <<<"$HEADERS")" "$HEADERS"
t_end

# Why the nginx site drops Range: PostgREST turns it into OFFSET/LIMIT on the
# one-row result of the call, which empties the documented body.
pgrst_request GET /rpc/list --role $ADMIN --sub "$ADMIN_SUB" --header 'Range: 1-10'
t_case "admin GET /rpc/list with Range: 1-10 -> body null (the reason nginx drops Range)"
t_status 200
t_jq '. == null' "body is not null"
t_end

# --- admin: user_sessions --------------------------------------------------------
pgrst_request GET "/rpc/user_sessions?guid=$USER_GUID" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=<user> -> 200, one session with exactly the documented keys"
t_status 200
t_jq "length == 1 and (.[0] | keys) == $SESSION_KEYS" "not one object with the documented keys"
t_jq ".[0] | .ID == $S_USER and (.UserID | type) == \"number\" and .UserGuid == \"$USER_GUID\"
	and .UserName == \"user\" and .IsOperator == true and .Smartphone == \"-\"
	and .OperatingSystem == \"Other- v. \" and .Application == \"Other- v. \"" "values differ from the fixture"
t_jq ".[0] | (.LastUpdated | test(\"$TS\")) and (.ExpirationDate | test(\"$TS\"))
	and ((.ExpirationDate | fromdate) - (.LastUpdated | fromdate) == 172800)" \
	"timestamps not UTC seconds with ExpirationDate = LastUpdated + 48h"
t_end

pgrst_request GET "/rpc/user_sessions?guid=$USER2_GUID" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=<user2> -> 200, 4 active sessions, newest first, nulls as null"
t_status 200
t_jq "[.[].ID] == [${S2[3]}, ${S2[2]}, ${S2[1]}, ${S2[0]}]" "IDs are not the 4 active sessions, newest first"
t_jq ".[] | select(.ID == ${S2[1]}) | .Smartphone == null and .OperatingSystem == null and .Application == null" \
	"NULL device fields are not JSON null"
t_jq 'all(.[]; .UserName == "user2" and .IsOperator == false)' "user fields differ"
t_end

pgrst_request GET "/rpc/user_sessions?guid=$USER2_GUID&page=2&page_size=3" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=<user2>&page=2&page_size=3 -> 200, the oldest session"
t_status 200
t_jq "[.[].ID] == [${S2[0]}]" "not the 4th session"
t_end

pgrst_request GET "/rpc/user_sessions?guid=$UNKNOWN_GUID" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=<unknown> -> 200, []"
t_status 200
t_jq '. == []' "body is not []"
t_end

pgrst_request GET "/rpc/user_sessions?guid=not-a-guid" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=not-a-guid -> 400 22P02"
t_status 400
t_code 22P02
t_end

pgrst_request GET "/rpc/user_sessions?guid=$USER_GUID&page=0" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions?guid=<user>&page=0 -> 400 22023"
t_status 400
t_code 22023
t_end

pgrst_request GET /rpc/user_sessions --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/user_sessions without guid -> 404 PGRST202 (guid is required)"
t_status 404
t_code PGRST202
t_end

# --- admin: revoke ---------------------------------------------------------------
target=${S2[3]}
pgrst_request POST /rpc/revoke "{\"Session\": $target}" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke {\"Session\": $target} -> 200 {\"Success\": true}, revoked_by = JWT sub, revoked_by_role = JWT role, revoked_by_login = authenticator"
t_status 200
t_jq '. == {"Success": true}' "body is not {\"Success\": true}"
by=$(sql -c "SELECT revoked_by FROM authsessions_data.sessions WHERE id = $target")
t_check '[[ $by == "$ADMIN_SUB" ]]' "revoked_by is '$by', expected '$ADMIN_SUB'"
audit=$(sql -c "SELECT revoked_by_role || ' ' || revoked_by_login FROM authsessions_data.sessions WHERE id = $target")
t_check '[[ $audit == "$ADMIN authenticator" ]]' "revoked_by_role and revoked_by_login are '$audit', expected '$ADMIN authenticator'"
t_check '[[ $(is_active "$target") == f ]]' "session still active"
t_end

pgrst_request POST /rpc/revoke "{\"Session\": $target}" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke the same session again -> 404 PT404 err_NoActiveSession"
t_status 404
t_code PT404 err_NoActiveSession
t_jq '.details == "No active session was found for the provided session ID."' "details differ"
t_end

pgrst_request POST /rpc/revoke '{"Session": 987654321}' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke an unknown session -> 404 PT404 err_NoActiveSession"
t_status 404
t_code PT404 err_NoActiveSession
t_end

target=${S2[2]}
pgrst_request POST /rpc/revoke "{\"session\": $target}" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke {\"session\": N} (mis-keyed) -> 404 PGRST202, nothing revoked"
t_status 404
t_code PGRST202
t_check '[[ $(is_active "$target") == t ]]' "session was revoked"
t_end

pgrst_request GET "/rpc/revoke?Session=$target" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/revoke?Session=N (READ ONLY) -> 405 25006, nothing revoked"
t_status 405
t_code 25006
t_check '[[ $(is_active "$target") == t ]]' "session was revoked"
t_end

pgrst_request POST /rpc/revoke '{"Session": "abc"}' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke {\"Session\": \"abc\"} -> 400 22P02"
t_status 400
t_code 22P02
t_end

pgrst_request POST /rpc/revoke '{"Session": null}' --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/revoke {\"Session\": null} -> 400 22004"
t_status 400
t_code 22004
t_end

pgrst_request POST /rpc/revoke "{\"Session\": $target}" --role $ADMIN
t_case "admin POST /rpc/revoke with a JWT without sub -> 200, revoked_by = the role"
t_status 200
t_jq '. == {"Success": true}' "body is not {\"Success\": true}"
by=$(sql -c "SELECT revoked_by FROM authsessions_data.sessions WHERE id = $target")
t_check '[[ $by == "$ADMIN" ]]' "revoked_by is '$by', expected '$ADMIN'"
t_end

# --- anonymous (no JWT) and application roles on the admin endpoints --------------
for who in anon app; do
	if [[ $who == anon ]]; then
		opts=()
		want=401
	else
		opts=(--role "$APP" --sub backend)
		want=403
	fi
	for req in "GET /rpc/list" "GET /rpc/list?page=2&page_size=1" "GET /rpc/user_sessions?guid=$USER_GUID" \
		"POST /rpc/revoke|{\"Session\": ${S2[1]}}" "GET /rpc/revoke?Session=${S2[1]}"; do
		line=${req%%|*}
		body='' && [[ $req == *\|* ]] && body=${req#*|}
		pgrst_request "${line%% *}" "${line#* }" "$body" "${opts[@]+"${opts[@]}"}"
		t_case "$who ${line}${body:+ $body} -> $want 42501"
		t_status $want
		t_code 42501
		[[ $want == 401 ]] && t_jq '.["www-authenticate"] == "Bearer"' "no WWW-Authenticate: Bearer" "$HEADERS"
		t_end
	done
done
t_case "the anonymous and application requests revoked nothing"
t_check '[[ $(is_active "${S2[1]}") == t ]]' "session ${S2[1]} was revoked"
t_end

pgrst_request POST /rpc/create_session "{\"user_guid\": \"$USER3_GUID\"}" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin POST /rpc/create_session (not granted to admins) -> 403 42501"
t_status 403
t_code 42501
t_end

pgrst_request POST /rpc/create_session "{\"user_guid\": \"$USER3_GUID\"}"
t_case "anon POST /rpc/create_session -> 401 42501"
t_status 401
t_code 42501
t_end

# --- nothing in authsessions_data is reachable ---------------------------------------
for r in $EXAMPLE_ROLES; do
	t_case "$r: no privilege on schema authsessions_data or anything in it"
	n=$(sql -c "WITH rels AS MATERIALIZED (
		SELECT oid, relkind FROM pg_class WHERE relnamespace = 'authsessions_data'::regnamespace)
	SELECT count(*) FROM (
		SELECT has_schema_privilege('$r', 'authsessions_data', 'USAGE') OR
		       has_schema_privilege('$r', 'authsessions_data', 'CREATE') AS p
		UNION ALL
		SELECT CASE WHEN relkind = 'S' THEN has_sequence_privilege('$r', oid, 'USAGE,SELECT,UPDATE')
		            WHEN relkind IN ('r', 'p', 'v', 'm', 'f')
		            THEN has_table_privilege('$r', oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
		            ELSE false END
		FROM rels
		UNION ALL
		SELECT has_function_privilege('$r', p.oid, 'EXECUTE')
		FROM pg_proc p WHERE p.pronamespace = 'authsessions_data'::regnamespace) x WHERE p")
	t_check '[[ $n == 0 ]]' "$n privileges found"
	# and a real attempt, as PostgREST would switch to the role
	if [[ $r == authenticator ]]; then setrole=""; else setrole="SELECT set_config('role', '$r', true);"; fi
	for rel in users sessions; do
		st=$(PGUSER=authenticator psql -X -q -At -d "$REPLAY_DB" \
			-c "BEGIN READ ONLY; $setrole SELECT count(*) FROM authsessions_data.$rel;" 2>&1 || true)
		t_check '[[ $st == *"permission denied"* ]]' "SELECT from authsessions_data.$rel as $r: $st"
	done
	t_end
done

t_case "EXECUTE privileges: admin exactly list/user_sessions/revoke, app exactly the lifecycle, anon and authenticator none"
while IFS='|' read -r r fns; do
	case $r in
	authsessions_admin) want="list revoke user_sessions" ;;
	authsessions_app) want="check_token create_session delete_user end_session purge upsert_user validate" ;;
	*) want="" ;;
	esac
	t_check '[[ "$fns" == "$want" ]]' "$r may execute '$fns', expected '$want'"
done < <(sql -c "SELECT r, coalesce(string_agg(p.proname, ' ' ORDER BY p.proname)
		FILTER (WHERE has_function_privilege(r, p.oid, 'EXECUTE')), '')
	FROM unnest(string_to_array('$EXAMPLE_ROLES', ' ')) AS r,
	     pg_proc p WHERE p.pronamespace = 'authsessions'::regnamespace GROUP BY r")
t_end

t_case "authenticator (NOINHERIT) cannot call the API without switching role"
st=$(PGUSER=authenticator psql -X -q -At -d "$REPLAY_DB" -c "SELECT authsessions.list()" 2>&1 || true)
t_check '[[ $st == *"permission denied"* ]]' "authenticator ran list(): $st"
t_end

# --- application role: lifecycle and validate -------------------------------------------
pgrst_request GET "/rpc/create_session?user_guid=$USER3_GUID" --role $APP --sub backend
t_case "app GET /rpc/create_session (READ ONLY) -> 405 25006"
t_status 405
t_code 25006
t_end

pgrst_request POST /rpc/create_session "{\"user_guid\": \"$USER3_GUID\", \"smartphone\": \"Pixel 8\"}" --role $APP --sub backend
t_case "app POST /rpc/create_session -> 200 {ID, Token, ExpirationDate}"
t_status 200
t_jq '(keys == ["ExpirationDate", "ID", "Token"]) and (.Token | test("^as1_[A-Za-z0-9_-]{51}$"))' "not {ID, Token, ExpirationDate}"
t_end
token=$(jq -r '.Token' <<<"$BODY")
sid=$(jq -r '.ID' <<<"$BODY")

# Push the session back 30 seconds: a slide shows, and it happens only because
# this database sets authsessions.touch_interval = 0 (the default is 60 s).
sql -c "UPDATE authsessions_data.sessions SET last_updated = date_trunc('second', now()) - interval '30 seconds',
	expires_at = date_trunc('second', now()) - interval '30 seconds' + interval '48 hours' WHERE id = $sid"
before=$(sql -c "SELECT last_updated || '|' || expires_at FROM authsessions_data.sessions WHERE id = $sid")
before_json=$(sql -c "SELECT to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM authsessions_data.sessions WHERE id = $sid")

pgrst_request GET "/rpc/validate?token=$token" --role $APP --sub backend
t_case "app GET /rpc/validate?token=... (READ ONLY) -> 200, the session, expiry not slid"
t_status 200
t_jq ".ID == $sid and (keys == $SESSION_KEYS) and .Smartphone == \"Pixel 8\"" "not the session object"
t_jq ".LastUpdated == \"$before_json\"" "LastUpdated is not the stored one ($before_json)"
after=$(sql -c "SELECT last_updated || '|' || expires_at FROM authsessions_data.sessions WHERE id = $sid")
t_check '[[ $after == "$before" ]]' "the row changed: $before -> $after"
t_end

pgrst_request POST /rpc/validate "{\"token\": \"$token\"}" --role $APP --sub backend
t_case "app POST /rpc/validate {token} (READ WRITE) -> 200, expiry slid"
t_status 200
t_jq ".ID == $sid and .LastUpdated != \"$before_json\"" "LastUpdated did not move"
t_jq '(.ExpirationDate | fromdate) - (.LastUpdated | fromdate) == 172800' "ExpirationDate is not LastUpdated + 48h"
after=$(sql -c "SELECT last_updated || '|' || expires_at FROM authsessions_data.sessions WHERE id = $sid")
t_check '[[ $after != "$before" ]]' "the row did not change"
slid=$(sql -c "SELECT last_updated > now() - interval '1 minute' FROM authsessions_data.sessions WHERE id = $sid")
t_check '[[ $slid == t ]]' "last_updated is not now"
t_end

pgrst_request POST /rpc/validate '{"token": "not-a-token"}' --role $APP --sub backend
t_case "app POST /rpc/validate {token: malformed} -> 200 null"
t_status 200
t_jq '. == null' "body is not null"
t_end

pgrst_request GET "/rpc/validate?token=$token" --role $ADMIN --sub "$ADMIN_SUB"
t_case "admin GET /rpc/validate (not granted to admins) -> 403 42501"
t_status 403
t_code 42501
t_end

pgrst_request POST /rpc/end_session "{\"token\": \"$token\"}" --role $APP --sub backend
t_case "app POST /rpc/end_session {token} -> 200 {\"Success\": true}, ended by the JWT role through authenticator, then validate -> null"
t_status 200
t_jq '. == {"Success": true}' "body is not {\"Success\": true}"
audit=$(sql -c "SELECT revoked_by || ' ' || revoked_by_role || ' ' || revoked_by_login
	FROM authsessions_data.sessions WHERE id = $sid")
t_check '[[ $audit == "backend $APP authenticator" ]]' "revoked_by, revoked_by_role, revoked_by_login are '$audit', expected 'backend $APP authenticator'"
pgrst_request POST /rpc/validate "{\"token\": \"$token\"}" --role $APP --sub backend
t_jq '. == null' "validate after end_session is not null"
t_end

t_summary
