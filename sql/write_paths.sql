-- revoke and end_session write their two rows directly (src/write.c), not
-- through the executor.  What that must keep:
--  - the summary and the indexes right, also when an update cannot be HOT
--    (a packed page: the new version goes elsewhere and every index gets an
--    entry, checked with amcheck);
--  - a malformed summary reported (XX001), nothing written;
--  - when the tables have what only the executor runs (an UPDATE trigger
--    other than a foreign key's, a deferrable foreign key, row-level
--    security), the same change made by the SQL statement instead, so that
--    the triggers fire.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE EXTENSION amcheck;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-00000000000a', 'alice') AS alice;
SELECT count(authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'a' || i))
  FROM generate_series(1, 12) AS i;
SELECT array_agg(s.id ORDER BY s.id) AS ids FROM authsessions_data.sessions s;
-- (tokens are handed out once: the end_session calls log in first)

-- pg_temp.summary_mismatch(): the users whose summary disagrees with their
-- sessions (none, ever)
\i sql/include/summary.sql
CREATE VIEW pg_temp.counts AS
	SELECT pg_stat_get_xact_tuples_updated('authsessions_data.sessions'::regclass) AS s_upd,
		pg_stat_get_xact_tuples_hot_updated('authsessions_data.sessions'::regclass) AS s_hot,
		pg_stat_get_xact_tuples_updated('authsessions_data.users'::regclass) AS u_upd,
		pg_stat_get_xact_tuples_hot_updated('authsessions_data.users'::regclass) AS u_hot;
-- every index of both tables is sound and has an entry for every live row
CREATE FUNCTION pg_temp.indexes_ok() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	i regclass;
	n integer := 0;
BEGIN
	FOR i IN SELECT x.indexrelid FROM pg_index x
			  WHERE x.indrelid IN ('authsessions_data.users'::regclass,
								   'authsessions_data.sessions'::regclass) LOOP
		PERFORM bt_index_check(i, true);
		n := n + 1;
	END LOOP;
	RETURN n = 7;
END $$;

-- The direct way, on roomy pages: HOT, the summary exact.
BEGIN;
SELECT s_upd AS s0, s_hot AS sh0, u_upd AS u0, u_hot AS uh0 FROM pg_temp.counts \gset
SELECT authsessions.revoke(1);
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b1') AS s \gset
SELECT authsessions.end_session(:'tok');
SELECT s_upd - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_upd - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM pg_temp.counts;
COMMIT;
SELECT * FROM pg_temp.summary_mismatch();
SELECT authsessions.revoke(1);

