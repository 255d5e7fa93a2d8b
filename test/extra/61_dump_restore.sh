#!/usr/bin/env bash
# test/extra/61_dump_restore.sh: pg_dump / restore keeps every user and
# session.
#
# A database with users and sessions in every state (active, with a custom
# ttl, revoked, logged out, expired; a deleted user leaves gaps in the ids)
# and grants to an application role is dumped in custom format (restored with
# pg_restore) and in plain format (restored with psql) into fresh databases;
# CREATE EXTENSION comes from the dump.  In each restored database:
#   - the users and sessions tables hold exactly the same rows (every column,
#     token_hash included);
#   - list() and user_sessions() of every user give the same JSON;
#   - every token issued before the dump validates, with the same JSON; the
#     revoked, logged-out and expired ones do not;
#   - the identity sequences continue: a new user and a new session get fresh
#     ids (no duplicate key);
#   - the grants to the application role are kept;
# and no token appears in either dump.
#
# Runs against the cluster of scripts/test.sh (PGHOST, PGPORT, PGUSER as a
# superuser); makes its own databases and drops them.
# Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail

PGBIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $PGBIN/pg_dump ]] || PGBIN=$(dirname "$(command -v pg_dump)")
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)

# shellcheck source=test/extra/lib/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/checks.sh"

SRC=authsessions_dump_src
DST_C=authsessions_dump_custom
DST_P=authsessions_dump_plain
ROLE=authsessions_dump_app
WORK=$(mktemp -d /tmp/authsessions-dump.XXXXXX)
cleanup() {
	local db
	for db in "$SRC" "$DST_C" "$DST_P"; do
		"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
	done
	"${PSQL[@]}" -d postgres -c "DROP ROLE IF EXISTS $ROLE" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
cleanup_dbs_first() {
	local db
	for db in "$SRC" "$DST_C" "$DST_P"; do "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db"; done
	"${PSQL[@]}" -d postgres -c "DROP ROLE IF EXISTS $ROLE"
}
cleanup_dbs_first 2>/dev/null

"${PSQL[@]}" -d postgres -c "CREATE DATABASE $SRC" -c "CREATE ROLE $ROLE NOLOGIN"

# --- the source database -------------------------------------------------------
"${PSQL[@]}" -d "$SRC" <<-SQL
	CREATE EXTENSION authsessions;
	GRANT USAGE ON SCHEMA authsessions TO $ROLE;
	GRANT EXECUTE ON FUNCTION authsessions.validate(text),
		authsessions.create_session(uuid, text, text, text, interval, text, inet, interval) TO $ROLE;
	SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true),
		authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false),
		authsessions.upsert_user('00000000-0000-4000-8000-000000000003', 'gone', false),
		authsessions.upsert_user('00000000-0000-4000-8000-000000000004', E'O''Brien \\\\ "q" ; DROP TABLE x; --', false),
		authsessions.upsert_user('00000000-0000-4000-8000-000000000005', 'Zoë 東京 🙂', true),
		authsessions.upsert_user('00000000-0000-4000-8000-000000000006', 'no sessions', false)
	\g /dev/null
	-- a session of a user deleted before the dump: gaps in both id sequences
	SELECT authsessions.create_session('00000000-0000-4000-8000-000000000003') \g /dev/null
	SELECT authsessions.delete_user('00000000-0000-4000-8000-000000000003') \g /dev/null
SQL

# Sessions: NAME GUID [args...] -> token in $WORK/tok.NAME, ID in $WORK/id.NAME
mk_session() {
	local name=$1 args=$2 out
	out=$("${PSQL[@]}" -d "$SRC" -At -c "SELECT s ->> 'ID', s ->> 'Token' FROM authsessions.create_session($args) AS s" -F ' ')
	echo "${out%% *}" >"$WORK/id.$name"
	echo "${out#* }" >"$WORK/tok.$name"
}
mk_session user_a "'83bde819-ec08-4cee-b635-884145630d0b', 'iPhone', 'iOS 17', 'App 1.0', NULL, 'Mozilla/5.0', '192.0.2.1'"
mk_session user_b "'83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL, NULL, '1 hour', NULL, '2001:db8::1'"
for i in 1 2 3 4; do
	mk_session "user2_$i" "'90b10bb2-8c70-456f-b960-2251ae6d8778', 'Pixel $i', 'Android', 'App', '$((i * 3600)) seconds'"
