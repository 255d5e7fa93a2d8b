-- revoke and end_session are one SQL UPDATE statement each (since 1.1: it
-- locks the user row, ends the session and rewrites the user's summary),
-- so they behave as any UPDATE of the tables does:
--  - the summary and the indexes right, also when an update cannot be HOT
--    (a packed page: the new version goes elsewhere and every index gets an
--    entry, checked with amcheck);
--  - a malformed summary rewritten into a well-formed one as the session
--    ends;
--  - triggers fire, a BEFORE trigger can skip the row, added constraints
--    are checked, row-level security restricts a function owner it applies
--    to, a deferrable foreign key changes nothing.
-- (1.0 wrote the two rows directly, src/write.c, and took the SQL statement
-- only when the tables had triggers or row-level security; the checks of
-- which way was taken, and of 1.0's session_entries, are gone with it.)
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE EXTENSION amcheck;
CREATE ROLE regress_owner;

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

-- On roomy pages: a revoke and a logout update the session and its user
-- once each, HOT (the login between them updates the user row too).
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

-- A malformed summary (1.0's revoke raised XX001 and wrote nothing): the
-- statement ends the session and writes the summary back well-formed, a
-- one-dimensional array without NULLs.  A NULL element, for revoke ...
CREATE FUNCTION pg_temp.alice_shape(OUT ndims integer, OUT nulls bigint, OUT elements integer)
LANGUAGE sql AS $$
	SELECT array_ndims(session_expiries),
		(SELECT count(*) FROM unnest(session_expiries) AS e WHERE e IS NULL),
		cardinality(session_expiries)
	FROM authsessions_data.users WHERE name = 'alice' $$;
UPDATE authsessions_data.users SET session_expiries = ARRAY[NULL::timestamptz] || session_expiries
 WHERE name = 'alice';
SELECT * FROM pg_temp.alice_shape();
SELECT authsessions.revoke(3);
SELECT revoked_at IS NOT NULL AS revoked FROM authsessions_data.sessions WHERE id = 3;
SELECT * FROM pg_temp.alice_shape();
SELECT * FROM pg_temp.summary_mismatch();
-- ... a 2-D array, for end_session
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b2') AS s \gset
UPDATE authsessions_data.users SET session_expiries = ARRAY[session_expiries] WHERE name = 'alice';
SELECT * FROM pg_temp.alice_shape();
SELECT authsessions.end_session(:'tok');
SELECT * FROM pg_temp.alice_shape();
SELECT * FROM pg_temp.summary_mismatch();
SELECT authsessions.list() -> 0 -> 'SessionCount' AS alice_sessions;

-- Triggers: a row trigger on sessions and a statement trigger on users fire
-- for revoke and end_session; a call that ends nothing still runs its
-- statement (the statement trigger fires), a failed revoke rolls back.
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
SELECT authsessions.revoke(4);
SELECT s ->> 'Token' AS tok FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b3') AS s \gset
TRUNCATE audit;
SELECT authsessions.end_session(:'tok');
SELECT authsessions.end_session(:'tok');
SELECT authsessions.revoke(4);
\echo :LAST_ERROR_SQLSTATE
SELECT tab, op, level, revoked FROM audit ORDER BY n;
SELECT * FROM pg_temp.summary_mismatch();
DROP TRIGGER audit_sessions ON authsessions_data.sessions;
-- a trigger on users alone fires too
TRUNCATE audit;
SELECT authsessions.revoke(5);
SELECT tab, op, level FROM audit ORDER BY n;
DROP TRIGGER audit_users ON authsessions_data.users;
-- dropped, they fire no more (the kept statement is planned again)
TRUNCATE audit;
SELECT authsessions.revoke(6);
SELECT count(*) AS audited FROM audit;

-- A BEFORE trigger that skips the session's row: nothing is ended, revoke
-- answers PT404 and the summary is untouched.
CREATE FUNCTION keep_a7() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RETURN NULL;
END $$;
CREATE TRIGGER keep_a7 BEFORE UPDATE ON authsessions_data.sessions
	FOR EACH ROW WHEN (OLD.smartphone = 'a7') EXECUTE FUNCTION keep_a7();
SELECT authsessions.revoke(7);
\echo :LAST_ERROR_SQLSTATE
SELECT revoked_at IS NULL AS still_active FROM authsessions_data.sessions WHERE id = 7;
SELECT * FROM pg_temp.summary_mismatch();
DROP TRIGGER keep_a7 ON authsessions_data.sessions;
DROP FUNCTION keep_a7();
-- A constraint added to sessions is checked: a revoke that breaks it fails
-- (23514) and ends nothing.
ALTER TABLE authsessions_data.sessions
	ADD CONSTRAINT regress_not_blocked CHECK (revoked_by IS DISTINCT FROM 'blocked');
SET request.jwt.claims = '{"sub": "blocked"}';
SELECT authsessions.revoke(7);
\echo :LAST_ERROR_SQLSTATE
RESET request.jwt.claims;
SELECT revoked_at IS NULL AS still_active FROM authsessions_data.sessions WHERE id = 7;
SELECT authsessions.revoke(7);
ALTER TABLE authsessions_data.sessions DROP CONSTRAINT regress_not_blocked;

-- Row-level security: the statement runs as the function's owner.  Owned by
-- a role it applies to (not a superuser, not the tables' owner), revoke
-- sees only the sessions a policy lets it update (a hidden one: PT404);
-- owned by the superuser that created the extension, as installed, none
-- of it applies.
SELECT proowner::regrole AS owner FROM pg_proc WHERE oid = 'authsessions.revoke(bigint)'::regprocedure \gset
GRANT USAGE ON SCHEMA authsessions_data TO regress_owner;
GRANT SELECT, UPDATE ON authsessions_data.sessions, authsessions_data.users TO regress_owner;
ALTER FUNCTION authsessions.revoke(bigint) OWNER TO regress_owner;
ALTER TABLE authsessions_data.sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_hide_a8 ON authsessions_data.sessions USING (smartphone IS DISTINCT FROM 'a8');
SELECT authsessions.revoke(8);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke(9);
SELECT id, revoked_at IS NOT NULL AS revoked FROM authsessions_data.sessions WHERE id IN (8, 9) ORDER BY id;
-- RLS on users too, without a policy: no user row, nothing revoked
ALTER TABLE authsessions_data.users ENABLE ROW LEVEL SECURITY;
SELECT authsessions.revoke(10);
\echo :LAST_ERROR_SQLSTATE
ALTER FUNCTION authsessions.revoke(bigint) OWNER TO :"owner";
SELECT authsessions.revoke(8);
ALTER TABLE authsessions_data.users DISABLE ROW LEVEL SECURITY;
DROP POLICY regress_hide_a8 ON authsessions_data.sessions;
ALTER TABLE authsessions_data.sessions DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON authsessions_data.sessions, authsessions_data.users FROM regress_owner;
REVOKE ALL ON SCHEMA authsessions_data FROM regress_owner;
SELECT * FROM pg_temp.summary_mismatch();

-- A deferrable foreign key: the same results.
ALTER TABLE authsessions_data.sessions
	ALTER CONSTRAINT sessions_user_id_fkey DEFERRABLE INITIALLY DEFERRED;
BEGIN;
SELECT s ->> 'ID' AS new_id FROM authsessions.create_session('00000000-0000-4000-8000-00000000000a', 'b4') AS s \gset
SELECT authsessions.revoke(:new_id);
SELECT authsessions.revoke(10);
COMMIT;
ALTER TABLE authsessions_data.sessions ALTER CONSTRAINT sessions_user_id_fkey NOT DEFERRABLE;
SELECT authsessions.revoke(10);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM authsessions_data.sessions WHERE revoked_at IS NULL AND smartphone <> 'filler' ORDER BY id;
SELECT * FROM pg_temp.summary_mismatch();
SELECT pg_temp.indexes_ok() AS indexes_ok;

DROP TABLE audit;
DROP FUNCTION audit_session(), audit_statement();
DROP VIEW pg_temp.counts;
DROP EXTENSION amcheck;
DROP EXTENSION authsessions;
DROP ROLE regress_owner;
