#!/usr/bin/env bash
# test/extra/68_standby_http.sh: reads from a hot standby over real HTTP.
#
# A private primary and a streaming replica of it (`pg_basebackup -R`,
# test/extra/lib/standby.sh), one PostgREST 12.0.2 on each
# (scripts/postgrest.sh, examples/postgrest/postgrest.conf) and one nginx with
# examples/postgrest/nginx-replica.conf: the documented GETs and
# POST /rpc/check_token go to the replica's PostgREST, every other request
# (revoke, the backend's writers, validate) to the primary's.  The replica's
# PostgREST has db-uri = replica first, primary second,
# target_session_attrs=read-only (libpq multi-host).  It checks:
#   - through nginx, GET list and GET user-sessions/{guid} answer with the
#     primary's data, from the replica (with replay paused, a revoke made
#     through nginx on the primary does not show there yet);
#   - POST check_token with the token in the body answers there (through the
#     backend server of nginx and straight to the replica's PostgREST);
#   - straight to the replica's PostgREST a POST of a writer answers 400
#     0A000 (PostgREST's READ WRITE transaction is refused), a GET of one 405
#     25006, and nothing changes on the primary;
#   - a revoke through nginx shows on the replica once replayed (polled:
#     pg_last_wal_replay_lsn(), bounded, no fixed sleep);
#   - the schema cache: NOTIFY pgrst, 'reload schema' on the primary reloads
#     the primary's PostgREST.  PostgREST 12.0.2's listener uses the db-uri as
#     it is, lands on the standby (read-only) and cannot LISTEN there ("cannot
#     execute LISTEN during recovery" in the standby's log; PostgREST logs
#     nothing and does not retry elsewhere): the replica's PostgREST is not
#     reloaded by it, and SIGUSR1 reloads it.  (Later 12.x connect the
#     listener with target_session_attrs=read-write; not tested here.)
# Binaries: ${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}, with the extension
# installed there.  Needs curl, jq, openssl, nginx and PostgREST (fetched and
# cached by scripts/postgrest.sh).  Prints PASS/FAIL per check and
# "N passed, N failed"; exit status 1 on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/owncluster.sh
source test/extra/lib/owncluster.sh
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh
# shellcheck source=test/extra/lib/standby.sh
source test/extra/lib/standby.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh
# shellcheck source=test/extra/lib/http_checks.sh
source test/extra/lib/http_checks.sh

DB=authsessions_standby_http
ADMIN=authsessions_admin
APP=authsessions_app
ADMIN_SUB="admin@example.com"
ALICE=00000000-0000-4000-8000-0000000000a1
BOB=00000000-0000-4000-8000-0000000000b1
# How long the HTTP polls below may take (a reload, not replay): bounded.
POLL_TIMEOUT=${AUTHSESSIONS_HTTP_POLL_TIMEOUT:-30}

# --- the primary, the example roles and the data ----------------------------

# PostgREST connects over TCP: the cluster listens on loopback too.
sb_init "listen_addresses = '127.0.0.1'" "log_min_messages = warning"
primary() { oc_psql -d "$DB" -At "$@"; }
oc_psql -d postgres -c "CREATE DATABASE $DB"
PGOPTIONS="-c client_min_messages=warning" oc_psql -d "$DB" -f examples/postgrest/roles.sql >/dev/null
sb_sessions "$DB" "$ALICE" "$BOB"
# issue_jwt's key: scripts/pgenv.sh's key file (the standby copies the setting).
primary -c "LOAD 'authsessions'" -c "ALTER SYSTEM SET authsessions.jwt_secret_file = '${AUTHSESSIONS_JWT_KEY_FILE:?scripts/pgenv.sh sets it}'" >/dev/null
primary -c "SELECT pg_reload_conf()" >/dev/null
is_active() { primary -c "SELECT revoked_at IS NULL FROM authsessions_data.sessions WHERE id = $1"; }

# --- the standby ------------------------------------------------------------

sb_standby_start_or_fail
standby() { sb_standby_psql -d "$DB" -At "$@"; }
tc_check "the replica is a hot standby of the primary, and has replayed its WAL" \
	eq "$(sb_wait_replay "$DB" && standby -c "SELECT pg_is_in_recovery()")" t

# --- two PostgRESTs and nginx -------------------------------------------------

