/*
 * bench/report.sql: BENCHMARKS.md from the figures bench/run.sh collected in
 * schema bench_report (results, datasets, memory).  Run with psql -X -q -A -t
 * and the variables of the run's meta.tsv (date, commit, machine, server,
 * pgbench, seconds, runs, clients, threads, mem_scale, mem_warmup); it writes
 * Markdown on stdout.
 */
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- medians of the runs
CREATE TEMP VIEW med AS
SELECT scale, shape, op, impl, count(*) AS runs,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY tps) AS tps,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY lat_ms) AS lat
FROM bench_report.results
GROUP BY scale, shape, op, impl;

-- each operation, its limit, and how it is shown.  A limit recorded as
-- '<limit_op>/<op>' was run next to that operation alone (list's SELECT 1);
-- runs before 2026-11-28 recorded one SELECT 1 for the four list operations.
CREATE TEMP TABLE ops (ord int, op text, label text, limit_op text, limit_label text);
INSERT INTO ops VALUES
	(1, 'validate', 'validate, no touch due', 'limit_token', 'SELECT of the token'),
	(2, 'user_sessions', 'user_sessions, user with 10 sessions', 'limit_guid', 'SELECT of the guid'),
	(3, 'list_first', 'list, first page of 50', 'limit_select1', 'SELECT 1'),
	(4, 'list_keyset', 'list, keyset page of 50 (after)', 'limit_select1', 'SELECT 1'),
	(5, 'list_offset', 'list, offset page 10,000 users deep', 'limit_select1', 'SELECT 1'),
	(6, 'list_last', 'list, last full page of the set (no target)', 'limit_select1', 'SELECT 1'),
	(7, 'revoke', 'revoke (rolled back)', 'limit_update', '1-row PK UPDATE (rolled back)'),
	(8, 'create_session', 'create_session', 'limit_insert', '1-row INSERT');

-- ratios within each round (the runs compared ran minutes apart at most),
-- then their median over the rounds
CREATE TEMP VIEW ratios AS
SELECT o.op, e.scale, e.shape,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(l.tps, 0)) AS to_limit,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(r.tps, 0)) AS to_ref,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(f.tps, 0)) AS to_floor,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY f.tps / nullif(l.tps, 0)) AS floor_to_limit,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY f.tps / nullif(r.tps, 0)) AS floor_to_ref
FROM ops o
JOIN bench_report.results e ON e.op = o.op AND e.impl = 'ext'
LEFT JOIN bench_report.results r ON r.op = o.op AND r.impl = 'ref'
	AND (r.scale, r.shape, r.run) = (e.scale, e.shape, e.run)
LEFT JOIN bench_report.results l ON l.op IN (o.limit_op, o.limit_op || '/' || o.op)
	AND l.impl = 'limit' AND (l.scale, l.shape, l.run) = (e.scale, e.shape, e.run)
LEFT JOIN bench_report.results f ON f.op = o.op AND f.impl = 'floor'
	AND (f.scale, f.shape, f.run) = (e.scale, e.shape, e.run)
GROUP BY o.op, e.scale, e.shape;

CREATE TEMP VIEW cmp AS
SELECT o.ord, o.label, o.limit_label, e.scale, e.shape,
	   e.tps AS ext_tps, e.lat AS ext_lat, r.tps AS ref_tps, r.lat AS ref_lat,
	   l.tps AS lim_tps, l.lat AS lim_lat, f.tps AS floor_tps, f.lat AS floor_lat,
	   x.to_limit, x.to_ref, x.to_floor, x.floor_to_limit, x.floor_to_ref, o.op
FROM ops o
JOIN med e ON e.op = o.op AND e.impl = 'ext'
JOIN ratios x ON x.op = o.op AND (x.scale, x.shape) = (e.scale, e.shape)
LEFT JOIN med r ON r.op = o.op AND r.impl = 'ref' AND (r.scale, r.shape) = (e.scale, e.shape)
LEFT JOIN med l ON l.op IN (o.limit_op, o.limit_op || '/' || o.op) AND l.impl = 'limit'
	AND (l.scale, l.shape) = (e.scale, e.shape)
