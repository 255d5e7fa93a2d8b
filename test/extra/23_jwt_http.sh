#!/usr/bin/env bash
# test/extra/23_jwt_http.sh: session-bound JWTs over real HTTP, sign-in to
# sign-out: curl -> nginx (examples/postgrest/nginx.conf) -> PostgREST
# 12.0.2 with db-pre-request = "authsessions.check_request" and jwt-secret =
# "@<the key file>", the very file the server reads
# (authsessions.jwt_secret_file, which scripts/pgenv.sh sets up) -> this
# cluster, with examples/postgrest/roles.sql loaded as a user loads it.
#
# It checks: the application backend signs a user in (create_session) and
# gets the user's JWT (issue_jwt); that JWT works, on the self-service paths
# under /api/v1/my/sessions; after an admin revoke the same unexpired JWT
# gets 401 PT401 err_SessionEnded (with WWW-Authenticate) on its very next
# request; a JWT whose sid belongs to another sub gets 401 PT401; a forged
# or expired JWT gets PostgREST's own 401; my_sessions shows only the
# caller's sessions with "Current" right; revoke_my_session on another
# user's ID gives 404 err_NoActiveSession and changes nothing;
# revoke_my_other_sessions keeps the current session; logout ends it; the
# hook runs for every role (anon, admin, app, user) and, like PostgREST,
# allows 30 s of clock skew on exp and nbf; the user role sees and
# may call only its functions; and, on a direct connection, a hand-set
# request.jwt.claims with someone else's sub reaches nothing.
#
# Needs PGHOST/PGPORT/PGUSER (a superuser) of a cluster where the extension
# is installed and AUTHSESSIONS_JWT_KEY_FILE names the key file of its
# authsessions.jwt_secret_file, as scripts/test.sh exports them.  Drops its
# database (and the example roles, if it created them) at the end.  Prints
# PASS/FAIL per check and "N passed, N failed"; exits non-zero on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh
# shellcheck source=test/extra/lib/http_checks.sh
source test/extra/lib/http_checks.sh
# shellcheck source=test/extra/lib/example_roles.sh
source test/extra/lib/example_roles.sh

KEY_FILE=${AUTHSESSIONS_JWT_KEY_FILE:-}
if [[ -z $KEY_FILE || ! -r $KEY_FILE ]]; then
	tc_fail "the key file of authsessions.jwt_secret_file is readable" "AUTHSESSIONS_JWT_KEY_FILE='$KEY_FILE' (scripts/pgenv.sh sets it)"
	tc_summary
	exit 1
fi
KEY=$(cat "$KEY_FILE") # ASCII (scripts/pgenv.sh): usable as openssl's -hmac

DB="authsessions_jwt_$$"
ALICE=00000000-0000-4000-8000-0000000000a1
BOB=00000000-0000-4000-8000-0000000000b1
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
is_active() { sql -c "SELECT revoked_at IS NULL AND expires_at > now() FROM authsessions_data.sessions WHERE id = $1"; }

# postgrest_start puts postgrest_stop in front of this trap.
trap 'example_roles_dropdb "$DB"' EXIT
example_roles_createdb "$DB"
sql >/dev/null <<-EOF
	SELECT authsessions.upsert_user('$ALICE', 'alice', false);
	SELECT authsessions.upsert_user('$BOB', 'bob', false);
EOF
B1=$(sql -c "SELECT authsessions.create_session('$BOB', 'bob-phone') ->> 'ID'")
BOB_JWT=$(sql -c "SELECT authsessions.issue_jwt(authsessions.create_session('$BOB', 'bob-laptop') ->> 'Token') ->> 'JWT'")

