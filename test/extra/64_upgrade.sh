#!/usr/bin/env bash
# test/extra/64_upgrade.sh: upgrading from 1.0 to 1.1 as a package upgrade
# does it, on a database with live sessions.
#
# matrix-skip: builds the 1.0 library from git history (7525bcf), which the matrix's copy of the tree leaves out; and 1.0's src/walk.c builds against PostgreSQL 15 only (rd_node, storage/buf_internals.h), so 17 and 18 have no 1.0 to upgrade from
#
#   1. The 1.0 library is built from the 1.0 release's source (git revision
#      AUTHSESSIONS_1_0_REV) and put in place of the installed one; a 1.0
#      database gets users and sessions in every state through the 1.0 API,
#      and a DBA's grants on 1.0 functions.
#   2. The 1.1 library is put back (what installing the new package does to
#      every database at once).  Before ALTER EXTENSION UPDATE every 1.0
#      function, called with real arguments, fails with 55000 and a hint to
#      run it, and changes nothing; none answers wrongly or crashes.
#   3. ALTER EXTENSION authsessions UPDATE: every token issued under 1.0 that
#      was active validates, the ended ones do not; list and user_sessions
#      answer as before; the DBA's grants are kept.
#   4. The upgraded database's schema equals a fresh 1.1's: pg_dump
#      --schema-only (which names the extension and the grants on its
#      members), and a description of every member object (columns, types,
#      defaults, constraints, indexes, comments, function definitions and
#      privileges) from the catalogs, with the same grants made on both.
#
# Runs against the cluster of scripts/test.sh (PGHOST, PGPORT, PGUSER as a
# superuser) and, as root or the owner of PostgreSQL's library directory,
# swaps the installed library, which it puts back on exit whatever happens.
# Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD

# The last commit of the 1.0 release line.
AUTHSESSIONS_1_0_REV=7525bcf

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
LIBDIR=$("$PG_CONFIG" --pkglibdir)
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh

OLD=authsessions_upgrade_old
NEW=authsessions_upgrade_new
WORK=$(mktemp -d /tmp/authsessions-upgrade.XXXXXX)
cp "$LIBDIR/authsessions.so" "$WORK/authsessions-1.1.so"
# Put a library in place as a package manager does: a new file renamed over
# the old one, so that running backends keep the file they mapped.
put_library() {
	cp "$1" "$LIBDIR/.authsessions.so.new"
	mv -f "$LIBDIR/.authsessions.so.new" "$LIBDIR/authsessions.so"
}
cleanup() {
	put_library "$WORK/authsessions-1.1.so"
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $OLD WITH (FORCE)" -c "DROP DATABASE IF EXISTS $NEW WITH (FORCE)" 2>/dev/null || true
	"${PSQL[@]}" -d postgres -c "DROP ROLE IF EXISTS authsessions_upgrade_app" -c "DROP ROLE IF EXISTS authsessions_upgrade_admin" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
cleanup_dbs() { "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $OLD WITH (FORCE)" -c "DROP DATABASE IF EXISTS $NEW WITH (FORCE)"; }
cleanup_dbs >/dev/null 2>&1 || true

# --- 1. a 1.0 database, made by the 1.0 library ----------------------------
if ! git -C "$ROOT" cat-file -e "$AUTHSESSIONS_1_0_REV^{commit}" 2>/dev/null; then
	tc_fail "the 1.0 source ($AUTHSESSIONS_1_0_REV) is in the repository's history" "clone without --depth"
	tc_summary
	exit 1
fi
mkdir "$WORK/src10"
git -C "$ROOT" archive "$AUTHSESSIONS_1_0_REV" | tar -x -C "$WORK/src10"
make -s -C "$WORK/src10" PG_CONFIG="$PG_CONFIG" >"$WORK/build10.log" 2>&1 ||
	{ cat "$WORK/build10.log"; tc_fail "build the 1.0 library"; tc_summary; exit 1; }
put_library "$WORK/src10/authsessions.so"
tc_check "the 1.0 install script is installed beside 1.1's" test -f "$("$PG_CONFIG" --sharedir)/extension/authsessions--1.0.sql"

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "CREATE DATABASE $OLD" -c "CREATE DATABASE $NEW" \
	-c "DROP ROLE IF EXISTS authsessions_upgrade_app" -c "CREATE ROLE authsessions_upgrade_app" \
	-c "DROP ROLE IF EXISTS authsessions_upgrade_admin" -c "CREATE ROLE authsessions_upgrade_admin"
# The same grants on 1.0 and on a fresh 1.1, where create_session has one
# argument more (max_lifetime): the update must carry the grant over.
grants() { # grants CREATE_SESSION_ARGUMENTS
	printf '%s\n' "GRANT USAGE ON SCHEMA authsessions TO authsessions_upgrade_app, authsessions_upgrade_admin;
GRANT EXECUTE ON FUNCTION authsessions.create_session($1),
	authsessions.validate(text), authsessions.end_session(text) TO authsessions_upgrade_app;
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer), authsessions.revoke(bigint) TO authsessions_upgrade_admin;"
}
"${PSQL[@]}" -d "$OLD" -c "CREATE EXTENSION authsessions VERSION '1.0'" -c "$(grants 'uuid, text, text, text, interval, text, inet')"
# users and sessions in every state; the tokens kept in a table (a test's
# own, outside the extension)
"${PSQL[@]}" -d "$OLD" <<'SQL' >/dev/null
CREATE TABLE tokens (id bigint, token text, state text);
SELECT authsessions.upsert_user(('00000000-0000-4000-8000-00000000000' || i)::uuid, 'user ' || i, i = 1)
FROM generate_series(1, 4) AS i;
INSERT INTO tokens
SELECT (s ->> 'ID')::bigint, s ->> 'Token', 'active'
FROM generate_series(1, 4) AS i, generate_series(1, i) AS j,
	authsessions.create_session(('00000000-0000-4000-8000-00000000000' || i)::uuid, 'phone ' || j,
		ttl => make_interval(hours => j)) AS s;