LEFT JOIN med f ON f.op = o.op AND f.impl = 'floor' AND (f.scale, f.shape) = (e.scale, e.shape);

-- list's latency at 1M over its latency at 100k, in the same shape: the
-- ratio within each round (the runs of both scales are seconds apart),
-- then the median over the rounds
CREATE TEMP VIEW scale_ratio AS
SELECT e1.shape, e1.op,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e1.lat_ms / nullif(e2.lat_ms, 0)) AS ratio
FROM bench_report.results e1
JOIN bench_report.results e2 ON (e2.shape, e2.op, e2.impl, e2.run) = (e1.shape, e1.op, e1.impl, e1.run)
WHERE e1.impl = 'ext' AND e1.scale = 1000000 AND e2.scale = 100000
GROUP BY e1.shape, e1.op;

CREATE FUNCTION pg_temp.n(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN '–' WHEN x >= 100 THEN to_char(x, 'FM999,999,990')
			   ELSE to_char(x, 'FM990.0') END $$;
CREATE FUNCTION pg_temp.ms(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN '–' WHEN x >= 10 THEN to_char(x, 'FM999,990.0')
			   ELSE to_char(x, 'FM990.000') END $$;
CREATE FUNCTION pg_temp.x(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN '–' WHEN x >= 10 THEN to_char(x, 'FM999,990') || '×'
			   ELSE to_char(x, 'FM990.00') || '×' END $$;
CREATE FUNCTION pg_temp.pct(x float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN x IS NULL THEN '–' ELSE to_char(100 * x, 'FM9990') || '%' END $$;
-- what the targets table says of an operation's floor: nothing when the
-- run measured none (raw figures of runs before the floors)
CREATE FUNCTION pg_temp.floor_note(to_limit float8, to_ref float8) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN to_limit IS NULL THEN ''
			   ELSE format(' (its floor, a precomputed answer: %s of the limit, %s the reference)',
						   pg_temp.pct(to_limit), pg_temp.x(to_ref)) END $$;
CREATE FUNCTION pg_temp.scale(s bigint) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN s % 1000000 = 0 THEN (s / 1000000) || 'M'
			   WHEN s % 1000 = 0 THEN (s / 1000) || 'k' ELSE s::text END $$;

-- the scale the targets are judged at: 1M, or the largest one measured
SELECT coalesce(max(scale) FILTER (WHERE scale = 1000000), max(scale)) AS tscale,
	   count(DISTINCT scale) AS nscales
FROM bench_report.results \gset

\qecho '# Benchmarks'
\qecho
SELECT format('Generated by `bench/run.sh` on %s from commit %s; do not edit by hand, run it again.', :'date', :'commit');
\qecho
SELECT format('**Machine:** %s', :'machine');
\qecho
SELECT format('**Server:** %s.  Every script runs in the same commit mode.', :'server');
\qecho
SELECT format('**Method:** `%s -n -M prepared -c %s -j %s`, each run %s, each figure the median of %s runs, '
			  'interleaved: every data set is loaded first, each in a database of its own, then each round runs '
			  'every operation at every scale and shape in turn: the extension, the SQL reference '
			  '(`bench/reference.sql`, frozen), the floor where there is one, then the limit.  TPS counts the '
			  'transactions per second of both clients and ms is pgbench''s mean latency, both medians over '
			  'the rounds; the ratios are taken within each round (runs seconds apart), then their median.', :'pgbench', :'clients', :'threads', :'seconds', :'runs');
\qecho
\qecho 'Scripts: `bench/pgbench/`; data: `bench/generate.sql` (10 sessions per user, a mix of active, expired and'
\qecho 'revoked; **dense**: 9 users in 10 have an active session, **sparse**: 1 in 100).  The limits are `SELECT 1`'
\qecho '(the protocol round trip, run next to each list operation), the same query fetching the token or guid without the call, a one-row'
\qecho 'primary-key UPDATE and a one-row INSERT into a copy of the sessions table with the same columns,'
\qecho 'indexes, checks, foreign key and fillfactor.  revoke and its limit are rolled back so that they can'
\qecho 'never fail; every create_session run (and its limit''s) is undone before the next run, and the'
\qecho 'tables are vacuumed between rounds.'
\qecho
\qecho '## Data sets'
\qecho
\qecho '| sessions | shape | users | users with an active session | active sessions | load of the extension''s tables |'
\qecho '|---:|---|---:|---:|---:|---:|'
SELECT string_agg(format('| %s | %s | %s | %s | %s | %s s |', to_char(scale, 'FM999,999,999'), shape,
					 to_char(nusers, 'FM999,999,999'), to_char(active_users, 'FM999,999,999'),
					 to_char(active_sessions, 'FM999,999,999'), load_seconds),
				  E'\n' ORDER BY scale, shape)
FROM bench_report.datasets;
\qecho

-- one table per scale and shape
SELECT string_agg(t, E'\n\n' ORDER BY scale, shape)
FROM (SELECT c.scale, c.shape,
			 format(E'## %s sessions, %s\n\n', to_char(c.scale, 'FM999,999,999'), c.shape)
			 || E'| operation | extension TPS | ms | SQL reference TPS | ms | limit | limit TPS | ms | extension / limit | extension / reference |\n'
			 || E'|---|---:|---:|---:|---:|---|---:|---:|---:|---:|\n'
			 || string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |',
								  c.label, pg_temp.n(c.ext_tps), pg_temp.ms(c.ext_lat),
								  pg_temp.n(c.ref_tps), pg_temp.ms(c.ref_lat), c.limit_label,
								  pg_temp.n(c.lim_tps), pg_temp.ms(c.lim_lat),
								  pg_temp.pct(c.to_limit), pg_temp.x(c.to_ref)),
						   E'\n' ORDER BY c.ord) AS t
	  FROM cmp c
	  GROUP BY c.scale, c.shape) AS s;
\qecho

\qecho '## The floor of validate and user_sessions'
\qecho
\qecho 'Each of these two calls answers from one key, so its floor can be measured: the answer it gives'
\qecho 'for each input its script can pick, computed beforehand (by the extension, `bench/generate.sql`)'
\qecho 'and stored in a table keyed as the input (`bench.floor_validate` by session number,'
\qecho '`bench.floor_user_sessions` by guid), read back by primary key in the limit''s own query'
\qecho '(`bench/pgbench/*.floor.sql`, interleaved with the others).  However an implementation that keeps its'
\qecho 'data in tables finds the answer, in C or in SQL, it does at least that: one row found by the input, and'
\qecho 'the answer sent.  So neither call can run faster than its floor on this machine, and the floor''s ratios'
\qecho 'bound what a target can ask of it.'
\qecho
\qecho '| operation | sessions | floor TPS | ms | floor / limit | floor / reference | extension / floor | extension / limit |'
\qecho '|---|---:|---:|---:|---:|---:|---:|---:|'
SELECT coalesce(string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s |', c.label,
								  to_char(c.scale, 'FM999,999,999'), pg_temp.n(c.floor_tps),
								  pg_temp.ms(c.floor_lat), pg_temp.pct(c.floor_to_limit),
								  pg_temp.x(c.floor_to_ref), pg_temp.pct(c.to_floor),
								  pg_temp.pct(c.to_limit)),
						   E'\n' ORDER BY c.ord, c.scale),
				'| (no floor measured) | | | | | | | |')
