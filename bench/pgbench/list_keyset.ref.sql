-- the SQL reference's list(): keyset page, after the same cursors (bench.cursors)
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period, nact and
-- ncursors describing the data set (see bench/generate.sql).
\set c random(1, :ncursors)
SELECT ref.list(1, 50, (SELECT c.guid FROM bench.cursors c WHERE c.i = :c));