done
mk_session quote "'00000000-0000-4000-8000-000000000004', E'\\\\x', E'it''s', 'SELECT 1; --'"
mk_session multibyte "'00000000-0000-4000-8000-000000000005', 'Télé 東京', NULL, '🙂'"
mk_session revoked "'90b10bb2-8c70-456f-b960-2251ae6d8778', 'revoked'"
mk_session ended "'00000000-0000-4000-8000-000000000005', 'logged out'"
mk_session expired "'83bde819-ec08-4cee-b635-884145630d0b', 'expired'"
"${PSQL[@]}" -d "$SRC" <<-SQL
	SELECT authsessions.revoke($(cat "$WORK/id.revoked")) \g /dev/null
	SELECT authsessions.end_session('$(cat "$WORK/tok.ended")') \g /dev/null
	-- as superuser: move one session's end into the past
	UPDATE authsessions_data.sessions
	SET created_at = created_at - interval '3 days', last_updated = last_updated - interval '3 days',
		expires_at = expires_at - interval '3 days', purge_hint = purge_hint - interval '3 days'
	WHERE id = $(cat "$WORK/id.expired");
SQL
live=(user_a user_b user2_1 user2_2 user2_3 user2_4 quote multibyte)
dead=(revoked ended expired)

# --- what a database looks like --------------------------------------------------
# snapshot DB DIR: rows, JSON of every call, validate of every token
snapshot() {
	local db=$1 dir=$2 name
	mkdir -p "$dir"
	"${PSQL[@]}" -d "$db" -At -c "SELECT u::text FROM authsessions_data.users u ORDER BY u.id" >"$dir/users"
	"${PSQL[@]}" -d "$db" -At -c "SELECT s::text FROM authsessions_data.sessions s ORDER BY s.id" >"$dir/sessions"
	"${PSQL[@]}" -d "$db" -At -c "SELECT authsessions.list(1, 1000)" >"$dir/list"
	"${PSQL[@]}" -d "$db" -At -c "SELECT u.guid, authsessions.user_sessions(u.guid, 1, 1000)
		FROM authsessions_data.users u ORDER BY u.id" >"$dir/user_sessions"
	# validate read-only: it answers without sliding anything
	: >"$dir/validate"
	for name in "${live[@]}" "${dead[@]}"; do
		printf '%s %s\n' "$name" "$("${PSQL[@]}" -d "$db" -At \
			-c "BEGIN READ ONLY" -c "SELECT coalesce(authsessions.validate('$(cat "$WORK/tok.$name")')::text, 'NULL')" \
			-c "COMMIT")" >>"$dir/validate"
	done
	"${PSQL[@]}" -d "$db" -At -c "SELECT has_function_privilege('$ROLE', 'authsessions.validate(text)', 'EXECUTE'),
		has_function_privilege('$ROLE', 'authsessions.revoke(bigint)', 'EXECUTE'),
		has_schema_privilege('$ROLE', 'authsessions', 'USAGE'),
		has_function_privilege('public', 'authsessions.validate(text)', 'EXECUTE')" >"$dir/privs"
}
snapshot "$SRC" "$WORK/before"
tc_check "source: 5 users, $((${#live[@]} + ${#dead[@]})) sessions, ${#live[@]} live tokens validate" \
	eq "$(wc -l <"$WORK/before/users") $(wc -l <"$WORK/before/sessions") $(grep -c ' {' "$WORK/before/validate")" \
	"5 $((${#live[@]} + ${#dead[@]})) ${#live[@]}"

# --- dump ---------------------------------------------------------------------
tc_check "pg_dump -Fc succeeds" "$PGBIN/pg_dump" -Fc -d "$SRC" -f "$WORK/dump.custom"
tc_check "pg_dump -Fp succeeds" "$PGBIN/pg_dump" -Fp -d "$SRC" -f "$WORK/dump.sql"
tc_check "the plain dump has CREATE EXTENSION authsessions and the table data" \
	bash -c 'grep -q "^CREATE EXTENSION IF NOT EXISTS authsessions" "$1" && grep -q "^COPY authsessions_data.sessions" "$1"' _ "$WORK/dump.sql"