-- Packed pages: alice's row and the sessions' first page are full, so the
-- next revoke writes both new versions on other pages, with index entries.
SELECT count(authsessions.upsert_user(
		('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'filler ' || i))
  FROM generate_series(100, 399) AS i;
SELECT count(authsessions.create_session(
		('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'filler'))
  FROM generate_series(100, 199) AS i;
ALTER TABLE authsessions_data.users SET (fillfactor = 100);
ALTER TABLE authsessions_data.sessions SET (fillfactor = 100);
VACUUM FULL authsessions_data.users;
VACUUM FULL authsessions_data.sessions;
SELECT (ctid::text::point)[0] AS alice_page FROM authsessions_data.users WHERE name = 'alice';
SELECT (ctid::text::point)[0] AS session_page FROM authsessions_data.sessions WHERE id = 2;
BEGIN;
SELECT s_upd AS s0, s_hot AS sh0, u_upd AS u0, u_hot AS uh0 FROM pg_temp.counts \gset
SELECT authsessions.revoke(2);
SELECT s_upd - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_upd - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM pg_temp.counts;
COMMIT;
SELECT (ctid::text::point)[0] <> 0 AS alice_moved FROM authsessions_data.users WHERE name = 'alice';
SELECT (ctid::text::point)[0] <> 0 AS session_moved FROM authsessions_data.sessions WHERE id = 2;
SELECT pg_temp.indexes_ok() AS indexes_ok;
SELECT * FROM pg_temp.summary_mismatch();
-- read through the indexes: list (the partial index), user_sessions (user_id)
SELECT authsessions.list() -> 0 -> 'SessionCount' AS alice_sessions;
SELECT jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-00000000000a')) AS active;
SELECT authsessions.revoke(2);
ALTER TABLE authsessions_data.users RESET (fillfactor);
ALTER TABLE authsessions_data.sessions SET (fillfactor = 80);

-- A malformed summary: XX001, and the session stays active.
UPDATE authsessions_data.users SET session_expiries = ARRAY[NULL::timestamptz] || session_expiries
 WHERE name = 'alice';
SELECT authsessions.revoke(3);
\echo :LAST_ERROR_SQLSTATE
SELECT revoked_at IS NULL AS still_active FROM authsessions_data.sessions WHERE id = 3;
-- without the NULL (the slice keeps the array's null bitmap): readable again
UPDATE authsessions_data.users SET session_expiries = session_expiries[2:] WHERE name = 'alice';
SELECT authsessions.list() -> 0 -> 'SessionCount' AS alice_sessions;
SELECT * FROM pg_temp.summary_mismatch();
-- the same for session_entries: a NULL element, then a 2-D array
UPDATE authsessions_data.users SET session_entries = NULL::authsessions_data.session_entry || session_entries
 WHERE name = 'alice';
SELECT authsessions.revoke(3);
\echo :LAST_ERROR_SQLSTATE
UPDATE authsessions_data.users SET session_entries = ARRAY[session_entries[2:]]
 WHERE name = 'alice';
SELECT authsessions.revoke(3);
\echo :LAST_ERROR_SQLSTATE
SELECT revoked_at IS NULL AS still_active FROM authsessions_data.sessions WHERE id = 3;
UPDATE authsessions_data.users SET session_entries = ARRAY(SELECT e FROM unnest(session_entries) AS e)
 WHERE name = 'alice';
SELECT * FROM pg_temp.summary_mismatch();
-- an entry without an id matches no session: revoke leaves it, and the
-- session's own entry goes
UPDATE authsessions_data.users SET session_entries = session_entries
	|| ROW(NULL, now(), now() - interval '1 day', NULL, NULL, NULL)::authsessions_data.session_entry
 WHERE name = 'alice';
BEGIN;
SELECT authsessions.revoke(3);
SELECT array_agg(e.id ORDER BY e.id) AS entry_ids, count(*) AS entries
  FROM authsessions_data.users u, unnest(u.session_entries) AS e WHERE u.name = 'alice';
SELECT * FROM pg_temp.summary_mismatch();
ROLLBACK;
UPDATE authsessions_data.users SET session_entries = ARRAY(
	SELECT e FROM unnest(session_entries) AS e WHERE e.id IS NOT NULL)
 WHERE name = 'alice';

-- Triggers: a row trigger on sessions and a statement trigger on users fire
-- for revoke and end_session, which take the SQL statement's way.
CREATE TABLE audit (n serial, tab text, op text, level text, revoked boolean);
CREATE FUNCTION audit_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.audit (tab, op, level, revoked)
	VALUES (TG_TABLE_NAME, TG_OP, TG_LEVEL, NEW.revoked_at IS NOT NULL);
	RETURN NULL;
END $$;
CREATE FUNCTION audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.audit (tab, op, level) VALUES (TG_TABLE_NAME, TG_OP, TG_LEVEL);
	RETURN NULL;
END $$;
CREATE TRIGGER audit_sessions AFTER UPDATE ON authsessions_data.sessions
	FOR EACH ROW EXECUTE FUNCTION audit_session();
CREATE TRIGGER audit_users AFTER UPDATE ON authsessions_data.users
	FOR EACH STATEMENT EXECUTE FUNCTION audit_statement();
SELECT authsessions.revoke(3);
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b2') AS s \gset
TRUNCATE audit;
SELECT authsessions.end_session(:'tok');
SELECT authsessions.end_session(:'tok');
SELECT authsessions.revoke(3);
\echo :LAST_ERROR_SQLSTATE
SELECT tab, op, level, revoked FROM audit ORDER BY n;
SELECT * FROM pg_temp.summary_mismatch();
DROP TRIGGER audit_sessions ON authsessions_data.sessions;
-- a trigger on users alone is enough
TRUNCATE audit;
SELECT authsessions.revoke(4);
SELECT tab, op, level FROM audit ORDER BY n;
DROP TRIGGER audit_users ON authsessions_data.users;
-- none left: the direct way again, no trigger fires
TRUNCATE audit;
SELECT authsessions.revoke(5);
SELECT count(*) AS audited FROM audit;

-- Row-level security on either table, and a deferrable foreign key: the SQL
-- statement's way; the results are the same.
ALTER TABLE authsessions_data.sessions ENABLE ROW LEVEL SECURITY;
SELECT authsessions.revoke(6);
ALTER TABLE authsessions_data.sessions DISABLE ROW LEVEL SECURITY;
ALTER TABLE authsessions_data.users ENABLE ROW LEVEL SECURITY;
SELECT authsessions.revoke(7);
ALTER TABLE authsessions_data.users DISABLE ROW LEVEL SECURITY;
ALTER TABLE authsessions_data.sessions
	ALTER CONSTRAINT sessions_user_id_fkey DEFERRABLE INITIALLY DEFERRED;
BEGIN;
SELECT s ->> 'ID' AS new_id FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b3') AS s \gset
SELECT authsessions.revoke(:new_id);
SELECT authsessions.revoke(8);
COMMIT;
ALTER TABLE authsessions_data.sessions ALTER CONSTRAINT sessions_user_id_fkey NOT DEFERRABLE;
SELECT authsessions.revoke(8);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM authsessions_data.sessions WHERE revoked_at IS NULL AND smartphone <> 'filler' ORDER BY id;
SELECT * FROM pg_temp.summary_mismatch();
SELECT pg_temp.indexes_ok() AS indexes_ok;

DROP TABLE audit;
DROP FUNCTION audit_session(), audit_statement();
DROP VIEW pg_temp.counts;
DROP EXTENSION amcheck;
DROP EXTENSION authsessions;
