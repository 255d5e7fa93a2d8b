-- Why a session ended: sessions.end_reason, set by every writer that ends a
-- session (revoked, logout, evicted; delete_user deletes the sessions), and
-- ended_sessions(guid, page, page_size), one user's ended sessions not yet
-- purged, latest EndedAt first, then highest ID.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- request.headers as PostgREST sets it, with a bearer JWT (self-service)
CREATE FUNCTION pg_temp.bearer(jwt text) RETURNS boolean LANGUAGE sql AS $$
	SELECT set_config('request.headers',
		json_build_object('authorization', 'Bearer ' || jwt)::text, false) IS NOT NULL $$;
-- the user's ended sessions as the table has them, in ended_sessions' order
CREATE FUNCTION pg_temp.reference(g uuid) RETURNS jsonb LANGUAGE sql AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('ID', s.id,
			'EndedAt', to_char(coalesce(s.revoked_at, s.expires_at) AT TIME ZONE 'UTC',
				'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
			'EndedBy', s.revoked_by, 'EndReason', s.end_reason)
		ORDER BY coalesce(s.revoked_at, s.expires_at) DESC, s.id DESC), '[]')
	FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
	WHERE u.guid = g AND (s.revoked_at IS NOT NULL OR s.expires_at <= now()) $$;

-- The column: a domain restricted to the four reasons, NULL by default.
SELECT a.attnum = (SELECT max(attnum) FROM pg_attribute WHERE attrelid = a.attrelid) AS last_column,
	format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.atthasdef
FROM pg_attribute a
WHERE a.attrelid = 'authsessions_data.sessions'::regclass AND a.attname = 'end_reason';
SELECT pg_get_constraintdef(c.oid) AS domain_check
FROM pg_constraint c WHERE c.contypid = 'authsessions_data.end_reason'::regtype;
-- Markings: a reader like user_sessions.
SELECT provolatile, proparallel, prosecdef, proconfig, proisstrict,
	has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute,
	obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p WHERE p.oid = 'authsessions.ended_sessions(uuid, integer, integer)'::regprocedure;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', false) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;
-- user: sessions 1 to 9
SELECT count(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u' || i)) AS sessions
FROM generate_series(1, 9) AS i;
SELECT (authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'other') ->> 'ID') AS other_id;
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS none_ended_yet;

-- Each writer, with the reason it records (revoked_by as the audit has it).
SELECT authsessions.revoke(1);
-- end_session needs the token: make session 11 for it
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u11') ->> 'Token' AS tok11 \gset
SELECT authsessions.end_session(:'tok11');
-- self-service: revoke_my_session, logout, revoke_my_other_sessions
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u12') ->> 'Token' AS tok12 \gset
SELECT pg_temp.bearer(authsessions.issue_jwt(:'tok12') ->> 'JWT');
SELECT authsessions.revoke_my_session(2);
SELECT authsessions.logout();
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u13') ->> 'Token' AS tok13 \gset
SELECT pg_temp.bearer(authsessions.issue_jwt(:'tok13') ->> 'JWT');
-- ends 3 to 9 but keeps 13
SELECT authsessions.revoke_my_other_sessions();
SELECT set_config('request.headers', '', false) = '' AS headers_reset;
-- an eviction: the cap of 1 ends 13 for session 14
SET authsessions.max_sessions_per_user = 1;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u14') ->> 'ID' AS evicting_id;
RESET authsessions.max_sessions_per_user;
-- revoke_user ends 14 and 15
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u15') ->> 'ID' AS id15;
SELECT authsessions.revoke_user('83bde819-ec08-4cee-b635-884145630d0b');
-- session 16 expires (by hand, as time would), 17 stays active
SELECT count(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'u' || i)) AS two_more
FROM generate_series(16, 17) AS i;
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 minute' WHERE id = 16;

-- What each writer stored: the reason set with revoked_at, never without.
SELECT id, smartphone, revoked_by, end_reason, revoked_at IS NOT NULL AS ended
FROM authsessions_data.sessions ORDER BY id;
SELECT count(*) AS reason_without_revoked_at
FROM authsessions_data.sessions WHERE end_reason IS NOT NULL AND revoked_at IS NULL;

-- Fixed times, so that the order and the JSON are exact: 1 the oldest end,
-- 11 (logout) and 12 share one, 16 expired latest.
\i sql/include/summary.sql
UPDATE authsessions_data.sessions s SET revoked_at = t.at::timestamptz
FROM (VALUES
	(1, '2020-09-21 10:42:50+00'), (2, '2020-09-22 00:00:00+00'),
	(3, '2020-09-23 00:00:00+00'), (4, '2020-09-23 00:00:01+00'),
	(5, '2020-09-23 00:00:02+00'), (6, '2020-09-23 00:00:03+00'),
	(7, '2020-09-23 00:00:04+00'), (8, '2020-09-23 00:00:05+00'),
	(9, '2020-09-23 00:00:06+00'), (11, '2020-09-24 12:00:00+00'),
	(12, '2020-09-24 12:00:00+00'), (13, '2020-09-25 00:00:00+00'),
	(14, '2020-09-26 00:00:00+00'), (15, '2020-09-26 00:00:00.5+00')
) AS t(id, at) WHERE s.id = t.id;
UPDATE authsessions_data.sessions SET expires_at = '2020-09-27 08:30:00.999+00' WHERE id = 16;
SELECT pg_temp.resync_summary();