postgrest_install
# Both PostgRESTs verify JWTs with the key the servers sign issue_jwt's with.
KEY=$(cat "$AUTHSESSIONS_JWT_KEY_FILE")
POSTGREST_JWT_SECRET="@$AUTHSESSIONS_JWT_KEY_FILE"
PGPORT=$OC_PORT postgrest_start "$DB"
PRIMARY_PG=$POSTGREST_URL
REPLICA_URI="postgres://authenticator@127.0.0.1:$SB_STANDBY_PORT,127.0.0.1:$OC_PORT/$DB?target_session_attrs=read-only"
postgrest_start_uri "$REPLICA_URI"
REPLICA_PG=$POSTGREST2_URL
postgrest_nginx_start_replica
API=$API_URL
BACKEND=$BACKEND_URL

EXP=$(($(date +%s) + 3600))
ADMIN_AUTH="Authorization: Bearer $(postgrest_jwt "{\"role\":\"$ADMIN\",\"sub\":\"$ADMIN_SUB\",\"exp\":$EXP}" "$KEY")"
APP_AUTH="Authorization: Bearer $(postgrest_jwt "{\"role\":\"$APP\",\"sub\":\"backend\",\"exp\":$EXP}" "$KEY")"
JSON='Content-Type: application/json'

# want_json SQL: the body is the JSON the primary answers to SQL (not null).
want_json() {
	local p
	p=$(primary -c "$1")
	if [[ -z $p ]] || ! jq -e --argjson p "$p" '. == $p and . != null' >/dev/null 2>&1 <<<"$BODY"; then
		note "body is not the primary's $1 = ${p:0:200}"
	fi
}
# poll_until STATUS METHOD URL [curl options...]: repeat the request until it
# answers STATUS, for at most POLL_TIMEOUT seconds.
poll_until() {
	local want_st=$1 deadline=$((SECONDS + POLL_TIMEOUT))
	shift
	while :; do
		req "$@"
		[[ $STATUS == "$want_st" ]] && return 0
		((SECONDS < deadline)) || return 0
		sleep 0.1
	done
}

# Where each PostgREST's connections are: the replica's on the standby.
authenticator_on() { # authenticator_on primary|standby -> count of authenticator's backends
	"$1" -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'authenticator' AND backend_type = 'client backend'"
}
req GET "$REPLICA_PG/rpc/list" -H "$ADMIN_AUTH"
want_status 200
(($(authenticator_on standby) > 0)) || note "no backend of authenticator on the standby"
done_case "the replica's PostgREST ($REPLICA_URI) serves from the standby"

# --- reads through nginx, from the replica ------------------------------------

req GET "$API/list" -H "$ADMIN_AUTH"
want_status 200
want_json "SELECT authsessions.list()"
want_jq '[.[] | "\(.UserName):\(.SessionCount)"] == ["alice:2", "bob:1"]'
done_case "GET list through nginx -> 200, the primary's data"

req GET "$API/list?page=2&page_size=1" -H "$ADMIN_AUTH"
want_status 200
want_json "SELECT authsessions.list(2, 1)"
done_case "GET list?page=2&page_size=1 through nginx -> 200, the primary's page"

req GET "$API/user-sessions/$ALICE" -H "$ADMIN_AUTH"
want_status 200
want_json "SELECT authsessions.user_sessions('$ALICE')"
want_jq 'length == 2'
done_case "GET user-sessions/{alice} through nginx -> 200, the primary's data (2 sessions)"

# --- check_token on the replica, the token in the body --------------------------

for via in "nginx's backend server|$BACKEND" "the replica's PostgREST|$REPLICA_PG"; do
	req POST "${via#*|}/rpc/check_token" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$(sb_tok a1)\"}"
	want_status 200
	want_json "SELECT authsessions.check_token('$(sb_tok a1)')"
	want_jq ".ID == $(sb_sid a1)"
	done_case "POST /rpc/check_token {token} through ${via%|*} -> 200, the primary's object"
done

req POST "$BACKEND/rpc/check_token" -H "$APP_AUTH" -H "$JSON" --data-binary '{"token": "not-a-token"}'
want_status 200
want_jq '. == null'
done_case "POST /rpc/check_token {token: malformed} through nginx -> 200 null"

