#!/usr/bin/env bash
# test/extra/60_crash_durability.sh: nothing acknowledged is lost in a crash.
#
# A private cluster (fsync = on, synchronous_commit = on, full_page_writes =
# on) gets a steady load of create_session, validate and revoke from DBD::Pg
# clients (test/extra/lib/crash_driver.pl) that log every acknowledged call;
# after a few seconds the server is stopped with `pg_ctl stop -m immediate`
# (no shutdown checkpoint: recovery replays the WAL) and restarted.  Then:
#   - every acknowledged revoke is still revoked, with who ended it
#     (revoked_by, revoked_by_role, revoked_by_login);
#   - every acknowledged session exists, with the SHA-256 of its token;
#   - every acknowledged session not sent to revoke still validates (as
#     itself), and no expiry slid by an acknowledged validate went back;
#   - every user's session summary agrees with the sessions: the elements
#     of users.session_expiries after now() are the expiries of the user's
#     active sessions;
#   - amcheck finds no corruption: bt_index_parent_check with heapallindexed
#     on every index of authsessions_data, verify_heapam on its tables.
#
# Short form (CI): 1 crash after 5 s of load from 4 clients.
# AUTHSESSIONS_LONG=1: 3 crashes after 30 s each, checked after every restart.
# Prints PASS/FAIL per check and "N passed, N failed"; exit status 1 on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
HERE=$PWD
# shellcheck source=test/extra/lib/owncluster.sh
source lib/owncluster.sh
# shellcheck source=test/extra/lib/dbd_pg.sh
source lib/dbd_pg.sh # and lib/checks.sh

CLIENTS=4
if [[ ${AUTHSESSIONS_LONG:-0} == 1 ]]; then
	CYCLES=3 LOAD_SECONDS=30
else
	CYCLES=1 LOAD_SECONDS=5
fi

# DBD::Pg from Debian: the driver applications use.
dbd_need

oc_init "fsync = on" "synchronous_commit = on" "full_page_writes = on" \
	"wal_sync_method = fdatasync" "shared_buffers = 16MB" "checkpoint_timeout = 30s" \
	"max_connections = 20" "log_min_messages = warning"
oc_start
WORK=$OC_DIR/driver # the clients' logs (root-owned is fine: only we write them)
mkdir -p "$WORK"

DB=authsessions_crash
oc_psql -d postgres -c "CREATE DATABASE $DB"
oc_psql -d "$DB" <<-'SQL'
	CREATE EXTENSION authsessions;
	CREATE EXTENSION amcheck;
	-- every validate slides (and so writes), every call is a commit to keep
	ALTER DATABASE authsessions_crash SET authsessions.touch_interval = 0;
	SELECT authsessions.upsert_user(gen_random_uuid(), 'crash user ' || i, i % 5 = 0)
	FROM generate_series(1, 20) AS i \g /dev/null
SQL
oc_psql -d "$DB" -At -c "SELECT guid FROM authsessions_data.users ORDER BY id" >"$WORK/users"

