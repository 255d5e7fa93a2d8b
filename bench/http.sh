#!/usr/bin/env bash
# bench/http.sh: the documented API's speed over real HTTP, against the HTTP
# limit, in one command.
#
#   bash bench/http.sh          # writes bench/http.md and its BENCHMARKS.md section
#   HTTP_BENCH_REQUESTS=2000 HTTP_BENCH_RUNS=1 HTTP_BENCH_OUT=- bash bench/http.sh
#
# What runs: a throwaway PostgreSQL 15 cluster (scripts/pgenv.sh) with the
# extension built from the tree and the settings users run (fsync,
# synchronous_commit and full_page_writes on, shared_buffers 1GB), the
# benchmark's data (bench/generate.sql, HTTP_BENCH_SCALE sessions, dense:
# active, expired and revoked sessions that purge has not removed),
# examples/postgrest/roles.sql, then PostgREST 12.0.2 with
# examples/postgrest/postgrest.conf and nginx with examples/postgrest/nginx.conf
# (scripts/postgrest.sh) in front of it: the layout README documents.  The
# nginx site gains three locations for this run only, /rpc/check_token,
# /rpc/http_limit and /rpc/http_write_limit, passed to PostgREST as nginx.conf passes the documented
# paths.  wrk (bench/http.lua) loads nginx's port over keep-alive
# connections:
#   limit          GET /rpc/http_limit: a SQL function returning a constant
#                  jsonb, the cost of HTTP, nginx, PostgREST, its JWT check,
#                  transaction and role switch: the HTTP limit
#   list           GET .../list (the first page, 50 users)
#   user-sessions  GET .../user-sessions/{guid}, cycling over 1,000 active
#                  users
#   check_token    POST /rpc/check_token {"token": ...}, cycling over 1,000
#                  active sessions' tokens (PostgREST runs it READ ONLY)
#   revoke         POST .../revoke {"Session": n}, one pre-made active
#                  session per request, each answered 200 {"Success": true}
#                  and committed (an fsync'd commit)
#   write-limit    POST /rpc/http_write_limit {"Session": n}: a SQL function
#                  updating one row by primary key, the same n as revoke's,
#                  committed: the limit of any call that writes
#   limit+hook     the limit again, PostgREST restarted with db-pre-request =
#                  authsessions.check_request, and a session-bound JWT (from
#                  issue_jwt: role authsessions_user, sub and sid): the cost
#                  of the cut-off on every request (then PostgREST restarts
#                  without the hook for the next round)
#   limit+noop     the same with db-pre-request = a SQL function that does
#                  nothing: what any pre-request hook costs in PostgREST
# Every JWT is signed with the key file the server reads
# (authsessions.jwt_secret_file), PostgREST's jwt-secret = "@file".
# HTTP_BENCH_REQUESTS requests each, HTTP_BENCH_CONNECTIONS connections,
# HTTP_BENCH_RUNS rounds, each running every endpoint once in the order
# above, so that the runs a ratio compares are seconds apart.  A run with
# any answer but 2xx, or any socket error, stops everything.  Reported:
# the medians over the rounds of requests/s, of p50 and p99 latency, and of
# each endpoint's requests/s over the limit's of the same round.
#
# Environment:
#   HTTP_BENCH_SCALE        sessions in the data set (default 100000)
#   HTTP_BENCH_REQUESTS     requests per endpoint and run (default 20000)
#   HTTP_BENCH_RUNS         rounds (default 5)
#   HTTP_BENCH_CONNECTIONS  wrk -c (default 4)
#   HTTP_BENCH_THREADS      wrk -t (default 2)
#   HTTP_BENCH_OUT          the fragment (default bench/http.md, also put
#                           into BENCHMARKS.md between its markers); "-":
#                           print it only
# Needs root or the packages: wrk, nginx, curl, openssl (apt), npm on a cold
# PostgREST cache.  Runs alone on the machine for figures worth keeping.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
: "${HTTP_BENCH_SCALE:=100000}"
: "${HTTP_BENCH_REQUESTS:=20000}"
: "${HTTP_BENCH_RUNS:=5}"
: "${HTTP_BENCH_CONNECTIONS:=4}"
: "${HTTP_BENCH_THREADS:=2}"
: "${HTTP_BENCH_OUT:=bench/http.md}"
export HTTP_BENCH_THREADS
ENDPOINTS=(limit list user-sessions check_token revoke write-limit limit+noop limit+hook)
DB=authsessions_http_bench

commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
log() { printf '[http-bench] %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh
# shellcheck source=bench/lib/splice.sh
source bench/lib/splice.sh

if ! command -v wrk >/dev/null; then
	((EUID == 0)) || die "wrk is not installed (apt-get install wrk)"
	log "installing wrk"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi
pgenv_install_deps
build_log=$(mktemp)
pgenv_build_install >"$build_log" 2>&1 || {
	cat "$build_log" >&2
	die "build failed"
}
rm -f "$build_log"
postgrest_install
pgenv_start
WORK=$(mktemp -d /tmp/authsessions-http-bench.XXXXXX)
chmod 755 "$WORK"
_postgrest_chain_exit "rm -rf '$WORK'"

# The settings users run (pgenv_start's are a test server's).
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET shared_buffers = '1GB'" \
	-c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'"
_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w -t 120 restart >/dev/null ||
	die "restart failed"

# --- the data --------------------------------------------------------------------
t0=$SECONDS
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION authsessions" \
	-c "ALTER DATABASE $DB SET authsessions.touch_interval = '1d'"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v scale="$HTTP_BENCH_SCALE" -v shape=dense -v limits=off \
	-f bench/generate.sql >"$WORK/generate.log" 2>&1 || {
	cat "$WORK/generate.log" >&2
	die "generate.sql failed"
}
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
	-f examples/postgrest/roles.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<-'EOF'
	-- The HTTP limit: what every call costs before the extension runs.
	CREATE FUNCTION authsessions.http_limit() RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE AS $$SELECT '{"Success": true}'::jsonb$$;
	REVOKE ALL ON FUNCTION authsessions.http_limit() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.http_limit() TO authsessions_admin, authsessions_user;
	-- A pre-request hook that does nothing.
	CREATE FUNCTION authsessions.http_noop_hook() RETURNS void
	LANGUAGE sql STABLE PARALLEL SAFE AS $$SELECT$$;
	REVOKE ALL ON FUNCTION authsessions.http_noop_hook() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.http_noop_hook() TO authsessions_user;
	-- The sessions revoke ends: users of their own, named after every other
	-- user, so list's first page and user_sessions' users stay as they were.
	CREATE TABLE bench.http_revocable (id bigint PRIMARY KEY, hits integer NOT NULL DEFAULT 0);
	-- The write limit: one row updated by primary key and committed.
	CREATE FUNCTION authsessions.http_write_limit("Session" bigint) RETURNS jsonb
	LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
		UPDATE bench.http_revocable SET hits = hits + 1 WHERE id = "Session"
		RETURNING '{"Success": true}'::jsonb$$;
	REVOKE ALL ON FUNCTION authsessions.http_write_limit(bigint) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.http_write_limit(bigint) TO authsessions_admin;
	SELECT count(authsessions.upsert_user(
		('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid, 'zz-http-revoke-' || u))
	FROM generate_series(1, 2000) u \gset ignored_
EOF
# 1,000 active users' guids and active sessions' tokens, spread over the set.
psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "
	SELECT u.guid FROM authsessions_data.users u
	WHERE u.listed AND u.name LIKE 'user-%' ORDER BY u.name LIMIT 1000" >"$WORK/guids"
psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "
	SELECT json_build_object('token', t.token) FROM bench.tokens t ORDER BY t.s DESC LIMIT 1000" >"$WORK/tokens"
[[ $(wc -l <"$WORK/guids") == 1000 && $(wc -l <"$WORK/tokens") == 1000 ]] ||
	die "the data set has fewer than 1,000 active users or sessions"
log "data: $HTTP_BENCH_SCALE sessions in $((SECONDS - t0)) s"

# --- PostgREST and nginx ------------------------------------------------------------
# nginx.conf with two more locations, before its catch-all 404.
site=$WORK/nginx-bench.conf
awk '
	/^\tlocation \/ \{/ && !done {
		print "\t# bench/http.sh only: the HTTP limit and check_token, as the documented paths pass."
		print "\tlocation = /rpc/http_limit {"
		print "\t\tproxy_pass http://authsessions_postgrest;"
		print "\t}"
		print "\tlocation = /rpc/http_write_limit {"
		print "\t\tproxy_pass http://authsessions_postgrest;"
		print "\t}"
		print "\tlocation = /rpc/check_token {"
		print "\t\tproxy_pass http://authsessions_postgrest;"
		print "\t}"
		print ""
		done = 1
	}
	{ print }' "$POSTGREST_SITE" >"$site"
grep -q 'location = /rpc/check_token' "$site" || die "$POSTGREST_SITE: no catch-all location to insert before"
POSTGREST_SITE=$site
# One key for PostgREST and the server (scripts/pgenv.sh wrote it).
KEY=$(cat "${AUTHSESSIONS_JWT_KEY_FILE:?}")
POSTGREST_JWT_SECRET="@$AUTHSESSIONS_JWT_KEY_FILE"
postgrest_start "$DB"
postgrest_nginx_start
PORT_NO_HOOK=$POSTGREST_PORT
# restart_postgrest [HOOK]: PostgREST again on the same port, with
# db-pre-request = HOOK (none if empty).
restart_postgrest() {
	postgrest_stop_postgrest
	if [[ -n ${1:-} ]]; then export PGRST_DB_PRE_REQUEST=$1; else unset PGRST_DB_PRE_REQUEST; fi
	postgrest_start "$DB" 2>/dev/null
	[[ $POSTGREST_PORT == "$PORT_NO_HOOK" ]] || die "PostgREST came back on port $POSTGREST_PORT, nginx points to $PORT_NO_HOOK"
}
exp=$(($(date +%s) + 86400))
ADMIN_JWT=$(postgrest_jwt "{\"role\":\"authsessions_admin\",\"sub\":\"bench@example.com\",\"exp\":$exp}" "$KEY")
APP_JWT=$(postgrest_jwt "{\"role\":\"authsessions_app\",\"sub\":\"bench-app\",\"exp\":$exp}" "$KEY")
# A signed-in user's JWT, bound to an active session (an hour at most).
USER_JWT=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -v token="$(sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' "$WORK/tokens" | head -n 1)" \
	<<<"SELECT authsessions.issue_jwt(:'token', '1 hour') ->> 'JWT'")
[[ -n $USER_JWT ]] || die "issue_jwt gave no JWT"

# Every endpoint answers as documented before it is timed.
probe() {
	local want=$1 jwt=$2 url=$3 body=${4:-} status
	local args=(-s -o "$WORK/probe" -w '%{http_code}' -H "Authorization: Bearer $jwt")
	[[ -z $body ]] || args+=(-X POST -H 'Content-Type: application/json' -d "$body")
	status=$(curl "${args[@]}" "$url")
	[[ $status == 200 ]] && grep -q -- "$want" "$WORK/probe" ||
		die "$url answered $status: $(head -c 300 "$WORK/probe")"
}
probe '"Success" *: *true' "$ADMIN_JWT" "$NGINX_URL/rpc/http_limit"
probe '"UserGuid"' "$ADMIN_JWT" "$API_URL/list"
probe '"ID"' "$ADMIN_JWT" "$API_URL/user-sessions/$(head -n 1 "$WORK/guids")"
probe '"ID"' "$APP_JWT" "$NGINX_URL/rpc/check_token" "$(head -n 1 "$WORK/tokens")"
restart_postgrest authsessions.check_request
probe '"Success" *: *true' "$USER_JWT" "$NGINX_URL/rpc/http_limit"
restart_postgrest

# --- the runs -------------------------------------------------------------------------
# make_revocable: HTTP_BENCH_REQUESTS active sessions (and a few more, one per
# connection that may be in flight when a thread stops) for one revoke run.
make_revocable() {
	local n=$((HTTP_BENCH_REQUESTS + 8 * HTTP_BENCH_THREADS + HTTP_BENCH_CONNECTIONS))
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$n" <<-'EOF'
		TRUNCATE bench.http_revocable;
		INSERT INTO bench.http_revocable (id)
		SELECT (authsessions.create_session(
			('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % 2000), 12, '0'))::uuid) ->> 'ID')::bigint
		FROM generate_series(1, :n) i;
		VACUUM (ANALYZE) authsessions_data.sessions, authsessions_data.users;
		CHECKPOINT;
	EOF
	psql -X -At -v ON_ERROR_STOP=1 -d "$DB" \
		-c "SELECT json_build_object('Session', id) FROM bench.http_revocable ORDER BY id" >"$WORK/revocable"
}

# run ROUND ENDPOINT [REQUESTS]: one wrk run; appends a line to results.tsv.
run() {
	local round=$1 ep=$2 n=${3:-$HTTP_BENCH_REQUESTS} kind url file jwt=$ADMIN_JWT out line
	case $ep in
	limit) kind=get url=$NGINX_URL/rpc/http_limit file=- ;;
	list) kind=get url=$API_URL/list file=- ;;
	user-sessions) kind=get url=$API_URL/user-sessions/ file=$WORK/guids ;;
	check_token) kind=post url=$NGINX_URL/rpc/check_token file=$WORK/tokens jwt=$APP_JWT ;;
	revoke)
		make_revocable
		kind=once url=$API_URL/revoke file=$WORK/revocable
		;;
	write-limit) kind=once url=$NGINX_URL/rpc/http_write_limit file=$WORK/revocable ;;
	limit+hook | limit+noop) kind=get url=$NGINX_URL/rpc/http_limit file=- jwt=$USER_JWT ;;
	esac
	rm -f "$WORK/stamp"
	out=$(HTTP_BENCH_STAMP=$WORK/stamp wrk -t "$HTTP_BENCH_THREADS" -c "$HTTP_BENCH_CONNECTIONS" -d 600s \
		-s bench/http.lua "$url" -- "$kind" "$n" "$file" "$jwt" 2>&1) ||
		die "wrk failed on $ep: $out"
	line=$(grep '^RESULT ' <<<"$out") || die "wrk printed no result for $ep: $out"
	read -r _ requests duration p50 p99 non2xx errors <<<"$line"
	((non2xx == 0 && errors == 0)) || die "$ep: $non2xx answers not 2xx, $errors socket errors"
	((round > 0)) || return 0
	((requests >= n)) || die "$ep: $requests requests, expected $n"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$ep" "$requests" "$duration" "$p50" "$p99" >>"$WORK/results.tsv"
	log "round $round $ep: $requests requests, $((requests * 1000000 / duration))/s, p50 ${p50} µs, p99 ${p99} µs"
}
if [[ $(awk '{ print $1 }' /proc/loadavg) != 0.* ]]; then
	log "load average $(cut -d ' ' -f 1-3 /proc/loadavg): other work shares the machine"
