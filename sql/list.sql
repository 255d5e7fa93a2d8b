-- list(page, page_size, after): the users with at least one active session,
-- with their active session count, ordered by UserName (byte order) then
-- UserGuid; page numbers or keyset paging.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- pg_temp.resync_summary(): the fixtures below edit sessions by hand
\i sql/include/summary.sql

-- An empty store lists nobody.
SELECT authsessions.list();

-- Fixture: fixed guids; names whose byte order ("C") differs from a
-- linguistic one (B < Z < a < dup < ... < ä < é); two users named alike.
SELECT count(authsessions.upsert_user(g::uuid, n, o)) AS users
FROM (VALUES
	('83bde819-ec08-4cee-b635-884145630d0b', 'user', true),
	('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false),
	('00000000-0000-4000-8000-000000000001', 'B', false),
	('00000000-0000-4000-8000-000000000002', 'Z', true),
	('00000000-0000-4000-8000-000000000003', 'a', false),
	('00000000-0000-4000-8000-000000000004', 'ä', false),
	('00000000-0000-4000-8000-000000000005', 'é', false),
	('00000000-0000-4000-8000-000000000007', 'dup', false),
	('00000000-0000-4000-8000-000000000006', 'dup', true),
	('00000000-0000-4000-8000-000000000008', 'mixed', false),
	('00000000-0000-4000-8000-000000000009', 'nosessions', false),
	('00000000-0000-4000-8000-00000000000a', 'revoked', false),
	('00000000-0000-4000-8000-00000000000b', 'expired', false)
) AS u(g, n, o);
-- sessions: user 1, user2 4, Z 2, the others 1; "mixed" has one active, one
-- revoked, one expired; "revoked" and "expired" have none active.
SELECT count(authsessions.create_session(g::uuid, 'session ' || i)) AS sessions
FROM (VALUES
	('83bde819-ec08-4cee-b635-884145630d0b', 1),
	('90b10bb2-8c70-456f-b960-2251ae6d8778', 4),
	('00000000-0000-4000-8000-000000000001', 1),
	('00000000-0000-4000-8000-000000000002', 2),
	('00000000-0000-4000-8000-000000000003', 1),
	('00000000-0000-4000-8000-000000000004', 1),
	('00000000-0000-4000-8000-000000000005', 1),
	('00000000-0000-4000-8000-000000000006', 1),
	('00000000-0000-4000-8000-000000000007', 1),
	('00000000-0000-4000-8000-000000000008', 3),
	('00000000-0000-4000-8000-00000000000a', 2),
	('00000000-0000-4000-8000-00000000000b', 1)
) AS u(g, n), generate_series(1, n) AS i;
SELECT count(authsessions.revoke(s.id)) AS revoked
FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
WHERE (u.name = 'mixed' AND s.smartphone = 'session 2') OR u.name = 'revoked';
UPDATE authsessions_data.sessions s SET expires_at = now() - interval '1 second'
FROM authsessions_data.users u
WHERE u.id = s.user_id AND ((u.name = 'mixed' AND s.smartphone = 'session 3') OR u.name = 'expired');
SELECT pg_temp.resync_summary();

-- The whole list, in order: exact JSON, one element per row.
SELECT o, e FROM jsonb_array_elements(authsessions.list()) WITH ORDINALITY AS x(e, o);
-- exactly these keys, and JSON types
SELECT DISTINCT (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(e) AS k) AS keys
FROM jsonb_array_elements(authsessions.list()) AS e;
SELECT DISTINCT jsonb_typeof(e -> 'UserGuid') AS guid, jsonb_typeof(e -> 'UserName') AS name,
	jsonb_typeof(e -> 'SessionCount') AS count, jsonb_typeof(e -> 'IsOperator') AS operator
FROM jsonb_array_elements(authsessions.list()) AS e;
-- the documented example's two users, exactly
SELECT jsonb_path_query_array(authsessions.list(), '$[*] ? (@.UserName starts with "user")') =
	'[{"UserGuid": "83bde819-ec08-4cee-b635-884145630d0b", "UserName": "user", "SessionCount": 1, "IsOperator": true},
	  {"UserGuid": "90b10bb2-8c70-456f-b960-2251ae6d8778", "UserName": "user2", "SessionCount": 4, "IsOperator": false}]'::jsonb
	AS documented_example;
-- the same with every argument NULL (their defaults) or named
SELECT authsessions.list(NULL, NULL, NULL) = authsessions.list() AS nulls_are_defaults,
	authsessions.list(page => 1, page_size => 50, after => NULL) = authsessions.list() AS named;
-- STABLE reader: fine in a read-only transaction
BEGIN READ ONLY;
SELECT jsonb_array_length(authsessions.list()) AS read_only_ok;
COMMIT;

-- Page numbers.
SELECT p, jsonb_path_query_array(authsessions.list(p, 3), '$[*].UserName') AS names
FROM generate_series(1, 5) AS p;
SELECT jsonb_path_query_array(authsessions.list(page_size => 1), '$[*].UserName') AS first_only,
	jsonb_path_query_array(authsessions.list(10, 1), '$[*].UserName') AS tenth,
	authsessions.list(11, 1) AS eleventh;
