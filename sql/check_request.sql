-- check_request() and the self-service functions (my_sessions,
-- revoke_my_session, revoke_my_other_sessions, logout): who calls comes
-- from the bearer JWT in request.headers, as PostgREST 12 sets it (a JSON
-- object, lower-case header names), verified with the key of
-- authsessions.jwt_secret_file; never from request.jwt.claims.  JWTs other
-- than issue_jwt's are signed here in SQL with the key file's bytes.
-- (The same over real HTTP: test/extra/23_jwt_http.sh.)
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION authsessions;

\i sql/include/jwt.sql
-- the key, read as only a superuser can; never shown
CREATE TABLE signing_key (k bytea);
INSERT INTO signing_key
SELECT pg_read_binary_file(current_setting('authsessions.jwt_secret_file'));
-- a JWT of the claims, signed with the key (or another one), header HS256
CREATE FUNCTION pg_temp.jwt(claims jsonb, key bytea DEFAULT NULL,
	header text DEFAULT '{"alg":"HS256","typ":"JWT"}') RETURNS text
LANGUAGE sql AS $$
	SELECT h || '.' || pg_temp.b64url_encode(pg_temp.hmac256(convert_to(h, 'UTF8'),
		coalesce(key, (SELECT k FROM signing_key))))
	FROM (SELECT pg_temp.b64url_encode(convert_to(header, 'UTF8')) || '.' ||
		pg_temp.b64url_encode(convert_to(claims::text, 'UTF8')) AS h) AS x$$;
-- request.headers as PostgREST sets it, with this Authorization value
CREATE FUNCTION pg_temp.auth(value text) RETURNS text LANGUAGE sql AS $$
	SELECT set_config('request.headers',
		json_build_object('host', 'localhost', 'accept', '*/*', 'authorization', value)::text,
		false)::text IS NOT NULL$$;
CREATE FUNCTION pg_temp.bearer(jwt text) RETURNS text LANGUAGE sql AS
$$SELECT pg_temp.auth('Bearer ' || jwt)$$;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone', 'os', 'app')) ->> 'Token' AS a1 \gset
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'laptop', NULL, NULL)) ->> 'Token' AS a2 \gset
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'tablet', NULL, NULL)) ->> 'Token' AS a3 \gset
SELECT (authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'other', NULL, NULL)) ->> 'Token' AS b1 \gset
SELECT authsessions.issue_jwt(:'a1') ->> 'JWT' AS jwt_a1 \gset
SELECT authsessions.issue_jwt(:'b1') ->> 'JWT' AS jwt_b1 \gset

-- Markings: check_request and my_sessions read (SECURITY INVOKER, no SET);
-- the writers are SECURITY DEFINER with a pinned search_path; none STRICT,
-- none granted to PUBLIC.
SELECT p.oid::regprocedure AS function, provolatile, proparallel, prosecdef, proconfig, proisstrict,
	has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
FROM pg_proc p
WHERE p.oid IN ('authsessions.check_request()'::regprocedure,
	'authsessions.my_sessions(integer, integer)'::regprocedure,
	'authsessions.revoke_my_session(bigint)'::regprocedure,
	'authsessions.revoke_my_other_sessions()'::regprocedure,
	'authsessions.logout()'::regprocedure)
ORDER BY p.proname;

-- No request.headers, no Authorization, another scheme: check_request
-- passes; the self-service functions have no session.
SELECT authsessions.check_request();
SELECT authsessions.my_sessions();
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('request.headers', '{"host": "localhost"}', false) IS NOT NULL AS set;
SELECT authsessions.check_request();
SELECT pg_temp.auth('Basic dXNlcjpwYXNz');
SELECT authsessions.check_request();
SELECT authsessions.logout();

-- issue_jwt's JWT: check_request passes; my_sessions lists the user's
-- sessions only, Current for the JWT's own.
SELECT pg_temp.bearer(:'jwt_a1');
SELECT authsessions.check_request();
SELECT jsonb_agg(jsonb_build_object('Smartphone', e -> 'Smartphone', 'Current', e -> 'Current',
		'UserGuid', e -> 'UserGuid') ORDER BY e ->> 'Smartphone')
FROM jsonb_array_elements(authsessions.my_sessions()) AS e;
SELECT ARRAY(SELECT jsonb_object_keys(authsessions.my_sessions(1, 1) -> 0)) AS keys;
SELECT jsonb_array_length(authsessions.my_sessions(2, 2)) AS page_2_of_2;
SELECT authsessions.my_sessions(0);
-- the scheme in any case, spaces around the JWT
SELECT pg_temp.auth('bearer   ' || :'jwt_a1' || ' ');
SELECT authsessions.check_request();

-- A hand-set request.jwt.claims is never read: with user2's sub and sid
-- and no bearer JWT there is no session; with user's bearer JWT, the
-- claims change nothing.
SELECT set_config('request.jwt.claims',
	jsonb_build_object('role', 'authsessions_user', 'sub', '90b10bb2-8c70-456f-b960-2251ae6d8778',
		'sid', (SELECT id FROM authsessions_data.sessions WHERE smartphone = 'other'))::text,
	false) IS NOT NULL AS set;
SELECT set_config('request.headers', '{}', false) IS NOT NULL AS set;
SELECT authsessions.my_sessions();
SELECT authsessions.revoke_my_other_sessions();
SELECT pg_temp.bearer(:'jwt_a1');
SELECT DISTINCT e ->> 'UserGuid' AS only_user FROM jsonb_array_elements(authsessions.my_sessions()) AS e;
RESET "request.jwt.claims";

