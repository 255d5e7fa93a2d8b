#!/usr/bin/env bash
# test/extra/66_upgrade_any_version.sh: ALTER EXTENSION authsessions UPDATE
# from 1.0 on a database with live sessions, on whatever PostgreSQL version
# the test cluster runs (the matrix runs it on 17 and 18).
#
# 1.0's library builds against PostgreSQL 15 only, so a 1.0 database on 17
# or 18 is one that pg_upgrade brought over from 15: 1.0's objects, the rows
# 1.0's library wrote, and the 1.1 library of the new installation.  This
# suite makes that state without the 1.0 library:
#   1. CREATE EXTENSION authsessions VERSION '1.0' (1.0's script, frozen);
#   2. users and sessions in every state, written in SQL as 1.0's writers
#      wrote them (src/write.c at 7525bcf): a session row per login with
#      its secret's SHA-256, the users' summary (listed, session_expiries,
#      session_entries) holding each non-ended session, expired ones too
#      (1.0 pruned them only in purge), and the tokens in 1.0's format: 51
#      URL-safe base64 characters of the 32-byte secret and the row's
#      locator (block, 4 bytes, and line pointer, 2 bytes, big-endian);
#   3. every 1.0 function fails with 55000 before the update;
#   4. ALTER EXTENSION authsessions UPDATE: no row lost, every active token
#      validates (the right session), no ended or expired one does; list
#      and user_sessions answer from the upgraded summary; grants survive; a
#      new login gets a 1.1 token.
# On 15, test/extra/64_upgrade.sh makes the same kind of database with the
# real 1.0 library.
#
# Runs against the cluster of scripts/test.sh (PGHOST, PGPORT, PGUSER as a
# superuser); makes its own database and drops it.
# Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PGBIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh

DB=authsessions_upgrade_any
q() { "${PSQL[@]}" -At -d "$DB" "$@"; }
cleanup() {
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
		-c "DROP ROLE IF EXISTS authsessions_upgrade_any_admin" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" -c "CREATE ROLE authsessions_upgrade_any_admin"
tc_check "the server is PostgreSQL $(q -d postgres -c 'SHOW server_version')" true

# --- 1 and 2: 1.0's objects and rows -------------------------------------------
"${PSQL[@]}" -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION authsessions VERSION '1.0';
GRANT USAGE ON SCHEMA authsessions TO authsessions_upgrade_any_admin;
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer), authsessions.revoke(bigint)
	TO authsessions_upgrade_any_admin;
-- create_session's arguments change in 1.1: its grants must follow
GRANT EXECUTE ON FUNCTION authsessions.create_session(uuid, text, text, text, interval, text, inet)
	TO authsessions_upgrade_any_admin WITH GRANT OPTION;

-- The test's own bookkeeping, outside the extension.
CREATE TABLE plan (id bigint, user_no int, state text, idle int, age int, made int);
-- Ann: 2 active, 1 expired, 1 revoked; Bob: 1 active, 1 logged out;
-- Cy: only an expired one (still listed, as 1.0 left it); Dee: none;
-- Eve (operator): 1 active with the 48 h default idle timeout, created 29
-- days ago and last used 47 hours ago (made: seconds since its creation;
-- otherwise a minute before its last use).
INSERT INTO plan VALUES
	(1, 1, 'active', 3600, 600, NULL), (2, 1, 'active', 3600, 60, NULL),
	(3, 1, 'expired', 600, 7200, NULL), (4, 1, 'revoked', 3600, 300, NULL),
	(5, 2, 'active', 1800, 100, NULL), (6, 2, 'logged out', 1800, 900, NULL),
	(7, 3, 'expired', 60, 86400, NULL), (8, 5, 'active', 172800, 169200, 29 * 86400);

INSERT INTO authsessions_data.users (id, guid, name, is_operator, listed, created_at)
SELECT i, ('00000000-0000-4000-8000-00000000000' || i)::uuid,
	   (ARRAY['Ann', 'Bob', 'Cy', 'Dee', 'Eve'])[i], i = 5,
	   EXISTS (SELECT FROM plan WHERE user_no = i), now() - interval '30 days'
FROM generate_series(1, 5) AS i;
SELECT setval(pg_get_serial_sequence('authsessions_data.users', 'id'), 5);

-- Each session as create_session wrote it, then touched, revoked or ended
-- as validate, revoke and end_session did.  The 32-byte secret is derived
-- from the ID (secret(id), below); its SHA-256 is what 1.0 stored.
CREATE FUNCTION secret(id bigint) RETURNS bytea LANGUAGE sql IMMUTABLE
RETURN sha256(convert_to('authsessions upgrade test secret ' || id, 'UTF8'));
INSERT INTO authsessions_data.sessions
	(id, user_id, user_guid, user_name, user_is_operator, token_hash, created_at,
	 last_updated, expires_at, idle_timeout, revoked_at, revoked_by, smartphone,
	 operating_system, application, purge_hint)