UPDATE tokens SET state = 'revoked' WHERE id IN (SELECT id FROM tokens ORDER BY id OFFSET 2 LIMIT 2);
SELECT authsessions.revoke(id) FROM tokens WHERE state = 'revoked';
UPDATE tokens SET state = 'logged out' WHERE id = (SELECT max(id) FROM tokens);
SELECT authsessions.end_session(token) FROM tokens WHERE state = 'logged out';
SELECT authsessions.validate(token) FROM tokens WHERE state = 'active';
SQL
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.list()" >"$WORK/list-1.0"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000004')" >"$WORK/us-1.0"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT count(*) FROM tokens WHERE state = 'active' AND authsessions.validate(token) IS NOT NULL" >"$WORK/valid-1.0"
tc_check "1.0 made 10 sessions, 7 of them active" eq "$(cat "$WORK/valid-1.0")" 7
"${PSQL[@]}" -At -d "$OLD" -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'" >"$WORK/v"
tc_check "the database is at 1.0" eq "$(cat "$WORK/v")" 1.0
snapshot() { "${PSQL[@]}" -At -d "$OLD" -c "SELECT md5(string_agg(s::text, '|' ORDER BY id)) FROM authsessions_data.sessions s" -c "SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM authsessions_data.users u"; }
snapshot >"$WORK/rows-1.0"

# --- 2. the 1.1 library under the 1.0 objects -------------------------------
put_library "$WORK/authsessions-1.1.so"
call_1_0() { # call_1_0 NAME SQL: 55000 with the hint, in a fresh backend
	local out
	out=$("${PSQL[@]}" -d "$OLD" -v VERBOSITY=verbose -c "$2" 2>&1 || true)
	if [[ $out == *"ERROR:  55000: "* && $out == *"ALTER EXTENSION authsessions UPDATE"* ]]; then
		tc_pass "before the update, 1.0's $1 fails with 55000 and says to run ALTER EXTENSION ... UPDATE"
	else
		tc_fail "before the update, 1.0's $1 fails with 55000 and says to run ALTER EXTENSION ... UPDATE" "$out"
	fi
}
call_1_0 list "SELECT authsessions.list()"
call_1_0 user_sessions "SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000004')"
call_1_0 revoke "SELECT authsessions.revoke(1)"
call_1_0 upsert_user "SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'renamed')"
call_1_0 delete_user "SELECT authsessions.delete_user('00000000-0000-4000-8000-000000000002')"
call_1_0 create_session "SELECT authsessions.create_session('00000000-0000-4000-8000-000000000001')"
call_1_0 validate "SELECT authsessions.validate(token) FROM tokens WHERE state = 'active' LIMIT 1"
call_1_0 end_session "SELECT authsessions.end_session(token) FROM tokens WHERE state = 'active' LIMIT 1"
call_1_0 purge "SELECT authsessions.purge('0 seconds')"
snapshot >"$WORK/rows-before-update"
tc_check "the calls before the update changed no row" same_file "$WORK/rows-1.0" "$WORK/rows-before-update"
# what needs no table still answers as in 1.0
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.validate('not a token') IS NULL" >"$WORK/v"
tc_check "before the update, validate of a malformed token is NULL as in 1.0" eq "$(cat "$WORK/v")" t

