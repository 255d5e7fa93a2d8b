-- users.session_expiries and users.listed: the per-user summary list()
-- counts from (user_sessions reads the sessions themselves since 1.1).
-- Every writer keeps it exact: its elements after now() are the expiries of
-- the user's active sessions.  Every rewrite also drops the elements already
-- in the past, and turns a malformed array (2-D, NULL elements) back into a
-- one-dimensional one without NULLs.  A malformed array makes list() raise
-- XX001, and authsessions.repair_summary() recomputes the wrong summaries.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE EXTENSION pageinspect;
CREATE ROLE regress_summary;
GRANT USAGE ON SCHEMA authsessions TO regress_summary;

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
-- Time passing, without sleeping: session sid expired a minute ago, and its
-- user's summary still holds its element, as the writers left it (now in
-- the past).
CREATE FUNCTION pg_temp.expire(sid bigint) RETURNS void
LANGUAGE sql AS $$
	UPDATE authsessions_data.users u
	   SET session_expiries = array_replace(u.session_expiries, s.expires_at,
											now() - interval '1 minute')
	  FROM authsessions_data.sessions s WHERE s.id = sid AND u.id = s.user_id;
	UPDATE authsessions_data.sessions
	   SET expires_at = now() - interval '1 minute',
		   last_updated = now() - interval '1 minute' - make_interval(secs => idle_timeout),
		   created_at = now() - interval '1 minute' - make_interval(secs => idle_timeout),
		   purge_hint = now() - interval '1 minute'
	 WHERE id = sid $$;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice') AS alice,
	authsessions.upsert_user('00000000-0000-4000-8000-0000000000b1', 'bob') AS bob,
	authsessions.upsert_user('00000000-0000-4000-8000-0000000000c1', 'carol') AS carol;
SELECT name, session_expiries, listed FROM authsessions_data.users ORDER BY name;

-- create_session appends its expiry (two logins in one transaction share
-- one: the summary keeps both) and lists the user
BEGIN;
SELECT s ->> 'ID' AS a1, s ->> 'Token' AS tok1
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a1', ttl => '1 hour') AS s \gset
SELECT s ->> 'ID' AS a2, s ->> 'Token' AS tok2
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a2', ttl => '1 hour') AS s \gset
SELECT s ->> 'ID' AS a3, s ->> 'Token' AS tok3
FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a3', ttl => '2 hours') AS s \gset
SELECT pg_temp.summary('alice') AS alice, (SELECT listed FROM authsessions_data.users WHERE name = 'alice') AS listed;
COMMIT;
SELECT s ->> 'ID' AS b1 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b1', ttl => '3 hours') AS s \gset
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- revoke removes one occurrence of the session's expiry
SELECT authsessions.revoke(:a1);
SELECT pg_temp.summary('alice') AS alice;
-- a failed revoke changes nothing
SELECT authsessions.revoke(:a1);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.summary('alice') AS alice;
-- end_session too; a failed one changes nothing
SELECT authsessions.end_session(:'tok2');
SELECT authsessions.end_session(:'tok2');
SELECT pg_temp.summary('alice') AS alice;
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- validate's touch replaces the old expiry by the new one
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :a3;
SELECT expires_at AS a3_before FROM authsessions_data.sessions WHERE id = :a3 \gset
SET authsessions.touch_interval = 60;
SELECT authsessions.validate(:'tok3') ->> 'ExpirationDate' IS NOT NULL AS valid;
SELECT pg_temp.summary('alice') AS alice,
	(SELECT expires_at > :'a3_before' FROM authsessions_data.sessions WHERE id = :a3) AS slid,
	(SELECT :'a3_before' <> ALL (session_expiries) FROM authsessions_data.users WHERE name = 'alice') AS old_expiry_gone;
SELECT * FROM pg_temp.summary_mismatch();
RESET authsessions.touch_interval;

-- a rolled-back writer leaves no trace
BEGIN;
SELECT authsessions.revoke(:b1);
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b2') ->> 'ID' IS NOT NULL AS created;
SELECT pg_temp.summary('bob') AS bob_inside;
ROLLBACK;
SELECT pg_temp.summary('bob') AS bob;

