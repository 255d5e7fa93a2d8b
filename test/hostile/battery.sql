-- test/hostile/battery.sql: a generated battery of hostile and broken calls
-- to every authsessions function (driven by test/extra/11_hostile_input.sh).
--
-- Run with psql, as a superuser, in a database where authsessions is created:
--
--   psql -X -v ON_ERROR_STOP=1 -f test/hostile/battery.sql
--
-- It builds
--   hb_values   the hostile values: NULL, empty, 1 MB (compressible,
--               incompressible, multibyte), quotes, backslashes, SQL and
--               format-string fragments, control characters, emoji, CJK,
--               combining marks, bidi and zero-width characters, length
--               limits +-1 in characters and bytes, random UTF-8 text and
--               random or mangled tokens (seeded: the same every run);
--   hb_cases    one row per call, with the outcome the documentation
--               promises: a SQLSTATE ('00000' for success) and, for some, the
--               result;
-- then runs every case in its own transaction and its own subtransaction
-- (hb_run), which is always rolled back, so no case sees another's effects,
-- and records the SQLSTATE, message and result it got.  Values reach the
-- functions through scalar subqueries on hb_values, so large ones arrive
-- TOASTed (compressed or out of line) as they would from a table.
--
-- Finally it runs the round trip (hb_roundtrip): every accepted hostile text,
-- stored as a user name, device fields and user agent, must come back byte for
-- byte through validate, user_sessions, list and the table.
--
-- The driver then compares: see 11_hostile_input.sh.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DROP TABLE IF EXISTS hb_values, hb_cases, hb_roundtrip;

CREATE TABLE hb_values (
	k text PRIMARY KEY,
	v text,
	kind text NOT NULL DEFAULT 'text'	-- 'text', 'token' (random/mangled token)
);

CREATE TABLE hb_cases (
	id serial PRIMARY KEY,
	fn text NOT NULL,			-- the authsessions function under test
	label text NOT NULL,
	call text NOT NULL,			-- an SQL expression
	expected text NOT NULL,		-- SQLSTATE, '00000' for success
	expect_result text,			-- when set: the result as text ('<NULL>' for NULL)
	read_only boolean NOT NULL DEFAULT false,
	pre text,					-- SQL run first, in the same subtransaction
	caller_side boolean NOT NULL DEFAULT false, -- the error comes from a cast in the call
	sqlstate text,				-- what happened
	message text,
	result text
);

-- A value as an SQL expression: a scalar subquery on hb_values.
CREATE FUNCTION hv(key text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT format('(SELECT v FROM hb_values WHERE k = %L)', key) $$;

-- Random text of n characters: printable ASCII, C0 controls (no NUL), BMP
-- (no surrogates) and astral code points, from the session's random().
CREATE FUNCTION hb_random_text(n integer) RETURNS text LANGUAGE sql VOLATILE
AS $$
	SELECT coalesce(string_agg(chr(CASE
		WHEN r < 0.45 THEN 32 + floor(random() * 95)::int
		WHEN r < 0.55 THEN 1 + floor(random() * 31)::int
		WHEN r < 0.75 THEN 128 + floor(random() * (55296 - 128))::int
		WHEN r < 0.85 THEN 57344 + floor(random() * (65534 - 57344))::int
		ELSE 65536 + floor(random() * (1114112 - 65536))::int END), ''), '')
	FROM (SELECT random() AS r FROM generate_series(1, n)) s
$$;

-- n characters of the base64url alphabet.
CREATE FUNCTION hb_random_b64url(n integer) RETURNS text LANGUAGE sql VOLATILE
AS $$
	SELECT coalesce(string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
		1 + floor(random() * 64)::int, 1), ''), '')
	FROM generate_series(1, n)
$$;

SELECT setseed(0.20260901);

-- The fixture: a known user with one active and one revoked session.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'hostile fixture', true) \g /dev/null
CREATE TEMP TABLE hb_fixture AS
	SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'phone', 'os', 'app') AS live,
		authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'phone', 'os', 'app') AS revoked;
SELECT authsessions.revoke((revoked->>'ID')::bigint) FROM hb_fixture \g /dev/null

