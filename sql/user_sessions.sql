-- user_sessions(guid, page, page_size): one user's active sessions, newest
-- LastUpdated first, then highest ID.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;
-- user: sessions 1 to 6; user2: session 7.
SELECT count(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', p, o, a)) AS sessions
FROM (VALUES
	('-', 'Other- v. ', 'Other- v. '),
	('Pixel 7', 'Android v. 14', NULL),
	(NULL, NULL, NULL),
	('iPhone 14', 'iOS v. 17.1', 'Mobile v. 3.2'),
	('revoked', NULL, NULL),
	('expired', NULL, NULL)
) AS s(p, o, a);
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'other user') ->> 'ID' AS other_id;
-- Fixed times: 2 and 3 share a LastUpdated (the higher ID comes first).
UPDATE authsessions_data.sessions s SET last_updated = t.lu::timestamptz, expires_at = t.ex::timestamptz
FROM (VALUES
	(1, '2020-09-21 10:42:50+00', '2999-09-23 10:42:50+00'),
	(2, '2020-09-22 08:00:00+00', '2999-01-01 00:00:00+00'),
	(3, '2020-09-22 08:00:00+00', '2999-01-02 00:00:00+00'),
	(4, '2019-12-31 23:59:59+00', '2999-12-31 23:59:59+00'),
	(5, '2020-09-23 00:00:00+00', '2999-01-01 00:00:00+00'),
	(6, '2020-09-23 00:00:00+00', '2999-01-01 00:00:00+00')
) AS t(id, lu, ex) WHERE s.id = t.id;
SELECT authsessions.revoke(5);
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = 6;
-- the writers keep list()'s summary (users.session_expiries) as the
-- sessions are; these edits by hand put it right themselves
\i sql/include/summary.sql
SELECT pg_temp.resync_summary();

-- Exact JSON, in order; nullable device fields are JSON null.
SELECT o, e FROM jsonb_array_elements(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b'))
	WITH ORDINALITY AS x(e, o);
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> 2 = '{
	"ID": 1, "UserID": 1, "UserGuid": "83bde819-ec08-4cee-b635-884145630d0b",
	"LastUpdated": "2020-09-21T10:42:50Z", "ExpirationDate": "2999-09-23T10:42:50Z",
	"UserName": "user", "IsOperator": true,
	"Smartphone": "-", "OperatingSystem": "Other- v. ", "Application": "Other- v. "}'::jsonb AS documented_shape;
