/*
 * bench/memcheck.sql: set-up of the memory check (does a backend's memory
 * grow when it calls the functions many times?).  bench/run.sh loads it in a
 * database filled by generate.sql (sparse 10000 is plenty), then, for each
 * function fn in the order below, runs
 *
 *   SELECT bench.memcheck_prepare(fn);
 *   pgbench -n -M prepared -c 1 -t (warmup + calls + 1) -D fn=... \
 *       -D calls=... -D warmup=... -f bench/pgbench/memcall.sql
 *
 * so that one backend makes every call of fn, each in its own transaction
 * (as a pool's requests are).  bench.memcall() sums
 * pg_backend_memory_contexts.total_bytes in that backend before call
 * warmup + 1, half way, three quarters of the way and after the last call,
 * into bench.memcheck_sample; bench.memcheck sums them up.  A leak grows the
 * memory in each of the last two quarters; a one-off rise (a cache or a
 * context block reaching its working size, a plan made again after
 * autovacuum's ANALYZE) lands in one of them at most.  A 200,000-call run of
 * end_session, for instance, rose by 88 kB in its first half and not at all
 * in its second: with two samples only, such a rise after the half-way
 * sample would read as growth.
 *
 * (A procedure committing after each call would avoid the client round
 * trips, but PL/pgSQL's own "SPI Proc" context grows by about 40 bytes per
 * committed write in PostgreSQL 15, which would hide the functions' figures.)
 *
 * Order and inputs (i = 1 .. warmup + calls):
 *   purge('0', 1)    deletes the generated ended sessions one per call, then
 *                    finds nothing more to do; it runs beside the others, in
 *                    a database of its own, to save time;
 *   upsert_user      guid md5('mem' || i % 50000): inserts, then updates;
 *   create_session   for those users, one new session per call;
 *   validate         the tokens of the generated active sessions in turn, with
 *                    authsessions.touch_interval = 0 and their last use an hour
 *                    ago, so that every call also slides the expiry;
 *   user_sessions    of the mem users;
 *   list             first page, page 2 and a keyset page in turn;
 *   revoke           the sessions create_session made;
 *   end_session      generated tokens (most already purged: Success false);
 *   delete_user      the mem users, then guids nobody has.
 */
\set ON_ERROR_STOP on
SET client_min_messages = warning;


DROP VIEW IF EXISTS bench.memcheck;
DROP TABLE IF EXISTS bench.memcheck_sample, bench.memcheck_ids;
CREATE TABLE bench.memcheck_sample (function text, i bigint, bytes bigint,
									at timestamptz DEFAULT clock_timestamp());
-- the inputs of validate and revoke, numbered
CREATE TABLE bench.memcheck_ids (n bigint PRIMARY KEY, id bigint);
-- one call counter per function: purge runs beside the others (run.sh)
DO $$
DECLARE
	fn text;
BEGIN
	FOREACH fn IN ARRAY ARRAY['purge', 'upsert_user', 'create_session', 'validate',
							  'user_sessions', 'list', 'revoke', 'end_session', 'delete_user'] LOOP
		EXECUTE format('DROP SEQUENCE IF EXISTS bench.memcheck_seq_%s', fn);
		EXECUTE format('CREATE SEQUENCE bench.memcheck_seq_%s', fn);
	END LOOP;
END
$$;

-- the generated active sessions were last used an hour ago
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '1 hour', expires_at = now() + interval '47 hours'
WHERE revoked_at IS NULL AND expires_at > now();

