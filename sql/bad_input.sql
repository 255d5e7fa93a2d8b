-- Bad input: lengths counted in characters (22001 naming the argument),
-- values out of range (22023 naming the argument); never XX000, and a failed
-- call changes nothing.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;

-- name: 1 to 256 characters, whatever their size in bytes.
SELECT c, octet_length(repeat(c, 256)) AS bytes_of_256,
	authsessions.upsert_user(('00000000-0000-4000-8000-0000000000' || lpad(to_hex(o::int), 2, '0'))::uuid,
		repeat(c, 256)) > 0 AS name_256_ok
FROM unnest(ARRAY['n', 'é', '名', '😀']) WITH ORDINALITY AS x(c, o);
SELECT length(name) AS chars, octet_length(name) AS bytes FROM authsessions_data.users WHERE id > 1 ORDER BY id;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000ff', repeat('n', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000ff', repeat('é', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000ff', repeat('名', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000ff', repeat('😀', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000ff', repeat('n', 1000000));
\echo :LAST_ERROR_SQLSTATE
-- too long for an existing user too: the old name stays
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', repeat('n', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', '');
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';
SELECT count(*) AS users FROM authsessions_data.users;

-- Device fields: up to 256 characters each; user_agent up to 1024.
SELECT count(*) AS sessions FROM authsessions_data.sessions \gset before_
SELECT jsonb_typeof(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b',
	repeat('p', 256), repeat('o', 256), repeat('a', 256), NULL, repeat('u', 1024))) AS ascii_limits_ok;
SELECT jsonb_typeof(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b',
	repeat('😀', 256), repeat('名', 256), repeat('é', 256), NULL, repeat('😀', 1024))) AS multibyte_limits_ok;
SELECT length(smartphone), length(operating_system), length(application), length(user_agent),
	octet_length(smartphone) AS phone_bytes, octet_length(user_agent) AS agent_bytes
FROM authsessions_data.sessions ORDER BY id;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', repeat('p', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', repeat('😀', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, repeat('o', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, repeat('名', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL, repeat('a', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL, repeat('é', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', user_agent => repeat('u', 1025));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', user_agent => repeat('😀', 1025));
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', user_agent => repeat('u', 1000000));
\echo :LAST_ERROR_SQLSTATE
-- also for an unknown user, and before the user is looked up
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000ff', repeat('p', 257));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) - :before_sessions AS sessions_made FROM authsessions_data.sessions;

-- ttl: positive, whole seconds, no months, at most max_ttl (400 days).
SELECT t AS ttl, jsonb_typeof(authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => t::interval)) AS ok
FROM unnest(ARRAY['1 second', '400 days', '399 days 86400 seconds', '-1 day 86401 seconds']) AS t;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 mon');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 year');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 mon -30 days');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '-1 day 86399 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '0.5 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '1 hour 0.000001 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '400 days 1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '2147483647 days');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '-2147483648 days');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '2562047788 hours');
\echo :LAST_ERROR_SQLSTATE

-- page and page_size, in list and user_sessions.
SELECT authsessions.list(0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(-2147483648, 50);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, 1001);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, -2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 1001);
\echo :LAST_ERROR_SQLSTATE
-- the largest values that are allowed never overflow
SELECT authsessions.list(2147483647, 1000) AS list_far,
	authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 2147483647, 1000) AS user_sessions_far;
-- a bad after
SELECT authsessions.list(after => '00000000-0000-0000-0000-000000000000');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(2, 50, '83bde819-ec08-4cee-b635-884145630d0b');
\echo :LAST_ERROR_SQLSTATE

-- purge's older_than and batch.
SELECT authsessions.purge('-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('1 mon');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('1.5 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('-2147483648 days');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('7 days', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('7 days', 1000001);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('7 days', -2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.purge('2147483647 days 2562047788 hours', 2147483647);
\echo :LAST_ERROR_SQLSTATE
-- the largest age is fine: nothing is that old
SELECT authsessions.purge('2147483647 days 2562047788 hours', 1000000) AS purged;

-- revoke: any bigint, never a crash.
SELECT authsessions.revoke(-9223372036854775808);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke(0);
\echo :LAST_ERROR_SQLSTATE

DROP EXTENSION authsessions;
