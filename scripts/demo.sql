-- scripts/demo.sql: the documented example users, loaded into a fresh
-- database through the extension's own functions.  Run by scripts/demo.sh
-- (psql -X -v ON_ERROR_STOP=1 -f scripts/demo.sql), which then serves the
-- documented admin API over HTTP (PostgREST and nginx) and calls it.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only on

CREATE EXTENSION authsessions;

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

\echo 'demo data: "user" (an operator, session ':user_session_id') and "user2" (':user2_sessions' sessions)'
