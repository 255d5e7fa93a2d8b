#!/usr/bin/env bash
# bench/user_cost.sh: what one user's writes and reads cost at 3, 100 and
# 2,000 active sessions of that user (the cap off).  Prints a markdown
# table: per operation and size, the mean latency of one call and the WAL it
# writes, from pgbench -M prepared, one client, USER_COST_CALLS (default
# 300) calls a run, after a VACUUM.  validate (a touch due on every call:
# touch_interval 0) commits, with fsync on, as an application's does; login,
# revoke and rename are rolled back so that the user stays at its size (no
# commit, so no fsync, in their figures); the reads write nothing.
#
#   bash bench/user_cost.sh                  # a throwaway cluster, fsync on
#   USER_COST_VERSION=1.0 bash bench/user_cost.sh   # CREATE EXTENSION ... VERSION
#
# Uses the extension installed in the system PostgreSQL 15 (make install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/pgenv.sh
CALLS=${USER_COST_CALLS:-300}
SIZES=${USER_COST_SIZES:-"3 100 2000"}
VERSION=${USER_COST_VERSION:-}
PGBENCH=$PGENV_PG_BIN/pgbench
export AUTHSESSIONS_TEST_PORT=${AUTHSESSIONS_TEST_PORT:-56329}
pgenv_start >/dev/null 2>&1
psql -X -q -d postgres -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET shared_buffers = '1GB'" >/dev/null
_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w restart >/dev/null
work=$(mktemp -d /tmp/authsessions-user-cost.XXXXXX)
trap 'rm -rf "$work"; pgenv_stop' EXIT

cat >"$work/validate.sql" <<'SQL'
SELECT authsessions.validate(:tok);
SQL
cat >"$work/login.sql" <<'SQL'
BEGIN;
SELECT authsessions.create_session(:guid);
ROLLBACK;
SQL
cat >"$work/revoke.sql" <<'SQL'
BEGIN;
SELECT authsessions.revoke(:sid);
ROLLBACK;
SQL
cat >"$work/rename.sql" <<'SQL'
BEGIN;
SELECT authsessions.upsert_user(:guid, 'renamed');
ROLLBACK;
SQL
cat >"$work/user_sessions.sql" <<'SQL'
SELECT authsessions.user_sessions(:guid);
SQL
cat >"$work/list.sql" <<'SQL'
SELECT authsessions.list();
SQL

echo "| operation | sessions | ms per call | WAL bytes per call | user row bytes |"
echo "|---|---:|---:|---:|---:|"
for n in $SIZES; do
	db=user_cost_$n
	psql -X -q -d postgres -c "CREATE DATABASE $db"
	psql -X -q -d "$db" -c "CREATE EXTENSION authsessions${VERSION:+ VERSION '$VERSION'}" \
		-c "ALTER DATABASE $db SET authsessions.touch_interval = 0" >/dev/null
	psql -X -q -d "$db" >/dev/null <<SQL
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'busy');
DO \$\$ BEGIN FOR i IN 1..$n LOOP
	PERFORM authsessions.create_session('00000000-0000-4000-8000-000000000001',
		ttl => make_interval(secs => 86400 + (i * 7919) % 86400));
END LOOP; END \$\$;
SQL
	tok=$(psql -X -At -d "$db" -c "SELECT authsessions.create_session('00000000-0000-4000-8000-000000000001', ttl => '2 days') ->> 'Token'")
	sid=$(psql -X -At -d "$db" -c "SELECT max(id) FROM authsessions_data.sessions")
	psql -X -q -d "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
	rowbytes=$(psql -X -At -d "$db" -c "SELECT pg_column_size(u.*) FROM authsessions_data.users u")
	for op in validate login revoke rename user_sessions list; do
		psql -X -q -d "$db" -c "VACUUM authsessions_data.users, authsessions_data.sessions"
		lsn0=$(psql -X -At -d "$db" -c "SELECT pg_current_wal_insert_lsn()")
		out=$("$PGBENCH" -n -M prepared -c 1 -t "$CALLS" -f "$work/$op.sql" \
			-D guid=00000000-0000-4000-8000-000000000001 -D tok="$tok" -D sid="$sid" "$db" 2>&1) ||
			{ echo "$out" >&2; exit 1; }
		lsn1=$(psql -X -At -d "$db" -c "SELECT pg_current_wal_insert_lsn()")
		calls=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
		lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
		wal=$(psql -X -At -d "$db" -c "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $calls)")
		echo "| $op | $((n + 1)) | $lat | $wal | $rowbytes |"
	done
	psql -X -q -d postgres -c "DROP DATABASE $db"
done