-- Exact JSON, in order: an expired session has its expiry and two nulls.
SELECT o, e FROM jsonb_array_elements(authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b'))
	WITH ORDINALITY AS x(e, o);
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') = pg_temp.reference('83bde819-ec08-4cee-b635-884145630d0b')
	AS agrees_with_table;
-- exactly these keys, and their JSON types
SELECT DISTINCT (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(e) AS k) AS keys,
	jsonb_typeof(e -> 'ID') AS id_t, jsonb_typeof(e -> 'EndedAt') AS at_t
FROM jsonb_array_elements(authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS e;
-- written in jsonb's own format (jsonout.c): byte for byte what PostgreSQL
-- makes of its text (sql/json_format.sql), nulls and strings mixed
CREATE CAST (jsonb AS bytea) WITHOUT FUNCTION;
SELECT j::bytea = (j::text::jsonb)::bytea AS same_bytes, j = j::text::jsonb AS same_value
FROM authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS j;
DROP CAST (jsonb AS bytea);
-- the other user's ended sessions: none
SELECT authsessions.ended_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778') AS user2_none;

-- A session ended before 1.1 has no reason (NULL: unknown), its EndedBy kept.
UPDATE authsessions_data.sessions SET end_reason = NULL WHERE id = 1;
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> -1 AS pre_1_1_end;
-- The domain refuses any other value (23514); a writer's value passes.
UPDATE authsessions_data.sessions SET end_reason = 'expired' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.sessions SET end_reason = '' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.sessions SET end_reason = 'user_deleted' WHERE id = 1 RETURNING end_reason;

-- NULL page and page_size mean their defaults; named arguments bind.
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL) =
	authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS nulls_are_defaults,
	authsessions.ended_sessions(guid => '83bde819-ec08-4cee-b635-884145630d0b', page => 1, page_size => 50) =
	authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS named;
-- Paging.
SELECT p, jsonb_path_query_array(authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', p, 4), '$[*].ID') AS ids
FROM generate_series(1, 5) AS p;
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 2147483647) AS last_page_50,
	authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 2147483647, 1000) AS last_page_1000;

-- Prefer: count=exact: Content-Range and status as user_sessions sets them.
PREPARE call_ended(text, int, int) AS
	SELECT set_config('request.headers', $1, true) IS NOT NULL AS headers_set,
		jsonb_array_length(authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', $2, $3)) AS rows,
		current_setting('response.headers', true) AS headers,
		current_setting('response.status', true) AS status;
BEGIN;
EXECUTE call_ended('{"prefer": "count=exact"}', 2, 5);
COMMIT;
BEGIN;
EXECUTE call_ended('{"prefer": "count=exact"}', 1, 50);
COMMIT;
BEGIN;
EXECUTE call_ended('{"prefer": "count=exact"}', 9, 5);
COMMIT;
BEGIN;
EXECUTE call_ended('{}', 1, 5);
COMMIT;

-- Unknown user: [] (as user_sessions); NULL guid: 22004; bad page or
-- page_size: 22023, also for an unknown user.
SELECT authsessions.ended_sessions('ffffffff-ffff-4fff-bfff-ffffffffffff') AS unknown;
SELECT authsessions.ended_sessions(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions(NULL, 1, 50);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 1001);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('ffffffff-ffff-4fff-bfff-ffffffffffff', 0);
\echo :LAST_ERROR_SQLSTATE

-- A reader: fine in a read-only transaction; writes nothing.
BEGIN READ ONLY;
SELECT jsonb_array_length(authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS read_only_ok;
COMMIT;

-- delete_user: the cascade deletes the sessions, so user_deleted is never
-- stored (the notification carries it, sql/notify.sql); the user is gone.
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'doomed') ->> 'ID' AS doomed_id;
SELECT authsessions.revoke(10);
SELECT jsonb_array_length(authsessions.ended_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778')) AS before_delete;
SELECT authsessions.delete_user('90b10bb2-8c70-456f-b960-2251ae6d8778');
SELECT authsessions.ended_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778') AS after_delete,
	(SELECT count(*) FROM authsessions_data.sessions WHERE user_guid = '90b10bb2-8c70-456f-b960-2251ae6d8778') AS rows_left;

-- One user with 2,000 sessions, 1,999 ended (1,000 revoked, 999 expired),
-- another with 50 ended: every page agrees with the table, and the call
-- reads the user's rows only, through sessions_user_id_idx.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000005', 'busy') > 0 AS busy;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000006', 'quiet') > 0 AS quiet;
SELECT count(authsessions.create_session('00000000-0000-4000-8000-000000000005')) AS busy_sessions
FROM generate_series(1, 2000);
SELECT count(authsessions.create_session('00000000-0000-4000-8000-000000000006')) AS quiet_sessions
FROM generate_series(1, 50);
SELECT authsessions.revoke_user('00000000-0000-4000-8000-000000000006');
SELECT min(id) AS busy_first FROM authsessions_data.sessions WHERE user_name = 'busy' \gset
SELECT count(authsessions.revoke(id)) AS revoked
FROM authsessions_data.sessions WHERE user_name = 'busy' AND id < :busy_first + 1000;
UPDATE authsessions_data.sessions
SET expires_at = '2021-01-01 00:00:00+00'::timestamptz + (id - :busy_first) * interval '1 second'
WHERE user_name = 'busy' AND id >= :busy_first + 1000 AND id < :busy_first + 1999;
UPDATE authsessions_data.sessions
SET revoked_at = '2020-01-01 00:00:00+00'::timestamptz + (id - :busy_first) * interval '1 second'
WHERE user_name = 'busy' AND id < :busy_first + 1000;
-- 16 revokes at one moment, the latest: ties broken by ID
UPDATE authsessions_data.sessions SET revoked_at = '2022-01-01 00:00:00+00'
WHERE user_name = 'busy' AND id < :busy_first + 16;
SELECT pg_temp.resync_summary();
SELECT jsonb_array_length(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 1, 1000)) AS page1,
	jsonb_array_length(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 2, 1000)) AS page2,
	jsonb_array_length(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 3, 1000)) AS page3;
