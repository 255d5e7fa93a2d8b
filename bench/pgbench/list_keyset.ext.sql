-- list(1, 50, after): a keyset page of 50 after a random active user with 50 after it (bench.cursors), anywhere in the set
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period, nact and
-- ncursors describing the data set (see bench/generate.sql).
\set c random(1, :ncursors)
SELECT authsessions.list(1, 50, (SELECT c.guid FROM bench.cursors c WHERE c.i = :c));
