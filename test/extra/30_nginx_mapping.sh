#!/usr/bin/env bash
# test/extra/30_nginx_mapping.sh: the nginx site of examples/postgrest/ maps
# the documented paths onto PostgREST's, checked with a real nginx.
#
# The site file is included as it is, with two lines changed: its upstream
# address points at an echo server (a second server block answering with
# the method, URI and headers it received) and it listens on a free loopback
# port.  nginx runs with its own prefix, pid file, logs and temp paths in a
# temporary directory (the system nginx is never touched) and is stopped at
# the end.  curl sends real HTTP requests through it.  Installs nginx-light
# and curl from Debian when missing (root only).
# Prints PASS/FAIL per case and "N passed, N failed"; exits non-zero when a
# case failed.  Needs no database.
#
# matrix-skip: needs no database: it checks examples/postgrest/'s nginx site with nginx and curl, nothing in it depends on the PostgreSQL version (the PostgreSQL 15 run has it)
# t_check conditions are single-quoted on purpose: t_check evaluates them.
# shellcheck disable=SC2016,SC2034
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/postgrest/lib.sh
source test/postgrest/lib.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh # postgrest_nginx_conf, and the nginx install

SITE=examples/postgrest/nginx.conf
GUID=83bde819-ec08-4cee-b635-884145630d0b

# --- nginx and curl ----------------------------------------------------------------
# (scripts/postgrest.sh's install keeps the package's own nginx service from
# starting; nginx-light, else nginx.)
if ! command -v nginx >/dev/null; then
	((EUID == 0)) || { echo "nginx is missing: apt-get install nginx-light" >&2; exit 1; }
	(_postgrest_need nginx nginx-light) || _postgrest_need nginx nginx
fi
need_cmd curl curl

