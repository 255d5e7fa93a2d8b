-- The device fields from a User-Agent: parse_user_agent(user_agent) and
-- create_session's derivation of the fields it is given as NULL (uap-core's
-- rules, src/useragent.c; every case of uap-core's own test files runs in
-- test/extra/19_uap_conformance.sh, the hostile databases and a cancel in
-- test/extra/18_useragent_hostile.sh).
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- The reference agents of README.
CREATE TEMP TABLE agents (n int, name text, agent text);
INSERT INTO agents VALUES
	(1, 'Chrome on Android', 'Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.101 Mobile Safari/537.36'),
	(2, 'Chrome on Android, reduced', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36'),
	(3, 'Safari on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1'),
	(4, 'Safari on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'),
	(5, 'Chrome on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'),
	(6, 'Edge on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91'),
	(7, 'Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
	(8, 'curl', 'curl/8.4.0'),
	(9, 'unknown', 'no browser at all'),
	(10, 'empty', '');
SELECT n, name, authsessions.parse_user_agent(agent) AS fields FROM agents ORDER BY n;
-- twice: the second answers come from the per-backend cache, alike
SELECT count(*) AS cached_alike FROM agents
WHERE authsessions.parse_user_agent(agent) = authsessions.parse_user_agent(agent);

-- The markings (not STRICT: a NULL raises 22004, like every function here).
SELECT provolatile, proparallel, proisstrict, prosecdef
FROM pg_proc WHERE oid = 'authsessions.parse_user_agent(text)'::regprocedure;
SELECT authsessions.parse_user_agent(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.parse_user_agent(repeat('u', 1025));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.parse_user_agent_raw(NULL);
\echo :LAST_ERROR_SQLSTATE
-- characters, not bytes: 1024 four-byte characters pass
SELECT authsessions.parse_user_agent(repeat('😀', 1024)) AS emoji_agent;

-- The internal conformance function: the raw fields, NULL where absent.
SELECT authsessions.parse_user_agent_raw(agent) AS raw FROM agents WHERE n IN (1, 7, 9) ORDER BY n;

-- Hostile: 1 kB agents of repeated patterns the rules look for; each answer
-- is bounded and the same on a second (cached) call.
SELECT k, length(a) AS chars, authsessions.parse_user_agent(a) AS fields
FROM (VALUES
	(1, left(repeat('Mozilla/5.0 (Linux; Android 10; ', 40), 1024)),
	(2, left(repeat('(((((((((((', 100), 1024)),
	(3, left(repeat('Chrome/1.', 120), 1024)),
	(4, left(repeat('; Build/', 130), 1024)),
	(5, left(repeat('a;', 512), 1024)),
	(6, left('Mozilla/5.0 (iPhone; CPU iPhone OS ' || repeat('1_', 600), 1024))
) v(k, a) ORDER BY k;
-- a field derived from an agent is cut to 256 characters
SELECT length(f ->> 'Smartphone') AS smartphone_chars, left(f ->> 'Smartphone', 16) AS starts
FROM authsessions.parse_user_agent('Mozilla/5.0 (Linux; Android 10; SAMSUNG SM-' || repeat('Z', 300) || ') Chrome/85.0') AS f;

-- create_session: each device field given as NULL is derived from
-- user_agent, a given one is kept, and without user_agent nothing is derived.
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', false) AS user_id;
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', user_agent => agent) ->> 'ID')::bigint AS id
FROM agents WHERE n = 1 \gset full_
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', smartphone => 'My phone',
	user_agent => agent) ->> 'ID')::bigint AS id
FROM agents WHERE n = 3 \gset partial_
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', '', NULL, 'App- v. 1',
	user_agent => agent) ->> 'ID')::bigint AS id
FROM agents WHERE n = 9 \gset unknown_
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') ->> 'ID')::bigint AS id \gset none_
SELECT id = :full_id AS full, id = :partial_id AS partial, id = :unknown_id AS unknown,
	quote_nullable(smartphone) AS smartphone, quote_nullable(operating_system) AS operating_system,
	quote_nullable(application) AS application
FROM authsessions_data.sessions
WHERE id IN (:full_id, :partial_id, :unknown_id, :none_id) ORDER BY id;
-- as the documented session object
SELECT e - 'ID' - 'LastUpdated' - 'ExpirationDate' AS session
FROM jsonb_array_elements(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b')) AS e
WHERE (e ->> 'ID')::bigint = :full_id;
-- every argument given (ip and max_lifetime, the eighth, too): the fields
-- are derived, user_agent and ip kept, and the lifetime bounds the expiry
SELECT (authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL, NULL,
	'1 hour', agent, '192.0.2.1', '10 minutes') ->> 'ID')::bigint AS id
FROM agents WHERE n = 1 \gset all_
SELECT smartphone, operating_system, application,
	user_agent = (SELECT agent FROM agents WHERE n = 1) AS agent_kept, ip,
	max_expires_at = created_at + interval '10 minutes' AS lifetime_kept,
	expires_at = max_expires_at AS expiry_bounded
FROM authsessions_data.sessions WHERE id = :all_id;

DROP EXTENSION authsessions;