-- JWTs that fail verification: PT401 err_SessionEnded, saying why.
SELECT id AS a1_id FROM authsessions_data.sessions WHERE smartphone = 'phone' \gset
SELECT id AS b1_id FROM authsessions_data.sessions WHERE smartphone = 'other' \gset
SELECT extract(epoch FROM now())::bigint AS now_s \gset
SELECT pg_temp.bearer(left(:'jwt_a1', -2) || 'AA');
SELECT authsessions.check_request();
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id, 'exp', :now_s + 60), sha256('another key')));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id, 'exp', :now_s - 40)));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id, 'nbf', :now_s + 60)));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id), header => '{"alg":"HS384","typ":"JWT"}'));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', '1')));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', 1.5)));
SELECT authsessions.check_request();
SELECT pg_temp.bearer('eyJhbGciOiJub25lIn0.eyJzaWQiOjF9.');
SELECT authsessions.check_request();
SELECT pg_temp.bearer('not-a-jwt');
SELECT authsessions.check_request();
SELECT pg_temp.bearer('a.b.c.d');
SELECT authsessions.check_request();
-- a JWT whose sid is another user's session
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :b1_id, 'exp', :now_s + 60)));
SELECT authsessions.check_request();
SELECT authsessions.my_sessions();
-- a sid without sub, and an unknown sid
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sid', :a1_id)));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', 999999)));
SELECT authsessions.check_request();

-- exp and nbf within PostgREST 12's 30 seconds of clock skew pass, as
-- PostgREST lets them through: the hook must not refuse what it accepted.
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id, 'exp', :now_s - 20)));
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('role', 'authsessions_admin', 'sub', 'admin',
	'nbf', :now_s + 20, 'exp', :now_s + 60)));
SELECT authsessions.check_request();

-- A verified JWT without sid (a service or admin token) passes, and has
-- no session for the self-service functions.
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('role', 'authsessions_admin', 'sub', 'admin',
	'exp', :now_s + 60)));
SELECT authsessions.check_request();
SELECT authsessions.my_sessions();

-- aud, when authsessions.jwt_audience is set: issue_jwt's JWTs carry it,
-- others must too.
SET authsessions.jwt_audience = 'api';
SELECT pg_temp.bearer(:'jwt_a1');
SELECT authsessions.check_request();
SELECT pg_temp.bearer(authsessions.issue_jwt(:'a1') ->> 'JWT');
SELECT authsessions.check_request();
SELECT pg_temp.bearer(pg_temp.jwt(jsonb_build_object('sub', '83bde819-ec08-4cee-b635-884145630d0b',
	'sid', :a1_id, 'aud', jsonb_build_array('other', 'api'))));
SELECT authsessions.check_request();
RESET authsessions.jwt_audience;

-- revoke_my_session: another user's session is "not found", and stays.
SELECT pg_temp.bearer(:'jwt_a1');
SELECT authsessions.revoke_my_session(:b1_id);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke_my_session(NULL);
SELECT revoked_at IS NULL AS still_active FROM authsessions_data.sessions WHERE id = :b1_id;
SELECT authsessions.revoke_my_session(id) FROM authsessions_data.sessions WHERE smartphone = 'tablet';
SELECT authsessions.revoke_my_session(id) FROM authsessions_data.sessions WHERE smartphone = 'tablet';
-- read-only transactions are refused
BEGIN READ ONLY;
SELECT authsessions.revoke_my_other_sessions();
ROLLBACK;
-- revoke_my_other_sessions keeps the current session
SELECT authsessions.revoke_my_other_sessions();
SELECT jsonb_agg(e -> 'Smartphone') AS left_sessions FROM jsonb_array_elements(authsessions.my_sessions()) AS e;
SELECT authsessions.revoke_my_other_sessions();
-- logout ends the JWT's session: the same JWT is then cut off
SELECT authsessions.logout();
SELECT authsessions.check_request();
SELECT authsessions.logout();
-- revoked_by is the user's UserGuid; the summary stayed right
SELECT smartphone, revoked_by, revoked_by_role = current_user AS by_role
FROM authsessions_data.sessions ORDER BY id;
SELECT authsessions.repair_summary() AS summaries_repaired;

-- After an admin revoke, user2's unexpired JWT is cut off.
SELECT pg_temp.bearer(:'jwt_b1');
SELECT authsessions.check_request();
SELECT authsessions.revoke(:b1_id);
SELECT authsessions.check_request();
\echo :LAST_ERROR_SQLSTATE

-- Privileges: a role granted only the self-service functions reads and
-- ends its own sessions through them, and nothing else.
SELECT (authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'again', NULL, NULL)) ->> 'Token' AS b2 \gset
SELECT pg_temp.bearer(authsessions.issue_jwt(:'b2') ->> 'JWT');
CREATE ROLE regress_jwt_user;
GRANT USAGE ON SCHEMA authsessions TO regress_jwt_user;
GRANT EXECUTE ON FUNCTION authsessions.check_request(), authsessions.my_sessions(integer, integer),
	authsessions.revoke_my_session(bigint), authsessions.revoke_my_other_sessions(),
	authsessions.logout() TO regress_jwt_user;
SET ROLE regress_jwt_user;
SELECT authsessions.check_request();
SELECT jsonb_array_length(authsessions.my_sessions()) AS sessions;
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b');
SELECT authsessions.logout();
RESET ROLE;
SELECT revoked_by_role FROM authsessions_data.sessions WHERE smartphone = 'again';
REVOKE ALL ON FUNCTION authsessions.check_request(), authsessions.my_sessions(integer, integer),
	authsessions.revoke_my_session(bigint), authsessions.revoke_my_other_sessions(),
	authsessions.logout() FROM regress_jwt_user;
REVOKE USAGE ON SCHEMA authsessions FROM regress_jwt_user;
DROP ROLE regress_jwt_user;

RESET "request.headers";
DROP TABLE signing_key;
DROP EXTENSION authsessions;
