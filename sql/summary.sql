-- users.session_expiries and session_entries: the per-user summary list()
-- counts from and user_sessions answers from.  Every writer keeps both
-- exact: the elements after now() are the expiries of the user's active
-- sessions, the entries expiring after now() are those sessions.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- pg_temp.summary_mismatch(): the users whose summary disagrees with their
-- sessions (none, ever)
\i sql/include/summary.sql
-- a user's summary, each element named by the sessions that expire then
-- ("none": no session does), "(past)" when it is not after now()
CREATE FUNCTION pg_temp.summary(n text) RETURNS text[]
LANGUAGE sql AS $$
	SELECT coalesce(array_agg(coalesce((SELECT string_agg(s.smartphone, '+' ORDER BY s.smartphone)
										FROM authsessions_data.sessions s
										WHERE s.user_id = u.id AND s.expires_at = e), 'none')
							  || CASE WHEN e > now() THEN '' ELSE ' (past)' END
							  ORDER BY e, 1), '{}')
	FROM authsessions_data.users u, unnest(u.session_expiries) AS e
	WHERE u.name = n $$;

-- a user's session_entries, each named by its smartphone, "(past)" when it
-- expires not after now(), "!" when it differs from its session's row, "?"
-- when no session has its id
CREATE FUNCTION pg_temp.entries(n text) RETURNS text[]
LANGUAGE sql AS $$
	SELECT coalesce(array_agg(e.smartphone
							  || CASE WHEN e.expires_at > now() THEN '' ELSE ' (past)' END
							  || coalesce((SELECT CASE WHEN ROW(s.id, s.last_updated, s.expires_at,
												s.smartphone, s.operating_system, s.application)
												::authsessions_data.session_entry = e
											   THEN '' ELSE '!' END
										   FROM authsessions_data.sessions s WHERE s.id = e.id), '?')
							  ORDER BY e.expires_at, e.smartphone), '{}')
	FROM authsessions_data.users u, unnest(u.session_entries) AS e
	WHERE u.name = n $$;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice') AS alice,
	authsessions.upsert_user('00000000-0000-4000-8000-0000000000b1', 'bob') AS bob;
SELECT name, session_expiries, session_entries, listed FROM authsessions_data.users ORDER BY name;

-- create_session appends its expiry (two logins in one transaction share
-- one: the summary keeps both) and lists the user
BEGIN;
SELECT s ->> 'ID' AS a1, s ->> 'Token' AS tok1
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a1', ttl => '1 hour') AS s \gset
SELECT s ->> 'ID' AS a2, s ->> 'Token' AS tok2
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a2', ttl => '1 hour') AS s \gset
SELECT s ->> 'ID' AS a3, s ->> 'Token' AS tok3
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a3', ttl => '2 hours') AS s \gset
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries, (SELECT listed FROM authsessions_data.users WHERE name = 'alice') AS listed;
COMMIT;
SELECT s ->> 'ID' AS b1 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b1', ttl => '3 hours') AS s \gset
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- revoke removes one occurrence of the session's expiry
SELECT authsessions.revoke(:a1);
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;
-- a failed revoke changes nothing
SELECT authsessions.revoke(:a1);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;
-- end_session too; a failed one changes nothing
SELECT authsessions.end_session(:'tok2');
SELECT authsessions.end_session(:'tok2');
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- validate's touch replaces the old expiry by the new one
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :a3;
SET authsessions.touch_interval = 60;
SELECT authsessions.validate(:'tok3') ->> 'ExpirationDate' IS NOT NULL AS valid;
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;
SELECT * FROM pg_temp.summary_mismatch();
RESET authsessions.touch_interval;

-- a rolled-back writer leaves no trace
BEGIN;
SELECT authsessions.revoke(:b1);
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b2') ->> 'ID' IS NOT NULL AS created;
SELECT pg_temp.summary('bob') AS bob_inside, pg_temp.entries('bob') AS bob_inside_entries;
ROLLBACK;
SELECT pg_temp.summary('bob') AS bob, pg_temp.entries('bob') AS bob_entries;

