# shellcheck shell=bash
# test/extra/lib/standby.sh: a private primary and a hot standby of it, for
# the suites that read from a replica (67_hot_standby.sh in SQL,
# 68_standby_http.sh over HTTP).  Source it after lib/owncluster.sh, then:
#
#   sb_init [extra postgresql.conf lines...]
#                         oc_init a primary with wal_level = replica and wal
#                         senders (plus the given lines) and start it; the
#                         EXIT trap stops the standby, then the primary, and
#                         removes the directory
#   sb_standby_start      a streaming replica of the primary made with
#                         `pg_basebackup -R`, started on a free port (a hot
#                         standby); false, with the log printed, when it
#                         could not be made or started.  Sets SB_STANDBY_PORT
#                         and SB_STANDBY_DIR (its data directory).
#   sb_standby_start_or_fail
#                         sb_standby_start; when it fails, FAIL (lib/checks.sh)
#                         and the summary, and exit 1
#   sb_standby_psql [psql args...]
#                         psql -X to the standby, as the primary's oc_psql
#   sb_sessions DB ALICE BOB
#                         on the primary, in DB (the extension created): users
#                         alice (guid ALICE) and bob (BOB, an operator),
#                         sessions a1 ('phone a1', 'os', 'app') and a2 of
#                         alice and b1 of bob, and a table tokens (k, id,
#                         token) that keeps each one's ID and token
#   sb_tok K, sb_sid K    the token, the ID of session K (a1, a2, b1, or what
#                         a suite adds to tokens), read on the primary
#   sb_poll COMMAND...    run COMMAND until it succeeds, every 0.1 s, bounded
#                         (AUTHSESSIONS_REPLAY_TIMEOUT seconds, default 120);
#                         false when the bound passed
#   sb_make_sync          synchronous_standby_names = '*' on the primary,
#                         reloaded, and sb_poll until the standby is its
#                         synchronous one
#   sb_wait_replay DB     until the standby has replayed everything the
#                         primary has written so far: polls
#                         pg_last_wal_replay_lsn() against the primary's
#                         pg_current_wal_lsn(), bounded
#                         (AUTHSESSIONS_REPLAY_TIMEOUT seconds, default 120);
#                         false when the bound passed.  No fixed sleep.
#
# Both servers run as the cluster owner (the postgres OS user when root) in
# one temporary directory, with the binaries of ${PGENV_PG_BIN:-PostgreSQL
# 15}; the extension must be installed there.

SB_STANDBY_DIR=""
SB_STANDBY_PORT=""
SB_DB=""
SB_REPLAY_TIMEOUT=${AUTHSESSIONS_REPLAY_TIMEOUT:-120}

# The standby goes first, then the primary and the directory (owncluster).
sb_cleanup() {
	if [[ -n $OC_DIR && -n $SB_STANDBY_DIR && -f $SB_STANDBY_DIR/postmaster.pid ]]; then
		_oc_as_owner "$OC_BIN/pg_ctl" -D "$SB_STANDBY_DIR" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	_oc_cleanup
}

sb_init() {
	oc_init "wal_level = replica" "max_wal_senders = 4" "$@"
	trap sb_cleanup EXIT
	oc_start
}

sb_standby_start() {
	SB_STANDBY_DIR=$OC_DIR/standby
	local port=$((OC_PORT + 1))
	while [[ $port == "$OC_PORT" ]] || _oc_port_busy "$port"; do port=$((port + 1)); done
	SB_STANDBY_PORT=$port
	if ! _oc_as_owner "$OC_BIN/pg_basebackup" -h "$OC_DIR" -p "$OC_PORT" -U postgres \
		-D "$SB_STANDBY_DIR" -R -X stream -c fast >"$OC_DIR/basebackup.log" 2>&1; then
		cat "$OC_DIR/basebackup.log" >&2
		return 1
	fi
	echo "port = $SB_STANDBY_PORT" >>"$SB_STANDBY_DIR/postgresql.conf"
	if ! _oc_as_owner "$OC_BIN/pg_ctl" -D "$SB_STANDBY_DIR" -l "$OC_DIR/standby.log" -w -t 120 start >/dev/null; then
		cat "$OC_DIR/standby.log" >&2
		return 1
	fi
}

sb_standby_start_or_fail() {
	sb_standby_start && return 0
	tc_fail "pg_basebackup -R made a replica, and it started"
	tc_summary
	exit 1
}

sb_standby_psql() {
	"$OC_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$OC_DIR" -p "$SB_STANDBY_PORT" -U postgres "$@"
}

sb_poll() {
	local deadline=$((SECONDS + SB_REPLAY_TIMEOUT))
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

_sb_is_sync() {
	[[ $(oc_psql -d postgres -At -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 1 ]]
}

sb_make_sync() {
	oc_psql -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
	sb_poll _sb_is_sync
}

# _sb_replayed DB LSN: has the standby replayed up to LSN?
_sb_replayed() {
	[[ $(sb_standby_psql -d "$1" -At -c "SELECT coalesce(pg_last_wal_replay_lsn() >= '$2'::pg_lsn, false)" 2>/dev/null) == t ]]
}

sb_wait_replay() {
	local db=$1 lsn
	lsn=$(oc_psql -d "$db" -At -c "SELECT pg_current_wal_lsn()")
	sb_poll _sb_replayed "$db" "$lsn" ||
		{ echo "  replay of $lsn not done after ${SB_REPLAY_TIMEOUT}s" >&2; return 1; }
}

sb_sessions() {
	SB_DB=$1
	oc_psql -d "$SB_DB" -At >/dev/null <<SQL
SELECT authsessions.upsert_user('$2', 'alice', false);
SELECT authsessions.upsert_user('$3', 'bob', true);
CREATE TABLE tokens (k text PRIMARY KEY, id bigint, token text);
INSERT INTO tokens
SELECT k, (j->>'ID')::bigint, j->>'Token'
FROM (VALUES ('a1', authsessions.create_session('$2', 'phone a1', 'os', 'app')),
             ('a2', authsessions.create_session('$2', 'phone a2')),
             ('b1', authsessions.create_session('$3', 'phone b1'))) AS v(k, j);
SQL
}

sb_tok() { oc_psql -d "$SB_DB" -At -c "SELECT token FROM tokens WHERE k = '$1'"; }
sb_sid() { oc_psql -d "$SB_DB" -At -c "SELECT id FROM tokens WHERE k = '$1'"; }