FROM cmp c
WHERE c.floor_tps IS NOT NULL;
\qecho

\qecho '## list latency against scale'
\qecho
\qecho 'Mean latency in ms of the extension''s list (the SQL reference''s in parentheses); the last column is the'
\qecho 'latency at 1M sessions over the latency at 100k in the same shape, taken within each round (the two'
\qecho 'runs seconds apart), then their median (target: at most 1.5 for the first and keyset pages).'
\qecho
SELECT '| shape | page | ' || string_agg(pg_temp.scale(scale), ' | ' ORDER BY scale) || E' | 1M / 100k |\n|---|---|'
	   || string_agg('---:|', '' ORDER BY scale) || '---:|'
FROM (SELECT DISTINCT scale FROM bench_report.results) s;
SELECT string_agg(line, E'\n' ORDER BY shape, ord)
FROM (SELECT o.ord, sh.shape,
			 format('| %s | %s | %s | %s |', sh.shape, o.label,
					(SELECT string_agg(coalesce(pg_temp.ms(e.lat) || ' (' || pg_temp.ms(r.lat) || ')', '–'),
									   ' | ' ORDER BY sc.scale)
					 FROM (SELECT DISTINCT scale FROM bench_report.results) sc
					 LEFT JOIN med e ON e.scale = sc.scale AND e.shape = sh.shape AND e.op = o.op AND e.impl = 'ext'
					 LEFT JOIN med r ON r.scale = sc.scale AND r.shape = sh.shape AND r.op = o.op AND r.impl = 'ref'),
					pg_temp.x((SELECT x.ratio FROM scale_ratio x
							   WHERE x.shape = sh.shape AND x.op = o.op))) AS line
	  FROM ops o
	  CROSS JOIN (SELECT DISTINCT shape FROM bench_report.results) sh
	  WHERE o.op LIKE 'list%'
		AND EXISTS (SELECT FROM med m WHERE m.shape = sh.shape AND m.op = o.op)) AS l;