-- An expired session leaves its element behind (in the past: not counted)
-- until purge recomputes the user.
UPDATE authsessions_data.sessions SET expires_at = now() - interval '9 days',
	last_updated = now() - interval '10 days', created_at = now() - interval '10 days',
	purge_hint = now() - interval '9 days'
WHERE id = :b1;
-- (what the writers had made of it: the session's expiry, by create_session)
UPDATE authsessions_data.users
SET session_expiries = ARRAY(SELECT expires_at FROM authsessions_data.sessions WHERE id = :b1),
	session_entries = ARRAY(SELECT ROW(s.id, s.last_updated, s.expires_at, s.smartphone,
			s.operating_system, s.application)::authsessions_data.session_entry
		FROM authsessions_data.sessions s WHERE s.id = :b1)
WHERE name = 'bob';
SELECT pg_temp.summary('bob') AS bob, pg_temp.entries('bob') AS bob_entries, (SELECT listed FROM authsessions_data.users WHERE name = 'bob') AS listed;
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;
SELECT authsessions.purge() AS purged;
SELECT name, listed, session_expiries = '{}' AS summary_empty, session_entries = '{}' AS entries_empty
FROM authsessions_data.users ORDER BY name;
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;
SELECT * FROM pg_temp.summary_mismatch();

-- An element that is already gone (a leftover purge removed) is left alone
-- by the writers: revoking that session still works.
UPDATE authsessions_data.users u SET session_expiries = ARRAY(
	SELECT s.expires_at FROM authsessions_data.sessions s
	WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.id <> :a3),
	session_entries = ARRAY(SELECT e FROM unnest(u.session_entries) AS e WHERE e.id <> :a3)
WHERE name = 'alice';
SELECT authsessions.revoke(:a3);
SELECT pg_temp.summary('alice') AS alice, pg_temp.entries('alice') AS alice_entries;

-- A malformed summary (written by hand) is reported, not misread.
UPDATE authsessions_data.users SET listed = true,
	session_expiries = ARRAY[now() + interval '1 hour', NULL] WHERE name = 'alice';
SELECT authsessions.list();
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.users SET session_expiries = ARRAY[ARRAY[now() + interval '1 hour']] WHERE name = 'alice';
SELECT authsessions.list();
\echo :LAST_ERROR_SQLSTATE
-- The repair statement of the README puts it right.
UPDATE authsessions_data.users u
SET session_expiries = ARRAY(SELECT s.expires_at FROM authsessions_data.sessions s
							 WHERE s.user_id = u.id AND s.revoked_at IS NULL
							 ORDER BY s.expires_at),
	session_entries = ARRAY(SELECT ROW(s.id, s.last_updated, s.expires_at, s.smartphone,
									   s.operating_system, s.application)
									   ::authsessions_data.session_entry
							FROM authsessions_data.sessions s
							WHERE s.user_id = u.id AND s.revoked_at IS NULL
							ORDER BY s.expires_at, s.id),
	listed = EXISTS (SELECT FROM authsessions_data.sessions s
					 WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now());
SELECT authsessions.list();
SELECT * FROM pg_temp.summary_mismatch();

-- A user with many sessions: the summary is compressed (or moved out of
-- line), list still counts it exactly and user_sessions still shows every
-- session.
SELECT count(authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'many' || i))
FROM generate_series(1, 400) AS i;
SELECT count(authsessions.revoke(id)) FROM authsessions_data.sessions WHERE smartphone LIKE 'many%' AND id % 4 = 0;
SELECT pg_column_size(session_expiries) < 400 * 8 AS compressed, cardinality(session_expiries) AS elements,
	pg_column_size(session_entries) > 2000 AS entries_over_2kb, cardinality(session_entries) AS entries
FROM authsessions_data.users WHERE name = 'bob';
SELECT jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-0000000000b1', 1, 1000)) AS bob_sessions,
	(SELECT count(*) FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
	 WHERE u.name = 'bob' AND s.revoked_at IS NULL AND s.expires_at > now()) AS bob_active;
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;
SELECT * FROM pg_temp.summary_mismatch();

-- delete_user takes the summary with the row
SELECT authsessions.delete_user('00000000-0000-4000-8000-0000000000a1');
SELECT count(*) AS users FROM authsessions_data.users;

DROP EXTENSION authsessions;
