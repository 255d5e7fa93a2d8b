/*
 * bench/report.sql: BENCHMARKS.md from the figures bench/run.sh collected in
 * schema bench_report (results, datasets, memory, servers; each with the
 * PostgreSQL major version of the server measured), the versions side by
 * side.  Run with psql -X -q -A -t and the variables of the run's meta.tsv
 * (date, commit, machine, connect, pgbench, seconds, runs, clients, threads,
 * mem_scale, mem_warmup); it writes Markdown on stdout.
 */
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- the versions, in order (a column group each)
CREATE TEMP TABLE versions AS
SELECT DISTINCT version FROM bench_report.results
UNION SELECT version FROM bench_report.servers;

-- medians of the runs
CREATE TEMP VIEW med AS
SELECT version, scale, shape, op, impl, count(*) AS runs,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY tps) AS tps,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY lat_ms) AS lat
FROM bench_report.results
GROUP BY version, scale, shape, op, impl;

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
	(6, 'list_last', 'list, last full page of the set (no floor)', 'limit_select1', 'SELECT 1'),
	(7, 'revoke', 'revoke (rolled back)', 'limit_update', '1-row PK UPDATE (rolled back)'),
	(8, 'create_session', 'create_session', 'limit_insert', '1-row INSERT');

-- ratios within each round and version (the runs compared ran seconds
-- apart), then their median over the rounds
CREATE TEMP VIEW ratios AS
SELECT o.op, e.version, e.scale, e.shape,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(l.tps, 0)) AS to_limit,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(r.tps, 0)) AS to_ref,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.tps / nullif(f.tps, 0)) AS to_floor,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY f.tps / nullif(l.tps, 0)) AS floor_to_limit,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY f.tps / nullif(r.tps, 0)) AS floor_to_ref
FROM ops o
JOIN bench_report.results e ON e.op = o.op AND e.impl = 'ext'
LEFT JOIN bench_report.results r ON r.op = o.op AND r.impl = 'ref'
	AND (r.version, r.scale, r.shape, r.run) = (e.version, e.scale, e.shape, e.run)
LEFT JOIN bench_report.results l ON l.op IN (o.limit_op, o.limit_op || '/' || o.op)
	AND l.impl = 'limit' AND (l.version, l.scale, l.shape, l.run) = (e.version, e.scale, e.shape, e.run)
LEFT JOIN bench_report.results f ON f.op = o.op AND f.impl = 'floor'
	AND (f.version, f.scale, f.shape, f.run) = (e.version, e.scale, e.shape, e.run)
GROUP BY o.op, e.version, e.scale, e.shape;

CREATE TEMP VIEW cmp AS
SELECT o.ord, o.label, o.limit_label, e.version, e.scale, e.shape,
	   e.tps AS ext_tps, e.lat AS ext_lat, r.tps AS ref_tps, r.lat AS ref_lat,
	   l.tps AS lim_tps, l.lat AS lim_lat, f.tps AS floor_tps, f.lat AS floor_lat,
	   x.to_limit, x.to_ref, x.to_floor, x.floor_to_limit, x.floor_to_ref, o.op
FROM ops o
JOIN med e ON e.op = o.op AND e.impl = 'ext'
JOIN ratios x ON x.op = o.op AND (x.version, x.scale, x.shape) = (e.version, e.scale, e.shape)
LEFT JOIN med r ON r.op = o.op AND r.impl = 'ref' AND (r.version, r.scale, r.shape) = (e.version, e.scale, e.shape)
LEFT JOIN med l ON l.op IN (o.limit_op, o.limit_op || '/' || o.op) AND l.impl = 'limit'
	AND (l.version, l.scale, l.shape) = (e.version, e.scale, e.shape)
LEFT JOIN med f ON f.op = o.op AND f.impl = 'floor'
	AND (f.version, f.scale, f.shape) = (e.version, e.scale, e.shape);

-- list's latency at 1M over its latency at 100k, in the same shape and
-- version: the ratio within each round (the runs of both scales are
-- seconds apart), then the median over the rounds
CREATE TEMP VIEW scale_ratio AS
SELECT e1.version, e1.shape, e1.op,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY e1.lat_ms / nullif(e2.lat_ms, 0)) AS ratio
FROM bench_report.results e1
JOIN bench_report.results e2
	ON (e2.version, e2.shape, e2.op, e2.impl, e2.run) = (e1.version, e1.shape, e1.op, e1.impl, e1.run)
