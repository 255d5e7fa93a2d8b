-- Settings: authsessions.idle_timeout, touch_interval, max_ttl,
-- max_page_size, max_sessions_per_user, session_limit_action and the jwt_*
-- ones (what they do: sql/issue_jwt.sql); all PGC_SUSET but
-- jwt_secret_file (PGC_SIGHUP), durations with units, prefix reserved.
-- (What the session cap does to create_session: sql/create_session.sql.)
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE ROLE regress_app;
GRANT USAGE ON SCHEMA authsessions TO regress_app;
GRANT EXECUTE ON FUNCTION authsessions.upsert_user(uuid, text, boolean),
	authsessions.delete_user(uuid),
	authsessions.create_session(uuid, text, text, text, interval, text, inet, interval),
	authsessions.validate(text), authsessions.end_session(text),
	authsessions.purge(interval, integer) TO regress_app;
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;

-- Defaults, units, bounds, context.
SHOW authsessions.idle_timeout;
SHOW authsessions.touch_interval;
SHOW authsessions.max_ttl;
SHOW authsessions.max_page_size;
SHOW authsessions.max_sessions_per_user;
SHOW authsessions.session_limit_action;
SELECT name, setting, unit, vartype, context, min_val, max_val, boot_val
FROM pg_settings WHERE name LIKE 'authsessions.%'
	AND name <> 'authsessions.jwt_secret_file' -- a path of the test cluster (sql/issue_jwt.sql)
ORDER BY name COLLATE "C";
SELECT enumvals FROM pg_settings WHERE name = 'authsessions.session_limit_action';

-- Durations take units; a bare number is seconds.
SET authsessions.idle_timeout = '2h';
SHOW authsessions.idle_timeout;
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
SET authsessions.idle_timeout = 90;
SHOW authsessions.idle_timeout;
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
-- an explicit ttl wins over idle_timeout
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 day') AS s;
RESET authsessions.idle_timeout;
SET authsessions.touch_interval = '5min';
SHOW authsessions.touch_interval;
SET authsessions.touch_interval = 0;
SHOW authsessions.touch_interval;
RESET authsessions.touch_interval;
SET authsessions.max_ttl = '30d';
SHOW authsessions.max_ttl;
RESET authsessions.max_ttl;
-- the cap: a count (0: none), and an action by name, any case
SET authsessions.max_sessions_per_user = 5;
SHOW authsessions.max_sessions_per_user;
SET authsessions.max_sessions_per_user = 0;
SHOW authsessions.max_sessions_per_user;
RESET authsessions.max_sessions_per_user;
SET authsessions.session_limit_action = refuse;
SHOW authsessions.session_limit_action;
SET authsessions.session_limit_action = 'EVICT_OLDEST';
SHOW authsessions.session_limit_action;
RESET authsessions.session_limit_action;

-- Out of range: 22023.
SET authsessions.idle_timeout = 0;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.touch_interval = -1;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_ttl = 0;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_page_size = 49;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_page_size = 0;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.idle_timeout = '1 fortnight';
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_sessions_per_user = -1;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_sessions_per_user = 1000001;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.session_limit_action = 'evict_newest';
\echo :LAST_ERROR_SQLSTATE
SET authsessions.session_limit_action = '';
\echo :LAST_ERROR_SQLSTATE
SHOW authsessions.max_sessions_per_user;
SHOW authsessions.session_limit_action;
-- max_page_size never goes below 50
SET authsessions.max_page_size = 50;
SHOW authsessions.max_page_size;

-- max_page_size bounds page_size in list and user_sessions.
SELECT jsonb_typeof(authsessions.list(1, 50)) AS list_50,
	jsonb_typeof(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 50)) AS user_sessions_50;
SELECT authsessions.list(1, 51);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 51);
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_page_size = 2000;
SELECT jsonb_typeof(authsessions.list(1, 2000)) AS list_2000,
	jsonb_typeof(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 2000)) AS user_sessions_2000;
SELECT authsessions.list(1, 2001);
\echo :LAST_ERROR_SQLSTATE
RESET authsessions.max_page_size;

-- max_ttl bounds ttl, and the default idle_timeout too.
SET authsessions.max_ttl = '1h';
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 hour') AS s;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '3601 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b');
\echo :LAST_ERROR_SQLSTATE
SET authsessions.idle_timeout = '30min';
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
RESET authsessions.idle_timeout;
RESET authsessions.max_ttl;

-- The prefix is reserved: a misspelt or unknown setting is an error, not a
-- silently ignored placeholder.
SET authsessions.nonexistent = 1;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.idle_timout = '1h';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('authsessions.touch_intervall', '0', false);
\echo :LAST_ERROR_SQLSTATE

-- PGC_SUSET: a role that is not superuser cannot change them (42501), so a
-- caller cannot stretch session lifetimes or pages, nor lift the cap.
SET ROLE regress_app;
SET authsessions.idle_timeout = '1000h';
\echo :LAST_ERROR_SQLSTATE
SET authsessions.touch_interval = 0;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_ttl = '1000d';
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_page_size = 100000;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.max_sessions_per_user = 0;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.session_limit_action = evict_oldest;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL authsessions.idle_timeout = '1000h';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT set_config('authsessions.idle_timeout', '1000h', true);
\echo :LAST_ERROR_SQLSTATE
-- (it can read them)
SHOW authsessions.idle_timeout;
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
RESET ROLE;

-- Not even in a new backend before the library is loaded: the value that the
-- role set as a placeholder is refused when the library loads.
\c -
SET ROLE regress_app;
SET authsessions.idle_timeout = '1000h';
SELECT extract(epoch FROM (s ->> 'ExpirationDate')::timestamptz - date_trunc('second', now())) AS seconds
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s;
SHOW authsessions.idle_timeout;
RESET ROLE;
-- Before the library loads, a misspelt setting is only a placeholder; the
-- load removes it and reserves the prefix from then on.
\c -
SET authsessions.idle_timout = '1h';
LOAD 'authsessions';
SHOW authsessions.idle_timout;
\echo :LAST_ERROR_SQLSTATE
SET authsessions.idle_timout = '1h';
\echo :LAST_ERROR_SQLSTATE

DROP EXTENSION authsessions;
DROP ROLE regress_app;
