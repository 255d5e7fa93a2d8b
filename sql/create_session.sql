-- create_session(user_guid, smartphone, operating_system, application, ttl,
-- user_agent, ip): open a session, hand out its token once.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;

-- The result: exactly {"ID", "Token", "ExpirationDate"}; the token is never
-- printed (it is random), only checked.
SELECT s AS session, s ->> 'Token' AS tok, s ->> 'ID' AS id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b',
	'-', 'Other- v. ', 'Other- v. ', NULL, 'Mozilla/5.0 (X11)', '192.0.2.1') AS s \gset
SELECT array_agg(k ORDER BY k COLLATE "C") AS keys FROM jsonb_object_keys(:'session'::jsonb) AS k;
SELECT jsonb_typeof(s -> 'ID') AS id_type, jsonb_typeof(s -> 'Token') AS token_type,
	jsonb_typeof(s -> 'ExpirationDate') AS expiration_type,
	s -> 'ID' AS id
FROM (SELECT :'session'::jsonb AS s) x;

-- The token: 'as1_' (the format's version) and 51 URL-safe characters, a
-- 256-bit secret and the row's 6-byte locator; only the secret's SHA-256 is
-- stored.
SELECT length(:'tok') AS token_length, :'tok' ~ '^as1_[A-Za-z0-9_-]{51}$' AS url_safe;
SELECT s.token_hash = sha256(substr(decode(translate(substr(:'tok', 5), '-_', '+/') || '=', 'base64'), 1, 32)) AS hash_stored,
	length(s.token_hash) AS hash_bytes
FROM authsessions_data.sessions s WHERE s.id = :id;
SELECT count(*) AS rows_containing_token
FROM authsessions_data.sessions s
WHERE s::text LIKE '%' || :'tok' || '%'
	OR encode(s.token_hash, 'escape') LIKE '%' || :'tok' || '%';
-- the token validates, as the session just made
SELECT v ->> 'ID' = :'id' AS same_id, v ->> 'UserName' AS name
FROM authsessions.validate(:'tok') AS v;

-- What is stored: the device fields, user agent and address, the idle
-- timeout (48 hours by default), and times taken from the transaction.
SELECT smartphone, operating_system, application, user_agent, ip, idle_timeout,
	revoked_at, revoked_by, created_at = last_updated AS created_is_last_updated,
	extract(epoch FROM expires_at - last_updated) AS lifetime_seconds
FROM authsessions_data.sessions WHERE id = :id;

-- ExpirationDate is now + 48 hours (in UTC, to the second), also in the
-- stored row.
BEGIN;
SELECT s ->> 'ID' AS id2,
	(s ->> 'ExpirationDate')::timestamptz = date_trunc('second', now()) + interval '48 hours' AS expires_in_48h
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
\echo :expires_in_48h
SELECT last_updated = now() AS last_updated_now, expires_at = now() + interval '48 hours' AS expires_at_stored
FROM authsessions_data.sessions WHERE id = :id2;
COMMIT;

-- Every call makes a new session with a new token; IDs increase.
SELECT count(DISTINCT s ->> 'Token') AS distinct_tokens,
	count(DISTINCT (s ->> 'ID')::bigint) AS distinct_ids,
	bool_and(s ->> 'Token' ~ '^as1_[A-Za-z0-9_-]{51}$') AS all_url_safe,
	min((s ->> 'ID')::bigint) > :id2 AS ids_increase
FROM generate_series(1, 200) AS i,
	LATERAL authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', smartphone => 'phone ' || i) AS s;
SELECT count(DISTINCT token_hash) AS distinct_hashes FROM authsessions_data.sessions;
-- and the users show in list with their counts
SELECT jsonb_path_query_array(authsessions.list(), '$[*].SessionCount') AS counts;

-- ttl: this session's idle timeout, in exact seconds.
BEGIN;
SELECT t AS ttl,
	extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM unnest(ARRAY['1 second', '1 hour', '1 day', '1 day -1 hour', '2 days 3 hours 4 minutes 5 seconds',
	'400 days']::interval[]) WITH ORDINALITY AS t(t, o),
	LATERAL authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', application => 'ttl ' || o, ttl => t) AS s
ORDER BY o;
SELECT application, idle_timeout, expires_at = now() + make_interval(secs => idle_timeout) AS expires_at_stored
FROM authsessions_data.sessions WHERE application LIKE 'ttl %' ORDER BY id;
COMMIT;
-- a day is 86400 seconds whatever the time zone (no daylight-saving drift)
SET TimeZone = 'America/New_York';
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '30 days') AS s;
RESET TimeZone;
-- the session slides by its own idle timeout, not the default one
SELECT s ->> 'Token' AS tok3, s ->> 'ID' AS id3
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 hour') AS s \gset
UPDATE authsessions_data.sessions SET last_updated = last_updated - interval '30 minutes',
	expires_at = expires_at - interval '30 minutes' WHERE id = :id3;
SELECT (v ->> 'ExpirationDate')::timestamptz = date_trunc('second', now()) + interval '1 hour' AS slid_by_1h
FROM authsessions.validate(:'tok3') AS v;

-- Bad ttl: 22023, and no session made.
SELECT count(*) AS sessions_before FROM authsessions_data.sessions \gset
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 month');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '-1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '401 days');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :sessions_before AS no_session_made FROM authsessions_data.sessions;

-- Unknown user: PT404 err_UserNotFound.
\set VERBOSITY default
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000ff');
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE

-- NULL user_guid: 22004.
SELECT authsessions.create_session(NULL);
\echo :LAST_ERROR_SQLSTATE

-- Named arguments, as PostgREST binds them.
SELECT jsonb_typeof(authsessions.create_session(user_guid => '90b10bb2-8c70-456f-b960-2251ae6d8778',
	smartphone => 'Pixel 7', operating_system => 'Android v. 14', application => 'Mobile v. 3.2',
	ttl => '2 hours', user_agent => 'okhttp/4.12', ip => '2001:db8::1')) AS made;
SELECT smartphone, operating_system, application, user_agent, ip, idle_timeout
FROM authsessions_data.sessions ORDER BY id DESC LIMIT 1;

-- A writer: refused in a read-only transaction; nothing made.
BEGIN READ ONLY;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) - :sessions_before AS sessions_made_since FROM authsessions_data.sessions;

DROP EXTENSION authsessions;