WHERE e1.impl = 'ext' AND e1.scale = 1000000 AND e2.scale = 100000
GROUP BY e1.version, e1.shape, e1.op;

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
CREATE FUNCTION pg_temp.scale(s bigint) RETURNS text LANGUAGE sql AS
$$ SELECT CASE WHEN s % 1000000 = 0 THEN (s / 1000000) || 'M'
			   WHEN s % 1000 = 0 THEN (s / 1000) || 'k' ELSE s::text END $$;
-- the header of a table: the leading columns, then one group of columns per
-- version ("15 TPS | 15 ms | 17 TPS | ...")
CREATE FUNCTION pg_temp.head(lead text, lead_align text, cols text[]) RETURNS text LANGUAGE sql AS
$$ SELECT '| ' || lead || ' | ' || string_agg(v.version || ' ' || c.c, ' | ' ORDER BY v.version, c.o)
		  || E' |\n|' || lead_align || '|' || string_agg('---:|', '' ORDER BY v.version, c.o)
   FROM pg_temp.versions v CROSS JOIN unnest(cols) WITH ORDINALITY AS c(c, o) $$;

-- the scale the floors are judged at: 1M, or the largest one measured
SELECT coalesce(max(scale) FILTER (WHERE scale = 1000000), max(scale)) AS tscale
FROM bench_report.results \gset

\qecho '# Benchmarks'
\qecho
SELECT format('Generated by `bench/run.sh` on %s from commit %s; do not edit by hand, run it again.', :'date', :'commit');
\qecho
SELECT format('**Machine:** %s', :'machine');
\qecho
SELECT CASE WHEN count(DISTINCT settings) = 1
			THEN format('**Server%s:** %s; %s%s.', CASE WHEN count(*) > 1 THEN 's' ELSE '' END,
						string_agg(server, ', ' ORDER BY version), CASE WHEN count(*) > 1 THEN 'each with ' ELSE '' END,
						min(settings))
			ELSE '**Servers:** ' || string_agg(format('%s (%s)', server, settings), '; ' ORDER BY version) || '.'
	   END || '  Every script runs in the same commit mode.'
FROM bench_report.servers;
\qecho
SELECT format(E'**Clients:** %s.\n', :'connect') WHERE :'connect' <> '–';
SELECT format('**Method:** `%s -n -M prepared -c %s -j %s`, each run %s, each figure the median of %s runs, '
			  'interleaved: every data set is loaded first on every server, each in a database of its own, then each '
			  'round runs every operation at every scale and shape, on every version in turn: the extension, the SQL '
			  'reference (`bench/reference.sql`, frozen), the floor where there is one, then the limit.  TPS counts '
			  'the transactions per second of both clients and ms is pgbench''s mean latency, both medians over '
			  'the rounds; the ratios are taken within each round and version (runs seconds apart), then their median.',
			  :'pgbench', :'clients', :'threads', :'seconds', :'runs');
\qecho
\qecho 'Scripts: `bench/pgbench/`; data: `bench/generate.sql` (10 sessions per user, a mix of active, expired and'
\qecho 'revoked; **dense**: 9 users in 10 have an active session, **sparse**: 1 in 100).  The limits are `SELECT 1`'
\qecho '(the protocol round trip, run next to each list operation), the same query fetching the token or guid'
\qecho 'without the call, a one-row primary-key UPDATE and a one-row INSERT into a copy of the sessions table with'
\qecho 'the same columns, indexes, checks, foreign key and fillfactor.  revoke and its limit are rolled back so that'
\qecho 'they can never fail; every create_session run (and its limit''s) is undone before the next run, and the'
\qecho 'tables are vacuumed between rounds.'
\qecho
\qecho '## Data sets'
\qecho
\qecho 'The same rows on every version; the last columns: the time the load of the extension''s tables took on each.'
\qecho
SELECT pg_temp.head('sessions | shape | users | users with an active session | active sessions',
					'---:|---|---:|---:|---:', ARRAY['load']);
SELECT string_agg(format('| %s | %s | %s | %s | %s | %s |', to_char(scale, 'FM999,999,999'), shape,
						 to_char(nusers, 'FM999,999,999'), to_char(active_users, 'FM999,999,999'),
						 active_sessions, loads),
				  E'\n' ORDER BY scale, shape)