# --- a private nginx ------------------------------------------------------------------
work=$(mktemp -d /tmp/authsessions-nginx.XXXXXX)
chmod 755 "$work" # nginx workers run as an unprivileged user when we are root
nginx_started=""
cleanup() {
	if [[ -n $nginx_started && -s $work/nginx.pid ]]; then
		local pid
		pid=$(cat "$work/nginx.pid")
		kill -QUIT "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT

SITE_PORT=$(_postgrest_free_port 18480)
ECHO_PORT=$(_postgrest_free_port $((SITE_PORT + 1)))

cat >"$work/echo.conf" <<EOF
# The upstream standing in for PostgREST: it answers with what it received.
server {
	listen 127.0.0.1:$ECHO_PORT;
	default_type text/plain;
	location / {
		add_header X-Echo "\$request_method \$request_uri" always;
		return 200 "\$request_method \$request_uri
range=\$http_range
if-range=\$http_if_range
prefer=\$http_prefer
accept=\$http_accept
authorization=\$http_authorization
content-type=\$content_type
content-length=\$content_length
cookie=\$http_cookie
accept-profile=\$http_accept_profile
";
	}
}
EOF

# The site, with exactly two lines changed (upstream address and listen),
# after the echo server.
postgrest_nginx_conf "$work" "$SITE" "$ECHO_PORT" "$SITE_PORT" "$work/echo.conf"

NGINX=(nginx -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log")

# --- cases -----------------------------------------------------------------------------
t_case "the tested site is examples/postgrest/nginx.conf with only the upstream address and listen changed"
changed=$(diff "$SITE" "$work/site.conf" | grep -c '^>' || true)
t_check '[[ $changed == 2 ]]' "$changed lines differ, expected 2"
t_check 'grep -q "server 127.0.0.1:$ECHO_PORT;" "$work/site.conf"' "upstream address not substituted"
t_check 'grep -q "listen 127.0.0.1:$SITE_PORT;" "$work/site.conf"' "listen not substituted"
t_end

t_case "nginx -t accepts the site"
if ! test_out=$("${NGINX[@]}" -t 2>&1); then
	T_FAILS+=("nginx -t failed: $test_out")
fi
t_end
if ((T_FAILED > 0)); then
	t_summary
	exit 1
fi

"${NGINX[@]}"
nginx_started=1
for _ in $(seq 50); do _postgrest_port_free "$SITE_PORT" || break; sleep 0.1; done

BASE="http://127.0.0.1:$SITE_PORT/api/admin/v1/authenticated-sessions"
# req METHOD URL [curl options...]: sets STATUS, BODY (echo or error body) and
# RESP_HEADERS (the response headers, lower-cased names).
req() {
	local method=$1 url=$2
	shift 2
	local out
	out=$(curl -sS -X "$method" -D "$work/headers" -o "$work/body" -w '%{http_code}' "$@" "$url") || out=000
	STATUS=$out
	BODY=$(cat "$work/body" 2>/dev/null || true)
	RESP_HEADERS=$(tr -d '\r' <"$work/headers" | tr '[:upper:]' '[:lower:]')
}
upstream_line() { head -n 1 <<<"$BODY"; }
upstream_header() { sed -n "s/^$1=//p" <<<"$BODY"; }

# route METHOD URL EXPECTED_UPSTREAM_LINE [curl options...]
route() {
	local method=$1 url=$2 want=$3
	shift 3
	req "$method" "$BASE$url" "$@"
	t_case "$method $url -> $want"
	t_status 200
	t_check '[[ $(upstream_line) == "$want" ]]' "upstream got '$(upstream_line)'"
	t_check '[[ $RESP_HEADERS == *"cache-control: no-store"* ]]' "no Cache-Control: no-store"
	t_end
}

route GET /list 'GET /rpc/list'
route GET '/list?page=2&page_size=1' 'GET /rpc/list?page=2&page_size=1'
route GET "/list?after=$GUID&page_size=5" "GET /rpc/list?page_size=5&after=$GUID"
route GET "/list?page=1&page_size=10&after=$GUID" "GET /rpc/list?page=1&page_size=10&after=$GUID"
route GET '/list?limit=1&offset=2&order=UserName.desc&select=UserName&page=3' 'GET /rpc/list?page=3'
route GET '/list?UserName=eq.user&foo=bar&page_size=7' 'GET /rpc/list?page_size=7'
route GET '/list?page=&page_size=' 'GET /rpc/list'
route GET '/list?after=abc%20def' 'GET /rpc/list?after=abc%20def'
route GET "/user-sessions/$GUID" "GET /rpc/user_sessions?guid=$GUID"
route GET "/user-sessions/${GUID^^}" "GET /rpc/user_sessions?guid=${GUID^^}"
route GET "/user-sessions/$GUID?page=2&page_size=10&limit=1&order=ID" "GET /rpc/user_sessions?guid=$GUID&page=2&page_size=10"
route GET "/user-sessions/$GUID?guid=$GUID" "GET /rpc/user_sessions?guid=$GUID"

req HEAD "$BASE/list?page=2&limit=3" --head
t_case "HEAD /list?page=2&limit=3 -> HEAD /rpc/list?page=2"
t_status 200
t_check '[[ $RESP_HEADERS == *"x-echo: head /rpc/list?page=2"* ]]' "upstream got: $(grep x-echo <<<"$RESP_HEADERS")"
t_end

req POST "$BASE/revoke" -H 'Content-Type: application/json' --data-binary '{"Session": 123}'
t_case 'POST /revoke {"Session": 123} -> POST /rpc/revoke, the JSON body passed on'
t_status 200
t_check '[[ $(upstream_line) == "POST /rpc/revoke" ]]' "upstream got '$(upstream_line)'"
t_check '[[ $(upstream_header content-type) == application/json ]]' "content-type $(upstream_header content-type)"
t_check '[[ $(upstream_header content-length) == 16 ]]' "content-length $(upstream_header content-length)"
t_end

route POST '/revoke?Session=5&select=x' 'POST /rpc/revoke' -H 'Content-Type: application/json' --data-binary '{"Session": 5}'

req POST "$BASE/revoke-user" -H 'Content-Type: application/json' -H 'Authorization: Bearer a.b.c' \
	--data-binary "{\"UserGuid\": \"$GUID\"}"
t_case 'POST /revoke-user {"UserGuid": ...} -> POST /rpc/revoke_user, the JSON body and Authorization passed on'
t_status 200
t_check '[[ $(upstream_line) == "POST /rpc/revoke_user" ]]' "upstream got '$(upstream_line)'"
t_check '[[ $(upstream_header content-type) == application/json ]]' "content-type $(upstream_header content-type)"
t_check '[[ $(upstream_header content-length) == 52 ]]' "content-length $(upstream_header content-length)"
t_check '[[ $(upstream_header authorization) == "Bearer a.b.c" ]]' "authorization=$(upstream_header authorization)"
t_end

route POST "/revoke-user?UserGuid=$GUID&select=x&limit=1" 'POST /rpc/revoke_user' -H 'Content-Type: application/json' \
	--data-binary "{\"UserGuid\": \"$GUID\"}"

# Self-service (/api/v1/my/...): the same rules.
BASE_ADMIN=$BASE
BASE="http://127.0.0.1:$SITE_PORT/api/v1/my"
route GET /sessions 'GET /rpc/my_sessions'
route GET '/sessions?page=2&page_size=10' 'GET /rpc/my_sessions?page=2&page_size=10'
route GET '/sessions?limit=1&order=ID&page_size=3&guid=x' 'GET /rpc/my_sessions?page_size=3'
route POST '/sessions/revoke?Session=9' 'POST /rpc/revoke_my_session' -H 'Content-Type: application/json' --data-binary '{"Session": 5}'
route POST /sessions/revoke-others 'POST /rpc/revoke_my_other_sessions'
route POST '/sessions/logout?select=x' 'POST /rpc/logout' -H 'Content-Type: application/json' --data-binary '{}'
req GET "$BASE/sessions" -H 'Authorization: Bearer a.b.c' -H 'Cookie: s=1'
t_case "GET /api/v1/my/sessions: Authorization passed, Cookie dropped"
t_check '[[ $(upstream_header authorization) == "Bearer a.b.c" ]]' "authorization=$(upstream_header authorization)"
t_check '[[ -z $(upstream_header cookie) ]]' "cookie=$(upstream_header cookie)"
t_end
BASE=$BASE_ADMIN

req GET "$BASE/list" -H 'Range: 0-0' -H 'If-Range: "x"' -H 'Range-Unit: items'
t_case "GET /list with Range: 0-0 -> no Range or If-Range header upstream"
t_status 200
t_check '[[ -z $(upstream_header range) ]]' "range=$(upstream_header range)"
t_check '[[ -z $(upstream_header if-range) ]]' "if-range=$(upstream_header if-range)"
t_end

for p in 'count=exact|count=exact' 'tx=rollback, count=exact|count=exact' 'Count=Exact|count=exact' \
	'tx=rollback|' 'count=planned|' 'params=single-object|'; do
	req GET "$BASE/list" -H "Prefer: ${p%|*}"
	t_case "GET /list with Prefer: ${p%|*} -> Prefer upstream: '${p#*|}'"
	t_status 200
	t_check '[[ $(upstream_header prefer) == "${p#*|}" ]]' "prefer=$(upstream_header prefer)"
	t_end
done

req GET "$BASE/user-sessions/$GUID" -H 'Authorization: Bearer a.b.c' -H 'Accept: text/csv' \
	-H 'Cookie: s=1' -H 'Accept-Profile: authsessions_data'
t_case "GET /user-sessions/{guid}: Authorization passed; Accept forced to JSON; Cookie and Accept-Profile dropped"
t_status 200
t_check '[[ $(upstream_header authorization) == "Bearer a.b.c" ]]' "authorization=$(upstream_header authorization)"
t_check '[[ $(upstream_header accept) == application/json ]]' "accept=$(upstream_header accept)"
t_check '[[ -z $(upstream_header cookie) ]]' "cookie=$(upstream_header cookie)"
t_check '[[ -z $(upstream_header accept-profile) ]]' "accept-profile=$(upstream_header accept-profile)"
t_end

# not_found PATH: 404 with the JSON error body, nothing sent upstream.
not_found() {
	req "${2:-GET}" "http://127.0.0.1:$SITE_PORT$1"
	t_case "${2:-GET} $1 -> 404"
	t_status 404
	t_jq '.code == "HTTP404" and (keys == ["code", "details", "hint", "message"])' "body is not the JSON error"
	t_check '[[ $RESP_HEADERS == *"content-type: application/json"* ]]' "Content-Type is not application/json"
	t_check '[[ $RESP_HEADERS == *"cache-control: no-store"* ]]' "no Cache-Control: no-store"
	t_end
}
not_found "/api/admin/v1/authenticated-sessions/user-sessions/not-a-guid"
not_found "/api/admin/v1/authenticated-sessions/user-sessions/${GUID:1}"          # 35 characters
not_found "/api/admin/v1/authenticated-sessions/user-sessions/${GUID}0"           # 37 characters
not_found "/api/admin/v1/authenticated-sessions/user-sessions/${GUID:0:35}g"      # not hex
not_found "/api/admin/v1/authenticated-sessions/user-sessions/$GUID/x"
not_found "/api/admin/v1/authenticated-sessions/user-sessions/"
not_found "/api/admin/v1/authenticated-sessions/list/"
not_found "/api/admin/v1/authenticated-sessions/revoke-user/" POST
not_found "/api/admin/v1/authenticated-sessions/revoke-user/$GUID" POST
not_found "/api/admin/v1/authenticated-sessions/revoke_user" POST
not_found "/rpc/revoke_user" POST
not_found "/api/admin/v1/authenticated-sessions/"
not_found "/rpc/list"
not_found "/api/v1/my/sessions/"
not_found "/api/v1/my/sessions/123"
not_found "/api/v1/my/"
not_found "/rpc/logout" POST
not_found "/rpc/create_session" POST
not_found "/"

# not_allowed METHOD PATH ALLOW
not_allowed() {
	local allow=$3
	req "$1" "$BASE$2" -H 'Content-Type: application/json' --data-binary '{"Session": 1}'
	t_case "$1 $2 -> 405, Allow: $allow"
	t_status 405
	t_check '[[ $RESP_HEADERS == *"allow: ${allow,,}"* ]]' "no Allow: $allow header"
	t_jq '.code == "HTTP405"' "body is not the JSON error"
	t_check '[[ $RESP_HEADERS == *"cache-control: no-store"* ]]' "no Cache-Control: no-store"
	t_end
}
not_allowed GET /revoke POST
not_allowed PUT /revoke POST
not_allowed GET /revoke-user POST
not_allowed PUT /revoke-user POST
not_allowed DELETE /revoke-user POST
not_allowed POST /list 'GET, HEAD'
not_allowed DELETE "/user-sessions/$GUID" 'GET, HEAD'
BASE="http://127.0.0.1:$SITE_PORT/api/v1/my"
not_allowed POST /sessions 'GET, HEAD'
not_allowed GET /sessions/revoke POST
not_allowed GET /sessions/revoke-others POST
not_allowed DELETE /sessions/logout POST
BASE=$BASE_ADMIN

# PostgREST gone: move the echo server to another port and reload nginx.
DEAD_PORT=$ECHO_PORT
MOVED_PORT=$(_postgrest_free_port $((ECHO_PORT + 1)))
sed -i "s/listen 127.0.0.1:$ECHO_PORT;/listen 127.0.0.1:$MOVED_PORT;/" "$work/echo.conf"
"${NGINX[@]}" -s reload
for _ in $(seq 50); do _postgrest_port_free "$DEAD_PORT" && break; sleep 0.1; done
req GET "$BASE/list"
t_case "GET /list while PostgREST does not answer -> 503 HTTP503 (JSON)"
t_status 503
t_jq '.code == "HTTP503" and (keys == ["code", "details", "hint", "message"])' "body is not the JSON error"
t_check '[[ $RESP_HEADERS == *"content-type: application/json"* ]]' "Content-Type is not application/json"
t_end

t_summary
