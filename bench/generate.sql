/*
 * bench/generate.sql: fill authsessions with benchmark data, deterministically.
 *
 *   psql -v scale=100000 -v shape=dense -f bench/generate.sql
 *
 * scale  number of sessions (default 100000); there are scale/10 users with
 *        10 sessions each.
 * shape  dense: 9 users in 10 have an active session; sparse: 1 in 100 does.
 * limits off: skip the limits' copy of the sessions table (default on).
 *
 * Needs a superuser and a database where authsessions is installed.  Every
 * run replaces the whole data set:
 *   authsessions_data.users, authsessions_data.sessions  the extension's data,
 *       loaded with set-based INSERT ... SELECT straight into its tables;
 *   ref.users, ref.sessions  the same data for the hand-written SQL
 *       reference (bench/reference.sql), when schema ref exists;
 *   bench_limit.sessions     a copy of the sessions table with the same
 *       columns, constraints, indexes and foreign key, the target of the
 *       single-row UPDATE and INSERT limits.
 *
 * The layout, which the pgbench scripts rely on (U = number of users):
 *   user u (1..U): guid bench.guid(u), name 'user-' plus 12 hex digits (so
 *       name order is unrelated to u), an operator when u % 50 = 0.
 *   session s (1..10U): belongs to user 1 + (s-1) % U, in generation
 *       k = (s-1) / U (0..9): a user's sessions are spread over the table as
 *       logins are over time.  Its secret is bench.secret(s) =
 *       sha256('bench' || s), and token_hash = sha256(secret), exactly as
 *       create_session stores it.  Its token, the secret and the row's
 *       locator in 1.0's form (51 characters, which validate accepts as it
 *       accepts create_session's 'as1_' ones), depends on
 *       where the load put the row: bench.tokens holds the token of every
 *       session active at load.  bench.token(s) is the token of the same
 *       secret for the SQL reference (43 characters, no locator).
 *   a user u is active when (u-1) % period < nact (dense: period 10, nact 9;
 *       sparse: period 100, nact 1).  An active user's newest 1 + u % 4
 *       sessions are active, so session 9U + u (generation 9) always is.  Every
 *       other session is expired (k even) or revoked (k odd).
 *   users.listed is true exactly for the active users, and
 *       users.session_expiries has the expiry of each active session, as
 *       the writers keep it (they drop past expiries at every rewrite).
 *   bench.cursors (i 1..ncursors): the keyset scripts' cursors, the active
 *       users after which list has a full page of 50 (below).
 *   bench.floor_validate, bench.floor_user_sessions (with the limits): the
 *       extension's answer to each input of validate.*.sql and
 *       user_sessions.*.sql, for the floor scripts (below).
 *
 * Active sessions were last used "in the future" (load time + 1 day) so
 * that no touch is due during a run, for the extension (whatever
 * authsessions.touch_interval) and for the reference (once a minute) alike.
 */
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 100000
\endif
\if :{?shape}
\else
\set shape dense
\endif
\if :{?limits}
\else
\set limits on
\endif

SELECT (:'shape' IN ('dense', 'sparse')) AS bench_shape_ok,
	   (:'scale' ~ '^[0-9]+$') AS bench_scale_ok \gset
\if :bench_shape_ok
\else
\echo generate.sql: shape must be dense or sparse, not :shape
SELECT 1 / 0 AS "invalid shape";
\endif
\if :bench_scale_ok
\else
\echo generate.sql: scale must be a number, not :scale
SELECT 1 / 0 AS "invalid scale";
\endif

SELECT greatest(:scale::bigint / 10, 1) AS nusers,
	   10 * greatest(:scale::bigint / 10, 1) AS nsessions,
	   CASE :'shape' WHEN 'dense' THEN 10 ELSE 100 END AS period,
	   CASE :'shape' WHEN 'dense' THEN 9 ELSE 1 END AS nact \gset

SET client_min_messages = warning;
-- query results are of no interest; \echo still reports progress
\o /dev/null