-- exactly the documented keys, every element
SELECT DISTINCT (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(e) AS k) AS keys
FROM jsonb_array_elements(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS e;
-- JSON types: numbers, strings, booleans, and null (never the string "null")
SELECT e -> 'ID' AS id, jsonb_typeof(e -> 'ID') AS id_t, jsonb_typeof(e -> 'UserID') AS userid_t,
	jsonb_typeof(e -> 'UserGuid') AS guid_t, jsonb_typeof(e -> 'LastUpdated') AS lu_t,
	jsonb_typeof(e -> 'ExpirationDate') AS exp_t, jsonb_typeof(e -> 'UserName') AS name_t,
	jsonb_typeof(e -> 'IsOperator') AS op_t, jsonb_typeof(e -> 'Smartphone') AS phone_t,
	jsonb_typeof(e -> 'OperatingSystem') AS os_t, jsonb_typeof(e -> 'Application') AS app_t
FROM jsonb_array_elements(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS e;

-- NULL page and page_size mean their defaults; named arguments bind.
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL) =
	authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS nulls_are_defaults,
	authsessions.user_sessions(guid => '83bde819-ec08-4cee-b635-884145630d0b', page => 1, page_size => 50) =
	authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS named;

-- Paging.
SELECT p, jsonb_path_query_array(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', p, 3), '$[*].ID') AS ids
FROM generate_series(1, 3) AS p;
SELECT p, jsonb_path_query_array(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', p, 1), '$[*].ID') AS ids
FROM generate_series(1, 5) AS p;
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 2147483647) AS last_page_50,
	authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 2147483647, 1000) AS last_page_1000;

-- The order follows LastUpdated: a touch moves a session to the front.
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'newer') AS s \gset
UPDATE authsessions_data.sessions SET last_updated = '2020-01-01 00:00:00+00', expires_at = now() + interval '1 hour'
WHERE smartphone = 'newer';
SELECT pg_temp.resync_summary();
SELECT jsonb_path_query_array(authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778'), '$[*].Smartphone') AS before_touch;
SELECT authsessions.validate(:'tok') IS NOT NULL AS touched;
SELECT jsonb_path_query_array(authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778'), '$[*].Smartphone') AS after_touch;

-- Unknown user, or one without active sessions: [].
SELECT authsessions.user_sessions('ffffffff-ffff-4fff-bfff-ffffffffffff') AS unknown;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000003', 'nobody') > 0 AS user3;
SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000003') AS no_sessions;

-- NULL guid: 22004; bad page or page_size: 22023.
SELECT authsessions.user_sessions(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions(NULL, 1, 50);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 1001);
\echo :LAST_ERROR_SQLSTATE
-- also for an unknown user
SELECT authsessions.user_sessions('ffffffff-ffff-4fff-bfff-ffffffffffff', 0);
\echo :LAST_ERROR_SQLSTATE

-- The answer comes from the user row and the user's sessions, read through
-- sessions_user_id_idx (not from a summary's copy of them, since 1.1): one
-- index scan, then the user's rows newest first until as many active ones
-- as the summary counts are found (sql/user_sessions_summary.sql), and none
-- of another user's.  Counted with the scans and fetches this transaction
-- made of the sessions table and its indexes.  user3 has 8 sessions, the 5
-- oldest ended, the 3 newest active: 3 rows are read.
SELECT count(authsessions.create_session('00000000-0000-4000-8000-000000000003', 'u3-' || i))
FROM generate_series(1, 8) AS i;
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 hour'
 WHERE smartphone IN ('u3-1', 'u3-2', 'u3-4');
UPDATE authsessions_data.sessions SET revoked_at = now() - interval '1 hour'
 WHERE smartphone IN ('u3-3', 'u3-5');
SELECT pg_temp.resync_summary();
SELECT count(*) AS mismatches FROM pg_temp.summary_mismatch();
CREATE TEMP VIEW sessions_scans AS
	SELECT sum(pg_stat_get_xact_numscans(c.oid)) AS n,
		pg_stat_get_xact_tuples_returned('authsessions_data.sessions_user_id_idx'::regclass) AS entries,
		pg_stat_get_xact_tuples_fetched('authsessions_data.sessions_user_id_idx'::regclass) AS fetched
	FROM pg_class c
	WHERE c.oid = 'authsessions_data.sessions'::regclass
	   OR c.oid IN (SELECT i.indexrelid FROM pg_index i
					WHERE i.indrelid = 'authsessions_data.sessions'::regclass);
BEGIN;
SELECT n AS n0, entries AS e0, fetched AS f0 FROM sessions_scans \gset
SELECT jsonb_path_query_array(authsessions.user_sessions('00000000-0000-4000-8000-000000000003'),
	'$[*].Smartphone') AS user3_active;
SELECT n - :n0 AS sessions_scans, entries - :e0 AS index_entries, fetched - :f0 AS rows_fetched
FROM sessions_scans;
COMMIT;
-- the view does see the scans of a query
BEGIN;
SELECT n AS n0 FROM sessions_scans \gset
SELECT count(*) AS user3_sessions FROM authsessions_data.sessions
 WHERE user_id = (SELECT id FROM authsessions_data.users WHERE name = 'nobody');
SELECT n - :n0 > 0 AS query_scans_counted FROM sessions_scans;
COMMIT;
DROP VIEW sessions_scans;
-- user4's two sessions are revoked: none active, and its summary empty.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', 'user4') > 0 AS user4;
SELECT count(authsessions.revoke((authsessions.create_session(
		'00000000-0000-4000-8000-000000000004', 'u4-' || i) ->> 'ID')::bigint))
FROM generate_series(1, 2) AS i;
SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000004') AS none_active,
	(SELECT session_expiries FROM authsessions_data.users WHERE name = 'user4') AS user4_expiries;

-- The summary cannot break user_sessions any more (1.0 answered from a
-- summary of the sessions, and a malformed one raised XX001 here; list
-- still reports a malformed session_expiries: sql/summary.sql).  Edited by
-- hand, session_expiries only bounds the rows read: an expiry of no
-- session, or a malformed array, makes user_sessions read every row, and
-- the answer is the user's active sessions as the sessions table has them,
-- for "user" (4 active) and user4 (none); a summary that lost active
-- expiries hides those sessions, from list as from user_sessions, until
-- repair_summary.
CREATE FUNCTION pg_temp.agrees(g uuid) RETURNS boolean
LANGUAGE sql AS $$
	SELECT jsonb_path_query_array(authsessions.user_sessions(g), '$[*].ID') =
		(SELECT coalesce(jsonb_agg(s.id ORDER BY s.last_updated DESC, s.id DESC), '[]')
		 FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
		 WHERE u.guid = g AND s.revoked_at IS NULL AND s.expires_at > now()) $$;
CREATE FUNCTION pg_temp.both_agree() RETURNS TABLE (active integer, user_agrees boolean, user4_agrees boolean)
LANGUAGE sql AS $$
	SELECT jsonb_array_length(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')),
		pg_temp.agrees('83bde819-ec08-4cee-b635-884145630d0b'),
		pg_temp.agrees('00000000-0000-4000-8000-000000000004') $$;
-- an expiry of no session
UPDATE authsessions_data.users SET session_expiries = session_expiries || (now() + interval '1 day')
 WHERE name IN ('user', 'user4');
SELECT * FROM pg_temp.both_agree();
-- no expiry at all
UPDATE authsessions_data.users SET session_expiries = '{}' WHERE name IN ('user', 'user4');
SELECT * FROM pg_temp.both_agree();
-- a NULL element, then a 2-D array: malformed for list, not for user_sessions
UPDATE authsessions_data.users SET session_expiries = ARRAY[NULL::timestamptz]
 WHERE name IN ('user', 'user4');
SELECT * FROM pg_temp.both_agree();
SELECT authsessions.list();
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.users SET session_expiries = ARRAY[ARRAY[now() + interval '1 day']]
 WHERE name IN ('user', 'user4');
SELECT * FROM pg_temp.both_agree();
SELECT authsessions.repair_summary() AS repaired;
SELECT * FROM pg_temp.both_agree();
SELECT count(*) AS mismatches FROM pg_temp.summary_mismatch();

-- A reader: fine in a read-only transaction.
BEGIN READ ONLY;
SELECT jsonb_array_length(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS read_only_ok;
COMMIT;

-- The readers keep AccessShareLock on what they read until the transaction
-- ends, as a query does (a concurrent DROP or ALTER waits for the
-- transaction, not only for the call); they lock no row.
SELECT s ->> 'Token' AS lock_tok FROM authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'locks') AS s \gset
BEGIN;
SELECT jsonb_array_length(authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778')) > 0 AS read,
	jsonb_array_length(authsessions.list(1, 50, '83bde819-ec08-4cee-b635-884145630d0b')) >= 0 AS listed,
	authsessions.validate(:'lock_tok') IS NOT NULL AS validated;
SELECT c.relname, l.mode, l.granted FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'authsessions_data'::regnamespace
ORDER BY c.relname COLLATE "C";
SELECT count(*) AS row_locks FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'tuple';
COMMIT;
SELECT count(*) AS after_commit FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'authsessions_data'::regnamespace;

DROP EXTENSION authsessions;