SELECT p.id, u.id, u.guid, u.name, u.is_operator,
	   sha256(secret(p.id)),
	   now() - make_interval(secs => coalesce(p.made, p.age + 60)),
	   now() - make_interval(secs => p.age),
	   now() - make_interval(secs => p.age) + make_interval(secs => p.idle),
	   p.idle,
	   CASE WHEN p.state IN ('revoked', 'logged out') THEN now() - interval '10 seconds' END,
	   CASE p.state WHEN 'revoked' THEN 'admin' WHEN 'logged out' THEN 'logout' END,
	   'phone ' || p.id, 'Android- v. 10', 'App- v. 1.' || p.id,
	   now() - make_interval(secs => coalesce(p.made, p.age + 60)) + make_interval(secs => p.idle)
FROM plan p JOIN authsessions_data.users u ON u.id = p.user_no;
SELECT setval(pg_get_serial_sequence('authsessions_data.sessions', 'id'), 8);

-- The summary: every session not ended, expired ones included.
UPDATE authsessions_data.users u
SET session_expiries = coalesce(s.expiries, '{}'), session_entries = coalesce(s.entries, '{}')
FROM (SELECT user_id, array_agg(expires_at ORDER BY id) AS expiries,
			 array_agg(ROW(id, last_updated, expires_at, smartphone, operating_system,
						   application)::authsessions_data.session_entry ORDER BY id) AS entries
	  FROM authsessions_data.sessions WHERE revoked_at IS NULL GROUP BY user_id) s
WHERE s.user_id = u.id;

-- 1.0's tokens: base64url(secret || block || line pointer), no padding.
CREATE TABLE tokens AS
SELECT p.id, p.state,
	   rtrim(translate(encode(secret(p.id) || int4send(((s.ctid::text::point)[0])::int)
							  || int2send(((s.ctid::text::point)[1])::int::smallint), 'base64'),
					   '+/', '-_'), '=') AS token
FROM plan p JOIN authsessions_data.sessions s ON s.id = p.id;
SQL
tc_check "the database is at 1.0" eq "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'")" 1.0
tc_check "eight 1.0 tokens of 51 characters" eq "$(q -c "SELECT count(*) FROM tokens WHERE token ~ '^[A-Za-z0-9_-]{51}\$'")" 8
rows() { q -c "SELECT md5(string_agg(s::text, '|' ORDER BY id)) FROM authsessions_data.sessions s"; }
rows_10=$(rows)

# --- 3. the 1.1 library under 1.0's objects ---------------------------------------
out=$("${PSQL[@]}" -d "$DB" -v VERBOSITY=verbose -c "SELECT authsessions.validate(token) FROM tokens LIMIT 1" 2>&1 || true)
tc_check "before the update, validate fails with 55000 and says to run ALTER EXTENSION ... UPDATE" \
	eval '[[ $out == *"ERROR:  55000: "* && $out == *"ALTER EXTENSION authsessions UPDATE"* ]]'
out=$("${PSQL[@]}" -d "$DB" -v VERBOSITY=verbose -c "SELECT authsessions.revoke(1)" 2>&1 || true)
tc_check "before the update, revoke fails with 55000" eval '[[ $out == *"ERROR:  55000: "* ]]'
tc_check "and changed no row" eq "$(rows)" "$rows_10"

# --- 4. the update ------------------------------------------------------------------
"${PSQL[@]}" -d "$DB" -c "ALTER EXTENSION authsessions UPDATE"
tc_check "the database is at 1.1" eq "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'authsessions'")" 1.1
tc_check "no session row lost" eq "$(q -c "SELECT count(*) FROM authsessions_data.sessions")" 8
# authsessions.max_lifetime bounds the sessions made before the update from
# their created_at.  Eve's, 29 days old with an hour left: a lifetime of a
# day never shortens the expiry it has (valid, not slid); one of 30 days
# lets it slide to created_at + 30 days, not now + 48 hours.
exp8() { q -c "SELECT expires_at FROM authsessions_data.sessions WHERE id = 8"; }
exp8_before=$(exp8)
tc_check "with max_lifetime below its age, a 1.0 session still validates and keeps its expiry" \
	eq "$(q -c "SET authsessions.max_lifetime = '1d'" -c "SELECT authsessions.validate(token) ->> 'ID' FROM tokens WHERE id = 8")|$(exp8)" "8|$exp8_before"