no_token_in_dumps() {
	local name found=0
	"$PGBIN/pg_restore" -f - "$WORK/dump.custom" >"$WORK/dump.custom.sql"
	for name in "${live[@]}" "${dead[@]}"; do
		if grep -qF -- "$(cat "$WORK/tok.$name")" "$WORK/dump.sql" "$WORK/dump.custom.sql"; then
			echo "  token of $name found in a dump" >&2
			found=1
		fi
	done
	return $found
}
tc_check "no token in clear in either dump" no_token_in_dumps

# --- restore and compare --------------------------------------------------------
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DST_C" -c "CREATE DATABASE $DST_P"
tc_check "pg_restore of the custom dump into a fresh database (no error)" \
	"$PGBIN/pg_restore" --exit-on-error -d "$DST_C" "$WORK/dump.custom"
tc_check "psql restore of the plain dump into a fresh database (no error)" \
	"${PSQL[@]}" -o /dev/null -d "$DST_P" -f "$WORK/dump.sql"

max_user=$("${PSQL[@]}" -d "$SRC" -At -c "SELECT max(id) FROM authsessions_data.users")
max_session=$("${PSQL[@]}" -d "$SRC" -At -c "SELECT max(id) FROM authsessions_data.sessions")
# the deleted user's session had the highest ids before the live ones: the
# sequences are ahead of max(id) only by what the dump kept
seq_user=$("${PSQL[@]}" -d "$SRC" -At -c "SELECT last_value FROM authsessions_data.users_id_seq")
seq_session=$("${PSQL[@]}" -d "$SRC" -At -c "SELECT last_value FROM authsessions_data.sessions_id_seq")

for db in "$DST_C" "$DST_P"; do
	snapshot "$db" "$WORK/$db"
	tc_check "$db: extension authsessions created by the dump" eq \
		"$("${PSQL[@]}" -d "$db" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'")" \
		"$("${PSQL[@]}" -d "$SRC" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'")"
	tc_check "$db: every user row kept, byte for byte" same_file "$WORK/before/users" "$WORK/$db/users"
	tc_check "$db: every session row kept (token_hash included)" same_file "$WORK/before/sessions" "$WORK/$db/sessions"
	tc_check "$db: list() JSON identical" same_file "$WORK/before/list" "$WORK/$db/list"
	tc_check "$db: user_sessions() JSON of every user identical" same_file "$WORK/before/user_sessions" "$WORK/$db/user_sessions"
	tc_check "$db: every token validates as before (live ones with the same JSON, ended ones NULL)" \
		same_file "$WORK/before/validate" "$WORK/$db/validate"
	tc_check "$db: grants kept (role: validate yes, revoke no, USAGE yes; PUBLIC no)" \
		same_file "$WORK/before/privs" "$WORK/$db/privs"
	tc_check "$db: sequences restored to where they were" eq \
		"$("${PSQL[@]}" -d "$db" -At -c "SELECT last_value FROM authsessions_data.users_id_seq") $("${PSQL[@]}" -d "$db" -At -c "SELECT last_value FROM authsessions_data.sessions_id_seq")" \
		"$seq_user $seq_session"
	out=$("${PSQL[@]}" -d "$db" -At -F ' ' <<-SQL
		SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'after restore'),
			(authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') ->> 'ID')::bigint,
			(authsessions.create_session('00000000-0000-4000-8000-000000000007') ->> 'ID')::bigint;
	SQL
	) || out="error"
	read -r new_user new_s1 new_s2 <<<"$out"
	tc_check "$db: new user and sessions after the restore get fresh ids (no duplicate key)" \
		bash -c '[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && (($1 > $4 && $2 > $5 && $3 > $2))' \
		_ "${new_user:-x}" "${new_s1:-x}" "${new_s2:-x}" "$max_user" "$max_session"
	tc_check "$db: the new session validates" eq \
		"$("${PSQL[@]}" -d "$db" -At -c "SELECT authsessions.validate(authsessions.create_session('00000000-0000-4000-8000-000000000007') ->> 'Token') ->> 'UserName'")" \
		"after restore"
done

tc_summary
