#!/usr/bin/env bash
# test/extra/22_pgbouncer_http.sh: the documented admin API over real HTTP
# with pgbouncer (pool_mode = transaction) between PostgREST and PostgreSQL:
# curl -> nginx -> PostgREST 12.0.2 -> pgbouncer -> this cluster.
#
# PostgREST runs with db-prepared-statements = false (a prepared statement
# lives on one server connection; the next transaction may get another),
# db-channel-enabled = false (LISTEN needs a session of its own, which
# transaction pooling does not give) and db-pool = 8 connections to a
# pgbouncer whose server pool is 2 (default_pool_size), so different clients'
# transactions share backends (scripts/postgrest.sh: pgbouncer_start,
# postgrest_start_pgbouncer).
#
#   1. Every check of test/extra/21_postgrest_http.sh, run by it with
#      AUTHSESSIONS_HTTP_VIA=pgbouncer (its lines prefixed "21 via
#      pgbouncer:"); there the schema cache is reloaded by kill -USR1
#      (a new function answers 404 until the signal, then 200), and a NOTIFY
#      pgrst is shown to change nothing.
#   2. Nothing per request leaks from one transaction to the next on a
#      shared backend: two admins (JWT subs admin-a, admin-b) revoking, the
#      application (sub backend-c) ending sessions and being refused the
#      admin paths (403), a caller without a JWT (401), and a SQL client of
#      the same pool setting its own role, claims, headers and
#      statement_timeout with SET LOCAL, all at once.  A probe function
#      called between the requests reports the backend (pg_backend_pid), the
#      role, the JWT's sub, the request's X-Probe header, statement_timeout
#      (the role's setting, applied per transaction by PostgREST) and the
#      extension's settings: each answer must be its own request's, revoked_by
#      the sub of the request that revoked, and the backends seen must be at
#      most the pool's and shared by the roles (pgbouncer's SHOW SERVERS and
#      SHOW CLIENTS, pg_stat_activity).  The extension itself sets nothing
#      per transaction and its settings are superuser-only (PGC_SUSET), so
#      no request can change them: every backend reports the database's.
#
# Needs PGHOST/PGPORT/PGUSER (a superuser) of a cluster where the extension
# is installed, as scripts/test.sh exports them, and pgbouncer
# (scripts/packages.txt; installed when missing and run as root).  Prints
# PASS/FAIL per check and "N passed, N failed"; exits non-zero when a check
# failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh
# shellcheck source=scripts/postgrest.sh
source scripts/postgrest.sh

# Missing (a suite of scripts/packages.txt without it): install it as root,
# else fail here, clearly, rather than halfway.
command -v pgbouncer >/dev/null || ((EUID != 0)) || (_postgrest_need pgbouncer pgbouncer) || true
if ! command -v pgbouncer >/dev/null; then
	tc_fail "pgbouncer is installed" "apt-get install pgbouncer (scripts/packages.txt lists it)"
	tc_summary
	exit 1
fi

# --- 1. test/extra/21_postgrest_http.sh through pgbouncer -----------------------------------
out=$(mktemp /tmp/authsessions-22.XXXXXX)
rc=0
AUTHSESSIONS_HTTP_VIA=pgbouncer ./test/extra/21_postgrest_http.sh >"$out" 2>&1 || rc=$?
sed -e 's/^\(PASS\|FAIL\) /\1 21 via pgbouncer: /' -e '/^[0-9]* passed, [0-9]* failed$/d' "$out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
rm -f "$out"
if [[ -z $summary ]]; then
	tc_fail "21 via pgbouncer ran to its end" "no summary line, exit status $rc"
else
	read -r p _ f _ <<<"$summary"
	TC_PASSED=$((TC_PASSED + p))
	TC_FAILED=$((TC_FAILED + f))
	((f > 0 || rc == 0)) || tc_fail "21 via pgbouncer" "exit status $rc with no failed check"
fi