FROM (SELECT s.scale, s.shape,
			 min(d.nusers) AS nusers, min(d.active_users) AS active_users,
			 to_char(min(d.active_sessions), 'FM999,999,999')
			 || CASE WHEN min(d.active_sessions) <> max(d.active_sessions)
					 THEN ' (differs between versions: '
						  || string_agg(to_char(d.active_sessions, 'FM999,999,999'), ', ' ORDER BY v.version) || ')'
					 ELSE '' END AS active_sessions,
			 string_agg(coalesce(d.load_seconds || ' s', '–'), ' | ' ORDER BY v.version) AS loads
	  FROM (SELECT DISTINCT scale, shape FROM bench_report.datasets) s
	  CROSS JOIN versions v
	  LEFT JOIN bench_report.datasets d ON (d.version, d.scale, d.shape) = (v.version, s.scale, s.shape)
	  GROUP BY s.scale, s.shape) t;
\qecho

-- one table per scale and shape, the versions side by side
\qecho 'In each table below, for each version: the extension''s TPS and mean latency in ms, its TPS against its'
\qecho 'limit''s and against the SQL reference''s.'
\qecho
SELECT string_agg(t, E'\n\n' ORDER BY scale, shape)
FROM (SELECT scale, shape,
			 format(E'## %s sessions, %s\n\n', to_char(scale, 'FM999,999,999'), shape)
			 || pg_temp.head('operation | limit', '---|---', ARRAY['TPS', 'ms', 'of limit', '× ref']) || E'\n'
			 || string_agg(line, E'\n' ORDER BY ord) AS t
	  FROM (SELECT ss.scale, ss.shape, o.ord,
				   format('| %s | %s | %s |', o.label, o.limit_label,
						  string_agg(concat_ws(' | ', pg_temp.n(c.ext_tps), pg_temp.ms(c.ext_lat),
											   pg_temp.pct(c.to_limit), pg_temp.x(c.to_ref)),
									 ' | ' ORDER BY v.version)) AS line
			FROM (SELECT DISTINCT scale, shape FROM med) ss
			CROSS JOIN ops o
			CROSS JOIN versions v
			LEFT JOIN cmp c ON (c.op, c.version, c.scale, c.shape) = (o.op, v.version, ss.scale, ss.shape)
			WHERE EXISTS (SELECT FROM med m WHERE (m.op, m.scale, m.shape) = (o.op, ss.scale, ss.shape))
			GROUP BY ss.scale, ss.shape, o.ord, o.label, o.limit_label) r
	  GROUP BY scale, shape) s;
\qecho

\qecho '## The floor of validate and user_sessions'
\qecho
\qecho 'Each of these two calls answers from one key, so its floor can be measured: its answer to each input its'
\qecho 'script can pick, computed beforehand by the extension and stored in a table keyed as the input, read back'
\qecho 'by primary key in the limit''s own query (`bench/pgbench/*.floor.sql`, interleaved with the others).  No'
\qecho 'implementation that keeps its data in tables does less (one row found by the input, the answer sent), so'
\qecho 'the floor''s ratio to the limit bounds what any can reach on the machine.  For each version: the floor''s TPS'
\qecho 'against the limit''s, and the extension''s against the floor''s.'
\qecho
SELECT pg_temp.head('operation | sessions', '---|---:', ARRAY['floor / limit', 'extension / floor']);
SELECT coalesce(string_agg(line, E'\n' ORDER BY ord, scale), '| (no floor measured) | |')
FROM (SELECT o.ord, s.scale,
			 format('| %s | %s | %s |', o.label, to_char(s.scale, 'FM999,999,999'),
					string_agg(pg_temp.pct(c.floor_to_limit) || ' | ' || pg_temp.pct(c.to_floor),
							   ' | ' ORDER BY v.version)) AS line
	  FROM ops o
	  CROSS JOIN (SELECT DISTINCT scale FROM med WHERE impl = 'floor') s
	  CROSS JOIN versions v
	  LEFT JOIN cmp c ON (c.op, c.version, c.scale, c.shape) = (o.op, v.version, s.scale, 'dense')
	  WHERE o.op IN ('validate', 'user_sessions')
	  GROUP BY o.ord, o.label, s.scale) f;
\qecho

\qecho '## list latency against scale'
\qecho
SELECT 'For each version: the extension''s mean latency in ms at ' || string_agg(pg_temp.scale(scale), ', ' ORDER BY scale)
	   || ' sessions, and its latency at 1M over its latency at 100k in the same shape, taken within each round (the'
	   || ' two runs seconds apart), then their median (floor: at most 1.5 for the first and keyset pages).'