# --- 3. ALTER EXTENSION UPDATE ------------------------------------------------
"${PSQL[@]}" -d "$OLD" -c "ALTER EXTENSION authsessions UPDATE"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'" >"$WORK/v"
tc_check "the database is at 1.1" eq "$(cat "$WORK/v")" 1.1
"${PSQL[@]}" -At -d "$OLD" -c "SELECT state, count(*) FILTER (WHERE authsessions.validate(token) IS NOT NULL) FROM tokens GROUP BY state ORDER BY state" >"$WORK/valid-1.1"
tc_check "after the update every active 1.0 token validates, no ended one" same_file <(printf 'active|7\nlogged out|0\nrevoked|0\n') "$WORK/valid-1.1"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.list()" >"$WORK/list-1.1"
tc_check "list answers as under 1.0" same_file "$WORK/list-1.0" "$WORK/list-1.1"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000004')" >"$WORK/us-1.1"
# validate slid LastUpdated of some sessions in between: compare the IDs
ids() { jq -c '[.[].ID]' "$1"; }
tc_check "user_sessions lists the same sessions as under 1.0" eq "$(ids "$WORK/us-1.1")" "$(ids "$WORK/us-1.0")"
for grant in "authsessions_upgrade_app|authsessions.create_session(uuid,text,text,text,interval,text,inet,interval)" \
	"authsessions_upgrade_app|authsessions.validate(text)" \
	"authsessions_upgrade_admin|authsessions.list(integer,integer,uuid)" \
	"authsessions_upgrade_admin|authsessions.revoke(bigint)"; do
	"${PSQL[@]}" -At -d "$OLD" -c "SELECT has_function_privilege('${grant%%|*}', '${grant#*|}', 'EXECUTE')" >"$WORK/v"
	tc_check "the DBA's GRANT EXECUTE to ${grant%%|*} on ${grant#*|} survives the update" eq "$(cat "$WORK/v")" t
done
"${PSQL[@]}" -At -d "$OLD" -c "SELECT has_function_privilege('public', 'authsessions.repair_summary(uuid)', 'EXECUTE')" >"$WORK/v"
tc_check "repair_summary, new in 1.1, is not executable by PUBLIC" eq "$(cat "$WORK/v")" f
"${PSQL[@]}" -At -d "$OLD" -c "SELECT has_function_privilege('public', 'authsessions.check_token(text)', 'EXECUTE'),
	has_function_privilege('authsessions_upgrade_app', 'authsessions.check_token(text)', 'EXECUTE')" >"$WORK/v"
tc_check "check_token, new in 1.1, is executable by nobody until granted (neither PUBLIC nor the role granted validate)" \
	eq "$(cat "$WORK/v")" "f|f"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT state, count(*) FILTER (WHERE authsessions.check_token(token) IS NOT NULL) FROM tokens GROUP BY state ORDER BY state" >"$WORK/v"
tc_check "after the update check_token accepts every active 1.0 token, no ended one" \
	same_file <(printf 'active|7\nlogged out|0\nrevoked|0\n') "$WORK/v"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT (authsessions.create_session('00000000-0000-4000-8000-000000000001') ->> 'ID') IS NOT NULL" \
	-c "SELECT authsessions.repair_summary()" >"$WORK/v"
tc_check "after the update a login works and every summary is right (repair_summary: 0)" eq "$(paste -sd, "$WORK/v")" "t,0"
# Why a session ended: 1.0 recorded no reason, so its ended sessions have
# none (NULL: unknown) and keep revoked_at and revoked_by; the ends made
# after the update record theirs.
"${PSQL[@]}" -At -d "$OLD" -c "SELECT string_agg(id || ':' || coalesce(end_reason, 'null') || ':' || (revoked_by IS NOT NULL), ',' ORDER BY id)
	FROM authsessions_data.sessions WHERE revoked_at IS NOT NULL" >"$WORK/v"