req GET "$BACKEND/rpc/check_token?token=$(sb_tok a1)" -H "$APP_AUTH"
want_status 405
want_code HTTP405
done_case "GET /rpc/check_token?token= through nginx -> 405 HTTP405 (tokens stay out of URLs)"

req POST "$BACKEND/rpc/validate" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$(sb_tok a2)\"}"
want_status 200
want_jq ".ID == $(sb_sid a2)"
done_case "POST /rpc/validate {token} through nginx -> 200 (the primary's PostgREST)"

# --- writers straight to the replica's PostgREST: 400 0A000 (POST), 405 25006 (GET) --

target=$(sb_sid b1)
while IFS='|' read -r role fn body; do
	if [[ $role == admin ]]; then auth=$ADMIN_AUTH; else auth=$APP_AUTH; fi
	req POST "$REPLICA_PG/rpc/$fn" -H "$auth" -H "$JSON" --data-binary "$body"
	want_status 400
	want_code 0A000
	done_case "$role POST /rpc/$fn straight to the replica's PostgREST -> 400 0A000"
	query=$(jq -r 'to_entries | map("\(.key)=\(.value | @uri)") | join("&")' <<<"$body")
	req GET "$REPLICA_PG/rpc/$fn?$query" -H "$auth"
	want_status 405
	want_code 25006
	done_case "$role GET /rpc/$fn?... straight to the replica's PostgREST -> 405 25006"
done <<EOF
admin|revoke|{"Session": $target}
admin|revoke_user|{"UserGuid": "$ALICE"}
app|create_session|{"user_guid": "$ALICE"}
app|end_session|{"token": "$(sb_tok b1)"}
app|upsert_user|{"guid": "$ALICE", "name": "mallory", "is_operator": true}
app|delete_user|{"guid": "$ALICE"}
EOF
# validate (VOLATILE) over POST runs READ WRITE: the replica refuses it, so
# nginx-replica.conf sends it to the primary.
req POST "$REPLICA_PG/rpc/validate" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$(sb_tok b1)\"}"
want_status 400
want_code 0A000
done_case "app POST /rpc/validate {token} straight to the replica's PostgREST -> 400 0A000 (why it goes to the primary)"

want "$(is_active "$target")" t "b1 active on the primary"
want "$(primary -c "SELECT string_agg(format('%s:%s', e->>'UserName', e->>'SessionCount'), ' ') FROM jsonb_array_elements(authsessions.list()) e")" \
	"alice:2 bob:1" "the primary's list"
done_case "the refused writers changed nothing"

# --- a revoke through nginx (the primary), shown on the replica once replayed ----

# Replay paused: the revoke is on the primary, the replica (which serves the
# GETs) does not have it yet.  Then replay resumes and is awaited.
target=$(sb_sid a1)
standby -c "SELECT pg_wal_replay_pause()" >/dev/null
req POST "$API/revoke" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"Session\": $target}"
want_status 200
want_jq '. == {"Success": true}'
want "$(primary -c "SELECT revoked_by FROM authsessions_data.sessions WHERE id = $target")" "$ADMIN_SUB" "revoked_by on the primary"
done_case "POST revoke {a1} through nginx -> 200 {\"Success\": true}, made on the primary"

req GET "$API/user-sessions/$ALICE" -H "$ADMIN_AUTH"
want_status 200
want_jq "length == 2 and any(.[]; .ID == $target)" "a1 is not listed"
done_case "with the replica's replay paused, GET user-sessions/{alice} through nginx still lists a1 (it is served by the replica)"

standby -c "SELECT pg_wal_replay_resume()" >/dev/null
tc_check "replay resumed, the replica replays the revoke" sb_wait_replay "$DB"

req GET "$API/user-sessions/$ALICE" -H "$ADMIN_AUTH"
want_status 200
want_json "SELECT authsessions.user_sessions('$ALICE')"
want_jq "length == 1 and all(.[]; .ID != $target)"
done_case "after replay, GET user-sessions/{alice} through nginx -> the primary's data, without a1"

req GET "$API/list" -H "$ADMIN_AUTH"
want_json "SELECT authsessions.list()"
want_jq '[.[] | "\(.UserName):\(.SessionCount)"] == ["alice:1", "bob:1"]'
done_case "after replay, GET list through nginx -> alice has 1 session"