INSERT INTO hb_values (k, v) VALUES
	('null', NULL),
	('empty', ''),
	('space', ' '),
	('spaces', '   	  '),
	('newline', E'line1\nline2\r\n'),
	('quote', $q$O'Brien "double" `back` ''$q$),
	('backslash', E'\\ \\\\ \\n \\t \\x00 \\u0000 \\'),
	('sql1', $q$'); DROP TABLE hb_cases; --$q$),
	('sql2', $q$"; DELETE FROM authsessions_data.sessions; --$q$),
	('sql3', $q$$$ || (SELECT pg_sleep(5)) || $$ $q$),
	('sql4', $q$1' OR '1'='1$q$),
	('sql5', $q$x'); SELECT pg_terminate_backend(pg_backend_pid()); --$q$),
	('fmt', '%s %n %x %d %% %999999999s {0} ${x}'),
	('json', '{"a": [1, "\u0000"], "b": null, "c": "\ud800"}'),
	('html', '<script>alert(1)</script>&amp;'),
	('emoji', '😀👍🏽👨‍👩‍👧‍👦🇩🇪🏳️‍🌈'),
	('cjk', '日本語の名前 中文名字 한국어 이름'),
	('combining', 'e' || repeat(U&'\0301\0308\0323', 30)),
	('bidi', U&'\202Eevil\202C \05E9\05DC\05D5\05DD \0645\0631\062D\0628\0627'),
	('zerowidth', U&'\FEFF\200B\200C\200D\2060x'),
	('extremes', U&'\0080\07FF\0800\FFFD\FFFF\+010000\+10FFFF'),
	('controls', (SELECT string_agg(chr(i), '') FROM generate_series(1, 31) i) || chr(127)),
	('n256', repeat('n', 256)),
	('n257', repeat('n', 257)),
	('n256_emoji', repeat('😀', 256)),			-- 256 characters, 1024 bytes
	('n257_emoji', repeat('😀', 257)),
	('n256_combining', repeat(U&'\0301', 256)),	-- 256 characters, 512 bytes
	('n256_cjk', repeat('名', 256)),
	('ua1024', repeat('u', 1024)),
	('ua1025', repeat('u', 1025)),
	('ua1024_mb', repeat('日', 1023) || '😀'),	-- 1024 characters, 3073 bytes
	('ua1025_mb', repeat('日', 1025)),
	('mb1', repeat('x', 1048576)),					-- compressible
	('mb1_hex', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i)), -- hardly
	('mb1_emoji', repeat('😀', 262144)),			-- 1 MB, 262144 characters
	('mb1_random', hb_random_text(300000)),			-- incompressible
	('kb8_random', hb_random_text(2000)),
	-- uuid-shaped or not: cast errors are the caller's (22P02)
	('uuid_bad', 'not-a-uuid'),
	('uuid_sql', $q$00000000-0000-4000-8000-0000000000a1'); --$q$),
	('uuid_short', '00000000-0000-4000-8000-0000000000a'),
	('uuid_braces', '{00000000-0000-4000-8000-0000000000a1}'),
	('uuid_nohyphen', '000000000000400080000000000000a1'),
	('uuid_known', '00000000-0000-4000-8000-0000000000a1'),
	('uuid_unknown', '00000000-0000-4000-8000-0000000000ff'),
	('uuid_nil', '00000000-0000-0000-0000-000000000000'),
	-- tokens: the fixture's, and mangled ones
	('tok_live', (SELECT live->>'Token' FROM hb_fixture)),
	('tok_revoked', (SELECT revoked->>'Token' FROM hb_fixture));

INSERT INTO hb_values (k, v, kind)
SELECT k, v, 'token' FROM (VALUES
	('tok_zero', repeat('A', 51)),			-- well formed, never issued
	('tok_pad', repeat('A', 50) || 'B'),		-- spare bits not zero
	('tok_50', repeat('A', 50)),
	('tok_52', repeat('A', 52)),
	('tok_43', repeat('A', 43)),			-- the length without a locator
	('tok_std_b64', repeat('+', 25) || repeat('/', 26)),
	('tok_padded', repeat('A', 51) || '='),
	('tok_mb51', repeat('é', 51)),			-- 51 characters, 102 bytes
	('tok_bytes51', repeat('é', 25) || 'A'),	-- 51 bytes, 26 characters
	('tok_live_upper', upper((SELECT live->>'Token' FROM hb_fixture))),
	('tok_live_space', ' ' || (SELECT live->>'Token' FROM hb_fixture)),
	('tok_live_nl', (SELECT live->>'Token' FROM hb_fixture) || E'\n'),
	('tok_live_cut', left((SELECT live->>'Token' FROM hb_fixture), 50)),
	('tok_live_twice', repeat((SELECT live->>'Token' FROM hb_fixture), 2)),
	('tok_live_flip', overlay((SELECT live->>'Token' FROM hb_fixture) PLACING
		CASE WHEN substr((SELECT live->>'Token' FROM hb_fixture), 10, 1) = 'Q' THEN 'R' ELSE 'Q' END
		FROM 10 FOR 1)),
	('tok_live_nul', (SELECT live->>'Token' FROM hb_fixture) || '\u0000')
) t(k, v);

-- random text of every length from 0 to 100 (so 51 too), twice
INSERT INTO hb_values (k, v, kind)
SELECT 'rnd_' || i || '_' || j, hb_random_text(i), 'token'
FROM generate_series(0, 100) i, generate_series(1, 2) j;
-- 51 random characters from anywhere
INSERT INTO hb_values (k, v, kind)
SELECT 'rnd51_' || j, hb_random_text(51), 'token' FROM generate_series(1, 50) j;
-- 51 random base64url characters: well formed or bad padding, never issued
-- (their locators point far past the end of the table)
INSERT INTO hb_values (k, v, kind)
SELECT 'b64_' || j, hb_random_b64url(51), 'token' FROM generate_series(1, 100) j;
-- random secrets whose locators point into the table's first pages, at any
-- line pointer (live, dead, redirected, heap-only or past the last)
INSERT INTO hb_values (k, v, kind)
SELECT 'loc_' || b || '_' || o,
	translate(rtrim(encode(sha256(convert_to(b || '/' || o, 'UTF8'))
		|| substr(int4send(b), 1, 4) || substr(int4send(o), 3, 2), 'base64'), '='), '+/', '-_'),
	'token'
FROM generate_series(0, 2) b, generate_series(0, 300, 7) o;

------------------------------------------------------------------------------
-- The cases.
------------------------------------------------------------------------------

-- The hostile text values (everything but the tokens and the uuid strings).
CREATE TEMP VIEW hb_texts AS
	SELECT k, v, char_length(v) AS chars FROM hb_values
	WHERE kind = 'text' AND k NOT LIKE 'uuid\_%' AND k NOT LIKE 'tok\_%';

CREATE TEMP TABLE hb_ints (label text, v text, page_ok boolean, size_ok boolean, batch_ok boolean);
INSERT INTO hb_ints VALUES
	('NULL', 'NULL', true, true, true),
	('0', '0', false, false, false),
	('-1', '-1', false, false, false),
	('1', '1', true, true, true),
	('2', '2', true, true, true),
	('50', '50', true, true, true),
	('1000', '1000', true, true, true),
	('1001', '1001', true, false, true),
	('1000000', '1000000', true, false, true),
	('1000001', '1000001', true, false, false),
	('int max', '2147483647', true, false, false),
	('int min', '(-2147483647 - 1)', false, false, false);

-- Intervals: ttl_ok for create_session's ttl (1 s to max_ttl = 400 days, whole
-- seconds, no months); age_ok for purge's older_than (not negative, whole
-- seconds, no months).
CREATE TEMP TABLE hb_intervals (label text, v text, ttl_ok boolean, age_ok boolean);
INSERT INTO hb_intervals VALUES
	('NULL', 'NULL', true, true),
	('1 second', $$'1 second'$$, true, true),
	('0', $$'0'$$, false, true),
	('-1 second', $$'-1 second'$$, false, false),
	('-1 day', $$'-1 day'$$, false, false),
	('1 day -86399 s', $$'1 day -86399 seconds'$$, true, true),
	('-1 day +86400 s', $$'-1 day +86400 seconds'$$, false, true),
	('1.5 seconds', $$'1.5 seconds'$$, false, false),
	('1 microsecond', $$'0.000001 seconds'$$, false, false),
	('-0.5 seconds', $$'-0.5 seconds'$$, false, false),
	('1 month', $$'1 mon'$$, false, false),
	('-1 month', $$'-1 mon'$$, false, false),
	('1 year', $$'1 year'$$, false, false),
	('1 mon -30 days', $$'1 mon -30 days'$$, false, false),
	('48 hours', $$'48 hours'$$, true, true),
	('P1D', $$'P1D'$$, true, true),
	('400 days', $$'400 days'$$, true, true),
	('400 days 1 s', $$'400 days 1 second'$$, false, true),
	('100000000 days', $$'100000000 days'$$, false, true),
	('int max days', $$'2147483647 days'$$, false, true),
	('int min days', $$'-2147483648 days'$$, false, false),
	('max hours', $$'2562047788 hours'$$, false, true),
	('-max hours', $$'-2562047788 hours'$$, false, false),
	('max days and hours', $$'2147483647 days 2562047788 hours'$$, false, true),
	('-178000000 years', $$'-178000000 years'$$, false, false);

-- list(page, page_size, after)
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'list', format('page %s, page_size %s', p.label, s.label),
	format('authsessions.list(page => %s, page_size => %s)', p.v, s.v),
	CASE WHEN p.page_ok AND s.size_ok THEN '00000' ELSE '22023' END
FROM hb_ints p, hb_ints s;
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side) VALUES
	('list', 'positional defaults', 'authsessions.list()', '00000', NULL, false),
	('list', 'page int max, page_size 1000: past the end', 'authsessions.list(2147483647, 1000)', '00000', '[]', false),
	('list', 'after known user', format('authsessions.list(after => %s::uuid)', hv('uuid_known')), '00000', '[]', false),
	('list', 'after known user, page 1', format('authsessions.list(1, 50, %s::uuid)', hv('uuid_known')), '00000', '[]', false),
	('list', 'after known user, page 2', format('authsessions.list(2, 50, %s::uuid)', hv('uuid_known')), '22023', NULL, false),
	('list', 'after known user, page int max', format('authsessions.list(2147483647, 50, %s::uuid)', hv('uuid_known')), '22023', NULL, false),
	('list', 'after unknown user', format('authsessions.list(after => %s::uuid)', hv('uuid_unknown')), '22023', NULL, false),
	('list', 'after nil uuid', format('authsessions.list(after => %s::uuid)', hv('uuid_nil')), '22023', NULL, false),
	('list', 'after braces spelling of a known user', format('authsessions.list(after => %s::uuid)', hv('uuid_braces')), '00000', '[]', false),
	('list', 'after NULL', 'authsessions.list(after => NULL)', '00000', NULL, false),
	('list', 'after not a uuid', format('authsessions.list(after => %s::uuid)', hv('uuid_bad')), '22P02', NULL, true),
	('list', 'after SQL fragment', format('authsessions.list(after => %s::uuid)', hv('uuid_sql')), '22P02', NULL, true),
	('list', 'after empty string', format('authsessions.list(after => %s::uuid)', hv('empty')), '22P02', NULL, true),
	('list', 'after 1 MB', format('authsessions.list(after => %s::uuid)', hv('mb1')), '22P02', NULL, true);

-- user_sessions(guid, page, page_size)
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'user_sessions', format('known guid, page %s, page_size %s', p.label, s.label),
	format('authsessions.user_sessions(%s::uuid, page => %s, page_size => %s)', hv('uuid_known'), p.v, s.v),
	CASE WHEN p.page_ok AND s.size_ok THEN '00000' ELSE '22023' END
FROM hb_ints p, hb_ints s;
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'user_sessions', format('NULL guid, page %s, page_size %s', p.label, s.label),
	format('authsessions.user_sessions(NULL, page => %s, page_size => %s)', p.v, s.v),
	'22004'
FROM hb_ints p, hb_ints s WHERE p.label IN ('NULL', '0', 'int min') AND s.label IN ('NULL', '0', 'int max');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side) VALUES
	('user_sessions', 'unknown guid', format('authsessions.user_sessions(%s::uuid)', hv('uuid_unknown')), '00000', '[]', false),
	('user_sessions', 'nil guid', format('authsessions.user_sessions(%s::uuid)', hv('uuid_nil')), '00000', '[]', false),
	('user_sessions', 'known guid, no hyphens', format('jsonb_array_length(authsessions.user_sessions(%s::uuid))', hv('uuid_nohyphen')), '00000', '1', false),
	('user_sessions', 'known guid, page int max', format('authsessions.user_sessions(%s::uuid, 2147483647, 1000)', hv('uuid_known')), '00000', '[]', false),
	('user_sessions', 'guid not a uuid', format('authsessions.user_sessions(%s::uuid)', hv('uuid_bad')), '22P02', NULL, true),
	('user_sessions', 'guid SQL fragment', format('authsessions.user_sessions(%s::uuid)', hv('uuid_sql')), '22P02', NULL, true),
	('user_sessions', 'guid too short', format('authsessions.user_sessions(%s::uuid)', hv('uuid_short')), '22P02', NULL, true),
	('user_sessions', 'guid 1 MB', format('authsessions.user_sessions(%s::uuid)', hv('mb1_emoji')), '22P02', NULL, true);