tc_check "1.0's ended sessions (2 revoked, 1 logged out) have no end_reason and keep revoked_by" eq "$(cat "$WORK/v")" "3:null:true,4:null:true,10:null:true"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT jsonb_path_query_array(authsessions.ended_sessions('00000000-0000-4000-8000-000000000004'), '\$[*] ? (@.EndedBy != null).EndReason')::text
	|| ' ' || has_function_privilege('authsessions_upgrade_admin', 'authsessions.ended_sessions(uuid,integer,integer)', 'EXECUTE')" >"$WORK/v"
tc_check "ended_sessions shows 1.0's logout with a null EndReason; nobody may call it until granted" eq "$(cat "$WORK/v")" "[null] false"
"${PSQL[@]}" -At -d "$OLD" -c "SELECT authsessions.revoke(id) FROM tokens WHERE id = 9" \
	-c "SELECT authsessions.end_session(token) FROM tokens WHERE id = 8" \
	-c "SELECT string_agg(id || ':' || end_reason, ',' ORDER BY id) FROM authsessions_data.sessions WHERE id IN (8, 9)" >"$WORK/v"
tc_check "after the update revoke and end_session record revoked and logout" eq "$(tail -n 1 "$WORK/v")" "8:logout,9:revoked"

# --- 4. the same schema as a fresh 1.1 ----------------------------------------
"${PSQL[@]}" -d "$NEW" -c "CREATE EXTENSION authsessions" -c "$(grants 'uuid, text, text, text, interval, text, inet, interval')"
"$PGBIN/pg_dump" --schema-only -d "$OLD" --exclude-table=tokens | grep -v -E -e '^-- Dumped' -e '^\\(un)?restrict ' >"$WORK/dump-old.sql"
"$PGBIN/pg_dump" --schema-only -d "$NEW" | grep -v -E -e '^-- Dumped' -e '^\\(un)?restrict ' >"$WORK/dump-new.sql"
tc_check "pg_dump --schema-only of the upgraded database equals a fresh 1.1's" same_file "$WORK/dump-new.sql" "$WORK/dump-old.sql"
describe() {
	"${PSQL[@]}" -At -d "$1" <<'SQL'
WITH members AS (
	SELECT classid, objid FROM pg_depend
	WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
	  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'authsessions'))
SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
UNION ALL
SELECT 'function ' || p.oid::regprocedure || E'\n' || pg_get_functiondef(p.oid)
	|| E'\ncomment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
	|| E'\nacl ' || coalesce(p.proacl::text, '-')
FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
UNION ALL
SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' ' || coalesce(c.reloptions::text, '-')
	|| ' acl ' || coalesce(c.relacl::text, '-') || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
FROM pg_class c WHERE c.relnamespace = 'authsessions_data'::regnamespace
UNION ALL
SELECT 'column ' || a.attrelid::regclass || ' #' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)
	|| ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
	|| ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-') || ' ' || a.attidentity::text
	|| ' comment ' || coalesce(col_description(a.attrelid, a.attnum), '-')
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'authsessions_data'::regnamespace AND relkind = 'r')
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'authsessions_data'::regnamespace
UNION ALL
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'authsessions_data'::regnamespace)
UNION ALL
SELECT 'type ' || t.oid::regtype || ' ' || coalesce(obj_description(t.oid, 'pg_type'), '-')
FROM pg_type t WHERE t.typnamespace = 'authsessions_data'::regnamespace AND t.typtype IN ('d', 'c', 'e')
UNION ALL
SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '-') || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '-')
FROM pg_namespace WHERE nspname IN ('authsessions', 'authsessions_data')
UNION ALL
SELECT 'config ' || extconfig::regclass[]::text || ' ' || coalesce(array_to_string(extcondition, ','), '-')
FROM pg_extension WHERE extname = 'authsessions'
ORDER BY 1;
SQL
}
describe "$OLD" >"$WORK/describe-old"
describe "$NEW" >"$WORK/describe-new"
tc_check "every member object of the upgraded database is described as a fresh 1.1's ($(wc -l <"$WORK/describe-new") lines)" \
	same_file "$WORK/describe-new" "$WORK/describe-old"

tc_summary