req POST "$BACKEND/rpc/check_token" -H "$APP_AUTH" -H "$JSON" --data-binary "{\"token\": \"$(sb_tok a1)\"}"
want_status 200
want_jq '. == null'
done_case "after replay, POST /rpc/check_token {revoked token} through nginx -> 200 null"

# revoke-user, a writer too: nginx sends it to the primary
req POST "$API/revoke-user" -H "$ADMIN_AUTH" -H "$JSON" --data-binary "{\"UserGuid\": \"$BOB\"}"
want_status 200
want_jq '. == {"Revoked": 1}'
want "$(primary -c "SELECT string_agg(revoked_by, ',') FROM authsessions_data.sessions WHERE user_guid = '$BOB'")" "$ADMIN_SUB" "revoked_by on the primary"
done_case "POST revoke-user {bob} through nginx -> 200 {\"Revoked\": 1}, made on the primary"

# --- the schema cache: NOTIFY pgrst on the primary, and SIGUSR1 ----------------

primary >/dev/null <<-'EOF'
	CREATE FUNCTION authsessions.http_probe() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 42';
	REVOKE ALL ON FUNCTION authsessions.http_probe() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.http_probe() TO authsessions_admin;
EOF
sb_wait_replay "$DB"
for pg in "primary|$PRIMARY_PG" "replica|$REPLICA_PG"; do
	req POST "${pg#*|}/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
	want_status 404
	want_code PGRST202
	done_case "a new function (replayed) -> 404 PGRST202 on the ${pg%|*}'s PostgREST until its schema cache reloads"
done

primary -c "NOTIFY pgrst, 'reload schema'" >/dev/null
poll_until 200 POST "$PRIMARY_PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
want_status 200
want_jq '. == 42'
done_case "NOTIFY pgrst, 'reload schema' on the primary -> the primary's PostgREST reloads (200)"

# PostgREST 12.0.2: the replica's listener connects with the same db-uri,
# so to the standby, where LISTEN fails (the standby's log says so; PostgREST
# logs nothing and does not try the next host); the primary's NOTIFY cannot
# reach it, nor is a NOTIFY replayed.
req POST "$REPLICA_PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
want_status 404
want_code PGRST202
grep -q 'ERROR:  cannot execute LISTEN during recovery' "$OC_DIR/standby.log" ||
	note "the standby's log shows no refused LISTEN"
done_case "PostgREST 12.0.2: the same NOTIFY leaves the replica's PostgREST stale (404 PGRST202); its LISTEN was refused on the standby"

kill -USR1 "$POSTGREST2_PID"
poll_until 200 POST "$REPLICA_PG/rpc/http_probe" -H "$ADMIN_AUTH" -H "$JSON" --data-binary '{}'
want_status 200
want_jq '. == 42'
done_case "SIGUSR1 to the replica's PostgREST -> it reloads (200)"

req GET "$API/list" -H "$ADMIN_AUTH"
want_status 200
want_json "SELECT authsessions.list()"
done_case "after both reloads, GET list through nginx -> 200, the primary's data"

# --- self-service: nginx-replica.conf sends it to the primary ----------------
primary >/dev/null <<SQL
INSERT INTO tokens SELECT 'a3', (j->>'ID')::bigint, j->>'Token'
FROM authsessions.create_session('$ALICE', 'phone a3') j;
SQL
A3=$(sb_sid a3)
USER_AUTH="Authorization: Bearer $(primary -c "SELECT authsessions.issue_jwt(token) ->> 'JWT' FROM tokens WHERE k = 'a3'")"
req GET "$NGINX_URL/api/v1/my/sessions" -H "$USER_AUTH"
want_status 200
want_jq "any(.[]; .ID == $A3 and .Current == true) and all(.[]; .ID != $(sb_sid b1))"
done_case "GET /api/v1/my/sessions with alice's session-bound JWT -> 200, her sessions, the current one marked"
req POST "$NGINX_URL/api/v1/my/sessions/logout" -H "$USER_AUTH"
want_status 200
want_jq '. == {"Success": true}'
want "$(is_active "$A3")" f "session a3 active"
done_case "POST /api/v1/my/sessions/logout -> 200 on the primary, the session ended there"

tc_summary
