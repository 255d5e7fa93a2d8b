#!/usr/bin/env bash
# test/extra/67_hot_standby.sh: reads from a hot standby.
#
# A private primary (wal_level = replica) with the extension, users and
# sessions, and a streaming replica of it made with `pg_basebackup -R` and
# started on another port (both as the postgres OS user in one temporary
# directory, removed at exit).  On the standby:
#   - list and user_sessions answer with the primary's data (the same JSON);
#   - check_token answers for a token created on the primary, with the
#     object the primary answers, also for a role granted as the README says;
#   - validate answers too, without error and without a touch (the standby
#     cannot write: the session's LastUpdated stays as the primary has it,
#     although a touch is due);
#   - every writer (create_session, revoke, end_session, upsert_user,
#     delete_user, purge, repair_summary) fails with SQLSTATE 25006;
#   - a revoke on the primary shows there once replayed: check_token and
#     validate answer NULL, user_sessions and list drop the session;
#   - with the standby synchronous and its replay paused, a revoke at
#     synchronous_commit = remote_apply waits until replay resumes, and then
#     shows there at once (README's strict cut-off).
# Replay is awaited by polling pg_last_wal_replay_lsn() against the primary's
# pg_current_wal_lsn(), bounded (AUTHSESSIONS_REPLAY_TIMEOUT seconds, default
# 120): no fixed sleep, nothing that depends on the machine's speed.
# Binaries: ${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}, with the extension
# installed there.  Prints PASS/FAIL per check and "N passed, N failed"; exit
# status 1 on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=test/extra/lib/owncluster.sh
source lib/owncluster.sh
# shellcheck source=test/extra/lib/checks.sh
source lib/checks.sh
# shellcheck source=test/extra/lib/standby.sh
source lib/standby.sh

DB=authsessions_standby
APP_ROLE=authsessions_standby_app
NOBODY_ROLE=authsessions_standby_nobody
ALICE=00000000-0000-4000-8000-0000000000a1
BOB=00000000-0000-4000-8000-0000000000b1

# --- the primary -----------------------------------------------------------

sb_init "log_min_messages = warning"
primary() { oc_psql -d "$DB" -At "$@"; }

oc_psql -d postgres -c "CREATE DATABASE $DB"
oc_psql -d "$DB" -v app="$APP_ROLE" -v nobody="$NOBODY_ROLE" <<SQL
CREATE EXTENSION authsessions;
-- the application role of the README: USAGE, and EXECUTE where validate is
CREATE ROLE :"app" NOLOGIN;
GRANT USAGE ON SCHEMA authsessions TO :"app";
GRANT EXECUTE ON FUNCTION authsessions.validate(text), authsessions.check_token(text) TO :"app";
-- and one with USAGE only
CREATE ROLE :"nobody" NOLOGIN;
GRANT USAGE ON SCHEMA authsessions TO :"nobody";
SQL
sb_sessions "$DB" "$ALICE" "$BOB"
# a touch is due for b1 (last updated long ago): only a primary may make it
primary >/dev/null <<'SQL'
UPDATE authsessions_data.sessions SET last_updated = '2020-09-21 10:42:50+00'
WHERE id = (SELECT id FROM tokens WHERE k = 'b1');
SQL

# --- the standby -----------------------------------------------------------

sb_standby_start_or_fail
standby() { sb_standby_psql -d "$DB" -At "$@"; }
wait_replay() { sb_wait_replay "$DB"; }

tc_check "the replica is in recovery (a hot standby), the primary is not" \
	eq "$(standby -c "SELECT pg_is_in_recovery()") $(primary -c "SELECT pg_is_in_recovery()")" "t f"
tc_check "the replica replays the primary's WAL" wait_replay

# --- reads ---------------------------------------------------------------------

