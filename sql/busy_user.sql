-- One busy user: 2,400 logins not yet purged (500 revoked, 400 expired), the
-- cap off.  Its summary is stored out of line (TOAST) and list, every kind
-- of page and count=exact, and user_sessions still answer exactly, for it
-- and for the users around it (1.0 raised XX001 for every page reaching it).
\set VERBOSITY terse
CREATE EXTENSION authsessions;
SHOW authsessions.max_sessions_per_user;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-00000000000a', 'alice') IS NOT NULL AS alice,
	authsessions.upsert_user('00000000-0000-4000-8000-00000000000b', 'busy') AS busy,
	authsessions.upsert_user('00000000-0000-4000-8000-00000000000c', 'carol') IS NOT NULL AS carol \gset
SELECT count(authsessions.create_session(g)) AS neighbours
FROM (VALUES ('00000000-0000-4000-8000-00000000000a'::uuid),
			 ('00000000-0000-4000-8000-00000000000c')) AS v (g);

-- 400 short sessions (1 s), then 2,000 of a day or two (expiries that
-- differ, as those of logins over time do); 500 of those revoked.
DO $$
BEGIN
	FOR i IN 1..400 LOOP
		PERFORM authsessions.create_session('00000000-0000-4000-8000-00000000000b', ttl => '1 second');
	END LOOP;
END $$;
SELECT pg_sleep(1.2);
DO $$
BEGIN
	FOR i IN 1..2000 LOOP
		PERFORM authsessions.create_session('00000000-0000-4000-8000-00000000000b',
			ttl => make_interval(secs => 86400 + (i * 7919) % 86400));
	END LOOP;
END $$;
SELECT count(authsessions.revoke(s.id)) AS revoked
FROM (SELECT id FROM authsessions_data.sessions
	  WHERE user_id = :busy AND expires_at > now() ORDER BY id LIMIT 500) AS s;

-- nothing purged: the busy user has 2,400 session rows, 1,500 active
SELECT count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL AND expires_at > now()) AS active
FROM authsessions_data.sessions WHERE user_id = :busy;
-- its summary holds the active sessions only (the writers prune it), out of
-- line: the users table's TOAST relation has data
SELECT cardinality(session_expiries) AS summary_elements FROM authsessions_data.users WHERE id = :busy;
SELECT pg_relation_size(reltoastrelid) > 0 AS toasted,
	(SELECT pg_column_size(session_expiries) < 8 * 1500 FROM authsessions_data.users WHERE id = :busy) AS compressed
FROM pg_class WHERE oid = 'authsessions_data.users'::regclass;

-- list: the first page, pages by number, keyset pages
SELECT authsessions.list();
SELECT authsessions.list(2, 1);
SELECT authsessions.list(page => 1, page_size => 1, after => '00000000-0000-4000-8000-00000000000a');
SELECT authsessions.list(3, 1);
SELECT authsessions.list(4, 1);
-- count=exact
BEGIN;
SELECT set_config('request.headers', '{"prefer": "count=exact"}', true) IS NOT NULL AS headers_set;
SELECT jsonb_array_length(authsessions.list(1, 2)) AS rows,
	current_setting('response.headers') AS headers;
SELECT jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-00000000000b', 2, 1000)) AS rows,
	current_setting('response.headers') AS headers;
COMMIT;

-- user_sessions: every active session once, newest first, none ended
WITH p AS (
	SELECT e FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-00000000000b', 1, 1000)) AS e
	UNION ALL
	SELECT e FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-00000000000b', 2, 1000)) AS e)
SELECT count(*) AS listed, count(DISTINCT e ->> 'ID') AS distinct_ids,
	bool_and(s.revoked_at IS NULL AND s.expires_at > now()) AS all_active
FROM p JOIN authsessions_data.sessions s ON s.id = (p.e ->> 'ID')::bigint;

-- a login rewrites the summary: still pruned, one more element
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000000b') IS NOT NULL AS login;
SELECT cardinality(session_expiries) AS summary_elements,
	(SELECT count(*) FROM unnest(session_expiries) AS e WHERE e <= now()) AS past_elements
FROM authsessions_data.users WHERE id = :busy;
SELECT authsessions.list() -> 1 -> 'SessionCount' AS busy_count;
-- the summary is right: repair_summary finds nothing to do
SELECT authsessions.repair_summary() AS repaired;

DROP EXTENSION authsessions;