\qecho

-- targets
CREATE TEMP TABLE targets (ord int, operation text, target text, measured text, met boolean);
INSERT INTO targets
SELECT 1, 'validate, no touch due', '≥ 60% of its limit''s TPS, ≥ 5× the SQL reference',
	   format('%s of the limit, %s the reference', pg_temp.pct(to_limit), pg_temp.x(to_ref))
	   || pg_temp.floor_note(floor_to_limit, floor_to_ref),
	   to_limit >= 0.6 AND to_ref >= 5
FROM cmp WHERE op = 'validate' AND scale = :tscale AND shape = 'dense';
INSERT INTO targets
SELECT 2, 'user_sessions, user with ≤ 10 sessions', '≥ 50% of its limit, ≥ 5× the reference',
	   format('%s of the limit, %s the reference', pg_temp.pct(to_limit), pg_temp.x(to_ref))
	   || pg_temp.floor_note(floor_to_limit, floor_to_ref),
	   to_limit >= 0.5 AND to_ref >= 5
FROM cmp WHERE op = 'user_sessions' AND scale = :tscale AND shape = 'dense';
INSERT INTO targets
SELECT 3, format('list, %s, %s', CASE op WHEN 'list_first' THEN 'first page' ELSE 'keyset page' END, shape),
	   '≥ 10% of `SELECT 1`',
	   format('%s of SELECT 1 (%s ms)', pg_temp.pct(to_limit), pg_temp.ms(ext_lat)),
	   to_limit >= 0.10
FROM cmp WHERE op IN ('list_first', 'list_keyset') AND scale = :tscale;
INSERT INTO targets
SELECT 4, format('list, %s, %s', CASE e1.op WHEN 'list_first' THEN 'first page' ELSE 'keyset page' END, e1.shape),
	   'latency at 1M within 1.5× of latency at 100k',
	   format('%s ms at 1M, %s ms at 100k: %s', pg_temp.ms(e1.lat), pg_temp.ms(e2.lat), pg_temp.x(x.ratio)),
	   x.ratio <= 1.5
FROM med e1 JOIN med e2 ON (e2.shape, e2.op, e2.impl) = (e1.shape, e1.op, e1.impl)
JOIN scale_ratio x ON (x.shape, x.op) = (e1.shape, e1.op)
WHERE e1.op IN ('list_first', 'list_keyset') AND e1.impl = 'ext'
  AND e1.scale = 1000000 AND e2.scale = 100000;
