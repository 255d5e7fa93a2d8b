-- JSON exactly as documented: those keys and no others; JSON numbers,
-- booleans, strings and nulls; timestamps in UTC as 2020-09-21T10:42:50Z
-- whatever the session's TimeZone or DateStyle.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s AS created, s ->> 'Token' AS tok
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', '-', 'Other- v. ', 'Other- v. ') AS s \gset

-- Key sets, per function.
SELECT f, (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(j) AS k) AS keys
FROM (VALUES
	('create_session', :'created'::jsonb),
	('validate', authsessions.validate(:'tok')),
	('user_sessions[0]', authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> 0),
	('list[0]', authsessions.list() -> 0),
	('delete_user', authsessions.delete_user('00000000-0000-4000-8000-0000000000ff')),
	('end_session', authsessions.end_session('not a token'))
) AS x(f, j);
SELECT (SELECT array_agg(k ORDER BY k COLLATE "C")
	FROM jsonb_object_keys(authsessions.revoke((authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') ->> 'ID')::bigint)) AS k)
	AS revoke_keys;
SELECT jsonb_typeof(authsessions.list()) AS list, jsonb_typeof(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS user_sessions;

-- Types: the result of every function.
SELECT s ->> 'Token' AS tok, s ->> 'ID' AS id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT key, jsonb_typeof(value) AS type
FROM jsonb_each(authsessions.validate(:'tok')) ORDER BY key COLLATE "C";
SELECT key, jsonb_typeof(value) AS type
FROM jsonb_each(authsessions.list() -> 0) ORDER BY key COLLATE "C";
SELECT key, jsonb_typeof(value) AS type
FROM jsonb_each((SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b'))) ORDER BY key COLLATE "C";
SELECT authsessions.revoke(:id) AS revoke,
	authsessions.end_session(:'tok') AS end_session,
	authsessions.upsert_user('00000000-0000-4000-8000-000000000002', 'x') > 0 AS upserted,
	authsessions.delete_user('00000000-0000-4000-8000-000000000002') AS delete_user;
SELECT jsonb_typeof(authsessions.delete_user('00000000-0000-4000-8000-000000000002') -> 'Success') AS success_type;

-- Default lifetime: ExpirationDate - LastUpdated = 48 hours, everywhere.
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT (v ->> 'ExpirationDate')::timestamptz - (v ->> 'LastUpdated')::timestamptz = interval '48 hours' AS validate_48h
FROM authsessions.validate(:'tok') AS v;
SELECT bool_and((e ->> 'ExpirationDate')::timestamptz - (e ->> 'LastUpdated')::timestamptz = interval '48 hours') AS user_sessions_48h
FROM jsonb_array_elements(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS e;

-- Timestamps: UTC, to the second, "Z", whatever TimeZone and DateStyle.
-- Fixture: session 1 last updated 2020-09-21 10:42:50.4 UTC, expiring
-- 2999-09-23 10:42:50 UTC.
UPDATE authsessions_data.sessions SET last_updated = '2020-09-21 10:42:50.4+00',
	expires_at = '2999-09-23 10:42:50+00' WHERE id = 1;
-- (and the user's session summary, as the writers keep it)
\i sql/include/summary.sql
SELECT pg_temp.resync_summary();
PREPARE stamps AS
	SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds,
		v ->> 'LastUpdated' AS last_updated, v ->> 'ExpirationDate' AS expiration,
		v = authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> -1 AS same_in_user_sessions
	FROM authsessions.validate(:'created'::jsonb ->> 'Token') AS v;
SET TimeZone = 'PST8PDT';
SET DateStyle = 'Postgres, MDY';
EXECUTE stamps;
SET TimeZone = 'UTC';
EXECUTE stamps;
SET TimeZone = 'Asia/Kathmandu';
EXECUTE stamps;
SET TimeZone = 'America/St_Johns';
EXECUTE stamps;
SET TimeZone = 'Pacific/Kiritimati';
EXECUTE stamps;
SET TimeZone = '-12:00';
EXECUTE stamps;
SET DateStyle = 'SQL, DMY';
EXECUTE stamps;
SET DateStyle = 'German';
EXECUTE stamps;
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'Australia/Lord_Howe';
EXECUTE stamps;
-- A new session's ExpirationDate, in a far time zone: UTC, now + 48h.
SET TimeZone = 'Asia/Kathmandu';
SELECT s ->> 'ExpirationDate' = to_char((date_trunc('second', now()) + interval '48 hours') AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS utc_expiration,
	s ->> 'ExpirationDate' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' AS shape
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
RESET TimeZone;
RESET DateStyle;

-- Strings round-trip, with JSON escapes where needed; NULLs are JSON null.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000003',
	E'quote " backslash \\ tab \t newline \n unicode é 名 😀') > 0 AS upserted;
SELECT s ->> 'Token' AS tok3 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003',
	E'"phone"', E'os\\v1', E'app\u0001') AS s \gset
SELECT v ->> 'UserName' = E'quote " backslash \\ tab \t newline \n unicode é 名 😀' AS name_round_trip,
	v ->> 'Smartphone' = '"phone"' AS phone_round_trip,
	v ->> 'OperatingSystem' = E'os\\v1' AS os_round_trip,
	v ->> 'Application' = E'app\u0001' AS app_round_trip,
	v -> 'UserName' AS name_json, v -> 'Application' AS app_json
FROM authsessions.validate(:'tok3') AS v;
SELECT s ->> 'Token' AS tok4 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003') AS s \gset
SELECT v -> 'Smartphone' AS phone, v -> 'OperatingSystem' AS os, v -> 'Application' AS app,
	jsonb_typeof(v -> 'Smartphone') AS phone_type, v -> 'Smartphone' = 'null'::jsonb AS is_json_null
FROM authsessions.validate(:'tok4') AS v;
-- an empty device field is an empty string, not null
SELECT s ->> 'Token' AS tok5 FROM authsessions.create_session('00000000-0000-4000-8000-000000000003', '', '', '') AS s \gset
SELECT v -> 'Smartphone' AS phone, v -> 'OperatingSystem' AS os, v -> 'Application' AS app
FROM authsessions.validate(:'tok5') AS v;

-- Years outside 1000-9999 keep their digits (at least four), as to_char's
-- YYYY does; written by hand, with the summary put right.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000005', 'years') > 0 AS years_user;
SELECT authsessions.create_session('00000000-0000-4000-8000-000000000005', 'years') ->> 'ID' AS years_id \gset
UPDATE authsessions_data.sessions
   SET last_updated = '0999-03-04 05:06:07+00', expires_at = '10000-01-02 03:04:05+00'
 WHERE id = :years_id;
SELECT pg_temp.resync_summary();
SELECT e ->> 'LastUpdated' AS last_updated, e ->> 'ExpirationDate' AS expiration_date
FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-000000000005')) AS e;
UPDATE authsessions_data.sessions SET last_updated = '0001-01-01 00:00:00+00' WHERE id = :years_id;
SELECT pg_temp.resync_summary();
SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000005') -> 0 ->> 'LastUpdated' AS year_one;
SELECT authsessions.delete_user('00000000-0000-4000-8000-000000000005');

-- The results are written in jsonb's own format (jsonout.c): byte for byte
-- what PostgreSQL makes of their text, equal to it, and readable
-- by every operator, also past the 32nd element of an array, where jsonb
-- keeps an offset instead of a length (JB_OFFSET_STRIDE), and for counts
-- past the numbers as_json_int makes once per backend (0 to 255).
SELECT count(authsessions.upsert_user(g, 'stride-' || lpad(i::text, 3, '0'))) AS stride_users
FROM generate_series(1, 70) AS i,
	LATERAL (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(1000 + i), 12, '0'))::uuid AS g) AS u;
SELECT count(authsessions.create_session(('00000000-0000-4000-8000-' || lpad(to_hex(1000 + i), 12, '0'))::uuid,
		'phone ' || i)) AS stride_sessions
FROM generate_series(1, 70) AS i, generate_series(1, CASE WHEN i = 40 THEN 257 ELSE 1 END) AS n;
CREATE TEMP TABLE results AS
SELECT 'list' AS f, authsessions.list(1, 100) AS j
UNION ALL SELECT 'list keyset', authsessions.list(1, 60, '00000000-0000-4000-8000-0000000003e9')
UNION ALL SELECT 'user_sessions', authsessions.user_sessions('00000000-0000-4000-8000-000000000410', 1, 100)
UNION ALL SELECT 'create_session', authsessions.create_session('00000000-0000-4000-8000-0000000003e9', 'a', 'b', 'c')
UNION ALL SELECT 'validate', authsessions.validate(:'tok5')
UNION ALL SELECT 'revoke', authsessions.revoke((SELECT min(id) FROM authsessions_data.sessions WHERE revoked_at IS NULL))
UNION ALL SELECT 'user_sessions unknown', authsessions.user_sessions('00000000-0000-4000-8000-00000000ffff');
-- a cast that shows a jsonb's bytes, for this test only
CREATE CAST (jsonb AS bytea) WITHOUT FUNCTION;
SELECT f, jsonb_typeof(j) AS type, j::bytea = (j::text::jsonb)::bytea AS same_bytes,
	j = j::text::jsonb AS same_value
FROM results ORDER BY f;
DROP CAST (jsonb AS bytea);
SELECT jsonb_array_length(j) AS n, j -> 0 ->> 'UserName' AS first, j -> 31 ->> 'UserName' AS e31,
	j -> 32 ->> 'UserName' AS e32, j -> 33 ->> 'UserName' AS e33, j -> 64 ->> 'UserName' AS e64,
	j -> -1 ->> 'UserName' AS last, j -> 39 -> 'SessionCount' AS count_257,
	j @> '[{"UserName": "stride-070", "SessionCount": 1, "IsOperator": false}]' AS contains,
	jsonb_path_query_first(j, '$[*] ? (@.SessionCount > 256).UserName') AS by_path
FROM results WHERE f = 'list';
SELECT jsonb_array_length(j) AS n, j -> 0 ->> 'UserName' AS first, j -> 59 ->> 'UserName' AS last
FROM results WHERE f = 'list keyset';
SELECT jsonb_array_length(j) AS n, j -> 33 ->> 'Smartphone' AS e33_phone,
	(SELECT count(DISTINCT e ->> 'ID') FROM jsonb_array_elements(j) AS e) AS distinct_ids,
	(SELECT bool_and(e ->> 'UserName' = 'stride-040') FROM jsonb_array_elements(j) AS e) AS all_user
FROM results WHERE f = 'user_sessions';
SELECT j ->> 'ID' = (SELECT max(id)::text FROM authsessions_data.sessions) AS id_ok,
	length(j ->> 'Token') AS token_chars, j - 'Token' - 'ID' - 'ExpirationDate' = '{}' AS three_keys
FROM results WHERE f = 'create_session';
DROP TABLE results;

-- IDs are exact JSON numbers, also beyond 2^53 and at the int4 limit.
ALTER SEQUENCE authsessions_data.sessions_id_seq RESTART 9007199254740993;
ALTER SEQUENCE authsessions_data.users_id_seq RESTART 2147483647;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', 'big') AS big_user_id;
SELECT s -> 'ID' AS id, s -> 'ID' = '9007199254740993'::jsonb AS exact, s ->> 'Token' AS tok6
FROM authsessions.create_session('00000000-0000-4000-8000-000000000004') AS s \gset
\echo :id :exact
SELECT v -> 'ID' AS id, v -> 'UserID' AS user_id, jsonb_typeof(v -> 'ID') AS type,
	(v ->> 'ID')::numeric = 9007199254740993 AS exact_id
FROM authsessions.validate(:'tok6') AS v;
SELECT e -> 'SessionCount' AS count FROM jsonb_array_elements(authsessions.list()) AS e
WHERE e ->> 'UserName' = 'big';

DEALLOCATE stamps;
DROP EXTENSION authsessions;