# --- 2. two roles interleaved on shared backends ------------------------------------------------
DB="authsessions_pgb_$$"
# shellcheck source=test/extra/lib/example_roles.sh
source test/extra/lib/example_roles.sh
ADMIN=authsessions_admin
APP=authsessions_app
GUID=5e1f0c1a-7b2d-4c3e-8f40-9a1b2c3d4e5f
ROUNDS=${AUTHSESSIONS_PGB_ROUNDS:-15}
ROLE_TIMEOUT=5s # statement_timeout of both roles (roles.sql), applied by PostgREST per transaction

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

cleanup() {
	postgrest_stop
	pgbouncer_stop
	example_roles_dropdb "$DB"
}
trap cleanup EXIT

example_roles_createdb "$DB" "ALTER DATABASE $DB SET authsessions.touch_interval = 0" \
	"ALTER DATABASE $DB SET authsessions.max_page_size = 321"
# The probe: what the transaction that runs it sees.
sql >/dev/null <<-EOF
	CREATE FUNCTION authsessions.pool_probe() RETURNS jsonb LANGUAGE sql STABLE AS \$\$
		SELECT jsonb_build_object(
			'pid', pg_backend_pid(),
			'role', current_user,
			'sub', nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
			'probe', nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-probe',
			'statement_timeout', current_setting('statement_timeout'),
			'touch_interval', current_setting('authsessions.touch_interval'),
			'max_page_size', current_setting('authsessions.max_page_size'))
	\$\$;
	REVOKE ALL ON FUNCTION authsessions.pool_probe() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.pool_probe() TO $ADMIN, $APP;
	-- holds its server connection for a second: four at once need more
	-- PostgREST connections than pgbouncer has server ones
	CREATE FUNCTION authsessions.pool_hold() RETURNS integer LANGUAGE sql STABLE AS \$\$
		SELECT 1 FROM pg_sleep(1) \$\$;
	REVOKE ALL ON FUNCTION authsessions.pool_hold() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION authsessions.pool_hold() TO $ADMIN;
	SELECT authsessions.upsert_user('$GUID', 'pooled', false);
	SELECT authsessions.create_session('$GUID') IS NULL; -- kept: the user stays listed