-- Before the pgbench run of fn: number the calls from 1 again, list the
-- inputs of validate and revoke.
CREATE OR REPLACE FUNCTION bench.memcheck_prepare(fn text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	nsessions bigint := (SELECT 10 * nusers FROM bench.dataset);
BEGIN
	PERFORM setval(format('bench.memcheck_seq_%s', fn), 1, false);
	IF fn = 'validate' THEN
		TRUNCATE bench.memcheck_ids;
		INSERT INTO bench.memcheck_ids
		SELECT row_number() OVER (ORDER BY id), id FROM authsessions_data.sessions
		WHERE id <= nsessions AND revoked_at IS NULL AND expires_at > now();
	ELSIF fn = 'revoke' THEN
		TRUNCATE bench.memcheck_ids;
		INSERT INTO bench.memcheck_ids
		SELECT row_number() OVER (ORDER BY id), id FROM authsessions_data.sessions
		WHERE id > nsessions AND revoked_at IS NULL AND expires_at > now();
	END IF;
	IF fn IN ('validate', 'revoke') THEN
		ANALYZE bench.memcheck_ids;
	END IF;
END
$$;

-- One call of fn (the i-th of this backend), with the samples.
CREATE OR REPLACE FUNCTION bench.memcall(fn text, calls int, warmup int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	i bigint := nextval(format('bench.memcheck_seq_%s', fn));
	nids bigint;
BEGIN
	IF i IN (warmup + 1, warmup + calls / 2 + 1, warmup + 3 * calls / 4 + 1,
			 warmup + calls + 1) THEN
		INSERT INTO bench.memcheck_sample (function, i, bytes)
		SELECT fn, i, sum(total_bytes) FROM pg_backend_memory_contexts;
	END IF;
	IF i > warmup + calls THEN
		RETURN;
	END IF;
	CASE fn
		WHEN 'purge' THEN
			PERFORM authsessions.purge('0', 1);
		WHEN 'upsert_user' THEN
			PERFORM authsessions.upsert_user(md5('mem' || i % 50000)::uuid, 'mem-' || i);
		WHEN 'create_session' THEN
			PERFORM authsessions.create_session(md5('mem' || i % 50000)::uuid,
												'iPhone 15', 'iOS 17.1', 'MyApp 2.3');
		WHEN 'validate' THEN
			SELECT max(n) INTO nids FROM bench.memcheck_ids;
			PERFORM authsessions.validate((SELECT t.token FROM bench.tokens t WHERE t.s =
				(SELECT id FROM bench.memcheck_ids WHERE n = 1 + (i - 1) % nids)));
		WHEN 'user_sessions' THEN
			PERFORM authsessions.user_sessions(md5('mem' || i % 50000)::uuid);
		WHEN 'list' THEN
			IF i % 3 = 0 THEN
				PERFORM authsessions.list();
			ELSIF i % 3 = 1 THEN
				PERFORM authsessions.list(2);
			ELSE
				PERFORM authsessions.list(1, 50, md5('mem' || i % 50000)::uuid);
			END IF;
		WHEN 'revoke' THEN
			PERFORM authsessions.revoke((SELECT id FROM bench.memcheck_ids WHERE n = i));
		WHEN 'end_session' THEN
			-- the token of the first session active at load from a point on: ended once, then false
			PERFORM authsessions.end_session(coalesce(
				(SELECT t.token FROM bench.tokens t
				 WHERE t.s >= 1 + i % (SELECT 10 * nusers FROM bench.dataset)
				 ORDER BY t.s LIMIT 1), ''));
		WHEN 'delete_user' THEN
			PERFORM authsessions.delete_user(md5('mem' || i)::uuid);
	END CASE;
END
$$;

CREATE OR REPLACE VIEW bench.memcheck AS
SELECT s.function, max(s.i) - min(s.i) AS calls,
	   (array_agg(s.bytes ORDER BY s.i))[1] AS bytes_before,
	   (array_agg(s.bytes ORDER BY s.i))[2] AS bytes_half,
	   (array_agg(s.bytes ORDER BY s.i))[3] AS bytes_3q,
	   (array_agg(s.bytes ORDER BY s.i))[4] AS bytes_after,
	   round(extract(epoch FROM max(s.at) - min(s.at))::numeric, 3) AS seconds
FROM bench.memcheck_sample s
GROUP BY s.function;

-- The memory check measures memory, not speed: the writes of its databases
-- commit without waiting for their WAL to be flushed, or the 900,000 calls,
-- each its own transaction, would spend most of an hour in fsync now that
-- the benchmark runs with fsync on.
DO $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database());
END
$$;