fi
# Warm-up, not timed: PostgREST's and the backends' caches, nginx's
# upstream connections.
for ep in limit list user-sessions check_token; do run 0 "$ep" 1000; done
: >"$WORK/results.tsv"
for ((r = 1; r <= HTTP_BENCH_RUNS; r++)); do
	for ep in "${ENDPOINTS[@]}"; do
		if [[ $ep == limit+* ]]; then
			if [[ $ep == *+hook ]]; then restart_postgrest authsessions.check_request; else restart_postgrest authsessions.http_noop_hook; fi
			run 0 "$ep" 1000
		fi
		run "$r" "$ep"
	done
	restart_postgrest
done
# Every revoke run answered 200 for each of its sessions: they are ended.
left=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM authsessions_data.sessions s
	JOIN bench.http_revocable r USING (id) WHERE s.revoked_at IS NULL")
((left <= 8 * HTTP_BENCH_THREADS + HTTP_BENCH_CONNECTIONS)) || die "$left of the last run's sessions still active"

# --- the report -----------------------------------------------------------------------
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
servers=$(psql -X -At -d "$DB" -c "SELECT split_part(version(), ',', 1) || '; shared_buffers '
	|| current_setting('shared_buffers') || ', fsync ' || current_setting('fsync')
	|| ', synchronous_commit ' || current_setting('synchronous_commit') || ', jit ' || current_setting('jit')")
fragment=$WORK/http.md
{
	cat <<-EOF
		<!-- bench/http.sh begins: generated, do not edit by hand -->
		## HTTP: nginx → PostgREST → PostgreSQL

		Generated by \`bench/http.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); machine load average $load at the end.
		PostgREST $POSTGREST_VERSION with \`examples/postgrest/postgrest.conf\`, nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') with \`examples/postgrest/nginx.conf\`, $servers; the $(commas "$HTTP_BENCH_SCALE") sessions of \`bench/generate.sql\` (dense).
		\`wrk\` with $HTTP_BENCH_CONNECTIONS keep-alive connections ($HTTP_BENCH_THREADS threads), $(commas "$HTTP_BENCH_REQUESTS") requests per endpoint and run, $HTTP_BENCH_RUNS rounds of every endpoint in turn; medians over the rounds, the ratio taken within each round.
		The limit is a PostgREST call of a SQL function returning a constant: HTTP, nginx, PostgREST's JWT check, transaction and role switch, and nothing else.

		write-limit is a SQL function updating one row by primary key, called as revoke is: the limit of a call that commits a write (with fsync).

		| endpoint | requests/s | of the limit | p50 ms | p99 ms |
		|---|---:|---:|---:|---:|
	EOF
	awk -F '\t' -v order="${ENDPOINTS[*]}" '
		function median(list, n,   a, i, j, t) {
			n = split(list, a, " ")
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ rps = $3 * 1000000 / $4; r[$1, $2] = rps; rates[$2] = rates[$2] " " rps; p50[$2] = p50[$2] " " $5; p99[$2] = p99[$2] " " $6; rounds[$1] = 1 }
		END {
			n = split(order, eps, " ")
			for (k in rounds) {
				for (e = 1; e <= n; e++) ratio[eps[e]] = ratio[eps[e]] " " r[k, eps[e]] / r[k, "limit"]
				wratio = wratio " " r[k, "revoke"] / r[k, "write-limit"]
				hratio = hratio " " r[k, "limit+hook"] / r[k, "limit"]
				nratio = nratio " " r[k, "limit+hook"] / r[k, "limit+noop"]
			}
			for (e = 1; e <= n; e++) {
				ep = eps[e]
				printf "| %s | %.0f | %s | %.2f | %.2f |\n", ep, median(rates[ep]),
					ep == "limit" ? "1" : sprintf("%.0f%%", 100 * median(ratio[ep])),
					median(p50[ep]) / 1000, median(p99[ep]) / 1000
			}
			printf "\nrevoke against write-limit (both commit one write): %.0f%%.\n", 100 * median(wratio)
			printf "The limit with the cut-off hook (check_request, a session-bound JWT) against without: %.0f%%; against a hook that does nothing: %.0f%%.\n", 100 * median(hratio), 100 * median(nratio)
		}' "$WORK/results.tsv"
	echo
	echo "Targets: each documented endpoint at least 70% of the limit (issue 18); the limit with the hook at least 90% of without (issue 19)."
	echo "<!-- bench/http.sh ends -->"
} >"$fragment"
# BENCHMARKS.md: the section between the markers replaced, or added before
# the hand-written analysis.
bench_fragment bench/http.sh "$fragment" "$HTTP_BENCH_OUT"
[[ $HTTP_BENCH_OUT == - ]] || log "wrote $HTTP_BENCH_OUT and its section of BENCHMARKS.md"
