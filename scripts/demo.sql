-- scripts/demo.sql: the documented admin API examples, run against a fresh
-- database through the extension's own functions.  Run by scripts/demo.sh
-- (psql -X -v ON_ERROR_STOP=1 -f scripts/demo.sql).
--
-- Each result is printed under the HTTP call that PostgREST would map to it
-- (base URL /api/admin/v1/authenticated-sessions).

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only on

CREATE EXTENSION authsessions;

-- The example users of the documentation -----------------------------------

-- "user": an operator with one session.
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) \gset ignored_
SELECT authsessions.create_session(
	user_guid => '83bde819-ec08-4cee-b635-884145630d0b',
	smartphone => '-',
	operating_system => 'Other- v. ',
	application => 'Other- v. ',
	ttl => NULL,
	user_agent => 'demo',
	ip => '127.0.0.1') ->> 'ID' AS user_session_id \gset

-- "user2": not an operator, four sessions.
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) \gset ignored_
SELECT count(authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778',
	s.smartphone, s.operating_system, s.application, NULL, 'demo', '127.0.0.1'))
	AS user2_sessions
FROM (VALUES
	('Pixel 7', 'Android v. 14', 'Mobile v. 3.2'),
	('iPhone 14', 'iOS v. 17.1', 'Mobile v. 3.2'),
	('-', 'Windows v. 11', 'Chrome v. 120'),
	('-', 'Linux v. 6.1', 'Firefox v. 121')
) AS s(smartphone, operating_system, application) \gset

-- The documented calls --------------------------------------------------------

\echo
\echo '### GET /api/admin/v1/authenticated-sessions/list'
SELECT jsonb_pretty(authsessions.list());

\echo
\echo '### GET /api/admin/v1/authenticated-sessions/user-sessions/83bde819-ec08-4cee-b635-884145630d0b'
SELECT jsonb_pretty(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b'));

\echo
\echo '### POST /api/admin/v1/authenticated-sessions/revoke   {"Session": ':user_session_id'}'
SELECT jsonb_pretty(authsessions."revoke"(:user_session_id));

\echo
\echo '### POST /api/admin/v1/authenticated-sessions/revoke   {"Session": ':user_session_id'}   (again: expect err_NoActiveSession, SQLSTATE PT404)'
-- This one is meant to fail: let the error through, show it, then check it.
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
SELECT jsonb_pretty(authsessions."revoke"(:user_session_id));
\set VERBOSITY default
\set ON_ERROR_STOP 1
\echo 'SQLSTATE:' :LAST_ERROR_SQLSTATE ' message:' :LAST_ERROR_MESSAGE
SELECT :'LAST_ERROR_SQLSTATE' = 'PT404' AND :'LAST_ERROR_MESSAGE' = 'err_NoActiveSession'
	AS got_expected_error \gset
\if :got_expected_error
\else
DO $$ BEGIN RAISE EXCEPTION 'demo: the second revoke did not fail with PT404 err_NoActiveSession'; END $$;
\endif

\echo
\echo '### GET /api/admin/v1/authenticated-sessions/list   (after the revoke: "user" has no active session left)'
SELECT jsonb_pretty(authsessions.list());