tc_check "with max_lifetime 30 days, validate slides a 1.0 session to created_at + 30 days" \
	eq "$(q -c "SET authsessions.max_lifetime = '30d'" -c "SELECT authsessions.validate(token) ->> 'ExpirationDate' FROM tokens WHERE id = 8" \
		-c "SELECT to_char(created_at + interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), expires_at = created_at + interval '30 days', max_expires_at IS NULL FROM authsessions_data.sessions WHERE id = 8" | paste -sd'|')" \
	"$(q -c "SELECT to_char(created_at + interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM authsessions_data.sessions WHERE id = 8")|$(q -c "SELECT to_char(created_at + interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM authsessions_data.sessions WHERE id = 8")|t|t"
tc_check "every active 1.0 token validates as its own session, no other does" \
	eq "$(q -c "SELECT string_agg(format('%s:%s', id, coalesce(authsessions.validate(token) ->> 'ID', '-')), ' ' ORDER BY id) FROM tokens")" \
	"1:1 2:2 3:- 4:- 5:5 6:- 7:- 8:8"
tc_check "validate answers with the session's user" \
	eq "$(q -c "SELECT authsessions.validate(token) ->> 'UserName' FROM tokens WHERE id = 8")" Eve
tc_check "list: the users with active sessions and their counts" \
	eq "$(q -c "SELECT string_agg(format('%s=%s', e ->> 'UserName', e ->> 'SessionCount'), ' ') FROM jsonb_array_elements(authsessions.list()) e")" \
	"Ann=2 Bob=1 Eve=1"
tc_check "user_sessions: Ann's active sessions, newest first" \
	eq "$(q -c "SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000001')::text")" \
	"$(q -c "SELECT jsonb_agg(e ORDER BY e ->> 'LastUpdated' DESC)::text FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-000000000001')) e WHERE (e ->> 'ID')::int IN (1, 2)")"
tc_check "user_sessions: Ann has exactly sessions 1 and 2" \
	eq "$(q -c "SELECT string_agg(e ->> 'ID', ',' ORDER BY (e ->> 'ID')::int) FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-000000000001')) e")" "1,2"
tc_check "the admin's grants survive" \
	eq "$(q -c "SELECT has_function_privilege('authsessions_upgrade_any_admin', 'authsessions.list(integer,integer,uuid)', 'EXECUTE')")" t
tc_check "create_session has its 1.1 arguments, the 1.0 function is gone" \
	eq "$(q -c "SELECT to_regprocedure('authsessions.create_session(uuid,text,text,text,interval,text,inet,interval)') IS NOT NULL, to_regprocedure('authsessions.create_session(uuid,text,text,text,interval,text,inet)') IS NULL")" "t|t"
tc_check "the grant on create_session follows it to its new arguments (with its grant option), PUBLIC still has none" \
	eq "$(q -c "SELECT has_function_privilege('authsessions_upgrade_any_admin', 'authsessions.create_session(uuid,text,text,text,interval,text,inet,interval)', 'EXECUTE WITH GRANT OPTION'), has_function_privilege('public', 'authsessions.create_session(uuid,text,text,text,interval,text,inet,interval)', 'EXECUTE')")" "t|f"
tc_check "the new create_session's initial privileges are a fresh install's (the owner's only): pg_dump keeps the grant" \
	eq "$(q -c "SELECT i.initprivs = (SELECT initprivs FROM pg_init_privs WHERE objoid = 'authsessions.validate(text)'::regprocedure), i.initprivs::text NOT LIKE '%authsessions_upgrade_any_admin%' FROM pg_init_privs i WHERE i.objoid = 'authsessions.create_session(uuid,text,text,text,interval,text,inet,interval)'::regprocedure")" "t|t"
tc_check "the summaries are right (repair_summary finds nothing to do)" eq "$(q -c "SELECT authsessions.repair_summary()")" 0
tc_check "an admin revokes a 1.0 session, whose token then stops" \
	eq "$(q -c "SELECT authsessions.revoke(5)::text" -c "SELECT authsessions.validate(token) IS NULL FROM tokens WHERE id = 5" | paste -sd,)" \
	'{"Success": true},t'
tc_check "a new login gets a fresh ID and a 1.1 token" \
	eq "$(q -c "SELECT s ->> 'ID', left(s ->> 'Token', 4), length(s ->> 'Token') FROM authsessions.create_session('00000000-0000-4000-8000-000000000004') s" -F ' ')" \
	"9 as1_ 55"
tc_check "logout of a 1.0 token" \
	eq "$(q -c "SELECT authsessions.end_session(token)::text FROM tokens WHERE id = 1")" '{"Success": true}'
# Why they ended: 1.0 recorded no reason (NULL: unknown, revoked_by kept);
# the revoke and the logout made after the update record theirs, and
# ended_sessions shows all of them, the expired ones with their expiry.
tc_check "end_reason: none for 1.0's revoke (4) and logout (6), revoked (5) and logout (1) after the update" \
	eq "$(q -c "SELECT string_agg(id || ':' || coalesce(end_reason, 'null') || ':' || revoked_by, ',' ORDER BY id)
		FROM authsessions_data.sessions WHERE revoked_at IS NOT NULL")" \
	"1:logout:postgres,4:null:admin,5:revoked:postgres,6:null:logout"
tc_check "ended_sessions: Ann's logout, revoke (1.0, no reason) and expiry, latest first" \
	eq "$(q -c "SELECT jsonb_path_query_array(authsessions.ended_sessions('00000000-0000-4000-8000-000000000001'), '\$[*].ID')::text
		|| ' ' || jsonb_path_query_array(authsessions.ended_sessions('00000000-0000-4000-8000-000000000001'), '\$[*].EndReason')::text")" \
	"[1, 4, 3] [\"logout\", null, null]"
tc_summary
