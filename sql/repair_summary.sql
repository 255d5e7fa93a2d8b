-- repair_summary(guid): recompute the summary list() reads (users.listed and
-- users.session_expiries) of the users whose summary is wrong, and say how
-- many.  A malformed summary makes list() raise XX001 with a hint naming it;
-- user_sessions then reads every row of the user.  Granted to nobody.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE ROLE regress_repair_admin;
GRANT USAGE ON SCHEMA authsessions TO regress_repair_admin;
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid) TO regress_repair_admin;
\i sql/include/summary.sql

SELECT count(authsessions.upsert_user(('00000000-0000-4000-8000-00000000000' || i)::uuid, 'user ' || i)) AS users
FROM generate_series(1, 5) AS i;
SELECT count(authsessions.create_session(('00000000-0000-4000-8000-00000000000' || i)::uuid)) AS sessions
FROM generate_series(1, 5) AS i, generate_series(1, i) AS j;
PREPARE counts AS
	SELECT string_agg((e ->> 'UserName') || '=' || (e ->> 'SessionCount'), ', ') AS list
	FROM jsonb_array_elements(authsessions.list()) AS e;
EXECUTE counts;
SELECT authsessions.repair_summary() AS nothing_wrong;

-- malformed: two dimensions, a NULL element.  list raises XX001 and says
-- how to repair; user_sessions still answers from the sessions.
UPDATE authsessions_data.users SET session_expiries = ARRAY[session_expiries[1:1], session_expiries[2:2]]
WHERE name = 'user 2';
UPDATE authsessions_data.users SET session_expiries = session_expiries || NULL::timestamptz
WHERE name = 'user 3';
\set VERBOSITY default
SELECT authsessions.list();
\set VERBOSITY terse
SELECT jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-000000000002')) AS user_2_sessions;
-- a keyset page that starts at the broken user reads it too
SELECT authsessions.list(page => 1, page_size => 1, after => '00000000-0000-4000-8000-000000000002');

-- wrong but readable: a lost expiry, an extra one, unlisted with sessions
UPDATE authsessions_data.users SET session_expiries = session_expiries[2:] WHERE name = 'user 4';
UPDATE authsessions_data.users SET session_expiries = session_expiries || (now() + interval '1 hour') WHERE name = 'user 5';
UPDATE authsessions_data.users SET listed = false WHERE name = 'user 1';
-- not wrong: past leftovers and another order (purge's and nobody's work)
UPDATE authsessions_data.users SET session_expiries = '2000-01-01'::timestamptz || session_expiries WHERE name = 'user 5';

-- one user: only that one; then all the others
SELECT authsessions.repair_summary('00000000-0000-4000-8000-000000000002') AS repaired_one;
SELECT authsessions.repair_summary('00000000-0000-4000-8000-0000000000ff') AS unknown_user;
SELECT authsessions.repair_summary() AS repaired;
SELECT authsessions.repair_summary() AS again;
EXECUTE counts;
SELECT * FROM pg_temp.summary_mismatch();
SELECT name, listed, array_ndims(session_expiries) AS ndims, cardinality(session_expiries) AS elements
FROM authsessions_data.users ORDER BY name;

-- a writer also heals a malformed array it rewrites (its SQL flattens it
-- and drops NULLs and past elements)
UPDATE authsessions_data.users SET session_expiries = ARRAY[session_expiries[1:1], session_expiries[2:2]]
WHERE name = 'user 2';
SELECT authsessions.create_session('00000000-0000-4000-8000-000000000002') IS NOT NULL AS login;
SELECT array_ndims(session_expiries) AS ndims, cardinality(session_expiries) AS elements
FROM authsessions_data.users WHERE name = 'user 2';
EXECUTE counts;

-- privileges: nobody but a superuser, unless granted; read-only refused
SET ROLE regress_repair_admin;
SELECT authsessions.repair_summary();
RESET ROLE;
BEGIN READ ONLY;
SELECT authsessions.repair_summary();
ROLLBACK;
SELECT has_function_privilege('public', 'authsessions.repair_summary(uuid)', 'EXECUTE') AS public_may;

DROP EXTENSION authsessions;
DROP ROLE regress_repair_admin;
