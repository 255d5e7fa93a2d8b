-- purge(older_than, batch): delete up to batch sessions that expired or were
-- revoked (or logged out) more than older_than ago; returns how many.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- pg_temp.resync_summary(): the fixtures below edit sessions by hand
\i sql/include/summary.sql

-- Time travel without sleeping: move every timestamp of some sessions back,
-- as if they had been created (and touched, revoked...) that long ago.
CREATE FUNCTION pg_temp.travel(ids bigint[], back interval) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	sets text;
BEGIN
	SELECT string_agg(format('%1$I = %1$I - $2', attname), ', ') INTO sets
	FROM pg_attribute
	WHERE attrelid = 'authsessions_data.sessions'::regclass AND attnum > 0
		AND NOT attisdropped AND atttypid = 'timestamptz'::regtype;
	EXECUTE format('UPDATE authsessions_data.sessions SET %s WHERE id = ANY ($1)', sets)
	USING ids, back;
	-- and the users' session summary, as the writers would have kept it
	PERFORM pg_temp.resync_summary();
END
$$;
-- a session of user u with label l and the given ttl; returns its ID
CREATE FUNCTION pg_temp.sess(u uuid, l text, t interval) RETURNS bigint
LANGUAGE sql AS $$ SELECT (authsessions.create_session(u, l, ttl => t) ->> 'ID')::bigint $$;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;

-- Nothing to purge in an empty store.
SELECT authsessions.purge() AS purged, pg_typeof(authsessions.purge()) AS type;

-- The fixture, by what ended when:
SELECT pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'expired 8 days ago', '1 hour') AS s1,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'expired 6 days ago', '1 hour') AS s2,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'revoked 8 days ago', '48 hours') AS s3,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'revoked 6 days ago', '48 hours') AS s4,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'active, made 10 days ago, 400-day ttl', '400 days') AS s5,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'active, made 30 days ago, touched since', '1 day') AS s6,
	pg_temp.sess('90b10bb2-8c70-456f-b960-2251ae6d8778', 'expired 10 days ago', '1 hour') AS s8,
	pg_temp.sess('83bde819-ec08-4cee-b635-884145630d0b', 'active, new', NULL) AS s9
\gset
SELECT s ->> 'ID' AS s7, s ->> 'Token' AS tok7
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'logged out 8 days ago') AS s \gset
SELECT authsessions.revoke(:s3), authsessions.revoke(:s4), authsessions.end_session(:'tok7');
SELECT pg_temp.travel(ARRAY[:s1], '8 days 1 hour'), pg_temp.travel(ARRAY[:s2], '6 days 1 hour'),
	pg_temp.travel(ARRAY[:s3, :s7], '8 days'), pg_temp.travel(ARRAY[:s4], '6 days'),
	pg_temp.travel(ARRAY[:s5], '10 days'), pg_temp.travel(ARRAY[:s6], '30 days'),
	pg_temp.travel(ARRAY[:s8], '10 days 1 hour');
-- s6 has been used all along: validate slid its expiry (last an hour ago)
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour',
	expires_at = now() + interval '23 hours' WHERE id = :s6;
SELECT pg_temp.resync_summary();
SELECT id, smartphone FROM authsessions_data.sessions ORDER BY id;
SELECT jsonb_path_query_array(authsessions.list(), '$[*].SessionCount') AS counts_before;

-- Default: ended more than 7 days ago.  A revoked or logged-out session goes
-- once the expiry it had when it ended is that old too (purge scans
-- purge_hint, which a revoke leaves alone so that it stays a HOT update):
-- "revoked 8 days ago" and "logged out 8 days ago" had 48-hour expiries,
-- only 6 days old, so they stay until a 5-day purge.
SELECT authsessions.purge() AS purged;
SELECT id, smartphone FROM authsessions_data.sessions ORDER BY id;
SELECT authsessions.purge() AS purged_again;
-- Shorter ages reach the more recent ends; active sessions always stay.
SELECT authsessions.purge('5 days') AS purged_5_days;
SELECT authsessions.purge(older_than => '0') AS purged_all_ended;
SELECT id, smartphone FROM authsessions_data.sessions ORDER BY id;
SELECT jsonb_path_query_array(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b'), '$[*].Smartphone') AS still_active;
SELECT authsessions.list() AS list_after;

-- A session that ended just now is not "more than 0 seconds ago" yet, in
-- this transaction.
BEGIN;
SELECT authsessions.revoke(:s9);
SELECT authsessions.purge('0') AS purged_same_transaction;
COMMIT;

-- batch: at most that many per call.
SELECT count(pg_temp.travel(ARRAY[pg_temp.sess('90b10bb2-8c70-456f-b960-2251ae6d8778', 'batch ' || i, '1 hour')], '9 days'))
	AS ended_sessions
FROM generate_series(1, 5) AS i;
SELECT authsessions.purge(batch => 2) AS first, authsessions.purge(NULL, 2) AS second,
	authsessions.purge('7 days', 2) AS third, authsessions.purge('7 days', 2) AS fourth;
SELECT count(*) AS batch_sessions_left FROM authsessions_data.sessions WHERE smartphone LIKE 'batch %';

-- NULL arguments mean the defaults (7 days, 10000).
SELECT pg_temp.travel(ARRAY[pg_temp.sess('90b10bb2-8c70-456f-b960-2251ae6d8778', 'ended 8 days ago', '1 hour')], '8 days 1 hour'),
	pg_temp.travel(ARRAY[pg_temp.sess('90b10bb2-8c70-456f-b960-2251ae6d8778', 'ended 6 days ago', '1 hour')], '6 days 1 hour');
SELECT authsessions.purge(NULL, NULL) AS purged_defaults;
SELECT smartphone FROM authsessions_data.sessions WHERE smartphone LIKE 'ended %';

-- Ages beyond the calendar purge nothing, without error.
SELECT authsessions.purge('3000000 days') AS huge, authsessions.purge('2147483647 days') AS largest;

-- Bad arguments: 22023.
SELECT authsessions.purge('-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('1 month');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('1 year');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('0.5 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge(batch => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge(batch => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge(batch => 1000001);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge(batch => 1000000) AS largest_batch;

-- A writer: refused in a read-only transaction; nothing purged.
SELECT pg_temp.travel(ARRAY[pg_temp.sess('90b10bb2-8c70-456f-b960-2251ae6d8778', 'read only', '1 hour')], '30 days');
BEGIN READ ONLY;
SELECT authsessions.purge();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.purge('-1 day');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS not_purged FROM authsessions_data.sessions WHERE smartphone = 'read only';
SELECT authsessions.purge() AS purged_later;

DROP EXTENSION authsessions;
