#!/usr/bin/env bash
# bench/replica_cutoff.sh: behind a hot standby, how long after a revoke
# commits on the primary the standby stops accepting the session (the
# cut-off of issue 19 for reads routed to a replica: check_token there, or
# check_request in a replica's PostgREST, reads the same row).
#
#   bash bench/replica_cutoff.sh                        # about 2 minutes
#   CUTOFF_BENCH_ROUNDS=100 bash bench/replica_cutoff.sh  # shorter
#
# A private primary and a streaming replica of it (pg_basebackup -R, hot
# standby) on this machine, from test/extra/lib/standby.sh, with fsync,
# synchronous_commit and full_page_writes on.  For each scenario,
# CUTOFF_BENCH_ROUNDS revokes (default 500) of distinct active sessions, one
# at a time, 20 ms apart; after each, check_token on the standby is read in
# a loop until it answers NULL (bench/replica_cutoff.pl).  Scenarios:
#   - asynchronous replication (synchronous_commit = on, no synchronous
#     standby: what a replica is by default), idle primary;
#   - the same while one pgbench client creates sessions on the primary
#     without pause (a login storm: the WAL the standby must replay first);
#   - synchronous_standby_names = '*' and the revoking connection at
#     synchronous_commit = remote_apply (README's strict option), idle and
#     under the same load.
# Prints a markdown table (also written to bench/replica_cutoff.md): the
# revoke's round trip on the primary and the cut-off delay after it returned,
# in milliseconds.  The figures are this machine's: a standby on another
# host adds the network's round trip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
ROUNDS=${CUTOFF_BENCH_ROUNDS:-500}
perl -MDBD::Pg -e 1 2>/dev/null || { echo "bench/replica_cutoff.sh needs DBD::Pg (libdbd-pg-perl)" >&2; exit 1; }
# shellcheck source=test/extra/lib/owncluster.sh
source test/extra/lib/owncluster.sh
# shellcheck source=test/extra/lib/standby.sh
source test/extra/lib/standby.sh

DB=authsessions_cutoff
USERS=1000
load=""
stop_load() {
	if [[ -n $load ]]; then
		kill "$load" 2>/dev/null || true
		wait "$load" 2>/dev/null || true
		load=""
	fi
}
trap 'stop_load; sb_cleanup' EXIT

sb_init "fsync = on" "synchronous_commit = on" "full_page_writes = on" \
	"shared_buffers = '256MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '1h'" \
	"log_min_messages = warning"
oc_psql -d postgres -c "CREATE DATABASE $DB" >/dev/null
oc_psql -d "$DB" -v rounds="$ROUNDS" -v users="$USERS" >/dev/null <<'SQL'
CREATE EXTENSION authsessions;
CREATE TABLE cutoff_users (n integer PRIMARY KEY, guid uuid NOT NULL);
INSERT INTO cutoff_users SELECT n, gen_random_uuid() FROM generate_series(1, :users) n;
SELECT count(authsessions.upsert_user(guid, 'user ' || n, false)) FROM cutoff_users;
-- the sessions to revoke: 4 scenarios' worth, one user each 10
CREATE TABLE cutoff_tokens (n integer PRIMARY KEY, id bigint NOT NULL, token text NOT NULL);
INSERT INTO cutoff_tokens
SELECT k, (s->>'ID')::bigint, s->>'Token'
FROM (SELECT k, authsessions.create_session(u.guid) AS s
      FROM generate_series(1, 4 * :rounds) k
      JOIN cutoff_users u ON u.n = 1 + k % :users) made;
SQL
sb_standby_start
sb_wait_replay "$DB"

primary_dsn="dbname=$DB;host=$OC_DIR;port=$OC_PORT;user=postgres"
standby_dsn="dbname=$DB;host=$OC_DIR;port=$SB_STANDBY_PORT;user=postgres"
cat >"$OC_DIR/login.sql" <<SQL
\set u random(1, $USERS)
SELECT authsessions.create_session(guid) FROM cutoff_users WHERE n = :u;
SQL
chmod a+r "$OC_DIR/login.sql"

start_load() {
	"$OC_BIN/pgbench" -n -M prepared -c 1 -j 1 -T 3600 -f "$OC_DIR/login.sql" \
		-h "$OC_DIR" -p "$OC_PORT" -U postgres "$DB" >"$OC_DIR/load.log" 2>&1 &
	load=$!
	# the load is on once its first login has committed
	local before deadline=$((SECONDS + 60))
	before=$(oc_psql -d "$DB" -At -c "SELECT count(*) FROM authsessions_data.sessions")
	until (($(oc_psql -d "$DB" -At -c "SELECT count(*) FROM authsessions_data.sessions") > before)); do
		((SECONDS < deadline)) || { cat "$OC_DIR/load.log" >&2; exit 1; }
		sleep 0.1
	done
}

# run NAME SCENARIO_NUMBER SYNCHRONOUS_COMMIT: one table row
run() {
	local first=$((($2 - 1) * ROUNDS + 1)) last=$(($2 * ROUNDS)) f
	read -r -a f < <(perl "$root/bench/replica_cutoff.pl" "$primary_dsn" "$standby_dsn" "$first" "$last" "$3")
	printf '| %s | %s | %s / %s | %s / %s / %s / %s | %s |\n' "$1" "${f[0]}" "${f[1]}" "${f[2]}" \
		"${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}"
}

{
	echo "| scenario | revokes | revoke on the primary p50 / p99 ms | cut-off on the standby after it p50 / p90 / p99 / max ms | cut off at the first read |"
	echo "|---|---:|---:|---:|---:|"
	run "asynchronous, idle primary" 1 on
	start_load
	run "asynchronous, 1 client logging in without pause" 2 on
	stop_load
	sb_make_sync || { echo "the standby did not become synchronous" >&2; exit 1; }
	run "remote_apply, idle primary" 3 remote_apply
	start_load
	run "remote_apply, 1 client logging in without pause" 4 remote_apply
	stop_load
} | tee "$root/bench/replica_cutoff.md.new"
mv "$root/bench/replica_cutoff.md.new" "$root/bench/replica_cutoff.md"
logins=$(oc_psql -d "$DB" -At -c "SELECT count(*) - 4 * $ROUNDS FROM authsessions_data.sessions")
echo "(the load made $logins logins; PostgreSQL $("$OC_BIN/pg_config" --version | awk '{print $2}'), $(nproc) cores)"