# --- PostgREST with the hook and the key file, nginx ----------------------------------
postgrest_install
export PGRST_DB_PRE_REQUEST=authsessions.check_request
POSTGREST_JWT_SECRET="@$KEY_FILE"
postgrest_start "$DB"
postgrest_nginx_start
PG=$POSTGREST_URL
MY=$NGINX_URL/api/v1/my/sessions
API=$API_URL
NOW=$(date +%s)
APP_JWT=$(postgrest_jwt "{\"role\":\"authsessions_app\",\"sub\":\"backend\",\"exp\":$((NOW + 3600))}" "$KEY")
ADMIN_JWT=$(postgrest_jwt "{\"role\":\"authsessions_admin\",\"sub\":\"admin@example.com\",\"exp\":$((NOW + 3600))}" "$KEY")
JSON='Content-Type: application/json'
# --- every role passes the hook ---------------------------------------------------------
req GET "$PG/"
want_status 200
done_case "no JWT (anon): GET / -> 200 through the hook"
req GET "$API/list" -H "Authorization: Bearer $ADMIN_JWT"
want_status 200
done_case "admin JWT without sid: GET /list -> 200 through the hook"
# PostgREST 12 allows 30 s of clock skew on exp and nbf: what it accepts
# (a JWT minted on a host whose clock is ahead, or in its last seconds),
# the hook must not refuse for its times.
SKEWED_JWT=$(postgrest_jwt "{\"role\":\"authsessions_admin\",\"sub\":\"admin@example.com\",\"nbf\":$((NOW + 20)),\"exp\":$((NOW + 3600))}" "$KEY")
req GET "$API/list" -H "Authorization: Bearer $SKEWED_JWT"
want_status 200
LATE_JWT=$(postgrest_jwt "{\"role\":\"authsessions_admin\",\"sub\":\"admin@example.com\",\"exp\":$((NOW - 20))}" "$KEY")
req GET "$API/list" -H "Authorization: Bearer $LATE_JWT"
want_status 200
done_case "admin JWTs with nbf 20 s ahead and exp 20 s past (PostgREST's 30 s of skew): GET /list -> 200 through the hook"

# --- sign-in: the backend opens a session and gets the user's JWT ----------------------
req POST "$PG/rpc/create_session" -H "Authorization: Bearer $APP_JWT" -H "$JSON" \
	--data-binary "{\"user_guid\": \"$ALICE\", \"smartphone\": \"alice-phone\"}"
want_status 200
A1_TOKEN=$(jq -r '.Token // empty' <<<"$BODY")
A1=$(jq -r '.ID // empty' <<<"$BODY")
req POST "$PG/rpc/issue_jwt" -H "Authorization: Bearer $APP_JWT" -H "$JSON" \
	--data-binary "{\"token\": \"$A1_TOKEN\"}"
want_status 200
want_jq 'keys == ["ExpirationDate", "JWT"]'
A1_JWT=$(jq -r '.JWT // empty' <<<"$BODY")
done_case "app: POST /rpc/create_session, then POST /rpc/issue_jwt {token} -> 200 {JWT, ExpirationDate}"

# the JWT's claims and its signature, checked with openssl
claims=$(cut -d. -f2 <<<"$A1_JWT" | tr '_-' '/+' | sed -e 's/$/===/' -e 's/^\(\(....\)*\).*/\1/' | openssl base64 -d -A 2>/dev/null || true)
expected_sig=$(printf '%s' "$(cut -d. -f1-2 <<<"$A1_JWT")" | openssl dgst -sha256 -hmac "$KEY" -binary | _postgrest_b64url)
want "$(jq -c '{role, sub, sid}' <<<"$claims" 2>/dev/null)" "{\"role\":\"authsessions_user\",\"sub\":\"$ALICE\",\"sid\":$A1}" "claims"
want "$(cut -d. -f3 <<<"$A1_JWT")" "$expected_sig" "signature"
done_case "the JWT: role authsessions_user, sub = UserGuid, sid = session ID; HMAC-SHA256 with the key file (openssl)"

req POST "$PG/rpc/issue_jwt" -H "Authorization: Bearer $APP_JWT" -H "$JSON" \
	--data-binary '{"token": "as1_not-a-token"}'
want_status 200
want "$BODY" "null" "body"
done_case "app: POST /rpc/issue_jwt with a token that is no session -> 200 null"

req POST "$PG/rpc/issue_jwt" -H "Authorization: Bearer $APP_JWT" -H "$JSON" \
	--data-binary "{\"token\": \"$A1_TOKEN\", \"ttl\": \"2 hours\"}"
want_status 400
want_code 22023
done_case "app: POST /rpc/issue_jwt with ttl above authsessions.jwt_max_ttl -> 400 22023"