-- Elements in the past.  A session that expires leaves its element behind,
-- in the past: list does not count it (the user stays listed, with no
-- active session) ...
SELECT pg_temp.expire(:b1);
SELECT pg_temp.summary('bob') AS bob, (SELECT listed FROM authsessions_data.users WHERE name = 'bob') AS listed;
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;
-- ... until a writer of that user rewrites the array: each one drops the
-- elements in the past.  create_session:
SELECT s ->> 'ID' AS b2 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b2', ttl => '2 hours') AS s \gset
SELECT pg_temp.summary('bob') AS bob;
-- validate's touch:
SELECT s ->> 'ID' AS a4 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a4', ttl => '4 hours') AS s \gset
SELECT pg_temp.expire(:a4);
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :a3;
SELECT pg_temp.summary('alice') AS before_touch;
SELECT authsessions.validate(:'tok3') ->> 'ExpirationDate' IS NOT NULL AS valid;
SELECT pg_temp.summary('alice') AS after_touch;
-- revoke:
SELECT s ->> 'ID' AS a5 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a5', ttl => '5 hours') AS s \gset
SELECT s ->> 'ID' AS a6 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a6', ttl => '6 hours') AS s \gset
SELECT pg_temp.expire(:a5);
SELECT pg_temp.summary('alice') AS before_revoke;
SELECT authsessions.revoke(:a6);
SELECT pg_temp.summary('alice') AS after_revoke;
-- end_session:
SELECT s ->> 'ID' AS a7 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a7', ttl => '7 hours') AS s \gset
SELECT s ->> 'Token' AS tok8 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'a8', ttl => '8 hours') AS s \gset
SELECT pg_temp.expire(:a7);
SELECT pg_temp.summary('alice') AS before_end_session;
SELECT authsessions.end_session(:'tok8');
SELECT pg_temp.summary('alice') AS after_end_session;
-- an eviction (authsessions.max_sessions_per_user): bob has two active
-- sessions, the cap is two, a login ends the least recently used one (b2)
SELECT s ->> 'ID' AS b3 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b3', ttl => '3 hours') AS s \gset
SELECT s ->> 'ID' AS b4 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b4', ttl => '4 hours') AS s \gset
SELECT pg_temp.expire(:b4);
SELECT pg_temp.summary('bob') AS before_eviction;
SET authsessions.max_sessions_per_user = 2;
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b5', ttl => '5 hours') ->> 'ID' IS NOT NULL AS created;
RESET authsessions.max_sessions_per_user;
SELECT pg_temp.summary('bob') AS after_eviction,
	(SELECT string_agg(smartphone, ',') FROM authsessions_data.sessions WHERE revoked_by = 'authsessions:evicted') AS evicted;
SELECT * FROM pg_temp.summary_mismatch();
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- purge recomputes the summary of the users whose sessions it deletes, and
-- unlists those left without an active session: carol's only session
-- expired 9 days ago.
SELECT s ->> 'ID' AS c1 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000c1', 'c1', ttl => '1 hour') AS s \gset
UPDATE authsessions_data.sessions SET expires_at = now() - interval '9 days',
	last_updated = now() - interval '9 days 1 hour', created_at = now() - interval '9 days 1 hour',
	purge_hint = now() - interval '9 days'
