-- list(1, 50, after): a keyset page of 50 after a random active user, anywhere in the set
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
SELECT authsessions.list(1, 50, bench.guid(:u));