-- Helpers shared with the pgbench scripts.  Plain IMMUTABLE SQL functions:
-- the planner inlines them, so a script pays only for the expressions.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.secret(s bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT sha256(('bench' || s::text)::bytea) $$;

CREATE OR REPLACE FUNCTION bench.token(s bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(rtrim(encode(sha256(('bench' || s::text)::bytea), 'base64'), '='), '+/', '-_') $$;

CREATE OR REPLACE FUNCTION bench.token_hash(s bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT sha256(sha256(('bench' || s::text)::bytea)) $$;

CREATE OR REPLACE FUNCTION bench.guid(u integer) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT md5('user' || u::text)::uuid $$;

-- What was loaded, for the runner.
CREATE TABLE IF NOT EXISTS bench.dataset (
	scale bigint, shape text, nusers bigint, period int, nact int,
	loaded_at timestamptz, load_seconds numeric);

-- The extension's tables -------------------------------------------------
\echo generate.sql: :nsessions sessions, :nusers users, shape :shape
SELECT clock_timestamp() AS bench_t0 \gset

-- The generated rows, as views (psql puts the parameters in their text).
-- The columns are named like the extension's.  A revoke leaves expires_at
-- as it was; purge_hint is the session's first expiry (creation + 48 hours).
CREATE TEMP VIEW bench_gen_users_base AS
SELECT u AS id, bench.guid(u) AS guid,
	   'user-' || substr(md5('name' || u::text), 1, 12) AS name,
	   u % 50 = 0 AS is_operator,
	   (u - 1) % :period < :nact AS listed,
	   now() - interval '100 days' AS created_at
FROM generate_series(1, :nusers) AS u;

CREATE TEMP VIEW bench_gen_sessions AS
SELECT g.s AS id, g.u AS user_id,
	   -- the copies of the user's fields, as bench_gen_users_base has them
	   bench.guid(g.u::integer) AS user_guid,
	   'user-' || substr(md5('name' || g.u::text), 1, 12) AS user_name,
	   g.u % 50 = 0 AS user_is_operator,
	   sha256(sha256(('bench' || g.s::text)::bytea)) AS token_hash,
	   g.created_at, g.last_updated, g.expires_at,
	   172800 AS idle_timeout,
	   g.revoked_at,
	   CASE WHEN g.revoked_at IS NOT NULL THEN 'bench' END AS revoked_by,
	   (ARRAY['iPhone 15', 'Pixel 8', '-', NULL])[1 + g.s % 4] AS smartphone,
	   (ARRAY['iOS 17.1', 'Android 14', 'Other- v. ', NULL])[1 + g.s % 4] AS operating_system,
	   (ARRAY['MyApp 2.3', 'MyApp 2.2', 'Other- v. ', NULL])[1 + g.s % 4] AS application,
	   'Mozilla/5.0 (X11; Linux x86_64) bench/1.0' AS user_agent,
	   '10.0.0.0'::inet + g.s % 65536 AS ip,
	   g.created_at + interval '48 hours' AS purge_hint
FROM (SELECT t.s, t.u, t.k, t.created_at,
			 CASE WHEN t.active THEN now() + interval '1 day' - (t.s % 3600) * interval '1 second'
				  ELSE t.created_at + interval '1 hour' END AS last_updated,
			 CASE WHEN t.active THEN now() + interval '3 days' - (t.s % 3600) * interval '1 second'
				  ELSE t.created_at + interval '49 hours' END AS expires_at,
			 CASE WHEN NOT t.active AND t.k % 2 = 1
				  THEN t.created_at + interval '70 minutes' END AS revoked_at
	  FROM (SELECT x.s, x.u, x.k,
				   (x.u - 1) % :period < :nact AND x.k >= 9 - x.u % 4 AS active,
				   now() - (10 - x.k) * interval '3 days'
				   - (x.s % 86400) * interval '1 second' AS created_at
			FROM (SELECT s, 1 + (s - 1) % :nusers AS u, (s - 1) / :nusers AS k
				  FROM generate_series(1, :nsessions::bigint) AS s) AS x) AS t) AS g;

-- The users with the session summary the writers keep: the expiry of each
-- active session (see users.session_expiries in the install script).
CREATE TEMP VIEW bench_gen_users AS
SELECT b.*, coalesce(a.session_expiries, '{}') AS session_expiries
FROM bench_gen_users_base b
LEFT JOIN (SELECT s.user_id, array_agg(s.expires_at ORDER BY s.expires_at) AS session_expiries
		   FROM bench_gen_sessions s WHERE s.revoked_at IS NULL AND s.expires_at > now()
		   GROUP BY s.user_id) a ON a.user_id = b.id;

-- INSERT INTO target SELECT FROM source, for the columns they share (the
-- extension's tables may gain columns: a NOT NULL one without a default
-- that the views lack makes the load fail loudly).
CREATE OR REPLACE FUNCTION pg_temp.bench_copy(target regclass, source regclass)
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
	cols text;
BEGIN
	SELECT string_agg(quote_ident(t.attname), ', ' ORDER BY t.attnum) INTO cols
	FROM pg_attribute t
	JOIN pg_attribute s ON s.attrelid = source AND s.attname = t.attname
		AND s.attnum > 0 AND NOT s.attisdropped
	WHERE t.attrelid = target AND t.attnum > 0 AND NOT t.attisdropped;
	EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', target, cols, cols, source);
END
$f$;

-- Bulk loads drop the indexes and the primary key, unique and foreign key
-- constraints of the tables they fill (and foreign keys pointing at them),
-- and build them again afterwards: much faster than maintaining them row by
-- row.  The definitions are kept in pg_temp.bench_ddl meanwhile.
CREATE TEMP TABLE bench_ddl (step int, ddl text);

CREATE OR REPLACE FUNCTION pg_temp.bench_drop_indexes(tables regclass[])
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
	r record;
BEGIN
	-- foreign keys of, and pointing at, the tables: dropped first, made last
	FOR r IN
		SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
		FROM pg_constraint c
		WHERE c.contype = 'f' AND (c.conrelid = ANY (tables) OR c.confrelid = ANY (tables))
	LOOP
		INSERT INTO bench_ddl VALUES (3, format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def));
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
	END LOOP;
	-- primary keys and unique constraints
	FOR r IN
		SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
		FROM pg_constraint c
		WHERE c.contype IN ('p', 'u') AND c.conrelid = ANY (tables)
	LOOP
		INSERT INTO bench_ddl VALUES (1, format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def));
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
	END LOOP;
	-- the other indexes
	FOR r IN
		SELECT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def
		FROM pg_index i
		WHERE i.indrelid = ANY (tables)
		  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid
						  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
	LOOP
		INSERT INTO bench_ddl VALUES (2, r.def);
		EXECUTE format('DROP INDEX %s', r.idx);
	END LOOP;
END
$f$;

CREATE OR REPLACE FUNCTION pg_temp.bench_create_indexes()
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT ddl FROM bench_ddl ORDER BY step LOOP
		EXECUTE r.ddl;
	END LOOP;
	TRUNCATE bench_ddl;
END
$f$;

SET maintenance_work_mem = '512MB';
-- the limits' copy is made again below
DROP SCHEMA IF EXISTS bench_limit CASCADE;

BEGIN;
-- Bulk load: the rows are consistent by construction, so skip the per-row
-- foreign key triggers (superuser only).
SET LOCAL session_replication_role = replica;
TRUNCATE authsessions_data.users, authsessions_data.sessions RESTART IDENTITY CASCADE;
SELECT pg_temp.bench_drop_indexes('{authsessions_data.users, authsessions_data.sessions}');
SELECT pg_temp.bench_copy('authsessions_data.users', 'bench_gen_users');
SELECT pg_temp.bench_copy('authsessions_data.sessions', 'bench_gen_sessions');
SELECT pg_temp.bench_create_indexes();
SELECT setval(pg_get_serial_sequence('authsessions_data.users', 'id'), :nusers);
SELECT setval(pg_get_serial_sequence('authsessions_data.sessions', 'id'), :nsessions);
COMMIT;

SELECT round(extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz)::numeric, 2)
	AS bench_load_seconds \gset