FROM (SELECT DISTINCT scale FROM bench_report.results) s;
\qecho
SELECT pg_temp.head('shape | page', '---|---', ARRAY['ms', '1M / 100k']);
SELECT string_agg(line, E'\n' ORDER BY shape, ord)
FROM (SELECT o.ord, sh.shape,
			 format('| %s | %s | %s |', sh.shape, o.label,
					string_agg((SELECT string_agg(pg_temp.ms(e.lat), ' / ' ORDER BY sc.scale)
								FROM (SELECT DISTINCT scale FROM bench_report.results) sc
								LEFT JOIN med e ON (e.version, e.scale, e.shape, e.op, e.impl)
												 = (v.version, sc.scale, sh.shape, o.op, 'ext'))
							   || ' | ' || pg_temp.x(x.ratio),
							   ' | ' ORDER BY v.version)) AS line
	  FROM ops o
	  CROSS JOIN (SELECT DISTINCT shape FROM bench_report.results) sh
	  CROSS JOIN versions v
	  LEFT JOIN scale_ratio x ON (x.version, x.shape, x.op) = (v.version, sh.shape, o.op)
	  WHERE o.op LIKE 'list%'
		AND EXISTS (SELECT FROM med m WHERE m.shape = sh.shape AND m.op = o.op)
	  GROUP BY o.ord, o.label, sh.shape) l;
\qecho

-- the floors of issue 17, on each version
CREATE TEMP TABLE floors (ord int, floor text, version int, measured text, met boolean);
INSERT INTO floors
SELECT 1, 'validate, no touch due: ≥ 60% of its limit (in parentheses: its floor, a precomputed answer)', version,
	   pg_temp.pct(to_limit) || coalesce(' (' || pg_temp.pct(floor_to_limit) || ')', ''),
	   to_limit >= 0.6
FROM cmp WHERE op = 'validate' AND scale = :tscale AND shape = 'dense';
INSERT INTO floors
SELECT 2, 'user_sessions, user with 10 sessions: ≥ 40% of its limit (its floor)', version,
	   pg_temp.pct(to_limit) || coalesce(' (' || pg_temp.pct(floor_to_limit) || ')', ''),
	   to_limit >= 0.4
FROM cmp WHERE op = 'user_sessions' AND scale = :tscale AND shape = 'dense';
INSERT INTO floors
SELECT 3, format('list, %s, %s: ≥ 8%% of `SELECT 1`', CASE op WHEN 'list_first' THEN 'first page' ELSE 'keyset page' END, shape),
	   version, format('%s (%s ms)', pg_temp.pct(to_limit), pg_temp.ms(ext_lat)), to_limit >= 0.08
FROM cmp WHERE op IN ('list_first', 'list_keyset') AND scale = :tscale;
INSERT INTO floors
SELECT 4, format('list, %s, %s: latency at 1M within 1.5× of 100k',
				 CASE e1.op WHEN 'list_first' THEN 'first page' ELSE 'keyset page' END, e1.shape),
	   e1.version, format('%s (%s → %s ms)', pg_temp.x(x.ratio), pg_temp.ms(e2.lat), pg_temp.ms(e1.lat)),
	   x.ratio <= 1.5
FROM med e1
JOIN med e2 ON (e2.version, e2.shape, e2.op, e2.impl) = (e1.version, e1.shape, e1.op, e1.impl)
JOIN scale_ratio x ON (x.version, x.shape, x.op) = (e1.version, e1.shape, e1.op)
WHERE e1.op IN ('list_first', 'list_keyset') AND e1.impl = 'ext'
  AND e1.scale = 1000000 AND e2.scale = 100000;
INSERT INTO floors
SELECT 5, format('list, offset page 10,000 users deep, %s: ≥ 50× the reference', c.shape), c.version,
	   format('%s (%s ms against %s ms)', pg_temp.x(c.to_ref), pg_temp.ms(c.ext_lat), pg_temp.ms(c.ref_lat))
	   || CASE WHEN d.active_users <= 10000
			   THEN format('; past the end (%s listed)', to_char(d.active_users, 'FM999,999,999'))
			   ELSE '' END,
	   c.to_ref >= 50
