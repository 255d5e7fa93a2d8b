-- the SQL reference's list(): keyset page
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
SELECT ref.list(1, 50, bench.guid(:u));
