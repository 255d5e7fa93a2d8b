-- list's walk of the users: the listed-users index read with an ordinary
-- index scan (index_getnext_slot), each user's session count taken from its
-- row.  Here on 1,500 users spread over many heap pages and index leaf
-- pages, in a name order unrelated to the heap's, then with HOT-updated
-- rows, renamed users (their old index entries lead to dead rows), deleted
-- ones, and after VACUUM: every page is what plain SQL gives, the walk
-- fetches each listed user's row once, and it marks the index entries of
-- dead rows so that later walks skip them, as any index scan does.
-- (1.0's walk looked rows up a few index entries ahead, in src/walk.c; 1.1
-- removed it, and with it the checks of how the look-ahead crossed heap
-- pages: the fixture's neighbours in name order on different heap pages.)
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE EXTENSION pageinspect;
\i sql/include/summary.sql
-- No autovacuum on these tables: an ANALYZE holds a snapshot, which could
-- keep the renamed users' old rows from being dead to everybody below.
ALTER TABLE authsessions_data.users SET (autovacuum_enabled = false);
ALTER TABLE authsessions_data.sessions SET (autovacuum_enabled = false);

-- Fixture: user i (guid and name from md5, so name order is not insertion
-- order) has i % 4 sessions; every seventh is an operator; the sessions of
-- every fifth user have all expired (it stays listed, with no active one).
SELECT count(authsessions.upsert_user(md5('guid' || i)::uuid, 'w-' || md5('name' || i),
									  i % 7 = 0)) AS users
FROM generate_series(1, 1500) AS i;
SELECT count(authsessions.create_session(md5('guid' || i)::uuid, 'phone ' || j)) AS sessions
FROM generate_series(1, 1500) AS i, generate_series(1, i % 4) AS j;
UPDATE authsessions_data.sessions s SET expires_at = now() - interval '1 second'
FROM authsessions_data.users u
WHERE u.id = s.user_id AND u.guid IN (SELECT md5('guid' || i)::uuid FROM generate_series(5, 1500, 5) AS i);
SELECT pg_temp.resync_summary();

-- What list must give, by plain SQL.
CREATE FUNCTION pg_temp.expected() RETURNS jsonb
LANGUAGE sql AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('UserGuid', u.guid, 'UserName', u.name,
			'IsOperator', u.is_operator, 'SessionCount', c.n) ORDER BY u.name COLLATE "C", u.guid), '[]')
	FROM authsessions_data.users u,
		LATERAL (SELECT count(*) AS n FROM authsessions_data.sessions s
				 WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS c
	WHERE c.n > 0 $$;
-- The whole list by keyset pages of size, and by numbered pages.
CREATE FUNCTION pg_temp.by_keyset(size integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	acc jsonb := '[]';
	page jsonb;
	after uuid;
BEGIN
	LOOP
		page := authsessions.list(1, size, after);
		EXIT WHEN jsonb_array_length(page) = 0;
		acc := acc || page;
		after := (page -> -1 ->> 'UserGuid')::uuid;
	END LOOP;
	RETURN acc;
END $$;
CREATE FUNCTION pg_temp.by_number(size integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	acc jsonb := '[]';
	page jsonb;
	p integer := 1;
BEGIN
	LOOP
		page := authsessions.list(p, size);
		EXIT WHEN jsonb_array_length(page) = 0;
		acc := acc || page;
		p := p + 1;
	END LOOP;
	RETURN acc;
END $$;
-- The listed-users index's leaf entries (high keys aside), and those marked
-- dead (LP_DEAD: skipped by later scans).
CREATE FUNCTION pg_temp.listed_index(OUT leaf_pages bigint, OUT entries bigint,
									 OUT marked_dead bigint)
LANGUAGE sql AS $$
	SELECT count(DISTINCT b), count(*), count(*) FILTER (WHERE i.dead)
	FROM generate_series(1, pg_relation_size('authsessions_data.users_listed_name_guid_idx') / 8192 - 1) AS b,
		LATERAL bt_page_stats('authsessions_data.users_listed_name_guid_idx', b::integer) AS s,
		LATERAL bt_page_items('authsessions_data.users_listed_name_guid_idx', b::integer) AS i
	WHERE s.type = 'l' AND (s.btpo_next = 0 OR i.itemoffset > 1) $$;
-- Rows found through the index (index_fetch_heap's count) and index entries
-- returned, in this transaction.
CREATE VIEW pg_temp.index_counts AS
	SELECT pg_stat_get_xact_tuples_fetched('authsessions_data.users_listed_name_guid_idx'::regclass) AS fetched,
		pg_stat_get_xact_tuples_returned('authsessions_data.users_listed_name_guid_idx'::regclass) AS returned;

-- The premise: many heap pages, many leaf pages (keyset pages start in the
-- middle of the index).
SELECT pg_relation_size('authsessions_data.users') / 8192 AS heap_pages,
	(SELECT leaf_pages FROM pg_temp.listed_index()) AS leaf_pages,
	(SELECT count(*) FROM authsessions_data.users WHERE listed) AS listed;

-- Every way of paging gives the SQL answer.
SELECT jsonb_array_length(pg_temp.expected()) AS active_users,
	authsessions.list(1, 1000) = pg_temp.expected() AS one_page,
	pg_temp.by_keyset(50) = pg_temp.expected() AS keyset_50,
	pg_temp.by_keyset(7) = pg_temp.expected() AS keyset_7,
	pg_temp.by_number(37) = pg_temp.expected() AS pages_37;

-- Rename every sixth user from the third (new index entries; the old ones
-- lead to dead rows), delete every thirtieth from the fifth, and give a
-- session more to every tenth from the second (its row rewritten in place:
-- a HOT update, the index entry unchanged).
SELECT count(authsessions.upsert_user(md5('guid' || i)::uuid, 'w-renamed-' || md5('name' || i))) AS renamed
FROM generate_series(3, 1500, 6) AS i;
SELECT count(*) FILTER (WHERE authsessions.delete_user(md5('guid' || i)::uuid) = '{"Success": true}') AS deleted
FROM generate_series(5, 1500, 30) AS i;
SELECT count(authsessions.create_session(md5('guid' || i)::uuid, 'later')) AS created
FROM generate_series(2, 1500, 10) AS i;
SELECT * FROM pg_temp.summary_mismatch();
-- The index now holds entries of dead rows, not all of them marked yet.
SELECT count(*) AS listed FROM authsessions_data.users WHERE listed \gset
SELECT entries > :listed AS dead_entries, entries - marked_dead > :listed AS some_unmarked
FROM pg_temp.listed_index();

-- One walk over the whole index (all the active users fit on a page): the
-- rows it fetched are the listed users, each once; the entries of dead rows
-- were returned by the index, and fetched nothing.  The answer is SQL's.
BEGIN;
SELECT fetched AS f0, returned AS r0 FROM pg_temp.index_counts \gset
SELECT authsessions.list(1, 1000) = pg_temp.expected() AS one_page;
SELECT fetched - :f0 AS rows_fetched, :listed AS listed,
	returned - :r0 > :listed AS dead_entries_returned
FROM pg_temp.index_counts;
SELECT returned - :r0 AS returned_before FROM pg_temp.index_counts \gset
COMMIT;
-- The walk marks the entries of dead rows (LP_DEAD), as an index scan does
-- once no snapshot can see the rows (walked again while one still could):
-- then every entry left unmarked is a listed user's, and the next walk
-- skips the marked ones.  (An entry holding several row versions, after
-- deduplication, is marked only once all of them are dead; the index may
-- still return the dead versions in those.)
DO $$
BEGIN
	FOR i IN 1..50 LOOP
		PERFORM authsessions.list(1, 1000);
		EXIT WHEN (SELECT entries - marked_dead FROM pg_temp.listed_index()) =
			(SELECT count(*) FROM authsessions_data.users WHERE listed);
		PERFORM pg_sleep(0.1);
	END LOOP;
END $$;
SELECT entries - marked_dead AS unmarked_entries, :listed AS listed
FROM pg_temp.listed_index();
BEGIN;
SELECT fetched AS f0, returned AS r0 FROM pg_temp.index_counts \gset
SELECT authsessions.list(1, 1000) = pg_temp.expected() AS one_page;
SELECT fetched - :f0 AS rows_fetched,
	returned - :r0 < :returned_before AS fewer_entries_returned
FROM pg_temp.index_counts;
COMMIT;

-- And every way of paging still gives the SQL answer.
SELECT jsonb_array_length(pg_temp.expected()) AS active_users,
	pg_temp.by_keyset(50) = pg_temp.expected() AS keyset_50,
	pg_temp.by_keyset(7) = pg_temp.expected() AS keyset_7,
	pg_temp.by_number(37) = pg_temp.expected() AS pages_37;

-- VACUUM prunes the HOT chains: the index entries of the users given a
-- session more now lead to a redirecting line pointer, then to the row.
-- The same answers.
VACUUM authsessions_data.users;
SELECT count(*) FILTER (WHERE p.lp_flags = 2) > 100 AS redirects
FROM generate_series(0, pg_relation_size('authsessions_data.users') / 8192 - 1) AS b,
	LATERAL heap_page_items(get_raw_page('authsessions_data.users', b::integer)) AS p;
SELECT authsessions.list(1, 1000) = pg_temp.expected() AS one_page,
	pg_temp.by_keyset(50) = pg_temp.expected() AS keyset_50,
	pg_temp.by_number(37) = pg_temp.expected() AS pages_37;

DROP VIEW pg_temp.index_counts;
DROP EXTENSION authsessions;
DROP EXTENSION pageinspect;