FROM cmp c
LEFT JOIN bench_report.datasets d ON (d.version, d.scale, d.shape) = (c.version, c.scale, c.shape)
WHERE c.op = 'list_offset' AND c.scale = :tscale;
INSERT INTO floors
SELECT 6, 'revoke: ≥ 65% of the 1-row UPDATE', version, pg_temp.pct(to_limit), to_limit >= 0.65
FROM cmp WHERE op = 'revoke' AND scale = :tscale AND shape = 'dense';
INSERT INTO floors
SELECT 7, 'create_session: ≥ 60% of the 1-row INSERT', version, pg_temp.pct(to_limit), to_limit >= 0.6
FROM cmp WHERE op = 'create_session' AND scale = :tscale AND shape = 'dense';
INSERT INTO floors
SELECT 8, 'memory: flat over 100k calls of each function', v.version,
	   CASE WHEN count(m.*) = 0 THEN 'not measured'
			WHEN bool_or(m.bytes_3q > m.bytes_half AND m.bytes_after > m.bytes_3q)
			THEN 'grows: ' || string_agg(m.function, ', ' ORDER BY m.ord)
				 FILTER (WHERE m.bytes_3q > m.bytes_half AND m.bytes_after > m.bytes_3q)
			ELSE 'flat' || coalesce(' (one rise: ' || string_agg(format('%s %s B', m.function, m.bytes_after - m.bytes_half), ', '
																 ORDER BY m.ord)
												 FILTER (WHERE m.bytes_after > m.bytes_half) || ')', '')
	   END || CASE WHEN min(m.calls) < 100000 THEN format(', %s calls: too few to judge', min(m.calls)) ELSE '' END,
	   CASE WHEN count(m.*) = 0 OR min(m.calls) < 100000 THEN NULL
			ELSE NOT bool_or(m.bytes_3q > m.bytes_half AND m.bytes_after > m.bytes_3q) END
FROM versions v
LEFT JOIN bench_report.memory m ON m.version = v.version
GROUP BY v.version;

SELECT format('## Floors (issue 17; at %s sessions unless stated)', to_char(:tscale, 'FM999,999,999'));
\qecho
SELECT '| floor | ' || string_agg(version::text, ' | ' ORDER BY version) || E' |\n|---|'
	   || string_agg('---|', '' ORDER BY version)
FROM versions;
SELECT string_agg(line, E'\n' ORDER BY ord, floor)
FROM (SELECT f0.ord, f0.floor,
			 format('| %s | %s |', f0.floor,
					string_agg(coalesce(CASE WHEN f.met THEN '**met** ' WHEN NOT f.met THEN '**missed** ' ELSE '' END
										|| f.measured, '–'),
							   ' | ' ORDER BY v.version)) AS line
	  FROM (SELECT DISTINCT ord, floor FROM floors) f0
	  CROSS JOIN versions v
	  LEFT JOIN floors f ON (f.ord, f.floor, f.version) = (f0.ord, f0.floor, v.version)
	  GROUP BY f0.ord, f0.floor) t;
\qecho

\qecho '## Memory'
\qecho
SELECT format('One backend calls each function %s times (after %s warm-up calls), each call its own transaction',
			  coalesce(max(calls)::text, '–'), :'mem_warmup')
	   || format(' (pgbench -c 1 -t, `bench/memcheck.sql`, on %s sessions, sparse), on each version; the sum of', pg_temp.scale(:mem_scale))
	   || ' `pg_backend_memory_contexts.total_bytes` is taken after the warm-up, half way, three quarters of the way'
	   || ' and at the end.  A leak grows it in both quarters of the second half (**grows**); a one-off rise (a cache'
	   || ' reaching its working size, a plan made again after autovacuum''s ANALYZE) shows in one at most.  Each cell:'
	   || ' the second half, the memory at the end, the calls per second.'
FROM bench_report.memory;
\qecho
SELECT '| function | ' || string_agg(version::text, ' | ' ORDER BY version) || E' |\n|---|'
	   || string_agg('---|', '' ORDER BY version)
FROM versions;
SELECT string_agg(line, E'\n' ORDER BY ord)
FROM (SELECT fn.ord,
			 format('| %s | %s |', fn.function,
					string_agg(coalesce(CASE WHEN m.bytes_3q > m.bytes_half AND m.bytes_after > m.bytes_3q
											 THEN format('**grows** (+%s B, +%s B)', m.bytes_3q - m.bytes_half, m.bytes_after - m.bytes_3q)
											 WHEN m.bytes_after > m.bytes_half
											 THEN format('one rise of %s B', m.bytes_after - m.bytes_half)
											 ELSE 'flat' END
										|| format(', %s kB, %s/s', to_char(m.bytes_after / 1024.0, 'FM999,999,990'),
												  pg_temp.n(m.calls / nullif(m.seconds, 0))),
										'–'),
							   ' | ' ORDER BY v.version)) AS line
	  FROM (SELECT DISTINCT ord, function FROM bench_report.memory) fn
	  CROSS JOIN versions v
	  LEFT JOIN bench_report.memory m ON (m.version, m.ord) = (v.version, fn.ord)
	  GROUP BY fn.ord, fn.function) t;
\qecho