# --- the user's requests ---------------------------------------------------------------
A2=$(sql -c "SELECT authsessions.create_session('$ALICE', 'alice-laptop') ->> 'ID'")
req GET "$MY" -H "Authorization: Bearer $A1_JWT"
want_status 200
want_jq "[.[] | {ID, Current, UserGuid}] | sort_by(.ID) == [{ID: $A1, Current: true, UserGuid: \"$ALICE\"}, {ID: $A2, Current: false, UserGuid: \"$ALICE\"}]" \
	"not exactly alice's two sessions with Current on $A1"
done_case "user: GET /api/v1/my/sessions -> 200, only the caller's sessions, Current for the JWT's"

req GET "$MY?page=2&page_size=1" -H "Authorization: Bearer $A1_JWT"
want_status 200
want_jq 'length == 1'
done_case "user: GET /api/v1/my/sessions?page=2&page_size=1 -> 200, one session"

req GET "$API/list" -H "Authorization: Bearer $A1_JWT"
want_status 403
want_code 42501
done_case "user: GET the admin /list -> 403 42501"

req GET "$PG/" -H "Authorization: Bearer $A1_JWT"
want_status 200
want_jq '[.paths | keys[] | select(startswith("/rpc/"))] | sort == ["/rpc/check_request", "/rpc/logout", "/rpc/my_sessions", "/rpc/revoke_my_other_sessions", "/rpc/revoke_my_session"]' \
	"the user's /rpc/ paths are $(jq -c '[.paths | keys[] | select(startswith("/rpc/"))]' <<<"$BODY" 2>/dev/null)"
done_case "user: GET / (OpenAPI) -> exactly check_request and the four self-service functions"

req GET "$MY"
want_status 401
want_code 42501
done_case "no JWT: GET /api/v1/my/sessions -> 401 (anon may not)"

# --- revoke_my_session on someone else's session ------------------------------------------
req POST "$MY/revoke" -H "Authorization: Bearer $A1_JWT" -H "$JSON" --data-binary "{\"Session\": $B1}"
want_status 404
want_code PT404 err_NoActiveSession
want "$(is_active "$B1")" t "bob's session active"
done_case "user: POST /api/v1/my/sessions/revoke {another user's ID} -> 404 err_NoActiveSession, nothing changed"

# --- a JWT whose sid is another user's session ----------------------------------------------
MIXED_JWT=$(postgrest_jwt "{\"role\":\"authsessions_user\",\"sub\":\"$ALICE\",\"sid\":$B1,\"exp\":$((NOW + 600))}" "$KEY")
req GET "$MY" -H "Authorization: Bearer $MIXED_JWT"
want_status 401
want_code PT401 err_SessionEnded
done_case "a JWT (signed with the key) whose sid is bob's session and sub alice -> 401 PT401 err_SessionEnded"

# --- forged and expired JWTs: PostgREST's own 401 -------------------------------------------
FORGED_JWT=$(postgrest_jwt "{\"role\":\"authsessions_user\",\"sub\":\"$ALICE\",\"sid\":$A1,\"exp\":$((NOW + 600))}" "not-the-key-$(openssl rand -hex 16)")
req GET "$MY" -H "Authorization: Bearer $FORGED_JWT"
want_status 401
[[ $(jq -r '.code' <<<"$BODY" 2>/dev/null) == PGRST* ]] || note "code $(jq -r '.code' <<<"$BODY" 2>/dev/null), expected PostgREST's PGRST..."
done_case "a forged JWT -> 401 from PostgREST itself (PGRST...)"
EXPIRED_JWT=$(postgrest_jwt "{\"role\":\"authsessions_user\",\"sub\":\"$ALICE\",\"sid\":$A1,\"exp\":$((NOW - 600))}" "$KEY")
req GET "$MY" -H "Authorization: Bearer $EXPIRED_JWT"
want_status 401
[[ $(jq -r '.code' <<<"$BODY" 2>/dev/null) == PGRST* ]] || note "code $(jq -r '.code' <<<"$BODY" 2>/dev/null), expected PostgREST's PGRST..."
done_case "an expired JWT -> 401 from PostgREST itself (PGRST...)"