INSERT INTO targets
SELECT 5, format('list, offset page 10,000 users deep, %s', c.shape), '≥ 50× the reference',
	   format('%s the reference (%s ms against %s ms)', pg_temp.x(c.to_ref), pg_temp.ms(c.ext_lat), pg_temp.ms(c.ref_lat))
	   || CASE WHEN d.active_users <= 10000
			   THEN format('; only %s users have an active session, so this page is past the end'
						   ' (the last full page of the set: %s the reference)',
						   to_char(d.active_users, 'FM999,999,999'),
						   coalesce(pg_temp.x(l.to_ref), '–'))
			   ELSE '' END,
	   c.to_ref >= 50
FROM cmp c
JOIN bench_report.datasets d ON (d.scale, d.shape) = (c.scale, c.shape)
LEFT JOIN cmp l ON l.op = 'list_last' AND (l.scale, l.shape) = (c.scale, c.shape)
WHERE c.op = 'list_offset' AND c.scale = :tscale;
INSERT INTO targets
SELECT 6, 'revoke', '≥ 80% of the single-row UPDATE',
	   format('%s of the UPDATE', pg_temp.pct(to_limit)), to_limit >= 0.8
FROM cmp WHERE op = 'revoke' AND scale = :tscale AND shape = 'dense';
INSERT INTO targets
SELECT 7, 'create_session', '≥ 50% of the single-row INSERT',
	   format('%s of the INSERT', pg_temp.pct(to_limit)), to_limit >= 0.5
FROM cmp WHERE op = 'create_session' AND scale = :tscale AND shape = 'dense';
INSERT INTO targets
SELECT 8, 'memory', 'a backend''s memory does not grow over 100k calls of each function',
	   coalesce(string_agg(format('%s %s', function,
								  CASE WHEN bytes_3q > bytes_half AND bytes_after > bytes_3q THEN 'grows'
									   WHEN bytes_after > bytes_half THEN 'flat but one rise of ' || (bytes_after - bytes_half) || ' B'
									   ELSE 'flat' END),
						   ', ' ORDER BY ord), 'not measured')
	   || coalesce(format(' (second half of %s calls each; growth in both of its quarters is a leak)', max(calls)), ''),
	   CASE WHEN count(*) = 0 OR min(calls) < 100000 THEN NULL  -- too few calls to judge
			ELSE NOT bool_or(bytes_3q > bytes_half AND bytes_after > bytes_3q) END
FROM bench_report.memory;

SELECT format('## Targets (at %s sessions unless stated)', to_char(:tscale, 'FM999,999,999'));
\qecho
\qecho '| operation | target | measured | met? |'
\qecho '|---|---|---|---|'
SELECT string_agg(format('| %s | %s | %s | %s |', operation, target, measured,
						 CASE WHEN met THEN '**met**' WHEN NOT met THEN '**missed**' ELSE '–' END),
				  E'\n' ORDER BY ord, operation)
FROM targets;
\qecho

\qecho '## Memory'
\qecho
SELECT format('One backend calls each function %s times (after %s warm-up calls), each call its own transaction',
			  coalesce(max(calls)::text, '–'), :'mem_warmup')
	   || format(' (pgbench -c 1 -t, `bench/memcheck.sql`, on %s sessions, sparse); sum of', pg_temp.scale(:mem_scale))
	   || ' `pg_backend_memory_contexts.total_bytes` after the warm-up, half way, three quarters of the way and at'
	   || ' the end.  A leak grows the memory in both quarters of the second half; a one-off rise (a cache'
	   || ' reaching its working size, a plan made again after autovacuum''s ANALYZE) in one at most.'
FROM bench_report.memory;
\qecho
\qecho '| function | calls | bytes after warm-up | half way | three quarters | at the end | growth, third quarter | growth, fourth quarter | calls per second |'
\qecho '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
SELECT string_agg(format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |', function, calls, bytes_before, bytes_half,
						 bytes_3q, bytes_after, bytes_3q - bytes_half, bytes_after - bytes_3q,
						 pg_temp.n(calls / nullif(seconds, 0))),
				  E'\n' ORDER BY ord)
FROM bench_report.memory;
\qecho