# Check everything acknowledged so far against the restarted server.
verify() { # verify CYCLE
	local cycle=$1
	cat "$WORK"/client.*.log >"$WORK/all.log"
	awk '$1 == "C" { print $2 "\t" $3 }' "$WORK/all.log" >"$WORK/created.tsv"
	awk '$1 == "R" { print $2 }' "$WORK/all.log" >"$WORK/revoked.tsv"
	awk '$1 == "P" { print $2 }' "$WORK/all.log" >"$WORK/pending.tsv"
	awk '$1 == "V" { print $2 "\t" $3 }' "$WORK/all.log" >"$WORK/touched.tsv"

	local created revoked touched
	created=$(wc -l <"$WORK/created.tsv")
	revoked=$(wc -l <"$WORK/revoked.tsv")
	touched=$(wc -l <"$WORK/touched.tsv")
	echo "cycle $cycle: acknowledged so far: $created create_session, $touched validate, $revoked revoke"
	tc_check "cycle $cycle: the load was real (>= 50 acknowledged sessions)" ge "$created" 50
	tc_check "cycle $cycle: some revokes and validates were acknowledged" ge "$((revoked < touched ? revoked : touched))" 5

	# One psql session: load what the clients recorded, compare.  The
	# touch check runs before any validate here (validate slides again).
	local out
	out=$(oc_psql -d "$DB" -At -F ' ' <<-SQL
		CREATE TEMP TABLE created (id bigint, token text);
		CREATE TEMP TABLE revoked (id bigint);
		CREATE TEMP TABLE pending (id bigint);
		CREATE TEMP TABLE touched (id bigint, expiry timestamptz);
		\copy created FROM '$WORK/created.tsv'
		\copy revoked FROM '$WORK/revoked.tsv'
		\copy pending FROM '$WORK/pending.tsv'
		\copy touched FROM '$WORK/touched.tsv'
		SELECT 'revoke_lost', count(*) FROM revoked r
		  LEFT JOIN authsessions_data.sessions s ON s.id = r.id
		  WHERE s.revoked_at IS NULL;
		SELECT 'revoke_audit_lost', count(*) FROM revoked r
		  JOIN authsessions_data.sessions s ON s.id = r.id
		  WHERE s.revoked_by IS NULL OR s.revoked_by_role IS NULL
		     OR s.revoked_by_login IS DISTINCT FROM session_user;
		SELECT 'session_lost', count(*) FROM created c
		  LEFT JOIN authsessions_data.sessions s ON s.id = c.id
		  WHERE s.token_hash IS DISTINCT FROM
		    sha256(substr(decode(translate(substr(c.token, 5), '-_', '+/') || '=', 'base64'), 1, 32));
		SELECT 'touch_lost', count(*) FROM
		  (SELECT id, max(expiry) AS expiry FROM touched GROUP BY id) t
		  JOIN authsessions_data.sessions s ON s.id = t.id
		  WHERE t.id NOT IN (SELECT id FROM pending) AND s.expires_at < t.expiry;
		SELECT 'checked_valid', count(*) FROM created c
		  WHERE c.id NOT IN (SELECT id FROM pending);
		SELECT 'not_valid', count(*) FROM created c
		  WHERE c.id NOT IN (SELECT id FROM pending)
		    AND (authsessions.validate(c.token) ->> 'ID') IS DISTINCT FROM c.id::text;
		SELECT 'revoked_validates', count(*) FROM created c JOIN revoked r USING (id)
		  WHERE authsessions.validate(c.token) IS NOT NULL;
		-- users.session_expiries: its elements after now() are the
		-- expiries of the user's active sessions
		SELECT 'summary_mismatch', count(*) FROM authsessions_data.users u
		  WHERE (SELECT coalesce(array_agg(e ORDER BY e), '{}') FROM unnest(u.session_expiries) AS e WHERE e > now())
		    IS DISTINCT FROM (SELECT coalesce(array_agg(s.expires_at ORDER BY s.expires_at), '{}')
		      FROM authsessions_data.sessions s
		      WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now());
		-- amcheck: every index of authsessions_data, with heapallindexed
		SELECT 'indexes_checked', count(bt_index_parent_check(i.indexrelid, true))
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		  JOIN pg_am a ON a.oid = c.relam AND a.amname = 'btree'
		  WHERE c.relnamespace = 'authsessions_data'::regnamespace;
		SELECT 'indexes_total', count(*) FROM pg_class c
		  WHERE c.relkind = 'i' AND c.relnamespace = 'authsessions_data'::regnamespace;
		SELECT 'heap_corruption', count(v.*) FROM pg_class c
		  CROSS JOIN LATERAL verify_heapam(c.oid, check_toast => true) v
		  WHERE c.relkind = 'r' AND c.relnamespace = 'authsessions_data'::regnamespace;
	SQL
	) || { tc_check "cycle $cycle: verification queries ran" false; return; }
	val() { awk -v k="$1" '$1 == k { print $2 }' <<<"$out"; }
	tc_check "cycle $cycle: every acknowledged revoke is still revoked ($revoked)" eq "$(val revoke_lost)" 0
	tc_check "cycle $cycle: every acknowledged revoke kept who ended it (revoked_by, _role, _login)" \
		eq "$(val revoke_audit_lost)" 0
	tc_check "cycle $cycle: every acknowledged session exists with its token hash ($created)" eq "$(val session_lost)" 0
	tc_check "cycle $cycle: no acknowledged expiry slide went back" eq "$(val touch_lost)" 0
	tc_check "cycle $cycle: every acknowledged live session validates as itself ($(val checked_valid))" eq "$(val not_valid)" 0
	tc_check "cycle $cycle: no acknowledged revoked session validates" eq "$(val revoked_validates)" 0
	tc_check "cycle $cycle: every user's session summary agrees with the sessions" eq "$(val summary_mismatch)" 0
	tc_check "cycle $cycle: amcheck: all $(val indexes_total) btree indexes verified (heapallindexed)" \
		eq "$(val indexes_checked)" "$(val indexes_total)"
	tc_check "cycle $cycle: amcheck: verify_heapam finds no corruption" eq "$(val heap_corruption)" 0
}

for cycle in $(seq 1 "$CYCLES"); do
	pids=()
	for c in $(seq 1 "$CLIENTS"); do
		perl "$HERE/lib/crash_driver.pl" "dbname=$DB;$OC_CONNINFO" "$WORK/users" \
			"$WORK/client.$c.log" "$((cycle * 100 + c))" &
		pids+=($!)
	done
	sleep "$LOAD_SECONDS"
	alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	tc_check "cycle $cycle: all $CLIENTS clients still running when the server is killed" eq "$alive" "$CLIENTS"

	oc_stop immediate
	for p in "${pids[@]}"; do wait "$p" || true; done
	errs=$(cat "$WORK"/client.*.log | awk '$1 == "E"' | tail -n "$CLIENTS")
	tc_check "cycle $cycle: the clients stopped only because the server went away" \
		bash -c '! grep -q ASSERT <<<"$1"' _ "$errs"
	grep ASSERT <<<"$errs" >&2 || true

	oc_start
	tc_check "cycle $cycle: the server recovered and restarted" oc_psql -d "$DB" -c 'SELECT 1' -o /dev/null
	verify "$cycle"
done

if grep -E 'PANIC|TRAP:|terminated by signal' "$OC_DIR/server.log" >&2; then
	tc_check "server log: no PANIC, no failed assertion, no backend killed by a signal" false
else
	tc_check "server log: no PANIC, no failed assertion, no backend killed by a signal" true
fi
tc_summary