# --- an admin revoke cuts the unexpired JWT off on its next request -------------------------
req GET "$MY" -H "Authorization: Bearer $BOB_JWT"
want_status 200
done_case "bob's JWT: GET /api/v1/my/sessions -> 200"
B2=$(sql -c "SELECT id FROM authsessions_data.sessions WHERE smartphone = 'bob-laptop'")
req POST "$API/revoke" -H "Authorization: Bearer $ADMIN_JWT" -H "$JSON" --data-binary "{\"Session\": $B2}"
want_status 200
want_jq '. == {"Success": true}'
done_case "admin: POST /revoke bob's session -> 200"
req GET "$MY" -H "Authorization: Bearer $BOB_JWT"
want_status 401
want_code PT401 err_SessionEnded
[[ -n $(hdr www-authenticate) ]] || note "no WWW-Authenticate header"
done_case "bob's same unexpired JWT, next request -> 401 PT401 err_SessionEnded, WWW-Authenticate"
req POST "$PG/rpc/my_sessions" -H "Authorization: Bearer $BOB_JWT" -H "$JSON" --data-binary '{}'
want_status 401
want_code PT401 err_SessionEnded
done_case "... also straight to PostgREST, any function (POST /rpc/my_sessions) -> 401 PT401"

# --- revoke-others keeps the current session; logout ends it -------------------------------
A3=$(sql -c "SELECT authsessions.create_session('$ALICE', 'alice-tablet') ->> 'ID'")
A2_JWT=$(sql -c "SELECT authsessions.issue_jwt(authsessions.create_session('$ALICE', 'alice-watch') ->> 'Token') ->> 'JWT'")
A4=$(sql -c "SELECT id FROM authsessions_data.sessions WHERE smartphone = 'alice-watch'")
req POST "$MY/revoke-others" -H "Authorization: Bearer $A2_JWT"
want_status 200
want_jq '. == {"Revoked": 3}'
want "$(is_active "$A4")" t "the current session active"
want "$(sql -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM authsessions_data.sessions WHERE id IN ($A1, $A2, $A3) AND revoked_at IS NOT NULL AND revoked_by = '$ALICE'")" "$A1,$A2,$A3" "revoked by alice"
want "$(is_active "$B1")" t "bob's session active"
done_case "user: POST /api/v1/my/sessions/revoke-others -> 200 {\"Revoked\": 3}, the current session kept, bob's untouched"

req GET "$MY" -H "Authorization: Bearer $A1_JWT"
want_status 401
want_code PT401 err_SessionEnded
done_case "alice's first JWT, its session revoked by revoke-others -> 401 PT401 err_SessionEnded"

req POST "$MY/logout" -H "Authorization: Bearer $A2_JWT"
want_status 200
want_jq '. == {"Success": true}'
want "$(is_active "$A4")" f "the session active"
done_case "user: POST /api/v1/my/sessions/logout -> 200 {\"Success\": true}, the session ended"
req GET "$MY" -H "Authorization: Bearer $A2_JWT"
want_status 401
want_code PT401 err_SessionEnded
done_case "the logged-out JWT, next request -> 401 PT401 err_SessionEnded"

# --- a hand-set request.jwt.claims reaches nothing ------------------------------------------
# On a direct connection, as PostgREST's authenticator switched to the user
# role, with bob's sub and sid in request.jwt.claims and no bearer JWT.
out=$(PGUSER=authenticator psql -X -q -At -d "$DB" 2>&1 <<-EOF || true
	BEGIN;
	SELECT set_config('role', 'authsessions_user', true);
	SELECT set_config('request.jwt.claims', '{"role": "authsessions_user", "sub": "$BOB", "sid": $B1}', true);
	SELECT authsessions.my_sessions();
	ROLLBACK;
EOF
)
[[ $out == *"err_NoSession"* ]] || note "my_sessions answered: $out"
want "$(is_active "$B1")" t "bob's session active"
REQ="psql as authsessions_user with a hand-set request.jwt.claims"
STATUS="-"
BODY=$out
done_case "hand-set request.jwt.claims with bob's sub and sid, no bearer JWT -> PT401 err_NoSession, nothing read"

tc_summary