-- ended_sessions(guid, page, page_size): checked as user_sessions
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'ended_sessions', format('known guid, page %s, page_size %s', p.label, s.label),
	format('authsessions.ended_sessions(%s::uuid, page => %s, page_size => %s)', hv('uuid_known'), p.v, s.v),
	CASE WHEN p.page_ok AND s.size_ok THEN '00000' ELSE '22023' END
FROM hb_ints p, hb_ints s;
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'ended_sessions', format('NULL guid, page %s, page_size %s', p.label, s.label),
	format('authsessions.ended_sessions(NULL, page => %s, page_size => %s)', p.v, s.v),
	'22004'
FROM hb_ints p, hb_ints s WHERE p.label IN ('NULL', '0', 'int min') AND s.label IN ('NULL', '0', 'int max');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side) VALUES
	('ended_sessions', 'unknown guid', format('authsessions.ended_sessions(%s::uuid)', hv('uuid_unknown')), '00000', '[]', false),
	('ended_sessions', 'nil guid', format('authsessions.ended_sessions(%s::uuid)', hv('uuid_nil')), '00000', '[]', false),
	('ended_sessions', 'known guid, no hyphens', format('jsonb_typeof(authsessions.ended_sessions(%s::uuid))', hv('uuid_nohyphen')), '00000', 'array', false),
	('ended_sessions', 'known guid, page int max', format('authsessions.ended_sessions(%s::uuid, 2147483647, 1000)', hv('uuid_known')), '00000', '[]', false),
	('ended_sessions', 'guid not a uuid', format('authsessions.ended_sessions(%s::uuid)', hv('uuid_bad')), '22P02', NULL, true),
	('ended_sessions', 'guid SQL fragment', format('authsessions.ended_sessions(%s::uuid)', hv('uuid_sql')), '22P02', NULL, true),
	('ended_sessions', 'guid 1 MB', format('authsessions.ended_sessions(%s::uuid)', hv('mb1_emoji')), '22P02', NULL, true);