same_answer() { # same_answer SQL: the primary and the standby answer alike (and not empty)
	local p s
	p=$(primary -c "$1")
	s=$(standby -c "$1")
	[[ -n $p && $p == "$s" ]] || { echo "  primary: $p" >&2; echo "  standby: $s" >&2; return 1; }
}
tc_check "list answers on the standby with the primary's data" \
	same_answer "SELECT authsessions.list()"
tc_check "list's page 2 of size 1 (and keyset paging) alike" \
	same_answer "SELECT authsessions.list(2, 1) || authsessions.list(1, 1, '$ALICE')"
tc_check "list shows alice with 2 sessions and bob with 1" \
	eq "$(standby -c "SELECT string_agg(format('%s:%s', e->>'UserName', e->>'SessionCount'), ' ') FROM jsonb_array_elements(authsessions.list()) e")" \
	"alice:2 bob:1"
tc_check "user_sessions answers on the standby with the primary's data" \
	same_answer "SELECT authsessions.user_sessions('$ALICE')"
tc_check "user_sessions of alice holds her two sessions" \
	eq "$(standby -c "SELECT jsonb_array_length(authsessions.user_sessions('$ALICE'))")" 2

tc_check "check_token on the standby: a token created on the primary, the same object as there" \
	same_answer "SELECT authsessions.check_token('$(sb_tok a1)')"
tc_check "check_token on the standby answers that session" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a1)') ->> 'ID'")" "$(sb_sid a1)"
tc_check "check_token on the standby: the object of user_sessions" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a1)') = (SELECT e FROM jsonb_array_elements(authsessions.user_sessions('$ALICE')) e WHERE (e->>'ID')::bigint = $(sb_sid a1))")" t
tc_check "check_token on the standby: NULL for a malformed, unknown or NULL token, no error" \
	eq "$(standby -c "SELECT authsessions.check_token('garbage') IS NULL AND authsessions.check_token('as1_' || repeat('A', 51)) IS NULL AND authsessions.check_token(NULL) IS NULL")" t
tc_check "check_token on the standby for the role granted it" \
	eq "$(standby -c "SET ROLE $APP_ROLE" -c "SELECT authsessions.check_token('$(sb_tok a2)') ->> 'Smartphone'")" "phone a2"
tc_check "check_token on the standby without EXECUTE: 42501" \
	eq "$(standby -v ON_ERROR_STOP=0 2>/dev/null <<-SQL
		SET ROLE $NOBODY_ROLE;
		SELECT authsessions.check_token('$(sb_tok a2)');
		\echo :LAST_ERROR_SQLSTATE
	SQL
	)" 42501

# validate, today: answers (the standby cannot touch) without error, the
# same object as check_token, LastUpdated as the primary has it although a
# touch is due.
tc_check "validate on the standby answers the session, no error" \
	eq "$(standby -c "SELECT authsessions.validate('$(sb_tok b1)') ->> 'UserName'")" bob
tc_check "validate on the standby answers what check_token answers, not slid" \
	eq "$(standby -c "SELECT authsessions.validate('$(sb_tok b1)') = authsessions.check_token('$(sb_tok b1)') AND authsessions.validate('$(sb_tok b1)') ->> 'LastUpdated' = '2020-09-21T10:42:50Z'")" t
tc_check "validate on the standby, as the granted role, in READ COMMITTED and REPEATABLE READ" \
	eq "$(standby -c "SET ROLE $APP_ROLE" -c "SELECT authsessions.validate('$(sb_tok b1)') ->> 'ID'" \
		-c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT authsessions.validate('$(sb_tok b1)') ->> 'ID'" -c "COMMIT" | paste -sd,)" \
	"$(sb_sid b1),$(sb_sid b1)"
tc_check "the primary's row of b1 is unchanged (nothing was written for the standby's calls)" \
	eq "$(primary -c "SELECT last_updated = '2020-09-21 10:42:50+00' FROM authsessions_data.sessions WHERE id = $(sb_sid b1)")" t

# --- writers: 25006 ----------------------------------------------------------