\echo generate.sql: extension tables loaded in :bench_load_seconds s

-- The reference's tables -------------------------------------------------
SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'ref') AS bench_has_ref \gset
\if :bench_has_ref
BEGIN;
SET LOCAL session_replication_role = replica;
TRUNCATE ref.users, ref.sessions RESTART IDENTITY CASCADE;
SELECT pg_temp.bench_drop_indexes('{ref.users, ref.sessions}');
INSERT INTO ref.users (id, guid, name, is_operator, created_at)
SELECT id, guid, name, is_operator, created_at FROM authsessions_data.users;
INSERT INTO ref.sessions
	(id, user_id, token_hash, created_at, last_updated, expires_at, idle_timeout,
	 revoked_at, revoked_by, smartphone, operating_system, application,
	 user_agent, ip)
SELECT id, user_id, token_hash, created_at, last_updated, expires_at,
	   make_interval(secs => idle_timeout), revoked_at, revoked_by, smartphone,
	   operating_system, application, user_agent, ip
FROM authsessions_data.sessions;
SELECT pg_temp.bench_create_indexes();
SELECT setval(pg_get_serial_sequence('ref.users', 'id'), :nusers);
SELECT setval(pg_get_serial_sequence('ref.sessions', 'id'), :nsessions);
COMMIT;
\endif

