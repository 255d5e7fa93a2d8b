#!/usr/bin/env bash
# test/extra/10_revoke_load.sh: four clients revoke the same sessions at once,
# each in its own order; exactly one revoke succeeds per session, and the only
# other outcome is PT404 err_NoActiveSession.  revoke locks the session's
# user row before the session, so the clients also queue on the rows of the
# users (ten sessions each), one at a time: no deadlock, and each user's
# session summary ends empty.
#
# Each client is a psql connected as an admin role granted as the README says
# (USAGE on authsessions, EXECUTE on list, user_sessions and revoke).  It names
# itself through the JWT sub claim, waits at a barrier (an advisory lock) so
# that the four start together, then calls, once per session and each in its
# own transaction, a wrapper that runs authsessions.revoke and records the
# outcome in a log table, catching SQLSTATE PT404 only: any other error
# reaches the client's stderr and fails the test.
#
#   TRUST_LOAD_SESSIONS   sessions to revoke (default 400)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

N=${TRUST_LOAD_SESSIONS:-400}
CLIENTS=4
ADMIN="trust_load_admin_$$"
LOCK_KEY=$((700000 + $$ % 100000))

tc_createdb trust_revoke_load
tc_role "$ADMIN"

tc_psql -v n="$N" -v admin="$ADMIN" <<'SQL'
CREATE EXTENSION authsessions;
GRANT USAGE ON SCHEMA authsessions TO :"admin";
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.revoke(bigint) TO :"admin";

CREATE TABLE revoke_log (
	client text NOT NULL,
	session_id bigint NOT NULL,
	outcome text NOT NULL,
	at timestamptz NOT NULL DEFAULT clock_timestamp()
);
GRANT INSERT ON revoke_log TO :"admin";