EOF
# Sessions to revoke: ROUNDS for admin-a, ROUNDS for admin-b; ROUNDS tokens
# for the application to end.
mapfile -t A_IDS < <(sql -c "SELECT authsessions.create_session('$GUID') ->> 'ID' FROM generate_series(1, $ROUNDS)")
mapfile -t B_IDS < <(sql -c "SELECT authsessions.create_session('$GUID') ->> 'ID' FROM generate_series(1, $ROUNDS)")
mapfile -t C_ROWS < <(sql -F ' ' -c "SELECT s ->> 'ID', s ->> 'Token'
	FROM (SELECT authsessions.create_session('$GUID') AS s FROM generate_series(1, $ROUNDS)) AS c")

postgrest_install
pgbouncer_start
postgrest_start_pgbouncer "$DB"
postgrest_nginx_start
API=$API_URL
PG=$POSTGREST_URL
EXP=$(($(date +%s) + 3600))
jwt_of() { postgrest_jwt "{\"role\":\"$1\",\"sub\":\"$2\",\"exp\":$EXP}"; }
JSON='Content-Type: application/json'
work=$(mktemp -d /tmp/authsessions-22-loops.XXXXXX)
trap 'rm -rf "$work"; cleanup' EXIT

# call LOG WHAT METHOD URL [curl options...]: one line "WHAT STATUS BODY" in LOG.
call() {
	local log=$1 what=$2 method=$3 url=$4 status body
	shift 4
	status=$(curl -sS -X "$method" -o "$log.body" -w '%{http_code}' "$@" "$url" 2>/dev/null) || status=000
	body=$(tr -d '\n' <"$log.body" 2>/dev/null || true)
	printf '%s %s %s\n' "$what" "$status" "$body" >>"$log"
}
# probe LOG NAME N [auth...]: the probe, with X-Probe: NAME-N.
probe() {
	local log=$1 name=$2 n=$3
	shift 3
	call "$log" "probe:$name-$n" GET "$PG/rpc/pool_probe" -H "X-Probe: $name-$n" "$@"
}

admin_loop() { # NAME IDS...
	local name=$1 auth n=0 id
	shift
	auth="Authorization: Bearer $(jwt_of "$ADMIN" "$name")"
	for id in "$@"; do
		n=$((n + 1))
		call "$work/$name" "revoke:$id" POST "$API/revoke" -H "$auth" -H "$JSON" --data-binary "{\"Session\": $id}"
		probe "$work/$name" "$name" "$n" -H "$auth"
		call "$work/$name" list GET "$API/list" -H "$auth"
	done
}
app_loop() { # NAME "ID TOKEN"... (admin ids to try in B_IDS)
	local name=$1 auth n=0 row id token
	shift
	auth="Authorization: Bearer $(jwt_of "$APP" "$name")"
	for row in "$@"; do
		read -r id token <<<"$row"
		call "$work/$name" "end:$id" POST "$PG/rpc/end_session" -H "$auth" -H "$JSON" --data-binary "{\"token\": \"$token\"}"
		call "$work/$name" "revoke:${B_IDS[n]}" POST "$API/revoke" -H "$auth" -H "$JSON" --data-binary "{\"Session\": ${B_IDS[n]}}"
		n=$((n + 1))
		probe "$work/$name" "$name" "$n" -H "$auth"
		call "$work/$name" list GET "$API/list" -H "$auth"
	done
}
anon_loop() {
	local n
	for ((n = 1; n <= ROUNDS; n++)); do
		call "$work/anon" list GET "$API/list"
		probe "$work/anon" anon "$n"
		call "$work/anon" "revoke:${A_IDS[n - 1]}" POST "$API/revoke" -H "$JSON" --data-binary "{\"Session\": ${A_IDS[n - 1]}}"
	done
}
# A SQL client of the same pool (authenticator, this database): in each
# transaction its own role, claims, headers and statement_timeout, SET LOCAL.
sql_loop() {
	local n
	for ((n = 1; n <= ROUNDS * 3; n++)); do
		printf '%s\n' "BEGIN;" "SET LOCAL statement_timeout = '1s';" "SET LOCAL ROLE $APP;" \
			"SELECT set_config('request.jwt.claims', '{\"role\": \"$ADMIN\", \"sub\": \"sql-loop\"}', true) IS NULL;" \
			"SELECT set_config('request.headers', '{\"x-probe\": \"sql-loop-$n\"}', true) IS NULL;" \
			"SELECT 'probe:sql-loop-$n 200 ' || authsessions.pool_probe()::text;" "COMMIT;"
	done | psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U authenticator -d "$DB" |
		grep '^probe:' >"$work/sql-loop" || true
}
# What pgbouncer and PostgreSQL show while the loops run: server
# connections of the pool, PostgREST's client connections, backends.
sample() {
	while [[ ! -e $work/stop ]]; do
		{
			printf 'servers %s\n' "$(pgbouncer_admin 'SHOW SERVERS' 2>/dev/null | awk -F'|' -v db="$DB" '$2 == "authenticator" && $3 == db' | wc -l)"
			printf 'clients %s\n' "$(pgbouncer_admin 'SHOW CLIENTS' 2>/dev/null |
				awk -F'|' -v db="$DB" '$2 == "authenticator" && $3 == db && /PostgREST/' | wc -l)"
			printf 'backends %s\n' "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity
				WHERE datname = '$DB' AND usename = 'authenticator'" 2>/dev/null || echo 0)"
		} >>"$work/samples"
		sleep 0.2
	done
}

sample &
sampler=$!
pids=()
admin_loop admin-a "${A_IDS[@]}" &
pids+=($!)
admin_loop admin-b "${B_IDS[@]}" &
pids+=($!)
app_loop backend-c "${C_ROWS[@]}" &
pids+=($!)
anon_loop &
pids+=($!)
sql_loop &
pids+=($!)
for p in "${pids[@]}"; do wait "$p" || true; done
touch "$work/stop"
wait "$sampler" || true