-- revoke("Session")
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only) VALUES
	('revoke', 'NULL', 'authsessions.revoke(NULL)', '22004', NULL, false),
	('revoke', 'named NULL', 'authsessions.revoke("Session" => NULL)', '22004', NULL, false),
	('revoke', '0', 'authsessions.revoke(0)', 'PT404', NULL, false),
	('revoke', '-1', 'authsessions.revoke(-1)', 'PT404', NULL, false),
	('revoke', 'bigint max', 'authsessions.revoke(9223372036854775807)', 'PT404', NULL, false),
	('revoke', 'bigint min', 'authsessions.revoke((-9223372036854775808)::bigint)', 'PT404', NULL, false),
	('revoke', 'int max', 'authsessions.revoke(2147483647)', 'PT404', NULL, false),
	('revoke', 'the revoked session', format('authsessions.revoke((%s::jsonb->>''ID'')::bigint)', '(SELECT revoked::text FROM hb_fixture)'), 'PT404', NULL, false),
	('revoke', 'the live session', format('authsessions.revoke((%s::jsonb->>''ID'')::bigint)', '(SELECT live::text FROM hb_fixture)'), '00000', '{"Success": true}', false),
	('revoke', 'read-only: the live session', format('authsessions.revoke((%s::jsonb->>''ID'')::bigint)', '(SELECT live::text FROM hb_fixture)'), '25006', NULL, true),
	('revoke', 'read-only: unknown', 'authsessions.revoke(-1)', '25006', NULL, true),
	('revoke', 'read-only: NULL', 'authsessions.revoke(NULL)', '25006', NULL, true);
-- revoke_user("UserGuid")
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side, read_only) VALUES
	('revoke_user', 'NULL', 'authsessions.revoke_user(NULL)', '22004', NULL, false, false),
	('revoke_user', 'named NULL', 'authsessions.revoke_user("UserGuid" => NULL)', '22004', NULL, false, false),
	('revoke_user', 'unknown', format('authsessions.revoke_user(%s::uuid)', hv('uuid_unknown')), 'PT404', NULL, false, false),
	('revoke_user', 'nil uuid', format('authsessions.revoke_user(%s::uuid)', hv('uuid_nil')), 'PT404', NULL, false, false),
	('revoke_user', 'known: its one live session', format('authsessions.revoke_user(%s::uuid)', hv('uuid_known')), '00000', '{"Revoked": 1}', false, false),
	('revoke_user', 'known, no hyphens', format('authsessions.revoke_user(%s::uuid)', hv('uuid_nohyphen')), '00000', '{"Revoked": 1}', false, false),
	('revoke_user', 'not a uuid', format('authsessions.revoke_user(%s::uuid)', hv('uuid_bad')), '22P02', NULL, true, false),
	('revoke_user', 'SQL fragment', format('authsessions.revoke_user(%s::uuid)', hv('uuid_sql')), '22P02', NULL, true, false),
	('revoke_user', '1 MB', format('authsessions.revoke_user(%s::uuid)', hv('mb1_random')), '22P02', NULL, true, false),
	('revoke_user', 'read-only', format('authsessions.revoke_user(%s::uuid)', hv('uuid_known')), '25006', NULL, false, true),
	('revoke_user', 'read-only, NULL', 'authsessions.revoke_user(NULL)', '25006', NULL, false, true);