-- The limits' table --------------------------------------------------------
-- Same columns, defaults, identity, checks and indexes (LIKE ... INCLUDING
-- ALL) plus the same foreign key; the same rows.
\if :limits
CREATE SCHEMA bench_limit;
CREATE TABLE bench_limit.sessions (LIKE authsessions_data.sessions INCLUDING ALL);
SELECT coalesce(array_to_string(reloptions, ', '), '') AS bench_reloptions
FROM pg_class WHERE oid = 'authsessions_data.sessions'::regclass \gset
SELECT :'bench_reloptions' <> '' AS bench_has_reloptions \gset
\if :bench_has_reloptions
ALTER TABLE bench_limit.sessions SET (:bench_reloptions);
\endif
SELECT pg_temp.bench_drop_indexes('{bench_limit.sessions}');
INSERT INTO bench_limit.sessions SELECT * FROM authsessions_data.sessions;
SELECT pg_temp.bench_create_indexes();
ALTER TABLE bench_limit.sessions
	ADD FOREIGN KEY (user_id) REFERENCES authsessions_data.users (id) ON DELETE CASCADE;
SELECT setval(pg_get_serial_sequence('bench_limit.sessions', 'id'), :nsessions);
-- bench/pgbench/limit_insert.sql sets what create_session's caller gives
-- plus the timestamps; any other NOT NULL column without a default (such as
-- purge_hint) gets one, computed as cheaply as create_session computes it.
DO $$
DECLARE
	c record;
BEGIN
	FOR c IN
		SELECT a.attname, a.atttypid::regtype AS typ
		FROM pg_attribute a
		WHERE a.attrelid = 'bench_limit.sessions'::regclass AND a.attnum > 0
		  AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
		  AND a.attidentity = ''
		  AND a.attname NOT IN ('user_id', 'user_guid', 'user_name', 'user_is_operator',
								'token_hash', 'created_at', 'last_updated',
								'expires_at', 'idle_timeout')
	LOOP
		IF c.typ <> 'timestamp with time zone'::regtype THEN
			RAISE EXCEPTION 'generate.sql: no default for the limit table''s column % (%)',
				c.attname, c.typ;
		END IF;
		EXECUTE format('ALTER TABLE bench_limit.sessions ALTER COLUMN %I SET DEFAULT now() + interval ''48 hours''',
					   c.attname);
	END LOOP;
END
$$;

\endif

-- The extension's tokens of the active sessions: the secret, then the row's
-- locator (block and line pointer, big-endian), as create_session makes
-- them.  Stored, because the locator is only known once the rows are; the
-- scripts that validate fetch their token here, and so do their limit and
-- the reference's script, which fetches ref_token (bench.token(s)).
DROP TABLE IF EXISTS bench.tokens;
CREATE TABLE bench.tokens (s bigint PRIMARY KEY, token text NOT NULL,
						   ref_token text NOT NULL);
INSERT INTO bench.tokens
SELECT s.id,
	   translate(rtrim(encode(bench.secret(s.id)
			|| int4send(((s.ctid::text::point)[0])::int)
			|| substr(int4send(((s.ctid::text::point)[1])::int), 3, 2),
			'base64'), '='), '+/', '-_'),
	   bench.token(s.id)
FROM authsessions_data.sessions s
WHERE s.revoked_at IS NULL AND s.expires_at > now();