# lines LOG KIND: the lines of LOG whose WHAT starts with KIND.
lines() { grep -h "^$2" "$work/$1" 2>/dev/null || true; }
# all_match LOG KIND STATUS JQ: every such line has STATUS and a body that
# satisfies JQ; at least one line.
all_match() {
	local log=$1 kind=$2 st=$3 filter=$4 what status body n=0 bad=0
	while read -r what status body; do
		n=$((n + 1))
		if [[ $status != "$st" ]] || ! jq -e "$filter" >/dev/null 2>&1 <<<"$body"; then
			bad=$((bad + 1))
			((bad <= 3)) && echo "  $log $what -> $status $body" >&2
		fi
	done < <(lines "$log" "$kind")
	((n > 0)) || { echo "  $log: no $kind line" >&2; return 1; }
	((bad == 0))
}
# probes_own LOG ROLE SUB TIMEOUT: every probe answered with its own
# request's role, sub, X-Probe, statement_timeout and the database's
# authsessions settings.
probes_own() {
	local log=$1 role=$2 sub=$3 timeout=$4 what status body n=0 bad=0
	while read -r what status body; do
		n=$((n + 1))
		if [[ $status != 200 ]] || ! jq -e --arg role "$role" --arg sub "$sub" --arg probe "${what#probe:}" \
			--arg t "$timeout" '.role == $role and .sub == $sub and .probe == $probe
				and .statement_timeout == $t and .touch_interval == "0" and .max_page_size == "321"' \
			>/dev/null 2>&1 <<<"$body"; then
			bad=$((bad + 1))
			((bad <= 3)) && echo "  $log $what -> $status $body" >&2
		fi
	done < <(lines "$log" probe:)
	local want=$ROUNDS
	[[ $log == sql-loop ]] && want=$((ROUNDS * 3))
	((n == want)) || { echo "  $log: $n probes, expected $want" >&2; return 1; }
	((bad == 0))
}
pids_of() { lines "$1" probe: | cut -d' ' -f3- | jq -r '.pid' 2>/dev/null | sort -u; }

tc_check "admin-a: all $ROUNDS revokes -> 200 {\"Success\": true}" all_match admin-a revoke: 200 '. == {"Success": true}'
tc_check "admin-b: all $ROUNDS revokes -> 200 {\"Success\": true}" all_match admin-b revoke: 200 '. == {"Success": true}'
admins_list() {
	all_match admin-a list 200 "$1" && all_match admin-b list 200 "$1"
}
tc_check "admins: every GET /list between them -> 200, the pooled user" admins_list \
	'length == 1 and .[0].UserName == "pooled"'
tc_check "backend-c: all $ROUNDS end_session -> 200 {\"Success\": true}" all_match backend-c end: 200 '. == {"Success": true}'
tc_check "backend-c: POST /revoke right after its permitted calls -> always 403 42501" \
	all_match backend-c revoke: 403 '.code == "42501"'
tc_check "backend-c: GET /list -> always 403 42501" all_match backend-c list 403 '.code == "42501"'
tc_check "no JWT: GET /list, POST /revoke, the probe -> always 401" all_match anon "" 401 '.code == "42501"'
tc_check "revoked_by of admin-a's sessions: admin-a, authsessions_admin, every one" eq \
	"$(sql -c "SELECT count(*) FROM authsessions_data.sessions WHERE id IN ($(IFS=,; echo "${A_IDS[*]}"))
		AND revoked_by = 'admin-a' AND revoked_by_role = '$ADMIN' AND revoked_by_login = 'authenticator'")" "$ROUNDS"
tc_check "revoked_by of admin-b's sessions (the app tried each too): admin-b, every one" eq \
	"$(sql -c "SELECT count(*) FROM authsessions_data.sessions WHERE id IN ($(IFS=,; echo "${B_IDS[*]}"))
		AND revoked_by = 'admin-b' AND revoked_by_role = '$ADMIN'")" "$ROUNDS"
c_ids=$(for r in "${C_ROWS[@]}"; do echo "${r%% *}"; done | paste -sd,)
tc_check "the application's ended sessions: revoked_by backend-c, authsessions_app, every one" eq \
	"$(sql -c "SELECT count(*) FROM authsessions_data.sessions WHERE id IN ($c_ids)
		AND revoked_by = 'backend-c' AND revoked_by_role = '$APP'")" "$ROUNDS"
tc_check "admin-a's probes: its own role, sub, X-Probe, statement_timeout $ROLE_TIMEOUT (its role's); the database's authsessions.*" \
	probes_own admin-a "$ADMIN" admin-a "$ROLE_TIMEOUT"