-- hostile sub claims: recorded as revoked_by verbatim, never an error; a
-- claims setting that is not JSON is PostgREST's bug (22P02).
-- hb_revoke_audit() revokes the live session, then reads revoked_by in a new
-- statement (a later command sees the function's update).
CREATE FUNCTION hb_revoke_audit() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	sid bigint;
	j jsonb;
BEGIN
	SELECT (live->>'ID')::bigint INTO STRICT sid FROM hb_fixture;
	j := authsessions.revoke(sid);
	RETURN j::text || coalesce((SELECT s.revoked_by FROM authsessions_data.sessions s WHERE s.id = sid), '<NULL>');
END
$$;
INSERT INTO hb_cases (fn, label, call, expected, expect_result, pre)
SELECT 'revoke', 'sub claim ' || t.k, 'hb_revoke_audit()', '00000', '{"Success": true}' || t.v,
	format('SELECT set_config(''request.jwt.claims'', jsonb_build_object(''sub'', %s)::text, true)', hv(t.k))
FROM hb_texts t WHERE t.v IS NOT NULL;
INSERT INTO hb_cases (fn, label, call, expected, expect_result, pre) VALUES
	('revoke', 'no claims: the calling role', 'hb_revoke_audit()', '00000', '{"Success": true}' || current_user, NULL),
	('revoke', 'claims without sub: the calling role', 'hb_revoke_audit()', '00000', '{"Success": true}' || current_user,
	 $$SELECT set_config('request.jwt.claims', '{"role": "web"}', true)$$),
	('revoke', 'claims sub number: recorded', 'hb_revoke_audit()', '00000', '{"Success": true}12345678901234567890.5',
	 $$SELECT set_config('request.jwt.claims', '{"sub": 12345678901234567890.5, "role": "x"}', true)$$),
	('revoke', 'claims not JSON', 'authsessions.revoke(-1)', '22P02', NULL, $$SELECT set_config('request.jwt.claims', 'not json', true)$$),
	('revoke', 'claims a JSON array', 'authsessions.revoke(-1)', 'PT404', NULL, $$SELECT set_config('request.jwt.claims', '[1, 2]', true)$$),
	('revoke', 'claims sub null', 'authsessions.revoke(-1)', 'PT404', NULL, $$SELECT set_config('request.jwt.claims', '{"sub": null}', true)$$),
	('revoke', 'claims sub object', 'authsessions.revoke(-1)', 'PT404', NULL, $$SELECT set_config('request.jwt.claims', '{"sub": {"a": 1}}', true)$$),
	('revoke', 'claims sub huge number', 'authsessions.revoke(-1)', 'PT404', NULL, $$SELECT set_config('request.jwt.claims', '{"sub": 1e400}', true)$$),
	('revoke', 'claims empty', 'authsessions.revoke(-1)', 'PT404', NULL, $$SELECT set_config('request.jwt.claims', '', true)$$);

-- upsert_user(guid, name, is_operator)
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'upsert_user', 'name ' || t.k || ', ' || g.label,
	format('authsessions.upsert_user(%s, %s, %s)', g.v, hv(t.k), o),
	CASE WHEN g.v = 'NULL' OR t.v IS NULL THEN '22004'
		WHEN t.chars > 256 THEN '22001'
		WHEN t.v = '' THEN '22023'
		ELSE '00000' END
FROM hb_texts t,
	(VALUES ('new user', 'gen_random_uuid()'), ('known user', hv('uuid_known') || '::uuid'), ('NULL guid', 'NULL')) g(label, v),
	(VALUES ('NULL')) o(o);
INSERT INTO hb_cases (fn, label, call, expected, caller_side, read_only) VALUES
	('upsert_user', 'is_operator true', 'authsessions.upsert_user(gen_random_uuid(), ''x'', true) > 0', '00000', false, false),
	('upsert_user', 'is_operator false', 'authsessions.upsert_user(gen_random_uuid(), ''x'', false) > 0', '00000', false, false),
	('upsert_user', 'guid not a uuid', format('authsessions.upsert_user(%s::uuid, ''x'')', hv('uuid_bad')), '22P02', true, false),
	('upsert_user', 'guid SQL fragment', format('authsessions.upsert_user(%s::uuid, ''x'')', hv('uuid_sql')), '22P02', true, false),
	('upsert_user', 'guid empty', format('authsessions.upsert_user(%s::uuid, ''x'')', hv('empty')), '22P02', true, false),
	('upsert_user', 'is_operator not a boolean', 'authsessions.upsert_user(gen_random_uuid(), ''x'', ''maybe''::boolean)', '22P02', true, false),
	('upsert_user', 'read-only', 'authsessions.upsert_user(gen_random_uuid(), ''x'')', '25006', false, true),
	('upsert_user', 'read-only, NULL guid', 'authsessions.upsert_user(NULL, ''x'')', '25006', false, true),
	('upsert_user', 'read-only, empty name', 'authsessions.upsert_user(gen_random_uuid(), '''')', '25006', false, true),
	('upsert_user', 'read-only, 1 MB name', format('authsessions.upsert_user(gen_random_uuid(), %s)', hv('mb1')), '25006', false, true);

-- delete_user(guid)
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side, read_only) VALUES
	('delete_user', 'NULL', 'authsessions.delete_user(NULL)', '22004', NULL, false, false),
	('delete_user', 'unknown', format('authsessions.delete_user(%s::uuid)', hv('uuid_unknown')), '00000', '{"Success": false}', false, false),
	('delete_user', 'nil uuid', format('authsessions.delete_user(%s::uuid)', hv('uuid_nil')), '00000', '{"Success": false}', false, false),
	('delete_user', 'known', format('authsessions.delete_user(%s::uuid)', hv('uuid_known')), '00000', '{"Success": true}', false, false),
	('delete_user', 'known, twice', format('authsessions.delete_user(%1$s::uuid)::text || authsessions.delete_user(%1$s::uuid)::text', hv('uuid_known')), '00000', '{"Success": true}{"Success": false}', false, false),
	('delete_user', 'not a uuid', format('authsessions.delete_user(%s::uuid)', hv('uuid_bad')), '22P02', NULL, true, false),
	('delete_user', 'SQL fragment', format('authsessions.delete_user(%s::uuid)', hv('uuid_sql')), '22P02', NULL, true, false),
	('delete_user', '1 MB', format('authsessions.delete_user(%s::uuid)', hv('mb1_random')), '22P02', NULL, true, false),
	('delete_user', 'read-only', format('authsessions.delete_user(%s::uuid)', hv('uuid_known')), '25006', NULL, false, true),
	('delete_user', 'read-only, NULL', 'authsessions.delete_user(NULL)', '25006', NULL, false, true);

-- create_session(user_guid, smartphone, operating_system, application, ttl, user_agent, ip, max_lifetime)
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'create_session', f.name || ' ' || t.k,
	format('authsessions.create_session(%s::uuid, %s => %s) ? ''Token''', hv('uuid_known'), f.name, hv(t.k)),
	CASE WHEN t.chars > f.maxchars THEN '22001' ELSE '00000' END
FROM hb_texts t,
	(VALUES ('smartphone', 256), ('operating_system', 256), ('application', 256), ('user_agent', 1024)) f(name, maxchars);
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'create_session', 'ttl ' || i.label,
	format('authsessions.create_session(%s::uuid, ttl => %s) ? ''Token''', hv('uuid_known'), i.v),
	CASE WHEN i.ttl_ok THEN '00000' ELSE '22023' END
FROM hb_intervals i;
-- max_lifetime: as ttl, but bounded by 2147483647 s (the setting's range;
-- authsessions.max_lifetime is 0 here), not by max_ttl
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'create_session', 'max_lifetime ' || i.label,
	format('authsessions.create_session(%s::uuid, max_lifetime => %s) ? ''Token''', hv('uuid_known'), i.v),
	CASE WHEN i.ttl_ok OR i.label = '400 days 1 s' THEN '00000' ELSE '22023' END
FROM hb_intervals i;
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side, read_only, pre) VALUES
	('create_session', 'NULL user_guid', 'authsessions.create_session(NULL)', '22004', NULL, false, false, NULL),
	('create_session', 'NULL user_guid, 1 MB fields, bad ttl',
	 format('authsessions.create_session(NULL, %1$s, %1$s, %1$s, ''-1 day'', %1$s)', hv('mb1')), '22004', NULL, false, false, NULL),
	('create_session', 'unknown user', format('authsessions.create_session(%s::uuid)', hv('uuid_unknown')), 'PT404', NULL, false, false, NULL),
	('create_session', 'nil uuid user', format('authsessions.create_session(%s::uuid)', hv('uuid_nil')), 'PT404', NULL, false, false, NULL),
	('create_session', 'all fields 1 MB', format('authsessions.create_session(%1$s::uuid, %2$s, %2$s, %2$s, NULL, %2$s)', hv('uuid_known'), hv('mb1_emoji')), '22001', NULL, false, false, NULL),
	('create_session', 'all fields at their limits',
	 format('authsessions.create_session(%s::uuid, %s, %s, %s, ''400 days'', %s, ''::1'') ? ''Token''', hv('uuid_known'), hv('n256_emoji'), hv('n256_combining'), hv('n256_cjk'), hv('ua1024_mb')), '00000', 'true', false, false, NULL),
	('create_session', 'ip ::1', format('authsessions.create_session(%s::uuid, ip => ''::1'') ? ''Token''', hv('uuid_known')), '00000', 'true', false, false, NULL),
	('create_session', 'ip 0.0.0.0/0', format('authsessions.create_session(%s::uuid, ip => ''0.0.0.0/0'') ? ''Token''', hv('uuid_known')), '00000', 'true', false, false, NULL),
	('create_session', 'ip ffff::/128', format('authsessions.create_session(%s::uuid, ip => ''ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'') ? ''Token''', hv('uuid_known')), '00000', 'true', false, false, NULL),
	('create_session', 'ip not an address', format('authsessions.create_session(%s::uuid, ip => %s::inet)', hv('uuid_known'), hv('sql4')), '22P02', NULL, true, false, NULL),
	('create_session', 'user_guid not a uuid', format('authsessions.create_session(%s::uuid)', hv('uuid_bad')), '22P02', NULL, true, false, NULL),
	('create_session', 'user_guid SQL fragment', format('authsessions.create_session(%s::uuid)', hv('uuid_sql')), '22P02', NULL, true, false, NULL),
	('create_session', 'ttl not an interval', format('authsessions.create_session(%s::uuid, ttl => %s::interval)', hv('uuid_known'), hv('sql1')), '22007', NULL, true, false, NULL),
	-- 'infinity' is an interval from PostgreSQL 17 on: the function refuses it
	('create_session', 'ttl infinity (an interval from 17 on)', format('authsessions.create_session(%s::uuid, ttl => ''infinity''::interval)', hv('uuid_known')),
	 CASE WHEN current_setting('server_version_num')::int >= 170000 THEN '22023' ELSE '22007' END, NULL,
	 current_setting('server_version_num')::int < 170000, false, NULL),
	('create_session', 'read-only', format('authsessions.create_session(%s::uuid)', hv('uuid_known')), '25006', NULL, false, true, NULL),
	('create_session', 'read-only, NULL user_guid', 'authsessions.create_session(NULL)', '25006', NULL, false, true, NULL),
	('create_session', 'read-only, unknown user', format('authsessions.create_session(%s::uuid)', hv('uuid_unknown')), '25006', NULL, false, true, NULL),
	('create_session', 'read-only, 1 MB field', format('authsessions.create_session(%s::uuid, %s)', hv('uuid_known'), hv('mb1')), '25006', NULL, false, true, NULL),
	('create_session', 'idle_timeout above max_ttl, no ttl', format('authsessions.create_session(%s::uuid)', hv('uuid_known')), '22023', NULL, false, false,
	 $$SELECT set_config('authsessions.idle_timeout', '34560001', true)$$),
	('create_session', 'max_ttl and ttl int max seconds', format('authsessions.create_session(%s::uuid, ttl => ''2147483647 seconds'') ? ''Token''', hv('uuid_known')), '00000', 'true', false, false,
	 $$SELECT set_config('authsessions.max_ttl', '2147483647', true)$$),
	('create_session', 'max_ttl and idle_timeout int max', format('authsessions.create_session(%s::uuid) ? ''Token''', hv('uuid_known')), '00000', 'true', false, false,
	 $$SELECT set_config('authsessions.max_ttl', '2147483647', true); SELECT set_config('authsessions.idle_timeout', '2147483647', true)$$),
	('create_session', 'then validate with touch_interval int max', format('authsessions.validate(authsessions.create_session(%s::uuid, ttl => ''2147483647 seconds'')->>''Token'') ? ''ID''', hv('uuid_known')), '00000', 'true', false, false,
	 $$SELECT set_config('authsessions.max_ttl', '2147483647', true); SELECT set_config('authsessions.touch_interval', '2147483647', true)$$),
	('create_session', 'then validate with touch_interval 0', format('authsessions.validate(authsessions.create_session(%s::uuid, ttl => ''2147483647 seconds'')->>''Token'') ? ''ID''', hv('uuid_known')), '00000', 'true', false, false,
	 $$SELECT set_config('authsessions.max_ttl', '2147483647', true); SELECT set_config('authsessions.touch_interval', '0', true)$$);

