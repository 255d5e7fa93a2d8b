-- revoke_user("UserGuid"): revoke every active session of one user;
-- {"Revoked": n}, or PT404 err_NoActiveSession when none was active.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
\i sql/include/summary.sql
CREATE ROLE regress_ru_admin;
CREATE ROLE regress_ru_nobody;
GRANT USAGE ON SCHEMA authsessions TO regress_ru_admin, regress_ru_nobody;
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.revoke(bigint), authsessions.revoke_user(uuid) TO regress_ru_admin;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'alice') AS alice;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000002', 'bob') AS bob;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000003', 'carol') AS carol;
-- alice: 4 sessions, of which one revoked, one logged out, one expired,
-- and 3 active; bob: 2 active; carol: none ever
SELECT s ->> 'Token' AS a1 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a1') AS s \gset
SELECT s ->> 'ID' AS a2 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a2') AS s \gset
SELECT s ->> 'ID' AS a3 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a3') AS s \gset
SELECT s ->> 'ID' AS a4 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a4') AS s \gset
SELECT s ->> 'ID' AS a5 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a5') AS s \gset
SELECT s ->> 'ID' AS a6 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'a6') AS s \gset
SELECT s ->> 'Token' AS b1 FROM authsessions.create_session('00000000-0000-4000-8000-000000000002', 'b1') AS s \gset
SELECT s ->> 'Token' AS b2 FROM authsessions.create_session('00000000-0000-4000-8000-000000000002', 'b2') AS s \gset
SELECT authsessions.revoke(:a2);
SELECT authsessions.end_session(:'a1');
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = :a3;
SELECT pg_temp.resync_summary();
SELECT authsessions.list() AS before;

-- Success: the three active sessions of alice end, as revoke ends one
-- (revoked_at now, revoked_by the caller, revoked_by_role, revoked_by_login);
-- the ended ones keep their record, bob's stay active.
BEGIN;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000001');
SELECT smartphone, revoked_at = now() AS revoked_now, revoked_by, revoked_by_role,
	revoked_by_login = session_user AS by_login, expires_at > now() AS unexpired
FROM authsessions_data.sessions ORDER BY id;
COMMIT;
-- the summary: list counts only bob, user_sessions of alice is empty, and
-- every user's summary agrees with the sessions
SELECT authsessions.list() AS after;
SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000001') AS alice_sessions;
SELECT count(*) AS mismatches FROM pg_temp.summary_mismatch();
SELECT authsessions.repair_summary() AS repaired;
SELECT authsessions.validate(:'b1') ->> 'Smartphone' AS b1_valid;

-- Again: nothing is active any more: PT404 err_NoActiveSession, with its
-- detail; so for a user who never had a session and an unknown user.
\set VERBOSITY default
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000003');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke_user('00000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse

-- The body {"UserGuid": "..."} binds by name, as PostgREST passes it, and
-- revoked_by is the sub claim PostgREST sets, revoked_by_role the JWT's
-- role; the result is exactly {"Revoked": 2}.
BEGIN;
SET LOCAL ROLE regress_ru_admin;
SET LOCAL request.jwt.claims = '{"sub": "admin@example.com", "role": "regress_ru_admin"}';
SELECT authsessions.revoke_user("UserGuid" => '00000000-0000-4000-8000-000000000002') AS result \gset
COMMIT;
SELECT :'result'::jsonb = '{"Revoked": 2}'::jsonb AS exact, :'result';
SELECT smartphone, revoked_by, revoked_by_role, revoked_by_login = session_user AS by_login
FROM authsessions_data.sessions WHERE smartphone LIKE 'b%' ORDER BY id;
SELECT authsessions.list() AS after_bob;
SELECT count(*) AS mismatches FROM pg_temp.summary_mismatch();

-- A rollback undoes it all, the summary included.
SELECT s ->> 'ID' AS c1 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003', 'c1') AS s \gset
SELECT s ->> 'ID' AS c2 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003', 'c2') AS s \gset
BEGIN;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000003');
SELECT authsessions.list() -> 0 -> 'SessionCount' AS inside;
ROLLBACK;
SELECT authsessions.list() -> 0 -> 'SessionCount' AS after_rollback;
SELECT count(*) AS mismatches FROM pg_temp.summary_mismatch();

-- After a revoke of one of carol's two sessions, revoke_user ends the
-- other one only; every summary is empty.
SELECT authsessions.revoke(:c1);
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000003');
SELECT id = :c2 AS only_c2 FROM authsessions_data.sessions
WHERE revoked_by IS NOT NULL AND smartphone = 'c2';
SELECT session_expiries FROM authsessions_data.users ORDER BY id;

-- Privileges: without EXECUTE, 42501; the admin role's errors are its own.
SELECT s ->> 'ID' AS c3 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003', 'c3') AS s \gset
SET ROLE regress_ru_nobody;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000003');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT has_function_privilege('public', 'authsessions.revoke_user(uuid)', 'EXECUTE') AS public_may;
SET ROLE regress_ru_admin;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A writer: refused in a read-only transaction, whatever the argument,
-- before doing anything.
BEGIN READ ONLY;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000003');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.revoke_user(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT revoked_at IS NULL AS c3_active FROM authsessions_data.sessions WHERE id = :c3;

DROP EXTENSION authsessions;
DROP ROLE regress_ru_admin;
DROP ROLE regress_ru_nobody;