tc_check "admin-b's probes: the same, sub admin-b" probes_own admin-b "$ADMIN" admin-b "$ROLE_TIMEOUT"
tc_check "backend-c's probes: authsessions_app, backend-c, statement_timeout $ROLE_TIMEOUT (its role's)" \
	probes_own backend-c "$APP" backend-c "$ROLE_TIMEOUT"
tc_check "the SQL client's probes: its own SET LOCAL role, claims, headers, statement_timeout 1s" \
	probes_own sql-loop "$APP" sql-loop 1s

all_pids=$(for l in admin-a admin-b backend-c sql-loop; do pids_of "$l"; done | sort -u)
shared() { # shared LOG LOG: some backend served both
	[[ -n $(comm -12 <(pids_of "$1") <(pids_of "$2")) ]] ||
		{ echo "  $1: $(pids_of "$1" | paste -sd' '); $2: $(pids_of "$2" | paste -sd' ')" >&2; return 1; }
}
tc_check "the probes ran on at most $PGBOUNCER_POOL_SIZE backends ($(echo "$all_pids" | paste -sd' '))" \
	ge "$PGBOUNCER_POOL_SIZE" "$(echo "$all_pids" | wc -l)"
tc_check "one backend served both admin-a and backend-c" shared admin-a backend-c
tc_check "one backend served both backend-c and the SQL client" shared backend-c sql-loop
max_of() { awk -v k="$1" '$1 == k && $2 > m { m = $2 } END { print m + 0 }' "$work/samples"; }
tc_check "SHOW SERVERS during the run: at most $PGBOUNCER_POOL_SIZE server connections (max $(max_of servers))" \
	ge "$PGBOUNCER_POOL_SIZE" "$(max_of servers)"
tc_check "pg_stat_activity during the run: at most $PGBOUNCER_POOL_SIZE authenticator backends (max $(max_of backends))" \
	ge "$PGBOUNCER_POOL_SIZE" "$(max_of backends)"
# More PostgREST connections than server ones, whatever the machine's speed:
# PGBOUNCER_POOL_SIZE + 2 requests at once, each holding its server
# connection for a second, so pgbouncer queues some while PostgREST holds a
# client connection for each; SHOW CLIENTS is polled until they are seen or
# every request has ended.
hold_pids=()
hold_auth="Authorization: Bearer $(jwt_of "$ADMIN" admin-a)"
for ((n = 0; n < PGBOUNCER_POOL_SIZE + 2; n++)); do
	curl -s -o /dev/null -H "$hold_auth" "$PG/rpc/pool_hold" &
	hold_pids+=($!)
done
most_clients=0
while :; do
	c=$(pgbouncer_admin 'SHOW CLIENTS' 2>/dev/null |
		awk -F'|' -v db="$DB" '$2 == "authenticator" && $3 == db && /PostgREST/' | wc -l)
	((c > most_clients)) && most_clients=$c
	((most_clients > PGBOUNCER_POOL_SIZE)) && break
	running=0
	for p in "${hold_pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
	((running)) || break
	sleep 0.05
done
for p in "${hold_pids[@]}"; do wait "$p" || true; done
tc_check "SHOW CLIENTS: more PostgREST connections than server ones ($most_clients with $((PGBOUNCER_POOL_SIZE + 2)) requests holding a server each)" \
	ge "$most_clients" "$((PGBOUNCER_POOL_SIZE + 1))"

# After all that, a fresh transaction on the pool starts clean.
after=$(for _ in 1 2 3 4; do echo "SELECT current_user || ' ' || current_setting('role') || ' ' ||
	coalesce(nullif(current_setting('request.jwt.claims', true), ''), '-') || ' ' ||
	coalesce(nullif(current_setting('request.headers', true), ''), '-') || ' ' ||
	current_setting('statement_timeout') || ' ' || current_setting('authsessions.max_page_size');"; done |
	psql -X -q -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U authenticator -d "$DB" | sort -u)
tc_check "afterwards, a new client of the pool: authenticator, no role, claims or headers, statement_timeout 0" \
	eq "$after" "authenticator none - - 0 321"

tc_summary
