-- user_sessions reads a user's session rows newest first and stops once it
-- has found as many active sessions as the user's summary
-- (users.session_expiries) holds active expiries, each matching one of
-- them.  The rows it fetched show in the transaction's statistics of
-- sessions_user_id_idx (pg_stat_get_xact_tuples_fetched).  Whatever the
-- order of the rows, duplicate expiries, an expiry changed around the API
-- or a malformed summary, the answer is every active session; only a
-- summary that misses an active session (a row written around the API)
-- hides it, from list too, until repair_summary.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
\i sql/include/summary.sql
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'ann') AS ann,
	   authsessions.upsert_user('00000000-0000-4000-8000-000000000002', 'bob') AS bob;

-- ids, and the rows fetched, of one call to user_sessions
CREATE FUNCTION pg_temp.sessions_of(guid uuid, OUT ids text, OUT rows_read bigint)
LANGUAGE plpgsql AS $$
DECLARE
	before bigint := pg_stat_get_xact_tuples_fetched('authsessions_data.sessions_user_id_idx'::regclass);
BEGIN
	SELECT coalesce(string_agg(e ->> 'ID', ',' ORDER BY (e ->> 'ID')::int), '')
	INTO ids FROM jsonb_array_elements(authsessions.user_sessions(guid)) AS e;
	rows_read := pg_stat_get_xact_tuples_fetched('authsessions_data.sessions_user_id_idx'::regclass) - before;
END $$;

-- Ann: 6 logins (IDs 1 to 6, each with a ttl of its own, so each has
-- its own expiry); the 3 newest revoked.  The active ones are the oldest
-- rows: every row is read.
SELECT count(*) FROM (SELECT authsessions.create_session('00000000-0000-4000-8000-000000000001', ttl => make_interval(mins => 10 + i)) FROM generate_series(1, 6) AS i) s;
SELECT authsessions.revoke(id) FROM generate_series(4, 6) AS id;
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');
-- Ann logs in twice more (7, 8): the two newest rows are active, the
-- older active ones too: still every active row is found.
SELECT count(*) FROM (SELECT authsessions.create_session('00000000-0000-4000-8000-000000000001') FROM generate_series(1, 2)) s;
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');
-- the old ones end: the two newest rows are read, nothing else
SELECT authsessions.revoke(id) FROM generate_series(1, 3) AS id;
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');

-- Bob: sessions 9 and 10 made in one statement share their expiry (now()
-- and the same ttl): each matches one element of the summary.
SELECT count(*) FROM (SELECT authsessions.create_session('00000000-0000-4000-8000-000000000002') FROM generate_series(1, 2)) s;
SELECT count(DISTINCT expires_at) AS distinct_expiries FROM authsessions_data.sessions WHERE id IN (9, 10);
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000002');
-- Bob ends both: his summary has no active expiry, no row is read
UPDATE authsessions_data.sessions SET revoked_at = now() WHERE id IN (9, 10);
SELECT pg_temp.resync_summary();
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000002');

-- An expiry changed around the API (as a DBA's trigger might): the row
-- matches no element, so every row is read, and the answer stays whole.
UPDATE authsessions_data.sessions SET expires_at = expires_at + interval '1 hour' WHERE id = 8;
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');

-- A malformed summary: list raises XX001, user_sessions reads every row.
UPDATE authsessions_data.users SET session_expiries = session_expiries || NULL::timestamptz WHERE name = 'ann';
SELECT authsessions.list();
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');

-- A summary that misses an active session (emptied around the API): list
-- and user_sessions both go by it, until repair_summary.
UPDATE authsessions_data.users SET session_expiries = '{}' WHERE name = 'ann';
SELECT authsessions.list();
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');
SELECT authsessions.repair_summary() AS repaired;
SELECT * FROM pg_temp.sessions_of('00000000-0000-4000-8000-000000000001');
SELECT * FROM pg_temp.summary_mismatch();
DROP EXTENSION authsessions;