-- validate(token): NULL for anything but a live token, never an error
INSERT INTO hb_cases (fn, label, call, expected, expect_result)
SELECT 'validate', 'token ' || k, format('authsessions.validate(%s)', hv(k)), '00000', '<NULL>'
FROM hb_values WHERE k NOT IN ('tok_live');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only, pre) VALUES
	('validate', 'the live token', format('authsessions.validate(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', false, NULL),
	('validate', 'the live token, read-only', format('authsessions.validate(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', true, NULL),
	('validate', 'NULL', 'authsessions.validate(NULL)', '00000', '<NULL>', false, NULL),
	('validate', 'NULL, read-only', 'authsessions.validate(NULL)', '00000', '<NULL>', true, NULL),
	('validate', 'the live token, touch_interval 0', format('authsessions.validate(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', false,
	 $$SELECT set_config('authsessions.touch_interval', '0', true)$$);

-- check_token(token): validate's read without the touch, the same outcomes
INSERT INTO hb_cases (fn, label, call, expected, expect_result)
SELECT 'check_token', 'token ' || k, format('authsessions.check_token(%s)', hv(k)), '00000', '<NULL>'
FROM hb_values WHERE k NOT IN ('tok_live');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only, pre) VALUES
	('check_token', 'the live token', format('authsessions.check_token(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', false, NULL),
	('check_token', 'the live token, read-only', format('authsessions.check_token(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', true, NULL),
	('check_token', 'NULL', 'authsessions.check_token(NULL)', '00000', '<NULL>', false, NULL),
	('check_token', 'NULL, read-only', 'authsessions.check_token(NULL)', '00000', '<NULL>', true, NULL),
	('check_token', 'the live token, touch_interval 0', format('authsessions.check_token(%s) ->> ''UserName''', hv('tok_live')), '00000', 'hostile fixture', false,
	 $$SELECT set_config('authsessions.touch_interval', '0', true)$$);

-- issue_jwt(token, ttl): validate's outcomes, a JWT for the live token; ttl
-- 1 second to authsessions.jwt_max_ttl (1 hour), whole seconds, no months
INSERT INTO hb_cases (fn, label, call, expected, expect_result)
SELECT 'issue_jwt', 'token ' || k, format('authsessions.issue_jwt(%s)', hv(k)), '00000', '<NULL>'
FROM hb_values WHERE k NOT IN ('tok_live');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only, pre) VALUES
	('issue_jwt', 'the live token', format('authsessions.issue_jwt(%s) ? ''JWT''', hv('tok_live')), '00000', 'true', false, NULL),
	('issue_jwt', 'the live token, read-only', format('authsessions.issue_jwt(%s) ? ''JWT''', hv('tok_live')), '00000', 'true', true, NULL),
	('issue_jwt', 'NULL', 'authsessions.issue_jwt(NULL)', '00000', '<NULL>', false, NULL),
	('issue_jwt', 'the live token, touch_interval 0', format('authsessions.issue_jwt(%s) ? ''JWT''', hv('tok_live')), '00000', 'true', false,
	 $$SELECT set_config('authsessions.touch_interval', '0', true)$$);
INSERT INTO hb_cases (fn, label, call, expected, expect_result)
SELECT 'issue_jwt', 'ttl ' || i.label,
	format('authsessions.issue_jwt(%s, %s) ? ''JWT''', hv('tok_live'), i.v),
	CASE WHEN i.label IN ('NULL', '1 second', '1 day -86399 s') THEN '00000' ELSE '22023' END,
	CASE WHEN i.label IN ('NULL', '1 second', '1 day -86399 s') THEN 'true' END
FROM hb_intervals i;

-- parse_user_agent(user_agent): every text up to 1024 characters gives the
-- three fields as strings (unknown agents the unknown ones), never an error;
-- it writes nothing, so read-only changes nothing
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only)
SELECT 'parse_user_agent', 'user_agent ' || k || CASE WHEN r THEN ', read-only' ELSE '' END,
	format('(SELECT string_agg(e.key, '','' ORDER BY e.key) FROM jsonb_each(authsessions.parse_user_agent(%s)) e
	         WHERE jsonb_typeof(e.value) = ''string'')', hv(k)),
	CASE WHEN v IS NULL THEN '22004' WHEN char_length(v) > 1024 THEN '22001' ELSE '00000' END,
	CASE WHEN v IS NOT NULL AND char_length(v) <= 1024 THEN 'Application,OperatingSystem,Smartphone' END,
	r
FROM hb_values, (VALUES (false), (true)) ro(r);
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side) VALUES
	('parse_user_agent', 'NULL', 'authsessions.parse_user_agent(NULL)', '22004', NULL, false),
	('parse_user_agent', 'empty: the unknown agent', format('authsessions.parse_user_agent(%s)', hv('empty')), '00000',
	 '{"Smartphone": "-", "Application": "Other- v. ", "OperatingSystem": "Other- v. "}', false),
	('parse_user_agent', 'SQL fragment: the unknown agent', format('authsessions.parse_user_agent(%s)', hv('sql1')), '00000',
	 '{"Smartphone": "-", "Application": "Other- v. ", "OperatingSystem": "Other- v. "}', false),
	('parse_user_agent', 'Chrome on Android among hostile text',
	 format('authsessions.parse_user_agent(%s || '' (Linux; Android 10; SM-G973F) Chrome/85.0.4183.101 Mobile '' || %s)', hv('bidi'), hv('zerowidth')), '00000',
	 '{"Smartphone": "Samsung SM-G973F", "Application": "Chrome Mobile- v. 85.0.4183", "OperatingSystem": "Android- v. 10"}', false),
	('parse_user_agent', '1024 characters of a repeated pattern',
	 $$authsessions.parse_user_agent(left(repeat('Mozilla/5.0 (Linux; Android ', 40), 1024)) ? 'Smartphone'$$, '00000', 'true', false),
	('parse_user_agent', 'not text', format('authsessions.parse_user_agent(%s::integer::text)', hv('fmt')), '22P02', NULL, true);

-- end_session(token): {"Success": false} for anything but a live token
INSERT INTO hb_cases (fn, label, call, expected, expect_result)
SELECT 'end_session', 'token ' || k, format('authsessions.end_session(%s)', hv(k)),
	CASE WHEN v IS NULL THEN '22004' ELSE '00000' END,
	CASE WHEN v IS NULL THEN NULL ELSE '{"Success": false}' END
FROM hb_values WHERE k NOT IN ('tok_live');
INSERT INTO hb_cases (fn, label, call, expected, expect_result, read_only, pre) VALUES
	('end_session', 'the live token', format('authsessions.end_session(%s)', hv('tok_live')), '00000', '{"Success": true}', false, NULL),
	('end_session', 'the live token, twice', format('authsessions.end_session(%1$s)::text || authsessions.end_session(%1$s)::text', hv('tok_live')), '00000', '{"Success": true}{"Success": false}', false, NULL),
	('end_session', 'NULL', 'authsessions.end_session(NULL)', '22004', NULL, false, NULL),
	('end_session', 'read-only: the live token', format('authsessions.end_session(%s)', hv('tok_live')), '25006', NULL, true, NULL),
	('end_session', 'read-only: malformed', format('authsessions.end_session(%s)', hv('sql1')), '25006', NULL, true, NULL),
	('end_session', 'read-only: NULL', 'authsessions.end_session(NULL)', '25006', NULL, true, NULL),
	('end_session', 'claims not JSON, malformed token', format('authsessions.end_session(%s)', hv('sql1')), '00000', '{"Success": false}', false,
	 $$SELECT set_config('request.jwt.claims', 'not json', true)$$);

-- purge(older_than, batch)
INSERT INTO hb_cases (fn, label, call, expected)
SELECT 'purge', format('older_than %s, batch %s', i.label, b.label),
	format('authsessions.purge(%s, %s) >= 0', i.v, b.v),
	CASE WHEN i.age_ok AND b.batch_ok THEN '00000' ELSE '22023' END
FROM hb_intervals i, hb_ints b;
INSERT INTO hb_cases (fn, label, call, expected, expect_result, caller_side, read_only) VALUES
	('purge', 'defaults', 'authsessions.purge()', '00000', '0', false, false),
	('purge', 'huge older_than purges nothing', 'authsessions.purge(''100000000 days'')', '00000', '0', false, false),
	('purge', 'older_than not an interval', format('authsessions.purge(%s::interval)', hv('sql2')), '22007', NULL, true, false),
	('purge', 'batch not an integer', format('authsessions.purge(NULL, %s::integer)', hv('fmt')), '22P02', NULL, true, false),
	('purge', 'read-only', 'authsessions.purge()', '25006', NULL, false, true),
	('purge', 'read-only, bad arguments', 'authsessions.purge(''-1 day'', -1)', '25006', NULL, false, true);

-- Every documented SQLSTATE of each function (plus the caller's cast errors).
CREATE TABLE hb_documented (fn text, sqlstate text);
INSERT INTO hb_documented
SELECT fn, s FROM (VALUES
	('list', ARRAY['22023']),
	('user_sessions', ARRAY['22004', '22023']),
	('ended_sessions', ARRAY['22004', '22023']),
	('revoke', ARRAY['22004', 'PT404', '25006', '22P02']),	-- 22P02: claims not JSON
	('revoke_user', ARRAY['22004', 'PT404', '25006']),
	('upsert_user', ARRAY['22004', '22023', '22001', '25006']),
	('delete_user', ARRAY['22004', '25006']),
	('create_session', ARRAY['22004', '22023', '22001', 'PT404', '25006']),
	('validate', ARRAY[]::text[]),
	('check_token', ARRAY[]::text[]),
	('issue_jwt', ARRAY['22023']),
	('parse_user_agent', ARRAY['22004', '22001']),
	('end_session', ARRAY['22004', '25006']),
	('purge', ARRAY['22023', '25006'])
) d(fn, states), unnest(states || ARRAY['00000']) s;

------------------------------------------------------------------------------
-- Run every case: own transaction (\gexec runs each statement on its own),
-- own subtransaction, always rolled back.
------------------------------------------------------------------------------
CREATE FUNCTION hb_run(case_id integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	c hb_cases;
	r text;
	st text;
	msg text;
BEGIN
	SELECT * INTO STRICT c FROM hb_cases WHERE id = case_id;
	BEGIN
		IF c.pre IS NOT NULL THEN
			EXECUTE c.pre;
		END IF;
		IF c.read_only THEN
			PERFORM set_config('transaction_read_only', 'on', true);
		END IF;
		EXECUTE 'SELECT (' || c.call || ')::text' INTO r;
		RAISE SQLSTATE 'HB000';		-- roll the call back
	EXCEPTION
		WHEN SQLSTATE 'HB000' THEN
			st := '00000';
		WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	END;
	UPDATE hb_cases
	SET sqlstate = st, message = left(msg, 300),
		result = CASE WHEN st = '00000' THEN coalesce(r, '<NULL>') END
	WHERE id = case_id;
END
$$;

\o /dev/null
SELECT format('SELECT hb_run(%s)', id) FROM hb_cases ORDER BY id \gexec
\o

------------------------------------------------------------------------------
-- The round trip: accepted text comes back byte for byte.
------------------------------------------------------------------------------
CREATE TABLE hb_roundtrip (
	k text PRIMARY KEY,
	v text,
	guid uuid NOT NULL DEFAULT gen_random_uuid(),
	ua text,
	session jsonb,
	stored_ua text,
	via_validate jsonb,
	via_user_sessions jsonb,
	via_list jsonb
);
-- every hostile text a name, device field (at most 256 characters, not
-- empty) can hold; the user agent takes up to 1024
INSERT INTO hb_roundtrip (k, v, ua)
SELECT k, v, CASE WHEN k = 'n256' THEN (SELECT v FROM hb_values WHERE k = 'ua1024_mb') ELSE v END
FROM hb_texts WHERE v <> '' AND chars <= 256;
-- and a sample of the random texts
INSERT INTO hb_roundtrip (k, v, ua)
SELECT k, v, v FROM hb_values WHERE k LIKE 'rnd\_%' AND v <> '' AND k LIKE '%\_1';

SELECT count(authsessions.upsert_user(guid, v)) FROM hb_roundtrip \g /dev/null
UPDATE hb_roundtrip SET session = authsessions.create_session(guid, v, v, v, NULL, ua);
UPDATE hb_roundtrip r SET
	stored_ua = (SELECT s.user_agent FROM authsessions_data.sessions s WHERE s.id = (r.session->>'ID')::bigint),
	via_validate = authsessions.validate(r.session->>'Token'),
	via_user_sessions = authsessions.user_sessions(r.guid) -> 0;
UPDATE hb_roundtrip r SET via_list = l.e
FROM (SELECT e FROM jsonb_array_elements(authsessions.list(page_size => 1000)) e) l
WHERE l.e->>'UserGuid' = r.guid::text;