writer_sqlstate() { # writer_sqlstate SQL: the SQLSTATE of SQL on the standby
	standby -v ON_ERROR_STOP=0 2>/dev/null <<-SQL
		$1;
		\echo :LAST_ERROR_SQLSTATE
	SQL
}
while IFS='|' read -r name sql; do
	tc_check "$name fails with 25006 on the standby" eq "$(writer_sqlstate "$sql")" 25006
done <<EOF
create_session|SELECT authsessions.create_session('$ALICE')
revoke|SELECT authsessions.revoke($(sb_sid a1))
end_session|SELECT authsessions.end_session('$(sb_tok a1)')
upsert_user|SELECT authsessions.upsert_user('$ALICE', 'mallory', true)
delete_user|SELECT authsessions.delete_user('$ALICE')
purge|SELECT authsessions.purge('0 seconds')
repair_summary|SELECT authsessions.repair_summary()
EOF
tc_check "after the refused writers, the standby answers as the primary (alice's sessions, the list)" \
	same_answer "SELECT authsessions.user_sessions('$ALICE') || authsessions.list()"

# --- a revoke on the primary, once replayed ------------------------------------

tc_check "revoke of a1 on the primary" \
	eq "$(primary -c "SELECT authsessions.revoke($(sb_sid a1))")" '{"Success": true}'
tc_check "the standby replays the revoke" wait_replay
tc_check "after replay, check_token of the revoked token is NULL on the standby" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a1)') IS NULL")" t
tc_check "after replay, validate of the revoked token is NULL on the standby" \
	eq "$(standby -c "SELECT authsessions.validate('$(sb_tok a1)') IS NULL")" t
tc_check "after replay, the other tokens still check on the standby" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a2)') IS NOT NULL AND authsessions.check_token('$(sb_tok b1)') IS NOT NULL")" t
tc_check "after replay, user_sessions on the standby answers as the primary (without a1)" \
	same_answer "SELECT authsessions.user_sessions('$ALICE')"
tc_check "after replay, list on the standby counts alice's one session" \
	eq "$(standby -c "SELECT string_agg(format('%s:%s', e->>'UserName', e->>'SessionCount'), ' ') FROM jsonb_array_elements(authsessions.list()) e")" \
	"alice:1 bob:1"

# --- README's strict cut-off: remote_apply on a synchronous standby --------------
# A revoke committed at synchronous_commit = remote_apply returns only once
# the synchronous standby has applied it.  Shown with the standby's replay
# paused: the revoke waits (SyncRep) and the standby still accepts the
# token; once replay resumes the revoke returns, and the very next read on
# the standby refuses the token.
is_paused() { [[ $(standby -c "SELECT pg_get_wal_replay_pause_state()") == paused ]]; }
waits_syncrep() { [[ $(primary -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == 1 ]]; }
tc_check "with synchronous_standby_names = '*', the standby becomes synchronous" sb_make_sync
standby -c "SELECT pg_wal_replay_pause()" >/dev/null
tc_check "the standby's replay is paused" sb_poll is_paused
revoke_out=$(mktemp)
primary -c "SET synchronous_commit = remote_apply" -c "SELECT authsessions.revoke($(sb_sid a2))" >"$revoke_out" 2>&1 &
revoke_pid=$!
tc_check "a revoke of a2 at synchronous_commit = remote_apply waits for the standby (SyncRep)" sb_poll waits_syncrep
tc_check "meanwhile the standby still accepts a2" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a2)') ->> 'ID'")" "$(sb_sid a2)"
standby -c "SELECT pg_wal_replay_resume()" >/dev/null
wait "$revoke_pid" || true
tc_check "once replay resumes, the revoke returns" eq "$(cat "$revoke_out")" '{"Success": true}'
rm -f "$revoke_out"
tc_check "at once, without waiting for replay, check_token and validate of a2 are NULL on the standby" \
	eq "$(standby -c "SELECT authsessions.check_token('$(sb_tok a2)') IS NULL AND authsessions.validate('$(sb_tok a2)') IS NULL")" t

tc_summary