WHERE id = :c1;
-- (what the writers had made of it: the session's expiry, by create_session)
UPDATE authsessions_data.users
SET session_expiries = ARRAY(SELECT expires_at FROM authsessions_data.sessions WHERE id = :c1)
WHERE name = 'carol';
SELECT pg_temp.summary('carol') AS carol, (SELECT listed FROM authsessions_data.users WHERE name = 'carol') AS listed;
SELECT authsessions.purge() AS purged;
SELECT name, listed, session_expiries = '{}' AS summary_empty
FROM authsessions_data.users ORDER BY name;
SELECT pg_temp.summary('alice') AS alice, pg_temp.summary('bob') AS bob;
SELECT * FROM pg_temp.summary_mismatch();

-- An element that is already gone (a leftover purge removed) is left alone
-- by the writers: revoking that session still works.
UPDATE authsessions_data.users u SET session_expiries = ARRAY(
	SELECT s.expires_at FROM authsessions_data.sessions s
	WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now() AND s.id <> :a3)
WHERE name = 'alice';
SELECT authsessions.revoke(:a3);
SELECT pg_temp.summary('alice') AS alice;

-- A malformed summary (written by hand) is reported by list, not misread:
-- XX001, naming the user and the repair.
UPDATE authsessions_data.users SET session_expiries = ARRAY[now() + interval '1 hour', NULL]
WHERE name = 'alice';
\set VERBOSITY default
SELECT authsessions.list();
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.users SET session_expiries = ARRAY[ARRAY[now() + interval '1 hour']]
WHERE name = 'alice';
SELECT authsessions.list();
\echo :LAST_ERROR_SQLSTATE
-- (an array that keeps a null bitmap without a NULL, as SQL's slicing
-- leaves it, is well-formed: list reads it)
UPDATE authsessions_data.users
SET session_expiries = (ARRAY[NULL, now() + interval '1 hour', now() + interval '2 hours'])[2:]
WHERE name = 'alice';
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;

-- The writers turn a malformed array into a well-formed one as they rewrite
-- it: here create_session one with a NULL element, revoke a 2-D one (the
-- touch and end_session share revoke's SQL).
CREATE FUNCTION pg_temp.shape(n text, OUT ndims integer, OUT nulls bigint, OUT summary text[])
LANGUAGE sql AS $$
	SELECT array_ndims(u.session_expiries),
		(SELECT count(*) FROM unnest(u.session_expiries) AS e WHERE e IS NULL), pg_temp.summary(n)
	FROM authsessions_data.users u WHERE u.name = n $$;
UPDATE authsessions_data.users SET session_expiries = NULL::timestamptz || session_expiries
WHERE name = 'bob';
SELECT * FROM pg_temp.shape('bob');
SELECT s ->> 'ID' AS b6 FROM authsessions.create_session('00000000-0000-4000-8000-0000000000b1', 'b6', ttl => '6 hours') AS s \gset
SELECT * FROM pg_temp.shape('bob');
UPDATE authsessions_data.users SET session_expiries = ARRAY[session_expiries] WHERE name = 'bob';
SELECT * FROM pg_temp.shape('bob');
SELECT authsessions.revoke(:b6);
SELECT * FROM pg_temp.shape('bob');

-- authsessions.repair_summary(guid) recomputes the summaries that are wrong
-- (malformed, other active expiries than the sessions', or not listed with
-- an active session) and returns how many it rewrote.  Elements in the
-- past, the order, and a listed user without an active session are not
-- wrong: the writers and purge take care of those.
SELECT count(authsessions.upsert_user(('00000000-0000-4000-8000-0000000000' || g)::uuid, n)) AS users
FROM (VALUES ('d1', 'dave'), ('e1', 'erin'), ('f1', 'frank'), ('61', 'gina'), ('71', 'hank')) AS u(g, n);
SELECT count(authsessions.create_session(('00000000-0000-4000-8000-0000000000' || g)::uuid,
		g || '-' || i, ttl => make_interval(hours => i)))
FROM unnest(ARRAY['d1', 'e1', 'f1', '61', '71']) AS g, generate_series(1, 2) AS i;
UPDATE authsessions_data.users SET session_expiries = ARRAY[session_expiries] WHERE name = 'dave';
UPDATE authsessions_data.users SET session_expiries = session_expiries || NULL::timestamptz WHERE name = 'erin';
UPDATE authsessions_data.users SET session_expiries = session_expiries[1:1] WHERE name = 'frank';
UPDATE authsessions_data.users SET listed = false WHERE name = 'gina';
UPDATE authsessions_data.users
SET session_expiries = ARRAY(SELECT e FROM unnest(session_expiries) AS e ORDER BY e DESC)
	|| (now() - interval '1 day')
WHERE name = 'hank';
-- alice: two expiries of no session (above); bob, carol: right.  (The
-- active expiries alone, compared: alice and frank differ; dave and erin
-- are malformed and gina unlisted, wrong too.)
SELECT * FROM pg_temp.summary_mismatch();
SELECT authsessions.list();
\echo :LAST_ERROR_SQLSTATE
-- one user, by guid
SELECT authsessions.repair_summary('00000000-0000-4000-8000-0000000000f1') AS frank;
SELECT authsessions.repair_summary('00000000-0000-4000-8000-000000000071') AS hank_is_right;
SELECT authsessions.repair_summary('ffffffff-ffff-4fff-bfff-ffffffffffff') AS unknown_user;
-- every user
SELECT authsessions.repair_summary() AS repaired;
SELECT authsessions.repair_summary() AS repaired_again;
SELECT * FROM pg_temp.summary_mismatch();
SELECT u.name, u.listed, s.*
FROM authsessions_data.users u, LATERAL pg_temp.shape(u.name) AS s ORDER BY u.name;
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;
-- for the DBA: EXECUTE is granted to nobody (42501 before the function
-- runs); a writer, refused in a read-only transaction (25006)
UPDATE authsessions_data.users SET listed = false WHERE name = 'gina';
SET ROLE regress_summary;
SELECT authsessions.repair_summary();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
BEGIN READ ONLY;
SELECT authsessions.repair_summary();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT listed AS gina_listed FROM authsessions_data.users WHERE name = 'gina';
SELECT authsessions.repair_summary() AS repaired;

-- A user with many sessions: the summary is compressed, or moved out of line
-- into the users' TOAST table, and list still reads it and counts it
-- exactly, user_sessions still shows every session.  "same": 400 logins in
-- one statement, one expiry, 100 revoked (compressed in the row); "many":
-- 1000 logins with 1000 different expiries, 250 revoked, 2 expired since
-- (out of line).
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000e2', 'same') > 0 AS same,
	authsessions.upsert_user('00000000-0000-4000-8000-0000000000f2', 'many') > 0 AS many;
SELECT count(authsessions.create_session('00000000-0000-4000-8000-0000000000e2', 'same' || i))
FROM generate_series(1, 400) AS i;
SELECT count(authsessions.revoke(id)) FROM authsessions_data.sessions WHERE smartphone LIKE 'same%' AND id % 4 = 0;
SELECT count(authsessions.create_session('00000000-0000-4000-8000-0000000000f2', 'many' || i,
		ttl => make_interval(secs => 3600 + (i * 7919) % 86400)))
FROM generate_series(1, 1000) AS i;
SELECT count(authsessions.revoke(id)) FROM authsessions_data.sessions WHERE smartphone LIKE 'many%' AND id % 4 = 0;
SELECT count(*) AS expired
FROM (SELECT pg_temp.expire(id)
	  FROM (SELECT id FROM authsessions_data.sessions
			WHERE smartphone LIKE 'many%' AND revoked_at IS NULL ORDER BY id LIMIT 2) AS s) AS x;
-- where a user's array is: out of line when the row on its page is shorter
-- than the array's stored size, compressed when that size is below 8 bytes
-- an element
CREATE FUNCTION pg_temp.storage(n text, OUT elements integer, OUT storage text)
LANGUAGE sql AS $$
	SELECT cardinality(u.session_expiries),
		CASE WHEN p.lp_len < pg_column_size(u.session_expiries) THEN 'out of line'
			 WHEN pg_column_size(u.session_expiries) < cardinality(u.session_expiries) * 8
			 THEN 'compressed in the row'
			 ELSE 'in the row' END
	FROM authsessions_data.users u,
		LATERAL heap_page_items(get_raw_page('authsessions_data.users',
											 (u.ctid::text::point)[0]::integer)) AS p
	WHERE u.name = n AND p.lp = (u.ctid::text::point)[1] $$;
SELECT n AS name, s.* FROM unnest(ARRAY['many', 'same']) AS n, LATERAL pg_temp.storage(n) AS s;
SELECT g.name, jsonb_array_length(authsessions.user_sessions(g.guid, 1, 1000)) AS user_sessions,
	(SELECT count(*) FROM authsessions_data.sessions s
	 WHERE s.user_id = g.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS active
FROM authsessions_data.users g WHERE g.name IN ('same', 'many') ORDER BY g.name;
SELECT jsonb_agg(jsonb_build_array(e ->> 'UserName', e -> 'SessionCount')) AS counts
FROM jsonb_array_elements(authsessions.list()) AS e;
SELECT * FROM pg_temp.summary_mismatch();
-- a writer rewrites it out of line too, without the past elements
SELECT authsessions.revoke(max(id)) FROM authsessions_data.sessions
WHERE smartphone LIKE 'many%' AND revoked_at IS NULL AND expires_at > now();
SELECT * FROM pg_temp.storage('many');
SELECT e -> 'SessionCount' AS many_count
FROM jsonb_array_elements(authsessions.list()) AS e WHERE e ->> 'UserName' = 'many';
SELECT * FROM pg_temp.summary_mismatch();

-- delete_user takes the summary with the row
SELECT authsessions.delete_user('00000000-0000-4000-8000-0000000000a1');
SELECT count(*) AS users FROM authsessions_data.users;

DROP EXTENSION authsessions;
DROP EXTENSION pageinspect;
DROP ROLE regress_summary;