-- A page by number past the end is [] without reading a users row when the
-- listed-users index holds no more entries than the page skips; otherwise
-- (here: the 12 listed users include 2 with no active session) the walk
-- finds it empty.  Counted with the users rows this transaction fetched
-- through that index.  Every page of one user is the same as the whole
-- list's element, to the end and past it.
CREATE TEMP VIEW listed_fetched AS
	SELECT pg_stat_get_xact_tuples_fetched('authsessions_data.users_listed_name_guid_idx'::regclass) AS n;
SELECT count(*) AS listed_users FROM authsessions_data.users WHERE listed;
BEGIN;
SELECT n AS f0 FROM listed_fetched \gset
SELECT authsessions.list(11, 1) AS past_10_active;
SELECT n - :f0 AS users_fetched FROM listed_fetched;
SELECT n AS f0 FROM listed_fetched \gset
SELECT authsessions.list(100, 1) AS past_the_index;
SELECT n - :f0 AS users_fetched FROM listed_fetched;
SELECT n AS f0 FROM listed_fetched \gset
SELECT authsessions.list(2147483647) AS far_past;
SELECT n - :f0 AS users_fetched FROM listed_fetched;
COMMIT;
DROP VIEW listed_fetched;
SELECT count(*) FILTER (WHERE authsessions.list(p, 1) =
						CASE WHEN p <= jsonb_array_length(authsessions.list())
							 THEN jsonb_build_array(authsessions.list() -> (p - 1))
							 ELSE '[]' END) AS pages_agree,
	count(*) AS pages
FROM generate_series(1, 30) AS p;
-- far pages: the arithmetic does not overflow
SELECT authsessions.list(2147483647) AS last_page_50,
	authsessions.list(2147483647, 1000) AS last_page_1000;
SET authsessions.max_page_size = 1000000;
SELECT authsessions.list(2147483647, 1000000) AS last_page_1000000;
RESET authsessions.max_page_size;

-- Keyset paging: after = the last UserGuid of the previous page.
SELECT authsessions.list(1, 3) -> 2 ->> 'UserGuid' AS cursor1 \gset
SELECT authsessions.list(1, 3, :'cursor1') = authsessions.list(2, 3) AS after_page1_is_page2,
	authsessions.list(NULL, 3, :'cursor1') = authsessions.list(2, 3) AS page_null_ok;
SELECT authsessions.list(1, 3, :'cursor1') -> 2 ->> 'UserGuid' AS cursor2 \gset
SELECT authsessions.list(1, 3, :'cursor2') = authsessions.list(3, 3) AS after_page2_is_page3;
-- the cursor between two users named alike
SELECT jsonb_path_query_array(authsessions.list(after => '00000000-0000-4000-8000-000000000006', page_size => 2), '$[*].UserGuid') AS after_first_dup;
-- after the last user: nothing
SELECT authsessions.list(after => '00000000-0000-4000-8000-000000000005') AS after_last;
-- a known user with no active session is a valid cursor: the users after it
SELECT jsonb_path_query_array(authsessions.list(after => '00000000-0000-4000-8000-000000000009'), '$[*].UserName') AS after_nosessions;
-- walking the whole list by keyset gives the whole list
WITH RECURSIVE walk(n, page) AS (
	SELECT 1, authsessions.list(page_size => 2)
	UNION ALL
	SELECT n + 1, authsessions.list(page_size => 2, after => (page -> -1 ->> 'UserGuid')::uuid)
	FROM walk WHERE jsonb_array_length(page) > 0
)
SELECT count(*) FILTER (WHERE jsonb_array_length(page) > 0) AS pages,
	jsonb_agg(e ORDER BY n, o) = authsessions.list() AS same_as_whole_list
FROM walk, jsonb_array_elements(page) WITH ORDINALITY AS x(e, o);

-- after with a page above 1, or naming no known user: 22023.
SELECT authsessions.list(2, 3, :'cursor1');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(after => 'ffffffff-ffff-4fff-bfff-ffffffffffff');
\echo :LAST_ERROR_SQLSTATE
-- a deleted user is no longer a cursor
SELECT authsessions.delete_user('00000000-0000-4000-8000-00000000000a');
SELECT authsessions.list(after => '00000000-0000-4000-8000-00000000000a');
\echo :LAST_ERROR_SQLSTATE

-- Bad page and page_size: 22023.
SELECT authsessions.list(0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(-2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, 1001);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.list(1, 2147483647);
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_array_length(authsessions.list(1, 1000)) AS max_page_size_ok;

-- Counts follow the sessions: a revoke lowers them, the last one unlists.
SELECT e ->> 'UserName' AS name, e -> 'SessionCount' AS count
FROM jsonb_array_elements(authsessions.list()) AS e WHERE e ->> 'UserName' IN ('Z', 'user');
SELECT count(authsessions.revoke(s.id)) AS revoked
FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
WHERE u.name = 'Z' AND s.smartphone = 'session 1';
UPDATE authsessions_data.sessions s SET expires_at = now() - interval '1 second'
FROM authsessions_data.users u WHERE u.id = s.user_id AND u.name = 'user';
SELECT pg_temp.resync_summary();
SELECT e ->> 'UserName' AS name, e -> 'SessionCount' AS count
FROM jsonb_array_elements(authsessions.list()) AS e WHERE e ->> 'UserName' IN ('Z', 'user');
-- a renamed user moves
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'zz') > 0 AS renamed;
SELECT jsonb_path_query_array(authsessions.list(), '$[*].UserName') AS names;

DROP EXTENSION authsessions;