-- One revoke, in the caller's transaction: 'ok' or 'PT404' goes to the log;
-- any other error propagates to the client.
CREATE FUNCTION try_revoke(client text, sid bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM authsessions.revoke(sid);
	INSERT INTO revoke_log (client, session_id, outcome) VALUES (client, sid, 'ok');
	RETURN 'ok';
EXCEPTION WHEN SQLSTATE 'PT404' THEN
	INSERT INTO revoke_log (client, session_id, outcome) VALUES (client, sid, 'PT404');
	RETURN 'PT404';
END
$$;
GRANT EXECUTE ON FUNCTION try_revoke(text, bigint) TO :"admin";

-- n sessions over n/10 users (at least one)
CREATE TABLE load_users AS
	SELECT gen_random_uuid() AS guid, 'load user ' || i AS name
	FROM generate_series(1, greatest(:n / 10, 1)) AS i;
SELECT count(authsessions.upsert_user(guid, name)) FROM load_users \g /dev/null
CREATE TABLE load_sessions AS
	SELECT (authsessions.create_session(u.guid, application => 'load ' || i) ->> 'ID')::bigint AS id
	FROM generate_series(1, :n) AS i
	JOIN (SELECT guid, row_number() OVER () - 1 AS k FROM load_users) u
		ON u.k = i % (SELECT count(*) FROM load_users);
SQL

# One script per client: a different order each.
orders=(
	"id"                        # ascending
	"id DESC"                   # descending
	"md5(id::text || 'three')"  # two pseudo-random shuffles
	"md5(id::text || 'four')"
)
for c in $(seq 1 $CLIENTS); do
	{
		echo "\\set ON_ERROR_STOP 0"
		echo "SELECT set_config('request.jwt.claims', '{\"sub\": \"client$c\"}', false);"
		echo "SELECT pg_advisory_lock_shared($LOCK_KEY);"
		echo "SELECT pg_advisory_unlock_shared($LOCK_KEY);"
		tc_psql -c "SELECT format('SELECT try_revoke(%L, %s);', 'client$c', id)
			FROM load_sessions ORDER BY ${orders[$((c - 1))]}"
	} >"$TC_TMP/client$c.sql"
done

# The barrier: hold the advisory lock until every client waits for it.
mkfifo "$TC_TMP/barrier"
psql -X -q -At -d "$TC_DB" <"$TC_TMP/barrier" >/dev/null 2>&1 &
barrier_pid=$!
exec 3>"$TC_TMP/barrier"
echo "SELECT pg_advisory_lock($LOCK_KEY);" >&3
for _ in $(seq 1 100); do
	[[ $(tc_psql -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $LOCK_KEY AND granted") == 1 ]] && break
	sleep 0.05
done

pids=()
for c in $(seq 1 $CLIENTS); do
	psql -X -q -At -U "$ADMIN" -d "$TC_DB" -f "$TC_TMP/client$c.sql" \
		>"$TC_TMP/client$c.out" 2>"$TC_TMP/client$c.err" &
	pids+=($!)
done
for _ in $(seq 1 200); do
	[[ $(tc_psql -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $LOCK_KEY AND NOT granted") == "$CLIENTS" ]] && break
	sleep 0.05
done
start=$(date +%s.%N)
echo "SELECT pg_advisory_unlock($LOCK_KEY);" >&3
exec 3>&-
wait "$barrier_pid" || true

client_status=0
for pid in "${pids[@]}"; do
	wait "$pid" || client_status=1
done
end=$(date +%s.%N)
awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "four clients, %d sessions: %.2f s\n", n, e - s }'

tc_check "every client ran to the end" test "$client_status" -eq 0

errors=$(cat "$TC_TMP"/client*.err)
if [[ -z $errors ]]; then
	tc_pass "no error other than PT404 err_NoActiveSession reached a client"
else
	tc_fail "no error other than PT404 err_NoActiveSession reached a client" "$(echo "$errors" | sort | uniq -c | head -20)"
fi

q() { tc_psql -c "$1"; }
expect() { # expect NAME EXPECTED QUERY
	local got
	got=$(q "$3")
	if [[ $got == "$2" ]]; then tc_pass "$1"; else tc_fail "$1" "expected $2, got $got"; fi
}

expect "every call was recorded ($CLIENTS x $N)" "$((CLIENTS * N))" \
	"SELECT count(*) FROM revoke_log"
expect "exactly one success per session" "$N|0" \
	"SELECT count(*) FILTER (WHERE ok = 1), count(*) FILTER (WHERE ok <> 1)
	 FROM (SELECT s.id, count(l.*) FILTER (WHERE l.outcome = 'ok') AS ok
	       FROM load_sessions s LEFT JOIN revoke_log l ON l.session_id = s.id
	       GROUP BY s.id) x"
expect "every other call got PT404" "$(((CLIENTS - 1) * N))" \
	"SELECT count(*) FROM revoke_log WHERE outcome = 'PT404'"
expect "each client called each session once" "0" \
	"SELECT count(*) FROM (SELECT client, session_id FROM revoke_log
	 GROUP BY 1, 2 HAVING count(*) <> 1) x"
expect "every session is revoked" "0" \
	"SELECT count(*) FROM authsessions_data.sessions WHERE revoked_at IS NULL"
expect "every user's session summary agrees with the sessions (none active)" "0" \
	"SELECT count(*) FROM authsessions_data.users
	 WHERE EXISTS (SELECT FROM unnest(session_expiries) AS e WHERE e > now())"
expect "every user's session summary is empty (each revoke removed its expiry)" "0" \
	"SELECT count(*) FROM authsessions_data.users WHERE cardinality(session_expiries) <> 0"
expect "revoked_by names the client whose revoke succeeded" "0" \
	"SELECT count(*) FROM authsessions_data.sessions s
	 JOIN revoke_log l ON l.session_id = s.id AND l.outcome = 'ok'
	 WHERE s.revoked_by IS DISTINCT FROM l.client"
expect "revoked_by_role and revoked_by_login name the admin role that logged in" "0" \
	"SELECT count(*) FROM authsessions_data.sessions
	 WHERE (revoked_by_role, revoked_by_login) IS DISTINCT FROM ('$ADMIN', '$ADMIN')"
expect "no session left active: list() is empty" "[]" \
	"SELECT authsessions.list()"
expect "no user has an active session left" "0" \
	"SELECT count(*) FROM load_users WHERE authsessions.user_sessions(guid) <> '[]'"
expect "the clients ran concurrently (each started before the others ended)" "t" \
	"SELECT min(last) > max(first) FROM (SELECT client, min(at) AS first, max(at) AS last
	 FROM revoke_log GROUP BY client) x"
echo "successes per client: $(q "SELECT string_agg(client || '=' || n, ' ' ORDER BY client)
	FROM (SELECT client, count(*) AS n FROM revoke_log WHERE outcome = 'ok' GROUP BY 1) x")"

tc_summary
