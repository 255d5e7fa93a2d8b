-- revoke("Session"): revoke one active session; {"Success": true}, or PT404
-- err_NoActiveSession.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE ROLE regress_admin;
GRANT USAGE ON SCHEMA authsessions TO regress_admin;
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.revoke(bigint) TO regress_admin;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok1 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'one') AS s \gset
SELECT s ->> 'Token' AS tok2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'two') AS s \gset
SELECT s ->> 'Token' AS tok3 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'three') AS s \gset
SELECT s ->> 'Token' AS tok4 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'four') AS s \gset
SELECT id, smartphone FROM authsessions_data.sessions ORDER BY id;

-- Success: {"Success": true}; that session ends, the others stay.
BEGIN;
SELECT authsessions.revoke(1);
SELECT id, revoked_at = now() AS revoked_now, revoked_by = current_user AS by_caller
FROM authsessions_data.sessions ORDER BY id;
COMMIT;
SELECT authsessions.validate(:'tok1') IS NULL AS tok1_revoked,
	authsessions.validate(:'tok2') IS NOT NULL AS tok2_valid;
SELECT jsonb_path_query_array(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b'), '$[*].ID') AS active;
SELECT authsessions.list() -> 0 -> 'SessionCount' AS session_count;

-- The body {"Session": 2} binds by name, as PostgREST passes it.
SELECT authsessions.revoke("Session" => 2);

-- No active session with that ID: PT404 err_NoActiveSession, with its detail.
\set VERBOSITY default
-- already revoked
SELECT authsessions.revoke(1);
\echo :LAST_ERROR_SQLSTATE
-- unknown
SELECT authsessions.revoke(999);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke(9223372036854775807);
\echo :LAST_ERROR_SQLSTATE
-- expired
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = 3;
SELECT authsessions.revoke(3);
\echo :LAST_ERROR_SQLSTATE
-- logged out
SELECT authsessions.end_session(:'tok4');
SELECT authsessions.revoke(4);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
-- the failed revokes changed nothing: the expired session is not marked
-- revoked, the first revoke's record stays
SELECT id, revoked_at IS NOT NULL AS revoked, revoked_by = current_user AS by_caller
FROM authsessions_data.sessions ORDER BY id;

-- revoked_by: the sub claim of request.jwt.claims when PostgREST set one ...
SELECT s ->> 'ID' AS id5 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'five') AS s \gset
SELECT s ->> 'ID' AS id6 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'six') AS s \gset
SELECT s ->> 'ID' AS id7 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'seven') AS s \gset
SELECT s ->> 'ID' AS id8 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'eight') AS s \gset
SELECT s ->> 'ID' AS id9 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'nine') AS s \gset
BEGIN;
SET LOCAL ROLE regress_admin;
SELECT set_config('request.jwt.claims', '{"sub": "admin@example.com", "role": "regress_admin"}', true) IS NOT NULL AS claims_set;
SELECT authsessions.revoke(:id5);
COMMIT;
-- (a numeric sub too)
BEGIN;
SET LOCAL ROLE regress_admin;
SET LOCAL request.jwt.claims = '{"sub": 42, "role": "regress_admin"}';
SELECT authsessions.revoke(:id6);
COMMIT;
-- ... otherwise the calling role, as seen outside SECURITY DEFINER: claims
-- without sub, empty claims, no claims
BEGIN;
SET LOCAL ROLE regress_admin;
SET LOCAL request.jwt.claims = '{"role": "regress_admin"}';
SELECT authsessions.revoke(:id7);
COMMIT;
BEGIN;
SET LOCAL ROLE regress_admin;
SET LOCAL request.jwt.claims = '';
SELECT authsessions.revoke(:id8);
COMMIT;
SET ROLE regress_admin;
SELECT current_setting('request.jwt.claims', true) IS NULL OR current_setting('request.jwt.claims', true) = '' AS no_claims;
SELECT authsessions.revoke(:id9);
RESET ROLE;
-- revoked_by_role: the role in effect, whatever the claims;
-- revoked_by_login: session_user, the role that logged in
SELECT smartphone, revoked_by, revoked_by_role, revoked_by_login = session_user AS by_login
FROM authsessions_data.sessions WHERE id >= :id5 ORDER BY id;
SELECT revoked_by_role = current_user AS role_is_caller, revoked_by_login = session_user AS by_login
FROM authsessions_data.sessions WHERE id = 1;

-- An admin role with only USAGE and EXECUTE on list, user_sessions and revoke
-- sees its errors too.
SET ROLE regress_admin;
SELECT authsessions.revoke(:id9);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- NULL Session: 22004.
SELECT authsessions.revoke(NULL);
\echo :LAST_ERROR_SQLSTATE

-- A writer: refused in a read-only transaction (PostgREST answers 405),
-- before doing anything, whatever the argument; nothing revoked.
SELECT s ->> 'ID' AS id10, s ->> 'Token' AS tok10
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'ten') AS s \gset
BEGIN READ ONLY;
SELECT authsessions.revoke(:id10);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.revoke(999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.revoke(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SET default_transaction_read_only = on;
SELECT authsessions.revoke(:id10);
\echo :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;
SELECT authsessions.validate(:'tok10') ->> 'Smartphone' AS still_valid;

DROP EXTENSION authsessions;
DROP ROLE regress_admin;