SELECT (SELECT jsonb_agg(e ORDER BY p, o) FROM generate_series(1, 40) AS p,
		jsonb_array_elements(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', p, 50))
		WITH ORDINALITY AS x(e, o))
	= pg_temp.reference('00000000-0000-4000-8000-000000000005') AS pages_of_50_agree,
	(SELECT jsonb_agg(e ORDER BY p, o) FROM generate_series(1, 2) AS p,
		jsonb_array_elements(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', p, 1000))
		WITH ORDINALITY AS x(e, o))
	= pg_temp.reference('00000000-0000-4000-8000-000000000005') AS pages_of_1000_agree;
CREATE CAST (jsonb AS bytea) WITHOUT FUNCTION;
SELECT j::bytea = (j::text::jsonb)::bytea AS same_bytes_1000, j -> 999 = j::text::jsonb -> 999 AS last_element
FROM authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 1, 1000) AS j;
DROP CAST (jsonb AS bytea);
SELECT jsonb_path_query_array(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 1, 3), '$[*].EndReason') AS newest_three,
	jsonb_path_query_array(authsessions.ended_sessions('00000000-0000-4000-8000-000000000005', 1, 3), '$[*].ID')
	= jsonb_build_array(:busy_first + 15, :busy_first + 14, :busy_first + 13) AS ties_by_id;
CREATE TEMP VIEW sessions_reads AS
	SELECT pg_stat_get_xact_numscans('authsessions_data.sessions'::regclass) AS seq,
		pg_stat_get_xact_numscans('authsessions_data.sessions_user_id_idx'::regclass) AS idx,
		pg_stat_get_xact_tuples_fetched('authsessions_data.sessions_user_id_idx'::regclass) AS fetched;
BEGIN;
SELECT seq AS s0, idx AS i0, fetched AS f0 FROM sessions_reads \gset
SELECT jsonb_array_length(authsessions.ended_sessions('00000000-0000-4000-8000-000000000006')) AS quiet_ended;
SELECT seq - :s0 AS table_scans, idx - :i0 AS index_scans, fetched - :f0 AS rows_fetched FROM sessions_reads;
COMMIT;
DROP VIEW sessions_reads;

-- Privileges: nobody may call it until granted; a role granted EXECUTE on it
-- alone reads (SECURITY INVOKER, through the access methods: no table
-- privilege needed), and nothing else.
CREATE ROLE regress_ended_admin;
CREATE ROLE regress_ended_nobody;
GRANT USAGE ON SCHEMA authsessions TO regress_ended_admin, regress_ended_nobody;
GRANT EXECUTE ON FUNCTION authsessions.ended_sessions(uuid, integer, integer) TO regress_ended_admin;
SET ROLE regress_ended_nobody;
SELECT authsessions.ended_sessions('00000000-0000-4000-8000-000000000006');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_ended_admin;
SELECT jsonb_array_length(authsessions.ended_sessions('00000000-0000-4000-8000-000000000006')) AS admin_reads;
SELECT count(*) FROM authsessions_data.sessions;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

DROP EXTENSION authsessions;
DROP ROLE regress_ended_admin;
DROP ROLE regress_ended_nobody;