-- The cursors of the keyset scripts: the active users in list's order
-- (name, then guid) but the last 50, so that the page after each is a full
-- page of 50 whatever the scale (after a random active user, the sparse
-- shape's pages at 100k sessions, 100 active users, held 37 rows on
-- average and those at 1M 49).  With 50 active users or fewer, only the
-- first.  The extension's script and the reference's pick cursor number
-- random(1, ncursors) (run.sh passes ncursors).
DROP TABLE IF EXISTS bench.cursors;
CREATE TABLE bench.cursors (i int PRIMARY KEY, guid uuid NOT NULL);
INSERT INTO bench.cursors
SELECT x.i, x.guid
FROM (SELECT row_number() OVER (ORDER BY u.name, u.guid) AS i,
			 count(*) OVER () AS n, u.guid
	  FROM authsessions_data.users u WHERE u.listed) AS x
WHERE x.i <= greatest(x.n - 50, 1);

-- The floor of validate and user_sessions (with the limits): the answer
-- each script's input gets, computed here by the extension and stored in a
-- table keyed as the input, which *.floor.sql read back by primary key in
-- the limit's query.  However a call finds its answer, it does at least
-- that (the input's row and the answer through the protocol), so what the
-- floor reaches bounds what any implementation of the call can.  validate's
-- inputs are the generation-9 sessions of the active users (validate.*.sql),
-- user_sessions' the active users.
DROP TABLE IF EXISTS bench.floor_validate, bench.floor_user_sessions;
\if :limits
CREATE TABLE bench.floor_validate (s bigint PRIMARY KEY, answer jsonb NOT NULL);
INSERT INTO bench.floor_validate
SELECT t.s, authsessions.validate(t.token)
FROM bench.tokens t
WHERE t.s > 9 * :nusers;
CREATE TABLE bench.floor_user_sessions (guid uuid PRIMARY KEY, answer jsonb NOT NULL);
INSERT INTO bench.floor_user_sessions
SELECT u.guid, authsessions.user_sessions(u.guid)
FROM authsessions_data.users u
WHERE u.listed;
\endif

VACUUM (ANALYZE) authsessions_data.users, authsessions_data.sessions, bench.tokens,
	bench.cursors;
\if :limits
VACUUM (ANALYZE) bench_limit.sessions, bench.floor_validate, bench.floor_user_sessions;
\endif
\if :bench_has_ref
VACUUM (ANALYZE) ref.users, ref.sessions;
\endif

-- Undo what the create_session runs added, so every run starts from the
-- generated state: their sessions go, their users' session summary is
-- recomputed without them, and listed is as generated.
CREATE OR REPLACE FUNCTION bench.reset() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	d bench.dataset;
BEGIN
	SELECT * INTO STRICT d FROM bench.dataset;
	WITH gone AS (DELETE FROM authsessions_data.sessions WHERE id > 10 * d.nusers
				  RETURNING user_id)
	-- the summary from the user's remaining sessions (the statement sees
	-- them as before the DELETE, hence the id filter)
	UPDATE authsessions_data.users u
	SET session_expiries = ARRAY(
		SELECT s.expires_at FROM authsessions_data.sessions s
		WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()
		  AND s.id <= 10 * d.nusers ORDER BY s.expires_at)
	WHERE u.id IN (SELECT user_id FROM gone);
	UPDATE authsessions_data.users SET listed = ((id - 1) % d.period < d.nact)
	WHERE listed <> ((id - 1) % d.period < d.nact);
	IF to_regclass('bench_limit.sessions') IS NOT NULL THEN
		EXECUTE 'DELETE FROM bench_limit.sessions WHERE id > $1' USING 10 * d.nusers;
	END IF;
	IF to_regclass('ref.sessions') IS NOT NULL THEN
		EXECUTE 'DELETE FROM ref.sessions WHERE id > $1' USING 10 * d.nusers;
	END IF;
END
$$;

TRUNCATE bench.dataset;
INSERT INTO bench.dataset
VALUES (:scale, :'shape', :nusers, :period, :nact, now(), :bench_load_seconds);

SELECT round(extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz)::numeric, 2)
	AS bench_total_seconds \gset
\echo generate.sql: done in :bench_total_seconds s (extension tables :bench_load_seconds s)
